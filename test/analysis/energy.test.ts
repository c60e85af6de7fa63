import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyzeEnergy, g14Verdict } from '../../src/analysis/energy.js';
import { MeterAccumulator, toMeterSeries, type MeterSpec } from '../../src/analysis/meter.js';
import { parseTariff } from '../../src/analysis/tariff-file.js';
import { zonedTimeToUtc } from '../../src/core/time.js';

const MIN = 60_000;
const H = 3_600_000;

function meter(spec: Partial<MeterSpec> & { tag?: string }, samples: [number, unknown][], opts = {}) {
  const acc = new MeterAccumulator({ tag: 'm', kind: 'power', quantity: 'active', factor: 1, ...spec }, opts);
  for (const [t, v] of samples) acc.add(t, v);
  return toMeterSeries(acc);
}
const sum = (a: Float64Array) => a.reduce((x, y) => x + y, 0);
const T0 = Date.UTC(2026, 0, 5); // a Monday

describe('meters', () => {
  it('integrates power exactly (trapezoid), split at minute edges', () => {
    const pts: [number, number][] = [];
    for (let s = 0; s <= 3600; s += 7) pts.push([T0 + s * 1000, 60]);
    const m = meter({}, pts);
    expect(sum(m.value)).toBeCloseTo((60 * Math.floor(3600 / 7) * 7) / 3600, 9);
    const ramp = meter({}, [
      [T0, 0],
      [T0 + 90_000, 90],
    ]);
    expect(sum(ramp.value)).toBeCloseTo((0.5 * 90 * 90) / 3600, 9);
    expect(ramp.value[0]).toBeCloseTo((0.5 * 60 * 60) / 3600, 9); // the first minute holds the ramp 0..60 kW
  });

  it('never integrates across a gap longer than the limit, and says so', () => {
    const pts: [number, number][] = [];
    for (let s = 0; s < 3600; s += 10) pts.push([T0 + s * 1000, 100]);
    for (let s = 7200; s <= 10800; s += 10) pts.push([T0 + s * 1000, 100]);
    const m = meter({}, pts);
    expect(sum(m.value)).toBeCloseTo((100 * (3590 + 3600)) / 3600, 6);
    expect(m.counts.gap).toBe(1);
    expect(m.gapMs).toBe(3610_000);
  });

  it('counters: rollover at the register modulus, a reset, a glitch', () => {
    const pts: [number, number][] = [];
    let v = 65_000;
    for (let i = 0; i < 100; i++) {
      pts.push([T0 + i * MIN, v % 65_536]);
      v += 10;
    }
    const m = meter({ kind: 'counter', modulus: 65_536 }, pts);
    expect(sum(m.value)).toBeCloseTo(990, 9);
    expect(m.counts.rollover).toBe(1);

    const reset = meter({ kind: 'counter' }, [
      ...Array.from({ length: 70 }, (_, i): [number, number] => [T0 + i * MIN, 5000 + 10 * i]),
      ...Array.from({ length: 30 }, (_, i): [number, number] => [T0 + (70 + i) * MIN, 3 + 10 * i]),
    ]);
    expect(reset.counts.reset).toBe(1);
    expect(sum(reset.value)).toBeCloseTo(690 + 290, 9); // the minute of the reset counts as 0

    const glitch = meter(
      { kind: 'counter' },
      Array.from({ length: 100 }, (_, i): [number, number] => [T0 + i * MIN, i === 50 ? 0 : 1000 + 5 * i]),
    );
    expect(glitch.counts.glitch).toBe(1);
    expect(glitch.counts.reset).toBe(0);
    expect(sum(glitch.value)).toBeCloseTo(495, 9);
  });

  it('auto decides counter or interval energy from the readings', () => {
    const counter = meter(
      { kind: 'auto' },
      Array.from({ length: 100 }, (_, i): [number, number] => [T0 + i * 900_000, 123_456 + 20 * i]),
    );
    expect(counter.kind).toBe('counter');
    const interval = meter(
      { kind: 'auto' },
      Array.from({ length: 100 }, (_, i): [number, number] => [T0 + i * 900_000, 20 + (i % 7)]),
    );
    expect(interval.kind).toBe('interval');
  });

  it('interval energy stamped at the end covers the interval before the stamp', () => {
    const end = meter(
      { kind: 'interval' },
      [
        [T0 + 900_000, 15],
        [T0 + 1_800_000, 30],
      ],
      { intervalEnd: true, intervalMs: 900_000 },
    );
    expect(end.origin).toBe(T0);
    const start = meter(
      { kind: 'interval' },
      [
        [T0 + 900_000, 15],
        [T0 + 1_800_000, 30],
      ],
      { intervalMs: 900_000 },
    );
    expect(start.origin).toBe(T0 + 900_000);
    expect(sum(end.value)).toBe(45);
  });

  it('skips non-numeric, bad-quality, late and duplicate readings and counts each', () => {
    const acc = new MeterAccumulator({ tag: 'm', kind: 'power', quantity: 'active', factor: 1 });
    acc.add(T0, 10);
    acc.add(T0 + 1000, 'Bad');
    acc.add(T0 + 2000, 10, 'BadCommunicationError');
    for (let i = 1; i < 80; i++) acc.add(T0 + i * 10_000, 10);
    acc.add(T0 + 5_000, 10);
    acc.add(T0 + 790_000, 10);
    const m = toMeterSeries(acc);
    expect(m.counts['non-numeric']).toBe(1);
    expect(m.counts['bad-quality']).toBe(1);
    expect(m.counts.late).toBe(1);
    expect(m.counts.duplicate).toBe(1);
  });
});

