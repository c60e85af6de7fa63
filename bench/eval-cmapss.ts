/**
 * Evaluation on NASA C-MAPSS FD001 (datasets/cmapss), through the command line as a user runs it
 * (the built CLI; run `npm run build` first): every figure comes from `iiot ... --json`.
 *
 * 1. The fleet model: trained on train_FD001 only, its hyper-parameters chosen by cross-validation
 *    on the training engines (inside `iiot analyze fleet train`, recorded in the model file), then
 *    asked once for the 100 test engines; RUL_FD001.txt (the true remaining cycles of the test
 *    engines, uncapped) is read only here, to score:
 *      iiot analyze fleet train train_FD001.txt.gz --format cmapss -o fd001-model.json --json
 *      iiot analyze fleet predict fd001-model.json test_FD001.txt.gz --json
 * 2. Without a fleet model (no learning from failures): each engine as a capture (one cycle = one
 *    minute; the analysis does not depend on the time unit), `iiot analyze degradation --fuse`.
 *    On the 100 training engines, which run to failure and on which nothing was tuned: does the
 *    onset alarm before the end, and how many alarm in the first quarter of life? On the test
 *    engines: the remaining life to the fleet's failure level of the index (the median over the
 *    training engines of the index's last window).
 *
 *   node --import tsx bench/eval-cmapss.ts     (several minutes: the cross-validation fits 10 models)
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './lib.js';
import { readRul, readUnits, score } from './lib/cmapss.js';
import { DATASETS } from './lib/datasets.js';

const OUT = join(ROOT, 'bench/out/cmapss');
mkdirSync(OUT, { recursive: true });
const MIN = 60_000;

let runs = 0;
function iiotJson(args: string[]): any {
  runs++;
  return JSON.parse(
    execFileSync(process.execPath, [BIN, ...args, '--json', '--quiet'], { cwd: ROOT, maxBuffer: 1 << 28, encoding: 'utf8' }),
  );
}

const truth = readRul();
const trainFile = join(DATASETS, 'cmapss/train_FD001.txt.gz');
const testFile = join(DATASETS, 'cmapss/test_FD001.txt.gz');

// 1. Fleet models
interface Row {
  name: string;
  cv: string;
  chosen: string;
  rmse: number;
  phm: number;
  mae: number;
  coverage: number;
  seconds: number;
}
const rows: Row[] = [];
for (const [name, extra] of [
  ['gradient-boosted trees (default)', []],
  ['ridge regression (`--model ridge`)', ['--model', 'ridge']],
] as const) {
  const model = join(OUT, `fd001-${extra.length ? 'ridge' : 'gbdt'}.json`);
  const t0 = performance.now();
  const train = iiotJson(['analyze', 'fleet', 'train', trainFile, '--format', 'cmapss', '-o', model, '--force', ...extra]);
  const seconds = (performance.now() - t0) / 1000;
  const pred = iiotJson(['analyze', 'fleet', 'predict', model, testFile]);
  const p = pred.predictions as { unit: string; rul: number; lo: number; hi: number }[];
  if (p.length !== truth.length) throw new Error(`${p.length} predictions for ${truth.length} engines`);
  const s = score(
    p.map((x) => x.rul),
    truth,
  );
  const covered = p.filter((x, i) => x.lo <= truth[i]! && truth[i]! <= x.hi).length;
  const c = train.hyperParameters.chosen;
  rows.push({
    name,
    cv: `${c.rmse.toFixed(2)} (${train.hyperParameters.folds} folds, ${train.hyperParameters.cuts} cuts)`,
    chosen:
      c.ridge !== undefined
        ? `penalty ${c.ridge} of ${train.hyperParameters.candidates.map((x: { ridge: number }) => x.ridge).join(', ')}`
        : `depth ${c.depth}, ${c.trees} trees (of depths ${[...new Set(train.hyperParameters.candidates.map((x: { depth: number }) => x.depth))].join('/')} x ${[...new Set(train.hyperParameters.candidates.map((x: { trees: number }) => x.trees))].join('/')} trees)`,
    ...s,
    coverage: covered,
    seconds,
  });
}

// 2. Without a fleet model: fused health index and first passage, engine by engine
const T0 = Date.UTC(2026, 0, 1);
function writeCapture(file: string, u: { sensors: number[][] }): void {
  const tags = Array.from({ length: u.sensors[0]!.length }, (_, j) => `s${j + 1}`);
  const lines = [
    JSON.stringify({
      type: 'header',
      format: 'iiot-capture',
      version: 1,
      created: new Date(T0).toISOString(),
      tool: 'bench/eval-cmapss.ts',
      tags: tags.map((name) => ({ name })),
    }),
  ];
  u.sensors.forEach((row, c) => {
    const t = new Date(T0 + c * MIN).toISOString();
    row.forEach((v, j) => lines.push(JSON.stringify({ t, tag: tags[j], v })));
  });
  writeFileSync(file, `${lines.join('\n')}\n`);
}
const SENSOR_TAGS = Array.from({ length: 21 }, (_, j) => `s${j + 1}`).join(',');
const trainUnits = readUnits('train_FD001.txt');
const testUnits = readUnits('test_FD001.txt');
let alarmed = 0;
let firstQuarter = 0;
const fractions: number[] = [];
const failLevels: number[] = [];
for (const u of trainUnits) {
  const file = join(OUT, `train-${u.id}.jsonl`);
  writeCapture(file, u);
  const j = iiotJson(['analyze', 'degradation', file, '--fuse', '--tag', SENSOR_TAGS]);
  const hi = j.indicators[0];
  const life = u.sensors.length;
  if (hi.onset) {
    const at = (Date.parse(hi.onset.alarmAt) - T0) / MIN; // cycles
    alarmed++;
    fractions.push(at / life);
    if (at < life / 4) firstQuarter++;
  }
  failLevels.push(hi.points.v[hi.points.v.length - 1]);
}
failLevels.sort((a, b) => a - b);
const level = failLevels[Math.floor(failLevels.length / 2)]!;
const hiPred: number[] = [];
let none = 0;
let hiCovered = 0;
let estimated = 0;
testUnits.forEach((u, i) => {
  const file = join(OUT, `test-${u.id}.jsonl`);
  writeCapture(file, u);
  const j = iiotJson(['analyze', 'degradation', file, '--fuse', '--tag', SENSOR_TAGS, '--threshold', String(level)]);
  const r = j.indicators[0].rul;
  let p = Number.NaN;
  // one cycle is one minute on the capture's time axis
  if (r.status === 'estimated') {
    estimated++;
    p = r.hours * 60;
    if (r.lo * 60 <= truth[i]! && (r.hi === null || truth[i]! <= r.hi * 60)) hiCovered++;
  } else if (r.status === 'above-threshold') p = 0;
  if (!Number.isFinite(p)) {
    none++;
    p = 125; // no estimate: the fleet model's cap, so that the score stays comparable
  }
  hiPred.push(Math.min(p, 300));
});
const hiScore = score(hiPred, truth);

const f = (x: number, d = 2) => x.toFixed(d);
const sorted = fractions.slice().sort((a, b) => a - b);
const q = (p: number) => sorted[Math.floor(p * (sorted.length - 1))]!;
console.log('C-MAPSS FD001: 100 test engines scored against RUL_FD001.txt (uncapped true remaining cycles)\n');
console.log(
  '| method | hyper-parameters chosen by cross-validation on the training engines | CV RMSE against the capped truth | test RMSE | test PHM08 score | test MAE | 80% interval holds the truth | training time |',
);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows)
  console.log(
    `| \`iiot analyze fleet\`, ${r.name} | ${r.chosen} | ${r.cv} | ${f(r.rmse)} | ${f(r.phm, 0)} | ${f(r.mae)} | ${r.coverage} of 100 | ${r.seconds.toFixed(0)} s |`,
  );
console.log(
  `| \`iiot analyze degradation --fuse\`, no fleet model (${none} engines without an estimate counted as 125) | - | - | ${f(hiScore.rmse)} | ${f(hiScore.phm, 0)} | ${f(hiScore.mae)} | ${hiCovered} of ${estimated} with an estimate | - |`,
);
console.log('| published: SVR (Babu et al. 2016) | | | 20.96 | 1382 | | | |');
console.log('| published: CNN (Babu et al. 2016) | | | 18.45 | 1290 | | | |');
console.log('| published: LSTM (Zheng et al. 2017) | | | 16.14 | 338 | | | |');
console.log('');
console.log(
  `Onset of the fused health index on the 100 training engines (run to failure; nothing was tuned on C-MAPSS): ${alarmed} alarm before the end of their run, ${firstQuarter} in the first quarter of their life; the alarm comes at ${f(q(0.1) * 100, 0)}%, ${f(q(0.5) * 100, 0)}% and ${f(q(0.9) * 100, 0)}% of the life (10th, 50th, 90th percentile). Fleet failure level of the index: ${f(level)} (the median of the training engines' last window).`,
);
console.log(
  `\n(${runs} runs of the CLI; model files in bench/out/cmapss/, ${(readFileSync(join(OUT, 'fd001-gbdt.json')).length / 1e6).toFixed(1)} MB for the trees.)`,
);
