/**
 * The read planner: a register map's entries merged into as few read requests as possible.
 * Requests never cross tables, never exceed what one request may carry (125 registers for
 * FC03/FC04, 2000 bits for FC01/FC02, Modbus application protocol 6.1-6.4, or less when the user
 * says so), and bridge gaps between entries only up to a tolerance: a device answers a read that
 * touches an address it does not implement with exception 02, so a gap is a risk as well as a
 * saving. Pure: no protocol library here.
 */
import { formatRegisterAddress, readFunctionCode, type RegisterEntry, type RegisterTable } from './register-map.js';

export interface PlanOptions {
  /** registers per FC03/FC04 request; default and maximum 125 */
  maxRegisters?: number;
  /** bits per FC01/FC02 request; default and maximum 2000 */
  maxBits?: number;
  /** unused registers (or bits) a request may bridge between two entries; default 10 */
  maxGap?: number;
}

export interface ReadRequest {
  table: RegisterTable;
  functionCode: 1 | 2 | 3 | 4;
  /** 0-based first address */
  address: number;
  /** registers (or bits) */
  length: number;
  /** entries fully inside [address, address + length), by address */
  entries: RegisterEntry[];
}

export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

const TABLE_ORDER: readonly RegisterTable[] = ['coil', 'discrete', 'input', 'holding'];

export function planReads(entries: readonly RegisterEntry[], opts: PlanOptions = {}): ReadRequest[] {
  const maxRegisters = clamp(opts.maxRegisters ?? MAX_REGISTERS_PER_READ, 1, MAX_REGISTERS_PER_READ);
  const maxBits = clamp(opts.maxBits ?? MAX_BITS_PER_READ, 1, MAX_BITS_PER_READ);
  const maxGap = Math.max(0, opts.maxGap ?? 10);
  const out: ReadRequest[] = [];
  for (const table of TABLE_ORDER) {
    const inTable = entries.filter((e) => e.table === table).sort((a, b) => a.address - b.address || a.length - b.length);
    const limit = table === 'coil' || table === 'discrete' ? maxBits : maxRegisters;
    let cur: ReadRequest | undefined;
    for (const e of inTable) {
      const end = e.address + e.length;
      if (cur) {
        const curEnd = cur.address + cur.length;
        const gap = e.address - curEnd;
        const newLength = Math.max(curEnd, end) - cur.address;
        if (gap <= maxGap && newLength <= limit) {
          cur.length = newLength;
          cur.entries.push(e);
          continue;
        }
      }
      // An entry longer than a request can carry cannot be read at all: the map check allows
      // strings of up to 125 registers, so this only happens with a --max-registers below that.
      cur = { table, functionCode: readFunctionCode(table), address: e.address, length: e.length, entries: [e] };
      out.push(cur);
    }
  }
  return out;
}

/** One request per entry: what a naive poller sends (the benchmark's baseline, and the fallback after an exception). */
export function planPerEntry(entries: readonly RegisterEntry[]): ReadRequest[] {
  return [...entries]
    .sort((a, b) => TABLE_ORDER.indexOf(a.table) - TABLE_ORDER.indexOf(b.table) || a.address - b.address)
    .map((e) => ({ table: e.table, functionCode: readFunctionCode(e.table), address: e.address, length: e.length, entries: [e] }));
}

/** "FC04 ir:0x0000+80 (40 entries)" for --debug and messages. */
export function describeRequest(r: ReadRequest): string {
  return `FC${String(r.functionCode).padStart(2, '0')} ${formatRegisterAddress(r.table, r.address)}+${r.length} (${r.entries.length} entr${r.entries.length === 1 ? 'y' : 'ies'})`;
}

/** The registers (or bits) of one entry inside a request's answer. */
export function sliceFor(r: ReadRequest, e: RegisterEntry, data: ArrayLike<number>): number[] {
  const start = e.address - r.address;
  return Array.from({ length: e.length }, (_, i) => Number(data[start + i] ?? 0));
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.floor(x)));
}
