/**
 * Remaining useful life after an onset: first passage of a drifting random walk.
 *
 * Why not a fitted curve: on real bearings (NASA IMS, bench/eval-ims.ts) growth comes in steps and
 * accelerates; a straight line or an exponential fitted over a short recent window sees a plateau and
 * extrapolates it, overestimating the remaining life many times over (median 8-20x there).
 *
 * The model: after the onset, the log of the excess over the healthy baseline, z = ln(HI - base),
 * moves like a Brownian motion with drift mu and diffusion sigma (a geometric random walk of the
 * excess; the Wiener degradation model of the prognostics literature, e.g. Si et al. 2012, applied to
 * the log excess). The time for z to climb the distance D = ln(threshold - base) - z_now is then
 * inverse-Gaussian distributed:
 *   P(T <= t) = Phi((mu t - D) / (sigma sqrt t)) + exp(2 mu D / sigma²) Phi((-D - mu t) / (sigma sqrt t)).
 * Estimates (all on points since the estimated start of the change):
 * - mu: the larger of the least-squares slopes over the whole period and over its recent half (growth
 *   accelerates: the recent slope is the better guess when it is steeper, the whole period when the
 *   recent half is a plateau);
 * - its uncertainty: the slope's standard error, widened for autocorrelated residuals; the
 *   predictive distribution averages the first-passage law over 15 quantiles of mu;
 * - sigma: from the increments around the drift, the largest of 1, 3, 6 and 12 window scales (jumps
 *   make the long-scale variance larger than the short-scale one); the window is the series'
 *   typical spacing, so the model follows the data's time scale;
 * - z_now: the median of the last three points (not the fitted line, which lags a step).
 * The point estimate is the median of the predictive distribution and the interval its
 * (1 - level)/2 and (1 + level)/2 quantiles; the high end is open (Infinity) when the walk may never
 * get there within 100 000 h.
 *
 * Calibration (`spread`, default RUL_SPREAD): real failures come in steps the walk does not foresee,
 * so the quantiles are widened around the median in log time, q' = median x (q / median)^spread.
 * The factor was chosen on run-to-failure data (bench/eval-ims.ts; docs/analysis.md says how well
 * the calibrated intervals hold out of sample).
 */

import { linearFit, median, normalCdf, normalQuantile } from './stats.js';
import type { Series } from './series.js';

/**
 * Widening of the interval in log time (see above); 1 is the walk's own interval. 3 holds the truth
 * in 80% of the IMS cases' predictions (chosen on all three tests; chosen on two and scored on the
 * third it holds it in about three quarters: docs/analysis.md, "Evaluation").
 */
export const RUL_SPREAD = 3;

const HOUR = 3_600_000;

export interface FirstPassageRul {
  hours: number;
  lo: number;
  hi: number;
  level: number;
  /** drift of ln(excess) per hour, and its standard error */
  drift: number;
  driftSE: number;
  /** diffusion of ln(excess) per sqrt(hour) */
  diffusion: number;
  /** points used */
  n: number;
  /** the excess now and at the threshold, in the indicator's units */
  excessNow: number;
  excessThreshold: number;
}

/** P(T <= t) for a Brownian motion with drift mu and diffusion sigma to climb D > 0. */
export function firstPassageCdf(t: number, mu: number, sigma: number, d: number): number {
  if (t <= 0) return 0;
  if (sigma <= 0) return mu > 0 && mu * t >= d ? 1 : 0;
  const s = sigma * Math.sqrt(t);
  const a = normalCdf((mu * t - d) / s);
  const ex = (2 * mu * d) / (sigma * sigma);
  const b = ex > 700 ? 0 : Math.exp(ex) * normalCdf((-d - mu * t) / s);
  return Math.min(1, Math.max(0, a + b));
}

const MAX_HOURS = 100_000;

