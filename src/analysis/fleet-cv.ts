/**
 * Choosing a fleet model's hyper-parameters and calibrating its intervals, on the training
 * histories only (docs/analysis.md, "Fleet remaining life").
 *
 * Cross-validation by unit: the units are shuffled (seeded) into k folds; for each fold a model is
 * trained on the other units and asked, at every `stride`-th cycle of each held-out unit from
 * `minHistory` cycles on, for the remaining life after that cycle. The operating-condition
 * normalisation (means and SDs of the sensors per condition: no remaining-life information) is
 * fitted once on every unit and shared by the folds and the final model. Every candidate (tree depth x
 * number of trees, or ridge penalty) is scored on the same held-out cuts by the RMSE against the
 * capped truth min(RUL, cap), the quantity the model is trained to tell (against the uncapped
 * truth, early-life cuts would add the same unknowable error to every candidate). Trees are
 * evaluated staged: one fit per fold and depth gives every tree count.
 *
 * Intervals: the held-out predictions of the chosen candidate are sorted by the predicted value
 * into bins, and each bin keeps the quantiles of (true remaining life - prediction), uncapped: an
 * 80% interval is prediction + [q10, q90] of its bin (split-conformal style, conditional on the
 * prediction). Near the cap the upper quantiles are large: early in life, the history does not
 * tell how long a unit has left, and the interval says so.
 *
 * The held-out residuals are those of single models; the final model averages several seeds
 * (fleet-rul.ts, `bag`), so its intervals are, if anything, a little wide.
 */

import {
  featuresFor,
  fitFleetRul,
  fitNormalisation,
  fleetFeatures,
  fleetValue,
  type FeatureSpec,
  type FleetNormalisation,
  type FleetRulModel,
  type FleetUnit,
} from './fleet-rul.js';
import { quantileSorted, rng } from './stats.js';

export interface FleetCvOptions {
  folds: number;
  seed: number;
  cap: number;
  model: 'gbdt' | 'ridge';
  /** gbdt candidates: depths x tree counts */
  depths: number[];
  trees: number[];
  learningRate: number;
  minLeaf: number;
  subsample: number;
  /** ridge candidates */
  ridges: number[];
  settingDecimals: number;
  /** the feature vector (default: featuresFor(model)) */
  features?: FeatureSpec;
  /** first cut after this many cycles of history */
  minHistory: number;
  /** cut every `stride` cycles */
  stride: number;
  /** interval levels kept */
  levels: number[];
  /** called after each fitted fold model */
  progress?: (done: number, total: number) => void;
}

export interface FleetCandidate {
  depth?: number;
  trees?: number;
  ridge?: number;
  /** RMSE against min(true RUL, cap) over the held-out cuts */
  rmse: number;
  mae: number;
  n: number;
}

export interface IntervalBin {
  /** predictions up to this value fall in the bin (the last bin takes everything above) */
  upTo: number;
  n: number;
  /** per level (as a string key, "0.8"): quantiles of (truth - prediction) at (1 - level)/2 and (1 + level)/2 */
  q: Record<string, [number, number]>;
}

export interface IntervalTable {
  method: string;
  levels: number[];
  bins: IntervalBin[];
}

export interface FleetCvResult {
  candidates: FleetCandidate[];
  chosen: FleetCandidate;
  intervals: IntervalTable;
  cuts: number;
  normalisation: FleetNormalisation;
}

interface Cut {
  unit: number;
  feats: Float64Array;
  truth: number;
}

