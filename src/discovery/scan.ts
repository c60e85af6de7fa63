/**
 * The discovery run: every named address on every port, every named device URL, then what each
 * protocol does of its own (src/protocols/<name>/discover.ts: the serial sweep, the servers an
 * LDS or mDNS tells of, the Sparkplug listen on every broker that let us in). Politeness first: one rate
 * limiter for every new connection (ours and those node-opcua opens), a small semaphore per host,
 * a cap on the work in flight. The result is the inventory (docs/inventory.md), in which every
 * target tried appears either as a device or in `noAnswer`.
 */
import type { Socket } from 'node:net';
import { IiotError } from '../core/errors.js';
import { formatHost, parseTarget } from '../core/targets.js';
import { toolVersion } from '../core/version.js';
import { compressIds } from '../protocols/modbus/probe.js';
import type { Ask, DeviceBase, ProtocolScan, ScanContext, Via } from '../protocols/discovery.js';
import { ProbeFailure, closeSocket, type FailureKind, type ProbeIO } from '../protocols/probe-io.js';
import { DISCOVERABLE, markOwner, protocolFor } from '../protocols/registry.js';
import type { Inventory, InventoryDevice, NoAnswer, OpenPort } from './inventory.js';
import { AbortedError, RateLimiter, Semaphore } from './limiter.js';
import { Attempts, tcpConnect, type ConnectOutcome } from './net.js';
import { markSelected, type DiscoverOptions, type PortProtocol, type PortSpec } from './options.js';
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

/** The mark a protocol asks an unmarked port with (its first). */
const firstMark = (p: (typeof DISCOVERABLE)[number]) => Object.keys(p.discovery.marks)[0]!;

/**
 * Order in which an unmarked port is asked: by the protocols' ranks (Modbus first: OPC UA servers
 * and MQTT brokers hang up on a Modbus frame at once, while a Modbus device would sit waiting for
 * the rest of an OPC UA Hello or an MQTT CONNECT it takes for a long frame, costing a timeout
 * each). A port number that looks like a protocol's (5020, 1502: Modbus; 48xx: OPC UA; ...883:
 * MQTT) puts that protocol first.
 */
export function fingerprintOrder(port: number): PortProtocol[] {
  const byRank = [...DISCOVERABLE].sort((a, b) => a.discovery.rank - b.discovery.rank);
  const order = byRank.map(firstMark);
  const text = String(port);
  const looks = byRank.find((p) => p.discovery.looksLike.test(text));
  const guess = looks ? firstMark(looks) : undefined;
  return guess ? [guess, ...order.filter((p) => p !== guess)] : order;
}

/** A protocol to ask an open port. */
interface Candidate {
  protocol: string;
  scan: ProtocolScan;
  ask: Ask;
}

interface Found {
  scan: ProtocolScan;
  result: unknown;
}

/** "MQTT over TLS": a --ports mark in the words of messages. */
function markWords(mark: string): string {
  return markOwner(mark)?.discovery.marks[mark] ?? mark;
}

function hostPort(host: string, port: number): string {
  return `${formatHost(host)}:${port}`;
}

function compareHosts(a: string, b: string): number {
  const x = ipv4ToInt(a);
  const y = ipv4ToInt(b);
  if (x !== undefined && y !== undefined) return x - y;
  if (x !== undefined) return -1;
  if (y !== undefined) return 1;
  return a.localeCompare(b);
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
  const plan = await planScan(options);
  const scan = new Scan(options, hooks, signal, plan);
  await scan.prepare();
  hooks.started?.();
  await scan.run();
  return { inventory: scan.inventory(startedAt, t0), errors: scan.errors, interrupted: signal.aborted };
}

interface ScanPlan {
  hosts: HostTarget[];
  /** each serial port once: a port named twice is swept once (a second open would find it busy) */
  serial: SerialTarget[];
  /** addresses and names named on the command line, lower case */
  namedHosts: Set<string>;
}

