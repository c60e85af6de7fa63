/**
 * ISO 8601 timestamps of capture lines: parsed by hand because the reader parses one per record
 * and Date.parse is both slower and more lenient (it accepts "2026-11-25", "Nov 25 2026", ...).
 */
import { daysFromCivil } from '../core/time.js';

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}

/** Two ASCII digits at i as a number, or -1. */
function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48;
  const b = s.charCodeAt(i + 1) - 48;
  if (a < 0 || a > 9 || b < 0 || b > 9) return -1;
  return a * 10 + b;
}

/**
 * The last hour parsed, as the number YYYYMMDDHH, and its epoch ms: consecutive samples share
 * it, and the calendar arithmetic is the costly part. A number, not a string: comparing a
 * string at an offset is far slower than eight character codes.
 */
let cachedHourKey = -1;
let cachedHourMs = 0;

/** Epoch ms of the date and hour at s[a..], or NaN. */
function hourMs(s: string, a: number): number {
  const y1 = two(s, a);
  const y2 = two(s, a + 2);
  const month = two(s, a + 5);
  const day = two(s, a + 8);
  const hour = two(s, a + 11);
  if (y1 < 0 || y2 < 0 || month < 1 || day < 1 || hour < 0) return NaN;
  const sep = s.charCodeAt(a + 10);
  if (s.charCodeAt(a + 4) !== 45 || s.charCodeAt(a + 7) !== 45 || (sep !== 84 && sep !== 116 && sep !== 32)) return NaN;
  const year = y1 * 100 + y2;
  const key = ((year * 100 + month) * 100 + day) * 100 + hour;
  if (key === cachedHourKey) return cachedHourMs;
  if (month > 12 || hour > 23) return NaN;
  const dim = month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!;
  if (day > dim) return NaN;
  cachedHourKey = key;
  cachedHourMs = (daysFromCivil(year, month, day) * 24 + hour) * 3_600_000;
  return cachedHourMs;
}

/**
 * Epoch milliseconds of an ISO 8601 date-time with a zone: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM|±HHMM)`
 * ('T' may be 't' or a space). Fractions finer than a millisecond give fractional milliseconds.
 * NaN for anything else, including impossible dates (Feb 30) and times without a zone.
 */
export function timeMs(t: string): number {
  if (typeof t !== 'string') return NaN;
  return timeMsAt(t, 0, t.length);
}

/** timeMs of s[a..b), without cutting it out first (the reader parses times inside a block of lines). */
export function timeMsAt(s: string, a: number, b: number): number {
  if (b - a < 20) return NaN;
  const base = hourMs(s, a);
  if (Number.isNaN(base)) return NaN;
  if (s.charCodeAt(a + 13) !== 58 || s.charCodeAt(a + 16) !== 58) return NaN;
  const minute = two(s, a + 14);
  const second = two(s, a + 17);
  if (minute < 0 || minute > 59 || second < 0 || second > 59) return NaN;
  let i = a + 19;
  let frac = 0;
  if (s.charCodeAt(i) === 46) {
    i++;
    const start = i;
    let digits = 0;
    let num = 0;
    for (; i < b; i++) {
      const d = s.charCodeAt(i) - 48;
      if (d < 0 || d > 9) break;
      // beyond 15 digits a double cannot hold more; the rest are read and ignored
      if (digits < 15) {
        num = num * 10 + d;
        digits++;
      }
    }
    if (i === start) return NaN;
    frac = digits === 3 ? num : digits < 3 ? num * 10 ** (3 - digits) : num / 10 ** (digits - 3);
  }
  let offsetMin = 0;
  const z = i < b ? s.charCodeAt(i) : -1;
  if (z === 90 || z === 122) {
    if (i + 1 !== b) return NaN;
  } else if (z === 43 || z === 45) {
    const oh = two(s, i + 1);
    let om: number;
    if (b === i + 6 && s.charCodeAt(i + 3) === 58) om = two(s, i + 4);
    else if (b === i + 5) om = two(s, i + 3);
    else return NaN;
    if (oh < 0 || oh > 23 || om < 0 || om > 59) return NaN;
    offsetMin = (oh * 60 + om) * (z === 45 ? -1 : 1);
  } else {
    return NaN;
  }
  return base + (minute - offsetMin) * 60_000 + second * 1000 + frac;
}

/** Years 0000-9999 only: what `timeMs` reads back. */
const MIN_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z (Date.UTC maps years 0-99 to 19xx)
const MAX_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const PAD2 = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
const PAD3 = Array.from({ length: 1000 }, (_, i) => String(i).padStart(3, '0'));
/** "YYYY-MM-DDTHH:MM:" of the last minute formatted: consecutive samples share it, and Date#toISOString is slow. */
let cachedMinute = NaN;
let cachedMinuteText = '';

/**
 * Epoch milliseconds to the capture's timestamp form: UTC, 'Z', milliseconds, and microseconds
 * when the value has a fraction of a millisecond (OPC UA clocks tick in 100 ns).
 */
export function isoFromMs(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  let whole = Math.floor(ms);
  let micro = Math.round((ms - whole) * 1000);
  if (micro === 1000) {
    whole += 1;
    micro = 0;
  }
  const minute = Math.floor(whole / 60_000);
  if (minute !== cachedMinute) {
    const iso = new Date(minute * 60_000).toISOString();
    if (iso.length !== 24) return undefined;
    cachedMinute = minute;
    cachedMinuteText = iso.slice(0, 17);
  }
  const inMinute = whole - minute * 60_000;
  const second = Math.floor(inMinute / 1000);
  const text = `${cachedMinuteText}${PAD2[second]}.${PAD3[inMinute - second * 1000]}`;
  return micro === 0 ? `${text}Z` : `${text}${PAD3[micro]}Z`;
}

/**
 * Any time a caller hands the writer, as the string written to the file. An ISO string already in
 * UTC with 'Z' is kept verbatim (so nanosecond digits survive); other zones are converted.
 * Undefined when it is not a time.
 */
export function toCaptureTime(t: Date | number | string): string | undefined {
  if (typeof t === 'string') {
    const ms = timeMs(t);
    if (Number.isNaN(ms)) return undefined;
    if (t.charCodeAt(t.length - 1) === 90 && t.charCodeAt(10) === 84) return t;
    return isoFromMs(ms);
  }
  if (typeof t === 'number') return isoFromMs(t);
  if (t instanceof Date) return isoFromMs(t.getTime());
  return undefined;
}
