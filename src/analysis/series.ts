/**
 * Time series as two parallel typed arrays (epoch milliseconds, values): compact and fast, never an
 * array of objects. Cleaning (sorting, duplicates, non-finite values) reports what it did, so the
 * report can name every handling of bad input.
 */

import { median, quantileSorted } from './stats.js';

export interface Series {
  /** epoch milliseconds, strictly increasing after cleaning */
  t: Float64Array;
  v: Float64Array;
}

export interface CleaningNote {
  kind: 'unsorted' | 'duplicate' | 'non-numeric';
  count: number;
  message: string;
}

/**
 * Sorts by time (stable), merges samples with the same timestamp into their mean, and drops
 * non-finite values. Returns the cleaned series and one note per kind of problem found.
 */
export function cleanSeries(t: ArrayLike<number>, v: ArrayLike<number>, what = 'series'): { series: Series; notes: CleaningNote[] } {
  const n = Math.min(t.length, v.length);
  const notes: CleaningNote[] = [];
  let nonFinite = 0;
  let unsorted = 0;
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(v[i]!) || !Number.isFinite(t[i]!)) nonFinite++;
    if (i > 0 && t[i]! < t[i - 1]!) unsorted++;
  }
  let idx: number[] | Uint32Array = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  if (unsorted > 0) {
    idx = Array.from(idx).sort((a, b) => t[a]! - t[b]! || a - b);
    notes.push({ kind: 'unsorted', count: unsorted, message: `${what}: ${unsorted} samples out of time order were sorted` });
  }
  const outT: number[] = [];
  const outV: number[] = [];
  let dup = 0;
  let lastT = Number.NaN;
  let acc = 0;
  let cnt = 0;
  const flush = () => {
    if (cnt > 0) {
      outT.push(lastT);
      outV.push(acc / cnt);
    }
  };
  for (let k = 0; k < n; k++) {
    const i = idx[k]!;
    const ti = t[i]!;
    const vi = v[i]!;
    if (!Number.isFinite(vi) || !Number.isFinite(ti)) continue;
    if (ti === lastT) {
      dup++;
      acc += vi;
      cnt++;
      continue;
    }
    flush();
    lastT = ti;
    acc = vi;
    cnt = 1;
  }
  flush();
  if (dup > 0)
    notes.push({
      kind: 'duplicate',
      count: dup,
      message: `${what}: ${dup} samples with a repeated timestamp were averaged with their twin`,
    });
  if (nonFinite > 0)
    notes.push({ kind: 'non-numeric', count: nonFinite, message: `${what}: ${nonFinite} non-numeric or non-finite values were skipped` });
  return { series: { t: Float64Array.from(outT), v: Float64Array.from(outV) }, notes };
}

export type WindowStat = 'mean' | 'median' | 'max' | 'min' | 'rms' | 'p95';

/**
 * Aggregates a series into consecutive windows [origin + k w, origin + (k + 1) w) (origin 0: aligned
 * to multiples of `windowMs` from the epoch). Each output point is stamped at the END of its window
 * (when the value became known), which is what a causal onset or forecast must use. Empty windows
 * produce no point.
 */
export function windowed(s: Series, windowMs: number, stat: WindowStat = 'median', origin = 0): Series & { count: Uint32Array } {
  const outT: number[] = [];
  const outV: number[] = [];
  const outN: number[] = [];
  let i = 0;
  const n = s.t.length;
  const buf: number[] = [];
  while (i < n) {
    const w = Math.floor((s.t[i]! - origin) / windowMs);
    buf.length = 0;
    while (i < n && Math.floor((s.t[i]! - origin) / windowMs) === w) buf.push(s.v[i++]!);
    outT.push(origin + (w + 1) * windowMs);
    outV.push(aggregate(buf, stat));
    outN.push(buf.length);
  }
  return { t: Float64Array.from(outT), v: Float64Array.from(outV), count: Uint32Array.from(outN) };
}

export function aggregate(x: number[], stat: WindowStat): number {
  switch (stat) {
    case 'mean':
      return x.reduce((a, b) => a + b, 0) / x.length;
    case 'median':
      return median(x);
    case 'max':
      return Math.max(...x);
    case 'min':
      return Math.min(...x);
    case 'rms':
      return Math.sqrt(x.reduce((a, b) => a + b * b, 0) / x.length);
    case 'p95':
      return quantileSorted(Float64Array.from(x).sort(), 0.95);
  }
}

/** Centred or trailing running median of odd length k (trailing keeps it causal). */
export function runningMedian(v: ArrayLike<number>, k: number, trailing = true): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  const half = Math.floor(k / 2);
  const buf: number[] = [];
  for (let i = 0; i < n; i++) {
    const lo = trailing ? Math.max(0, i - k + 1) : Math.max(0, i - half);
    const hi = trailing ? i : Math.min(n - 1, i + half);
    buf.length = 0;
    for (let j = lo; j <= hi; j++) buf.push(v[j]!);
    out[i] = median(buf);
  }
  return out;
}

/** Median spacing of the timestamps (ms); NaN with fewer than two samples. */
export function typicalSpacing(t: ArrayLike<number>, maxSamples = 2000): number {
  const n = Math.min(t.length, maxSamples + 1);
  if (n < 2) return Number.NaN;
  const d = new Float64Array(n - 1);
  for (let i = 1; i < n; i++) d[i - 1] = t[i]! - t[i - 1]!;
  return median(d);
}

/** The slice of a series with from <= t < to. */
export function sliceTime(s: Series, from: number, to: number): Series {
  let a = 0;
  while (a < s.t.length && s.t[a]! < from) a++;
  let b = a;
  while (b < s.t.length && s.t[b]! < to) b++;
  return { t: s.t.subarray(a, b), v: s.v.subarray(a, b) };
}