async function planScan(options: DiscoverOptions): Promise<ScanPlan> {
  const hosts: HostTarget[] = await resolveHosts(options.targets);
  const serial = options.targets.serial.filter((s, i, all) => all.findIndex((x) => x.path === s.path) === i);
  const namedHosts = new Set<string>([
    ...hosts.map((h) => h.address.toLowerCase()),
    ...hosts.flatMap((h) => (h.name ? [h.name.toLowerCase()] : [])),
    ...options.targets.urls.map((u) => (u.target as { host: string }).host.toLowerCase()),
  ]);
  return { hosts, serial, namedHosts };
}

/** One discovery run: what it found so far, its politeness, its progress. */
class Scan {
  readonly errors: IiotError[] = [];
  private readonly rate: RateLimiter;
  private readonly attempts: Attempts;
  private readonly inFlight: Semaphore;
  private readonly hostLocks = new Map<string, Semaphore>();
  private readonly devices: InventoryDevice[] = [];
  private readonly openPorts: OpenPort[] = [];
  private readonly noAnswer: NoAnswer[] = [];
  private readonly incomplete: string[] = [];
  /** per host: results of ports that were not open, grouped */
  private readonly closedByHost = new Map<string, Map<Exclude<ConnectOutcome['state'], 'open'>, { ports: number[]; detail: string }>>();
  private readonly unreachableHosts = new Set<string>();
  private readonly probedUrls = new Set<string>();
  private readonly hostsAnswering = new Set<string>();
  /** each URL once: a port named both by a range and by a URL is probed twice at most, listed once */
  private readonly known = new Set<string>();
  /** each protocol's part, by name, in the registry's order */
  private readonly scans = new Map<string, ProtocolScan>();
  private done = 0;
  private total: number;
  private current = '';
  private readonly debug: (line: string) => void;
  private readonly warn: (line: string) => void;

  constructor(
    private readonly options: DiscoverOptions,
    private readonly hooks: ScanHooks,
    private readonly signal: AbortSignal,
    private readonly plan: ScanPlan,
  ) {
    this.debug = hooks.debug ?? (() => {});
    this.warn = hooks.warn ?? (() => {});
    this.rate = new RateLimiter(options.rate);
    this.attempts = new Attempts(signal);
    this.inFlight = new Semaphore(MAX_IN_FLIGHT, signal);
    this.total = plan.hosts.length * options.ports.length + options.targets.urls.length;
  }

  // --- plan ---------------------------------------------------------------------------------------

  /** Loads each protocol's part and lets it check what it was given (serial ports exist). */
  async prepare(): Promise<void> {
    const context = this.context();
    for (const p of DISCOVERABLE) this.scans.set(p.name, await p.discovery.scan(context));
    for (const s of this.scans.values()) await s.prepare?.();
  }

  private context(): ScanContext {
    const o = this.options;
    return {
      settings: {
        timeoutMs: o.timeoutMs,
        unitIds: o.unitIds,
        unitTimeoutMs: o.unitTimeoutMs,
        bauds: o.bauds,
        parities: o.parities,
        listenMs: o.listenMs,
        rebirth: o.rebirth,
        mdns: o.mdns,
        onNetwork: o.onNetwork,
        probe: o.probe,
        protocols: o.protocols,
        serial: this.plan.serial,
      },
      signal: this.signal,
      push: (d) => this.push(d),
      devices: () => this.devices,
      noAnswer: (entry) => this.noAnswer.push(entry),
      probed: this.probedUrls,
      fail: (err) => this.errors.push(err),
      incomplete: (why) => this.incomplete.push(why),
      warn: (line) => this.warn(line),
      debug: (line) => this.debug(line),
      note: (what) => this.note(what),
      tick: (n, what) => this.tick(n, what),
      plan: (n) => (this.total += n),
      showsProgress: this.hooks.progress !== undefined,
      slot: async () => this.rate.take(this.signal),
      hostLock: (host) => this.hostLock(host),
      isAbort: (err) => err instanceof AbortedError,
      named: (host) => this.plan.namedHosts.has(host.toLowerCase()),
      probeUrl: (url, via) => this.probeService(url, via, false),
    };
  }

  private tick(n = 1, what?: string): void {
    this.done += n;
    if (what !== undefined) this.current = what;
    this.hooks.progress?.({ done: this.done, total: this.total, devices: this.devices.length, current: this.current });
  }

  private note(what: string): void {
    this.current = what;
    this.hooks.progress?.({ done: this.done, total: this.total, devices: this.devices.length, current: this.current });
  }

