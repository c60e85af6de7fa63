import { usageError } from '../core/errors.js';
import { dateTimeOfMatch, zonedTimeToUtc } from '../core/time.js';
import { timeMs } from './iso-time.js';

/**
 * Time columns of CSV exports: ISO 8601 (with or without a zone), epoch numbers (s, ms, us, ns)
 * and day-month patterns such as `DD/MM/YYYY HH:mm`. Times without a zone are wall-clock times
 * in the time zone given (UTC by default), converted with core/time.ts.
 */

export type EpochUnit = 's' | 'ms' | 'us' | 'ns';

export type TimeFormat = { kind: 'iso' } | { kind: 'epoch'; unit: EpochUnit } | { kind: 'pattern'; pattern: string };

export interface TimeReadOptions {
  tz: string;
  /** a wall-clock 00:00 is the end of the date written (24:00), as in exports that label intervals by their end */
  midnightEndsDay?: boolean;
}

/** Reads one cell; NaN when it does not fit the format. */
export type TimeReader = (text: string) => number;

const EPOCH_FACTORS: Record<EpochUnit, number> = { s: 1000, ms: 1, us: 1e-3, ns: 1e-6 };
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

export const TIME_FORMAT_HELP =
  'iso, epoch-s, epoch-ms, epoch-us, epoch-ns, or a pattern of YYYY YY MM M MMM DD D HH H hh h mm ss SSS A Z (e.g. "DD/MM/YYYY HH:mm")';

/** Parses --time-format. */
export function parseTimeFormat(text: string): TimeFormat | 'auto' {
  const s = text.trim();
  const lower = s.toLowerCase();
  if (lower === 'auto' || lower === '') return 'auto';
  if (lower === 'iso' || lower === 'iso8601') return { kind: 'iso' };
  const epoch = /^(?:epoch|unix)[-_]?(s|ms|us|ns)?$/.exec(lower);
  if (epoch) return { kind: 'epoch', unit: (epoch[1] ?? 's') as EpochUnit };
  if (!/YYYY|YY/.test(s) || !/M/.test(s) || !/D/.test(s)) {
    throw usageError(`--time-format: cannot read ${JSON.stringify(text)}`, `write ${TIME_FORMAT_HELP}`);
  }
  compilePattern(s); // refuses unknown letters now, not at the first row
  return { kind: 'pattern', pattern: s };
}

export function describeTimeFormat(f: TimeFormat): string {
  return f.kind === 'iso' ? 'iso' : f.kind === 'epoch' ? `epoch-${f.unit}` : f.pattern;
}

interface Compiled {
  re: RegExp;
  /** which capture group holds what */
  slots: string[];
}

const TOKENS = ['YYYY', 'YY', 'MMM', 'MM', 'M', 'DD', 'D', 'HH', 'H', 'hh', 'h', 'mm', 'ss', 'SSSSSS', 'SSS', 'SS', 'S', 'A', 'a', 'Z'];
const TOKEN_RE: Record<string, string> = {
  YYYY: '(\\d{4})',
  YY: '(\\d{2})',
  MMM: '([A-Za-z]{3})',
  MM: '(\\d{2})',
  M: '(\\d{1,2})',
  DD: '(\\d{2})',
  D: '(\\d{1,2})',
  HH: '(\\d{2})',
  H: '(\\d{1,2})',
  hh: '(\\d{2})',
  h: '(\\d{1,2})',
  mm: '(\\d{2})',
  ss: '(\\d{2})',
  SSSSSS: '(\\d{1,9})',
  SSS: '(\\d{1,9})',
  SS: '(\\d{1,9})',
  S: '(\\d{1,9})',
  A: '([AaPp][Mm])',
  a: '([AaPp][Mm])',
  Z: '(Z|[+-]\\d{2}:?\\d{2})',
};

