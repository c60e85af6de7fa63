/**
 * What a protocol does in `iiot discover` (src/discovery/scan.ts runs the scan; docs/discovery.md).
 * The cheap part sits in the protocol's registry entry: which --protocols words and --ports marks
 * name it, its default ports, where it comes when an unmarked port is fingerprinted, and how its
 * inventory devices read in a table, a CSV and a summary. The scan itself (`scan`) is loaded only
 * when a discovery runs: what to ask an open port, how an answer becomes inventory devices, and
 * the work of its own a protocol does beside and after the port scan (a serial sweep, an mDNS
 * browse and the servers a discovery server knows, a Sparkplug listen).
 */
import type { IiotError } from '../core/errors.js';
import type { Parity, Target } from '../core/targets.js';
import type { NoAnswer } from './inventory.js';
import type { ProbeIO } from './probe-io.js';

/** How a device was found: a port of a scanned address, a URL named, an LDS registration, mDNS, a serial sweep. */
export type Via = 'scan' | 'url' | 'lds' | 'mdns' | 'serial';

/** What the scan reads of every inventory device (each protocol's device schema has more). */
export interface DeviceBase {
  url: string;
  name: string;
  protocol: string;
  notes?: string[] | undefined;
}

/** One line of the inventory table. */
export interface TableRow {
  url: string;
  protocol: string;
  name: string;
  details: string;
  /** 0: a device; 1, 2: what was found under it (a Sparkplug edge node, its devices) */
  level: number;
}

/** One CSV row, in the columns of src/discovery/render.ts (CSV_COLUMNS). */
export type CsvCells = Array<string | number | undefined>;

export interface DeviceWords {
  /** "OPC UA server" */
  one: string;
  /** "OPC UA servers" */
  many: string;
  /** in the summary line: "OPC UA", "Modbus TCP" */
  summary: string;
}

export interface DiscoveryFactory<D extends DeviceBase> {
  /** the --protocols words that select it (mqtt: also sparkplug) */
  readonly selectors: readonly string[];
  /** other spellings --protocols accepts for it */
  readonly aliases: readonly string[];
  /** what a port may be marked (--ports 1502:modbus), in the words of messages; the first is what it asks an unmarked port */
  readonly marks: Readonly<Record<string, string>>;
  /** other spellings of a mark ("opc.tcp" for opcua) */
  readonly markAliases?: Readonly<Record<string, string>>;
  /** the ports scanned on every address unless --no-default-ports */
  readonly defaultPorts: ReadonlyArray<{ port: number; protocol: string }>;
  /**
   * On an unmarked port the protocols are asked lowest rank first: Modbus (0), as OPC UA servers
   * and MQTT brokers hang up on a Modbus frame at once, while a Modbus device would sit waiting
   * for the rest of a long OPC UA Hello or MQTT CONNECT (a timeout each).
   */
  readonly rank: number;
  /** a port number that looks like this protocol's (5020: Modbus; 48xx: OPC UA; ...883: MQTT) is asked first */
  readonly looksLike: RegExp;
  /** the inventory's device kinds it writes ("opcua"; "modbus" and "modbus-rtu"), with their words */
  readonly kinds: Readonly<Record<D['protocol'], DeviceWords>>;
  /** one line about what a device offers (the table's DETAILS column) */
  details(device: D): string;
  /** its CSV rows: the device's, then any found under it */
  csv(device: D, details: string): CsvCells[];
  /** rows under the device in the table (Sparkplug edge nodes and their devices) */
  rows?(device: D): TableRow[];
  /** a device that only lists others and has no plant data of its own (an OPC UA discovery server) */
  isDirectory?(device: D): boolean;
  /** the built-in register map the device's identification names, for `iiot record --inventory` */
  suggestMap?(device: D): { name: string; meter: string } | undefined;
  /** the protocol's part of one discovery run */
  scan(context: ScanContext): Promise<ProtocolScan>;
}

/** A serial port named to `iiot discover`, with the settings a modbus-rtu:// URL fixed for it. */
export interface SerialPortTarget {
  path: string;
  baud?: number | undefined;
  parity?: Parity | undefined;
  dataBits?: 7 | 8 | undefined;
  stopBits?: 1 | 2 | undefined;
  unit?: number | undefined;
}

