import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  BYTE_ORDERS,
  decodeRaw,
  decodeValue,
  encodeRaw,
  encodeValue,
  typeWidth,
  type ByteOrder,
  type RegisterLayout,
  type RegisterType,
} from '../../../src/protocols/modbus/codec.js';

const layout = (type: RegisterType, order: ByteOrder, extra: Partial<RegisterLayout> = {}): RegisterLayout => ({
  type,
  order,
  length: type === 'string' ? (extra.length ?? 4) : typeWidth(type),
  scale: 1,
  offset: 0,
  ...extra,
});

/** The wire words of known values in every order (A = most significant byte). */
const GOLDEN: Array<{ type: RegisterType; value: number | bigint | string; words: Record<ByteOrder, number[]> }> = [
  { type: 'int16', value: 0x0102, words: { ABCD: [0x0102], CDAB: [0x0102], BADC: [0x0201], DCBA: [0x0201] } },
  { type: 'int16', value: -2, words: { ABCD: [0xfffe], CDAB: [0xfffe], BADC: [0xfeff], DCBA: [0xfeff] } },
  { type: 'uint16', value: 0xabcd, words: { ABCD: [0xabcd], CDAB: [0xabcd], BADC: [0xcdab], DCBA: [0xcdab] } },
  { type: 'int32', value: -2, words: { ABCD: [0xffff, 0xfffe], CDAB: [0xfffe, 0xffff], BADC: [0xffff, 0xfeff], DCBA: [0xfeff, 0xffff] } },
  {
    type: 'uint32',
    value: 0x01020304,
    words: { ABCD: [0x0102, 0x0304], CDAB: [0x0304, 0x0102], BADC: [0x0201, 0x0403], DCBA: [0x0403, 0x0201] },
  },
  {
    type: 'float32',
    value: 230.5,
    words: { ABCD: [0x4366, 0x8000], CDAB: [0x8000, 0x4366], BADC: [0x6643, 0x0080], DCBA: [0x0080, 0x6643] },
  },
  {
    type: 'int64',
    value: -2n,
    words: {
      ABCD: [0xffff, 0xffff, 0xffff, 0xfffe],
      CDAB: [0xfffe, 0xffff, 0xffff, 0xffff],
      BADC: [0xffff, 0xffff, 0xffff, 0xfeff],
      DCBA: [0xfeff, 0xffff, 0xffff, 0xffff],
    },
  },
  {
    type: 'uint64',
    value: 0x0102030405060708n,
    words: {
      ABCD: [0x0102, 0x0304, 0x0506, 0x0708],
      CDAB: [0x0708, 0x0506, 0x0304, 0x0102],
      BADC: [0x0201, 0x0403, 0x0605, 0x0807],
      DCBA: [0x0807, 0x0605, 0x0403, 0x0201],
    },
  },
  {
    type: 'float64',
    value: 1,
    words: { ABCD: [0x3ff0, 0, 0, 0], CDAB: [0, 0, 0, 0x3ff0], BADC: [0xf03f, 0, 0, 0], DCBA: [0, 0, 0, 0xf03f] },
  },
  // strings: characters in order; only the byte swap applies
  {
    type: 'string',
    value: 'LINE-3',
    words: {
      ABCD: [0x4c49, 0x4e45, 0x2d33, 0],
      CDAB: [0x4c49, 0x4e45, 0x2d33, 0],
      BADC: [0x494c, 0x454e, 0x332d, 0],
      DCBA: [0x494c, 0x454e, 0x332d, 0],
    },
  },
];

describe('register codec: golden words for every type and order', () => {
  for (const g of GOLDEN) {
    for (const order of BYTE_ORDERS) {
      it(`${g.type} ${String(g.value)} ${order}`, () => {
        const l = layout(g.type, order);
        expect(encodeRaw(l, g.value)).toEqual(g.words[order]);
        expect(decodeRaw(l, g.words[order])).toEqual(g.value);
      });
    }
  }
});

const ARBITRARY: Record<Exclude<RegisterType, 'bool' | 'string'>, fc.Arbitrary<number | bigint>> = {
  int16: fc.integer({ min: -32768, max: 32767 }),
  uint16: fc.integer({ min: 0, max: 65535 }),
  int32: fc.integer({ min: -2147483648, max: 2147483647 }),
  uint32: fc.integer({ min: 0, max: 4294967295 }),
  int64: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }),
  uint64: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }),
  float32: fc.float({ noNaN: true }).map((x) => Math.fround(x)),
  float64: fc.double({ noNaN: true }),
};

