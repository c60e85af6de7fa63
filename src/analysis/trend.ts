/**
 * Trend models of a health indicator, forecasts with prediction intervals, and the remaining
 * useful life (RUL) to a threshold with an interval.
 *
 * Models (time in hours from the start of the fit window):
 * - linear:       y = a + b t
 * - exponential:  y = exp(a + b t)                 (log-linear least squares)
 * - excess:       y = base + exp(a + b t)          (exponential growth of the rise above the healthy
 *                 baseline; weighted least squares on ln(y - base) with weights (y - base)², the
 *                 inverse of the variance of a log of a noisy excess, so near-baseline points
 *                 cannot dominate)
 *
 * Least squares account for autocorrelated residuals (stats.linearFit with autocorrelation): the
 * slope's standard error and the degrees of freedom use the effective sample size.
 *
 * Intervals: the forecast band at level p is the fitted mean ± t_((1+p)/2, df) × the standard error
 * of the mean response (the trend line itself, not one noisy reading). The RUL interval is read off
 * where the band's edges cross the threshold: the earliest crossing of the upper edge is the low
 * end, the crossing of the lower edge the high end (open if the lower edge never reaches it within
 * the horizon).
 */

import { confidenceSE, linearFit, studentTQuantile, type LinearFit } from './stats.js';
import type { Series } from './series.js';

export type TrendKind = 'linear' | 'exponential' | 'excess';

export const HOUR = 3_600_000;

export interface TrendFit {
  kind: TrendKind;
  /** fit window (epoch ms) */
  from: number;
  to: number;
  n: number;
  /** origin of the time axis (epoch ms); t in hours from here */
  t0: number;
  /** baseline subtracted for `excess` (0 otherwise) */
  base: number;
  fit: LinearFit;
  /** R² in the original units (comparable between models) */
  r2: number;
  /** root mean square error in original units */
  rmse: number;
  /** rate: units per hour (linear) or relative growth per hour (exponential, excess) */
  rate: number;
  /** slope significantly above zero at the given level (one-sided) */
  significant: boolean;
  pValue: number;
}

export function fitTrend(s: Series, kind: TrendKind, opts: { base?: number; alpha?: number } = {}): TrendFit | undefined {
  const n = s.t.length;
  if (n < 4) return undefined;
  const t0 = s.t[0]!;
  const x: number[] = [];
  const y: number[] = [];
  const w: number[] = [];
  const base = kind === 'excess' ? (opts.base ?? 0) : 0;
  for (let i = 0; i < n; i++) {
    const xi = (s.t[i]! - t0) / HOUR;
    const v = s.v[i]!;
    if (kind === 'linear') {
      x.push(xi);
      y.push(v);
    } else if (kind === 'exponential') {
      if (v <= 0) continue;
      x.push(xi);
      y.push(Math.log(v));
    } else {
      const e = v - base;
      if (e <= 0) continue;
      x.push(xi);
      y.push(Math.log(e));
      w.push(e * e);
    }
  }
  if (x.length < 4) return undefined;
  const fit = linearFit(x, y, { autocorrelation: true, ...(kind === 'excess' ? { weights: w } : {}) });
  // R² and RMSE in original units, over all points of the window.
  let sse = 0;
  let sst = 0;
  let m = 0;
  for (let i = 0; i < n; i++) m += s.v[i]!;
  m /= n;
  for (let i = 0; i < n; i++) {
    const pred = meanAt(kind, fit, base, (s.t[i]! - t0) / HOUR);
    sse += (s.v[i]! - pred) ** 2;
    sst += (s.v[i]! - m) ** 2;
  }
  const alpha = opts.alpha ?? 0.05;
  const pOne = fit.slope > 0 ? fit.pValue / 2 : 1 - fit.pValue / 2;
  return {
    kind,
    from: s.t[0]!,
    to: s.t[n - 1]!,
    n: x.length,
    t0,
    base,
    fit,
    r2: sst > 0 ? 1 - sse / sst : 0,
    rmse: Math.sqrt(sse / n),
    rate: fit.slope,
    significant: fit.slope > 0 && pOne < alpha,
    pValue: pOne,
  };
}

function meanAt(kind: TrendKind, fit: LinearFit, base: number, xh: number): number {
  const z = fit.intercept + fit.slope * xh;
  return kind === 'linear' ? z : base + Math.exp(z);
}

/** The fitted mean and the band at level p at time tMs. */
export function forecastAt(tf: TrendFit, tMs: number, level = 0.8): { mean: number; lo: number; hi: number } {
  const xh = (tMs - tf.t0) / HOUR;
  const q = studentTQuantile((1 + level) / 2, tf.fit.df);
  const z = tf.fit.intercept + tf.fit.slope * xh;
  const se = confidenceSE(tf.fit, xh);
  if (tf.kind === 'linear') return { mean: z, lo: z - q * se, hi: z + q * se };
  return { mean: tf.base + Math.exp(z), lo: tf.base + Math.exp(z - q * se), hi: tf.base + Math.exp(z + q * se) };
}

export interface RulEstimate {
  /** hours from `from` to the threshold crossing of the fitted mean; Infinity when never */
  hours: number;
  /** interval at `level`: low (upper band crosses) and high (lower band crosses; Infinity when beyond the horizon) */
  lo: number;
  hi: number;
  level: number;
  threshold: number;
  /** the time the estimate is made from (epoch ms) */
  from: number;
  /** how far ahead the search went, hours */
  horizonHours: number;
}

/**
 * Remaining life from time `from` (default: the end of the fit) to the first time the fitted trend
 * reaches `threshold`, with an interval at `level`. The search stops at `horizonHours` (default: 10
 * times the fit window, at least 24 h): extrapolating a trend further than that is not information.
 */
export function rulToThreshold(
  tf: TrendFit,
  threshold: number,
  opts: { from?: number; level?: number; horizonHours?: number } = {},
): RulEstimate {
  const from = opts.from ?? tf.to;
  const level = opts.level ?? 0.8;
  const spanH = Math.max(1, (tf.to - tf.from) / HOUR);
  const horizonHours = opts.horizonHours ?? Math.max(24, 10 * spanH);
  const edge = (which: 'mean' | 'lo' | 'hi') => (h: number) => forecastAt(tf, from + h * HOUR, level)[which] - threshold;
  const first = (f: (h: number) => number): number => {
    if (f(0) >= 0) return 0;
    const steps = 400;
    let prev = 0;
    for (let i = 1; i <= steps; i++) {
      const h = (horizonHours * i) / steps;
      if (f(h) >= 0) {
        let a = prev;
        let b = h;
        for (let k = 0; k < 50; k++) {
          const m = (a + b) / 2;
          if (f(m) >= 0) b = m;
          else a = m;
        }
        return b;
      }
      prev = h;
    }
    return Infinity;
  };
  return { hours: first(edge('mean')), lo: first(edge('hi')), hi: first(edge('lo')), level, threshold, from, horizonHours };
}
