import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Document, isScalar, isSeq, stringify, visit } from 'yaml';
import type { TagInfo } from '../capture/types.js';
import { describeError, usageError } from '../core/errors.js';
import { SECURITY_MODES, SECURITY_POLICIES } from '../protocols/opcua/flags.js';
import { ExitCode } from '../core/exit-codes.js';
import { createIO, info, out, warn, type IO } from '../core/io.js';
import { parseTarget, type OpcUaTarget, type Target } from '../core/targets.js';
import { formatDuration } from '../core/units.js';
import type { Inventory, InventoryDevice } from '../discovery/inventory.js';
import { INVENTORY_SCHEMA } from '../discovery/schema-name.js';
import type { SourceSpec } from '../record/types.js';
import { refuseToReplace, writeFileSafely } from '../core/output-file.js';
import type { InitOptions } from './options.js';
import { PLAN_FORMAT } from './plan-schema.js';
import { observeSignals, recordWindow } from './record-step.js';
import { judgeSignal, type SignalSummary } from './judge-signals.js';
import { parsePlan } from './plan.js';

/**
 * `iiot commission init <targets…> -o plan.yaml`: a first draft of the acceptance plan from what
 * is there — discovery, then a short recording of every OPC UA variable with an engineering unit,
 * every register of meters iiot has a map for, and every MQTT topic — so the engineer starts from
 * the plant as found and edits it to the integrator's I/O list. Ranges come from the devices'
 * EURange where they give one, else from what was seen, widened; update intervals from what was
 * seen; findings that would fail the acceptance are listed as commented-out waivers, never
 * waived silently.
 */

/** At most this many signals per device in a draft (a big PLC is curated by hand, not dumped). */
const MAX_SIGNALS_PER_DEVICE = 200;

