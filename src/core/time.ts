import { usageError } from './errors.js';

/** Wall-clock parts of an instant in some time zone. */
export interface ZonedParts {
  year: number;
  month: number; // 1-12
  day: number; // 1-31
  hour: number; // 0-23
  minute: number;
  second: number;
  millisecond: number;
  /** 0 = Sunday ... 6 = Saturday */
  weekday: number;
  /** offset from UTC in minutes at that instant (+60 for CET, +120 for CEST) */
  offsetMinutes: number;
}

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm; Date.UTC is slower and maps years 0-99 to 19xx). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y;
  const era = Math.floor(yy / 400);
  const yoe = yy - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** Throws a usage error naming the option if the IANA zone is unknown. */
export function checkTimeZone(tz: string, what = '--tz'): string {
  if (tz === 'UTC' || tz === 'utc' || tz === 'Z') return 'UTC';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: tz });
    return tz;
  } catch {
    throw usageError(`${what}: unknown time zone "${tz}"`, 'use an IANA name such as Europe/Madrid, America/Chicago or UTC');
  }
}

function formatter(tz: string): Intl.DateTimeFormat {
  let f = formatters.get(tz);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: tz,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(tz, f);
  }
  return f;
}

// Offsets change at most a few times a year: cache per hour bucket, which makes bucketing
// millions of samples by local day cheap.
const offsetCache = new Map<string, Map<number, number>>();

/** UTC offset in minutes of `tz` at instant `ms`. */
export function offsetMinutes(ms: number, tz: string): number {
  if (tz === 'UTC') return 0;
  const hourKey = Math.floor(ms / 3_600_000);
  let perZone = offsetCache.get(tz);
  if (!perZone) {
    perZone = new Map();
    offsetCache.set(tz, perZone);
  }
  const cached = perZone.get(hourKey);
  if (cached !== undefined) return cached;
  const parts = formatter(tz).formatToParts(new Date(hourKey * 3_600_000));
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  const asUtc = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour'), get('minute'), get('second'));
  const offset = Math.round((asUtc - hourKey * 3_600_000) / 60_000);
  if (perZone.size > 200_000) perZone.clear();
  perZone.set(hourKey, offset);
  return offset;
}

/** The wall-clock time in `tz` of instant `ms`. */
export function zonedParts(ms: number, tz: string): ZonedParts {
  const off = offsetMinutes(ms, tz);
  const d = new Date(ms + off * 60_000);
  return {
    year: d.getUTCFullYear(),
    month: d.getUTCMonth() + 1,
    day: d.getUTCDate(),
    hour: d.getUTCHours(),
    minute: d.getUTCMinutes(),
    second: d.getUTCSeconds(),
    millisecond: d.getUTCMilliseconds(),
    weekday: d.getUTCDay(),
    offsetMinutes: off,
  };
}

/**
 * The instant at which the wall clock in `tz` shows the given time. In the hour skipped by a
 * spring-forward change the time does not exist: it is read with the offset before the change
 * (so 02:30 becomes 03:30 local). In the hour repeated in autumn the earlier instant is chosen,
 * unless `later` asks for the second one.
 */
export function zonedTimeToUtc(
  p: { year: number; month: number; day: number; hour?: number; minute?: number; second?: number; millisecond?: number },
  tz: string,
  later = false,
): number {
  const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour ?? 0, p.minute ?? 0, p.second ?? 0, p.millisecond ?? 0);
  if (tz === 'UTC') return wall;
  // Two candidate offsets: the ones a day before and after; try both.
  const offA = offsetMinutes(wall - 86_400_000, tz);
  const offB = offsetMinutes(wall + 86_400_000, tz);
  const candidates = [...new Set([offA, offB])]
    .map((off) => wall - off * 60_000)
    .filter((ms) => wall - offsetMinutes(ms, tz) * 60_000 === ms)
    .sort((a, b) => a - b);
  if (candidates.length === 0) return wall - offA * 60_000; // skipped hour
  return later ? candidates[candidates.length - 1]! : candidates[0]!;
}

/** ISO 8601 with the zone's offset ("2026-03-29T03:15:00+02:00"), for reports in local time. */
export function formatZoned(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  const off = p.offsetMinutes;
  const sign = off < 0 ? '-' : '+';
  const a = Math.abs(off);
  const zone = tz === 'UTC' ? 'Z' : `${sign}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}${zone}`;
}

/**
 * The wall-clock fields of a match of `YYYY-MM-DD[( |T)HH:mm[:ss]...` whose groups 1-6 are year,
 * month, day, hour, minute and second (the time ones 0 when absent). What may follow the seconds
 * (fraction, zone) each reader decides for itself: --from/--to here, CSV cells in capture/csv-time.ts.
 */
export function dateTimeOfMatch(m: RegExpExecArray): {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
} {
  return {
    year: Number(m[1]),
    month: Number(m[2]),
    day: Number(m[3]),
    hour: Number(m[4] ?? 0),
    minute: Number(m[5] ?? 0),
    second: Number(m[6] ?? 0),
  };
}

/** Parses an absolute time the user typed ("2026-11-25T10:00:00Z", "2026-11-25 10:00" in tz, "now-2h"). */
export function parseTimeArg(text: string, what: string, tz = 'UTC', now = Date.now()): number {
  const s = text.trim();
  const rel = /^now(?:\s*([-+])\s*(.+))?$/i.exec(s);
  if (rel) {
    if (!rel[1]) return now;
    // imported lazily to avoid a cycle: units -> errors only
    const ms = parseRelative(rel[2]!, what);
    return rel[1] === '-' ? now - ms : now + ms;
  }
  if (/[zZ]$|[+-]\d\d:?\d\d$/.test(s)) {
    const ms = Date.parse(s);
    if (!Number.isNaN(ms)) return ms;
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?)?$/.exec(s);
  if (m) {
    return zonedTimeToUtc({ ...dateTimeOfMatch(m), millisecond: Number((m[7] ?? '0').padEnd(3, '0')) }, tz);
  }
  throw usageError(`${what}: cannot read "${text}" as a time`, 'write 2026-11-25T10:00:00Z, "2026-11-25 10:00" (in --tz), or now-2h');
}

function parseRelative(text: string, what: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(text.trim());
  if (!m) throw usageError(`${what}: cannot read "${text}" as a duration`, 'for example now-2h or now-7d');
  const mult: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7, w: 6.048e8 };
  return Number(m[1]) * mult[m[2]!]!;
}
