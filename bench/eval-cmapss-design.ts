/**
 * How the fleet model's fixed design was chosen: on C-MAPSS train_FD001 only, by 5-fold
 * cross-validation by engine (the same folds, cuts and score as `iiot analyze fleet train`: seed
 * 42, a cut every 5 cycles from cycle 30, RMSE against the capped truth min(RUL, 125)). The test
 * engines and RUL_FD001.txt are not read. What `fleet train` then chooses by itself (tree depth
 * and count) is in the model file; what is fixed in the code (the feature set, the own-start
 * length, the row share per tree, the averaging of fold models) was chosen here:
 *
 * 1. the feature set: version 1's four per sensor, with and without the departure from the unit's
 *    own start, longer slopes, and the set `fleet train` uses for trees (FEATURES);
 * 2. the own-start length (first 10, 20, 30 or 50 cycles);
 * 3. the share of rows each tree sees (0.5 or 0.8);
 * 3b. ridge regression's feature set, from the same candidates (by `crossValidateFleet`, the
 *    cross-validation `fleet train --model ridge` runs, with its penalties 1, 10, 100);
 * 4. the final model: inside each training fold (nested, so that the held-out engines are never
 *    seen), one model on all the fold's engines against the mean of four seeds on all of them
 *    (what `fleet train` does) and against the mean of four inner fold models.
 *
 * Every model here: gradient-boosted trees, depth 4, learning rate 0.1, 400 trees, at least 20
 * rows a leaf. Library calls (the feature set is not a command-line option); the evaluation
 * figures (bench/eval-cmapss.ts) come from the command line.
 *
 *   node --import tsx bench/eval-cmapss-design.ts     (a few minutes of CPU)
 */

import { readUnits } from './lib/cmapss.js';
import { crossValidateFleet } from '../src/analysis/fleet-cv.js';
import {
  FEATURES,
  FEATURES_V1,
  fitNormalisation,
  fleetFeatures,
  RIDGE_FEATURES,
  type FeatureSpec,
  type FleetUnit,
} from '../src/analysis/fleet-rul.js';
import { predictGbdt, trainGbdt, type GbdtModel } from '../src/analysis/gbdt.js';
import { rng } from '../src/analysis/stats.js';

const CAP = 125;
const FOLDS = 5;
const units = readUnits('train_FD001.txt');
const norm = fitNormalisation(units, 0);
const r = rng(42);
const order = units
  .map((_, i) => ({ i, key: r() }))
  .sort((a, b) => a.key - b.key)
  .map((x) => x.i);
const foldOf = new Int32Array(units.length);
order.forEach((u, pos) => (foldOf[u] = pos % FOLDS));

const gbdt = (seed: number, subsample = 0.5) => ({ trees: 400, depth: 4, learningRate: 0.1, minLeaf: 20, subsample, seed });

function table(F: Float64Array[][], idx: number[]): { X: Float64Array[]; y: number[] } {
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const i of idx) F[i]!.forEach((row, c) => (X.push(row), y.push(Math.min(CAP, F[i]!.length - 1 - c))));
  return { X, y };
}

/** Squared errors of the held-out cuts of `idx` under a predictor. */
function cutErrors(F: Float64Array[][], idx: number[], predict: (x: Float64Array) => number): number[] {
  const out: number[] = [];
  for (const i of idx) {
    const ff = F[i]!;
    for (let c = 29; c < ff.length; c += 5) out.push((Math.min(CAP, Math.max(0, predict(ff[c]!))) - Math.min(CAP, ff.length - 1 - c)) ** 2);
  }
  return out;
}

const rmse = (se: number[]) => Math.sqrt(se.reduce((a, b) => a + b, 0) / se.length);
const features = (spec: FeatureSpec) => units.map((u: FleetUnit) => fleetFeatures({ ...norm, features: spec }, u));
const folds = Array.from({ length: FOLDS }, (_, f) => ({
  train: units.map((_, i) => i).filter((i) => foldOf[i] !== f),
  held: units.map((_, i) => i).filter((i) => foldOf[i] === f),
}));

function cv(spec: FeatureSpec, subsample = 0.5): { rmse: number; cpu: number } {
  const c0 = process.cpuUsage();
  const F = features(spec);
  const se: number[] = [];
  folds.forEach(({ train, held }, f) => {
    const { X, y } = table(F, train);
    const m = trainGbdt(X, y, gbdt(42 + f, subsample));
    se.push(...cutErrors(F, held, (x) => predictGbdt(m, x)));
  });
  const c = process.cpuUsage(c0);
  return { rmse: rmse(se), cpu: (c.user + c.system) / 1e6 };
}

