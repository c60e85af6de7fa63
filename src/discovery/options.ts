/**
 * `iiot discover` flags -> one typed options object, validated before anything is sent. Every
 * mistake is a usage error (exit 2) naming the option and what it accepts.
 */
import { usageError } from '../core/errors.js';
import type { Parity } from '../core/targets.js';
import { parseDuration } from '../core/units.js';
import type { ScanSettings } from '../protocols/discovery.js';
import { DISCOVERABLE, markOwner } from '../protocols/registry.js';
import { LARGE_RANGE, parseTargets, type ParsedTargets } from './targets.js';

/** What --protocols names: each discoverable protocol's words (opcua, modbus, mqtt, sparkplug). */
export const DISCOVER_PROTOCOLS: readonly string[] = DISCOVERABLE.flatMap((p) => p.discovery.selectors);
export type DiscoverProtocol = string;

/** What a TCP port is expected to speak (a --ports mark: opcua, modbus, mqtt, mqtts for MQTT over TLS). */
export type PortProtocol = string;
export const PORT_PROTOCOLS: readonly PortProtocol[] = DISCOVERABLE.flatMap((p) => Object.keys(p.discovery.marks));

/** A port marked so is asked when --protocols names the protocol (MQTT also for sparkplug). */
export function markSelected(mark: PortProtocol, protocols: ReadonlySet<DiscoverProtocol>): boolean {
  return markOwner(mark)?.discovery.selectors.some((s) => protocols.has(s)) ?? false;
}

export interface PortSpec {
  port: number;
  /** undefined: unknown, the port is fingerprinted with each protocol in turn */
  protocol?: PortProtocol;
}

export const DEFAULT_PORTS: ReadonlyArray<Required<PortSpec>> = DISCOVERABLE.flatMap((p) =>
  p.discovery.defaultPorts.map((d) => ({ ...d })),
);

export const DEFAULT_RATE = 20;
export const DEFAULT_CONCURRENCY = 1;
export const DEFAULT_TIMEOUT_MS = 2000;
export const DEFAULT_LISTEN_MS = 10_000;
export const DEFAULT_BAUDS = [19200, 9600];
export const DEFAULT_PARITIES: Parity[] = ['even', 'none'];
export const DEFAULT_TCP_UNIT_TIMEOUT_MS = 250;

export interface DiscoverFlags {
  protocols?: string;
  ports?: string;
  defaultPorts?: boolean;
  rate?: string;
  concurrency?: string;
  timeout?: string;
  yes?: boolean;
  unitIds?: string;
  unitTimeout?: string;
  baud?: string;
  parity?: string;
  listen?: string;
  rebirth?: boolean;
  mdns?: boolean;
  onNetwork?: boolean;
  probe?: boolean;
  csv?: boolean;
  json?: boolean;
  output?: string;
  force?: boolean;
}

/** The flags of `iiot discover`; what a protocol reads of them is ScanSettings (src/protocols/discovery.ts). */
export interface DiscoverOptions extends Omit<ScanSettings, 'protocols' | 'serial'> {
  targetTexts: string[];
  targets: ParsedTargets;
  protocols: ReadonlySet<DiscoverProtocol>;
  /** the ports every address is scanned on: the defaults of the chosen protocols, then --ports */
  ports: PortSpec[];
  /** new connections per second, overall; 0: no limit */
  rate: number;
  /** connections at a time to one host */
  concurrency: number;
  format: 'table' | 'json' | 'csv';
  output: string | undefined;
  /** replace an existing --output file */
  force: boolean;
}

function list(text: string): string[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

export function parseProtocols(text: string | undefined): Set<DiscoverProtocol> {
  if (text === undefined) return new Set(DISCOVER_PROTOCOLS);
  const out = new Set<DiscoverProtocol>();
  for (const p of list(text.toLowerCase())) {
    const name = DISCOVERABLE.find((x) => x.discovery.aliases.includes(p))?.name ?? p;
    if (!DISCOVER_PROTOCOLS.includes(name)) {
      throw usageError(`--protocols: unknown protocol "${p}"`, `choose from ${DISCOVER_PROTOCOLS.join(', ')} (all by default)`);
    }
    out.add(name);
  }
  if (out.size === 0) throw usageError('--protocols: no protocol given', `choose from ${DISCOVER_PROTOCOLS.join(', ')}`);
  return out;
}

function parsePortNumber(text: string, what: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(n) || n < 1 || n > 65535)
    throw usageError(`${what}: "${text}" is not a port number from 1 to 65535`, 'for example --ports 4841,1502:modbus,8000-8010');
  return n;
}

