/**
 * Evaluation on the NASA/IMS bearing run-to-failure tests (datasets/ims; features per 1-second
 * snapshot, every 10 minutes), through the command line as a user runs it: every figure comes from
 * `iiot ... --json` (the built CLI; run `npm run build` first), never from a library call.
 *
 *   iiot capture import test1_raw.csv.gz --layout wide --exclude file_index,filename -o test1.jsonl
 *   iiot analyze degradation test1.jsonl --to <end of the run> --json
 *
 * The data end when the rig was stopped (tests 2 and 3 carry a few snapshots taken after that;
 * `--to` leaves them out, as a user who knows when the rig stopped would).
 *
 * 1. Onset, default command: how long before the failure does each bearing alarm (its earliest
 *    indicator over its channels), and does a healthy bearing alarm first? Every bearing counts as
 *    healthy until 200 h before the failure, so an earlier alarm is false, on any bearing; in the
 *    last 200 h an alarm on a healthy bearing is false when it comes more than 24 h before the end
 *    and before a failing bearing of the same rig alarmed, and "sympathetic" otherwise (the whole
 *    shaft shakes as the neighbour fails). 4 failing bearings, 8 healthy ones, 12 in all.
 * 2. Onset, out of sample: the allowance and decision interval chosen on two tests (no false alarm,
 *    no missed failure, every lead up to the 48-h target, then the most conservative setting) and
 *    scored on the third, all three ways.
 * 3. Remaining life, per case: from the RMS indicator's onset alarm, every 3 h until the hourly RMS
 *    first reaches 1.5x, 2x or 3x its baseline, `--to now --threshold <value>` gives the first-passage
 *    estimate and its 80% interval; coverage and error per case (each case weighs the same, not each
 *    correlated hourly prediction). The interval spread (`--interval-spread`) is chosen on two
 *    tests to hold the truth in 80% of the cases' predictions, and scored on the third.
 *
 *   node --import tsx bench/eval-ims.ts     (several minutes: a few hundred runs of the CLI)
 */

import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, ROOT } from './lib.js';
import { DATASETS } from './lib/datasets.js';
import { loadIms } from './lib/ims.js';

const H = 3_600_000;
const HEALTHY_UNTIL = 200;
const OUT = join(ROOT, 'bench/out/ims');
mkdirSync(OUT, { recursive: true });

/** Published reference: IsolationForest + 3-of-5/4-of-5 rule, lead hours (nasa-bearing-anomaly, results/reports/business_summary.csv). */
const PUBLISHED: Record<string, number> = { T1B3: 79.5, T2B1: 53.7, T3B3: 57.0 };

let runs = 0;
function iiot(args: string[]): string {
  runs++;
  return execFileSync(process.execPath, [BIN, ...args, '--quiet'], { cwd: ROOT, maxBuffer: 1 << 28, encoding: 'utf8' });
}
const iiotJson = (args: string[]) => JSON.parse(iiot([...args, '--json']));

interface Test {
  n: number;
  capture: string;
  failureAt: number;
  failed: number[];
  bearings: number[];
  to: string;
}

const tests: Test[] = [1, 2, 3].map((n) => {
  const truth = loadIms(n);
  const capture = join(OUT, `test${n}.jsonl`);
  iiot([
    'capture',
    'import',
    join(DATASETS, `ims/test${n}_raw.csv.gz`),
    '--layout',
    'wide',
    '--exclude',
    'file_index,filename',
    '-o',
    capture,
    '--force',
  ]);
  return {
    n,
    capture,
    failureAt: truth.failureAt,
    failed: truth.failed,
    bearings: [...new Set(truth.channels.map((c) => c.bearing))],
    to: new Date(truth.failureAt + 1000).toISOString(),
  };
});

// ---------------------------------------------------------------------------------------------
// Onset

interface DegJson {
  indicators: {
    name: string;
    tag: string;
    onset?: { alarmAt: string };
    baseline?: { from: string; to: string; level: number };
    points: { t: string[]; v: number[] };
    rul: { status: string; hours?: number; lo?: number; hi?: number | null };
  }[];
  assets: { name: string; onset?: { alarmAt: string; indicator: string } }[];
}

