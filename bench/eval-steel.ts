/**
 * Evaluation on the steel plant's 2018 energy year (datasets/steel, UCI 851, DAEWOO Steel,
 * Gwangyang): 15-minute interval energy. Every figure of `iiot analyze energy` is checked against an
 * independent computation straight from the CSV, and against the data set's own columns where it
 * has them (power factor, CO2).
 *
 * The traps (data set README): a UTF-8 byte-order mark; `date` marks the END of each 15-minute
 * interval; the 00:00 row carries the date of the day that ends (01/01/2018 00:00 is the last
 * interval of 1 January). Times are local (Asia/Seoul, no daylight saving).
 *
 *   node --import tsx bench/eval-steel.ts
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { zonedTimeToUtc } from '../src/core/time.js';
import { quantile } from '../src/analysis/stats.js';
import { readCsv } from './lib/csv.js';
import { datasetFile } from './lib/datasets.js';
import { BIN } from './lib.js';

const TZ = 'Asia/Seoul';
const csv = readCsv('steel/Steel_industry_data.csv');
const dates = csv.col('date');
const kwh = csv.num('Usage_kWh');
const lag = csv.num('Lagging_Current_Reactive_Power_kVarh');
const co2 = csv.num('CO2(tCO2)');
const pfCol = csv.num('Lagging_Current_Power_Factor');

/** Interval END as epoch ms: "dd/mm/yyyy HH:MM" local; 00:00 belongs to the day written, i.e. it is 24:00 of it. */
function intervalEnd(s: string, fixMidnight: boolean): number {
  const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d)$/.exec(s.trim());
  if (!m) throw new Error(`cannot read date ${s}`);
  const [day, month, year, hour, minute] = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5])];
  const t = zonedTimeToUtc({ year, month, day, hour, minute }, TZ);
  return fixMidnight && hour === 0 && minute === 0 ? t + 86_400_000 : t;
}

const ends = dates.map((d) => intervalEnd(d, true));

// iiot, as a user runs it: import the published CSV (the import is told about the midnight trap
// and the site's zone, and writes interval ends and the zone into the header), then analyze it
// with --json. No --tz, --meter, --kind or --interval-end: the header says what they would.
const LAG = 'Lagging_Current_Reactive_Power_kVarh';
const LEAD = 'Leading_Current_Reactive_Power_kVarh';
const dir = mkdtempSync(join(tmpdir(), 'iiot-eval-steel-'));
const iiot = (...args: string[]) =>
  execFileSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the documented JSON of iiot.analyze.energy/1
