/**
 * The analyses on small slices of the real data sets (fixtures/analysis/README.md), each with the
 * trap its data set is known for.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeIndicator } from '../../src/analysis/degradation.js';
import { analyzeEnergy } from '../../src/analysis/energy.js';
import { fitFleetRul, predictFleetRul, type FleetUnit } from '../../src/analysis/fleet-rul.js';
import { fuseHealthIndex, spearman } from '../../src/analysis/health-index.js';
import { MeterAccumulator, toMeterSeries } from '../../src/analysis/meter.js';
import { zonedTimeToUtc } from '../../src/core/time.js';

const H = 3_600_000;

describe('steel plant, 1-7 January 2018 (interval energy stamped at the interval end; 00:00 carries the previous date)', () => {
  const text = readFileSync('fixtures/analysis/steel-2018-01-01-to-07.csv', 'utf8');
  const lines = text
    .replace(/^\uFEFF/, '')
    .trim()
    .split(/\r?\n/)
    .slice(1);
  const rows = lines.map((l) => {
    const [date, kwh] = l.split(',');
    const m = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d)$/.exec(date!)!;
    const [d, mo, y, h, mi] = [1, 2, 3, 4, 5].map((k) => Number(m[k]));
    let end = zonedTimeToUtc({ year: y!, month: mo!, day: d!, hour: h!, minute: mi! }, 'Asia/Seoul');
    if (h === 0 && mi === 0) end += 86_400_000; // 00:00 is 24:00 of the date written
    return { end, kwh: Number(kwh) };
  });

  it('starts with a byte-order mark (the trap is real)', () => {
    expect(text.charCodeAt(0)).toBe(0xfeff);
  });

  it('daily totals are the 96 intervals of each local day, peak is four times the largest interval', () => {
    const acc = new MeterAccumulator(
      { tag: 'Usage_kWh', kind: 'interval', quantity: 'active', factor: 1, unit: 'kWh' },
      { intervalEnd: true, intervalMs: 900_000 },
    );
    for (const r of rows.slice().sort((a, b) => a.end - b.end)) acc.add(r.end, r.kwh);
    const res = analyzeEnergy({ main: toMeterSeries(acc) }, { tz: 'Asia/Seoul' });
    expect(res.totals.days.map((d) => d.day)).toEqual([
      '2018-01-01',
      '2018-01-02',
      '2018-01-03',
      '2018-01-04',
      '2018-01-05',
      '2018-01-06',
      '2018-01-07',
    ]);
    // 1 January: the rows from "01/01/2018 00:15" to "01/01/2018 00:00" (the 96th, which ends the day)
    const jan1 = lines.slice(0, 96).reduce((s, l) => s + Number(l.split(',')[1]), 0);
    expect(res.totals.days[0]!.kwh).toBeCloseTo(jan1, 6);
    expect(res.totals.kwh).toBeCloseTo(
      rows.reduce((s, r) => s + r.kwh, 0),
      6,
    );
    const max = Math.max(...rows.map((r) => r.kwh));
    expect(res.demand.peak!.kw).toBeCloseTo(4 * max, 6);
    const at = rows.find((r) => r.kwh === max)!.end - 900_000;
    expect(res.demand.peak!.at).toBe(at);
    expect(res.meter.coverage).toBeCloseTo(1, 9);
  });
});

describe('NASA/IMS test 2 (bearing 1 fails; bearing 3 healthy; two snapshots after the rig stopped)', () => {
  const lines = readFileSync('fixtures/analysis/ims-test2-b1-b3.csv', 'utf8').trim().split('\n').slice(1);
  const t = lines.map((l) => Date.parse(`${l.split(',')[0]!.replace(' ', 'T')}Z`));
  const col = (k: number) => lines.map((l) => Number(l.split(',')[k]));
  // the post-shutdown tail: the last rows read near zero on every channel
  const live = t.findIndex((_, i) => col(1)[i]! < 0.02 && col(3)[i]! < 0.02);
  const end = live < 0 ? t.length : live;
  const failure = t[end - 1]!;
  const series = (k: number) => ({ t: Float64Array.from(t.slice(0, end)), v: Float64Array.from(col(k).slice(0, end)) });

  it('drops exactly the two post-shutdown snapshots', () => {
    expect(t.length - end).toBe(2);
  });

  it('finds the onset of bearing 1 two to three days before the failure, and none on bearing 3 before its last day', () => {
    const b1 = analyzeIndicator({ name: 'B1 rms', tag: 'b1', unit: 'g', quantity: 'rms', series: series(1) }, { windowMs: H });
    expect(b1.onset).toBeDefined();
    const lead = (failure - b1.onset!.alarmAt) / H;
    expect(lead).toBeGreaterThan(40);
    expect(lead).toBeLessThan(80);
    const b3 = analyzeIndicator({ name: 'B3 rms', tag: 'b3', unit: 'g', quantity: 'rms', series: series(3) }, { windowMs: H });
    // the healthy bearing may shake with its failing neighbour at the very end, never before
    const b3lead = b3.onset ? (failure - b3.onset.alarmAt) / H : 0;
    expect(b3lead).toBeLessThan(24);
  });

  it('gives a finite remaining life with an interval to 3x the baseline 24 h before the failure', () => {
    const cut = t.slice(0, end).findIndex((x) => x > failure - 24 * H);
    const s = { t: Float64Array.from(t.slice(0, cut)), v: Float64Array.from(col(1).slice(0, cut)) };
    const r = analyzeIndicator(
      { name: 'B1 rms', tag: 'b1', unit: 'g', quantity: 'rms', series: s },
      { windowMs: H, threshold: { kind: 'baseline', factor: 3 } },
    );
    expect(r.rul.status).toBe('estimated');
    expect(r.rul.lo!).toBeLessThan(r.rul.hours!);
    expect(r.statement).toMatch(/\(3 x baseline\) in about/);
  });
});

describe('C-MAPSS FD001 training engines 1-4', () => {
  const units = new Map<number, FleetUnit>();
  for (const line of readFileSync('fixtures/analysis/cmapss-fd001-train-units1-4.txt', 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 26) continue;
    let u = units.get(f[0]!);
    if (!u) units.set(f[0]!, (u = { id: f[0]!, settings: [], sensors: [] }));
    u.settings.push(f.slice(2, 5));
    u.sensors.push(f.slice(5, 26));
  }
  const all = [...units.values()];
  const SENSORS = [1, 2, 3, 6, 7, 8, 10, 11, 12, 13, 14, 16, 19, 20];

  it('the fused health index is more monotonic than the typical single sensor', () => {
    for (const u of all) {
      const t = Float64Array.from(u.sensors, (_, c) => (c + 0.5) * H);
      const inputs = SENSORS.map((j) => ({
        name: `s${j + 1}`,
        tag: `s${j + 1}`,
        quantity: 'value' as const,
        series: { t, v: Float64Array.from(u.sensors, (r) => r[j]!) },
      }));
      const f = fuseHealthIndex(inputs, { windowMs: H })!;
      const fused = Math.abs(spearman(f.input.series.t, f.input.series.v));
      const singles = inputs.map((i) => Math.abs(spearman(t, i.series.v))).sort((a, b) => a - b);
      expect(fused).toBeGreaterThan(singles[Math.floor(singles.length / 2)]!);
      expect(fused).toBeGreaterThan(0.8);
    }
  });

  it('a fleet model trained on three engines tells early life from late life on the fourth', () => {
    const model = fitFleetRul(all.slice(0, 3), { model: 'ridge', ridge: 10 });
    const u = all[3]!;
    const life = u.sensors.length;
    const cut = (n: number): FleetUnit => ({ id: u.id, settings: u.settings.slice(0, n), sensors: u.sensors.slice(0, n) });
    const early = predictFleetRul(model, cut(40));
    const late = predictFleetRul(model, cut(life - 10));
    expect(early).toBeGreaterThan(late + 40);
    expect(late).toBeLessThan(60);
  });
});
