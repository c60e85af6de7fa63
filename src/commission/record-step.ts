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
  return device
    ? [`spBv1.0/${group}/+/${node}`, `spBv1.0/${group}/+/${node}/${device}`]
    : [`spBv1.0/${group}/+/${node}`, `spBv1.0/${group}/+/${node}/#`];
}

export function recordingSources(
  plan: Plan,
  reachable: ReadonlySet<string>,
  identity: IdentitySpec,
  timeoutMs: number,
  trustOnFirstUse: boolean,
): RecordingPlan {
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

export function sourceFor(
  d: PlanDevice,
  signals: PlanSignal[],
  identity: IdentitySpec,
  timeoutMs: number,
  trustOnFirstUse: boolean,
): SourceSpec | undefined {
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
      options: {
        id: d.id,
        target: t,
        map: d.map!,
        registers: signals.map((s) => s.address),
        intervalMs: 1000,
        timeoutMs: Math.min(timeoutMs, 2000),
        maxGap: 10,
        maxRegisters: 125,
        tagPrefix: d.id,
      },
    };
  }
  if (t.protocol === 'mqtt') {
    return {
      protocol: 'mqtt',
      options: {
        id: d.id,
        connect:
          identity.kind === 'username'
            ? {
                target: t,
                user: identity.user,
                passwordEnv: identity.passwordEnv,
                ...(identity.passwordFile ? { passwordFile: identity.passwordFile } : {}),
                timeoutMs,
              }
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
/** Source hooks that say nothing: a probe for identity or the loop check prints its own lines. */
export const SILENT_HOOKS = {
  info: () => {},
  warn: () => {},
  debug: () => {},
  tagError: () => {},
  state: () => {},
  tagName: (t: { name: string }) => t.name,
};

export function tagMatches(d: PlanDevice, s: PlanSignal, tag: TagInfo): boolean {
  if (tag.source !== d.id) return false;
  const a = s.address.trim();
  // a JSON payload with several values is one tag per value, all with the topic as address
  if (d.url.protocol === 'mqtt') return tag.address === a && (s.jsonPath === undefined || jsonPathOf(tag) === s.jsonPath);
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

const jsonPathOf = (tag: TagInfo) => (tag.mqtt as { path?: string } | undefined)?.path;

type Outage = SignalObservation['outages'][number];

/** A Sparkplug death (edge node or device offline) in the capture, for the metrics it silences. */
interface SparkplugDeath extends Outage {
  /** "group/edge node" */
  node: string;
  /** the device of a DDEATH; an NDEATH silences the node and all its devices */
  device?: string | undefined;
}

/** The outages of one signal: its source's disconnects and gaps, and for a Sparkplug metric its node's or device's deaths. */
function outagesOf(
  d: PlanDevice,
  s: PlanSignal,
  bySource: ReadonlyMap<string, Outage[]>,
  deaths: ReadonlyMap<string, SparkplugDeath[]>,
): Outage[] {
  const own = bySource.get(d.id) ?? [];
  const sp = d.url.protocol === 'mqtt' ? SPARKPLUG_ADDRESS.exec(s.address.trim()) : null;
  if (!sp) return own;
  const [, group, node, device] = sp;
  const mine = (deaths.get(d.id) ?? []).filter((x) => x.node === `${group}/${node}` && (x.device === undefined || x.device === device));
  return [...own, ...mine.map(({ t, kind, detail }) => ({ t, kind, ...(detail ? { detail } : {}) }))].sort((a, b) => a.t - b.t);
}

/**
 * Reads the capture once and gathers, per signal, its samples and its source's outages in the
 * window. `unavailable` says why a signal was not recorded at all (its device not found, its node
 * refused).
 */
export async function observeSignals(
  file: string,
  plan: Plan,
  window: { from: number; to: number },
  unavailable: (s: PlanSignal) => string | undefined,
): Promise<Map<string, SignalObservation>> {
  const reader = await openCapture(file);
  const byTag = new Map<string, SignalSample[]>();
  const outages = new Map<string, Outage[]>();
  const deaths = new Map<string, SparkplugDeath[]>();
  const push = <T>(map: Map<string, T[]>, key: string, value: T) => {
    const list = map.get(key);
    if (list) list.push(value);
    else map.set(key, [value]);
  };
  try {
    for await (const batch of reader.batches()) {
      for (const r of batch) {
        if (isSample(r)) push(byTag, r.tag, { t: timeMs(r.t), v: r.v, ...(r.q !== undefined ? { q: r.q } : {}) });
        else if (isEvent(r) && r.source) {
          if (r.event === 'gap' || r.event === 'disconnect')
            push(outages, r.source, { t: timeMs(r.t), kind: r.event, ...(r.message ? { detail: r.message } : {}) });
          // an edge node's will, or a device's death: its metrics are no longer current (a stale will of an older session is not)
          else if (r.event === 'sparkplug-death' && r.stale !== true && typeof r.node === 'string') {
            const where = typeof r.device === 'string' ? `${r.node}/${r.device}` : r.node;
            push(deaths, r.source, {
              t: timeMs(r.t),
              kind: 'sparkplug-death',
              detail: `${where} ${typeof r.device === 'string' ? 'DDEATH' : 'NDEATH'}`,
              node: r.node,
              ...(typeof r.device === 'string' ? { device: r.device } : {}),
            });
          }
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
    const matching = tags.filter((t) => tagMatches(d, s, t));
    // never judge one value of several as the signal: which one would be a guess
    const several =
      matching.length > 1
        ? `${s.address} carries ${matching.length} values (${matching.map((t) => jsonPathOf(t) ?? t.name).join(', ')}): name one with jsonPath`
        : undefined;
    const tag = several ? undefined : matching[0];
    const why = unavailable(s) ?? several ?? (tag ? undefined : `${d.id} offered no ${s.address}${s.jsonPath ? ` ${s.jsonPath}` : ''}`);
    out.set(s.tag, {
      ...(tag ? { tag: tag.name, ...(tag.unit !== undefined ? { unit: tag.unit } : {}) } : {}),
      samples: tag ? (byTag.get(tag.name) ?? []) : [],
      outages: outagesOf(d, s, outages, deaths),
      window,
      byException: reportsByException(d, s),
      ...(why ? { unavailable: why } : {}),
    });
  }
  return out;
}

/** The commission recorder subscribes to OPC UA (changes only) and Sparkplug reports by exception; Modbus is polled, plain MQTT published. */
export function reportsByException(d: PlanDevice, s: PlanSignal): boolean {
  return d.url.protocol === 'opcua' || (d.url.protocol === 'mqtt' && SPARKPLUG_ADDRESS.test(s.address.trim()));
}

export interface RecordedWindow {
  from: number;
  to: number;
  stopped: 'window' | 'signal';
  /** the devices recorded (0: no capture was written) */
  recorded: number;
  /** devices that could not be recorded at all, with the reason */
  failed: Map<string, string>;
  /** per device, the OPC UA nodes of the plan its server refused (no such node, not a variable), with the reason */
  refused: Map<string, Map<string, string>>;
}

/**
 * Records the window. One device that cannot be recorded (its certificate refused) must not cost
 * the acceptance of the others, nor one node a server does not have (a typo, a tag the integrator
 * has not made yet) the acceptance of that server's other signals: the recorder refuses to start
 * when any source or node fails, so the failing one is set aside with its reason and the rest
 * start again.
 *
 * The window is timed from the moment every source has started (an OPC UA subscription can take
 * seconds to set up on a busy server), so its edges are times at which every device was being
 * listened to: a silence judged at an edge is the device's, not the recorder's start-up.
 */
export async function recordWindow(
  io: IO,
  file: string,
  sources: SourceSpec[],
  windowMs: number,
  signal: AbortSignal,
  metadata: Record<string, unknown>,
): Promise<RecordedWindow> {
  const { record } = await import('../record/run.js');
  const failed = new Map<string, string>();
  const refused = new Map<string, Map<string, string>>();
  let remaining = [...sources];
  while (remaining.length > 0) {
    const end = new AbortController();
    const cut = () => end.abort();
    signal.addEventListener('abort', cut, { once: true });
    if (signal.aborted) end.abort();
    let from = Date.now();
    let timer: NodeJS.Timeout | undefined;
    try {
      await record(
        io,
        { output: file, force: true, flushIntervalMs: 1000, metadata, reconnectMaxMs: 5000, live: false, sources: remaining },
        {
          handleSignals: false,
          signal: end.signal,
          onStarted: () => {
            from = Date.now();
            timer = setTimeout(() => end.abort(), windowMs);
          },
        },
      );
      const done = { failed, refused, recorded: remaining.length };
      return signal.aborted
        ? { from, to: Date.now(), stopped: 'signal', ...done }
        : { from, to: from + windowMs, stopped: 'window', ...done };
    } catch (err) {
      if (!isIiotError(err)) throw err;
      const message = describeError(err);
      const node = await refusedNodes(io, remaining, message);
      if (node) {
        const why = message.replace(/^--node:? /, '');
        const list = refused.get(node.spec.options.id) ?? new Map<string, string>();
        refused.set(node.spec.options.id, list);
        for (const n of node.nodes) list.set(n, why);
        const nodes = node.spec.options.nodes.filter((n) => !node.nodes.includes(n));
        remaining = remaining.flatMap((s) =>
          s !== node.spec ? [s] : nodes.length ? [{ ...node.spec, options: { ...node.spec.options, nodes } }] : [],
        );
        continue;
      }
      const culprit = remaining.find((s) => message.includes(endpointOf(s)) || message.includes(s.options.id));
      if (!culprit) throw err;
      failed.set(culprit.options.id, `${message}${err.hint ? ` (${err.hint.split(';')[0]})` : ''}`);
      remaining = remaining.filter((s) => s !== culprit);
    } finally {
      clearTimeout(timer);
      signal.removeEventListener('abort', cut);
    }
  }
  return { from: Date.now(), to: Date.now(), stopped: 'window', failed, refused, recorded: 0 };
}

type OpcUaSpec = Extract<SourceSpec, { protocol: 'opcua' }>;

/**
 * The OPC UA nodes a refusal names ("--node: no node … on the server", "… is an Object, not a
 * variable", "the server has no namespace …"), and the device whose server refused them. The
 * recorder does not say which server it was: when the same node is asked of several (two machines
 * of one make), each is asked alone.
 */
async function refusedNodes(
  io: IO,
  sources: readonly SourceSpec[],
  message: string,
): Promise<{ spec: OpcUaSpec; nodes: string[] } | undefined> {
  if (!/^--node\b/.test(message)) return undefined;
  const namespace = /has no namespace "([^"]+)"/.exec(message)?.[1];
  const named = (spec: OpcUaSpec): string[] => {
    if (namespace !== undefined) return spec.options.nodes.filter((n) => n.trim().startsWith(`nsu=${namespace};`));
    // the longest: "ns=2;s=a" is inside a message about "ns=2;s=ab"
    const hit = spec.options.nodes.filter((n) => message.includes(n.trim())).sort((a, b) => b.length - a.length)[0];
    return hit === undefined ? [] : [hit];
  };
  const candidates = sources
    .flatMap((spec) => (spec.protocol === 'opcua' ? [{ spec, nodes: named(spec) }] : []))
    .filter((c) => c.nodes.length > 0);
  if (candidates.length <= 1) return candidates[0];
  const { createSource } = await import('../record/run.js');
  for (const c of candidates) {
    const alone = await createSource(
      { ...c.spec, options: { ...c.spec.options, nodes: c.nodes } },
      { reconnectMaxMs: 5000 } as never,
      io,
      SILENT_HOOKS,
    );
    const refusedHere = await alone.prepare().then(
      () => false,
      (err: unknown) => describeError(err) === message,
    );
    await alone.stop().catch(() => undefined);
    if (refusedHere) return c;
  }
  return undefined;
}

function endpointOf(s: SourceSpec): string {
  if (s.protocol === 'opcua') return s.options.connect.target.url;
  if (s.protocol === 'modbus')
    return s.options.target.protocol === 'modbus' ? `${s.options.target.host}:${s.options.target.port}` : s.options.target.path;
  return `${s.options.connect.target.host}:${s.options.connect.target.port}`;
}
