/**
 * Baseline of a healthy period and detection of the onset of degradation.
 *
 * Everything works on the logarithm of the health indicator: degradation multiplies vibration
 * levels, the noise of an RMS level is roughly proportional to the level, and a "+25%" limit is
 * the same distance from every baseline. Indicators that can be zero or negative are shifted (see
 * `logTransform`).
 *
 * Two detectors, both causal (a decision at time t uses only data up to t):
 * - CUSUM (default), time-weighted: S_i = max(0, S_(i-1) + min(cap, y_i - mu0 - k) dt_i), alarm when
 *   S_i > h, with dt in units of the analysis window (so that the same parameters hold for a
 *   40-minute rig run and for months of route readings). k = max(kSigma sigma0, ln(1 + allowance)):
 *   sustained rises below the allowance never accumulate; the cap keeps a short burst from alarming
 *   alone; h sets how much sustained excess is needed. The estimated start of the change is the
 *   last time S was zero before the alarm.
 * - k of n: alarm when at least k of the last n points are above mu0 + max(L * sigma0, ln(1 + minRise)).
 *
 * The reference "3-sigma rule" (first raw reading above mean + 3 SD of the baseline) is here too,
 * for the evaluation against the real data (bench/eval-ims.ts).
 */

import { madSigma, mean, median, stdev } from './stats.js';
import type { Series } from './series.js';

export interface Baseline {
  /** first and last timestamp used */
  from: number;
  to: number;
  n: number;
  /** median of the indicator in the baseline, original units */
  level: number;
  /** median of the log indicator */
  mu0: number;
  /** robust standard deviation of the log indicator (MAD, floored) */
  sigma0: number;
  /** how it was chosen */
  method: 'given' | 'auto';
  /** the log shift used for indicators that reach zero */
  shift: number;
  /** 'log' (default: ratios matter, for levels such as RMS) or 'linear' (for indices already in sigma units, such as a fused health index) */
  scale: 'log' | 'linear';
}

export interface BaselineOptions {
  /** explicit period (epoch ms); overrides the automatic choice */
  from?: number;
  to?: number;
  /** automatic: the share of the series (by points) used, after the run-in (default 0.25) */
  fraction?: number;
  /** automatic: the share skipped at the start as run-in (default 0.02) */
  skip?: number;
  /** floor on sigma0 in log units (default 0.01, i.e. about 1%): guards against a suspiciously quiet baseline */
  minSigma?: number;
  /** at least this many points (default 10) */
  minPoints?: number;
  /** see Baseline.scale */
  scale?: 'log' | 'linear';
}

/** ln(x + shift) with shift = 0 for positive indicators. */
export function logTransform(v: ArrayLike<number>, shift: number): Float64Array {
  const out = new Float64Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Math.log(Math.max(1e-12, v[i]! + shift));
  return out;
}

/** The indicator on the detector's scale. */
export function onScale(v: ArrayLike<number>, baseline: Pick<Baseline, 'scale' | 'shift'>): Float64Array {
  return baseline.scale === 'linear' ? Float64Array.from(v as ArrayLike<number>) : logTransform(v, baseline.shift);
}

/** A shift that makes every value positive, or 0 when all values are already positive. */
export function positiveShift(v: ArrayLike<number>): number {
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) {
    if (v[i]! < min) min = v[i]!;
    if (v[i]! > max) max = v[i]!;
  }
  if (min > 0) return 0;
  return -min + Math.max(1e-9, (max - min) * 0.5);
}

export function estimateBaseline(s: Series, opts: BaselineOptions = {}): Baseline | undefined {
  const n = s.t.length;
  const minPoints = opts.minPoints ?? 10;
  let a: number;
  let b: number;
  let method: Baseline['method'];
  if (opts.from !== undefined || opts.to !== undefined) {
    const from = opts.from ?? -Infinity;
    const to = opts.to ?? Infinity;
    a = 0;
    while (a < n && s.t[a]! < from) a++;
    b = a;
    while (b < n && s.t[b]! <= to) b++;
    method = 'given';
  } else {
    a = Math.floor(n * (opts.skip ?? 0.02));
    b = Math.max(a + minPoints, Math.floor(n * ((opts.skip ?? 0.02) + (opts.fraction ?? 0.25))));
    b = Math.min(n, b);
    method = 'auto';
  }
  if (b - a < minPoints) return undefined;
  const vals = s.v.subarray(a, b);
  const scale = opts.scale ?? 'log';
  const shift = scale === 'log' ? positiveShift(s.v) : 0;
  const y = onScale(vals, { scale, shift });
  const mu0 = median(y);
  const mad = madSigma(y, mu0);
  const sigma0 = scale === 'log' ? Math.max(opts.minSigma ?? 0.01, mad) : mad > 0 ? mad : Math.max(1e-9, Math.abs(mu0) * 0.01);
  return { from: s.t[a]!, to: s.t[b - 1]!, n: b - a, level: median(vals), mu0, sigma0, method, shift, scale };
}

