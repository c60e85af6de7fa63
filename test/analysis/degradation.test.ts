import { describe, expect, it } from 'vitest';
import { analyzeIndicator, assetOf, autoWindow, type IndicatorInput } from '../../src/analysis/degradation.js';
import { featureOfName } from '../../src/analysis/source.js';
import { fuseHealthIndex, spearman } from '../../src/analysis/health-index.js';
import { detectOnset, estimateBaseline, threeSigmaOnset } from '../../src/analysis/onset.js';
import { firstPassageCdf, firstPassageRul } from '../../src/analysis/rul.js';
import { cleanSeries, windowed, type Series } from '../../src/analysis/series.js';
import { rng } from '../../src/analysis/stats.js';
import { fitTrend, rulToThreshold } from '../../src/analysis/trend.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 0, 1);

/** Hourly points: baseline with ±2% noise, then v(t) from hour `from` on. */
function series(hours: number, f: (h: number) => number, seed = 1, noise = 0.02): Series {
  const r = rng(seed);
  const t = Float64Array.from({ length: hours }, (_, i) => T0 + (i + 0.5) * H);
  const v = Float64Array.from({ length: hours }, (_, i) => f(i) * (1 + noise * (2 * r() - 1)));
  return { t, v };
}

const input = (s: Series, unit = 'mm/s'): IndicatorInput => ({ name: 'pump.vib', tag: 'pump.vib', unit, quantity: 'value', series: s });

describe('baseline and onset', () => {
  it('CUSUM alarms a few hours after a sustained +40% step, never before it', () => {
    const s = series(400, (h) => (h < 300 ? 2 : 2.8));
    const b = estimateBaseline(s)!;
    expect(b.level).toBeGreaterThan(1.95);
    expect(b.level).toBeLessThan(2.05);
    const o = detectOnset(s, b)!;
    const hours = (o.alarmAt - (T0 + 300 * H)) / H;
    expect(hours).toBeGreaterThanOrEqual(5);
    expect(hours).toBeLessThanOrEqual(8);
    expect(o.startedAt).toBeGreaterThanOrEqual(T0 + 299 * H);
  });

  it('does not alarm on a short +40% burst or on a +10% level shift (healthy wander)', () => {
    const burst = series(400, (h) => (h >= 250 && h < 254 ? 2.8 : 2));
    expect(detectOnset(burst, estimateBaseline(burst)!)).toBeUndefined();
    const shift = series(400, (h) => (h < 200 ? 2 : 2.2));
    expect(detectOnset(shift, estimateBaseline(shift)!)).toBeUndefined();
  });

  it('the 3-sigma reference alarms on the first reading over mean + 3 SD', () => {
    const s = series(200, (h) => (h === 150 ? 3 : 2), 3, 0.01);
    const o = threeSigmaOnset(s, estimateBaseline(s)!)!;
    expect(o.alarmAt).toBe(s.t[150]);
  });

  it('k of n alarms when 4 of 6 points are above the limit', () => {
    const s = series(300, (h) => (h < 200 ? 2 : 3));
    const o = detectOnset(s, estimateBaseline(s)!, { method: 'k-of-n' })!;
    expect(o.alarmAt).toBe(s.t[203]);
  });
});

describe('trends and remaining life', () => {
  it('a straight line reaches its threshold when algebra says, with an interval around it', () => {
    const s = series(100, (h) => 1 + 0.01 * h, 4, 0.005);
    const f = fitTrend(s, 'linear')!;
    expect(f.significant).toBe(true);
    const r = rulToThreshold(f, 2, { from: s.t[99]! });
    // 1 + 0.01 (99.5 + x) = 2 -> x = 0.5 h from the last point (at 99.5 h)
    expect(r.hours).toBeGreaterThan(-2 + 0.5);
    expect(r.hours).toBeLessThan(6);
    expect(r.lo).toBeLessThanOrEqual(r.hours);
    expect(r.hi).toBeGreaterThanOrEqual(r.hours);
  });

  it('first passage of a drifting walk: the CDF is a distribution and the median sits near D / mu', () => {
    expect(firstPassageCdf(0, 0.1, 0.2, 1)).toBe(0);
    expect(firstPassageCdf(1e6, 0.1, 0.2, 1)).toBeCloseTo(1, 6);
    expect(firstPassageCdf(10, 0.1, 0.05, 1)).toBeGreaterThan(0.45);
    expect(firstPassageCdf(10, 0.1, 0.05, 1)).toBeLessThan(0.6);
    // a negative drift may never get there
    expect(firstPassageCdf(1e6, -0.1, 0.2, 1)).toBeLessThan(0.1);
  });

  it('on an exponential rise of the excess the first-passage estimate is close to the truth', () => {
    // excess 0.2 at h=100 doubling every 24 h; threshold excess 3.2 -> 4 doublings = 96 h after h=100
    const s = series(160, (h) => (h < 100 ? 2 : 2 + 0.2 * 2 ** ((h - 100) / 24)), 5, 0.005);
    const now = s.t[139]!;
    const r = firstPassageRul(s, 2, 5.2, { since: T0 + 100 * H, now })!;
    const truth = 100 + 96 - 139.5;
    expect(r.hours / truth).toBeGreaterThan(0.7);
    expect(r.hours / truth).toBeLessThan(1.3);
    expect(r.lo).toBeLessThan(truth);
    expect(r.hi).toBeGreaterThan(truth);
  });
});

