/**
 * Measurement and verification: a regression baseline of daily energy against its drivers, chosen
 * and judged out of sample, then the report period's savings against it (ASHRAE Guideline 14-2014).
 *
 * Why out of sample: a least-squares fit with an intercept has an in-sample NMBE of zero by
 * construction, and its in-sample CV(RMSE) flatters every driver added. So the drivers are chosen by
 * forward selection on the cross-validated CV(RMSE) (a driver joins only if it lowers it by at least
 * 1% of its value), and the G14 verdict is taken on the cross-validated CV(RMSE) and NMBE. Folds
 * are whole weeks (leave one week out) when the baseline has at least three weeks of days, so that a
 * held-out day's neighbours, which share its weather and its production run, are never in the fit;
 * otherwise one day at a time. The savings uncertainty is G14's formula, which is defined on the
 * in-sample CV(RMSE) (both are reported).
 */

import { effectiveN, lag1Autocorrelation, mean, multipleRegression, studentTQuantile } from './stats.js';

/** One day of the baseline or report period: its energy and the value of every candidate driver. */
export interface BaselineDay {
  /** local day number (days since 1970-01-01) */
  day: number;
  kwh: number;
  drivers: Record<string, number>;
}

export interface FitQuality {
  r2: number;
  cvRmse: number;
  nmbe: number;
}

export interface G14Verdict {
  /** in-sample R² */
  r2: number;
  /** in-sample CV(RMSE) and NMBE with G14's (n - p) degrees of freedom; NMBE is ~0 by construction */
  cvRmse: number;
  nmbe: number;
  /** out of sample: what the verdict is taken on */
  crossValidated: { cvRmse: number; nmbe: number; scheme: 'leave-one-week-out' | 'leave-one-day-out'; folds: number };
  /** data granularity the limits were taken for */
  granularity: 'daily' | 'monthly';
  /** G14's criteria; R² is reported, not judged (a flat load leaves little variance to explain: R² near 0 with a small CV(RMSE) is a good model) */
  limits: { cvRmse: number; nmbe: number };
  passes: boolean;
}

export interface BaselineModel {
  drivers: string[];
  /** every candidate considered, with the cross-validated CV(RMSE) of the model it would have made, in the order tried */
  considered: { driver: string; cvRmse: number; chosen: boolean; why?: string }[];
  coefficients: Record<string, number>;
  days: number;
  g14: G14Verdict;
  predict(d: BaselineDay): number;
}

/** ASHRAE Guideline 14 (2014) calibration limits: monthly data CV(RMSE) <= 15%, NMBE within ±5%; hourly (used here for daily) 30% and ±10%. */
export function g14Limits(granularity: 'daily' | 'monthly'): G14Verdict['limits'] {
  return granularity === 'monthly' ? { cvRmse: 0.15, nmbe: 0.05 } : { cvRmse: 0.3, nmbe: 0.1 };
}

/** In-sample fit quality as G14 defines it: CV(RMSE) = sqrt(SSE / (n - p)) / mean, NMBE = sum(y - y_hat) / ((n - p) mean). */
export function fitQuality(y: ArrayLike<number>, pred: ArrayLike<number>, p: number): FitQuality {
  const n = y.length;
  let ybar = 0;
  for (let i = 0; i < n; i++) ybar += y[i]!;
  ybar /= n;
  let sse = 0;
  let sr = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    sse += (y[i]! - pred[i]!) ** 2;
    sr += y[i]! - pred[i]!;
    sst += (y[i]! - ybar) ** 2;
  }
  const dof = Math.max(1, n - p);
  return { r2: sst > 0 ? 1 - sse / sst : 0, cvRmse: Math.sqrt(sse / dof) / ybar, nmbe: sr / (dof * ybar) };
}

/** The G14 verdict of a model judged in sample only (kept for callers with no folds to offer). */
export function g14Verdict(y: number[], pred: number[], p: number, granularity: 'daily' | 'monthly'): G14Verdict {
  const q = fitQuality(y, pred, p);
  const limits = g14Limits(granularity);
  const passes = q.cvRmse <= limits.cvRmse && Math.abs(q.nmbe) <= limits.nmbe;
  return { ...q, crossValidated: { cvRmse: q.cvRmse, nmbe: q.nmbe, scheme: 'leave-one-day-out', folds: 0 }, granularity, limits, passes };
}

/** Fold of each day: its week (Monday-first, counted from the first day) or the day itself. */
function folds(days: readonly BaselineDay[]): { fold: number[]; scheme: G14Verdict['crossValidated']['scheme']; count: number } {
  const first = Math.min(...days.map((d) => d.day));
  const monday = first - ((((first + 4) % 7) + 6) % 7);
  const week = days.map((d) => Math.floor((d.day - monday) / 7));
  const weeks = new Set(week).size;
  if (weeks >= 3) return { fold: week, scheme: 'leave-one-week-out', count: weeks };
  return { fold: days.map((_, i) => i), scheme: 'leave-one-day-out', count: days.length };
}

const row = (d: BaselineDay, drivers: readonly string[]) => drivers.map((k) => d.drivers[k] ?? Number.NaN);