/** Per bearing: the earliest alarm over its channels (lead hours before the failure) and the indicator that gave it. */
function bearingLeads(t: Test, j: DegJson): Map<number, { lead: number; by: string }> {
  const m = new Map<number, { lead: number; by: string }>();
  for (const a of j.assets) {
    const b = Number(/Bearing(\d)/.exec(a.name)?.[1]);
    if (!a.onset || !Number.isFinite(b)) continue;
    const lead = (t.failureAt - Date.parse(a.onset.alarmAt)) / H;
    if (!m.has(b) || lead > m.get(b)!.lead) m.set(b, { lead, by: a.onset.indicator });
  }
  return m;
}

type Verdict = { kind: 'lead' | 'false' | 'sympathetic' | 'none' | 'missed'; lead?: number; by?: string };

function classify(t: Test, leads: Map<number, { lead: number; by: string }>): Map<number, Verdict> {
  const out = new Map<number, Verdict>();
  const firstFailing = Math.max(-Infinity, ...t.failed.map((f) => leads.get(f)?.lead ?? -Infinity).filter((x) => x <= HEALTHY_UNTIL));
  for (const b of t.bearings) {
    const l = leads.get(b);
    const fails = t.failed.includes(b);
    if (!l) out.set(b, { kind: fails ? 'missed' : 'none' });
    else if (l.lead > HEALTHY_UNTIL) out.set(b, { kind: 'false', ...l });
    else if (fails) out.set(b, { kind: 'lead', ...l });
    else out.set(b, { kind: l.lead > 24 && l.lead > firstFailing ? 'false' : 'sympathetic', ...l });
  }
  return out;
}

const cell = (v: Verdict) =>
  v.kind === 'none' || v.kind === 'missed' ? '-' : v.kind === 'lead' ? v.lead!.toFixed(0) : `${v.lead!.toFixed(0)} (${v.kind})`;

function onsetRun(t: Test, extra: string[]): Map<number, Verdict> {
  return classify(t, bearingLeads(t, iiotJson(['analyze', 'degradation', t.capture, '--to', t.to, ...extra])));
}

interface Tally {
  leads: number[];
  missed: string[];
  falses: string[];
  sympathetic: string[];
}

function tally(results: { t: Test; v: Map<number, Verdict> }[]): Tally {
  const s: Tally = { leads: [], missed: [], falses: [], sympathetic: [] };
  for (const { t, v } of results) {
    for (const [b, x] of v) {
      const key = `T${t.n}B${b}`;
      if (x.kind === 'lead') s.leads.push(x.lead!);
      if (x.kind === 'missed') s.missed.push(key);
      if (x.kind === 'false') s.falses.push(`${key}@${x.lead!.toFixed(0)}h`);
      if (x.kind === 'sympathetic') s.sympathetic.push(key);
    }
  }
  return s;
}

const median = (xs: number[]) => {
  const s = xs.slice().sort((a, b) => a - b);
  return s.length ? (s[Math.floor((s.length - 1) / 2)]! + s[Math.ceil((s.length - 1) / 2)]!) / 2 : Number.NaN;
};

const DETECTORS: Record<string, string[]> = {
  'iiot default (CUSUM; RMS, kurtosis, skewness)': [],
  '`--onset k-of-n`': ['--onset', 'k-of-n'],
  '`--onset 3-sigma` (textbook rule)': ['--onset', '3-sigma'],
};

console.log('#### Onset, default command (hours before the failure; "-" = no alarm)\n');
const onsetResults: Record<string, { t: Test; v: Map<number, Verdict> }[]> = {};
for (const [name, args] of Object.entries(DETECTORS)) onsetResults[name] = tests.map((t) => ({ t, v: onsetRun(t, args) }));
const names = Object.keys(DETECTORS);
console.log(`| bearing | fails | ${names.join(' | ')} | published reference |`);
console.log(`| --- | --- | ${names.map(() => '---:').join(' | ')} | ---: |`);
for (const t of tests) {
  for (const b of t.bearings) {
    const key = `T${t.n}B${b}`;
    const first = onsetResults[names[0]!]!.find((r) => r.t === t)!.v.get(b)!;
    const cells = names.map((n) => cell(onsetResults[n]!.find((r) => r.t === t)!.v.get(b)!));
    if (first.by)
      cells[0] = cells[0]!.endsWith(')')
        ? `${cells[0]!.slice(0, -1)}; ${first.by.replace(/^Bearing\d_/, '')})`
        : `${cells[0]} (${first.by.replace(/^Bearing\d_/, '')})`;
    console.log(`| test ${t.n} bearing ${b} | ${t.failed.includes(b) ? 'yes' : 'no'} | ${cells.join(' | ')} | ${PUBLISHED[key] ?? ''} |`);
  }
}
console.log('');
console.log(
  '| detector | failing bearings alarmed (of 4) | shortest / median lead | false alarms (of 12 bearings) | sympathetic alarms (of 8 healthy bearings) |',
);
console.log('| --- | ---: | ---: | --- | ---: |');
for (const n of names) {
  const s = tally(onsetResults[n]!);
  console.log(
    `| ${n} | ${s.leads.length} | ${s.leads.length ? `${Math.min(...s.leads).toFixed(0)} / ${median(s.leads).toFixed(0)} h` : '-'} | ${s.falses.length}${s.falses.length ? ` (${s.falses.join(', ')})` : ''} | ${s.sympathetic.length} |`,
  );
}