function compilePattern(pattern: string): Compiled {
  let re = '';
  const slots: string[] = [];
  let i = 0;
  outer: while (i < pattern.length) {
    for (const tok of TOKENS) {
      if (pattern.startsWith(tok, i)) {
        re += TOKEN_RE[tok];
        slots.push(tok.startsWith('S') ? 'S' : tok === 'a' ? 'A' : tok);
        i += tok.length;
        continue outer;
      }
    }
    const ch = pattern[i]!;
    if (/[A-Za-z]/.test(ch) && ch !== 'T') {
      throw usageError(
        `--time-format: unknown letter "${ch}" in ${JSON.stringify(pattern)}`,
        `write ${TIME_FORMAT_HELP}; put other text in the pattern as it appears`,
      );
    }
    re += ch === ' ' ? '\\s+' : ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
    i++;
  }
  return { re: new RegExp(`^\\s*${re}\\s*$`), slots };
}

function wall(
  p: { year: number; month: number; day: number; hour: number; minute: number; second: number; millisecond: number; offsetMin?: number },
  opts: TimeReadOptions,
): number {
  if (p.month < 1 || p.month > 12 || p.day < 1 || p.day > 31 || p.hour > 24 || p.minute > 59 || p.second > 60) return NaN;
  // year 2000 + (year mod 400) has the same leap years and avoids Date.UTC's 0-99 quirk
  const daysInMonth = new Date(Date.UTC(2000 + (((p.year % 400) + 400) % 400), p.month, 0)).getUTCDate();
  if (!Number.isInteger(p.year) || p.day > daysInMonth) return NaN;
  let day = p.day;
  let hour = p.hour;
  if (hour === 24) {
    // "24:00" is the end of the day in many exports
    if (p.minute !== 0 || p.second !== 0) return NaN;
    hour = 0;
    day++;
  } else if (opts.midnightEndsDay && hour === 0 && p.minute === 0 && p.second === 0 && p.millisecond === 0) {
    day++;
  }
  const fields = { year: p.year, month: p.month, day, hour, minute: p.minute, second: p.second, millisecond: p.millisecond };
  if (p.offsetMin !== undefined) return Date.UTC(p.year, p.month - 1, day, hour, p.minute, p.second, p.millisecond) - p.offsetMin * 60_000;
  return zonedTimeToUtc(fields, opts.tz);
}