describe('analyzeIndicator', () => {
  it('says where a degrading vibration is, since when, and when it reaches the zone boundary', () => {
    const s = series(420, (h) => (h < 300 ? 1.5 : 1.5 + 0.15 * (Math.exp((h - 300) / 48) - 1)), 6, 0.02);
    const r = analyzeIndicator(input(s), {
      threshold: { kind: 'zone', boundary: 'C/D' },
      iso: { group: 2, foundation: 'rigid' },
      windowMs: H,
    });
    expect(r.status).toBe('degrading');
    expect(r.onset).toBeDefined();
    expect(r.threshold!.value).toBe(4.5);
    expect(r.current!.zone).toBe('C');
    expect(r.rul.status).toBe('estimated');
    expect(r.statement).toMatch(/reaches 4\.50 mm\/s \(zone C\/D\) in about .+, 80% interval .+ to .+\./);
    expect(r.statement).toMatch(/over the last 48 h/);
    expect(r.forecast?.points.length).toBe(41);
  });

  it('says "no degradation trend" for a steady machine', () => {
    const s = series(24 * 10, () => 1.2, 8, 0.03);
    const r = analyzeIndicator(input(s), { threshold: { kind: 'value', value: 7.1, unit: 'mm/s' } });
    expect(r.status).toBe('healthy');
    expect(r.rul.status).toBe('no-trend');
    expect(r.statement).toMatch(/no degradation trend/);
  });

  it('converts a threshold to the tag unit, and refuses a zone for a temperature (a note, no RUL)', () => {
    const s = series(24 * 10, () => 0.05, 8, 0.03);
    const r = analyzeIndicator(input(s, 'in/s'), { threshold: { kind: 'value', value: 7.1, unit: 'mm/s' } });
    expect(r.threshold!.value).toBeCloseTo(7.1 / 25.4, 6);
    const temp = analyzeIndicator(input(s, '°C'), { threshold: { kind: 'zone', boundary: 'C/D' } });
    expect(temp.threshold).toBeUndefined();
    expect(temp.notes.join(' ')).toMatch(/does not apply to °C/);
  });

  it('too little data is one clear sentence', () => {
    const r = analyzeIndicator(input(series(5, () => 1)), {});
    expect(r.status).toBe('insufficient-data');
    expect(r.statement).toMatch(/too little data/);
  });
});

describe('cleaning and windows', () => {
  it('sorts, averages duplicate timestamps and drops non-numbers, naming each', () => {
    const { series: s, notes } = cleanSeries([3, 1, 2, 2, 4], [30, 10, 20, 22, Number.NaN]);
    expect(Array.from(s.t)).toEqual([1, 2, 3]);
    expect(Array.from(s.v)).toEqual([10, 21, 30]);
    expect(notes.map((n) => n.kind).sort()).toEqual(['duplicate', 'non-numeric', 'unsorted']);
  });

  it('stamps each window at its end', () => {
    const w = windowed({ t: Float64Array.from([0, 10, 3_600_000]), v: Float64Array.from([1, 3, 5]) }, H, 'mean');
    expect(Array.from(w.t)).toEqual([H, 2 * H]);
    expect(Array.from(w.v)).toEqual([2, 5]);
  });
});

describe('fused health index', () => {
  it('weights the sensors that trend, flips falling ones, and rises with the damage', () => {
    const n = 300;
    const t = Float64Array.from({ length: n }, (_, i) => T0 + (i + 0.5) * H);
    const r = rng(11);
    const wear = (i: number) => (i < 150 ? 0 : ((i - 150) / 150) ** 2);
    const up = {
      name: 'temp',
      tag: 'temp',
      quantity: 'value' as const,
      series: { t, v: Float64Array.from({ length: n }, (_, i) => 600 + 5 * wear(i) + r()) },
    };
    const down = {
      name: 'speed',
      tag: 'speed',
      quantity: 'value' as const,
      series: { t, v: Float64Array.from({ length: n }, (_, i) => 9000 - 20 * wear(i) + 4 * r()) },
    };
    const flat = {
      name: 'noise',
      tag: 'noise',
      quantity: 'value' as const,
      series: { t, v: Float64Array.from({ length: n }, () => 47 + r()) },
    };
    const f = fuseHealthIndex([up, down, flat], { windowMs: H })!;
    const w = Object.fromEntries(f.weights.map((x) => [x.name, x]));
    expect(w.speed!.direction).toBe(-1);
    expect(w.noise!.weight).toBeLessThan(w.temp!.weight);
    expect(spearman(f.input.series.t, f.input.series.v)).toBeGreaterThan(0.5);
    expect(f.input.series.v[n - 1]!).toBeGreaterThan(f.input.series.v[10]! + 3);
  });
});