// Out of sample: parameters chosen on two tests, scored on the third.
const ALLOWANCES = ['10%', '15%', '20%', '25%', '30%'];
const DECISIONS = ['0.2', '0.3', '0.45', '0.6'];
const grid = ALLOWANCES.flatMap((a) => DECISIONS.map((d) => ({ allowance: a, decision: d })));
const gridRuns = new Map<string, Map<number, Map<number, Verdict>>>(); // combo -> test -> verdicts
for (const g of grid) {
  const key = `${g.allowance}/${g.decision}`;
  const m = new Map<number, Map<number, Verdict>>();
  for (const t of tests) m.set(t.n, onsetRun(t, ['--allowance', g.allowance, '--decision', g.decision]));
  gridRuns.set(key, m);
}
/** The selection rule, declared before looking: no false alarm, no missed failure, every lead up to the 48-h target, then the most conservative setting (largest allowance, then decision), then fewest sympathetic alarms. */
function objective(s: Tally, failing: number, g: { allowance: string; decision: string }): number[] {
  return [
    -s.falses.length,
    -(failing - s.leads.length),
    Math.min(48, s.leads.length ? Math.min(...s.leads) : 0),
    parseFloat(g.allowance),
    Number(g.decision),
    -s.sympathetic.length,
  ];
}
const better = (a: number[], b: number[]) => {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i]! > b[i]!;
  return false;
};
console.log('\n#### Onset out of sample (allowance and decision chosen on two tests, scored on the third)\n');
console.log(
  `Grid: allowance ${ALLOWANCES.join(', ')} x decision ${DECISIONS.join(', ')} (ln-units x windows); the default is 20% / 0.3.\n`,
);
console.log('| held-out test | chosen on | allowance / decision | held-out bearings (lead h) | false | sympathetic |');
console.log('| --- | --- | --- | --- | ---: | ---: |');
const heldOut: { t: Test; v: Map<number, Verdict> }[] = [];
for (const t of tests) {
  const train = tests.filter((x) => x !== t);
  let best: string | undefined;
  let bestObj: number[] | undefined;
  for (const g of grid) {
    const key = `${g.allowance}/${g.decision}`;
    const s = tally(train.map((x) => ({ t: x, v: gridRuns.get(key)!.get(x.n)! })));
    const o = objective(
      s,
      train.reduce((k, x) => k + x.failed.length, 0),
      g,
    );
    if (!bestObj || better(o, bestObj)) (best = key), (bestObj = o);
  }
  const v = gridRuns.get(best!)!.get(t.n)!;
  heldOut.push({ t, v });
  const s = tally([{ t, v }]);
  console.log(
    `| test ${t.n} | tests ${train.map((x) => x.n).join(' and ')} | ${best!.replace('/', ' / ')} | ${t.bearings.map((b) => `B${b}${t.failed.includes(b) ? '*' : ''} ${cell(v.get(b)!)}`).join(', ')} | ${s.falses.length} | ${s.sympathetic.length} |`,
  );
}
// Where the target can be met at all, test by test: the grid cells in which every failing bearing of
// the test alarms at least 48 h ahead and no bearing alarms falsely (in sample for that test; it
// shows how much room each test leaves, not something a rule could choose on the held-out test).
const meets = (v: Map<number, Verdict>, t: Test) =>
  t.failed.every((b) => v.get(b)!.kind === 'lead' && v.get(b)!.lead! >= 48) && ![...v.values()].some((x) => x.kind === 'false');
