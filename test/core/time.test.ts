import { describe, expect, it } from 'vitest';
import { checkTimeZone, formatZoned, offsetMinutes, parseTimeArg, zonedParts, zonedTimeToUtc } from '../../src/core/time.js';

describe('time zones', () => {
  it('knows the offset on both sides of a daylight-saving change', () => {
    // Europe/Madrid springs forward on 2026-03-29 at 01:00 UTC.
    expect(offsetMinutes(Date.UTC(2026, 2, 29, 0, 30), 'Europe/Madrid')).toBe(60);
    expect(offsetMinutes(Date.UTC(2026, 2, 29, 1, 30), 'Europe/Madrid')).toBe(120);
  });

  it('turns local wall time into UTC, choosing the earlier instant in the repeated autumn hour', () => {
    expect(zonedTimeToUtc({ year: 2026, month: 1, day: 15, hour: 12 }, 'Europe/Madrid')).toBe(Date.UTC(2026, 0, 15, 11));
    // 2026-10-25 02:30 happens twice in Madrid: 00:30Z (CEST) and 01:30Z (CET)
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Madrid')).toBe(Date.UTC(2026, 9, 25, 0, 30));
    expect(zonedTimeToUtc({ year: 2026, month: 10, day: 25, hour: 2, minute: 30 }, 'Europe/Madrid', true)).toBe(
      Date.UTC(2026, 9, 25, 1, 30),
    );
  });

  it('reads a time in the skipped spring hour with the offset before the change', () => {
    const ms = zonedTimeToUtc({ year: 2026, month: 3, day: 29, hour: 2, minute: 30 }, 'Europe/Madrid');
    expect(formatZoned(ms, 'Europe/Madrid')).toBe('2026-03-29T03:30:00+02:00');
  });

  it('gives local wall-clock parts and weekday', () => {
    const p = zonedParts(Date.UTC(2026, 10, 25, 23, 30), 'Asia/Seoul');
    expect(p).toMatchObject({ year: 2026, month: 11, day: 26, hour: 8, minute: 30, weekday: 4, offsetMinutes: 540 });
  });

  it('parses user times: absolute, local and relative', () => {
    expect(parseTimeArg('2026-11-25T10:00:00Z', '--from')).toBe(Date.UTC(2026, 10, 25, 10));
    expect(parseTimeArg('2026-11-25 10:00', '--from', 'Europe/Madrid')).toBe(Date.UTC(2026, 10, 25, 9));
    expect(parseTimeArg('now-2h', '--from', 'UTC', 10_000_000)).toBe(10_000_000 - 7_200_000);
    expect(() => parseTimeArg('yesterday', '--from')).toThrow(/--from: cannot read "yesterday"/);
  });

  it('refuses unknown zones', () => {
    expect(() => checkTimeZone('Mars/Olympus')).toThrow(/unknown time zone "Mars\/Olympus"/);
    expect(checkTimeZone('Europe/Madrid')).toBe('Europe/Madrid');
  });
});
