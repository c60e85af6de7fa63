/** Words and numbers for statements people read: durations, percentages, local times. */

import { zonedParts } from '../core/time.js';

/** "about 18 h", "about 6 days", "about 3 weeks" for a remaining life in hours. */
export function aboutHours(h: number): string {
  return `about ${spanHours(h)}`;
}

/** "18 h", "6 days", "2.5 days", "3 weeks"; "more than 4 years" for very long spans. */
export function spanHours(h: number): string {
  if (!Number.isFinite(h)) return 'never within the horizon';
  if (h * 60 < 1) return `${Math.max(0, Math.round(h * 3600))} s`;
  if (h < 1) return `${Math.round(h * 60)} min`;
  if (h < 48) return `${Math.round(h)} h`;
  const d = h / 24;
  if (d < 10) return `${round1(d)} days`;
  if (d < 60) return `${Math.round(d)} days`;
  if (d < 730) return `${Math.round(d / 7)} weeks`;
  return `${round1(d / 365)} years`;
}

/** "4 to 9 days", "18 h to 3 days", "more than 5 days" (open high end). */
export function intervalHours(lo: number, hi: number): string {
  if (!Number.isFinite(hi)) return `${spanHours(lo)} or more`;
  const both = (x: number) => spanHours(x);
  const a = both(lo);
  const b = both(hi);
  // "4 days to 9 days" reads badly: drop the first unit when both are in the same one
  const ua = a.replace(/^[\d.]+ /, '');
  const ub = b.replace(/^[\d.]+ /, '');
  if (ua === ub && /^[\d.]+ /.test(a)) return `${a.replace(/ .*$/, '')} to ${b}`;
  return `${a} to ${b}`;
}

export function round1(x: number): string {
  return (Math.round(x * 10) / 10).toString();
}

/** "+12.3%", "-4.0%". */
export function signedPercent(fraction: number, digits = 1): string {
  const p = fraction * 100;
  const text = p.toFixed(digits);
  // "-0.0%" reads like a fall: a change that rounds to zero is "+0.0%"
  return Number(text) === 0 ? `+${(0).toFixed(digits)}%` : `${p >= 0 ? '+' : ''}${text}%`;
}

/** "2026-11-23 14:00" in the zone (with the zone name when it is not UTC... the caller adds it once). */
export function localTime(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)} ${pad(p.hour)}:${pad(p.minute)}`;
}

/** "2026-11-23" in the zone. */
export function localDate(ms: number, tz: string): string {
  const p = zonedParts(ms, tz);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}`;
}

/** Significant digits for a measured value: 3 by default, no exponent for ordinary sizes. */
export function sig(x: number, digits = 3): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e6 || a < 1e-4) return x.toExponential(digits - 1);
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return x.toFixed(Math.min(decimals, 10));
}

/** Thousands with a thin space: 1 234 567 (numbers in reports). */
export function grouped(x: number, decimals = 0): string {
  const s = Math.abs(x).toFixed(decimals);
  const [int, frac] = s.split('.');
  const g = int!.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${x < 0 ? '-' : ''}${g}${frac ? `.${frac}` : ''}`;
}
