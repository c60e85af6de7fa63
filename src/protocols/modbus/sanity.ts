/**
 * Values that are almost certainly decoded with the wrong byte or word order: a float32 read
 * CDAB as ABCD turns 230.5 V into 3.4e-41 (a denormal) or 1.2e+25. Such values are recorded as
 * read (the capture is evidence) but reported once per tag, with the order that would make sense
 * when one does. Pure: no protocol library here.
 */
import { BYTE_ORDERS, decodeValue, type ByteOrder } from './codec.js';
import type { RegisterEntry } from './register-map.js';

/** Beyond this magnitude no meter, drive or PLC value is plausible (1e15 W is a thousand power stations). */
export const ABSURD_MAGNITUDE = 1e15;
/** Below this (and not zero) no reading is plausible either: a swapped 230 V reads 5.8e-15. */
export const ABSURDLY_SMALL = 1e-12;
const FLOAT32_MIN_NORMAL = 1.1754943508222875e-38;
const FLOAT64_MIN_NORMAL = 2.2250738585072014e-308;

export type Nonsense = 'NaN' | 'infinite' | 'denormal' | 'absurd';

/** Why a decoded value looks wrong, or undefined when it looks like a reading. */
export function nonsense(entry: Pick<RegisterEntry, 'type' | 'scale' | 'offset'>, value: unknown): Nonsense | undefined {
  if (typeof value !== 'number') return undefined;
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return 'infinite';
  const raw = (value - entry.offset) / entry.scale;
  if (entry.type === 'float32' && raw !== 0 && Math.abs(raw) < FLOAT32_MIN_NORMAL) return 'denormal';
  if (entry.type === 'float64' && raw !== 0 && Math.abs(raw) < FLOAT64_MIN_NORMAL) return 'denormal';
  // integers of 32 bits and less cannot be absurd by magnitude alone; 64-bit ones and floats can
  const wide = entry.type === 'float32' || entry.type === 'float64' || entry.type === 'int64' || entry.type === 'uint64';
  if (wide && Math.abs(value) > ABSURD_MAGNITUDE) return 'absurd';
  if ((entry.type === 'float32' || entry.type === 'float64') && raw !== 0 && Math.abs(raw) < ABSURDLY_SMALL) return 'absurd';
  return undefined;
}

/** The other byte orders that decode these registers to a plausible value, best first. */
export function plausibleOrders(entry: RegisterEntry, words: ArrayLike<number>): Array<{ order: ByteOrder; value: number }> {
  const out: Array<{ order: ByteOrder; value: number }> = [];
  for (const order of BYTE_ORDERS) {
    if (order === entry.order) continue;
    const value = decodeValue({ ...entry, order }, words);
    if (typeof value !== 'number' || nonsense(entry, value) !== undefined) continue;
    // a plausible reading is zero or has a modest exponent
    if (value !== 0 && (Math.abs(value) < 1e-6 || Math.abs(value) > 1e9)) continue;
    out.push({ order, value });
  }
  return out;
}

const WORDS: Record<Nonsense, string> = {
  NaN: 'NaN',
  infinite: 'an infinity',
  denormal: 'a denormal number',
  absurd: 'an absurd magnitude',
};

/** "decodes to a denormal number (3.4e-41): likely the wrong byte order; CDAB gives 230.5" */
export function nonsenseMessage(entry: RegisterEntry, value: number, why: Nonsense, words: ArrayLike<number>): string {
  const alternatives = plausibleOrders(entry, words);
  const shown = Number.isFinite(value) ? value.toPrecision(3) : String(value);
  const better = alternatives[0];
  const hint = better
    ? `likely the wrong byte order: ${better.order} gives ${Number(better.value.toPrecision(7))} (set order: ${better.order} in the map)`
    : why === 'NaN'
      ? 'the device may mark the value as unavailable, or the byte order or address is wrong'
      : 'check the byte order, type and address in the map';
  return `decodes to ${WORDS[why]} (${shown}) as ${entry.type} ${entry.order}: ${hint}`;
}
