import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatNumber, renderTable, width } from '../../src/render/table.js';

describe('formatNumber', () => {
  it('groups the digits of whole numbers by three with spaces, as en-US grouping does with commas', () => {
    // toLocaleString is the independent reference (formatNumber groups by hand to keep ICU out of start-up)
    fc.assert(
      fc.property(fc.integer({ min: -(1e15 - 1), max: 1e15 - 1 }), (n) => {
        expect(formatNumber(n)).toBe(n === 0 ? '0' : n.toLocaleString('en-US').replace(/,/g, ' '));
      }),
      { numRuns: 2000 },
    );
    expect(formatNumber(1234567)).toBe('1 234 567');
    expect(formatNumber(-1000)).toBe('-1 000');
    expect(formatNumber(999)).toBe('999');
    expect(formatNumber(1e15)).toBe('1.000e+15');
  });
});

describe('renderTable', () => {
  it('sizes columns by what is visible, not by colour codes', () => {
    expect(width('\u001b[31mred\u001b[39m')).toBe(3);
    const text = renderTable(
      [{ a: '\u001b[1mx\u001b[22m', b: 'long value' }],
      [
        { header: 'name', value: (r) => r.a },
        { header: 'v', value: (r) => r.b, align: 'right' },
      ],
    );
    expect(text.split('\n').map((l) => l.replace(/\u001b\[\d+m/g, ''))).toEqual([
      'name           v',
      '----  ----------',
      'x     long value',
    ]);
  });
});