  private hostLock(host: string): Semaphore {
    const key = host.toLowerCase();
    let s = this.hostLocks.get(key);
    if (!s) this.hostLocks.set(key, (s = new Semaphore(this.options.concurrency, this.signal)));
    return s;
  }

  // --- run ----------------------------------------------------------------------------------------

  async run(): Promise<void> {
    for (const s of this.scans.values()) this.total += s.plannedWork?.() ?? 0;
    for (const s of this.scans.values()) s.start?.();
    const tasks: Array<Promise<void>> = [];
    // every host starts at once: the rate limiter hands its slots round the hosts, not host after host
    for (const h of this.plan.hosts) tasks.push(this.scanHost(h));
    for (const u of this.options.targets.urls) tasks.push(this.probeService(u.url, 'url', u.unitGiven));
    await Promise.all(tasks);
    for (const s of this.scans.values()) await s.afterScan?.();
    for (const s of this.scans.values()) await s.finish?.();
  }

  // --- one port -----------------------------------------------------------------------------------

  private probeIO(host: string, port: number, first: Socket | undefined): ProbeIO & { leftover(): Socket | undefined } {
    let firstSocket = first;
    const { rate, attempts, signal, options } = this;
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
      debug: this.debug,
      leftover: () => firstSocket,
    };
  }

  private candidate(mark: string, host: string, port: number, fingerprint: boolean): Candidate {
    const protocol = markOwner(mark)!.name;
    const scan = this.scans.get(protocol)!;
    return { protocol, scan, ask: scan.ask(mark, host, port, fingerprint) };
  }

  private candidatesFor(spec: PortSpec, host: string): Candidate[] {
    if (spec.protocol !== undefined) return [this.candidate(spec.protocol, host, spec.port, false)];
    return fingerprintOrder(spec.port)
      .filter((p) => markSelected(p, this.options.protocols))
      .map((p) => this.candidate(p, host, spec.port, true));
  }

  /** Tries the candidates in turn on an open port; records a device or a no-answer. */
  private async confirm(
    host: string,
    port: number,
    socket: Socket | undefined,
    candidates: Candidate[],
    via: Via,
    connectMs: number | undefined,
  ): Promise<void> {
    const { signal } = this;
    const failures: Array<{ protocol: string; failure: ProbeFailure }> = [];
    const io = this.probeIO(host, port, socket);
    let found: Found | undefined;
    try {
      for (const c of candidates) {
        if (signal.aborted) break;
        this.note(`${hostPort(host, port)} ${markWords(c.ask.mark)}`);
        try {
          found = { scan: c.scan, result: await c.scan.probe(io, c.ask) };
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
          this.debug(`${hostPort(host, port)} ${c.protocol}: ${err.message}`);
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
      this.openPorts.push({ host, port, ...(found ? found.scan.spoke(found.result) : {}), connectMs: Math.round(connectMs * 10) / 10 });
    }
    if (found) {
      this.hostsAnswering.add(host);
      found.scan.record(found.result, host, port, via);
      return;
    }
    if (signal.aborted) return;
    // open, but not one of ours: say what it did
    const worst = failures.find((f) => f.failure.kind === 'garbage') ?? failures.find((f) => f.failure.kind === 'reset') ?? failures[0];
    const tried = candidates.map((c) => markWords(c.ask.mark)).join(', ');
    const result = worst ? failureResult(worst.failure.kind) : 'silent';
    const detail = worst ? worst.failure.message : 'no answer';
    this.noAnswer.push({
      target: hostPort(host, port),
      host,
      port,
      ...(candidates.length === 1 ? { protocol: candidates[0]!.protocol } : {}),
      result,
      detail: `tried ${tried}: ${detail}`,
    });
    if (result === 'garbage') this.warn(`${hostPort(host, port)} answered, but not in ${tried}: ${detail}`);
    else if (result === 'reset')
      this.warn(
        `${hostPort(host, port)} accepts connections and resets them (tried ${tried}): a firewall, a connection limit, or a device that refuses this client`,
      );
    else if (via !== 'scan') this.warn(`${hostPort(host, port)}: no ${tried} answer (${detail})`);
  }

  private push(d: DeviceBase): void {
    if (this.known.has(d.url)) return;
    this.known.add(d.url);
    // each protocol's discover.ts makes devices of its own inventory schema
    this.devices.push(d as InventoryDevice);
  }

  /** Connects to one port of a scanned host, then confirms the protocol. */
  private async scanPort(h: HostTarget, spec: PortSpec): Promise<void> {
    const host = h.address;
    const { rate, signal, options } = this;
    try {
      await this.hostLock(host).use(() =>
        this.inFlight.use(async () => {
          if (this.unreachableHosts.has(host)) {
            this.addClosed(host, 'unreachable', spec.port, 'host unreachable (not tried again)');
            return;
          }
          const wait = rate.take(signal);
          if (wait) await wait;
          if (this.hooks.progress) this.note(hostPort(host, spec.port));
          const o = await tcpConnect(host, spec.port, options.timeoutMs, this.attempts);
          if (signal.aborted) {
            if (o.state === 'open') o.socket.destroy();
            return;
          }
          if (o.state === 'reset') {
            // accepted and reset before we could even write: the same as a reset on the first request
            const words = spec.protocol === undefined ? 'any protocol' : markWords(spec.protocol);
            this.noAnswer.push({
              target: hostPort(host, spec.port),
              host,
              port: spec.port,
              ...(spec.protocol ? { protocol: markOwner(spec.protocol)!.name } : {}),
              result: 'reset',
              detail: `${hostPort(host, spec.port)}: the connection was reset`,
            });
            this.warn(
              `${hostPort(host, spec.port)} accepts connections and resets them (tried ${words}): a firewall, a connection limit, or a device that refuses this client`,
            );
            this.hostsAnswering.add(host);
            return;
          }
          if (o.state !== 'open') {
            if (o.state === 'unreachable') this.unreachableHosts.add(host);
            this.addClosed(host, o.state, spec.port, o.detail);
            return;
          }
          this.hostsAnswering.add(host);
          if (!options.probe) {
            closeSocket(o.socket);
            this.openPorts.push({ host, port: spec.port, connectMs: Math.round(o.ms * 10) / 10 });
            return;
          }
          await this.confirm(host, spec.port, o.socket, this.candidatesFor(spec, host), 'scan', o.ms);
        }),
      );
    } catch (err) {
      if (!(err instanceof AbortedError)) throw err;
    } finally {
      this.tick();
    }
  }

  /** Up to --concurrency workers per host take its ports in turn. */
  private async scanHost(h: HostTarget): Promise<void> {
    const queue = [...this.options.ports];
    const worker = async () => {
      for (let spec = queue.shift(); spec !== undefined; spec = queue.shift()) await this.scanPort(h, spec);
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, queue.length) }, worker));
  }

  private addClosed(host: string, state: Exclude<ConnectOutcome['state'], 'open'>, port: number, detail: string): void {
    let m = this.closedByHost.get(host);
    if (!m) this.closedByHost.set(host, (m = new Map()));
    const entry = m.get(state);
    if (entry) entry.ports.push(port);
    else m.set(state, { ports: [port], detail });
  }

  /** A device URL named on the command line (or learnt from an LDS or mDNS): probed as named. */
  private async probeService(url: string, via: 'url' | 'lds' | 'mdns', unitGiven: boolean): Promise<void> {
    const t = parseTarget(url);
    const protocol = protocolFor(t).name;
    const ask = 'host' in t ? this.scans.get(protocol)?.askUrl(t, unitGiven) : undefined;
    if (ask === undefined || !('host' in t)) return;
    if (this.probedUrls.has(t.url)) return;
    this.probedUrls.add(t.url);
    const candidate: Candidate = { protocol, scan: this.scans.get(protocol)!, ask };
    const { signal, options } = this;
    try {
      await this.hostLock(t.host).use(() =>
        this.inFlight.use(async () => {
          await this.rate.take(signal);
          this.note(t.url);
          const o = await tcpConnect(t.host, t.port, options.timeoutMs, this.attempts);
          if (signal.aborted) {
            if (o.state === 'open') o.socket.destroy();
            return;
          }
          if (o.state !== 'open') {
            this.noAnswer.push({
              target: t.url,
              host: t.host,
              port: t.port,
              protocol: t.protocol,
              result: o.state === 'closed' ? 'closed' : o.state,
              detail: o.detail,
            });
            if (via === 'url') this.warn(`${t.url}: ${o.detail}`);
            return;
          }
          this.hostsAnswering.add(t.host);
          if (!options.probe) {
            closeSocket(o.socket);
            this.openPorts.push({ host: t.host, port: t.port, connectMs: Math.round(o.ms * 10) / 10 });
            return;
          }
          await this.confirm(t.host, t.port, o.socket, [candidate], via, o.ms);
        }),
      );
    } catch (err) {
      if (!(err instanceof AbortedError)) throw err;
    } finally {
      this.tick();
    }
  }

  // --- the inventory ------------------------------------------------------------------------------

  inventory(startedAt: Date, t0: number): Omit<Inventory, 'schema'> {
    const { options, devices, openPorts, noAnswer, incomplete, plan } = this;
    const interrupted = this.signal.aborted;
    if (interrupted) incomplete.unshift('interrupted before every target was tried');
    for (const [host, m] of [...this.closedByHost.entries()].sort((a, b) => compareHosts(a[0], b[0]))) {
      for (const [state, { ports, detail }] of m) {
        const result: NoAnswer['result'] = state === 'closed' ? 'closed' : state;
        noAnswer.push({ target: host, host, ports: [...ports].sort((a, b) => a - b), result, detail });
      }
    }
    // devices on the network by host, port and unit; those on a serial line after them, by URL
    devices.sort((a, b) => {
      const ka = 'host' in a ? 0 : 1;
      const kb = 'host' in b ? 0 : 1;
      if (ka !== kb) return ka - kb;
      if (!('host' in a) || !('host' in b)) return a.url.localeCompare(b.url);
      return compareHosts(a.host, b.host) || a.port - b.port || ((a as { unit?: number }).unit ?? 0) - ((b as { unit?: number }).unit ?? 0);
    });
    openPorts.sort((a, b) => compareHosts(a.host, b.host) || a.port - b.port || (b.protocol ? 1 : 0) - (a.protocol ? 1 : 0));
    // a port reached both through a range and a URL: once, with what it turned out to speak
    for (let i = openPorts.length - 1; i > 0; i--) {
      if (openPorts[i]!.host === openPorts[i - 1]!.host && openPorts[i]!.port === openPorts[i - 1]!.port) openPorts.splice(i, 1);
    }

    const byProtocol: Record<string, number> = {};
    for (const p of DISCOVERABLE.flatMap((x) => Object.keys(x.discovery.kinds))) {
      const n = devices.filter((d) => d.protocol === p).length;
      if (n > 0) byProtocol[p] = n;
    }
    const nodes = devices.flatMap((d) => ('sparkplug' in d && d.sparkplug ? d.sparkplug.groups.flatMap((g) => g.nodes) : []));
    // the sections a protocol adds of its own (the serial sweeps, the mDNS answers)
    const sections: Partial<Pick<Inventory, 'serialScans' | 'mdns'>> = Object.assign(
      {},
      ...[...this.scans.values()].map((s) => s.sections?.() ?? {}),
    );
    const finishedAt = new Date();
    return {
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
        hosts: plan.hosts.length,
        serial: plan.serial.map((s) => s.path),
        probe: options.probe,
        rate: options.rate,
        concurrency: options.concurrency,
        timeoutMs: options.timeoutMs,
        ...(options.unitIds ? { unitIds: compressIds(options.unitIds) } : {}),
        ...(options.unitTimeoutMs !== undefined ? { unitTimeoutMs: options.unitTimeoutMs } : {}),
        ...(plan.serial.length ? { bauds: options.bauds, parities: options.parities } : {}),
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
        hostsScanned: plan.hosts.length,
        hostsAnswering: this.hostsAnswering.size,
        connections: this.rate.taken,
        noAnswer: noAnswer.length,
      },
      devices,
      openPorts,
      noAnswer,
      ...(sections.serialScans ? { serialScans: sections.serialScans } : {}),
      ...(sections.mdns ? { mdns: sections.mdns } : {}),
    };
  }
}
