/**
 * The discovery run: every named address on every port, every named device URL, every serial
 * port, then the Sparkplug listen on every broker that let us in. Politeness first: one rate
 * limiter for every new connection (ours and those node-opcua opens), a small semaphore per host,
 * a cap on the work in flight. The result is the inventory (docs/inventory.md), in which every
 * target tried appears either as a device or in `noAnswer`.
 */
import type { Socket } from 'node:net';
import { IiotError, describeError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { formatHost, parseTarget } from '../core/targets.js';
import { toolVersion } from '../core/version.js';
import { formatDuration } from '../core/units.js';
import { compressIds, identificationName, type ModbusTcpProbeResult } from '../protocols/modbus/probe.js';
import type { RtuScanResult, RtuSetting } from '../protocols/modbus/probe-rtu.js';
import type { MqttProbeResult } from '../protocols/mqtt/probe.js';
import type { OpcUaProbeResult } from '../protocols/opcua/probe.js';
import { ProbeFailure, closeSocket, type FailureKind, type ProbeIO } from '../protocols/probe-io.js';
import type { Inventory, InventoryDevice, ModbusDevice, ModbusRtuDevice, MqttDevice, NoAnswer, OpcUaDevice, OpenPort } from './inventory.js';
import { AbortedError, RateLimiter, Semaphore } from './limiter.js';
import { Attempts, tcpConnect, type ConnectOutcome } from './net.js';
import type { DiscoverOptions, PortProtocol, PortSpec } from './options.js';
import { ipv4ToInt, resolveHosts, type HostTarget, type SerialTarget } from './targets.js';

export interface ScanProgress {
  done: number;
  total: number;
  devices: number;
  /** what is being done right now, for the progress line */
  current: string;
}

export interface ScanHooks {
  progress?: (p: ScanProgress) => void;
  /** the plan is valid (names resolved, serial ports exist): scanning starts now */
  started?: () => void;
  /** one line about something a person must know (a host that resets connections, garbage...) */
  warn?: (line: string) => void;
  debug?: (line: string) => void;
}

export interface ScanResult {
  inventory: Omit<Inventory, 'schema'>;
  /** problems that fail the run once the inventory is out (a serial port that could not be opened) */
  errors: IiotError[];
  interrupted: boolean;
}

/** Work units in flight at once (each holds at most one connection), whatever --rate says. */
const MAX_IN_FLIGHT = 256;
/**
 * Order in which an unmarked port is asked. Modbus first: OPC UA servers and MQTT brokers hang up
 * on a Modbus frame at once, while a Modbus device would sit waiting for the rest of an OPC UA Hello
 * or an MQTT CONNECT it takes for a long frame (costing a timeout each). A port number that looks
 * like a protocol's (5020, 1502: Modbus; 48xx: OPC UA; ...883: MQTT) puts that protocol first.
 */
export function fingerprintOrder(port: number): PortProtocol[] {
  const order: PortProtocol[] = ['modbus', 'opcua', 'mqtt'];
  const text = String(port);
  const guess: PortProtocol | undefined = /502/.test(text) ? 'modbus' : /484\d/.test(text) ? 'opcua' : /883$/.test(text) ? 'mqtt' : undefined;
  return guess ? [guess, ...order.filter((p) => p !== guess)] : order;
}

type Candidate = { protocol: 'opcua'; url: string } | { protocol: 'modbus'; unitIds: number[] | undefined; fingerprint?: boolean } | { protocol: 'mqtt'; tls: boolean };

type Found =
  | { protocol: 'opcua'; url: string; result: OpcUaProbeResult }
  | { protocol: 'modbus'; result: ModbusTcpProbeResult }
  | { protocol: 'mqtt'; tls: boolean; result: MqttProbeResult };

const PROTOCOL_WORDS: Record<PortProtocol, string> = { opcua: 'OPC UA', modbus: 'Modbus', mqtt: 'MQTT', mqtts: 'MQTT over TLS' };

function hostPort(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}

function canonical(url: string): string {
  return parseTarget(url).url;
}

function compareHosts(a: string, b: string): number {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b);
}

