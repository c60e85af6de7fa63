/**
 * A fused health index from several indicators, for machines where no single sensor tells the
 * story (a turbofan's temperatures, pressures and speeds drift a little each; together they show
 * the wear). Unsupervised: it needs no failure history.
 *
 * 1. All indicators are windowed on the same grid; only windows present in every one are kept.
 * 2. Each is standardised against its own healthy baseline: z = (x - median) / (1.4826 MAD).
 * 3. Each gets a direction and a weight from how monotonically it moves after the baseline:
 *    the Spearman rank correlation rho with time; direction = sign(rho), weight = max(0, |rho| - 0.1)
 *    (an indicator that only wanders gets no weight; if none moves, all weigh the same).
 * 4. HI = sum(w · direction · z) / sum(w): 0 is the healthy baseline, the unit is "baseline sigmas",
 *    and degradation makes it rise whatever the sensors' own directions.
 * The onset detector and the remaining-life model run on the HI on a linear scale (onset.ts).
 */

import type { IndicatorInput } from './degradation.js';
import { estimateBaseline } from './onset.js';
import { windowed, type Series, type WindowStat } from './series.js';
import { madSigma, median } from './stats.js';

export interface FusedIndex {
  input: IndicatorInput;
  weights: { name: string; weight: number; direction: 1 | -1; rho: number }[];
}

/** Spearman rank correlation (average ranks for ties). */
export function spearman(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = Math.min(x.length, y.length);
  if (n < 3) return 0;
  const rank = (a: ArrayLike<number>) => {
    const idx = Array.from({ length: n }, (_, i) => i).sort((p, q) => a[p]! - a[q]!);
    const r = new Float64Array(n);
    for (let i = 0; i < n; ) {
      let j = i;
      while (j + 1 < n && a[idx[j + 1]!] === a[idx[i]!]) j++;
      const avg = (i + j) / 2;
      for (let k = i; k <= j; k++) r[idx[k]!] = avg;
      i = j + 1;
    }
    return r;
  };
  const rx = rank(x);
  const ry = rank(y);
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += rx[i]!;
    my += ry[i]!;
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (rx[i]! - mx) * (ry[i]! - my);
    sxx += (rx[i]! - mx) ** 2;
    syy += (ry[i]! - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export function fuseHealthIndex(
  inputs: IndicatorInput[],
  opts: { windowMs: number; stat?: WindowStat; name?: string; baselineFraction?: number; baselineSkip?: number; origin?: number },
): FusedIndex | undefined {
  if (inputs.length < 2) return undefined;
  // windows aligned to the earliest first sample (or the given origin), the same for every indicator
  const origin = opts.origin ?? Math.min(...inputs.map((i) => i.series.t[0] ?? Infinity).filter(Number.isFinite));
  const ws = inputs.map((i) => windowed(i.series, opts.windowMs, opts.stat ?? 'median', Number.isFinite(origin) ? origin : 0));
  // windows present in every indicator
  const common = new Map<number, number>();
  for (const w of ws) for (const t of w.t) common.set(t, (common.get(t) ?? 0) + 1);
  const times = [...common.entries()]
    .filter(([, c]) => c === ws.length)
    .map(([t]) => t)
    .sort((a, b) => a - b);
  if (times.length < 10) return undefined;
  const aligned: Series[] = ws.map((w) => {
    const at = new Map<number, number>();
    for (let i = 0; i < w.t.length; i++) at.set(w.t[i]!, w.v[i]!);
    return { t: Float64Array.from(times), v: Float64Array.from(times.map((t) => at.get(t)!)) };
  });
  const zs: Float64Array[] = [];
  const weights: FusedIndex['weights'] = [];
  for (let k = 0; k < aligned.length; k++) {
    const s = aligned[k]!;
    const b = estimateBaseline(s, { scale: 'linear', fraction: opts.baselineFraction ?? 0.25, skip: opts.baselineSkip ?? 0.02 });
    if (!b) return undefined;
    const base = Array.from(s.v.filter((_, i) => s.t[i]! >= b.from && s.t[i]! <= b.to));
    const m = median(base);
    const sd = madSigma(base, m) || Math.abs(m) * 1e-3 || 1;
    zs.push(s.v.map((x) => (x - m) / sd));
    const after = s.t.findIndex((t) => t > b.to);
    const tail = after < 0 ? new Float64Array(0) : s.v.subarray(after);
    const rho = spearman(s.t.subarray(after < 0 ? s.t.length : after), tail);
    weights.push({ name: inputs[k]!.name, weight: Math.max(0, Math.abs(rho) - 0.1), direction: rho < 0 ? -1 : 1, rho });
  }
  let wsum = weights.reduce((a, w) => a + w.weight, 0);
  if (wsum === 0) {
    for (const w of weights) w.weight = 1;
    wsum = weights.length;
  }
  const hi = new Float64Array(times.length);
  for (let k = 0; k < zs.length; k++) {
    const w = (weights[k]!.weight * weights[k]!.direction) / wsum;
    const z = zs[k]!;
    for (let i = 0; i < hi.length; i++) hi[i]! += w * z[i]!;
  }
  return {
    input: {
      name: opts.name ?? 'health index',
      tag: inputs.map((i) => i.tag).join('+'),
      quantity: 'health-index',
      // stamped mid-window, so that windowing it again with the same window keeps each point in its window
      series: { t: Float64Array.from(times, (t) => t - opts.windowMs / 2), v: hi },
      scale: 'linear',
      notes: [],
    },
    weights,
  };
}
