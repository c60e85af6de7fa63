import { openCapture, timeMs } from '../capture/reader.js';
import { isEvent, isSample, type TagInfo } from '../capture/types.js';
import { PASSWORD_ENV } from '../core/credentials.js';
import type { IdentitySpec } from '../protocols/opcua/flags.js';
import { describeError, isIiotError } from '../core/errors.js';
import type { IO } from '../core/io.js';
import type { SourceSpec } from '../record/types.js';
import type { SignalObservation, SignalSample } from './judge-signals.js';
import type { Plan, PlanDevice, PlanSignal } from './plan-schema.js';

/**
 * The recording window: every signal of the I/O list recorded from its device into one capture
 * (the evidence), then read back signal by signal for judging. Tags are prefixed with the plan's
 * device id, so two devices with the same names never become one tag.
 */

export interface RecordingPlan {
  sources: SourceSpec[];
  /** devices with signals that could not be recorded (not found), with the reason */
  skipped: Map<string, string>;
}

const SPARKPLUG_ADDRESS = /^spBv1\.0\/([^/]+)\/([^/:]+)(?:\/([^/:]+))?:(.+)$/;

/** MQTT topic filters for a signal address: a plain topic, or a Sparkplug metric's node/device. */
function mqttFilter(address: string): string[] {
  const sp = SPARKPLUG_ADDRESS.exec(address);
  if (!sp) return [address];
  const [, group, node, device] = sp;
  return device ? [`spBv1.0/${group}/+/${node}`, `spBv1.0/${group}/+/${node}/${device}`] : [`spBv1.0/${group}/+/${node}`, `spBv1.0/${group}/+/${node}/#`];
}

export function recordingSources(plan: Plan, reachable: ReadonlySet<string>, identity: IdentitySpec, timeoutMs: number, trustOnFirstUse: boolean): RecordingPlan {
  const sources: SourceSpec[] = [];
  const skipped = new Map<string, string>();
  for (const d of plan.devices) {
    const signals = plan.signals.filter((s) => s.device === d.id);
    if (signals.length === 0) continue;
    if (!reachable.has(d.id)) {
      skipped.set(d.id, `device ${d.id} was not found at ${d.url.url}`);
      continue;
    }
    const spec = sourceFor(d, signals, identity, timeoutMs, trustOnFirstUse);
    if (spec) sources.push(spec);
  }
  return { sources, skipped };
}

export function sourceFor(d: PlanDevice, signals: PlanSignal[], identity: IdentitySpec, timeoutMs: number, trustOnFirstUse: boolean): SourceSpec | undefined {
  const t = d.url;
  const prefix = `${d.id}.`;
  if (t.protocol === 'opcua') {
    return {
      protocol: 'opcua',
      options: {
        id: d.id,
        connect: { target: t, identity, trustOnFirstUse, timeoutMs },
        nodes: signals.map((s) => s.address),
        subtrees: [],
        tagLists: [],
        samplingMs: 250,
        publishingMs: 500,
        queueSize: 10,
        tagPrefix: prefix,
      },
    };
  }
  if (t.protocol === 'modbus' || t.protocol === 'modbus-rtu') {
    return {
      protocol: 'modbus',
      options: { id: d.id, target: t, map: d.map!, registers: signals.map((s) => s.address), intervalMs: 1000, timeoutMs: Math.min(timeoutMs, 2000), maxGap: 10, maxRegisters: 125, tagPrefix: d.id },
    };
  }
  if (t.protocol === 'mqtt') {
    return {
      protocol: 'mqtt',
      options: {
        id: d.id,
        connect:
          identity.kind === 'username'
            ? { target: t, user: identity.user, passwordEnv: identity.passwordEnv, ...(identity.passwordFile ? { passwordFile: identity.passwordFile } : {}), timeoutMs }
            : { target: t, passwordEnv: PASSWORD_ENV, timeoutMs },
        topics: [...new Set(signals.flatMap((s) => mqttFilter(s.address)))],
        decoder: 'auto',
        jsonPaths: [],
        raw: false,
        qos: 1,
        tagPrefix: prefix,
      },
    };
  }
  return undefined;
}