const room = tests.map((t) =>
  grid.filter((g) => meets(gridRuns.get(`${g.allowance}/${g.decision}`)!.get(t.n)!, t)).map((g) => `${g.allowance}/${g.decision}`),
);
{
  const s = tally(heldOut);
  console.log(
    `\nOut of sample, all three held-out tests: ${s.leads.length} of 4 failing bearings alarmed (* above), shortest lead ${s.leads.length ? Math.min(...s.leads).toFixed(0) : '-'} h, median ${s.leads.length ? median(s.leads).toFixed(0) : '-'} h; ${s.falses.length} false alarm${s.falses.length === 1 ? '' : 's'}${s.falses.length ? ` (${s.falses.join(', ')})` : ''}; ${s.sympathetic.length} sympathetic.`,
  );
}
console.log(
  '\nWhere the target can be met at all (grid cells in which every failing bearing of the test alarms at least 48 h ahead and none alarms falsely; each test on its own):\n',
);
console.log('| test | cells (of ' + grid.length + ') | allowance / decision |');
console.log('| --- | ---: | --- |');
tests.forEach((t, i) => console.log(`| test ${t.n} | ${room[i]!.length} | ${room[i]!.join(', ') || '-'} |`));
const both = (n: number) =>
  grid.filter((g) => tests.filter((t) => t.n !== n).every((t) => room[tests.indexOf(t)]!.includes(`${g.allowance}/${g.decision}`))).length;
console.log(`\nCells that meet it on both training tests: ${tests.map((t) => `without test ${t.n} ${both(t.n)}`).join(', ')}.`);

// ---------------------------------------------------------------------------------------------
// Remaining life

const STEP_H = 3;
const RATIOS = [1.5, 2, 3];
const SPREADS = [1, 1.5, 2, 2.5, 3, 4];

interface Prediction {
  truth: number;
  hours: number;
  /** at spread 1 */
  lo: number;
  hi: number;
}
interface Case {
  t: Test;
  tag: string;
  ratio: number;
  label: string;
  slice: string;
  threshold: number;
  baseline: string;
  times: number[];
  crossing: number;
  preds: Map<number, Prediction[]>; // spread -> predictions
}

const cases: Case[] = [];
for (const t of tests) {
  const full = iiotJson(['analyze', 'degradation', t.capture, '--to', t.to]) as DegJson;
  for (const ind of full.indicators) {
    const b = Number(/Bearing(\d)/.exec(ind.tag)?.[1]);
    if (!t.failed.includes(b) || !/_rms$/.test(ind.tag) || !ind.onset || !ind.baseline) continue;
    const slice = join(OUT, `test${t.n}-${ind.tag}.jsonl`);
    iiot(['capture', 'slice', t.capture, '--tags', ind.tag, '-o', slice, '--force']);
    const alarm = Date.parse(ind.onset.alarmAt);
    for (const ratio of RATIOS) {
      const threshold = ratio * ind.baseline.level;
      let crossing = Number.NaN;
      for (let i = 0; i < ind.points.t.length; i++) {
        const ti = Date.parse(ind.points.t[i]!);
        if (ti > alarm && ind.points.v[i]! >= threshold) {
          crossing = ti;
          break;
        }
      }
      if (!Number.isFinite(crossing) || crossing - alarm < 6 * H) continue;
      const times: number[] = [];
      for (let now = alarm; now < crossing; now += STEP_H * H) times.push(now);
      cases.push({
        t,
        tag: ind.tag,
        ratio,
        label: `T${t.n} ${ind.tag.replace(/_rms$/, '')} to ${ratio}x`,
        slice,
        threshold,
        baseline: `${ind.baseline.from}..${ind.baseline.to}`,
        times,
        crossing,
        preds: new Map(),
      });
    }
  }
}