let r: any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let mv: any;
const capture = join(dir, 'steel.jsonl.gz');
const importArgs = [
  'capture',
  'import',
  datasetFile('steel/Steel_industry_data.csv'),
  '-o',
  capture,
  '--midnight-ends-day',
  '--tz',
  TZ,
  '--unit',
  'Usage_kWh=kWh',
  '--unit',
  `${LAG}=kvarh`,
  '--unit',
  `${LEAD}=kvarh`,
  '--quiet',
];
const analyzeArgs = [
  'analyze',
  'energy',
  capture,
  '--tariff',
  new URL('../fixtures/analysis/tariff-tou.yaml', import.meta.url).pathname,
  '--shifts',
  'day=08:00-21:00',
  '--workdays',
  'mon-sat',
  '--json',
];
const mvArgs = [
  'analyze',
  'energy',
  capture,
  '--shifts',
  'day=08:00-21:00',
  '--workdays',
  'mon-sat',
  '--baseline-period',
  '2018-01-01..2018-06-30',
  '--report-period',
  '2018-07-01..2018-12-31',
  '--json',
];
try {
  iiot(...importArgs);
  r = JSON.parse(iiot(...analyzeArgs));
  mv = JSON.parse(iiot(...mvArgs));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const at = (iso: string) => Date.parse(iso);
const lead = csv.num('Leading_Current_Reactive_Power_kVarh');
const leadPfCol = csv.num('Leading_Current_Power_Factor');

// Independent: straight from the rows.
const start = (i: number) => ends[i]! - 900_000;
const localMonth = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 7); // KST = UTC+9 all year
const localDay = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 10);
let total = 0;
let q = 0;
let co2t = 0;
const months = new Map<string, number>();
const days = new Map<string, number>();
let peak = 0;
let peakAt = 0;
for (let i = 0; i < kwh.length; i++) {
  total += kwh[i]!;
  q += lag[i]!;
  co2t += co2[i]!;
  months.set(localMonth(start(i)), (months.get(localMonth(start(i))) ?? 0) + kwh[i]!);
  days.set(localDay(start(i)), (days.get(localDay(start(i))) ?? 0) + kwh[i]!);
  if (kwh[i]! * 4 > peak) {
    peak = kwh[i]! * 4;
    peakAt = start(i);
  }
}
// The data set's own power factor columns, energy-weighted.
let pfw = 0;
let pfLeadW = 0;
let qLead = 0;
for (let i = 0; i < kwh.length; i++) {
  pfw += (pfCol[i]! / 100) * kwh[i]!;
  pfLeadW += (leadPfCol[i]! / 100) * kwh[i]!;
  qLead += lead[i]!;
}
// What the midnight trap does when ignored: 00:00 rows read as the start of the date written.
const naiveEnds = dates.map((d) => intervalEnd(d, false));
let misplaced = 0;
let misplacedKwh = 0;
for (let i = 0; i < kwh.length; i++) {
  if (localDay(naiveEnds[i]! - 900_000) !== localDay(start(i))) {
    misplaced++;
    misplacedKwh += kwh[i]!;
  }
}
const ourDays = new Map<string, number>(r.totals.days.map((d: { day: string; kwh: number }) => [d.day, d.kwh]));
let maxDayDiff = 0;
for (const [d, e] of days) maxDayDiff = Math.max(maxDayDiff, Math.abs((ourDays.get(d) ?? 0) - e));
let maxMonthDiff = 0;
for (const m of r.totals.months as { month: string; kwh: number }[])
  maxMonthDiff = Math.max(maxMonthDiff, Math.abs(m.kwh - (months.get(m.month) ?? 0)));