function deviceId(d: InventoryDevice, used: Set<string>): string {
  const t = parseTarget(d.url);
  const base =
    t.protocol === 'modbus'
      ? `modbus-${t.port}-u${t.unit}`
      : t.protocol === 'modbus-rtu'
        ? `rtu-u${t.unit}`
        : t.protocol === 'mqtt'
          ? `mqtt-${t.port}`
          : t.protocol === 'opcua'
            ? `opcua-${t.port}`
            : `device-${used.size + 1}`;
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

interface DraftDevice {
  id: string;
  device: InventoryDevice;
  target: Target;
  map?: string | undefined;
}

function identityOf(d: InventoryDevice): Record<string, unknown> {
  if (d.protocol === 'opcua')
    return {
      ...(d.identity.applicationUri ? { applicationUri: d.identity.applicationUri } : {}),
      ...(d.identity.productUri ? { productUri: d.identity.productUri } : {}),
    };
  if (d.protocol === 'modbus' || d.protocol === 'modbus-rtu')
    return {
      ...(d.identity.vendor ? { vendor: d.identity.vendor } : {}),
      ...(d.identity.productCode ? { productCode: d.identity.productCode } : {}),
      ...(d.identity.revision ? { revision: d.identity.revision } : {}),
    };
  const nodes = (d.sparkplug?.groups ?? []).flatMap((g) =>
    g.nodes.filter((n) => n.online !== false).map((n) => `${g.groupId}/${n.edgeNodeId}`),
  );
  return { protocolVersion: d.identity.protocolVersion, ...(nodes.length ? { sparkplug: nodes } : {}) };
}

/** The security the device offers today, as expectations (the draft's comments say to tighten them). */
function securityOf(d: InventoryDevice): Record<string, unknown> {
  if (d.protocol === 'opcua') {
    // the same orders the run judges by: weakest first
    const modes = d.endpoints.map((e) => SECURITY_MODES.indexOf(e.securityMode as never)).filter((i) => i >= 0);
    const policies = d.endpoints.map((e) => SECURITY_POLICIES.indexOf(e.securityPolicy as never)).filter((i) => i >= 0);
    const anonymous = d.endpoints.some((e) => e.userTokens.some((t) => t.type.toLowerCase() === 'anonymous'));
    return {
      ...(modes.length ? { minMode: SECURITY_MODES[Math.min(...modes)] } : {}),
      ...(policies.length ? { minPolicy: SECURITY_POLICIES[Math.min(...policies)] } : {}),
      anonymous,
    };
  }
  if (d.protocol === 'mqtt')
    return {
      anonymous: d.identity.anonymous !== 'refused',
      tls: parseTarget(d.url).protocol === 'mqtt' && (parseTarget(d.url) as { tls: boolean }).tls ? 'required' : 'optional',
    };
  return {};
}

/**
 * The OPC UA variables a draft records: those under Objects with an engineering unit, at most
 * MAX_SIGNALS_PER_DEVICE, found by a browse first (`iiot browse --tags`). Subscribing to every
 * variable under Objects to keep a few would put thousands of monitored items on a PLC that may
 * be in production. Returns the tag list file to record, or why there is none.
 */
async function draftTagList(
  io: IO,
  d: DraftDevice & { target: OpcUaTarget },
  o: InitOptions,
  dir: string,
): Promise<{ file?: string; note?: string }> {
  const [{ runBrowse }, { formatTagList, readTagList }] = await Promise.all([
    import('../browse/run.js'),
    import('../protocols/opcua/tag-list.js'),
  ]);
  const all = join(dir, `${d.id}.all-tags.yaml`);
  await runBrowse(io, {
    connect: { target: d.target, identity: o.identity, trustOnFirstUse: o.trustOnFirstUse, timeoutMs: o.timeoutMs },
    node: 'i=85',
    depth: Number.POSITIVE_INFINITY,
    all: false,
    attributes: false,
    format: 'json',
    output: join(dir, `${d.id}.browse.json`),
    tagsFile: all,
    endpoints: false,
    interactive: false,
  });
  if (!existsSync(all)) return { note: `${d.id}: no variables under Objects` };
  const list = readTagList(all);
  const withUnit = list.tags.filter((t) => t.unit !== undefined);
  if (withUnit.length === 0)
    return { note: `${d.id}: none of its ${list.tags.length} variables under Objects has an engineering unit; add its signals by hand` };
  const file = join(dir, `${d.id}.tags.yaml`);
  writeFileSync(file, formatTagList({ ...list, tags: withUnit.slice(0, MAX_SIGNALS_PER_DEVICE) }));
  return {
    file,
    ...(withUnit.length > MAX_SIGNALS_PER_DEVICE
      ? {
          note: `${d.id}: only the first ${MAX_SIGNALS_PER_DEVICE} of its ${withUnit.length} variables with an engineering unit were drafted`,
        }
      : {}),
  };
}

async function sourcesFor(io: IO, devices: DraftDevice[], o: InitOptions, dir: string, notes: string[]): Promise<SourceSpec[]> {
  const specs: SourceSpec[] = [];
  for (const d of devices) {
    const t = d.target;
    if (t.protocol === 'opcua') {
      let list: { file?: string; note?: string };
      try {
        list = await draftTagList(io, { ...d, target: t }, o, dir);
      } catch (err) {
        list = { note: `${d.id} could not be browsed, so no signals of it are drafted: ${describeError(err)}` };
      }
      if (list.note) notes.push(list.note);
      if (!list.file) continue;
      specs.push({
        protocol: 'opcua',
        options: {
          id: d.id,
          connect: { target: t, identity: o.identity, trustOnFirstUse: o.trustOnFirstUse, timeoutMs: o.timeoutMs },
          nodes: [],
          subtrees: [],
          tagLists: [list.file],
          samplingMs: 250,
          publishingMs: 500,
          queueSize: 10,
          tagPrefix: `${d.id}.`,
        },
      });
    } else if ((t.protocol === 'modbus' || t.protocol === 'modbus-rtu') && d.map) {
      specs.push({
        protocol: 'modbus',
        options: {
          id: d.id,
          target: t,
          map: d.map,
          registers: [],
          intervalMs: 1000,
          timeoutMs: Math.min(o.timeoutMs, 2000),
          maxGap: 10,
          maxRegisters: 125,
          tagPrefix: d.id,
        },
      });
    } else if (t.protocol === 'mqtt') {
      const passwordEnv = o.identity.kind === 'username' ? o.identity.passwordEnv : 'IIOT_PASSWORD';
      specs.push({
        protocol: 'mqtt',
        options: {
          id: d.id,
          connect: { target: t, ...(o.identity.kind === 'username' ? { user: o.identity.user } : {}), passwordEnv, timeoutMs: o.timeoutMs },
          topics: ['#'],
          decoder: 'auto',
          jsonPaths: [],
          raw: false,
          qos: 1,
          tagPrefix: `${d.id}.`,
        },
      });
    }
  }
  return specs;
}

/** The plan address of a recorded tag: a node id with its namespace URI, a map entry, a topic. */
function addressOf(d: DraftDevice, tag: TagInfo): string | undefined {
  if (d.target.protocol === 'opcua') {
    const id = typeof tag.address === 'string' ? tag.address : undefined;
    if (!id) return undefined;
    const ident = id.replace(/^ns=\d+;/, '');
    return typeof tag.namespaceUri === 'string' && /^ns=\d+;/.test(id) ? `nsu=${tag.namespaceUri};${ident}` : id;
  }
  if (d.target.protocol === 'modbus' || d.target.protocol === 'modbus-rtu')
    return tag.name.startsWith(`${d.id}.`) ? tag.name.slice(d.id.length + 1) : undefined;
  return typeof tag.address === 'string' ? tag.address : undefined;
}

/** MQTT: the value's JSON path, when its payload carries several (the plan's jsonPath). */
function jsonPathOf(d: DraftDevice, tag: TagInfo): string | undefined {
  return d.target.protocol === 'mqtt' ? (tag.mqtt as { path?: string } | undefined)?.path : undefined;
}

/** [low, high] rounded outwards to a step of step0's order of magnitude. */
function widen(min: number, max: number, step0: number): [number, number] {
  const step = 10 ** Math.floor(Math.log10(step0));
  const clean = (x: number) => Number(x.toPrecision(12));
  return [clean(Math.floor(min / step) * step), clean(Math.ceil(max / step) * step)];
}

function draftSignal(d: DraftDevice, tag: TagInfo, s: SignalSummary, windowMs: number): Record<string, unknown> | undefined {
  const address = addressOf(d, tag);
  if (!address || s.samples === 0) return undefined;
  const numeric = s.min !== undefined && s.max !== undefined;
  const moved = s.distinct > 1;
  let range: [number, number] | undefined;
  if (tag.range && tag.range[1] > tag.range[0]) range = [tag.range[0], tag.range[1]];
  else if (numeric && moved && !s.increasing) {
    // A short look says little about the plausible range: twice what was seen, from zero for a
    // quantity that was never negative. A counter (it only went up) gets no range at all, nor a
    // value that did not move: a stopped conveyor's 0 rpm would draft [0, 2] and fail the run
    // as soon as the line starts.
    const hi = Math.max(Math.abs(s.max!), Math.abs(s.min!), 1) * 2;
    range = widen(s.min! >= 0 ? 0 : -hi, s.max! >= 0 ? hi : 0, hi / 10);
  }
  // A signal that moved during the draft updates at least every few of its longest silences;
  // one that did not move gets no interval and is marked constant for the engineer to decide.
  const maxIntervalS = moved ? Math.max(5, Math.ceil((3 * Math.min(s.longestSilenceMs, windowMs)) / 1000)) : undefined;
  const jsonPath = jsonPathOf(d, tag);
  return {
    tag: tag.name.slice(d.id.length + 1) || tag.name,
    device: d.id,
    address,
    ...(jsonPath ? { jsonPath } : {}),
    ...(tag.description ? { description: String(tag.description) } : {}),
    ...(tag.unit ? { unit: tag.unit } : {}),
    ...(range ? { range } : {}),
    ...(maxIntervalS !== undefined ? { maxInterval: `${maxIntervalS}s` } : {}),
    ...(numeric && !moved ? { constant: true } : {}),
  };
}

/** YAML for people: ranges on one line ([0, 125]), the rest in block style. */
function planYaml(doc: object): string {
  const d = new Document(doc);
  visit(d, {
    Pair(_, pair) {
      if (isScalar(pair.key) && (pair.key.value === 'range' || pair.key.value === 'sparkplug') && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return d.toString({ lineWidth: 0, flowCollectionPadding: false }).trimEnd();
}

export async function runInit(io: IO, o: InitOptions): Promise<number> {
  refuseToReplace(o.output, { force: o.force });
  const quiet = createIO({ quiet: true, color: false }, { env: io.env });
  const [{ parseDiscoverOptions }, { runScan }] = await Promise.all([import('../discovery/options.js'), import('../discovery/scan.js')]);
  info(io, `[1/3] Discovering ${o.targets.join(', ')}`);
  const options = parseDiscoverOptions(o.targets, {
    ...(o.ports ? { ports: o.ports, defaultPorts: false } : {}),
    listen: `${o.listenMs}ms`,
    json: true,
  });
  const scan = await runScan(options, { warn: (l) => warn(io, l) }, new AbortController().signal);
  const inventory = { schema: INVENTORY_SCHEMA, ...scan.inventory } as Inventory;
  if (inventory.devices.length === 0)
    throw usageError(
      `nothing answered at ${o.targets.join(', ')}`,
      'check the addresses and ports (--ports 4840:opcua,502:modbus,1883:mqtt)',
    );
  const used = new Set<string>();
  const { suggestBuiltinMap } = await import('../protocols/modbus/map-suggest.js');
  const devices: DraftDevice[] = inventory.devices.map((dev) => {
    const id = deviceId(dev, used);
    const map = dev.protocol === 'modbus' || dev.protocol === 'modbus-rtu' ? suggestBuiltinMap(dev.identity)?.map : undefined;
    return { id, device: dev, target: parseTarget(dev.url), ...(map ? { map } : {}) };
  });
  info(io, io.errStyle.dim(`   ${devices.map((d) => `${d.id}: ${d.device.name}`).join('; ')}`));

  // 2. A short recording of what each device offers, to draft signals from.
  info(io, `[2/3] Browsing the OPC UA servers, then recording for ${formatDuration(o.windowMs)} to see what each device offers`);
  const dir = mkdtempSync(join(tmpdir(), 'iiot-commission-init-'));
  const signals: Array<Record<string, unknown>> = [];
  const notes: string[] = [];
  try {
    const specs = await sourcesFor(quiet, devices, o, dir, notes);
    const file = join(dir, 'draft.jsonl');
    // the run's recorder: the same window timing, and one device that cannot be recorded is set aside
    const r = specs.length ? await recordWindow(quiet, file, specs, o.windowMs, new AbortController().signal, {}) : undefined;
    for (const [id, why] of r?.failed ?? []) warn(io, `${id} could not be recorded, so no signals of it are drafted: ${why}`);
    if (r && r.recorded > 0) {
      const window = { from: r.from, to: r.to };
      const { openCapture } = await import('../capture/reader.js');
      const reader = await openCapture(file);
      for await (const _ of reader.batches()) void _;
      const tags = reader.tags();
      await reader.close();
      for (const d of devices) {
        const own = tags.filter((t) => t.source === d.id && (d.target.protocol !== 'opcua' || t.unit !== undefined));
        // observe through the same path the run judges with: a throwaway plan of these tags
        const drafts = own.map((t) => ({
          tag: t.name,
          device: d.id,
          address: addressOf(d, t) ?? t.name,
          ...(jsonPathOf(d, t) ? { jsonPath: jsonPathOf(d, t) } : {}),
        }));
        if (!drafts.length) continue;
        const plan = parsePlan({
          file: '(draft)',
          text: stringify({
            format: PLAN_FORMAT,
            site: { name: 'draft' },
            job: { id: 'draft' },
            devices: [{ id: d.id, url: d.device.url, ...(d.map ? { map: d.map } : {}) }],
            signals: drafts,
          }),
        });
        const obs = await observeSignals(file, plan, window, () => undefined);
        let n = 0;
        for (const t of own) {
          if (n >= MAX_SIGNALS_PER_DEVICE) {
            notes.push(`${d.id}: only the first ${MAX_SIGNALS_PER_DEVICE} of its ${own.length} signals were drafted`);
            break;
          }
          const o2 = obs.get(t.name);
          if (!o2) continue;
          const summary = judgeSignal(plan.signals.find((s) => s.tag === t.name)!, o2).summary;
          const s = draftSignal(d, t, summary, o.windowMs);
          if (s) {
            signals.push(s);
            n++;
          }
        }
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  // Tag names must be unique in a plan: a name two devices share gets its device id in front.
  const count = new Map<string, number>();
  for (const s of signals) count.set(String(s.tag), (count.get(String(s.tag)) ?? 0) + 1);
  for (const s of signals) if ((count.get(String(s.tag)) ?? 0) > 1) s.tag = `${String(s.device)}.${String(s.tag)}`;

  // 3. Findings that would fail the acceptance: offered as commented-out waivers.
  info(io, '[3/3] Checking security passively, to list what would fail the acceptance');
  const urls = devices.map((d) => d.device.url);
  const [{ parseSecurityOptions }, { runSecurityCheck }] = await Promise.all([
    import('../checks/options.js'),
    import('../checks/security/run.js'),
  ]);
  const sec = await runSecurityCheck(quiet, parseSecurityOptions(urls, { failOn: 'none', timeout: `${o.timeoutMs}ms` }));
  const blocking = sec.targets.flatMap((t) =>
    t.findings
      .filter((f) => f.severity === 'high' || f.severity === 'critical')
      .map((f) => ({ id: `security/${devices.find((d) => d.device.url === t.target)?.id ?? t.target}/${f.ruleId}`, title: f.title })),
  );

  const doc = {
    format: PLAN_FORMAT,
    site: { name: o.site },
    job: { id: o.job },
    defaults: { security: { failOn: 'high', certificateValidity: '30d' }, latency: { p99: '50ms', loss: '1%' } },
    discovery: { ...(o.ports ? { ports: o.ports } : {}), listen: `${Math.round(o.listenMs / 1000)}s` },
    recording: { window: '5m' },
    devices: devices.map((d) => {
      const security = securityOf(d.device);
      return {
        id: d.id,
        url: d.device.url,
        description: d.device.name,
        identity: identityOf(d.device),
        ...(Object.keys(security).length ? { security } : {}),
        ...(d.map ? { map: d.map } : {}),
      };
    }),
    signals,
  };
  const text = [
    `# iiot acceptance plan, drafted by \`iiot commission init ${o.targets.join(' ')}\` on ${new Date().toISOString()}.`,
    '# A DRAFT of what was found: edit it to the I/O list the site must show (docs/commissioning.md).',
    '# Who and where go on the signed report: give site (name, location, owner) and job (id, engineer, integrator).',
    '# Security expectations below are what the devices offer today, not what a secure site needs:',
    '# tighten them (minMode: SignAndEncrypt, minPolicy: Basic256Sha256, anonymous: false, tls: required).',
    '# Ranges come from the devices (EURange) where given, else from a short look, widened; check them.',
    '# `constant: true` marks a number that did not move while iiot watched: a setpoint, a machine at',
    '# rest (run the line for the acceptance) or a stuck transmitter. Decide for each; a constant is never judged stuck.',
    planYaml(doc),
    '',
    '# Findings of the passive security check that would fail this plan (failOn: high).',
    '# Fix them, or accept them knowingly: uncomment, give the reason and who accepted it.',
    ...(blocking.length
      ? ['# waivers:', ...blocking.flatMap((b) => [`#   - item: ${b.id}    # ${b.title}`, '#     reason: ""', '#     by: ""'])]
      : ['waivers: []']),
    '',
  ].join('\n');
  // the draft must be a plan the run accepts as a file (the schema is the contract)
  parsePlan({ file: o.output, text });
  writeFileSafely(o.output, text, { force: o.force });
  for (const n of notes) warn(io, n);
  out(
    io,
    `wrote ${o.output}: ${devices.length} devices, ${signals.length} signals${blocking.length ? `, ${blocking.length} findings to fix or waive` : ''}`,
  );
  out(io, `next: edit it, then run \`iiot commission run ${o.output} -o handover/\``);
  return ExitCode.Ok;
}
