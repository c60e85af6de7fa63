import { describe, expect, it } from 'vitest';
import { decodeValue, encodeValue } from '../../../src/protocols/modbus/codec.js';
import { planPerEntry, planReads, sliceFor } from '../../../src/protocols/modbus/planner.js';
import { loadRegisterMap, parseRegisterMap, type RegisterEntry } from '../../../src/protocols/modbus/register-map.js';
import { nonsense, nonsenseMessage, plausibleOrders } from '../../../src/protocols/modbus/sanity.js';

function entry(
  name: string,
  table: RegisterEntry['table'],
  address: number,
  length = 1,
  extra: Partial<RegisterEntry> = {},
): RegisterEntry {
  return {
    name,
    table,
    address,
    length,
    type: length === 2 ? 'float32' : table === 'coil' || table === 'discrete' ? 'bool' : 'uint16',
    order: 'ABCD',
    scale: 1,
    offset: 0,
    writable: false,
    ...extra,
  };
}

describe('the read planner', () => {
  it('merges neighbours, bridges gaps up to the tolerance, and never mixes tables', () => {
    const plan = planReads(
      [
        entry('a', 'input', 0, 2),
        entry('b', 'input', 2, 2),
        entry('c', 'input', 10, 2),
        entry('d', 'input', 40, 2),
        entry('h', 'holding', 0),
        entry('k', 'coil', 5),
        entry('l', 'coil', 7),
      ],
      { maxGap: 10 },
    );
    expect(plan.map((r) => [r.functionCode, r.address, r.length, r.entries.map((e) => e.name).join('')])).toEqual([
      [1, 5, 3, 'kl'],
      [4, 0, 12, 'abc'],
      [4, 40, 2, 'd'],
      [3, 0, 1, 'h'],
    ]);
  });

  it('with no gap tolerance, only touching entries share a request', () => {
    const plan = planReads([entry('a', 'input', 0, 2), entry('b', 'input', 2, 2), entry('c', 'input', 5, 2)], { maxGap: 0 });
    expect(plan.map((r) => [r.address, r.length])).toEqual([
      [0, 4],
      [5, 2],
    ]);
  });

  it('splits at 125 registers (FC03/04) and 2000 bits (FC01/02), or less when told', () => {
    const regs = Array.from({ length: 100 }, (_, i) => entry(`r${i}`, 'input', i * 2, 2));
    const plan = planReads(regs);
    expect(plan.every((r) => r.length <= 125)).toBe(true);
    expect(plan.map((r) => r.length)).toEqual([124, 76]);
    expect(plan.flatMap((r) => r.entries)).toHaveLength(100);
    expect(planReads(regs, { maxRegisters: 10 }).map((r) => r.length)).toEqual(Array(20).fill(10));
    const bits = Array.from({ length: 2500 }, (_, i) => entry(`b${i}`, 'discrete', i));
    expect(planReads(bits).map((r) => r.length)).toEqual([2000, 500]);
  });

  it('reads the SDM630 map in far fewer requests than one per register', () => {
    const map = loadRegisterMap('sdm630');
    const merged = planReads(map.entries);
    expect(merged.length).toBeLessThan(map.entries.length / 5);
    expect(planPerEntry(map.entries)).toHaveLength(map.entries.length);
    // every entry is read exactly once, inside its request
    const seen = merged.flatMap((r) =>
      r.entries.map((e) => {
        expect(e.address).toBeGreaterThanOrEqual(r.address);
        expect(e.address + e.length).toBeLessThanOrEqual(r.address + r.length);
        return e.name;
      }),
    );
    expect(new Set(seen).size).toBe(map.entries.length);
  });

  it("cuts each entry's registers out of a merged answer", () => {
    const a = entry('a', 'holding', 10, 2);
    const b = entry('b', 'holding', 14, 2);
    const [req] = planReads([a, b]);
    const words = [...encodeValue(a, 230.5), 0, 0, ...encodeValue(b, -1.25)];
    expect(decodeValue(a, sliceFor(req!, a, words))).toBe(230.5);
    expect(decodeValue(b, sliceFor(req!, b, words))).toBe(-1.25);
  });
});

describe('nonsense decodes', () => {
  const f = entry('v', 'input', 0, 2);

  it('flags NaN, denormals and absurd magnitudes, not ordinary readings', () => {
    expect(nonsense(f, NaN)).toBe('NaN');
    expect(nonsense(f, 3.4e-41)).toBe('denormal');
    expect(nonsense(f, 1.2e25)).toBe('absurd');
    expect(nonsense(f, 230.5)).toBeUndefined();
    expect(nonsense(f, 0)).toBeUndefined();
    expect(nonsense(entry('i', 'input', 0, 1, { type: 'uint16' }), 65535)).toBeUndefined();
  });

  it('names the byte order that makes sense of a word-swapped float', () => {
    const words = encodeValue({ ...f, order: 'CDAB' }, 230.5);
    const read = decodeValue(f, words) as number;
    const why = nonsense(f, read);
    expect(why).toBeDefined();
    expect(plausibleOrders(f, words)[0]).toEqual({ order: 'CDAB', value: 230.5 });
    expect(nonsenseMessage(f, read, why!, words)).toMatch(/CDAB gives 230\.5/);
  });
});

describe('register maps the recorder refuses', () => {
  it('overlapping registers: one line naming the file, line and both entries', () => {
    expect(() =>
      parseRegisterMap({
        file: 'm.yaml',
        text: 'name: m\ndefaults: { table: input, type: float32 }\nregisters:\n  - { name: a, address: 0 }\n  - { name: b, address: 1 }\n',
      }),
    ).toThrow(/m\.yaml:5: registers\[1\]: b \(ir:0x0001\) overlaps a \(ir:0x0000, 2 registers\)/);
  });
});