export interface OnsetOptions {
  /** cusum (default); k-of-n; 3-sigma: the textbook rule, the first window above the baseline windows' mean + 3 SD (for comparison) */
  method?: 'cusum' | 'k-of-n' | '3-sigma';
  /** CUSUM allowance, a relative rise: sustained rises below it never accumulate (default 0.2 = +20%) */
  allowance?: number;
  /** CUSUM allowance floor in baseline sigmas (default 3): a noisy baseline widens the allowance */
  kSigma?: number;
  /** CUSUM decision interval in ln-units x windows (default 0.3) */
  h?: number;
  /** CUSUM: the largest excess over the allowance counted per window, ln-units (default 0.05), so that a
   *  short burst cannot alarm alone: with the defaults an onset needs at least h / cap = 6 windows of evidence */
  cap?: number;
  /** k of n: k (default 4) */
  k?: number;
  /** k of n: n (default 6) */
  n?: number;
  /** k of n: control limit, a relative rise (default 0.2), floored at limitSigma baseline sigmas */
  limit?: number;
  /** k of n: control limit floor in baseline sigmas (default 4) */
  limitSigma?: number;
  /** only points after this time can alarm (default: the end of the baseline) */
  after?: number;
  /** the time unit of cap and h (ms): the analysis window, so that the detector follows the data's
   *  time scale (default: the typical spacing of the series it is given, which is windowed) */
  unitMs?: number;
}

export interface Onset {
  /** when the detector alarmed (causal: known at this time) */
  alarmAt: number;
  /** estimated start of the change (the CUSUM's last zero before the alarm) */
  startedAt: number;
  method: 'cusum' | 'k-of-n' | '3-sigma';
  /** the detector's parameters, for the report */
  parameters: Record<string, number | string>;
  /** indicator level at the alarm, original units */
  levelAtAlarm: number;
}

export const ONSET_DEFAULTS = { allowance: 0.2, kSigma: 3, h: 0.3, cap: 0.05, k: 4, n: 6, limit: 0.2, limitSigma: 4 } as const;

export function resolveOnsetParameters(baseline: Baseline, opts: OnsetOptions): { k: number; h: number; cap: number; limit: number } {
  const d = ONSET_DEFAULTS;
  if (baseline.scale === 'linear') {
    // Everything in baseline sigmas: allowance 3 sigma, at most 1 sigma counted per window, alarm at 6 sigma-windows.
    // A decision interval or cap given for the log scale scales these in proportion (twice the evidence there, twice here).
    const s0 = baseline.sigma0;
    return {
      k: (opts.kSigma ?? d.kSigma) * s0,
      h: ((6 * (opts.h ?? d.h)) / d.h) * s0,
      cap: ((opts.cap ?? d.cap) / d.cap) * s0,
      limit: (opts.limitSigma ?? d.limitSigma) * s0,
    };
  }
  const k = Math.max((opts.kSigma ?? d.kSigma) * baseline.sigma0, Math.log(1 + (opts.allowance ?? d.allowance)));
  const limit = Math.max((opts.limitSigma ?? d.limitSigma) * baseline.sigma0, Math.log(1 + (opts.limit ?? d.limit)));
  return { k, h: opts.h ?? d.h, cap: opts.cap ?? d.cap, limit };
}

/** The typical spacing of a series' timestamps (ms); an hour for fewer than two points. */
export function typicalGap(t: ArrayLike<number>): number {
  const gaps: number[] = [];
  for (let i = 1; i < t.length; i++) gaps.push(t[i]! - t[i - 1]!);
  return gaps.length ? median(gaps) : 3_600_000;
}

/** Time units (opts.unitMs) each point stands for: its spacing from the previous point, at most twice the typical spacing (gaps do not count as evidence). */
function pointUnits(t: ArrayLike<number>, unitMs: number | undefined): Float64Array {
  const n = t.length;
  const d = new Float64Array(n);
  const typical = typicalGap(t);
  const unit = unitMs ?? typical;
  for (let i = 0; i < n; i++) d[i] = Math.min(i === 0 ? typical : t[i]! - t[i - 1]!, 2 * typical) / unit;
  return d;
}