describe('time scales: windows and the detector follow the data', () => {
  const grid = (n: number, stepMs: number) => Float64Array.from({ length: n }, (_, i) => T0 + i * stepMs);

  it('the window is six sample spacings, or more when that would make over 2000 windows, fewer on short records', () => {
    const w = (n: number, step: number) => autoWindow({ t: grid(n, step), v: new Float64Array(n).fill(1) });
    expect(w(241, 10_000)).toBe(60_000); // a 40-minute rig run sampled every 10 s: 1-minute windows, 40 of them
    expect(w(985, 600_000)).toBe(H); // IMS test 2: 10-minute snapshots for 164 h
    expect(w(24 * 180, H)).toBe(6 * H); // six months of hourly route readings
    expect(w(24 * 365 * 3, H)).toBe(14 * H); // three years: at most about 2000 windows
    expect(w(100, 60_000)).toBe(120_000); // 99 minutes: 40 windows of 2 samples
  });

  it('a run that grows 19-fold in six hours alarms within the first hour of growth, and the same run ten days long gives the same answer in its units', () => {
    // 8 hours every 10 s: steady for 2 h (2% noise), then exp growth to 19 times the baseline at the end
    const n = 8 * 360;
    const start = 2 * 360;
    const r = rng(21);
    const v = Float64Array.from(
      { length: n },
      (_, i) => (i < start ? 1 : Math.exp((Math.log(19) * (i - start)) / (n - start))) * (1 + 0.02 * (2 * r() - 1)),
    );
    const fast = analyzeIndicator(input({ t: grid(n, 10_000), v }, 'g'), { threshold: { kind: 'baseline', factor: 25 } });
    expect(fast.windowMs).toBe(60_000);
    expect(fast.onset).toBeDefined();
    const growth = (fast.onset!.alarmAt - (T0 + start * 10_000)) / H;
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThan(1);
    // the same readings one per 1 min 40 s (ten times slower): every time is ten times longer, nothing else changes
    const slow = analyzeIndicator(input({ t: grid(n, 100_000), v }, 'g'), { threshold: { kind: 'baseline', factor: 25 } });
    expect(slow.windowMs).toBe(600_000);
    expect((slow.onset!.alarmAt - T0) / 100_000).toBeCloseTo((fast.onset!.alarmAt - T0) / 10_000, 6);
    expect(slow.rul.status).toBe('estimated');
    expect(slow.rul.hours! / fast.rul.hours!).toBeCloseTo(10, 3);
    expect(slow.rul.hi! / fast.rul.hi!).toBeCloseTo(10, 3);
  });
});

describe('indicators by name, and the assets they belong to', () => {
  it('recognises the features of vibration snapshots in the names tables use', () => {
    const cases: [string, string | undefined][] = [
      ['Bearing1_ch1_kurt', 'kurtosis'],
      ['pump.kurtosis', 'kurtosis'],
      ['motor.excess_kurtosis', 'excess-kurtosis'],
      ['fan.crestFactor', 'crest-factor'],
      ['fan/crest_factor', 'crest-factor'],
      ['Bearing3_ch1_skew', 'skewness'],
      ['gearbox.vib_rms', 'rms'],
      ['pumpRms', 'rms'],
      ['shaft.peak', 'peak'],
      ['line.speed', undefined],
      ['Bearing1_ch1_mean', undefined],
      ['forms', undefined], // ends in "rms" inside a word
    ];
    for (const [name, kind] of cases) expect(featureOfName(name), name).toBe(kind);
  });

  it('groups indicators into machines or measurement points', () => {
    expect(assetOf('pump1.vibration')).toBe('pump1');
    expect(assetOf('pump1.bearingTemp')).toBe('pump1');
    expect(assetOf('Bearing1_ch1_rms')).toBe('Bearing1_ch1');
    expect(assetOf('Bearing1_ch1_kurt')).toBe('Bearing1_ch1');
    expect(assetOf('site/hall2/fan')).toBe('site/hall2');
    expect(assetOf('compressor')).toBe('compressor');
  });
});
