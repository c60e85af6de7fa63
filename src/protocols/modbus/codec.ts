/**
 * Values <-> 16-bit Modbus registers, for every type and byte/word order of docs/register-maps.md.
 * Pure functions over numbers: no protocol library here, so the recorder, the replay server and the
 * simulator share exactly one implementation.
 *
 * Orders name where the bytes of a big-endian value A B C D (A most significant) end up on the wire:
 *   ABCD  big-endian words, high word first (Modbus convention, most meters)
 *   CDAB  word-swapped: low word first (many PLCs, "little-endian word order")
 *   BADC  byte-swapped within each word, high word first
 *   DCBA  fully little-endian
 * 64-bit values extend the same rule over four words (CDAB reverses the word order: GH EF CD AB).
 */

export type RegisterType = 'bool' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64' | 'float32' | 'float64' | 'string';
export type ByteOrder = 'ABCD' | 'CDAB' | 'BADC' | 'DCBA';

export const REGISTER_TYPES: readonly RegisterType[] = [
  'bool',
  'int16',
  'uint16',
  'int32',
  'uint32',
  'int64',
  'uint64',
  'float32',
  'float64',
  'string',
];
export const BYTE_ORDERS: readonly ByteOrder[] = ['ABCD', 'CDAB', 'BADC', 'DCBA'];

/** What a decoded register holds before scaling: 64-bit integers come back as bigint. */
export type RawValue = number | bigint | boolean | string;

/** What encode/decode need to know about a register (a RegisterEntry satisfies it). */
export interface RegisterLayout {
  type: RegisterType;
  order: ByteOrder;
  /** registers occupied (strings: as declared; other types: fixed by the type) */
  length: number;
  /** for bool in a register: the bit (0 = least significant); absent: any non-zero value is true */
  bit?: number | undefined;
  scale: number;
  offset: number;
}

/** Registers used by a type (strings and bools are decided by the entry). */
export function typeWidth(type: Exclude<RegisterType, 'string'>): number {
  switch (type) {
    case 'bool':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
  }
}

/** Big-endian bytes -> wire words in the given order. */
export function bytesToWords(bytes: Uint8Array, order: ByteOrder): number[] {
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const words: number[] = [];
  for (let i = 0; i < bytes.length; i += 2) {
    const hi = bytes[i] ?? 0;
    const lo = bytes[i + 1] ?? 0;
    words.push(swapBytes ? (lo << 8) | hi : (hi << 8) | lo);
  }
  return swapWords ? words.reverse() : words;
}

/** Wire words in the given order -> big-endian bytes. The exact inverse of bytesToWords. */
export function wordsToBytes(words: ArrayLike<number>, order: ByteOrder): Uint8Array {
  const swapBytes = order === 'BADC' || order === 'DCBA';
  const swapWords = order === 'CDAB' || order === 'DCBA';
  const n = words.length;
  const bytes = new Uint8Array(n * 2);
  for (let i = 0; i < n; i++) {
    const w = (words[swapWords ? n - 1 - i : i] ?? 0) & 0xffff;
    const hi = w >> 8;
    const lo = w & 0xff;
    bytes[2 * i] = swapBytes ? lo : hi;
    bytes[2 * i + 1] = swapBytes ? hi : lo;
  }
  return bytes;
}

/**
 * Raw (unscaled) value -> registers. Integers saturate at the limits of their type and NaN
 * becomes 0, as a device clamps a reading it cannot represent; floats are written as given.
 */
export function encodeRaw(layout: RegisterLayout, raw: RawValue): number[] {
  const { type, order } = layout;
  if (type === 'string') {
    const text = typeof raw === 'string' ? raw : String(raw);
    const bytes = new Uint8Array(layout.length * 2);
    bytes.set(new TextEncoder().encode(text).subarray(0, bytes.length));
    // Strings are sequences of characters, not numbers: only the byte swap applies, never a word swap.
    return bytesToWords(bytes, order === 'BADC' || order === 'DCBA' ? 'BADC' : 'ABCD');
  }
  if (type === 'bool') {
    const on = typeof raw === 'string' ? raw !== '' && raw !== '0' && raw !== 'false' : Boolean(raw);
    if (layout.bit === undefined) return [on ? 1 : 0];
    return [on ? 1 << layout.bit : 0];
  }
  const width = typeWidth(type);
  const view = new DataView(new ArrayBuffer(width * 2));
  switch (type) {
    case 'int16':
      view.setInt16(0, clampInt(raw, -32768, 32767));
      break;
    case 'uint16':
      view.setUint16(0, clampInt(raw, 0, 65535));
      break;
    case 'int32':
      view.setInt32(0, clampInt(raw, -2147483648, 2147483647));
      break;
    case 'uint32':
      view.setUint32(0, clampInt(raw, 0, 4294967295));
      break;
    case 'int64':
      view.setBigInt64(0, clampBig(raw, -(2n ** 63n), 2n ** 63n - 1n));
      break;
    case 'uint64':
      view.setBigUint64(0, clampBig(raw, 0n, 2n ** 64n - 1n));
      break;
    case 'float32':
      view.setFloat32(0, toNumber(raw));
      break;
    case 'float64':
      view.setFloat64(0, toNumber(raw));
      break;
  }
  return bytesToWords(new Uint8Array(view.buffer), order);
}