function offsetMinutes(z: string): number {
  if (z === 'Z' || z === 'z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(z)!;
  return (Number(m[2]) * 60 + Number(m[3])) * (m[1] === '-' ? -1 : 1);
}

function fractionMs(digits: string): number {
  return Number(`0.${digits}`) * 1000;
}

const ISO_LOCAL = /^\s*(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*(Z|[+-]\d{2}:?\d{2})?\s*$/i;

export function timeReader(format: TimeFormat, opts: TimeReadOptions): TimeReader {
  switch (format.kind) {
    case 'iso':
      return (text) => {
        const fast = opts.midnightEndsDay ? NaN : timeMs(text);
        if (!Number.isNaN(fast)) return fast;
        const m = ISO_LOCAL.exec(text);
        if (!m) return NaN;
        return wall(
          {
            ...dateTimeOfMatch(m),
            millisecond: m[7] ? fractionMs(m[7]) : 0,
            ...(m[8] ? { offsetMin: offsetMinutes(m[8].toUpperCase()) } : {}),
          },
          opts,
        );
      };
    case 'epoch': {
      const factor = EPOCH_FACTORS[format.unit];
      return (text) => {
        const s = text.trim();
        if (!/^-?\d+(\.\d+)?$/.test(s)) return NaN;
        return Number(s) * factor;
      };
    }
    case 'pattern': {
      const { re, slots } = compilePattern(format.pattern);
      return (text) => {
        const m = re.exec(text);
        if (!m) return NaN;
        const p = { year: NaN, month: 1, day: 1, hour: 0, minute: 0, second: 0, millisecond: 0 } as {
          year: number;
          month: number;
          day: number;
          hour: number;
          minute: number;
          second: number;
          millisecond: number;
          offsetMin?: number;
        };
        let pm: boolean | undefined;
        for (let i = 0; i < slots.length; i++) {
          const v = m[i + 1]!;
          switch (slots[i]) {
            case 'YYYY':
              p.year = Number(v);
              break;
            case 'YY':
              p.year = 2000 + Number(v);
              break;
            case 'MMM':
              p.month = MONTHS.indexOf(v.toLowerCase()) + 1;
              break;
            case 'MM':
            case 'M':
              p.month = Number(v);
              break;
            case 'DD':
            case 'D':
              p.day = Number(v);
              break;
            case 'HH':
            case 'H':
            case 'hh':
            case 'h':
              p.hour = Number(v);
              break;
            case 'mm':
              p.minute = Number(v);
              break;
            case 'ss':
              p.second = Number(v);
              break;
            case 'S':
              p.millisecond = fractionMs(v);
              break;
            case 'A':
              pm = v.toLowerCase() === 'pm';
              break;
            case 'Z':
              p.offsetMin = offsetMinutes(v);
              break;
          }
        }
        if (pm !== undefined) {
          if (p.hour < 1 || p.hour > 12) return NaN;
          p.hour = (p.hour % 12) + (pm ? 12 : 0);
        }
        return wall(p, opts);
      };
    }
  }
}

/** Epoch unit guessed from magnitude: seconds until 5138 AD, then ms, us, ns. */
export function epochUnitOf(n: number): EpochUnit {
  const a = Math.abs(n);
  return a < 1e11 ? 's' : a < 1e14 ? 'ms' : a < 1e17 ? 'us' : 'ns';
}

const NUMERIC_DATE =
  /^\s*(\d{1,2})([/.-])(\d{1,2})\2(\d{4}|\d{2})(?:[ T,]+(\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?\s*([AaPp][Mm])?)?\s*$/;

/**
 * Candidate formats for a time column, from its first non-empty cell. Callers keep the ones that
 * read every cell: day-first and month-first dates stay ambiguous until a day above 12 shows up.
 */
export function candidateFormats(sample: string): TimeFormat[] {
  const s = sample.trim();
  if (ISO_LOCAL.test(s)) return [{ kind: 'iso' }];
  if (/^-?\d+(\.\d+)?$/.test(s)) {
    const n = Number(s);
    return [{ kind: 'epoch', unit: epochUnitOf(n) }];
  }
  const m = NUMERIC_DATE.exec(s);
  if (m) {
    const sep = m[2]!;
    const year = m[4]!.length === 4 ? 'YYYY' : 'YY';
    let time = '';
    if (m[5] !== undefined) {
      time = `${s.includes('T') ? 'T' : ' '}${m[9] ? 'h' : 'H'}:mm${m[7] !== undefined ? ':ss' : ''}${m[8] !== undefined ? `${s.includes(',') && !s.includes('.') ? ',' : '.'}S` : ''}${m[9] ? ' A' : ''}`;
    }
    const dayFirst: TimeFormat = { kind: 'pattern', pattern: `D${sep}M${sep}${year}${time}` };
    const monthFirst: TimeFormat = { kind: 'pattern', pattern: `M${sep}D${sep}${year}${time}` };
    // dots are day-first everywhere they are used (de, ru, ...)
    return sep === '.' ? [dayFirst] : [dayFirst, monthFirst];
  }
  const y = /^\s*(\d{4})[/.](\d{1,2})[/.](\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*$/.exec(s);
  if (y) {
    const sep = s[4]!;
    const time = y[4] !== undefined ? ` H:mm${y[6] !== undefined ? ':ss' : ''}${y[7] !== undefined ? '.S' : ''}` : '';
    return [{ kind: 'pattern', pattern: `YYYY${sep}M${sep}D${time}` }];
  }
  return [];
}

/** The wall-clock time of a cell is exactly midnight (for the "00:00 with the previous date" check). */
export function isMidnightText(text: string): boolean {
  return /(?:^|[ T])0?0:00(?::00(?:[.,]0+)?)?\s*(?:Z|[+-]\d{2}:?\d{2})?\s*$/i.test(text.trim()) && !/[AaPp][Mm]\s*$/.test(text);
}
