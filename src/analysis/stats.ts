/**
 * Small, dependency-free statistics for the analyses: robust location and scale, quantiles, the
 * Student t and normal distributions (for prediction intervals and significance tests), simple and
 * multiple least squares. Plain loops over typed arrays: these run on every window of every tag.
 */

export type Num = ArrayLike<number>;

export function sum(x: Num): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return s;
}

export function mean(x: Num): number {
  return x.length === 0 ? Number.NaN : sum(x) / x.length;
}

/** Sample variance (n - 1). */
export function variance(x: Num): number {
  const n = x.length;
  if (n < 2) return Number.NaN;
  const m = mean(x);
  let s = 0;
  for (let i = 0; i < n; i++) s += (x[i]! - m) ** 2;
  return s / (n - 1);
}

export function stdev(x: Num): number {
  return Math.sqrt(variance(x));
}

function sortedCopy(x: Num): Float64Array {
  const a = Float64Array.from(x as ArrayLike<number>);
  a.sort();
  return a;
}

/** Quantile with linear interpolation between order statistics (Hyndman-Fan type 7, numpy's default). */
export function quantile(x: Num, p: number): number {
  if (x.length === 0) return Number.NaN;
  return quantileSorted(sortedCopy(x), p);
}

export function quantileSorted(s: Num, p: number): number {
  const n = s.length;
  if (n === 0) return Number.NaN;
  const h = (n - 1) * Math.min(1, Math.max(0, p));
  const lo = Math.floor(h);
  const hi = Math.min(n - 1, lo + 1);
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!);
}

export function median(x: Num): number {
  return quantile(x, 0.5);
}

/** Median absolute deviation scaled by 1.4826, so that it estimates the standard deviation of normal data. */
export function madSigma(x: Num, center = median(x)): number {
  const d = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) d[i] = Math.abs(x[i]! - center);
  return 1.4826 * median(d);
}

/** Lag-1 autocorrelation of a series (0 when undefined). */
export function lag1Autocorrelation(x: Num): number {
  const n = x.length;
  if (n < 3) return 0;
  const m = mean(x);
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const d = x[i]! - m;
    den += d * d;
    if (i > 0) num += d * (x[i - 1]! - m);
  }
  return den === 0 ? 0 : num / den;
}

/**
 * Effective number of independent observations of an AR(1)-like series: n (1 - r) / (1 + r), with r
 * the lag-1 autocorrelation clipped to [0, 0.95]. Used to widen intervals on autocorrelated
 * residuals (ASHRAE Guideline 14 uses the same correction for savings uncertainty).
 */
export function effectiveN(n: number, rho: number): number {
  const r = Math.min(0.95, Math.max(0, rho));
  return Math.max(2, (n * (1 - r)) / (1 + r));
}

// ---------------------------------------------------------------------------------------------
// Distributions

/** log Γ(x), Lanczos approximation (g = 7, n = 9), accurate to ~1e-15 for x > 0. */
export function logGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0]!;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction for the incomplete beta function (modified Lentz). */
function betacf(a: number, b: number, x: number): number {
  const TINY = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return h;
}

/** Regularised incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const lbt = logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x);
  const bt = Math.exp(lbt);
  if (x < (a + 1) / (a + b + 2)) return (bt * betacf(a, b, x)) / a;
  return 1 - (bt * betacf(b, a, 1 - x)) / b;
}

/** Student t cumulative distribution function. */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(t)) return t > 0 ? 1 : 0;
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t > 0 ? 1 - tail : tail;
}

/** Student t quantile (inverse CDF), by bisection on the CDF: slow-ish but exact enough and robust. */
export function studentTQuantile(p: number, df: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  if (p === 0.5) return 0;
  if (df > 1e6) return normalQuantile(p);
  let lo = -1e3;
  let hi = 1e3;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
    if (hi - lo < 1e-10) break;
  }
  return (lo + hi) / 2;
}

