import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommonSample } from '../../src/capture/fast-line.js';

/** The reader's hand-written fast path must give exactly what JSON.parse gives, or step aside. */

function viaJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

const numberText = fc.oneof(
  fc.double({ noNaN: true, noDefaultInfinity: true }).map(String),
  fc
    .double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 })
    .chain((d) => fc.integer({ min: 0, max: 20 }).map((k) => d.toFixed(k))),
  fc.double({ noNaN: true, noDefaultInfinity: true }).chain((d) => fc.integer({ min: 0, max: 20 }).map((k) => d.toExponential(k))),
  fc.float().map((f) => String(f)),
  fc.stringMatching(/^-?(0|[1-9]\d{0,20})(\.\d{1,20})?([eE][+-]?\d{1,3})?$/),
  // not numbers, or not JSON numbers
  fc.constantFrom('', '-', '01', '1.', '.5', '+1', '0x10', 'Infinity', 'NaN', '1e', '1e+', ' 1', '1 ', '--1', 'true', '"1"', 'null', '1,2'),
);

describe('parseCommonSample', () => {
  it('agrees with JSON.parse on numbers written every way', () => {
    fc.assert(
      fc.property(numberText, (num) => {
        const line = `{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":${num}}`;
        const fast = parseCommonSample(line, 0, line.length);
        const slow = viaJson(line);
        if (fast !== undefined) expect(fast).toEqual(slow);
        // every valid line of this exact shape with a finite number takes the fast path
        if (slow !== undefined && typeof (slow as { v: unknown }).v === 'number' && !/\s/.test(num)) expect(fast).toBeDefined();
      }),
      { numRuns: 5000 },
    );
  });

  it('steps aside for anything but the common form, and never accepts what JSON.parse refuses', () => {
    const piece = fc.constantFrom(
      '{"t":"',
      '2026-11-25T10:00:00.000Z',
      '","tag":"',
      'a',
      '\\"',
      '\\u0041',
      '\t',
      '","v":',
      '1.5',
      '}',
      '"',
      ',"q":"Bad"',
      ' ',
      'x',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 12 }), (parts) => {
        const line = parts.join('');
        const fast = parseCommonSample(line, 0, line.length);
        if (fast !== undefined) expect(fast).toEqual(viaJson(line));
      }),
      { numRuns: 5000 },
    );
    const common = '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":1}';
    expect(parseCommonSample(common, 0, common.length)).toEqual({ t: '2026-11-25T10:00:00.000Z', tag: 'a', v: 1 });
    for (const other of [
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":1,"q":"Bad"}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a\\u0041","v":1}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":"1"}',
      '{"t":"2026-11-25 10:00:00","tag":"a","v":1}',
      '{"t":"2026-11-25T10:00:00.000Z", "tag":"a","v":1}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"","v":1}',
    ]) {
      expect(parseCommonSample(other, 0, other.length), other).toBeUndefined();
    }
  });

  it('reads a line inside a block without looking past its end', () => {
    const block = '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":12}{"t":"2026-11-25T10:00:01.000Z","tag":"b","v":3}';
    const first = 49;
    expect(parseCommonSample(block, 0, first)).toEqual({ t: '2026-11-25T10:00:00.000Z', tag: 'a', v: 12 });
    expect(parseCommonSample(block, first, block.length)).toEqual({ t: '2026-11-25T10:00:01.000Z', tag: 'b', v: 3 });
    expect(parseCommonSample(block, 0, first - 1)).toBeUndefined();
  });
});
