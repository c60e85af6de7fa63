/**
 * `iiot read` flags -> one typed options object per protocol, validated before anything is sent.
 * The endpoint's scheme decides the protocol; an option that belongs to another protocol is a
 * usage error naming it, never silently ignored. This is the seam tests use: parseReadOptions()
 * in, ReadOptions out.
 */
import { usageError } from '../core/errors.js';
import { parseOpcUaConnectOptions, PASSWORD_ENV, type OpcUaConnectFlags, type OpcUaConnectOptions } from '../core/opcua-flags.js';
import { parseTarget, type ModbusRtuTarget, type ModbusTcpTarget, type MqttTarget, type Target } from '../core/targets.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import { BYTE_ORDERS, REGISTER_TYPES, typeWidth, type ByteOrder, type RegisterType } from '../protocols/modbus/codec.js';
import { parseRegisterNumber, type RegisterTable } from '../protocols/modbus/register-map.js';
import type { MqttConnectOptions } from '../protocols/mqtt/connect.js';
import { checkTopicFilter, parseDecoder, parseJsonPath, type DecoderName } from '../protocols/mqtt/decoders.js';

export interface ReadFlags extends OpcUaConnectFlags {
  watch?: boolean;
  interval?: string;
  duration?: string;
  // OPC UA
  history?: boolean;
  from?: string;
  to?: string;
  maxValues?: string;
  // Modbus
  map?: string;
  table?: string;
  type?: string;
  order?: string;
  count?: string;
  length?: string;
  zeroBased?: boolean;
  // MQTT
  decoder?: string;
  jsonPath?: string;
  sparkplug?: string;
  rebirth?: boolean;
  clientId?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export type ReadMode = 'once' | 'watch';

export interface OpcUaReadOptions {
  protocol: 'opcua';
  connect: OpcUaConnectOptions;
  items: string[];
  mode: ReadMode | 'history';
  /** --watch: sampling interval asked of the server */
  intervalMs: number;
  /** --watch: stop after this long (default: until Ctrl-C) */
  durationMs?: number | undefined;
  /** --history: time range (ms since epoch) */
  from?: number | undefined;
  to?: number | undefined;
  /** --history: at most this many values per node */
  maxValues?: number | undefined;
}

/** Registers named by address: `count` values of one type from each start address. */
export interface AddressSelection {
  kind: 'address';
  starts: Array<{ item: string; table: RegisterTable; address: number }>;
  type: RegisterType;
  order: ByteOrder;
  count: number;
  /** registers per string */
  length?: number | undefined;
}

/** Entries of a register map by name (`*` wildcards); no names: every entry. */
export interface MapSelection {
  kind: 'map';
  map: string;
  names: string[];
}

export interface ModbusReadOptions {
  protocol: 'modbus';
  target: ModbusTcpTarget | ModbusRtuTarget;
  select: AddressSelection | MapSelection;
  mode: ReadMode;
  /** --watch: time between the starts of two polls */
  intervalMs: number;
  durationMs?: number | undefined;
  /** longest wait for one answer */
  timeoutMs: number;
}

export interface TopicSelection {
  kind: 'topics';
  filters: string[];
  decoder: Exclude<DecoderName, 'sparkplug' | 'none'>;
  jsonPath?: string | undefined;
}

export interface SparkplugSelection {
  kind: 'sparkplug';
  groupId: string;
  edgeNodeId: string;
  deviceId?: string | undefined;
  /** metric names (`*` wildcards); none: every metric of the birth */
  metrics: string[];
  /** send NCMD Node Control/Rebirth (a write to the edge node: only when asked) */
  rebirth: boolean;
}

export interface MqttReadOptions {
  protocol: 'mqtt';
  connect: MqttConnectOptions;
  select: TopicSelection | SparkplugSelection;
  mode: ReadMode;
  durationMs?: number | undefined;
  /** connect, and the wait for a first message */
  timeoutMs: number;
}

export type ReadOptions = OpcUaReadOptions | ModbusReadOptions | MqttReadOptions;

export const DEFAULT_INTERVAL = '1s';
/** mbpoll's default too: a device on a healthy link answers in milliseconds */
export const MODBUS_DEFAULT_TIMEOUT = '1s';
export const MQTT_DEFAULT_TIMEOUT = '5s';

type Kind = 'opcua' | 'modbus' | 'mqtt';

/** Flags that belong to some protocols only, and the words that name them in messages. */
const ONLY: Partial<Record<keyof ReadFlags, { kinds: readonly Kind[]; flag: string }>> = {
  history: { kinds: ['opcua'], flag: '--history' },
  from: { kinds: ['opcua'], flag: '--from' },
  to: { kinds: ['opcua'], flag: '--to' },
  maxValues: { kinds: ['opcua'], flag: '--max-values' },
  securityMode: { kinds: ['opcua'], flag: '--security-mode' },
  securityPolicy: { kinds: ['opcua'], flag: '--security-policy' },
  userCert: { kinds: ['opcua'], flag: '--user-cert' },
  userKey: { kinds: ['opcua'], flag: '--user-key' },
  trustOnFirstUse: { kinds: ['opcua'], flag: '--trust-on-first-use' },
  interval: { kinds: ['opcua', 'modbus'], flag: '--interval' },
  user: { kinds: ['opcua', 'mqtt'], flag: '--user' },
  passwordEnv: { kinds: ['opcua', 'mqtt'], flag: '--password-env' },
  passwordFile: { kinds: ['opcua', 'mqtt'], flag: '--password-file' },
  map: { kinds: ['modbus'], flag: '--map' },
  table: { kinds: ['modbus'], flag: '--table' },
  type: { kinds: ['modbus'], flag: '--type' },
  order: { kinds: ['modbus'], flag: '--order' },
  count: { kinds: ['modbus'], flag: '--count' },
  length: { kinds: ['modbus'], flag: '--length' },
  zeroBased: { kinds: ['modbus'], flag: '--zero-based' },
  decoder: { kinds: ['mqtt'], flag: '--decoder' },
  jsonPath: { kinds: ['mqtt'], flag: '--json-path' },
  sparkplug: { kinds: ['mqtt'], flag: '--sparkplug' },
  rebirth: { kinds: ['mqtt'], flag: '--rebirth' },
  clientId: { kinds: ['mqtt'], flag: '--client-id' },
  ca: { kinds: ['mqtt'], flag: '--ca' },
  cert: { kinds: ['mqtt'], flag: '--cert' },
  key: { kinds: ['mqtt'], flag: '--key' },
};

const KIND_NAMES: Record<Kind, string> = { opcua: 'OPC UA', modbus: 'Modbus', mqtt: 'MQTT' };

function kindOf(target: Target): Kind | undefined {
  if (target.protocol === 'modbus' || target.protocol === 'modbus-rtu') return 'modbus';
  if (target.protocol === 'tcp') return undefined;
  return target.protocol;
}

/** The endpoint and items as typed, the flags as commander parsed them. */
export function parseReadOptions(endpoint: string, items: string[], flags: ReadFlags, now = Date.now()): ReadOptions {
  const target = parseTarget(endpoint);
  const kind = kindOf(target);
  if (kind === undefined) {
    throw usageError(`${target.url}: tcp:// targets are for latency checks; there is nothing to read`, 'read from opc.tcp://, modbus://, modbus-rtu://, mqtt:// or mqtts:// (docs/targets.md)');
  }
  for (const [key, spec] of Object.entries(ONLY) as Array<[keyof ReadFlags, { kinds: readonly Kind[]; flag: string }]>) {
    if (flags[key] === undefined || spec.kinds.includes(kind)) continue;
    throw usageError(
      `${spec.flag} is for ${spec.kinds.map((k) => KIND_NAMES[k]).join(' and ')} endpoints; ${target.url} is ${KIND_NAMES[kind]}`,
      'run `iiot read --help` for the options of each protocol',
    );
  }
  if (flags.password !== undefined) {
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR), in a file given with --password-file, or type it at the prompt`,
    );
  }
  if (kind !== 'opcua' && !flags.watch && (flags.duration !== undefined || flags.interval !== undefined)) {
    throw usageError(`${flags.duration !== undefined ? '--duration' : '--interval'} goes with --watch`, 'without --watch, iiot reads once and exits');
  }
  switch (target.protocol) {
    case 'opcua':
      return parseOpcUaReadFlags(endpoint, items, flags, now);
    case 'modbus':
    case 'modbus-rtu':
      return parseModbusReadFlags(target, items, flags);
    case 'mqtt':
      return parseMqttReadFlags(target, items, flags);
    default:
      throw new Error(`unreachable: ${target.protocol}`);
  }
}

export function parseOpcUaReadFlags(endpoint: string, items: string[], f: ReadFlags, now = Date.now()): OpcUaReadOptions {
  const connect = parseOpcUaConnectOptions(endpoint, f);
  if (items.length === 0) throw usageError('name at least one node to read', 'a node id (ns=2;s=Plant.Pump1.Speed) or a browse path (/Objects/2:Plant/2:Pump1/2:Speed); `iiot browse` lists them');
  if (f.watch && f.history) throw usageError('--watch and --history cannot go together', 'watch live changes, or read the history of a time range');
  if (!f.history && (f.from !== undefined || f.to !== undefined || f.maxValues !== undefined)) throw usageError('--from, --to and --max-values go with --history');
  if (!f.watch && (f.duration !== undefined || f.interval !== undefined)) throw usageError('--interval and --duration go with --watch');
  const intervalMs = parseDuration(f.interval ?? DEFAULT_INTERVAL, '--interval');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const from = f.from !== undefined ? parseTimeArg(f.from, '--from', 'UTC', now) : undefined;
  const to = f.to !== undefined ? parseTimeArg(f.to, '--to', 'UTC', now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${f.from} is not before --to ${f.to}`);
  let maxValues: number | undefined;
  if (f.maxValues !== undefined) {
    maxValues = Number(f.maxValues);
    if (!Number.isInteger(maxValues) || maxValues < 1) throw usageError(`--max-values: "${f.maxValues}" is not a whole number of at least 1`);
  }
  return { protocol: 'opcua', connect, items, mode: f.watch ? 'watch' : f.history ? 'history' : 'once', intervalMs, durationMs, from, to, maxValues };
}