/** Standard normal CDF (Abramowitz-Stegun 7.1.26 via erf, |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const t = 1 / (1 + 0.3275911 * (Math.abs(z) / Math.SQRT2));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-(z * z) / 2);
  return z >= 0 ? 0.5 * (1 + y) : 0.5 * (1 - y);
}

/** Standard normal quantile (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (p <= 0) return -Infinity;
  if (p >= 1) return Infinity;
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const plow = 0.02425;
  if (p < plow) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (
      (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  if (p > 1 - plow) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return (
      -(((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) /
      ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1)
    );
  }
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) /
    (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1)
  );
}

// ---------------------------------------------------------------------------------------------
// Least squares

export interface LinearFit {
  n: number;
  intercept: number;
  slope: number;
  /** standard error of the slope (already widened for autocorrelation when asked) */
  slopeSE: number;
  /** residual standard deviation, sqrt(SSE / (n - 2)) */
  residualSD: number;
  r2: number;
  /** two-sided p-value of slope = 0 */
  pValue: number;
  xMean: number;
  /** Σ (x - x̄)², with weights when weighted */
  sxx: number;
  /** sum of weights (n when unweighted) */
  sw: number;
  /** degrees of freedom used for t quantiles (effective when autocorrelation is accounted for) */
  df: number;
  /** lag-1 autocorrelation of the residuals */
  residualRho: number;
  /** sqrt(n / n_eff): the factor by which parameter standard errors were widened (1 without autocorrelation) */
  inflation: number;
}

/**
 * Ordinary (or weighted) least squares of y on x. With `autocorrelation`, the slope's standard
 * error and the degrees of freedom use the effective sample size of the residuals, so that a
 * smooth but noisy series does not produce falsely tight intervals and falsely significant slopes.
 */
export function linearFit(x: Num, y: Num, opts: { weights?: Num; autocorrelation?: boolean } = {}): LinearFit {
  const n = Math.min(x.length, y.length);
  const w = opts.weights;
  let sw = 0;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    sw += wi;
    sx += wi * x[i]!;
    sy += wi * y[i]!;
  }
  const xm = sx / sw;
  const ym = sy / sw;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const wi = w ? w[i]! : 1;
    const dx = x[i]! - xm;
    const dy = y[i]! - ym;
    sxx += wi * dx * dx;
    sxy += wi * dx * dy;
    syy += wi * dy * dy;
  }
  const slope = sxx > 0 ? sxy / sxx : 0;
  const intercept = ym - slope * xm;
  let sse = 0;
  const res = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const r = y[i]! - (intercept + slope * x[i]!);
    res[i] = r;
    sse += (w ? w[i]! : 1) * r * r;
  }
  // Weighted: scale so that the weights act as relative precisions (sum of weights ~ n).
  const wScale = w ? n / sw : 1;
  const dof = Math.max(1, n - 2);
  const residualSD = Math.sqrt((sse * wScale) / dof);
  const rho = opts.autocorrelation ? lag1Autocorrelation(res) : 0;
  const nEff = opts.autocorrelation ? effectiveN(n, rho) : n;
  const inflate = Math.sqrt(n / nEff);
  const slopeSE = sxx > 0 ? (residualSD / Math.sqrt(sxx * wScale)) * inflate : Infinity;
  const df = Math.max(1, nEff - 2);
  const tStat = slopeSE > 0 && Number.isFinite(slopeSE) ? slope / slopeSE : 0;
  const pValue = slopeSE === 0 ? 0 : 2 * (1 - studentTCdf(Math.abs(tStat), df));
  const r2 = syy > 0 ? 1 - sse / syy : 0;
  return {
    n,
    intercept,
    slope,
    slopeSE,
    residualSD,
    r2,
    pValue,
    xMean: xm,
    sxx: sxx * wScale,
    sw,
    df,
    residualRho: rho,
    inflation: inflate,
  };
}

