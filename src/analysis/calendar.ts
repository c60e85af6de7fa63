/**
 * Local calendar of minute buckets: which local day, week, month, weekday, hour and minute of day
 * each UTC minute falls in, for a time zone with daylight-saving changes. Offsets are looked up once
 * per UTC hour (src/core/time.ts caches them), the rest is arithmetic, so a year of minutes is cheap.
 *
 * Daylight saving: a local day is 23 or 25 hours long on the change days; days, weeks and months are
 * local, so their totals include exactly the energy of their local hours. The load profile's hour
 * 02 of a spring-forward Sunday is empty and the autumn one holds two hours (averaged).
 */

import { daysFromCivil, offsetMinutes, zonedTimeToUtc } from '../core/time.js';

export const MINUTE = 60_000;
export const HOUR = 3_600_000;
export const DAY = 86_400_000;

export interface LocalMinute {
  /** days since 1970-01-01 of the local date */
  day: number;
  /** 0 = Sunday */
  weekday: number;
  hour: number;
  /** minute of the local day, 0-1439 */
  minuteOfDay: number;
  year: number;
  month: number;
  /** local date of the Monday starting the ISO week (days since 1970) */
  weekStart: number;
}

/** Calendar of consecutive UTC minutes from `start` (epoch ms, whole minute). */
export class MinuteCalendar {
  readonly start: number;
  readonly tz: string;
  /** per minute index: local day number (days since 1970), minute of day */
  readonly day: Int32Array;
  readonly minuteOfDay: Int16Array;

  constructor(start: number, minutes: number, tz: string) {
    this.start = start;
    this.tz = tz;
    this.day = new Int32Array(minutes);
    this.minuteOfDay = new Int16Array(minutes);
    let hourKey = Number.NaN;
    let off = 0;
    for (let i = 0; i < minutes; i++) {
      const ms = start + i * MINUTE;
      const hk = Math.floor(ms / HOUR);
      if (hk !== hourKey) {
        hourKey = hk;
        off = tz === 'UTC' ? 0 : offsetMinutes(ms, tz);
      }
      // The offset can change inside an hour only for zones with sub-hour DST changes (Lord Howe, 30 min); checked per minute there.
      const o = off % 60 !== 0 ? offsetMinutes(ms, tz) : off;
      const localMin = Math.floor(ms / MINUTE) + o;
      const d = Math.floor(localMin / 1440);
      this.day[i] = d;
      this.minuteOfDay[i] = localMin - d * 1440;
    }
  }

  get length(): number {
    return this.day.length;
  }

  weekday(i: number): number {
    return (((this.day[i]! + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday
  }

  hour(i: number): number {
    return Math.floor(this.minuteOfDay[i]! / 60);
  }
}

/** Year, month (1-12), day of a local day number. */
export function civilFromDays(z: number): { year: number; month: number; day: number } {
  const zz = z + 719_468;
  const era = Math.floor(zz / 146_097);
  const doe = zz - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp + (mp < 10 ? 3 : -9);
  return { year: m <= 2 ? y + 1 : y, month: m, day: d };
}

/** Length in ms of a local calendar day (23, 24 or 25 hours across daylight-saving changes). */
export function dayLengthMs(day: number, tz: string): number {
  if (tz === 'UTC') return DAY;
  const a = civilFromDays(day);
  const b = civilFromDays(day + 1);
  return zonedTimeToUtc(b, tz) - zonedTimeToUtc(a, tz);
}

/** Local day numbers of the first day of a month and of the next month's first day. */
export function monthDays(day: number): [number, number] {
  const c = civilFromDays(day);
  const first = daysFromCivil(c.year, c.month, 1);
  const next = c.month === 12 ? daysFromCivil(c.year + 1, 1, 1) : daysFromCivil(c.year, c.month + 1, 1);
  return [first, next];
}

export function dayLabel(day: number): string {
  const c = civilFromDays(day);
  return `${c.year}-${String(c.month).padStart(2, '0')}-${String(c.day).padStart(2, '0')}`;
}

export function monthLabel(day: number): string {
  const c = civilFromDays(day);
  return `${c.year}-${String(c.month).padStart(2, '0')}`;
}

/** Local day number of the Monday of the ISO week containing `day`. */
export function weekStartOf(day: number): number {
  const wd = (((day + 4) % 7) + 7) % 7; // 0 = Sunday
  return day - ((wd + 6) % 7);
}

/** ISO 8601 week label "2026-W47" of a local day. */
export function isoWeekLabel(day: number): string {
  const thursday = weekStartOf(day) + 3;
  const c = civilFromDays(thursday);
  const jan1 = daysFromCivil(c.year, 1, 1);
  const week = Math.floor((thursday - jan1) / 7) + 1;
  return `${c.year}-W${String(week).padStart(2, '0')}`;
}

export const WEEKDAY_NAMES = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type WeekdayName = (typeof WEEKDAY_NAMES)[number];

/** A daily time window in local minutes [from, to); to < from runs past midnight. */
export interface DailyWindow {
  from: number;
  to: number;
}

/** "06:00-14:00" -> { from: 360, to: 840 }; "22:00-06:00" runs past midnight; "24:00" ends a day. Undefined if malformed. */
export function parseDailyWindow(s: string): DailyWindow | undefined {
  const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(s);
  if (!m) return undefined;
  const a = Number(m[1]) * 60 + Number(m[2]);
  const b = Number(m[3]) * 60 + Number(m[4]);
  if (Number(m[2]) > 59 || Number(m[4]) > 59 || a > 1440 || b > 1440 || a === b) return undefined;
  return { from: a % 1440, to: b === 0 ? 1440 : b };
}

export function inWindow(minuteOfDay: number, w: DailyWindow): boolean {
  return w.from < w.to ? minuteOfDay >= w.from && minuteOfDay < w.to : minuteOfDay >= w.from || minuteOfDay < w.to;
}

/** "mon-fri", "sat,sun", "mon-sun": weekday numbers (0 = Sunday). Undefined if malformed. */
export function parseWeekdays(s: string): number[] | undefined {
  const out = new Set<number>();
  for (const part of s
    .toLowerCase()
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean)) {
    const r = /^([a-z]{3})(?:-([a-z]{3}))?$/.exec(part);
    if (!r) return undefined;
    const a = WEEKDAY_NAMES.indexOf(r[1] as WeekdayName);
    const b = r[2] ? WEEKDAY_NAMES.indexOf(r[2] as WeekdayName) : a;
    if (a < 0 || b < 0) return undefined;
    // ranges go forward from a to b, wrapping through Sunday: "fri-mon" is fri, sat, sun, mon
    for (let d = a; ; d = (d + 1) % 7) {
      out.add(d);
      if (d === b) break;
    }
  }
  return out.size ? [...out].sort() : undefined;
}
