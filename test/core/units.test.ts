import { describe, expect, it } from 'vitest';
import { convert, formatDuration, parseByteSize, parseDuration, parseQuantity } from '../../src/core/units.js';

describe('durations', () => {
  it.each([
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    ['1.5d', 129_600_000],
    ['1h30m', 5_400_000],
  ])('%s is %d ms', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('refuses a bare number unless told its unit', () => {
    expect(() => parseDuration('5', '--interval')).toThrow(/--interval: cannot read "5"/);
    expect(parseDuration('5', '--interval', 's')).toBe(5000);
  });

  it('refuses junk after a valid prefix', () => {
    expect(() => parseDuration('5m and a bit')).toThrow(/cannot read/);
  });

  it('formats durations for people', () => {
    expect(formatDuration(1.234)).toBe('1.23 ms');
    expect(formatDuration(42_000)).toBe('42.0 s');
    expect(formatDuration(5_400_000)).toBe('1h 30m');
    expect(formatDuration(6 * 86_400_000 + 3_600_000)).toBe('6d 1h');
  });
});

describe('quantities and units', () => {
  it('reads a value with a unit in any case', () => {
    expect(parseQuantity('7.1mm/s')).toEqual({ value: 7.1, unit: 'mm/s', dimension: 'velocity' });
    expect(parseQuantity('250 KW')).toEqual({ value: 250, unit: 'kW', dimension: 'power' });
    expect(parseQuantity('0.2')).toEqual({ value: 0.2, unit: undefined, dimension: undefined });
  });

  it('checks the dimension when one is expected', () => {
    expect(() => parseQuantity('3kWh', '--threshold', 'velocity')).toThrow(/is a energy, expected a velocity/);
    expect(() => parseQuantity('3 parsecs')).toThrow(/unknown unit "parsecs"/);
  });

  it('converts within a dimension, including temperature offsets', () => {
    expect(convert(1500, 'W', 'kW')).toBe(1.5);
    expect(convert(2, 'MWh', 'kWh')).toBe(2000);
    expect(convert(212, '°F', '°C')).toBeCloseTo(100, 10);
    expect(convert(0.5, 'in/s', 'mm/s')).toBeCloseTo(12.7, 10);
    expect(() => convert(1, 'kW', 'kWh')).toThrow(/cannot convert kW \(power\) to kWh \(energy\)/);
  });

  it('reads byte sizes', () => {
    expect(parseByteSize('100MB')).toBe(100 * 1024 * 1024);
    expect(() => parseByteSize('lots')).toThrow(/as a size/);
  });
});