/**
 * Standard error of a new observation at x0 under a fitted line (prediction, not confidence):
 * s · sqrt(1 + 1/n + (x0 - x̄)² / Sxx), widened by the same autocorrelation factor as the slope.
 */
export function predictionSE(fit: LinearFit, x0: number): number {
  const k = fit.inflation;
  return fit.residualSD * Math.sqrt(1 + k * k * (1 / fit.n + (x0 - fit.xMean) ** 2 / fit.sxx));
}

/** Mean-response standard error at x0 (the uncertainty of the line itself). */
export function confidenceSE(fit: LinearFit, x0: number): number {
  return fit.residualSD * fit.inflation * Math.sqrt(1 / fit.n + (x0 - fit.xMean) ** 2 / fit.sxx);
}

/**
 * Multiple linear regression y = X b (X given row-major, without the intercept column, which is
 * added) with optional ridge penalty on the non-intercept coefficients. Solved by Cholesky on the
 * normal equations: fine for the handful to a few hundred columns used here.
 */
export function multipleRegression(
  rows: ReadonlyArray<ArrayLike<number>>,
  y: Num,
  opts: { ridge?: number } = {},
): { coefficients: Float64Array; predict: (row: ArrayLike<number>) => number } {
  const n = rows.length;
  const p = (rows[0]?.length ?? 0) + 1;
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  const v = new Float64Array(p);
  for (let i = 0; i < n; i++) {
    const r = rows[i]!;
    v[0] = 1;
    for (let j = 1; j < p; j++) v[j] = r[j - 1]!;
    const yi = y[i]!;
    for (let a = 0; a < p; a++) {
      xty[a]! += v[a]! * yi;
      for (let b = 0; b <= a; b++) xtx[a * p + b]! += v[a]! * v[b]!;
    }
  }
  for (let a = 0; a < p; a++) for (let b = 0; b < a; b++) xtx[b * p + a] = xtx[a * p + b]!;
  const lambda = opts.ridge ?? 0;
  for (let a = 1; a < p; a++) xtx[a * p + a]! += lambda;
  xtx[0]! += 1e-12;
  const coefficients = solveSPD(xtx, xty, p);
  return {
    coefficients,
    predict: (row) => {
      let s = coefficients[0]!;
      for (let j = 1; j < p; j++) s += coefficients[j]! * row[j - 1]!;
      return s;
    },
  };
}

/** Solves A x = b for symmetric positive (semi)definite A by Cholesky, with a tiny jitter if needed. */
export function solveSPD(a: Float64Array, b: Float64Array, p: number): Float64Array {
  for (let jitter = 0; jitter < 8; jitter++) {
    const l = new Float64Array(p * p);
    let ok = true;
    const eps = jitter === 0 ? 0 : 1e-10 * 10 ** jitter;
    for (let i = 0; i < p && ok; i++) {
      for (let j = 0; j <= i; j++) {
        let s = a[i * p + j]! + (i === j ? eps * Math.max(1, Math.abs(a[i * p + i]!)) : 0);
        for (let k = 0; k < j; k++) s -= l[i * p + k]! * l[j * p + k]!;
        if (i === j) {
          if (s <= 0) {
            ok = false;
            break;
          }
          l[i * p + i] = Math.sqrt(s);
        } else l[i * p + j] = s / l[j * p + j]!;
      }
    }
    if (!ok) continue;
    const z = new Float64Array(p);
    for (let i = 0; i < p; i++) {
      let s = b[i]!;
      for (let k = 0; k < i; k++) s -= l[i * p + k]! * z[k]!;
      z[i] = s / l[i * p + i]!;
    }
    const x = new Float64Array(p);
    for (let i = p - 1; i >= 0; i--) {
      let s = z[i]!;
      for (let k = i + 1; k < p; k++) s -= l[k * p + i]! * x[k]!;
      x[i] = s / l[i * p + i]!;
    }
    return x;
  }
  return new Float64Array(p);
}

/** A seeded pseudo-random generator (mulberry32): analyses must be reproducible run to run. */
export function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