/** Out-of-sample predictions: each fold predicted by a model fitted on the other folds. */
function crossValidate(
  days: readonly BaselineDay[],
  drivers: readonly string[],
  fold: readonly number[],
): { cvRmse: number; nmbe: number } {
  const n = days.length;
  const pred = new Float64Array(n);
  for (const f of new Set(fold)) {
    const train = days.filter((_, i) => fold[i] !== f);
    if (train.length < drivers.length + 2) return { cvRmse: Number.POSITIVE_INFINITY, nmbe: Number.NaN };
    const reg = multipleRegression(
      train.map((d) => row(d, drivers)),
      train.map((d) => d.kwh),
    );
    for (let i = 0; i < n; i++) if (fold[i] === f) pred[i] = reg.predict(row(days[i]!, drivers));
  }
  const ybar = mean(days.map((d) => d.kwh));
  let sse = 0;
  let sr = 0;
  for (let i = 0; i < n; i++) {
    sse += (days[i]!.kwh - pred[i]!) ** 2;
    sr += days[i]!.kwh - pred[i]!;
  }
  // out of sample every residual is a fair one: no degrees of freedom are taken off
  return { cvRmse: Math.sqrt(sse / n) / ybar, nmbe: sr / (n * ybar) };
}

/** R² of one candidate regressed on the chosen drivers: near 1 means it adds nothing new (collinear). */
function explainedBy(days: readonly BaselineDay[], candidate: string, chosen: readonly string[]): number {
  const x = days.map((d) => d.drivers[candidate]!);
  const m = mean(x);
  let sst = 0;
  for (const v of x) sst += (v - m) ** 2;
  if (!(sst > 1e-12 * Math.max(1, m * m) * x.length)) return 1; // constant over the baseline
  if (chosen.length === 0) return 0;
  const reg = multipleRegression(
    days.map((d) => row(d, chosen)),
    x,
  );
  let sse = 0;
  days.forEach((d, i) => (sse += (x[i]! - reg.predict(row(d, chosen))) ** 2));
  return 1 - sse / sst;
}

/**
 * Fits daily kWh = a + sum(b_k x driver_k) on the baseline days, choosing drivers among the
 * candidates by forward selection on the cross-validated CV(RMSE). Candidates with a missing value
 * on any baseline day are left out (and said so in `considered`).
 */
export function fitBaseline(
  days: readonly BaselineDay[],
  candidates: readonly string[],
  granularity: 'daily' | 'monthly' = 'daily',
): BaselineModel {
  const { fold, scheme, count } = folds(days);
  const considered: BaselineModel['considered'] = [];
  const usable = candidates.filter((c) => {
    const ok = days.every((d) => Number.isFinite(d.drivers[c]));
    if (!ok) considered.push({ driver: c, cvRmse: Number.NaN, chosen: false, why: 'not known on every baseline day' });
    return ok;
  });
  const chosen: string[] = [];
  let best = crossValidate(days, [], fold);
  const remaining = new Set(usable);
  for (;;) {
    let pick: { driver: string; q: { cvRmse: number; nmbe: number } } | undefined;
    for (const c of remaining) {
      if (explainedBy(days, c, chosen) > 0.999) {
        considered.push({
          driver: c,
          cvRmse: Number.NaN,
          chosen: false,
          why: chosen.length ? `adds nothing to ${chosen.join(', ')}` : 'the same on every baseline day',
        });
        remaining.delete(c);
        continue;
      }
      const q = crossValidate(days, [...chosen, c], fold);
      if (!pick || q.cvRmse < pick.q.cvRmse) pick = { driver: c, q };
    }
    if (!pick || !(pick.q.cvRmse < best.cvRmse * 0.99)) {
      for (const c of remaining)
        considered.push({
          driver: c,
          cvRmse: crossValidate(days, [...chosen, c], fold).cvRmse,
          chosen: false,
          why: 'does not lower the cross-validated CV(RMSE) by 1%',
        });
      break;
    }
    chosen.push(pick.driver);
    remaining.delete(pick.driver);
    considered.push({ driver: pick.driver, cvRmse: pick.q.cvRmse, chosen: true });
    best = pick.q;
  }
  const reg = multipleRegression(
    days.map((d) => row(d, chosen)),
    days.map((d) => d.kwh),
  );
  const y = days.map((d) => d.kwh);
  const pred = days.map((d) => reg.predict(row(d, chosen)));
  const inSample = fitQuality(y, pred, chosen.length + 1);
  const limits = g14Limits(granularity);
  const passes = best.cvRmse <= limits.cvRmse && Math.abs(best.nmbe) <= limits.nmbe;
  return {
    drivers: chosen,
    considered,
    coefficients: { intercept: reg.coefficients[0]!, ...Object.fromEntries(chosen.map((d, i) => [d, reg.coefficients[i + 1]!])) },
    days: days.length,
    g14: { ...inSample, crossValidated: { cvRmse: best.cvRmse, nmbe: best.nmbe, scheme, folds: count }, granularity, limits, passes },
    predict: (d) => reg.predict(row(d, chosen)),
  };
}

/**
 * ASHRAE Guideline 14-2014, the fractional savings uncertainty with autocorrelated residuals, as an
 * absolute kWh at 90% confidence: U = t x 1.26 x CV x sqrt(n/n' x (1 + 2/n) / m) x E_predicted.
 */
export function savingsUncertainty(
  model: BaselineModel,
  baseline: readonly BaselineDay[],
  reportDays: number,
  predictedKwh: number,
): number {
  const resid = baseline.map((d) => d.kwh - model.predict(d));
  const nb = baseline.length;
  const nPrime = effectiveN(nb, lag1Autocorrelation(resid));
  const t = studentTQuantile(0.95, Math.max(1, nPrime - model.drivers.length - 1));
  return t * 1.26 * model.g14.cvRmse * Math.sqrt(((nb / nPrime) * (1 + 2 / nb)) / reportDays) * predictedKwh;
}