/** Predictions of a case with `--interval-spread spread` (0: without the option, the default). */
function predict(c: Case, spread: number): Prediction[] {
  if (c.preds.has(spread)) return c.preds.get(spread)!;
  const out: Prediction[] = [];
  for (const now of c.times) {
    const j = iiotJson([
      'analyze',
      'degradation',
      c.slice,
      '--tag',
      c.tag,
      '--to',
      new Date(now).toISOString(),
      '--baseline',
      c.baseline,
      '--threshold',
      String(c.threshold),
      ...(spread ? ['--interval-spread', String(spread)] : []),
    ]) as DegJson;
    const r = j.indicators[0]!.rul;
    const truth = (c.crossing - now) / H;
    if (r.status === 'estimated') out.push({ truth, hours: r.hours!, lo: r.lo!, hi: r.hi ?? Infinity });
    else if (r.status === 'above-threshold') out.push({ truth, hours: 0, lo: 0, hi: 0 });
    else out.push({ truth, hours: Infinity, lo: Infinity, hi: Infinity }); // no estimate: counts as a miss
  }
  c.preds.set(spread, out);
  return out;
}

/** The same widening the CLI applies (rul.ts), used only to choose the spread on the training tests; every reported figure is a CLI run. */
const widen = (p: Prediction, s: number): Prediction => {
  const w = (q: number) => (Number.isFinite(q) && Number.isFinite(p.hours) && p.hours > 0 && q > 0 ? p.hours * (q / p.hours) ** s : q);
  return { ...p, lo: w(p.lo), hi: w(p.hi) };
};
const covered = (p: Prediction) => p.lo <= p.truth && p.truth <= p.hi;
const caseCoverage = (ps: Prediction[]) => ps.filter(covered).length / ps.length;

const base = new Map(cases.map((c) => [c, predict(c, 1)]));
function chooseSpread(train: Case[]): number {
  let best = SPREADS[0]!;
  let gap = Infinity;
  for (const s of SPREADS) {
    const cov = train.reduce((a, c) => a + caseCoverage(base.get(c)!.map((p) => widen(p, s))), 0) / train.length;
    if (Math.abs(cov - 0.8) < gap - 1e-9) (gap = Math.abs(cov - 0.8)), (best = s);
  }
  return best;
}
const spreadAll = chooseSpread(cases);
const spreadOut = new Map(tests.map((t) => [t.n, chooseSpread(cases.filter((c) => c.t !== t))]));

const ratioText = (ps: Prediction[]) => {
  const r = median(ps.map((p) => p.hours / p.truth));
  return Number.isFinite(r) ? r.toFixed(2) : 'never';
};
console.log('\n#### Remaining life to 1.5x, 2x and 3x the baseline RMS, per case\n');
console.log(
  `One prediction every ${STEP_H} h from the RMS indicator's onset alarm until the hourly RMS first reaches the threshold (\`--to <now> --threshold <value> --baseline <the run's baseline period>\`). "Out of sample": \`--interval-spread\` chosen on the other two tests.\n`,
);
console.log(
  '| case | predictions | median predicted/true | 80% interval holds the truth: spread 1 (the walk alone) | out of sample (spread chosen on the other tests) | default (in sample) |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
const outCov: number[] = [];
const rawCov: number[] = [];
const defCov: number[] = [];
for (const c of cases) {
  const s = spreadOut.get(c.t.n)!;
  const ps1 = predict(c, 1);
  const pss = predict(c, s);
  const psd = predict(c, 0);
  rawCov.push(caseCoverage(ps1));
  outCov.push(caseCoverage(pss));
  defCov.push(caseCoverage(psd));
  console.log(
    `| ${c.label} | ${ps1.length} | ${ratioText(psd)} | ${ps1.filter(covered).length}/${ps1.length} | ${pss.filter(covered).length}/${pss.length} (${s}) | ${psd.filter(covered).length}/${psd.length} |`,
  );
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
console.log(
  `\nMean over the ${cases.length} cases (each case weighs the same): the 80% interval holds the truth ${(mean(rawCov) * 100).toFixed(0)}% of the time with the walk's own spread, ${(mean(outCov) * 100).toFixed(0)}% out of sample (spread chosen on the other two tests: ${tests.map((t) => `test ${t.n} ${spreadOut.get(t.n)}`).join(', ')}), ${(mean(defCov) * 100).toFixed(0)}% with the default (in sample: the spread chosen on all three tests is ${spreadAll}). Cases whose median predicted/true is within 0.5x-2x: ${
    cases.filter((c) => {
      const r = median(predict(c, 0).map((p) => p.hours / p.truth));
      return r >= 0.5 && r <= 2;
    }).length
  } of ${cases.length}; median over all predictions ${ratioText(cases.flatMap((c) => predict(c, 0)))}.`,
);
console.log(`\n(${runs} runs of the CLI.)`);