function unitText(ms: number): string {
  if (ms % 86_400_000 === 0) return `${ms / 86_400_000} d`;
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000} h`;
  if (ms % 60_000 === 0) return `${ms / 60_000} min`;
  return `${ms / 1000} s`;
}

/** The CUSUM statistic at every point (for charts and for the report), with the same parameters as detectOnset. */
export function cusumPath(s: Series, baseline: Baseline, opts: OnsetOptions = {}): Float64Array {
  const { k, cap } = resolveOnsetParameters(baseline, opts);
  const y = onScale(s.v, baseline);
  const dt = pointUnits(s.t, opts.unitMs);
  const after = opts.after ?? baseline.to;
  const out = new Float64Array(y.length);
  let S = 0;
  for (let i = 0; i < y.length; i++) {
    if (s.t[i]! > after) S = Math.max(0, S + Math.min(cap, y[i]! - baseline.mu0 - k) * dt[i]!);
    out[i] = S;
  }
  return out;
}

export function detectOnset(s: Series, baseline: Baseline, opts: OnsetOptions = {}): Onset | undefined {
  const method = opts.method ?? 'cusum';
  const { k, h, cap, limit } = resolveOnsetParameters(baseline, opts);
  const y = onScale(s.v, baseline);
  const after = opts.after ?? baseline.to;
  if (method === 'cusum') {
    const dt = pointUnits(s.t, opts.unitMs);
    const unit = unitText(opts.unitMs ?? typicalGap(s.t));
    let S = 0;
    let lastZero = -1;
    for (let i = 0; i < y.length; i++) {
      if (s.t[i]! <= after) {
        lastZero = i;
        continue;
      }
      S = Math.max(0, S + Math.min(cap, y[i]! - baseline.mu0 - k) * dt[i]!);
      if (S === 0) lastZero = i;
      else if (S > h) {
        return {
          alarmAt: s.t[i]!,
          startedAt: s.t[Math.min(i, lastZero + 1)]!,
          method,
          parameters:
            baseline.scale === 'log'
              ? {
                  allowance: round(Math.exp(k) - 1),
                  h: round(h),
                  cap: round(cap),
                  kSigma: opts.kSigma ?? ONSET_DEFAULTS.kSigma,
                  scale: `ln(indicator), time-weighted in windows of ${unit}`,
                }
              : {
                  allowance: round(k),
                  h: round(h),
                  cap: round(cap),
                  sigma0: round(baseline.sigma0),
                  scale: `indicator units, time-weighted in windows of ${unit}`,
                },
          levelAtAlarm: s.v[i]!,
        };
      }
    }
    return undefined;
  }
  if (method === '3-sigma') return threeSigmaOnset(s, { from: baseline.from, to: opts.after ?? baseline.to });
  const kk = opts.k ?? ONSET_DEFAULTS.k;
  const nn = opts.n ?? ONSET_DEFAULTS.n;
  const above: number[] = [];
  for (let i = 0; i < y.length; i++) {
    if (s.t[i]! <= after) continue;
    above.push(y[i]! - baseline.mu0 > limit ? i : -1);
    if (above.length > nn) above.shift();
    const hits = above.filter((x) => x >= 0);
    if (hits.length >= kk) {
      return {
        alarmAt: s.t[i]!,
        startedAt: s.t[hits[0]!]!,
        method: 'k-of-n',
        parameters: {
          k: kk,
          n: nn,
          limit: round(baseline.scale === 'log' ? Math.exp(limit) - 1 : limit),
          limitSigma: opts.limitSigma ?? ONSET_DEFAULTS.limitSigma,
          scale: 'ln(indicator)',
        },
        levelAtAlarm: s.v[i]!,
      };
    }
  }
  return undefined;
}

/**
 * The simple rule the evaluation compares against: the first reading after the baseline above the
 * baseline's mean + 3 standard deviations (raw values, no smoothing, no persistence).
 */
export function threeSigmaOnset(s: Series, baseline: { from: number; to: number }, persistence = 1): Onset | undefined {
  const vals: number[] = [];
  for (let i = 0; i < s.t.length; i++) if (s.t[i]! >= baseline.from && s.t[i]! <= baseline.to) vals.push(s.v[i]!);
  if (vals.length < 3) return undefined;
  const lim = mean(vals) + 3 * stdev(vals);
  let run = 0;
  for (let i = 0; i < s.t.length; i++) {
    if (s.t[i]! <= baseline.to) continue;
    run = s.v[i]! > lim ? run + 1 : 0;
    if (run >= persistence) {
      return {
        alarmAt: s.t[i]!,
        startedAt: s.t[i - persistence + 1]!,
        method: '3-sigma',
        parameters: { limit: lim, persistence },
        levelAtAlarm: s.v[i]!,
      };
    }
  }
  return undefined;
}

function round(x: number): number {
  return Number(x.toPrecision(4));
}