/** Registers -> raw (unscaled) value. 64-bit integers come back as bigint. */
export function decodeRaw(layout: RegisterLayout, words: ArrayLike<number>): RawValue {
  const { type, order } = layout;
  if (type === 'string') {
    const bytes = wordsToBytes(
      Array.from({ length: layout.length }, (_, i) => words[i] ?? 0),
      order === 'BADC' || order === 'DCBA' ? 'BADC' : 'ABCD',
    );
    const end = bytes.indexOf(0);
    return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end)).replace(/\s+$/, '');
  }
  if (type === 'bool') {
    const w = (words[0] ?? 0) & 0xffff;
    return layout.bit === undefined ? w !== 0 : ((w >> layout.bit) & 1) === 1;
  }
  const width = typeWidth(type);
  if (words.length < width) throw new RangeError(`a ${type} needs ${width} registers, got ${words.length}`);
  const bytes = wordsToBytes(
    Array.from({ length: width }, (_, i) => words[i]!),
    order,
  );
  const view = new DataView(bytes.buffer);
  switch (type) {
    case 'int16':
      return view.getInt16(0);
    case 'uint16':
      return view.getUint16(0);
    case 'int32':
      return view.getInt32(0);
    case 'uint32':
      return view.getUint32(0);
    case 'int64':
      return view.getBigInt64(0);
    case 'uint64':
      return view.getBigUint64(0);
    case 'float32':
      return view.getFloat32(0);
    case 'float64':
      return view.getFloat64(0);
  }
}

/** Engineering value -> registers: raw = (value − offset) / scale, then encodeRaw. */
export function encodeValue(layout: RegisterLayout, value: number | boolean | string | bigint): number[] {
  if (typeof value !== 'number' || layout.type === 'bool' || layout.type === 'string') return encodeRaw(layout, value);
  if (layout.scale === 1 && layout.offset === 0) return encodeRaw(layout, value);
  return encodeRaw(layout, (value - layout.offset) / layout.scale);
}

/**
 * Registers -> engineering value: raw · scale + offset. 64-bit integers become numbers (exact up
 * to 2^53, which covers any energy counter in Wh for a few million years); strings and bools
 * are returned as they are.
 */
export function decodeValue(layout: RegisterLayout, words: ArrayLike<number>): number | boolean | string {
  const raw = decodeRaw(layout, words);
  if (typeof raw === 'boolean' || typeof raw === 'string') return raw;
  const n = typeof raw === 'bigint' ? Number(raw) : raw;
  if (layout.scale === 1 && layout.offset === 0) return n;
  return n * layout.scale + layout.offset;
}

function toNumber(raw: RawValue): number {
  if (typeof raw === 'number') return raw;
  if (typeof raw === 'bigint') return Number(raw);
  if (typeof raw === 'boolean') return raw ? 1 : 0;
  return Number(raw);
}

function clampInt(raw: RawValue, lo: number, hi: number): number {
  const n = Math.round(toNumber(raw));
  if (Number.isNaN(n)) return 0;
  return Math.min(hi, Math.max(lo, n));
}

function clampBig(raw: RawValue, lo: bigint, hi: bigint): bigint {
  let b: bigint;
  if (typeof raw === 'bigint') b = raw;
  // a 64-bit value recorded beyond 2^53 is a string of digits (docs/capture-format.md): exactly
  else if (typeof raw === 'string' && /^\s*-?\d+\s*$/.test(raw)) b = BigInt(raw.trim());
  else {
    const n = Math.round(toNumber(raw));
    if (Number.isNaN(n)) return 0n;
    if (!Number.isFinite(n)) return n > 0 ? hi : lo;
    b = BigInt(n);
  }
  return b < lo ? lo : b > hi ? hi : b;
}
