import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromMs, timeMs, toCaptureTime } from '../../src/capture/iso-time.js';

// 0001-01-01 .. 9999-12-31: every instant Date prints with a 4-digit year
const RANGE = fc.integer({ min: -62_135_596_800_000, max: 253_402_300_799_999 });

describe('timeMs', () => {
  it('agrees with Date.parse on every ISO string Date prints (years 0001-9999)', () => {
    fc.assert(
      fc.property(RANGE, (ms) => {
        const iso = new Date(ms).toISOString();
        expect(timeMs(iso)).toBe(ms);
      }),
      { numRuns: 2000 },
    );
  });

  it('reads offsets, lower-case separators and fractions finer than a millisecond', () => {
    expect(timeMs('2026-03-29T01:30:00+02:00')).toBe(Date.parse('2026-03-28T23:30:00Z'));
    expect(timeMs('2026-03-29T01:30:00-0530')).toBe(Date.parse('2026-03-29T07:00:00Z'));
    expect(timeMs('2026-11-25t10:00:00z')).toBe(Date.parse('2026-11-25T10:00:00Z'));
    expect(timeMs('2026-11-25 10:00:00Z')).toBe(Date.parse('2026-11-25T10:00:00Z'));
    expect(timeMs('2026-11-25T10:00:00.5Z')).toBe(Date.parse('2026-11-25T10:00:00.500Z'));
    expect(timeMs('2026-11-25T10:00:00.123456Z') - Date.parse('2026-11-25T10:00:00.123Z')).toBeCloseTo(0.456, 3);
    expect(timeMs('0000-01-01T00:00:00Z')).toBe(-62_167_219_200_000);
  });

  it('refuses what is not a zoned date-time', () => {
    for (const bad of [
      '2026-11-25',
      '2026-11-25T10:00:00',
      '2026-11-25T10:00Z',
      '2026-02-29T00:00:00Z',
      '2026-11-31T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-11-25T24:00:00Z',
      '2026-11-25T10:60:00Z',
      '2026-11-25T10:00:00.Z',
      '2026-11-25T10:00:00Zjunk',
      '2026-11-25T10:00:00+25:00',
      'Nov 25 2026 10:00:00 GMT',
      '1764064800000',
      '',
    ]) {
      expect(timeMs(bad), bad).toBeNaN();
    }
    expect(timeMs(42 as unknown as string)).toBeNaN();
  });

  it('does not let the cached hour leak into a different date', () => {
    expect(timeMs('2026-11-25T10:59:59.999Z')).toBe(Date.parse('2026-11-25T10:59:59.999Z'));
    expect(timeMs('2026-11-25T11:00:00.000Z')).toBe(Date.parse('2026-11-25T11:00:00.000Z'));
    expect(timeMs('2026-11-25T10:00:00.000Z')).toBe(Date.parse('2026-11-25T10:00:00.000Z'));
    expect(timeMs('2026-11-2XT10:00:00.000Z')).toBeNaN();
  });
});

describe('isoFromMs and toCaptureTime', () => {
  it('round-trips milliseconds and microseconds', () => {
    fc.assert(
      // until 2039 a double holds epoch milliseconds to a quarter of a microsecond
      fc.property(fc.integer({ min: 0, max: 2 ** 41 }), fc.integer({ min: 0, max: 999 }), (ms, micro) => {
        const t = ms + micro / 1000;
        const iso = isoFromMs(t)!;
        expect(iso).toMatch(micro === 0 ? /\.\d{3}Z$/ : /\.\d{6}Z$/);
        expect(Math.abs(timeMs(iso) - t)).toBeLessThan(0.001);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps a UTC string verbatim (nanoseconds survive), converts offsets, refuses junk', () => {
    expect(toCaptureTime('2026-11-25T10:00:00.123456789Z')).toBe('2026-11-25T10:00:00.123456789Z');
    expect(toCaptureTime('2026-11-25T11:00:00+01:00')).toBe('2026-11-25T10:00:00.000Z');
    expect(toCaptureTime(new Date('2026-11-25T10:00:00Z'))).toBe('2026-11-25T10:00:00.000Z');
    expect(toCaptureTime(Date.parse('2026-11-25T10:00:00Z'))).toBe('2026-11-25T10:00:00.000Z');
    expect(toCaptureTime('yesterday')).toBeUndefined();
    expect(toCaptureTime(new Date('junk'))).toBeUndefined();
    expect(toCaptureTime(Number.NaN)).toBeUndefined();
    expect(toCaptureTime(1e20)).toBeUndefined();
  });
});