/** "4841,1502:modbus,8000-8010,9883:mqtts" */
export function parsePorts(text: string): PortSpec[] {
  const out: PortSpec[] = [];
  for (const item of list(text)) {
    const [range, proto, ...rest] = item.split(':');
    if (rest.length > 0 || range === undefined)
      throw usageError(`--ports: cannot read "${item}"`, 'write port[-port][:protocol], for example 4841, 8000-8010 or 1502:modbus');
    let protocol: PortProtocol | undefined;
    if (proto !== undefined) {
      const p = proto.toLowerCase();
      const name = DISCOVERABLE.map((x) => x.discovery.markAliases?.[p]).find((m) => m !== undefined) ?? p;
      if (!PORT_PROTOCOLS.includes(name))
        throw usageError(`--ports: unknown protocol "${proto}" in "${item}"`, `a port may be marked ${PORT_PROTOCOLS.join(', ')}`);
      protocol = name;
    }
    const [a, b, ...more] = range.split('-');
    if (more.length > 0 || a === undefined) throw usageError(`--ports: cannot read "${item}"`, 'write port[-port][:protocol]');
    const first = parsePortNumber(a, '--ports');
    const last = b === undefined ? first : parsePortNumber(b, '--ports');
    if (last < first) throw usageError(`--ports: the range "${range}" ends before it starts`, `write ${last}-${first}`);
    if (last - first >= 1024)
      throw usageError(
        `--ports: the range "${range}" has ${last - first + 1} ports`,
        'discovery confirms each open port by its protocol: name the ports the devices use (at most 1,024 per range)',
      );
    for (let p = first; p <= last; p++) out.push(protocol === undefined ? { port: p } : { port: p, protocol });
  }
  if (out.length === 0) throw usageError('--ports: no port given', 'for example --ports 4841,1502:modbus');
  return out;
}

/** "1-247", "1,2,10-20" */
export function parseUnitIds(text: string): number[] {
  const ids = new Set<number>();
  for (const item of list(text)) {
    const m = /^(\d{1,3})(?:-(\d{1,3}))?$/.exec(item);
    if (!m) throw usageError(`--unit-ids: cannot read "${item}"`, 'write ids and ranges from 0 to 255, for example 1-247 or 1,2,10-20');
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > 255 || b > 255)
      throw usageError(
        `--unit-ids: "${item}" is outside 0-255`,
        'Modbus unit ids are 1-247 (0 is broadcast, 248-255 reserved; 255 often addresses a TCP gateway itself)',
      );
    if (b < a) throw usageError(`--unit-ids: the range "${item}" ends before it starts`, `write ${b}-${a}`);
    for (let i = a; i <= b; i++) ids.add(i);
  }
  if (ids.size === 0) throw usageError('--unit-ids: no unit id given', 'for example --unit-ids 1-247');
  return [...ids].sort((x, y) => x - y);
}

export function parseBauds(text: string): number[] {
  const out: number[] = [];
  for (const item of list(text)) {
    const n = Number(item);
    if (!/^\d+$/.test(item) || n < 300 || n > 4_000_000)
      throw usageError(`--baud: "${item}" is not a serial speed`, 'common speeds: 9600, 19200, 38400, 57600, 115200');
    if (!out.includes(n)) out.push(n);
  }
  if (out.length === 0) throw usageError('--baud: no speed given', 'for example --baud 9600,19200');
  return out;
}

const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];

export function parseParities(text: string): Parity[] {
  const out: Parity[] = [];
  for (const item of list(text.toLowerCase())) {
    const p = (item === 'n' ? 'none' : item === 'e' ? 'even' : item === 'o' ? 'odd' : item) as Parity;
    if (!PARITIES.includes(p)) throw usageError(`--parity: "${item}" is not a parity`, `choose from ${PARITIES.join(', ')}`);
    if (!out.includes(p)) out.push(p);
  }
  if (out.length === 0) throw usageError('--parity: no parity given', 'for example --parity none,even');
  return out;
}

function parseRate(text: string | undefined): number {
  if (text === undefined) return DEFAULT_RATE;
  const t = text.trim().toLowerCase().replace(/\/s$/, '');
  if (t === 'off' || t === 'unlimited') return 0;
  const n = Number(t);
  if (!/^\d+(\.\d+)?$/.test(t) || !Number.isFinite(n))
    throw usageError(
      `--rate: "${text}" is not a number of connections per second`,
      `for example --rate 20 (the default); 0 or off removes the limit`,
    );
  return n;
}

function parseConcurrency(text: string | undefined): number {
  if (text === undefined) return DEFAULT_CONCURRENCY;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 64)
    throw usageError(
      `--concurrency: "${text}" is not a whole number from 1 to 64`,
      'connections at a time to one host; 1 (the default) is gentlest',
    );
  return n;
}