/** Does a capture tag carry this signal? By address (node id, register entry, topic), never by a guessed name. */
export function tagMatches(d: PlanDevice, s: PlanSignal, tag: TagInfo): boolean {
  if (tag.source !== d.id) return false;
  const a = s.address.trim();
  if (tag.address === a) return true;
  if (d.url.protocol === 'opcua') {
    if (tag.path === a) return true;
    const nsu = /^nsu=([^;]+);(.+)$/.exec(a);
    if (nsu && tag.namespaceUri === nsu[1] && typeof tag.address === 'string' && tag.address.endsWith(`;${nsu[2]}`)) return true;
    return false;
  }
  if (d.url.protocol === 'modbus' || d.url.protocol === 'modbus-rtu') return tag.name === `${d.id}.${a}`;
  return false;
}

/** Reads the capture once and gathers, per signal, its samples and its source's outages in the window. */
export async function observeSignals(file: string, plan: Plan, window: { from: number; to: number }, unavailable: ReadonlyMap<string, string>): Promise<Map<string, SignalObservation>> {
  const reader = await openCapture(file);
  const byTag = new Map<string, SignalSample[]>();
  const outages = new Map<string, Array<{ t: number; kind: string; detail?: string }>>();
  try {
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        if (isSample(r)) {
          let list = byTag.get(r.tag);
          if (!list) byTag.set(r.tag, (list = []));
          list.push({ t: timeMs(r.t), v: r.v, ...(r.q !== undefined ? { q: r.q } : {}) });
        } else if (isEvent(r) && (r.event === 'gap' || r.event === 'disconnect') && r.source) {
          let list = outages.get(r.source);
          if (!list) outages.set(r.source, (list = []));
          list.push({ t: timeMs(r.t), kind: r.event, ...(r.message ? { detail: r.message } : {}) });
        }
      }
    }
  } finally {
    await reader.close();
  }
  const tags = reader.tags();
  const out = new Map<string, SignalObservation>();
  for (const s of plan.signals) {
    const d = plan.devices.find((x) => x.id === s.device)!;
    const tag = tags.find((t) => tagMatches(d, s, t));
    const why = unavailable.get(d.id) ?? (tag ? undefined : `${d.id} offered no ${s.address}`);
    out.set(s.tag, {
      ...(tag ? { tag: tag.name, ...(tag.unit !== undefined ? { unit: tag.unit } : {}) } : {}),
      samples: tag ? (byTag.get(tag.name) ?? []) : [],
      outages: outages.get(d.id) ?? [],
      window,
      ...(why ? { unavailable: why } : {}),
    });
  }
  return out;
}

/**
 * Records the window. One device that cannot be recorded (its certificate refused, a node it does
 * not have) must not cost the acceptance of the others: the recorder refuses to start when any
 * source fails, so the failing source is set aside with its reason and the rest start again.
 */
export async function recordWindow(
  io: IO,
  file: string,
  sources: SourceSpec[],
  windowMs: number,
  signal: AbortSignal,
  metadata: Record<string, unknown>,
): Promise<{ from: number; to: number; stopped: string; failed: Map<string, string> }> {
  const { record } = await import('../record/run.js');
  const failed = new Map<string, string>();
  let remaining = [...sources];
  while (remaining.length > 0) {
    let from = Date.now();
    try {
      const r = await record(
        io,
        { output: file, force: true, durationMs: windowMs, flushIntervalMs: 1000, metadata, reconnectMaxMs: 5000, live: false, sources: remaining },
        { handleSignals: false, signal, onStarted: () => (from = Date.now()) },
      );
      return { from, to: from + r.durationMs, stopped: r.stopped, failed };
    } catch (err) {
      const message = describeError(err);
      const culprit = remaining.find((s) => message.includes(endpointOf(s)) || message.includes(s.options.id));
      if (!culprit || !isIiotError(err)) throw err;
      failed.set(culprit.options.id, `${message}${err.hint ? ` (${err.hint.split(';')[0]})` : ''}`);
      remaining = remaining.filter((s) => s !== culprit);
    }
  }
  return { from: Date.now(), to: Date.now(), stopped: 'done', failed };
}

function endpointOf(s: SourceSpec): string {
  if (s.protocol === 'opcua') return s.options.connect.target.url;
  if (s.protocol === 'modbus') return s.options.target.protocol === 'modbus' ? `${s.options.target.host}:${s.options.target.port}` : s.options.target.path;
  return `${s.options.connect.target.host}:${s.options.connect.target.port}`;
}
