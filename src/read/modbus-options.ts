/**
 * `iiot read modbus://...` flags -> ModbusReadOptions (loaded by options.ts for Modbus endpoints
 * only): the register notations engineers type, types, orders and counts.
 */
import { usageError } from '../core/errors.js';
import type { ModbusRtuTarget, ModbusTcpTarget } from '../core/targets.js';
import { parseDuration } from '../core/units.js';
import { BYTE_ORDERS, REGISTER_TYPES, typeWidth, type ByteOrder, type RegisterType } from '../protocols/modbus/codec.js';
import { parseRegisterNumber, type RegisterTable } from '../protocols/modbus/register-map.js';
import type { ModbusReadOptions, ReadFlags, ReadMode } from './types.js';

/** mbpoll's default too: a device on a healthy link answers in milliseconds */
export const MODBUS_DEFAULT_TIMEOUT = '1s';
export const MODBUS_DEFAULT_INTERVAL = '1s';

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

const ITEM_HINT =
  'write 30001 or 3x0001 (as the manual prints it), 100 (a 1-based register number in --table), or 0x0063, hr:0x0063, hr:99 (the 0-based address on the wire)';

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
export function parseRegisterItem(
  text: string,
  table: RegisterTable | undefined,
  zeroBased: boolean,
): { table: RegisterTable; address: number } {
  const raw = text.trim();
  const prefixed = /^([a-z]+):(.*)$/i.exec(raw);
  if (prefixed) {
    const prefixTable = TABLE_WORDS[prefixed[1]!.toLowerCase()];
    if (!prefixTable)
      throw usageError(
        `register "${text}": unknown table prefix "${prefixed[1]}:"`,
        'co: coil, di: discrete input, ir: input register, hr: holding register',
      );
    if (table !== undefined && table !== prefixTable)
      throw usageError(`register "${text}" is in the ${prefixTable} table, but --table says ${table}`, 'give the table once');
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
      throw usageError(
        `register ${raw} is Modicon notation for the ${loc.table} table, but --table says ${table}`,
        'leave --table out, or give the 1-based number within the table',
      );
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
  if (!(BYTE_ORDERS as readonly string[]).includes(o))
    throw usageError(
      `--order: unknown byte order "${text}"`,
      `one of ${BYTE_ORDERS.join(', ')} (docs/register-maps.md#byte-and-word-order)`,
    );
  return o as ByteOrder;
}

export function parseModbusReadFlags(target: ModbusTcpTarget | ModbusRtuTarget, items: string[], f: ReadFlags): ModbusReadOptions {
  const timeoutMs = parseDuration(f.timeout ?? MODBUS_DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs < 10) throw usageError(`--timeout ${f.timeout}: too short for a Modbus answer`, 'give at least 10ms; the default is 1s');
  const intervalMs = parseDuration(f.interval ?? MODBUS_DEFAULT_INTERVAL, '--interval');
  if (intervalMs < 10) throw usageError(`--interval ${f.interval}: poll at most every 10ms`, 'the default is 1s');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const common = { protocol: 'modbus' as const, target, mode: (f.watch ? 'watch' : 'once') as ReadMode, intervalMs, durationMs, timeoutMs };
  if (f.map !== undefined) {
    for (const [flag, v] of [
      ['--table', f.table],
      ['--type', f.type],
      ['--order', f.order],
      ['--count', f.count],
      ['--length', f.length],
      ['--zero-based', f.zeroBased],
    ] as const) {
      if (v !== undefined)
        throw usageError(
          `${flag} goes with registers given by address, not with --map`,
          'the map says where each entry is and how to decode it',
        );
    }
    return { ...common, select: { kind: 'map', map: f.map, names: items } };
  }
  if (items.length === 0) {
    throw usageError(
      'name the registers to read, or a register map with --map',
      'for example: iiot read modbus://127.0.0.1:502?unit=1 30001 --type float32, or --map sdm630',
    );
  }
  const table = f.table === undefined ? undefined : parseTable(f.table);
  const starts = items.map((item) => ({ item, ...parseRegisterItem(item, table, Boolean(f.zeroBased)) }));
  const bits = starts.filter((s) => s.table === 'coil' || s.table === 'discrete');
  const words = starts.filter((s) => s.table === 'input' || s.table === 'holding');
  if (bits.length > 0 && words.length > 0) {
    throw usageError(
      `${bits[0]!.item} is a ${bits[0]!.table === 'coil' ? 'coil' : 'discrete input'} and ${words[0]!.item} a register: one read takes one kind`,
      'read bits and registers with two commands',
    );
  }
  const isBits = bits.length > 0;
  let type: RegisterType = isBits ? 'bool' : 'uint16';
  if (f.type !== undefined) {
    type = parseType(f.type);
    if (isBits && type !== 'bool')
      throw usageError(`--type ${f.type}: coils and discrete inputs hold single bits`, 'leave --type out for bits');
  }
  if (isBits && f.order !== undefined) throw usageError('--order is for registers, not for coils and discrete inputs');
  const order = f.order === undefined ? 'ABCD' : parseOrder(f.order);
  let length: number | undefined;
  if (type === 'string') {
    if (f.length === undefined)
      throw usageError('--type string needs --length', 'the number of registers of the string, two characters each');
    length = wholeNumber(f.length, '--length', 1, 125);
  } else if (f.length !== undefined) throw usageError('--length goes with --type string');
  const count = f.count === undefined ? 1 : wholeNumber(f.count, '--count', 1, isBits ? 2000 : 125);
  const width = length ?? typeWidth(type as Exclude<RegisterType, 'string'>);
  for (const s of starts) {
    if (s.address + width * count > 65536) {
      throw usageError(
        `${s.item}: ${count} × ${type} from address ${s.address} runs past the last address (65535)`,
        'read fewer values (--count) or start lower',
      );
    }
  }
  return { ...common, select: { kind: 'address', starts, type, order, count, length } };
}