function settingText(s: RtuSetting): string {
  return `${s.baud} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

function failureResult(kind: FailureKind): NoAnswer['result'] {
  switch (kind) {
    case 'garbage':
      return 'garbage';
    case 'reset':
      return 'reset';
    case 'unreachable':
      return 'unreachable';
    case 'error':
      return 'error';
    default:
      // open, but no answer in any protocol tried (closed on us, or silent)
      return 'silent';
  }
}

export async function runScan(options: DiscoverOptions, hooks: ScanHooks, signal: AbortSignal): Promise<ScanResult> {
  const startedAt = new Date();
  const t0 = performance.now();
  const debug = hooks.debug ?? (() => {});
  const warn = hooks.warn ?? (() => {});

  // --- plan -----------------------------------------------------------------------------------
  const hosts: HostTarget[] = await resolveHosts(options.targets);
  // a port named twice is swept once (a second open would find it busy)
  const serialTargets = options.targets.serial.filter((s, i, all) => all.findIndex((x) => x.path === s.path) === i);
  if (serialTargets.length > 0) {
    const { checkSerialPath } = await import('../protocols/modbus/probe-rtu.js');
    for (const s of serialTargets) await checkSerialPath(s.path);
    if (options.unitIds?.includes(0) || serialTargets.some((s) => s.unit === 0)) {
      throw new IiotError(ExitCode.Usage, 'unit id 0 is the broadcast address on a serial line: no device answers it', { hint: 'sweep 1-247 (the default on a serial port)' });
    }
  }
  const namedHosts = new Set<string>([...hosts.map((h) => h.address.toLowerCase()), ...hosts.flatMap((h) => (h.name ? [h.name.toLowerCase()] : [])), ...options.targets.urls.map((u) => (u.target as { host: string }).host.toLowerCase())]);

  hooks.started?.();
  const rate = new RateLimiter(options.rate);
  const attempts = new Attempts(signal);
  const inFlight = new Semaphore(MAX_IN_FLIGHT, signal);
  const hostLocks = new Map<string, Semaphore>();
  const hostLock = (host: string) => {
    const key = host.toLowerCase();
    let s = hostLocks.get(key);
    if (!s) hostLocks.set(key, (s = new Semaphore(options.concurrency, signal)));
    return s;
  };

  const devices: InventoryDevice[] = [];
  const openPorts: OpenPort[] = [];
  const noAnswer: NoAnswer[] = [];
  const errors: IiotError[] = [];
  const serialScans: NonNullable<Inventory['serialScans']> = [];
  const incomplete: string[] = [];
  /** per host: results of ports that were not open, grouped */
  const closedByHost = new Map<string, Map<Exclude<ConnectOutcome['state'], 'open'>, { ports: number[]; detail: string }>>();
  const unreachableHosts = new Set<string>();
  const probedUrls = new Set<string>();
  const hostsAnswering = new Set<string>();

  let done = 0;
  let total = hosts.length * options.ports.length + options.targets.urls.length;
  let current = '';
  const tick = (n = 1, what?: string) => {
    done += n;
    if (what !== undefined) current = what;
    hooks.progress?.({ done, total, devices: devices.length, current });
  };
  const note = (what: string) => {
    current = what;
    hooks.progress?.({ done, total, devices: devices.length, current });
  };

  // --- one port -------------------------------------------------------------------------------
  const probeIO = (host: string, port: number, first: Socket | undefined): ProbeIO & { leftover(): Socket | undefined } => {
    let firstSocket = first;
    return {
      host,
      port,
      timeoutMs: options.timeoutMs,
      signal,
      async connect() {
        if (firstSocket) {
          const s = firstSocket;
          firstSocket = undefined;
          return s;
        }
        await rate.take(signal);
        const o = await tcpConnect(host, port, options.timeoutMs, attempts);
        if (o.state !== 'open') throw new ProbeFailure(o.state === 'closed' ? 'refused' : o.state, `${hostPort(host, port)}: ${o.detail}`);
        return o.socket;
      },
      slot: async () => rate.take(signal),
      debug,
      leftover: () => firstSocket,
    };
  };

  const candidatesFor = (spec: PortSpec, host: string): Candidate[] => {
    const wants = (p: PortProtocol) => (p === 'opcua' ? options.protocols.has('opcua') : p === 'modbus' ? options.protocols.has('modbus') : options.protocols.has('mqtt') || options.protocols.has('sparkplug'));
    const make = (p: PortProtocol): Candidate =>
      p === 'opcua'
        ? { protocol: 'opcua', url: canonical(`opc.tcp://${hostPort(host, spec.port)}`) }
        : p === 'modbus'
          ? { protocol: 'modbus', unitIds: options.unitIds, fingerprint: spec.protocol === undefined }
          : { protocol: 'mqtt', tls: p === 'mqtts' };
    if (spec.protocol !== undefined) return [make(spec.protocol)];
    return fingerprintOrder(spec.port).filter(wants).map(make);
  };

  const runCandidate = async (io: ProbeIO, c: Candidate): Promise<Found> => {
    switch (c.protocol) {
      case 'opcua': {
        const { probeOpcUa } = await import('../protocols/opcua/probe.js');
        return { protocol: 'opcua', url: c.url, result: await probeOpcUa(io, { url: c.url, onNetwork: options.onNetwork }) };
      }
      case 'modbus': {
        const { probeModbusTcp } = await import('../protocols/modbus/probe.js');
        return { protocol: 'modbus', result: await probeModbusTcp(io, { unitIds: c.unitIds, unitTimeoutMs: options.unitTimeoutMs ?? Math.min(250, options.timeoutMs), fingerprint: c.fingerprint === true }) };
      }
      case 'mqtt': {
        const { probeMqtt } = await import('../protocols/mqtt/probe.js');
        return { protocol: 'mqtt', tls: c.tls, result: await probeMqtt(io, { tls: c.tls }) };
      }
    }
  };

  /** Tries the candidates in turn on an open port; records a device or a no-answer. */
  const confirm = async (host: string, port: number, socket: Socket | undefined, candidates: Candidate[], via: 'scan' | 'url' | 'lds' | 'mdns', connectMs: number | undefined): Promise<void> => {
    const failures: Array<{ protocol: string; failure: ProbeFailure }> = [];
    const io = probeIO(host, port, socket);
    let found: Found | undefined;
    try {
      for (const c of candidates) {
        if (signal.aborted) break;
        note(`${hostPort(host, port)} ${PROTOCOL_WORDS[c.protocol === 'mqtt' && c.tls ? 'mqtts' : c.protocol]}`);
        try {
          found = await runCandidate(io, c);
          break;
        } catch (err) {
          if (err instanceof AbortedError) throw err;
          if (!(err instanceof ProbeFailure)) {
            if (err instanceof IiotError) {
              failures.push({ protocol: c.protocol, failure: new ProbeFailure('error', err.message) });
              continue;
            }
            throw err;
          }
          debug(`${hostPort(host, port)} ${c.protocol}: ${err.message}`);
          failures.push({ protocol: c.protocol, failure: err });
          // refused or unreachable now: the port went away, no point asking again
          if (err.kind === 'refused' || err.kind === 'unreachable') break;
        }
      }
    } finally {
      const s = io.leftover();
      if (s) closeSocket(s);
    }
    if (connectMs !== undefined) {
      openPorts.push({ host, port, ...(found ? { protocol: found.protocol } : {}), ...(found?.protocol === 'mqtt' && found.tls ? { tls: true } : {}), connectMs: Math.round(connectMs * 10) / 10 });
    }
    if (found) {
      record(host, port, found, via);
      return;
    }
    if (signal.aborted) return;
    // open, but not one of ours: say what it did
    const worst = failures.find((f) => f.failure.kind === 'garbage') ?? failures.find((f) => f.failure.kind === 'reset') ?? failures[0];
    const tried = candidates.map((c) => PROTOCOL_WORDS[c.protocol === 'mqtt' && c.tls ? 'mqtts' : c.protocol]).join(', ');
    const result = worst ? failureResult(worst.failure.kind) : 'silent';
    const detail = worst ? worst.failure.message : 'no answer';
    noAnswer.push({ target: hostPort(host, port), host, port, ...(candidates.length === 1 ? { protocol: candidates[0]!.protocol } : {}), result, detail: `tried ${tried}: ${detail}` });
    if (result === 'garbage') warn(`${hostPort(host, port)} answered, but not in ${tried}: ${detail}`);
    else if (result === 'reset') warn(`${hostPort(host, port)} accepts connections and resets them (tried ${tried}): a firewall, a connection limit, or a device that refuses this client`);
    else if (via !== 'scan') warn(`${hostPort(host, port)}: no ${tried} answer (${detail})`);
  };

  /** Each URL once: a port named both by a range and by a URL is probed twice at most, listed once. */
  const known = new Set<string>();
  const push = (d: InventoryDevice) => {
    if (known.has(d.url)) return;
    known.add(d.url);
    devices.push(d);
  };
  const record = (host: string, port: number, f: Found, via: 'scan' | 'url' | 'lds' | 'mdns') => {
    hostsAnswering.add(host);
    if (f.protocol === 'opcua') {
      const r = f.result;
      probedUrls.add(f.url);
      const app = r.application;
      const isLds = app?.applicationType === 'DiscoveryServer';
      const device: OpcUaDevice = {
        url: f.url,
        name: app?.applicationName ? `${app.applicationName}${isLds ? ' (discovery server)' : ''}` : 'OPC UA server',
        via,
        host,
        port,
        protocol: 'opcua',
        identity: app ? { ...app } : {},
        endpoints: r.endpoints,
        ...(r.certificate ? { certificate: r.certificate } : {}),
        ...(r.registeredServers ? { registeredServers: r.registeredServers.map((s) => ({ ...s, contacted: false })) } : {}),
        ...(r.serversOnNetwork ? { serversOnNetwork: r.serversOnNetwork.map((x) => ({ ...x, contacted: false })) } : {}),
        ...(r.errors.length ? { notes: [...r.errors] } : {}),
      };
      push(device);
      return;
    }
    if (f.protocol === 'mqtt') {
      const r = f.result;
      const url = canonical(`${f.tls ? 'mqtts' : 'mqtt'}://${hostPort(host, port)}`);
      probedUrls.add(url);
      const device: MqttDevice = {
        url,
        name: `MQTT ${r.protocolVersion} broker${f.tls ? ' (TLS)' : ''}, ${r.anonymous === 'accepted' ? 'anonymous accepted' : r.anonymous === 'refused' ? 'authentication required' : `CONNACK: ${r.connack.reason}`}`,
        via,
        host,
        port,
        protocol: 'mqtt',
        identity: { protocolVersion: r.protocolVersion, anonymous: r.anonymous, connack: r.connack, ...(r.capabilities ? { capabilities: r.capabilities } : {}) },
        ...(r.tls ? { tls: { ...r.tls } } : {}),
      };
      push(device);
      return;
    }
    const r = f.result;
    const base = canonical(`modbus://${hostPort(host, port)}`).replace(/\?.*$/, '');
    for (const u of r.units) {
      const url = canonical(`${base}?unit=${u.unit}`);
      probedUrls.add(url);
      const gateway = r.gatewayExceptions.length > 0 ? true : undefined;
      const device: ModbusDevice = {
        url,
        name: identificationName(u.identification) ?? `Modbus device, unit ${u.unit}`,
        via,
        host,
        port,
        protocol: 'modbus',
        unit: u.unit,
        identity: u.identification ?? {},
        modbus: { read: u.read, identification: u.identificationResult, ...(u.identificationDetail ? { identificationDetail: u.identificationDetail } : {}), ...(gateway ? { gateway } : {}) },
        responseMs: Math.round(u.read.ms * 10) / 10,
      };
      push(device);
    }
    if (r.units.length === 0 && r.gatewayExceptions.length > 0) {
      const first = r.gatewayExceptions[0]!;
      const ids = compressIds(r.gatewayExceptions.map((g) => g.unit));
      push({
        url: canonical(`${base}?unit=${first.unit}`),
        name: `Modbus TCP gateway, no device at unit ${ids}`,
        via,
        host,
        port,
        protocol: 'modbus',
        unit: first.unit,
        identity: {},
        modbus: { read: { function: 3, address: 0, answer: 'exception', exception: first.exception, ms: 0 }, identification: 'no-answer', identificationDetail: 'not asked: the gateway has no device at this unit id', gateway: true },
        notes: [`a gateway answers, but nothing behind it at unit ${ids}: sweep its unit ids with \`iiot discover ${base} --unit-ids 1-247\``],
      });
    }
    const swept = options.unitIds !== undefined;
    if (swept && r.silent.length > 0) noAnswer.push({ target: `${base} units ${compressIds(r.silent)}`, host, port, protocol: 'modbus', units: compressIds(r.silent), result: 'no-device', detail: 'no answer within the unit timeout' });
    if (swept && r.gatewayExceptions.length > 0 && r.units.length > 0) {
      noAnswer.push({ target: `${base} units ${compressIds(r.gatewayExceptions.map((g) => g.unit))}`, host, port, protocol: 'modbus', units: compressIds(r.gatewayExceptions.map((g) => g.unit)), result: 'no-device', detail: gatewayDetail(r.gatewayExceptions) });
    }
    for (const g of r.garbage) {
      noAnswer.push({ target: `${base}?unit=${g.unit}`, host, port, protocol: 'modbus', units: String(g.unit), result: 'garbage', detail: g.detail });
      warn(g.detail);
    }
  };

  /** Connects to one port of a scanned host, then confirms the protocol. */
  const scanPort = async (h: HostTarget, spec: PortSpec): Promise<void> => {
    const host = h.address;
    try {
      await hostLock(host).use(() =>
        inFlight.use(async () => {
          if (unreachableHosts.has(host)) {
            addClosed(host, 'unreachable', spec.port, 'host unreachable (not tried again)');
            return;
          }
          const wait = rate.take(signal);
          if (wait) await wait;
          if (hooks.progress) note(hostPort(host, spec.port));
          const o = await tcpConnect(host, spec.port, options.timeoutMs, attempts);
          if (signal.aborted) {
            if (o.state === 'open') o.socket.destroy();
            return;
          }
          if (o.state === 'reset') {
            // accepted and reset before we could even write: the same as a reset on the first request
            const words = spec.protocol === undefined ? 'any protocol' : PROTOCOL_WORDS[spec.protocol];
            noAnswer.push({ target: hostPort(host, spec.port), host, port: spec.port, ...(spec.protocol ? { protocol: spec.protocol === 'mqtts' ? 'mqtt' : spec.protocol } : {}), result: 'reset', detail: `${hostPort(host, spec.port)}: the connection was reset` });
            warn(`${hostPort(host, spec.port)} accepts connections and resets them (tried ${words}): a firewall, a connection limit, or a device that refuses this client`);
            hostsAnswering.add(host);
            return;
          }
          if (o.state !== 'open') {
            if (o.state === 'unreachable') unreachableHosts.add(host);
            addClosed(host, o.state, spec.port, o.detail);
            return;
          }
          hostsAnswering.add(host);
          if (!options.probe) {
            closeSocket(o.socket);
            openPorts.push({ host, port: spec.port, connectMs: Math.round(o.ms * 10) / 10 });
            return;
          }
          await confirm(host, spec.port, o.socket, candidatesFor(spec, host), 'scan', o.ms);
        }),
      );
    } catch (err) {
      if (!(err instanceof AbortedError)) throw err;
    } finally {
      tick();
    }
  };

  /** Up to --concurrency workers per host take its ports in turn. */
  const scanHost = async (h: HostTarget): Promise<void> => {
    const queue = [...options.ports];
    const worker = async () => {
      for (let spec = queue.shift(); spec !== undefined; spec = queue.shift()) await scanPort(h, spec);
    };
    await Promise.all(Array.from({ length: Math.min(options.concurrency, queue.length) }, worker));
  };

  const addClosed = (host: string, state: Exclude<ConnectOutcome['state'], 'open'>, port: number, detail: string) => {
    let m = closedByHost.get(host);
    if (!m) closedByHost.set(host, (m = new Map()));
    const entry = m.get(state);
    if (entry) entry.ports.push(port);
    else m.set(state, { ports: [port], detail });
  };

  /** A device URL named on the command line (or learnt from an LDS or mDNS): probed as named. */
  const probeService = async (url: string, via: 'url' | 'lds' | 'mdns', unitGiven: boolean): Promise<void> => {
    const t = parseTarget(url);
    if (t.protocol === 'modbus-rtu' || t.protocol === 'tcp') return;
    if (probedUrls.has(t.url)) return;
    probedUrls.add(t.url);
    const candidate: Candidate =
      t.protocol === 'opcua' ? { protocol: 'opcua', url: t.url } : t.protocol === 'modbus' ? { protocol: 'modbus', unitIds: options.unitIds ?? (unitGiven ? [t.unit] : undefined) } : { protocol: 'mqtt', tls: t.tls };
    try {
      await hostLock(t.host).use(
        () =>
          inFlight.use(async () => {
            await rate.take(signal);
            note(t.url);
            const o = await tcpConnect(t.host, t.port, options.timeoutMs, attempts);
            if (signal.aborted) {
              if (o.state === 'open') o.socket.destroy();
              return;
            }
            if (o.state !== 'open') {
              noAnswer.push({ target: t.url, host: t.host, port: t.port, protocol: t.protocol, result: o.state === 'closed' ? 'closed' : o.state, detail: o.detail });
              if (via === 'url') warn(`${t.url}: ${o.detail}`);
              return;
            }
            hostsAnswering.add(t.host);
            if (!options.probe) {
              closeSocket(o.socket);
              openPorts.push({ host: t.host, port: t.port, connectMs: Math.round(o.ms * 10) / 10 });
              return;
            }
            await confirm(t.host, t.port, o.socket, [candidate], via, o.ms);
          }),
      );
    } catch (err) {
      if (!(err instanceof AbortedError)) throw err;
    } finally {
      tick();
    }
  };

  // --- serial lines ---------------------------------------------------------------------------
  const serialSettings = (s: SerialTarget): RtuSetting[] => {
    const bauds = s.baud !== undefined ? [s.baud] : options.bauds;
    const parities = s.parity !== undefined ? [s.parity] : options.parities;
    const out: RtuSetting[] = [];
    for (const baud of bauds) for (const parity of parities) out.push({ baud, parity, dataBits: s.dataBits ?? 8, stopBits: s.stopBits ?? 1 });
    return out;
  };
  const serialUnits = (s: SerialTarget): number[] => options.unitIds ?? (s.unit !== undefined ? [s.unit] : Array.from({ length: 247 }, (_, i) => i + 1));
  for (const s of serialTargets) total += serialSettings(s).length * serialUnits(s).length;

  const scanSerial = async (s: SerialTarget): Promise<void> => {
    const { scanRtu } = await import('../protocols/modbus/probe-rtu.js');
    const settings = serialSettings(s);
    const unitIds = serialUnits(s);
    let result: RtuScanResult;
    try {
      result = await scanRtu({
        path: s.path,
        settings,
        unitIds,
        unitTimeoutMs: options.unitTimeoutMs,
        signal,
        onProgress: (setting, unit) => tick(1, `${s.path} ${settingText(setting)} unit ${unit}`),
        debug,
      });
    } catch (err) {
      if (err instanceof IiotError) {
        errors.push(err);
        incomplete.push(`${s.path}: ${err.message}`);
        noAnswer.push({ target: s.path, path: s.path, protocol: 'modbus-rtu', result: 'error', detail: err.message });
        return;
      }
      throw err;
    }
    if (!result.complete) incomplete.push(`${s.path}: interrupted`);
    for (const x of result.settings) {
      serialScans.push({ path: s.path, setting: { ...x.setting }, unitIds: x.unitIds, answered: [...x.answered], ms: Math.round(x.ms), unitTimeoutMs: x.timing.unitTimeoutMs, interFrameMs: Math.round(x.timing.interFrameMs * 1000) / 1000, charMs: Math.round(x.timing.charMs * 10000) / 10000 });
    }
    const byUnit = new Map<number, typeof result.found>();
    for (const f of result.found) byUnit.set(f.unit, [...(byUnit.get(f.unit) ?? []), f]);
    for (const [unit, list] of [...byUnit.entries()].sort((a, b) => a[0] - b[0])) {
      const first = list[0]!;
      const id = list.find((f) => f.identification)?.identification;
      const setting = first.setting;
      const url = canonical(`modbus-rtu://${s.path}?baud=${setting.baud}&parity=${setting.parity}&databits=${setting.dataBits}&stopbits=${setting.stopBits}&unit=${unit}`);
      const device: ModbusRtuDevice = {
        url,
        name: identificationName(id) ?? `Modbus RTU device, unit ${unit}`,
        via: 'serial',
        protocol: 'modbus-rtu',
        path: s.path,
        unit,
        serial: { ...setting },
        ...(list.length > 1 ? { alsoAnswersAt: list.slice(1).map((f) => ({ ...f.setting })) } : {}),
        identity: id ?? {},
        modbus: { read: first.read, identification: first.identificationResult, ...(first.identificationDetail ? { identificationDetail: first.identificationDetail } : {}) },
        responseMs: Math.round(first.read.ms * 10) / 10,
        ...(list.length > 1 ? { notes: [`also answers at ${list.slice(1).map((f) => settingText(f.setting)).join(', ')}: on a real line only one setting should work (a pseudo-terminal ignores settings; some devices ignore parity)`] } : {}),
      };
      push(device);
    }
    for (const summary of result.settings) {
      const tried = unitIds.slice(0, summary.unitIds);
      const silent = tried.filter((u) => !summary.answered.includes(u) && !summary.garbage.includes(u));
      if (silent.length > 0) {
        noAnswer.push({ target: `${s.path} ${settingText(summary.setting)} units ${compressIds(silent)}`, path: s.path, protocol: 'modbus-rtu', setting: { ...summary.setting }, units: compressIds(silent), result: 'no-device', detail: `no answer within ${summary.timing.unitTimeoutMs} ms` });
      }
    }
    for (const g of result.garbage) {
      noAnswer.push({ target: `${s.path} ${settingText(g.setting)} unit ${g.unit}`, path: s.path, protocol: 'modbus-rtu', setting: { ...g.setting }, units: String(g.unit), result: 'garbage', detail: g.detail });
      warn(`${s.path} at ${settingText(g.setting)}: unit ${g.unit} answered with a corrupt frame (${g.detail}): a device at other settings, or noise on the line`);
    }
  };

  // --- mDNS -----------------------------------------------------------------------------------
  let mdnsResult: Inventory['mdns'];
  const runMdns = async () => {
    const { browseOpcUaMdns } = await import('../protocols/opcua/mdns.js');
    const r = await browseOpcUaMdns({ durationMs: Math.max(1000, options.timeoutMs), signal });
    mdnsResult = { servers: r.servers.map((s) => ({ ...s, contacted: false })), ...(r.error ? { error: r.error } : {}) };
  };

  // --- run ------------------------------------------------------------------------------------
  const serialWork = Promise.all(serialTargets.map((s) => scanSerial(s)));
  const mdnsWork = options.mdns ? runMdns() : Promise.resolve();
  const tasks: Array<Promise<void>> = [];
  // every host starts at once: the rate limiter hands its slots round the hosts, not host after host
  for (const h of hosts) tasks.push(scanHost(h));
  for (const u of options.targets.urls) tasks.push(probeService(u.url, 'url', u.unitGiven));
  await Promise.all(tasks);
  await mdnsWork;

  // Servers an LDS (FindServers, FindServersOnNetwork) or mDNS told us about: contacted only when
  // their host was named, and only when that host and port was not probed already.
  const opcuaHostPorts = () => new Set(devices.flatMap((d) => (d.protocol === 'opcua' ? [`${d.host.toLowerCase()}:${d.port}`] : [])));
  const follow = async () => {
    for (let round = 0; round < 3; round++) {
      const seen = opcuaHostPorts();
      const next = new Map<string, 'lds' | 'mdns'>();
      const consider = (url: string, via: 'lds' | 'mdns'): boolean => {
        let t;
        try {
          t = parseTarget(url);
        } catch {
          return false; // an announcement we cannot use
        }
        if (t.protocol !== 'opcua' || !namedHosts.has(t.host.toLowerCase())) return false;
        if (!seen.has(`${t.host.toLowerCase()}:${t.port}`) && !probedUrls.has(t.url) && !next.has(t.url)) next.set(t.url, via);
        return true;
      };
      for (const d of devices) {
        if (d.protocol !== 'opcua') continue;
        for (const s of d.registeredServers ?? []) for (const u of s.discoveryUrls) if (consider(u, 'lds')) s.contacted = true;
        for (const s of d.serversOnNetwork ?? []) if (consider(s.discoveryUrl, 'lds')) s.contacted = true;
      }
      if (mdnsResult && round === 0) {
        for (const s of mdnsResult.servers) {
          // the announced name may not resolve here: use the address when the answer had one
          if (consider(s.url, 'mdns') || consider(`opc.tcp://${formatHost(s.host)}:${s.port}${s.path}`, 'mdns')) s.contacted = true;
        }
      }
      if (next.size === 0 || signal.aborted || !options.probe) break;
      total += next.size;
      await Promise.all([...next].map(([u, via]) => probeService(u, via, false)));
    }
  };
  if (!signal.aborted) await follow();

  // Sparkplug: listen on every broker that let us in anonymously.
  if (options.protocols.has('sparkplug') && options.probe && !signal.aborted && options.listenMs > 0) {
    const brokers = devices.filter((d): d is MqttDevice => d.protocol === 'mqtt');
    total += brokers.length;
    const { listenSparkplug } = await import('../protocols/mqtt/sparkplug-listen.js');
    await Promise.all(
      brokers.map(async (b) => {
        if (b.identity.anonymous !== 'accepted') {
          (b.notes ??= []).push('Sparkplug not listened to: the broker wants authentication');
          tick();
          return;
        }
        try {
          await hostLock(b.host).use(async () => {
            // A listen is seconds of silence: the progress line counts them down, so the scan
            // never looks hung (it was one unchanging line for the whole --listen).
            const started = Date.now();
            const countdown = () => note(`listening for Sparkplug births on ${b.url}: ${Math.max(0, Math.ceil((options.listenMs - (Date.now() - started)) / 1000))} s left`);
            countdown();
            const ticker = hooks.progress ? setInterval(countdown, 1000) : undefined;
            debug(`listening for Sparkplug births on ${b.url} for ${options.listenMs} ms`);
            const r = await listenSparkplug({ url: b.url, listenMs: options.listenMs, rebirth: options.rebirth, timeoutMs: options.timeoutMs, signal, slot: async () => rate.take(signal), debug }).finally(() => clearInterval(ticker));
            const { brokerVersion, ...rest } = r;
            b.sparkplug = rest;
            if (brokerVersion) {
              b.identity.version = brokerVersion;
              b.name = `${brokerVersion} (${b.name})`;
            }
            const nodes = r.groups.flatMap((g) => g.nodes);
            const id = (n: { groupId: string; edgeNodeId: string }) => `${n.groupId}/${n.edgeNodeId}`;
            // births that came but did not decode: a rebirth would bring the same bytes again
            const garbled = [
              ...nodes.filter((n) => n.birth === 'not-seen' && n.undecodableBirths).map((n) => ({ who: id(n), error: n.birthError })),
              ...nodes.flatMap((n) => n.devices.filter((d) => d.birth === 'not-seen' && d.undecodableBirths).map((d) => ({ who: `${id(n)}/${d.deviceId}`, error: d.birthError }))),
            ];
            if (garbled.length > 0) {
              (b.notes ??= []).push(`${garbled.map((g) => g.who).join(', ')}: births seen but not decodable as Sparkplug B (${garbled[0]!.error ?? 'damaged payload'}); a rebirth would bring the same; iiot record --raw keeps such payloads byte-exact for the vendor`);
            }
            const quiet = nodes.filter((n) => n.birth === 'not-seen' && !n.undecodableBirths);
            if (quiet.length > 0 && !options.rebirth) {
              (b.notes ??= []).push(`${quiet.map(id).join(', ')}: seen in data only, births not seen; --rebirth asks the node to publish them again (a write: NCMD Node Control/Rebirth)`);
            }
            const unanswered = quiet.filter((n) => n.rebirthRequested);
            if (unanswered.length > 0) {
              (b.notes ??= []).push(`${unanswered.map(id).join(', ')}: asked to rebirth, but no birth came back within the ${formatDuration(r.listenedMs)} listen: the node may not act on Node Control/Rebirth, or needs longer (--listen)`);
            }
          });
        } catch (err) {
          if (err instanceof AbortedError) return;
          (b.notes ??= []).push(`Sparkplug listen failed: ${describeError(err)}`);
        } finally {
          tick();
        }
      }),
    );
  }
  await serialWork;

  // --- the inventory --------------------------------------------------------------------------
  const interrupted = signal.aborted;
  if (interrupted) incomplete.unshift('interrupted before every target was tried');
  for (const [host, m] of [...closedByHost.entries()].sort((a, b) => compareHosts(a[0], b[0]))) {
    for (const [state, { ports, detail }] of m) {
      const result: NoAnswer['result'] = state === 'closed' ? 'closed' : state;
      noAnswer.push({ target: host, host, ports: [...ports].sort((a, b) => a - b), result, detail });
    }
  }
  devices.sort((a, b) => {
    const ka = a.protocol === 'modbus-rtu' ? 1 : 0;
    const kb = b.protocol === 'modbus-rtu' ? 1 : 0;
    if (ka !== kb) return ka - kb;
    if (a.protocol === 'modbus-rtu' || b.protocol === 'modbus-rtu') return a.url.localeCompare(b.url);
    return compareHosts(a.host, b.host) || a.port - b.port || ((a as { unit?: number }).unit ?? 0) - ((b as { unit?: number }).unit ?? 0);
  });
  openPorts.sort((a, b) => compareHosts(a.host, b.host) || a.port - b.port || (b.protocol ? 1 : 0) - (a.protocol ? 1 : 0));
  // a port reached both through a range and a URL: once, with what it turned out to speak
  for (let i = openPorts.length - 1; i > 0; i--) {
    if (openPorts[i]!.host === openPorts[i - 1]!.host && openPorts[i]!.port === openPorts[i - 1]!.port) openPorts.splice(i, 1);
  }

  const byProtocol: Record<string, number> = {};
  for (const p of ['opcua', 'modbus', 'modbus-rtu', 'mqtt'] as const) {
    const n = devices.filter((d) => d.protocol === p).length;
    if (n > 0) byProtocol[p] = n;
  }
  const nodes = devices.flatMap((d) => (d.protocol === 'mqtt' && d.sparkplug ? d.sparkplug.groups.flatMap((g) => g.nodes) : []));
  const finishedAt = new Date();
  const inventory: Omit<Inventory, 'schema'> = {
    tool: `iiot ${toolVersion()}`,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: Math.round(performance.now() - t0),
    complete: !interrupted && incomplete.length === 0,
    ...(incomplete.length ? { incomplete } : {}),
    scope: {
      targets: options.targetTexts,
      protocols: [...options.protocols],
      ports: options.ports.map((p) => ({ ...p })),
      hosts: hosts.length,
      serial: serialTargets.map((s) => s.path),
      probe: options.probe,
      rate: options.rate,
      concurrency: options.concurrency,
      timeoutMs: options.timeoutMs,
      ...(options.unitIds ? { unitIds: compressIds(options.unitIds) } : {}),
      ...(options.unitTimeoutMs !== undefined ? { unitTimeoutMs: options.unitTimeoutMs } : {}),
      ...(serialTargets.length ? { bauds: options.bauds, parities: options.parities } : {}),
      listenMs: options.listenMs,
      rebirth: options.rebirth,
      mdns: options.mdns,
      onNetwork: options.onNetwork,
    },
    summary: {
      devices: devices.length,
      byProtocol,
      sparkplugNodes: nodes.length,
      sparkplugDevices: nodes.reduce((n, x) => n + x.devices.length, 0),
      hostsScanned: hosts.length,
      hostsAnswering: hostsAnswering.size,
      connections: rate.taken,
      noAnswer: noAnswer.length,
    },
    devices,
    openPorts,
    noAnswer,
    ...(serialScans.length ? { serialScans } : {}),
    ...(mdnsResult ? { mdns: mdnsResult } : {}),
  };
  return { inventory, errors, interrupted };
}

/** What a gateway's 0x0A / 0x0B answers mean, in the words of the Modbus specification. */
function gatewayDetail(answers: ReadonlyArray<{ exception: number }>): string {
  const codes = [...new Set(answers.map((a) => a.exception))].sort((a, b) => a - b);
  const words: Record<number, string> = { 10: 'gateway path unavailable', 11: 'gateway target device failed to respond' };
  return `the gateway answered ${codes.map((c) => `exception ${c} (${words[c] ?? 'gateway exception'})`).join(' and ')}`;
}