const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const local = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;
const g = mv.baselines.regression;
console.log('Steel plant 2018 (UCI 851), 35 040 intervals of 15 minutes, Asia/Seoul\n');
console.log("| quantity | iiot analyze energy | independent check from the CSV | the data set's own columns |");
console.log('| --- | ---: | ---: | ---: |');
console.log(`| total energy | ${fmt(r.totals.kwh)} kWh | ${fmt(total)} kWh | |`);
console.log(
  `| days / months | ${r.totals.days.length} / ${r.totals.months.length} | ${days.size} / ${months.size} (largest difference: day ${fmt(maxDayDiff, 3)} kWh, month ${fmt(maxMonthDiff, 3)} kWh) | |`,
);
console.log(
  `| peak 15-min demand | ${fmt(r.demand.peak.kw)} kW, interval from ${local(at(r.demand.peak.at))} | ${fmt(peak)} kW, from ${local(peakAt)} | |`,
);
console.log(
  `| average power, load factor | ${fmt(r.demand.averageKw)} kW, ${r.demand.loadFactor.toFixed(3)} | ${fmt(total / 8760)} kW, ${(total / 8760 / peak).toFixed(3)} | |`,
);
console.log(
  `| base load (p05 of 15-min demand) | ${fmt(r.baseLoad.primaryKw, 2)} kW | ${fmt(
    quantile(
      Array.from(kwh, (x) => x * 4),
      0.05,
    ),
    2,
  )} kW | |`,
);
console.log(
  `| power factor, lagging kvarh | ${r.powerFactor.overall.toFixed(4)} | ${(total / Math.hypot(total, q)).toFixed(4)} | ${(pfw / total).toFixed(4)} (energy-weighted mean of Lagging_Current_Power_Factor) |`,
);
console.log(
  `| power factor, leading kvarh | ${r.powerFactor.leading.overall.toFixed(4)} | ${(total / Math.hypot(total, qLead)).toFixed(4)} | ${(pfLeadW / total).toFixed(4)} (energy-weighted mean of Leading_Current_Power_Factor) |`,
);
console.log(
  `| power factor, net (lagging - leading) | ${r.powerFactor.net.toFixed(4)} | ${(total / Math.hypot(total, q - qLead)).toFixed(4)} | |`,
);
console.log(
  `| CO2 | ${fmt(r.co2e.kg / 1000)} t at the tariff's 0.45 kg/kWh | | ${fmt(co2t)} t (CO2(tCO2) column: ${((co2t * 1000) / total).toFixed(3)} kg/kWh) |`,
);
console.log(`| cost (illustrative tariff) | ${fmt(r.cost.total, 0)} EUR | | |`);
console.log('');
console.log(
  `Other estimators of the base load: ${r.baseLoad.estimators.map((e: { name: string; kw: number }) => `${e.name} ${fmt(e.kw)} kW`).join(', ')}.`,
);
console.log(
  `Off-shift (outside 08:00-21:00 Mon-Sat): ${fmt(r.offShift.kwh / 1000)} MWh, ${(r.offShift.share * 100).toFixed(1)}% of the energy, ${fmt(r.offShift.meanKw)} kW on average.`,
);
console.log(
  `Monthly peaks: ${r.totals.months.map((m: { month: string; peakKw: number }) => `${m.month.slice(5)} ${Math.round(m.peakKw)}`).join(', ')} kW.`,
);
console.log(
  `Opportunities: ${r.opportunities.map((o: { rank: number; statement: string; overlaps?: number[] }) => `(${o.rank}) ${o.statement}${o.overlaps ? ` [overlaps ${o.overlaps.join(', ')}]` : ''}`).join('; ')}.`,
);
console.log(
  `The midnight trap: reading 00:00 as the start of the date written puts ${misplaced} intervals (${fmt(misplacedKwh / 1000)} MWh) on the wrong day.`,
);
console.log('');
console.log(
  `Measurement and verification, first half of 2018 as the baseline and the second as the report period (no measure was taken: the savings should be near zero): ` +
    `daily kWh = ${Object.entries(g.coefficients as Record<string, number>)
      .map(([k, v]) => (k === 'intercept' ? fmt(v, 0) : `${fmt(v, 1)} x ${k}`))
      .join(' + ')} on ${g.days} days; ` +
    `considered ${g.considered.map((c: { driver: string; chosen: boolean }) => `${c.driver}${c.chosen ? ' (chosen)' : ''}`).join(', ')}; ` +
    `CV(RMSE) ${pct(g.g14.crossValidated.cvRmse)} out of sample (${g.g14.crossValidated.scheme}, ${g.g14.crossValidated.folds} folds) against ${pct(g.g14.cvRmse)} in sample, NMBE ${pct(g.g14.crossValidated.nmbe)} out of sample, R² ${g.g14.r2.toFixed(2)}: ${g.g14.passes ? 'meets' : 'does not meet'} ASHRAE Guideline 14; ` +
    `report period ${fmt(g.actualKwh, 0)} kWh against ${fmt(g.predictedKwh, 0)} kWh predicted (${pct(g.normalisedSavings)} "savings", ±${fmt(g.savingsUncertaintyKwh, 0)} kWh at 90%).`,
);
console.log('');
console.log('Commands (what produced the iiot column):');
console.log('```');
console.log(
  `iiot ${importArgs
    .map((a) => (a.includes(' ') || a.includes('(') ? `"${a}"` : a))
    .join(' ')
    .replace(/\S*datasets\/steel\//, '')
    .replace(capture, 'steel.jsonl.gz')}`,
);
console.log(
  `iiot ${analyzeArgs
    .join(' ')
    .replace(capture, 'steel.jsonl.gz')
    .replace(/\S*fixtures\//, 'fixtures/')}`,
);
console.log(`iiot ${mvArgs.join(' ').replace(capture, 'steel.jsonl.gz')}`);
console.log('```');