function quantileOf(cdf: (t: number) => number, p: number): number {
  if (cdf(MAX_HOURS) < p) return Infinity;
  let lo = 0;
  let hi = MAX_HOURS;
  for (let i = 0; i < 80; i++) {
    const m = (lo + hi) / 2;
    if (cdf(m) < p) lo = m;
    else hi = m;
    if (hi - lo < 1e-6 * Math.max(1, lo)) break;
  }
  return hi;
}

/**
 * RUL from `now` (the last point of `s` by default) to `threshold`, for an indicator whose healthy
 * baseline level is `base`, using the points of `s` from `since` (the onset's start) to now.
 * Undefined with fewer than four points above the baseline.
 */
export function firstPassageRul(
  s: Series,
  base: number,
  threshold: number,
  opts: { since: number; now?: number; level?: number; spread?: number },
): FirstPassageRul | undefined {
  const level = opts.level ?? 0.8;
  const spread = opts.spread ?? RUL_SPREAD;
  const now = opts.now ?? s.t[s.t.length - 1]!;
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i < s.t.length; i++) {
    const ti = s.t[i]!;
    if (ti < opts.since || ti > now) continue;
    const e = s.v[i]! - base;
    if (e <= 0) continue;
    x.push((ti - opts.since) / HOUR);
    y.push(Math.log(e));
  }
  const n = x.length;
  if (n < 4) return undefined;
  // the time scale of the data: its typical spacing in hours
  const gaps: number[] = [];
  for (let i = 1; i < n; i++) gaps.push(x[i]! - x[i - 1]!);
  const unit = gaps.length ? median(gaps) : 1;
  const whole = linearFit(x, y, { autocorrelation: true });
  let mu = whole.slope;
  const cut = x[n - 1]! / 2;
  const rx: number[] = [];
  const ry: number[] = [];
  for (let i = 0; i < n; i++) if (x[i]! >= cut) rx.push(x[i]!), ry.push(y[i]!);
  if (rx.length >= 4) mu = Math.max(mu, linearFit(rx, ry, { autocorrelation: true }).slope);
  const muSE = Number.isFinite(whole.slopeSE) ? whole.slopeSE : Math.abs(mu);
  let sigma2 = 0;
  for (const k of [1, 3, 6, 12]) {
    const scale = k * unit * (1 - 1e-9);
    let ss = 0;
    let c = 0;
    let j = 0;
    for (let i = 0; i < n; i++) {
      if (j < i) j = i;
      while (j < n && x[j]! - x[i]! < scale) j++;
      if (j >= n) break;
      const dt = x[j]! - x[i]!;
      ss += (y[j]! - y[i]! - whole.slope * dt) ** 2 / dt;
      c++;
    }
    if (c >= 3) sigma2 = Math.max(sigma2, ss / c);
  }
  const sigma = Math.sqrt(sigma2) || 1e-6;
  const zNow = median(y.slice(-3));
  const eThr = threshold - base;
  const result = (hours: number, lo: number, hi: number): FirstPassageRul => ({
    hours,
    lo,
    hi,
    level,
    drift: mu,
    driftSE: muSE,
    diffusion: sigma,
    n,
    excessNow: Math.exp(zNow),
    excessThreshold: eThr,
  });
  if (eThr <= 0) return result(0, 0, 0);
  const d = Math.log(eThr) - zNow;
  if (d <= 0) return result(0, 0, 0);
  const mus = Array.from({ length: 15 }, (_, j) => mu + muSE * normalQuantile((j + 0.5) / 15));
  const cdf = (t: number) => {
    let p = 0;
    for (const m of mus) p += firstPassageCdf(t, m, sigma, d);
    return p / mus.length;
  };
  const med = quantileOf(cdf, 0.5);
  const widen = (q: number) => (Number.isFinite(q) && Number.isFinite(med) && med > 0 && q > 0 ? med * (q / med) ** spread : q);
  return result(med, widen(quantileOf(cdf, (1 - level) / 2)), widen(quantileOf(cdf, (1 + level) / 2)));
}
