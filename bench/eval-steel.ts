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

import { analyzeEnergy } from '../src/analysis/energy.js';
import { MeterAccumulator, toMeterSeries } from '../src/analysis/meter.js';
import { parseTariff } from '../src/analysis/tariff.js';
import { readFileSync } from 'node:fs';
import { zonedTimeToUtc } from '../src/core/time.js';
import { quantile } from '../src/analysis/stats.js';
import { readCsv } from './lib/csv.js';

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

// iiot: the rows as interval energy stamped at the interval end.
const meter = (tag: string, values: Float64Array, quantity: 'active' | 'reactive') => {
  const acc = new MeterAccumulator({ tag, kind: 'interval', quantity, factor: 1, unit: quantity === 'active' ? 'kWh' : 'kvarh' }, { intervalEnd: true, intervalMs: 900_000 });
  // the file is in time order except where the 00:00 rows sit: feed in time order, as a capture would be
  const order = ends.map((_, i) => i).sort((a, b) => ends[a]! - ends[b]!);
  for (const i of order) acc.add(ends[i]!, values[i]!);
  return toMeterSeries(acc);
};
const tariff = parseTariff(readFileSync(new URL('../fixtures/analysis/tariff-tou.yaml', import.meta.url), 'utf8'), 'tariff-tou.yaml');
const shifts = [{ name: 'day', window: { from: 8 * 60, to: 21 * 60 } }];
const r = analyzeEnergy(
  { main: meter('Usage_kWh', kwh, 'active'), reactive: meter('Lagging_Current_Reactive_Power_kVarh', lag, 'reactive') },
  { tz: TZ, tariff, shifts, workdays: [1, 2, 3, 4, 5, 6] },
);

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
// The data set's own power factor column, energy-weighted.
let pfw = 0;
for (let i = 0; i < kwh.length; i++) pfw += (pfCol[i]! / 100) * kwh[i]!;
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
const ourDays = new Map(r.totals.days.map((d) => [d.day, d.kwh]));
let maxDayDiff = 0;
for (const [d, e] of days) maxDayDiff = Math.max(maxDayDiff, Math.abs((ourDays.get(d) ?? 0) - e));
let maxMonthDiff = 0;
for (const m of r.totals.months) maxMonthDiff = Math.max(maxMonthDiff, Math.abs(m.kwh - (months.get(m.month) ?? 0)));

const fmt = (x: number, d = 1) => x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
const local = (ms: number) => new Date(ms + 9 * 3_600_000).toISOString().slice(0, 16).replace('T', ' ');
console.log('Steel plant 2018 (UCI 851), 35 040 intervals of 15 minutes, Asia/Seoul\n');
console.log('| quantity | iiot analyze energy | independent check from the CSV | the data set\'s own columns |');
console.log('| --- | ---: | ---: | ---: |');
console.log(`| total energy | ${fmt(r.totals.kwh)} kWh | ${fmt(total)} kWh | |`);
console.log(`| days / months | ${r.totals.days.length} / ${r.totals.months.length} | ${days.size} / ${months.size} (largest difference: day ${fmt(maxDayDiff, 3)} kWh, month ${fmt(maxMonthDiff, 3)} kWh) | |`);
console.log(`| peak 15-min demand | ${fmt(r.demand.peak!.kw)} kW, interval from ${local(r.demand.peak!.at)} | ${fmt(peak)} kW, from ${local(peakAt)} | |`);
console.log(`| average power, load factor | ${fmt(r.demand.averageKw)} kW, ${r.demand.loadFactor!.toFixed(3)} | ${fmt(total / 8760)} kW, ${(total / 8760 / peak).toFixed(3)} | |`);
console.log(`| base load (p05 of 15-min demand) | ${fmt(r.baseLoad.primaryKw, 2)} kW | ${fmt(quantile(Array.from(kwh, (x) => x * 4), 0.05), 2)} kW | |`);
console.log(`| power factor (lagging kvarh) | ${r.powerFactor!.overall.toFixed(4)} | ${(total / Math.hypot(total, q)).toFixed(4)} | ${(pfw / total).toFixed(4)} (energy-weighted mean of Lagging_Current_Power_Factor) |`);
console.log(`| CO2 | ${fmt(r.co2e!.kg / 1000)} t at the tariff's 0.45 kg/kWh | | ${fmt(co2t)} t (CO2(tCO2) column: ${(co2t * 1000 / total).toFixed(3)} kg/kWh) |`);
console.log(`| cost (illustrative tariff) | ${fmt(r.cost!.total, 0)} EUR | | |`);
console.log('');
console.log(`Other estimators of the base load: ${r.baseLoad.estimators.map((e) => `${e.name} ${fmt(e.kw)} kW`).join(', ')}.`);
console.log(`Off-shift (outside 08:00-21:00 Mon-Sat): ${fmt(r.offShift!.kwh / 1000)} MWh, ${(r.offShift!.share * 100).toFixed(1)}% of the energy, ${fmt(r.offShift!.meanKw)} kW on average.`);
console.log(`Monthly peaks: ${r.totals.months.map((m) => `${m.month.slice(5)} ${Math.round(m.peakKw!)}`).join(', ')} kW.`);
console.log(`Opportunities: ${r.opportunities.map((o) => `(${o.rank}) ${o.statement}`).join('; ')}.`);
console.log(`The midnight trap: reading 00:00 as the start of the date written puts ${misplaced} intervals (${fmt(misplacedKwh / 1000)} MWh) on the wrong day.`);