describe('energy analysis', () => {
  it('local days are 23 and 25 hours long on the daylight-saving days (Europe/Madrid)', () => {
    const from = zonedTimeToUtc({ year: 2026, month: 3, day: 28 }, 'Europe/Madrid');
    const to = zonedTimeToUtc({ year: 2026, month: 10, day: 27 }, 'Europe/Madrid');
    const pts: [number, number][] = [];
    for (let t = from; t <= to; t += 5 * MIN) pts.push([t, 10]);
    const r = analyzeEnergy({ main: meter({}, pts) }, { tz: 'Europe/Madrid' });
    const day = (d: string) => r.totals.days.find((x) => x.day === d)!.kwh;
    expect(day('2026-03-28')).toBeCloseTo(240, 6);
    expect(day('2026-03-29')).toBeCloseTo(230, 6);
    expect(day('2026-10-25')).toBeCloseTo(250, 6);
    // the profile at 02:00 on Sunday exists in autumn and not in spring: averaged, still 10 kW
    expect(r.profile.kw[6]![2]).toBeCloseTo(10, 6);
  });

  it('block demand is clock-aligned; rolling demand finds a peak that straddles two blocks', () => {
    const pts: [number, number][] = [];
    for (let s = 0; s <= 2 * 3600; s += 60) {
      const t = T0 + s * 1000;
      // 200 kW from 00:10 to 00:25, 100 kW otherwise
      pts.push([t, s >= 600 && s < 1500 ? 200 : 100]);
    }
    const block = analyzeEnergy({ main: meter({}, pts) }, { demandMethod: 'block' });
    const rolling = analyzeEnergy({ main: meter({}, pts) }, { demandMethod: 'rolling' });
    expect(rolling.demand.peak!.kw).toBeGreaterThan(block.demand.peak!.kw + 20);
    expect(rolling.demand.peak!.kw).toBeGreaterThan(195); // the samples are a minute apart: the edges are ramps
    expect(block.demand.peak!.at % (15 * MIN)).toBe(0);
  });

  it('prices energy by time of use, bills the month peak, charges excess kvarh', () => {
    const tariff = parseTariff(readFileSync('fixtures/analysis/tariff-tou.yaml', 'utf8'), 'tariff-tou.yaml');
    const pts: [number, number][] = [];
    const q: [number, number][] = [];
    // Monday 2026-01-05, UTC: constant 100 kW for 24 h, 50 kvar
    for (let s = 0; s <= 86_400; s += 60) {
      pts.push([T0 + s * 1000, 100]);
      q.push([T0 + s * 1000, 50]);
    }
    const r = analyzeEnergy({ main: meter({}, pts), reactive: meter({ tag: 'q', quantity: 'reactive' }, q) }, { tz: 'UTC', tariff });
    // peak 9 h (08-12, 13-18) x 100 kWh x 0.21; shoulder 07-08, 12-13, 18-22 = 6 h x 0.15; off-peak 9 h x 0.09
    const energy = 900 * 0.21 + 600 * 0.15 + 900 * 0.09;
    expect(r.cost!.energy).toBeCloseTo(energy, 6);
    expect(r.cost!.demand).toBeCloseTo(100 * 9.5, 6);
    expect(r.cost!.fixed).toBe(120);
    expect(r.cost!.reactive).toBeCloseTo((1200 - 0.33 * 2400) * 0.02, 6);
    expect(r.powerFactor!.overall).toBeCloseTo(100 / Math.hypot(100, 50), 9);
    expect(r.co2e!.kg).toBeCloseTo(2400 * 0.45, 6);
  });

  it('a tariff that bills rolling demand bills the rolling peak the report shows', () => {
    const tariff = parseTariff('energy:\n  - name: all\n    price: 0.1\ndemand:\n  price: 10\n  method: rolling\n', 't.yaml');
    const pts: [number, number][] = [];
    // 500 kW for 15 minutes from 10:07, straddling the 10:00 and 10:15 blocks; 100 kW otherwise
    for (let m = 0; m <= 1440; m++) pts.push([T0 + m * MIN, m >= 607 && m < 622 ? 500 : 100]);
    const r = analyzeEnergy({ main: meter({}, pts) }, { tariff, demandIntervalMs: 15 * MIN });
    expect(r.demand.method).toBe('rolling');
    expect(r.cost!.monthly[0]!.billedPeakKw).toBeCloseTo(r.demand.peak!.kw, 9);
    expect(r.cost!.demand).toBeCloseTo(r.demand.peak!.kw * 10, 6);
  });

  it("the demand interval defaults to the tariff's", () => {
    const tariff = parseTariff('energy:\n  - name: all\n    price: 0.1\ndemand:\n  price: 10\n  interval: 30m\n', 't.yaml');
    const pts: [number, number][] = [];
    // 400 kW from 10:00 to 10:15, 100 kW otherwise: the 30-minute demand from 10:00 is
    // (400 x 15 + 250 x 1 (the ramp to the next sample) + 100 x 14) / 30 = 255 kW; 15-minute blocks would say 400
    for (let m = 0; m <= 1440; m++) pts.push([T0 + m * MIN, m >= 600 && m <= 615 ? 400 : 100]);
    const r = analyzeEnergy({ main: meter({}, pts) }, { tariff });
    expect(r.demand.intervalMinutes).toBe(30);
    expect(r.demand.peak!.kw).toBeCloseTo(255, 6);
    expect(r.cost!.demand).toBeCloseTo(r.demand.peak!.kw * 10, 6);
    expect(r.notes.join('\n')).not.toMatch(/the tariff bills/);
  });

  it('a tariff with a hole is refused with the day and time that has no price', () => {
    const tariff = parseTariff('energy:\n  - name: day\n    price: 0.2\n    hours: "08:00-20:00"\n', 't.yaml');
    const pts: [number, number][] = [];
    for (let s = 0; s <= 86_400; s += 600) pts.push([T0 + s * 1000, 10]);
    expect(() => analyzeEnergy({ main: meter({}, pts) }, { tariff })).toThrow(/no energy price for Mondays at 00:00/);
  });

  it('idle energy from a producing flag, a sub-meter drawing while idle, ranked opportunities', () => {
    const pts: [number, number][] = [];
    const flag: [number, boolean][] = [];
    const sub: [number, number][] = [];
    for (let m = 0; m <= 14 * 1440; m++) {
      const t = T0 + m * MIN;
      const hour = (m / 60) % 24;
      const producing = hour >= 6 && hour < 22 && Math.floor(m / 1440) % 7 < 5;
      // idle: 40 kW, but only 20 kW from 02:00 to 05:00; producing: 100 kW
      pts.push([t, producing ? 100 : hour >= 2 && hour < 5 ? 20 : 40]);
      flag.push([t, producing]);
      sub.push([t, producing ? 30 : 15]);
    }
    const r = analyzeEnergy(
      {
        main: meter({}, pts),
        producing: meter({ tag: 'p', kind: 'state', quantity: 'producing' }, flag),
        subs: [meter({ tag: 'compressor' }, sub)],
      },
      { tz: 'UTC' },
    );
    expect(r.idle!.source).toBe('producing-tag');
    expect(r.idle!.meanKw).toBeGreaterThan(30);
    expect(r.idle!.meanKw).toBeLessThan(40);
    expect(r.subMeters![0]!.idleMeanKw).toBeCloseTo(15, 1);
    const base = r.opportunities.find((o) => o.kind === 'idle-base-load')!;
    expect(base.statement).toMatch(/bringing it to 20\.0 kW/);
    expect(r.opportunities.map((o) => o.rank)).toEqual(r.opportunities.map((_, i) => i + 1));
  });

  it('two periods and a regression baseline against production, judged by ASHRAE Guideline 14', () => {
    const pts: [number, number][] = [];
    const units: [number, number][] = [];
    let count = 0;
    for (let d = 0; d < 56; d++) {
      const perDay = 1000 + ((d * 37) % 11) * 100; // varying production
      const fixedKw = d < 28 ? 50 : 40; // the report period saves 10 kW of fixed load
      const kwh = fixedKw * 24 + 0.5 * perDay;
      for (let m = 0; m < 1440; m += 10) {
        const t = T0 + (d * 1440 + m) * MIN;
        pts.push([t, kwh / 24]);
        units.push([t, count]);
        count += perDay / 144;
      }
    }
    const r = analyzeEnergy(
      { main: meter({}, pts), production: meter({ tag: 'pcs', kind: 'counter', quantity: 'production' }, units) },
      { tz: 'UTC', periods: { baseline: [T0, T0 + 28 * 24 * H], report: [T0 + 28 * 24 * H, T0 + 55 * 24 * H] } },
    );
    const g = r.baselines!.regression!;
    expect(g.coefficients.units).toBeCloseTo(0.5, 2);
    expect(g.g14.passes).toBe(true);
    expect(g.savingsKwh / g.reportDays).toBeCloseTo(240, -1);
    expect(r.baselines!.change.kwhPerDay).toBeLessThan(0);
  });

  it('coverage is measured against the calendar: a day, week or month measured for one hour is not 100% measured', () => {
    const start = T0 + 23 * H; // Monday 23:00
    const pts: [number, number][] = [];
    for (let t = start; t <= T0 + 3 * 24 * H; t += MIN) pts.push([t, 100]);
    const r = analyzeEnergy({ main: meter({}, pts) }, { tz: 'UTC' });
    expect(r.totals.days.map((d) => d.day)).toEqual(['2026-01-05', '2026-01-06', '2026-01-07']);
    expect(r.totals.days[0]!.coverage).toBeCloseTo(1 / 24, 6);
    expect(r.totals.days[1]!.coverage).toBeCloseTo(1, 6);
    expect(r.totals.weeks[0]!.coverage).toBeCloseTo(49 / (7 * 24), 6);
    expect(r.totals.months[0]!.coverage).toBeCloseTo(49 / (31 * 24), 6);
  });

  it('a one-hour first day does not enter the baseline (it used to flip the ASHRAE G14 verdict)', () => {
    const pts: [number, number][] = [];
    const start = T0 - H; // Sunday 23:00: one hour of the first day
    for (let t = start; t < T0 + 56 * 24 * H; t += 5 * MIN) {
      const day = Math.floor((t - T0) / (24 * H));
      pts.push([t, 100 + ((day * 7) % 5)]);
    }
    // the baseline period is given as whole days, from Sunday 00:00: the capture holds one hour of that Sunday
    const r = analyzeEnergy(
      { main: meter({}, pts) },
      { tz: 'UTC', periods: { baseline: [T0 - 24 * H, T0 + 28 * 24 * H], report: [T0 + 28 * 24 * H, T0 + 56 * 24 * H] } },
    );
    const b = r.baselines!;
    expect(b.periods[0]!.days).toBe(28);
    expect(r.notes.join('\n')).toMatch(/baseline period: 1 day measured less than 90% of the calendar day left out/);
    expect(b.regression!.g14.passes).toBe(true);
    expect(b.regression!.days).toBe(28);
  });

  it('baseline drivers beyond production: day type and heating degree days, chosen and judged out of sample', () => {
    const pts: [number, number][] = [];
    const temp: [number, number][] = [];
    let seed = 7;
    const noise = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31 - 0.5;
    };
    const tempOf = (d: number) => 8 + 7 * Math.sin(d / 4);
    for (let d = 0; d < 70; d++) {
      const wd = d % 7 < 5; // T0 is a Monday
      const hdd = Math.max(0, 15.5 - tempOf(d));
      const saving = d >= 42 ? 150 : 0;
      const kwh = 1000 + (wd ? 600 : 0) + 40 * hdd - saving + 40 * noise();
      for (let m = 0; m < 1440; m += 10) pts.push([T0 + (d * 1440 + m) * MIN, kwh / 24]);
      for (let h = 0; h < 24; h++) temp.push([T0 + (d * 24 + h) * H + 30 * MIN, tempOf(d)]);
    }
    pts.push([T0 + 70 * 24 * H, pts[pts.length - 1]![1]]);
    const r = analyzeEnergy(
      { main: meter({}, pts), temperature: meter({ tag: 'outdoor.temp', kind: 'level', quantity: 'temperature' }, temp) },
      { tz: 'UTC', periods: { baseline: [T0, T0 + 42 * 24 * H], report: [T0 + 42 * 24 * H, T0 + 70 * 24 * H] } },
    );
    const day3 = r.totals.days[3]!;
    expect(day3.temperatureC).toBeCloseTo(tempOf(3), 1);
    expect(day3.hdd).toBeCloseTo(15.5 - tempOf(3), 1);
    const g = r.baselines!.regression!;
    expect(g.drivers.slice().sort()).toEqual(['hdd', 'workday']);
    expect(Math.abs(g.coefficients.workday! - 600)).toBeLessThan(30);
    expect(Math.abs(g.coefficients.hdd! - 40)).toBeLessThan(4);
    // the cooling degree days never rise above zero here: offered, and said why they were left out
    expect(g.considered.find((c) => c.driver === 'cdd')!.chosen).toBe(false);
    // in sample, least squares with an intercept has no bias by construction; out of sample it is measured
    expect(Math.abs(g.g14.nmbe)).toBeLessThan(1e-9);
    expect(g.g14.crossValidated.scheme).toBe('leave-one-week-out');
    expect(g.g14.crossValidated.folds).toBe(6);
    expect(g.g14.crossValidated.cvRmse).toBeGreaterThan(g.g14.cvRmse * 0.8);
    expect(g.g14.passes).toBe(true);
    expect(g.savingsKwh / g.reportDays).toBeCloseTo(150, -1);
    expect(Math.abs(g.savingsKwh - 150 * g.reportDays)).toBeLessThan(g.savingsUncertaintyKwh!);
  });

  it('a driver that only fits noise is not chosen', () => {
    const pts: [number, number][] = [];
    const units: [number, number][] = [];
    let seed = 3;
    const rnd = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let count = 0;
    for (let d = 0; d < 42; d++) {
      const kwh = 2000 + 300 * (rnd() - 0.5); // energy does not depend on what is produced
      const perDay = 500 + 400 * rnd();
      for (let m = 0; m < 1440; m += 10) {
        pts.push([T0 + (d * 1440 + m) * MIN, kwh / 24]);
        units.push([T0 + (d * 1440 + m) * MIN, count]);
        count += perDay / 144;
      }
    }
    const r = analyzeEnergy(
      { main: meter({}, pts), production: meter({ tag: 'pcs', kind: 'counter', quantity: 'production' }, units) },
      {
        tz: 'UTC',
        workdays: [0, 1, 2, 3, 4, 5, 6],
        periods: { baseline: [T0, T0 + 28 * 24 * H], report: [T0 + 28 * 24 * H, T0 + 41 * 24 * H] },
      },
    );
    const g = r.baselines!.regression!;
    expect(g.drivers).toEqual([]);
    expect(g.considered.find((c) => c.driver === 'units')!.why).toMatch(/does not lower the cross-validated CV\(RMSE\)/);
    expect(g.considered.find((c) => c.driver === 'workday')!.why).toMatch(/the same on every baseline day/);
  });

  it('power factor from lagging and leading reactive energy metered apart', () => {
    const p: [number, number][] = [];
    const lag: [number, number][] = [];
    const lead: [number, number][] = [];
    // 100 kW all day; 06-22 h lagging 60 kvar, at night leading 30 kvar (capacitors left on)
    for (let m = 0; m <= 1440; m++) {
      const t = T0 + m * MIN;
      const night = m < 360 || m >= 1320;
      p.push([t, 100]);
      lag.push([t, night ? 0 : 60]);
      lead.push([t, night ? 30 : 0]);
    }
    const r = analyzeEnergy(
      {
        main: meter({}, p),
        reactive: meter({ tag: 'q.lagging', quantity: 'reactive' }, lag),
        reactiveLeading: meter({ tag: 'q.leading', quantity: 'reactive' }, lead),
      },
      { tz: 'UTC' },
    );
    const pf = r.powerFactor!;
    expect(pf.quadrant).toBe('lagging');
    // kWh 2400; lagging 16 h x 60 (ramps at the two switches: half a minute each side) ~ 960 kvarh; leading 8 h x 30 ~ 240 kvarh
    expect(pf.kvarh).toBeCloseTo(960, -1);
    expect(pf.overall).toBeCloseTo(2400 / Math.hypot(2400, pf.kvarh), 9);
    expect(pf.leading!.kvarh).toBeCloseTo(240, -1);
    expect(pf.leading!.overall).toBeCloseTo(2400 / Math.hypot(2400, pf.leading!.kvarh), 9);
    expect(pf.net).toBeCloseTo(2400 / Math.hypot(2400, pf.kvarh - pf.leading!.kvarh), 9);
  });

  it('opportunities that count the same kWh name each other as not additive', () => {
    const pts: [number, number][] = [];
    const flag: [number, boolean][] = [];
    const sub: [number, number][] = [];
    for (let m = 0; m <= 14 * 1440; m++) {
      const hour = (m / 60) % 24;
      const producing = hour >= 6 && hour < 22;
      pts.push([T0 + m * MIN, producing ? 100 : hour >= 2 && hour < 5 ? 20 : 40]);
      flag.push([T0 + m * MIN, producing]);
      sub.push([T0 + m * MIN, producing ? 30 : 15]);
    }
    const r = analyzeEnergy(
      {
        main: meter({}, pts),
        producing: meter({ tag: 'p', kind: 'state', quantity: 'producing' }, flag),
        subs: [meter({ tag: 'compressor' }, sub)],
      },
      { tz: 'UTC' },
    );
    const base = r.opportunities.find((o) => o.kind === 'idle-base-load')!;
    const comp = r.opportunities.find((o) => o.kind === 'sub-meter-idle')!;
    expect(base.overlaps).toEqual([comp.rank]);
    expect(comp.overlaps).toEqual([base.rank]);
  });

  it('G14 verdict: a poor model fails the CV(RMSE) limit', () => {
    const y = [100, 200, 100, 200, 100, 200, 100, 200];
    const flat = y.map(() => 150);
    const v = g14Verdict(y, flat, 2, 'daily');
    expect(v.cvRmse).toBeGreaterThan(0.3);
    expect(v.passes).toBe(false);
  });
});