function parseMs(text: string | undefined, what: string, fallback: number, min: number): number {
  if (text === undefined) return fallback;
  const ms = parseDuration(text, what);
  if (ms < min) throw usageError(`${what}: ${text} is too short`, `give at least ${min} ms`);
  return ms;
}

/** Flags -> options; throws a usage error for anything it cannot use. */
export function parseDiscoverOptions(targetTexts: readonly string[], f: DiscoverFlags): DiscoverOptions {
  const protocols = parseProtocols(f.protocols);
  if (f.csv && f.json) throw usageError('--csv and --json are two formats: give one');
  const useDefaults = f.defaultPorts !== false;
  if (!useDefaults && f.ports === undefined)
    throw usageError('--no-default-ports needs --ports', 'name the ports to scan, for example --no-default-ports --ports 4840,502');
  const extra = f.ports === undefined ? [] : parsePorts(f.ports);
  const wants = (p: PortProtocol) => markSelected(p, protocols);
  for (const spec of extra) {
    if (spec.protocol !== undefined && !wants(spec.protocol)) {
      throw usageError(
        `--ports: port ${spec.port} is marked ${spec.protocol}, but --protocols leaves ${markOwner(spec.protocol)!.name} out`,
        `add it to --protocols (${[...protocols].join(',')}) or drop the mark`,
      );
    }
  }
  const ports: PortSpec[] = [];
  const seen = new Set<number>();
  // A port given with --ports wins over a default with the same number (its mark says more).
  for (const spec of extra) {
    if (seen.has(spec.port)) continue;
    seen.add(spec.port);
    ports.push(spec);
  }
  if (useDefaults) {
    for (const spec of DEFAULT_PORTS) {
      if (!wants(spec.protocol) || seen.has(spec.port)) continue;
      seen.add(spec.port);
      ports.push(spec);
    }
  }
  ports.sort((a, b) => a.port - b.port);

  const targets = parseTargets(targetTexts);
  const mdns = Boolean(f.mdns);
  if (targetTexts.length === 0 && !mdns) {
    throw usageError(
      'name what to scan: addresses, ranges, host names, device URLs or serial ports',
      'for example: iiot discover 127.0.0.1, iiot discover 127.0.0.0/29, iiot discover /dev/ttyUSB0 --baud 9600,19200',
    );
  }
  if (targets.addressCount > LARGE_RANGE && !f.yes) {
    throw usageError(
      `the targets cover ${targets.addressCount.toLocaleString('en-US')} addresses (more than ${LARGE_RANGE.toLocaleString('en-US')})`,
      'a scan that large on a plant network should be deliberate: check the ranges, then add --yes',
    );
  }
  if (targets.serial.length > 0 && !protocols.has('modbus')) {
    throw usageError(
      `serial port ${targets.serial[0]!.path} given, but --protocols leaves modbus out`,
      'serial ports are scanned for Modbus RTU devices: add modbus to --protocols',
    );
  }
  const unitIds = f.unitIds === undefined ? undefined : parseUnitIds(f.unitIds);
  const timeoutMs = parseMs(f.timeout, '--timeout', DEFAULT_TIMEOUT_MS, 10);
  const unitTimeoutMs = f.unitTimeout === undefined ? undefined : parseMs(f.unitTimeout, '--unit-timeout', 0, 5);
  const listenMs = parseMs(f.listen, '--listen', DEFAULT_LISTEN_MS, 0);
  if (f.rebirth && !protocols.has('sparkplug'))
    throw usageError(
      '--rebirth asks Sparkplug edge nodes to rebirth, but --protocols leaves sparkplug out',
      'add sparkplug to --protocols',
    );
  if (f.rebirth && listenMs === 0)
    throw usageError('--rebirth needs a listening time', 'give --listen 10s or more: births come back within it');
  return {
    targetTexts: [...targetTexts],
    targets,
    protocols,
    ports,
    rate: parseRate(f.rate),
    concurrency: parseConcurrency(f.concurrency),
    timeoutMs,
    unitIds,
    unitTimeoutMs,
    bauds: f.baud === undefined ? [...DEFAULT_BAUDS] : parseBauds(f.baud),
    parities: f.parity === undefined ? [...DEFAULT_PARITIES] : parseParities(f.parity),
    listenMs,
    rebirth: Boolean(f.rebirth),
    mdns,
    onNetwork: Boolean(f.onNetwork),
    probe: f.probe !== false,
    format: f.csv ? 'csv' : f.json ? 'json' : 'table',
    output: f.output,
    force: Boolean(f.force),
  };
}