export function crossValidateFleet(units: FleetUnit[], o: FleetCvOptions): FleetCvResult {
  const k = Math.max(2, Math.min(o.folds, units.length));
  const r = rng(o.seed);
  const order = units
    .map((_, i) => ({ i, key: r() }))
    .sort((a, b) => a.key - b.key)
    .map((x) => x.i);
  const foldOf = new Int32Array(units.length);
  order.forEach((u, pos) => (foldOf[u] = pos % k));
  const cands: { params: { depth?: number; trees?: number; ridge?: number }; pred: number[]; truth: number[] }[] = [];
  if (o.model === 'gbdt')
    for (const depth of o.depths) for (const trees of o.trees) cands.push({ params: { depth, trees }, pred: [], truth: [] });
  else for (const ridge of o.ridges) cands.push({ params: { ridge }, pred: [], truth: [] });
  const fits = o.model === 'gbdt' ? o.depths.length : o.ridges.length;
  const normalisation = fitNormalisation(units, o.settingDecimals);
  const common = { cap: o.cap, normalisation, features: o.features ?? featuresFor(o.model) };
  let done = 0;
  for (let f = 0; f < k; f++) {
    const trainUnits = units.filter((_, i) => foldOf[i] !== f);
    const held = units.map((u, i) => ({ u, i })).filter((x) => foldOf[x.i] === f);
    for (let g = 0; g < fits; g++) {
      const model =
        o.model === 'gbdt'
          ? fitFleetRul(trainUnits, {
              ...common,
              model: 'gbdt',
              gbdt: {
                trees: Math.max(...o.trees),
                depth: o.depths[g]!,
                learningRate: o.learningRate,
                minLeaf: o.minLeaf,
                subsample: o.subsample,
                seed: o.seed + f,
              },
            })
          : fitFleetRul(trainUnits, { ...common, model: 'ridge', ridge: o.ridges[g]! });
      const cuts = heldOutCuts(model, held, o);
      for (const c of cands) {
        if (o.model === 'gbdt' ? c.params.depth !== o.depths[g] : c.params.ridge !== o.ridges[g]) continue;
        for (const cut of cuts) {
          c.pred.push(Math.min(o.cap, Math.max(0, fleetValue(model, cut.feats, c.params.trees))));
          c.truth.push(cut.truth);
        }
      }
      o.progress?.(++done, k * fits);
    }
  }
  const candidates: FleetCandidate[] = cands.map((c) => {
    let se = 0;
    let ae = 0;
    for (let i = 0; i < c.pred.length; i++) {
      const d = c.pred[i]! - Math.min(o.cap, c.truth[i]!);
      se += d * d;
      ae += Math.abs(d);
    }
    const n = c.pred.length;
    return { ...c.params, rmse: Math.sqrt(se / n), mae: ae / n, n };
  });
  let best = 0;
  for (let i = 1; i < candidates.length; i++) if (candidates[i]!.rmse < candidates[best]!.rmse - 1e-9) best = i;
  const chosen = candidates[best]!;
  return { candidates, chosen, intervals: intervalTable(cands[best]!.pred, cands[best]!.truth, o.levels), cuts: chosen.n, normalisation };
}

function heldOutCuts(model: FleetRulModel, held: { u: FleetUnit; i: number }[], o: Pick<FleetCvOptions, 'minHistory' | 'stride'>): Cut[] {
  const cuts: Cut[] = [];
  for (const { u, i } of held) {
    const feats = fleetFeatures(model, u);
    const life = feats.length;
    const first = Math.min(Math.max(1, o.minHistory), life) - 1;
    for (let c = first; c < life; c += Math.max(1, o.stride)) cuts.push({ unit: i, feats: feats[c]!, truth: life - 1 - c });
  }
  return cuts;
}

/** Residual quantiles of held-out predictions, in bins of the predicted value (at least 100 cuts a bin, at most 10 bins). */
export function intervalTable(pred: number[], truth: number[], levels: number[]): IntervalTable {
  const idx = pred.map((_, i) => i).sort((a, b) => pred[a]! - pred[b]!);
  const nb = Math.max(1, Math.min(10, Math.floor(idx.length / 100)));
  const bins: IntervalBin[] = [];
  for (let b = 0; b < nb; b++) {
    const part = idx.slice(Math.floor((b * idx.length) / nb), Math.floor(((b + 1) * idx.length) / nb));
    const res = Float64Array.from(part, (i) => truth[i]! - pred[i]!).sort();
    const q: Record<string, [number, number]> = {};
    for (const l of levels) q[String(l)] = [quantileSorted(res, (1 - l) / 2), quantileSorted(res, (1 + l) / 2)];
    bins.push({ upTo: b === nb - 1 ? Number.MAX_VALUE : pred[part[part.length - 1]!]!, n: part.length, q });
  }
  return { method: 'quantiles of held-out residuals (truth - prediction) in bins of the prediction', levels, bins };
}

/** The interval around a prediction at `level` (one of the table's levels), floored at zero. */
export function intervalAround(t: IntervalTable, pred: number, level: number): { lo: number; hi: number } {
  const bin = t.bins.find((b) => pred <= b.upTo) ?? t.bins[t.bins.length - 1]!;
  const q = bin.q[String(level)];
  if (!q) throw new Error(`no interval at level ${level} in the model (it has ${t.levels.join(', ')})`);
  return { lo: Math.max(0, pred + q[0]), hi: Math.max(0, pred + q[1]) };
}