// ---------------------------------------------------------------------------------------------
// Modbus

const TABLE_WORDS: Record<string, RegisterTable> = {
  co: 'coil',
  coil: 'coil',
  coils: 'coil',
  di: 'discrete',
  discrete: 'discrete',
  ir: 'input',
  input: 'input',
  hr: 'holding',
  holding: 'holding',
};

const ITEM_HINT = 'write 30001 or 3x0001 (as the manual prints it), 100 (a 1-based register number in --table), or 0x0063, hr:0x0063, hr:99 (the 0-based address on the wire)';

export function parseTable(text: string): RegisterTable {
  const t = TABLE_WORDS[text.trim().toLowerCase()];
  if (!t) throw usageError(`--table: unknown table "${text}"`, 'one of coil, discrete, input, holding (or co, di, ir, hr)');
  return t;
}

function wholeNumber(text: string, what: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${what}: "${text}" is not a whole number from ${min} to ${max}`);
  return n;
}

/**
 * A register as the user typed it, to a table and a 0-based wire address:
 *   30001, 3x0001, 300001   Modicon, as manuals print them (the first digit names the table)
 *   100                     a 1-based register number in --table, like a map's `register:` field
 *                           and mbpoll -r; with --zero-based the 0-based address, like mbpoll -0
 *   0x0063                  the 0-based address on the wire, in --table
 *   hr:0x0063, hr:99        table prefix (co, di, ir, hr) and 0-based address, as iiot prints registers
 */
export function parseRegisterItem(text: string, table: RegisterTable | undefined, zeroBased: boolean): { table: RegisterTable; address: number } {
  const raw = text.trim();
  const prefixed = /^([a-z]+):(.*)$/i.exec(raw);
  if (prefixed) {
    const prefixTable = TABLE_WORDS[prefixed[1]!.toLowerCase()];
    if (!prefixTable) throw usageError(`register "${text}": unknown table prefix "${prefixed[1]}:"`, 'co: coil, di: discrete input, ir: input register, hr: holding register');
    if (table !== undefined && table !== prefixTable) throw usageError(`register "${text}" is in the ${prefixTable} table, but --table says ${table}`, 'give the table once');
    const rest = prefixed[2]!;
    if (!/^(0x[0-9a-f]{1,4}|\d{1,5})$/i.test(rest) || Number(rest) > 65535) {
      throw usageError(`register "${text}": after ${prefixed[1]}: comes the 0-based address, 0 to 65535 (0xFFFF)`, ITEM_HINT);
    }
    return { table: prefixTable, address: Number(rest) };
  }
  if (/^0x[0-9a-f]{1,4}$/i.test(raw)) return { table: table ?? 'holding', address: Number(raw) };
  if (zeroBased && /^\d+$/.test(raw)) {
    const n = Number(raw);
    if (n > 65535) throw usageError(`register "${text}": 0-based addresses run from 0 to 65535`);
    return { table: table ?? 'holding', address: n };
  }
  if (/^\d+$/.test(raw) || /^[0134]x\d+$/i.test(raw)) {
    const loc = parseRegisterNumber(raw);
    if (typeof loc === 'string') throw usageError(loc, ITEM_HINT);
    if (loc.table && table && loc.table !== table) {
      throw usageError(`register ${raw} is Modicon notation for the ${loc.table} table, but --table says ${table}`, 'leave --table out, or give the 1-based number within the table');
    }
    return { table: loc.table ?? table ?? 'holding', address: loc.address };
  }
  throw usageError(`cannot read "${text}" as a register`, ITEM_HINT);
}

function parseType(text: string): RegisterType {
  const t = text.trim().toLowerCase();
  const alias: Record<string, RegisterType> = { float: 'float32', double: 'float64', int: 'int16', uint: 'uint16', boolean: 'bool' };
  const found = (REGISTER_TYPES as readonly string[]).includes(t) ? (t as RegisterType) : alias[t];
  if (!found) throw usageError(`--type: unknown type "${text}"`, `one of ${REGISTER_TYPES.join(', ')}`);
  return found;
}

function parseOrder(text: string): ByteOrder {
  const o = text.trim().toUpperCase();
  if (!(BYTE_ORDERS as readonly string[]).includes(o)) throw usageError(`--order: unknown byte order "${text}"`, `one of ${BYTE_ORDERS.join(', ')} (docs/register-maps.md#byte-and-word-order)`);
  return o as ByteOrder;
}

function parseModbusReadFlags(target: ModbusTcpTarget | ModbusRtuTarget, items: string[], f: ReadFlags): ModbusReadOptions {
  const timeoutMs = parseDuration(f.timeout ?? MODBUS_DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs < 10) throw usageError(`--timeout ${f.timeout}: too short for a Modbus answer`, 'give at least 10ms; the default is 1s');
  const intervalMs = parseDuration(f.interval ?? DEFAULT_INTERVAL, '--interval');
  if (intervalMs < 10) throw usageError(`--interval ${f.interval}: poll at most every 10ms`, 'the default is 1s');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const common = { protocol: 'modbus' as const, target, mode: (f.watch ? 'watch' : 'once') as ReadMode, intervalMs, durationMs, timeoutMs };
  if (f.map !== undefined) {
    for (const [flag, v] of [['--table', f.table], ['--type', f.type], ['--order', f.order], ['--count', f.count], ['--length', f.length], ['--zero-based', f.zeroBased]] as const) {
      if (v !== undefined) throw usageError(`${flag} goes with registers given by address, not with --map`, 'the map says where each entry is and how to decode it');
    }
    return { ...common, select: { kind: 'map', map: f.map, names: items } };
  }
  if (items.length === 0) {
    throw usageError('name the registers to read, or a register map with --map', 'for example: iiot read modbus://127.0.0.1:502?unit=1 30001 --type float32, or --map sdm630');
  }
  const table = f.table === undefined ? undefined : parseTable(f.table);
  const starts = items.map((item) => ({ item, ...parseRegisterItem(item, table, Boolean(f.zeroBased)) }));
  const bits = starts.filter((s) => s.table === 'coil' || s.table === 'discrete');
  const words = starts.filter((s) => s.table === 'input' || s.table === 'holding');
  if (bits.length > 0 && words.length > 0) {
    throw usageError(`${bits[0]!.item} is a ${bits[0]!.table === 'coil' ? 'coil' : 'discrete input'} and ${words[0]!.item} a register: one read takes one kind`, 'read bits and registers with two commands');
  }
  const isBits = bits.length > 0;
  let type: RegisterType = isBits ? 'bool' : 'uint16';
  if (f.type !== undefined) {
    type = parseType(f.type);
    if (isBits && type !== 'bool') throw usageError(`--type ${f.type}: coils and discrete inputs hold single bits`, 'leave --type out for bits');
  }
  if (isBits && f.order !== undefined) throw usageError('--order is for registers, not for coils and discrete inputs');
  const order = f.order === undefined ? 'ABCD' : parseOrder(f.order);
  let length: number | undefined;
  if (type === 'string') {
    if (f.length === undefined) throw usageError('--type string needs --length', 'the number of registers of the string, two characters each');
    length = wholeNumber(f.length, '--length', 1, 125);
  } else if (f.length !== undefined) throw usageError('--length goes with --type string');
  const count = f.count === undefined ? 1 : wholeNumber(f.count, '--count', 1, isBits ? 2000 : 125);
  const width = length ?? typeWidth(type as Exclude<RegisterType, 'string'>);
  for (const s of starts) {
    if (s.address + width * count > 65536) {
      throw usageError(`${s.item}: ${count} × ${type} from address ${s.address} runs past the last address (65535)`, 'read fewer values (--count) or start lower');
    }
  }
  return { ...common, select: { kind: 'address', starts, type, order, count, length } };
}

// ---------------------------------------------------------------------------------------------
// MQTT

/** "IIoT/SimPlant", "IIoT/SimPlant/pump1", or a Sparkplug topic as mosquitto_sub prints it. */
export function parseSparkplugScope(text: string): { groupId: string; edgeNodeId: string; deviceId?: string } {
  const t = text.trim();
  const levels = t.split('/');
  let parts: string[];
  if (levels[0] === 'spBv1.0') {
    // spBv1.0/<group>/<type>/<node>[/<device>]
    if (levels.length < 4 || levels.length > 5) throw usageError(`--sparkplug "${text}": a Sparkplug topic is spBv1.0/<group>/<type>/<node>[/<device>]`);
    parts = [levels[1]!, levels[3]!, ...levels.slice(4)];
  } else parts = levels;
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '' || /[+#]/.test(p))) {
    throw usageError(`--sparkplug "${text}": give <group>/<edge node> or <group>/<edge node>/<device>`, 'for example --sparkplug IIoT/SimPlant or --sparkplug IIoT/SimPlant/pump1 (iiot discover lists them)');
  }
  return { groupId: parts[0]!, edgeNodeId: parts[1]!, ...(parts[2] === undefined ? {} : { deviceId: parts[2] }) };
}

function parseMqttReadFlags(target: MqttTarget, items: string[], f: ReadFlags): MqttReadOptions {
  const timeoutMs = parseDuration(f.timeout ?? MQTT_DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs < 100) throw usageError(`--timeout ${f.timeout}: too short to connect to a broker`, 'give at least 100ms; the default is 5s');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const passwordEnv = f.passwordEnv ?? PASSWORD_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) throw usageError(`--password-env: "${passwordEnv}" is not an environment variable name`, "give the variable's name, not the password");
  if (f.user === undefined && (f.passwordEnv !== undefined || f.passwordFile !== undefined)) throw usageError('a password was given but no --user', 'add --user <name>');
  const connect: MqttConnectOptions = {
    target,
    ...(f.clientId === undefined ? {} : { clientId: f.clientId }),
    ...(f.user === undefined ? {} : { user: f.user }),
    passwordEnv,
    ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
    ...(f.ca === undefined ? {} : { ca: f.ca }),
    ...(f.cert === undefined ? {} : { cert: f.cert }),
    ...(f.key === undefined ? {} : { key: f.key }),
    timeoutMs,
  };
  if (!target.tls && (f.ca !== undefined || f.cert !== undefined || f.key !== undefined)) {
    throw usageError(`--ca, --cert and --key are for TLS: ${target.url} is plain MQTT`, `write mqtts://${target.host}:8883 for TLS`);
  }
  const common = { protocol: 'mqtt' as const, connect, mode: (f.watch ? 'watch' : 'once') as ReadMode, durationMs, timeoutMs };
  if (f.sparkplug !== undefined) {
    if (f.decoder !== undefined || f.jsonPath !== undefined) throw usageError('--decoder and --json-path are for topics, not for --sparkplug', 'Sparkplug B metrics carry their own types');
    const scope = parseSparkplugScope(f.sparkplug);
    return { ...common, select: { kind: 'sparkplug', ...scope, metrics: items, rebirth: Boolean(f.rebirth) } };
  }
  if (f.rebirth) throw usageError('--rebirth goes with --sparkplug', 'for example --sparkplug IIoT/SimPlant power --rebirth');
  if (items.length === 0) throw usageError('name the topics to read (filters with + and # are fine), or a Sparkplug node with --sparkplug', 'for example: iiot read mqtt://127.0.0.1:1883 "plant/#"');
  for (const filter of items) {
    try {
      checkTopicFilter(filter);
    } catch (err) {
      // decoders.ts words it for record's --topic; here the filter is an argument
      throw usageError((err as Error).message.replace(/^--topic /, 'topic filter '), (err as { hint?: string }).hint);
    }
    if (/^spBv1\.0(\/|$)/.test(filter)) {
      throw usageError(`${filter}: Sparkplug B payloads are read by metric name`, 'use --sparkplug <group>/<edge node>[/<device>] [metric...], e.g. --sparkplug IIoT/SimPlant power');
    }
  }
  const decoder = parseDecoder(f.decoder ?? 'auto');
  if (decoder === 'sparkplug' || decoder === 'none') throw usageError(`--decoder ${decoder} does not fit a read`, decoder === 'sparkplug' ? 'use --sparkplug <group>/<edge node>' : 'one of auto, json, number, text');
  if (f.jsonPath !== undefined) {
    parseJsonPath(f.jsonPath);
    if (decoder === 'number' || decoder === 'text') throw usageError(`--json-path goes with the json or auto decoder, not ${decoder}`);
  }
  return { ...common, select: { kind: 'topics', filters: items, decoder, ...(f.jsonPath === undefined ? {} : { jsonPath: f.jsonPath }) } };
}