const perSensor = (s: FeatureSpec) =>
  [
    ...s.ewma.map((a) => `ewma${a}`),
    ...s.mean.map((w) => `mean${w}`),
    ...s.slope.map((w) => `slope${w}`),
    ...(s.baseline ? [`delta${s.baseline}`] : []),
  ].join(', ');

console.log('#### Fleet model design: 5-fold cross-validation by engine on train_FD001 only\n');
console.log('| feature set (per kept sensor; then the cycle count) | CV RMSE | CPU s (5 fits) |');
console.log('| --- | ---: | ---: |');
const sets: [string, FeatureSpec][] = [
  ['version 1', FEATURES_V1],
  ['version 1 + slope 100', RIDGE_FEATURES],
  ['version 1 + departure from own start', { ...FEATURES_V1, baseline: 30 }],
  ['version 1 + slopes 50, 100 + departure from own start', { ...FEATURES_V1, slope: [20, 50, 100], baseline: 30 }],
  ['FEATURES without the departure from own start', { ...FEATURES, baseline: 0 }],
  ['**FEATURES** (what `fleet train` uses for trees)', FEATURES],
];
for (const [name, spec] of sets) {
  const x = cv(spec);
  console.log(`| ${name}: ${perSensor(spec)} | ${x.rmse.toFixed(2)} | ${x.cpu.toFixed(1)} |`);
}

console.log('\n| own start (first cycles) | CV RMSE |');
console.log('| ---: | ---: |');
for (const b of [10, 20, 30, 50])
  console.log(`| ${b}${b === FEATURES.baseline ? ' (chosen)' : ''} | ${cv({ ...FEATURES, baseline: b }).rmse.toFixed(2)} |`);

console.log('\n| rows per tree | CV RMSE | CPU s (5 fits) |');
console.log('| ---: | ---: | ---: |');
for (const s of [0.5, 0.8]) {
  const x = cv(FEATURES, s);
  console.log(`| ${s * 100}%${s === 0.5 ? ' (chosen)' : ''} | ${x.rmse.toFixed(2)} | ${x.cpu.toFixed(1)} |`);
}

console.log('\n| feature set | ridge regression: CV RMSE (best of penalties 1, 10, 100) |');
console.log('| --- | ---: |');
for (const [name, spec] of sets) {
  const x = crossValidateFleet(units, {
    folds: FOLDS,
    seed: 42,
    cap: CAP,
    model: 'ridge',
    depths: [],
    trees: [],
    learningRate: 0.1,
    minLeaf: 20,
    subsample: 0.5,
    ridges: [1, 10, 100],
    settingDecimals: 0,
    minHistory: 30,
    stride: 5,
    levels: [0.8],
    features: spec,
  });
  console.log(
    `| ${name.replace(/\*\*|\(what `fleet train` uses for trees\)/g, '').trim()}${spec === RIDGE_FEATURES ? ' (what `fleet train --model ridge` uses)' : ''} | ${x.chosen.rmse.toFixed(2)} |`,
  );
}

// Nested: inside each outer training fold, which final model predicts the outer held-out engines best?
const F = features(FEATURES);
const se = { single: [] as number[], inner: [] as number[], seeds: [] as number[] };
folds.forEach(({ train, held }, f) => {
  const { X, y } = table(F, train);
  const single = trainGbdt(X, y, gbdt(42 + f));
  const seeds: GbdtModel[] = [single, ...[1, 2, 3].map((b) => trainGbdt(X, y, gbdt(42 + f + 1000 * b)))];
  const inner: GbdtModel[] = [0, 1, 2, 3].map((g) => {
    const t = table(
      F,
      train.filter((_, k) => k % 4 !== g),
    );
    return trainGbdt(t.X, t.y, gbdt(42 + g));
  });
  const mean = (ms: GbdtModel[]) => (x: Float64Array) => ms.reduce((a, m) => a + predictGbdt(m, x), 0) / ms.length;
  se.single.push(...cutErrors(F, held, mean([single])));
  se.seeds.push(...cutErrors(F, held, mean(seeds)));
  se.inner.push(...cutErrors(F, held, mean(inner)));
});
console.log('\n| final model (nested inside each training fold) | CV RMSE |');
console.log('| --- | ---: |');
console.log(`| one model on all the fold's training engines | ${rmse(se.single).toFixed(2)} |`);
console.log(`| **mean of 4 seeds on all of them** (what \`fleet train\` does) | ${rmse(se.seeds).toFixed(2)} |`);
console.log(`| mean of 4 inner fold models (each on 3/4 of them) | ${rmse(se.inner).toFixed(2)} |`);