/** The options of `iiot discover` a protocol reads. */
export interface ScanSettings {
  timeoutMs: number;
  /** Modbus unit ids to try; undefined: TCP tries 1 then 255, serial sweeps 1-247 */
  unitIds: number[] | undefined;
  /** per unit id; undefined: 250 ms over TCP, frame times + 100 ms on a serial line */
  unitTimeoutMs: number | undefined;
  bauds: number[];
  parities: Parity[];
  listenMs: number;
  rebirth: boolean;
  mdns: boolean;
  onNetwork: boolean;
  /** false: TCP connect only, no protocol request */
  probe: boolean;
  /** the --protocols words chosen */
  protocols: ReadonlySet<string>;
  /** serial ports to sweep, each once */
  serial: readonly SerialPortTarget[];
}

/** What the scan offers a protocol: the inventory being built, the progress line, the politeness. */
export interface ScanContext {
  readonly settings: ScanSettings;
  readonly signal: AbortSignal;
  /** adds a device to the inventory (each URL once) */
  push(device: DeviceBase): void;
  /** the devices found so far */
  devices(): readonly DeviceBase[];
  noAnswer(entry: NoAnswer): void;
  /** canonical URLs probed already (not probed again when an LDS or mDNS names them) */
  readonly probed: Set<string>;
  /** a problem that fails the run once the inventory is out (a serial port that could not be opened) */
  fail(error: IiotError): void;
  /** why the inventory is not complete */
  incomplete(why: string): void;
  /** one line about something a person must know */
  warn(line: string): void;
  debug(line: string): void;
  /** what is being done right now, for the progress line */
  note(what: string): void;
  /** units of work done */
  tick(n?: number, what?: string): void;
  /** units of work added to the plan */
  plan(n: number): void;
  /** whether a progress line is shown (a long wait is worth a countdown) */
  readonly showsProgress: boolean;
  /** waits for a slot of the rate limit: every new connection takes one */
  slot(): Promise<void>;
  /** connections to one host, at most --concurrency at a time */
  hostLock(host: string): { use<T>(work: () => Promise<T>): Promise<T> };
  /** true for the error a wait throws when the scan is interrupted */
  isAbort(err: unknown): boolean;
  /** the host (address or name) was named on the command line */
  named(host: string): boolean;
  /** probes a URL another device told of, as if it had been named (once per URL) */
  probeUrl(url: string, via: 'lds' | 'mdns'): Promise<void>;
}

/** What to ask an open port, and in which words (a --ports mark) it is said. */
export interface Ask {
  mark: string;
}

/** One protocol's part of one discovery run. */
export interface ProtocolScan {
  /** checks before anything is sent (the serial ports exist); throws a usage error */
  prepare?(): Promise<void>;
  /** units of work of its own, for the progress total */
  plannedWork?(): number;
  /** starts the work it does beside the port scan (a serial sweep, an mDNS browse) */
  start?(): void;
  /** what to ask an open port: marked so, or unmarked (`fingerprint`: it may be anything) */
  ask(mark: string, host: string, port: number, fingerprint: boolean): Ask;
  /** what to ask the device a URL names; undefined: nothing over TCP (a serial line) */
  askUrl(target: Target, unitGiven: boolean): Ask | undefined;
  /** asks; throws a ProbeFailure when the port does not speak the protocol */
  probe(io: ProbeIO, ask: Ask): Promise<unknown>;
  /** what the port turned out to speak (the inventory's openPorts) */
  spoke(found: unknown): { protocol: string; tls?: true };
  /** the devices (and the units that did not answer) an answer makes */
  record(found: unknown, host: string, port: number, via: Via): void;
  /** after every port and URL: following what devices told of (LDS, mDNS), listening (Sparkplug) */
  afterScan?(): Promise<void>;
  /** waits for the work started beside the scan */
  finish?(): Promise<void>;
  /** the inventory's sections of its own (serialScans, mdns), when it has something to say */
  sections?(): Record<string, unknown>;
}