describe('register codec: round trips of every type in every order', () => {
  for (const [type, arb] of Object.entries(ARBITRARY) as Array<[Exclude<RegisterType, 'bool' | 'string'>, fc.Arbitrary<number | bigint>]>) {
    for (const order of BYTE_ORDERS) {
      it(`${type} ${order}`, () => {
        const l = layout(type, order);
        fc.assert(
          fc.property(arb, (v) => {
            const words = encodeRaw(l, v);
            expect(words).toHaveLength(typeWidth(type));
            for (const w of words) expect(w >= 0 && w <= 0xffff).toBe(true);
            expect(decodeRaw(l, words)).toEqual(v);
          }),
          { numRuns: 200 },
        );
      });
    }
  }
  for (const order of BYTE_ORDERS) {
    it(`string ${order}`, () => {
      const l = layout('string', order, { length: 8 });
      fc.assert(
        fc.property(fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_ '.split('')), maxLength: 16 }), (s) => {
          expect(decodeRaw(l, encodeRaw(l, s))).toBe(s.replace(/\s+$/, ''));
        }),
      );
    });
  }
});

describe('register codec: engineering values', () => {
  it('applies scale and offset both ways', () => {
    const l = layout('int16', 'ABCD', { scale: 0.01, offset: 50 });
    expect(encodeValue(l, 50.12)).toEqual([12]);
    expect(decodeValue(l, [0xfff6])).toBeCloseTo(49.9, 10);
    const wh = layout('int64', 'ABCD', { scale: 0.001 });
    expect(encodeValue(wh, 182340.523)).toEqual([0, 0, 0x0ade, 0x4bab]);
    expect(decodeValue(wh, [0, 0, 0x0ade, 0x4bab])).toBeCloseTo(182340.523, 9);
  });

  it('64-bit integers recorded as strings of digits (beyond 2^53) are written exactly, not through a double', () => {
    // 2^53 + 1 = 0x0020_0000_0000_0001; 2^64 - 1; -2^63 = 0x8000_0000_0000_0000 (words worked out by hand)
    expect(encodeValue(layout('int64', 'ABCD'), '9007199254740993')).toEqual([0x0020, 0x0000, 0x0000, 0x0001]);
    expect(encodeValue(layout('uint64', 'ABCD'), '18446744073709551615')).toEqual([0xffff, 0xffff, 0xffff, 0xffff]);
    expect(encodeValue(layout('int64', 'ABCD'), '-9223372036854775808')).toEqual([0x8000, 0x0000, 0x0000, 0x0000]);
    // CDAB over four words reverses their order (GH EF CD AB, the codec's documented rule)
    expect(encodeValue(layout('int64', 'CDAB'), '9007199254740993')).toEqual([0x0001, 0x0000, 0x0000, 0x0020]);
  });

  it('saturates integers it cannot represent, as a device would', () => {
    expect(encodeRaw(layout('int16', 'ABCD'), 40000)).toEqual([0x7fff]);
    expect(encodeRaw(layout('uint16', 'ABCD'), -5)).toEqual([0]);
    expect(encodeRaw(layout('uint32', 'ABCD'), Number.NaN)).toEqual([0, 0]);
    expect(encodeRaw(layout('uint64', 'ABCD'), Infinity)).toEqual([0xffff, 0xffff, 0xffff, 0xffff]);
  });

  it('reads and writes bools as whole registers or single bits', () => {
    expect(encodeRaw(layout('bool', 'ABCD'), true)).toEqual([1]);
    expect(decodeRaw(layout('bool', 'ABCD'), [0x0100])).toBe(true);
    const bit2 = layout('bool', 'ABCD', { bit: 2 });
    expect(encodeRaw(bit2, true)).toEqual([4]);
    expect(decodeRaw(bit2, [0b011])).toBe(false);
    expect(decodeRaw(bit2, [0b100])).toBe(true);
  });

  it('refuses too few registers', () => {
    expect(() => decodeRaw(layout('float32', 'ABCD'), [1])).toThrow(/needs 2 registers/);
  });
});