describe('tariff files', () => {
  it('reads the example', () => {
    const t = parseTariff(readFileSync('fixtures/analysis/tariff-tou.yaml', 'utf8'), 'tariff-tou.yaml');
    expect(t.energy.map((e) => e.name)).toEqual(['peak', 'shoulder', 'off-peak']);
    expect(t.demand!.interval).toBe(900_000);
  });
  it('names file:line and the field of a bad value', () => {
    const text = 'currency: EUR\nenergy:\n  - name: peak\n    price: cheap\n';
    expect(() => parseTariff(text, 'bad.yaml')).toThrow(/^bad\.yaml:4: tariff field energy\[0\]\.price: /);
  });
  it('names an unknown field, a bad time range and broken YAML', () => {
    expect(() => parseTariff('energy:\n  - name: a\n    price: 1\n    hour: "08:00-10:00"\n', 'u.yaml')).toThrow(
      /u\.yaml:2: .*unknown field "hour"/,
    );
    expect(() => parseTariff('energy:\n  - name: a\n    price: 1\n    hours: "8-10"\n', 'h.yaml')).toThrow(
      /h\.yaml:4: .*"8-10" is not a time range/,
    );
    expect(() => parseTariff('energy: [\n', 'y.yaml')).toThrow(/^y\.yaml:\d+: not valid YAML/);
  });
});
