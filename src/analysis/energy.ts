/**
 * `iiot analyze energy`: an energy audit from meters accumulated into minute buckets
 * (meter.ts). Pure: meter series and options in, result object out; rendering is elsewhere.
 *
 * Everything calendar-related is local time in `tz` (calendar.ts): days, weeks (ISO, Monday
 * first), months, shifts, the load profile, tariff periods. Estimators and conventions are
 * documented in docs/analysis.md; each one is named in the result so a report can say which.
 */

import {
  DAY,
  HOUR,
  MINUTE,
  MinuteCalendar,
  dayLabel,
  dayLengthMs,
  inWindow,
  isoWeekLabel,
  monthDays,
  monthLabel,
  civilFromDays,
  weekStartOf,
  type DailyWindow,
} from './calendar.js';
import { grouped, sig } from './format.js';
import type { MeterSeries } from './meter.js';
import { fitBaseline, savingsUncertainty, type BaselineDay, type BaselineModel, type G14Verdict } from './mv-baseline.js';
import { mean, multipleRegression, quantile, median } from './stats.js';
import { demandBilledAt, energyRuleAt, type Tariff } from './tariff.js';

export { g14Verdict, type G14Verdict } from './mv-baseline.js';

export interface ShiftSpec {
  name: string;
  window: DailyWindow;
}

export interface EnergyOptions {
  tz?: string;
  /** demand interval (default 15 min) */
  demandIntervalMs?: number;
  demandMethod?: 'block' | 'rolling';
  /** production shifts (local time) and the days they run (default mon-fri) */
  shifts?: ShiftSpec[];
  workdays?: number[];
  tariff?: Tariff;
  /** kg CO2e per kWh (overrides the tariff's) */
  co2KgPerKwh?: number;
  /** analyse only [from, to) (epoch ms) */
  from?: number;
  to?: number;
  /** two periods to compare, epoch ms [from, to) */
  periods?: { baseline: [number, number]; report: [number, number] };
  /** degree-day base temperatures, °C (default 15.5 heating, 18.3 cooling) */
  hddBaseC?: number;
  cddBaseC?: number;
  /** intervals need this share of their time measured to count (default 0.9) */
  minCoverage?: number;
  topPeaks?: number;
}

export interface EnergyInput {
  main: MeterSeries;
  subs?: MeterSeries[];
  /** reactive energy: lagging (inductive) when `reactiveLeading` is given too, else as the meter counts it */
  reactive?: MeterSeries;
  /** leading (capacitive) reactive energy, metered separately */
  reactiveLeading?: MeterSeries;
  /** outdoor temperature (a level, °C), for degree days as a baseline driver */
  temperature?: MeterSeries;
  production?: MeterSeries;
  producing?: MeterSeries;
  /** other measurements of the main supply, cross-checked against it */
  checks?: MeterSeries[];
}

export interface BaseLoadEstimate {
  name: 'p05-demand' | 'night-minimum' | 'weekend-mean' | 'idle-mean' | 'off-shift-mean';
  kw: number;
  description: string;
}

export interface Opportunity {
  rank: number;
  kind: 'idle-base-load' | 'off-shift-base-load' | 'peak-demand' | 'power-factor' | 'sub-meter-idle';
  title: string;
  kwhPerYear: number;
  costPerYear?: number;
  statement: string;
  /** ranks of other opportunities whose savings include some of this one's: not to be added to it */
  overlaps?: number[];
}

/** One local day: energy, how much of the calendar day was measured, and the baseline drivers known for it. */
export interface DayTotal {
  day: string;
  kwh: number;
  /** measured share of the whole calendar day (23, 24 or 25 h) */
  coverage: number;
  peakKw?: number;
  units?: number;
  /** a day of the --workdays */
  workday: boolean;
  /** hours the producing flag was on (measured) or, without one, the scheduled shift hours */
  operatingHours?: number;
  /** daily mean outdoor temperature and degree days, with a temperature tag */
  temperatureC?: number;
  hdd?: number;
  cdd?: number;
}

export interface EnergyResult {
  tz: string;
  meter: {
    tag: string;
    kind: string;
    unit?: string;
    samples: number;
    from: number;
    to: number;
    /** share of the analysed time with readings */
    coverage: number;
    gapHours: number;
  };
  period: { from: number; to: number; days: number };
  totals: {
    kwh: number;
    days: DayTotal[];
    weeks: { week: string; kwh: number; coverage: number }[];
    months: { month: string; kwh: number; coverage: number; peakKw?: number; pf?: number }[];
    shifts?: { name: string; kwh: number; share: number }[];
  };
  demand: {
    intervalMinutes: number;
    method: 'block' | 'rolling';
    peak?: { kw: number; at: number };
    top: { kw: number; at: number }[];
    monthly: { month: string; kw: number; at: number }[];
    averageKw: number;
    loadFactor?: number;
    /** demand interval values (kW) and their start times, for charts (block method) */
    series: { t: number[]; kw: number[] };
  };
  profile: { weekdays: string[]; kw: (number | null)[][] };
  baseLoad: { primaryKw: number; primary: BaseLoadEstimate['name']; estimators: BaseLoadEstimate[] };
  idle?: { source: 'producing-tag' | 'production-counter'; kwh: number; share: number; meanKw: number; hours: number };
  offShift?: { kwh: number; share: number; meanKw: number; hours: number };
  powerFactor?: {
    tag: string;
    /** 'lagging' when a leading meter is given separately; 'as-metered' when one meter counts whatever it counts */
    quadrant: 'lagging' | 'as-metered';
    overall: number;
    kvarh: number;
    monthly: { month: string; pf: number }[];
    /** leading (capacitive) reactive energy metered separately: its own power factor, and the net one */
    leading?: { tag: string; overall: number; kvarh: number; monthly: { month: string; pf: number }[] };
    /** with kvarh = lagging - leading over the whole period */
    net?: number;
  };
  cost?: {
    currency: string;
    total: number;
    energy: number;
    demand: number;
    fixed: number;
    reactive: number;
    byRule: { name: string; kwh: number; cost: number }[];
    monthly: { month: string; energy: number; demand: number; fixed: number; reactive: number; total: number; billedPeakKw: number }[];
  };
  co2e?: { kgPerKwh: number; kg: number };
  production?: {
    tag: string;
    units: number;
    kwhPerUnit: number;
    model?: { fixedKwhPerDay: number; kwhPerUnit: number; r2: number; days: number };
  };
  baselines?: {
    periods: {
      name: 'baseline' | 'report';
      from: number;
      to: number;
      days: number;
      kwhPerDay: number;
      kwhPerUnit?: number;
      baseLoadKw: number;
      peakKw: number;
    }[];
    change: { kwhPerDay: number; kwhPerUnit?: number; baseLoadKw: number; peakKw: number };
    regression?: {
      drivers: string[];
      /** every candidate driver and the cross-validated CV(RMSE) it reached (docs/analysis.md, "Baselines") */
      considered: BaselineModel['considered'];
      coefficients: Record<string, number>;
      days: number;
      g14: G14Verdict;
      reportDays: number;
      predictedKwh: number;
      actualKwh: number;
      savingsKwh: number;
      normalisedSavings: number;
      /** ASHRAE G14 savings uncertainty at 90% confidence, kWh (absolute) */
      savingsUncertaintyKwh?: number;
    };
  };
  subMeters?: { tag: string; kwh: number; share: number; idleKwh?: number; idleMeanKw?: number }[];
  reconciliation?: { tag: string; kind: string; kwh: number; mainKwh: number; difference: number }[];
  opportunities: Opportunity[];
  notes: string[];
  statements: string[];
}

interface Grid {
  origin: number;
  n: number;
  cal: MinuteCalendar;
}

/** A meter's minute values placed on the grid (zero / uncovered outside its range). */
function onGrid(m: MeterSeries, g: Grid): { v: Float64Array; c: Float32Array } {
  const v = new Float64Array(g.n);
  const c = new Float32Array(g.n);
  const off = Math.round((m.origin - g.origin) / MINUTE);
  for (let i = 0; i < m.value.length; i++) {
    const j = i + off;
    if (j < 0 || j >= g.n) continue;
    v[j] = m.value[i]!;
    c[j] = m.covered[i]!;
  }
  return { v, c };
}

/** The main meter's minutes on the grid of the analysed period, and what every step shares. */
interface MeterGrid extends Grid {
  /** end of the grid (exclusive), epoch ms */
  end: number;
  tz: string;
  /** least share of an interval that must be measured for it to count */
  minCov: number;
  /** the demand interval, minutes */
  D: number;
  /** the main meter's kWh and measured ms per minute */
  kwh: Float64Array;
  cov: Float32Array;
}

type DayTotalOnGrid = DayTotal & { _d: number };
type DayAccumulator = { kwh: number; cov: number; minutes: number; units: number };

export function analyzeEnergy(input: EnergyInput, opts: EnergyOptions = {}): EnergyResult {
  const tz = opts.tz ?? 'UTC';
  const minCov = opts.minCoverage ?? 0.9;
  // The demand interval and method the tariff bills, unless the caller says otherwise.
  const D = Math.round((opts.demandIntervalMs ?? opts.tariff?.demand?.interval ?? 15 * MINUTE) / MINUTE);
  const method = opts.demandMethod ?? opts.tariff?.demand?.method ?? 'block';
  const notes: string[] = [];
  const main = input.main;
  if (main.value.length === 0) throw new Error(`${main.tag}: no usable readings`);
  const grid = meterGrid(main, opts, tz, minCov, D);
  const { origin, end, n, cal, kwh, cov } = grid;
  const { totalKwh, coveredMs, coverage, coveredHours, avgKw } = meterTotals(grid);
  if (coverage < 0.99)
    notes.push(
      `${main.tag}: readings cover ${(coverage * 100).toFixed(1)}% of the period; totals are of the measured time only (${sig((n * MINUTE - coveredMs) / HOUR)} h without readings are not estimated)`,
    );
  describeMeterEvents(main, notes);

  const { dayIdx, prod } = calendarTotals(grid, input.production);
  const { blockKw, blockAt, demandKw, demandAt, peak, top, monthlyPeak } = demandIntervals(grid, method, opts.topPeaks ?? 5);
  const workdays = opts.workdays ?? [1, 2, 3, 4, 5];
  const { totalsDays, weeks, months } = periodTotals(grid, dayIdx, blockKw, blockAt, prod !== undefined, workdays);
  const profile = loadProfile(grid);
  const { producing, idleSource } = producingMinutes(grid, input.producing, prod);
  const shiftOf = shiftIndex(grid, opts.shifts, workdays);
  const idle = idleEnergy(grid, producing, idleSource, totalKwh);
  const idleMinuteKw: number[] = [];
  const { offShift, shiftTotals } = shiftEnergy(grid, opts.shifts, shiftOf, totalKwh);
  addDailyDrivers(grid, input.temperature, opts, totalsDays, producing, idleSource, shiftOf, notes);
  const { hourly, estimators, primary } = baseLoad(grid, blockKw, idle, offShift);
  const { powerFactor, pfMonthly } = powerFactorOf(grid, input, notes);

  let cost: EnergyResult['cost'];
  // the bill uses the demand figures the report shows (block or rolling)
  if (opts.tariff) cost = tariffCost(opts.tariff, kwh, cov, cal, grid, demandKw, demandAt, method, pfMonthly, D, notes);

  const co2 = opts.co2KgPerKwh ?? opts.tariff?.co2e_kg_per_kwh;
  const co2e = co2 !== undefined ? { kgPerKwh: co2, kg: totalKwh * co2 } : undefined;

  const production = productionOf(grid, input.production, prod, totalsDays, totalKwh, notes);
  const subMeters = subMeterTotals(grid, input.subs, producing, totalKwh);
  const reconciliation = reconcile(grid, input.checks, main.tag, notes);

  let baselines: EnergyResult['baselines'];
  if (opts.periods)
    baselines = comparePeriods(
      opts.periods,
      totalsDays,
      blockKw,
      blockAt,
      minCov,
      opts,
      prod !== undefined,
      input.temperature !== undefined,
      notes,
    );

  const spanDays = n / 1440;
  const annual = (x: number) => (x * 365.25) / Math.max(1e-9, coveredHours / 24);
  const opportunities = rankOpportunities({
    idle,
    offShift,
    totalKwh,
    annual,
    idleKws: idleMinuteKw,
    hourly,
    producing,
    cal,
    opts,
    cost,
    peak,
    monthlyPeak,
    blockKw,
    blockAt,
    origin,
    D,
    powerFactor,
    avgKw,
    subMeters,
    spanDays,
  });

  const result: EnergyResult = {
    tz,
    meter: {
      tag: main.tag,
      kind: main.kind,
      ...(main.unit ? { unit: main.unit } : {}),
      samples: main.samples,
      from: main.first,
      to: main.last,
      coverage,
      gapHours: (n * MINUTE - coveredMs) / HOUR,
    },
    period: { from: origin, to: end, days: spanDays },
    totals: {
      kwh: totalKwh,
      days: totalsDays.map(({ _d, ...d }) => d),
      weeks: [...weeks.entries()].map(([week, a]) => ({ week, kwh: a.kwh, coverage: a.cov / a.length })),
      months: [...months.entries()].map(([month, a]) => ({
        month,
        kwh: a.kwh,
        coverage: a.cov / a.length,
        ...(monthlyPeak.has(month) ? { peakKw: monthlyPeak.get(month)!.kw } : {}),
        ...(pfMonthly.has(month) ? { pf: pfMonthly.get(month)!.p / Math.hypot(pfMonthly.get(month)!.p, pfMonthly.get(month)!.q) } : {}),
      })),
      ...(shiftTotals ? { shifts: shiftTotals } : {}),
    },
    demand: {
      intervalMinutes: D,
      method,
      ...(peak ? { peak } : {}),
      top,
      monthly: [...monthlyPeak.entries()].map(([month, p]) => ({ month, ...p })),
      averageKw: avgKw,
      ...(peak && peak.kw > 0 ? { loadFactor: avgKw / peak.kw } : {}),
      series: { t: blockAt, kw: blockKw },
    },
    profile,
    baseLoad: { primaryKw: primary.kw, primary: primary.name, estimators },
    ...(idle ? { idle } : {}),
    ...(offShift ? { offShift } : {}),
    ...(powerFactor ? { powerFactor } : {}),
    ...(cost ? { cost } : {}),
    ...(co2e ? { co2e } : {}),
    ...(production ? { production } : {}),
    ...(baselines ? { baselines } : {}),
    ...(subMeters ? { subMeters } : {}),
    ...(reconciliation ? { reconciliation } : {}),
    opportunities,
    notes,
    statements: [],
  };
  if (!producing && !opts.shifts?.length)
    notes.push(
      'no production signal and no shift pattern: idle and off-shift energy are not computed (give --shifts, or --production / --producing tags)',
    );
  result.statements = summaryStatements(result);
  return result;
}

/** The grid: whole minutes from the main meter's first to last bucket, within [from, to). */
function meterGrid(main: MeterSeries, opts: EnergyOptions, tz: string, minCov: number, D: number): MeterGrid {
  let origin = main.origin;
  let end = main.origin + main.value.length * MINUTE;
  if (opts.from !== undefined) origin = Math.max(origin, Math.floor(opts.from / MINUTE) * MINUTE);
  if (opts.to !== undefined) end = Math.min(end, Math.ceil(opts.to / MINUTE) * MINUTE);
  if (end <= origin) throw new Error('the chosen period holds no readings of the main meter');
  const n = Math.round((end - origin) / MINUTE);
  const cal = new MinuteCalendar(origin, n, tz);
  const g: Grid = { origin, n, cal };
  const E = onGrid(main, g);
  return { ...g, end, tz, minCov, D, kwh: E.v, cov: E.c };
}

/** The main meter's energy over the measured time, and how much of the period was measured. */
function meterTotals({ n, kwh, cov }: MeterGrid) {
  let totalKwh = 0;
  let coveredMs = 0;
  for (let i = 0; i < n; i++) {
    totalKwh += kwh[i]!;
    coveredMs += cov[i]!;
  }
  const coverage = coveredMs / (n * MINUTE);
  const coveredHours = coveredMs / HOUR;
  const avgKw = coveredHours > 0 ? totalKwh / coveredHours : 0;
  return { totalKwh, coveredMs, coverage, coveredHours, avgKw };
}

/** Calendar totals: energy, measured time and produced units per local day. */
function calendarTotals(g: MeterGrid, production: MeterSeries | undefined) {
  const { n, cal, kwh, cov } = g;
  const dayIdx = new Map<number, DayAccumulator>();
  for (let i = 0; i < n; i++) {
    const d = cal.day[i]!;
    let a = dayIdx.get(d);
    if (!a) dayIdx.set(d, (a = { kwh: 0, cov: 0, minutes: 0, units: 0 }));
    a.kwh += kwh[i]!;
    a.cov += cov[i]!;
    a.minutes++;
  }
  const prod = production ? onGrid(production, g) : undefined;
  if (prod) for (let i = 0; i < n; i++) dayIdx.get(cal.day[i]!)!.units += prod.v[i]!;
  return { dayIdx, prod };
}

/** Demand intervals (block, and rolling if asked), the peak, the top peaks, the peak of each month. */
function demandIntervals(g: MeterGrid, method: 'block' | 'rolling', topPeaks: number) {
  const { origin, n, cal, kwh, cov, minCov, D } = g;
  // Demand intervals (block): keyed on the UTC minute so that the repeated autumn hour stays two intervals.
  const blockKw: number[] = [];
  const blockAt: number[] = [];
  const originMin = Math.floor(origin / MINUTE);
  {
    let key = Number.NaN;
    let e = 0;
    let c = 0;
    let start = 0;
    const flush = () => {
      if (!Number.isNaN(key) && c >= minCov * D * MINUTE) {
        blockKw.push(e / (c / HOUR));
        blockAt.push(start);
      }
    };
    for (let i = 0; i < n; i++) {
      const k = Math.floor((originMin + i) / D);
      if (k !== key) {
        flush();
        key = k;
        e = 0;
        c = 0;
        start = k * D * MINUTE;
      }
      e += kwh[i]!;
      c += cov[i]!;
    }
    flush();
  }
  let demandKw = blockKw;
  let demandAt = blockAt;
  if (method === 'rolling') {
    const rk: number[] = [];
    const ra: number[] = [];
    let e = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      e += kwh[i]!;
      c += cov[i]!;
      if (i >= D) {
        e -= kwh[i - D]!;
        c -= cov[i - D]!;
      }
      if (i >= D - 1 && c >= minCov * D * MINUTE) {
        rk.push(e / (c / HOUR));
        ra.push(origin + (i - D + 1) * MINUTE);
      }
    }
    demandKw = rk;
    demandAt = ra;
  }
  const peakIdx = argmax(demandKw);
  const peak = peakIdx >= 0 ? { kw: demandKw[peakIdx]!, at: demandAt[peakIdx]! } : undefined;
  const top = topDistinct(demandKw, demandAt, topPeaks, D * MINUTE);
  const monthlyPeak = new Map<string, { kw: number; at: number }>();
  for (let k = 0; k < demandKw.length; k++) {
    const i = Math.min(n - 1, Math.max(0, Math.round((demandAt[k]! - origin) / MINUTE)));
    const m = monthLabel(cal.day[i]!);
    const cur = monthlyPeak.get(m);
    if (!cur || demandKw[k]! > cur.kw) monthlyPeak.set(m, { kw: demandKw[k]!, at: demandAt[k]! });
  }
  return { blockKw, blockAt, demandKw, demandAt, peak, top, monthlyPeak };
}

/** Days, weeks and months: energy, and coverage against the whole calendar period. */
function periodTotals(
  g: MeterGrid,
  dayIdx: Map<number, DayAccumulator>,
  blockKw: number[],
  blockAt: number[],
  hasProduction: boolean,
  workdays: number[],
) {
  const { origin, n, cal, tz } = g;
  const days = [...dayIdx.entries()].sort((a, b) => a[0] - b[0]);
  const dayPeak = new Map<number, number>();
  for (let k = 0; k < blockKw.length; k++) {
    const i = Math.min(n - 1, Math.max(0, Math.round((blockAt[k]! - origin) / MINUTE)));
    const d = cal.day[i]!;
    dayPeak.set(d, Math.max(dayPeak.get(d) ?? 0, blockKw[k]!));
  }
  // Coverage is measured against the whole calendar day, week or month: a capture that starts at
  // 23:00 measures 1/24 of its first day, not "100% of the minutes it has".
  const totalsDays: DayTotalOnGrid[] = days.map(([d, a]) => ({
    day: dayLabel(d),
    kwh: a.kwh,
    coverage: a.cov / dayLengthMs(d, tz),
    ...(dayPeak.has(d) ? { peakKw: dayPeak.get(d)! } : {}),
    ...(hasProduction ? { units: a.units } : {}),
    workday: workdays.includes((((d + 4) % 7) + 7) % 7),
    _d: d,
  }));
  const weeks = new Map<string, { kwh: number; cov: number; length: number }>();
  const months = new Map<string, { kwh: number; cov: number; length: number }>();
  const spanMs = (a: number, b: number) => {
    let ms = 0;
    for (let d = a; d < b; d++) ms += dayLengthMs(d, tz);
    return ms;
  };
  for (const [d, a] of days) {
    for (const [map, key, range] of [
      [weeks, isoWeekLabel(d), () => [weekStartOf(d), weekStartOf(d) + 7] as const],
      [months, monthLabel(d), () => monthDays(d)],
    ] as const) {
      let x = map.get(key);
      if (!x) map.set(key, (x = { kwh: 0, cov: 0, length: spanMs(...range()) }));
      x.kwh += a.kwh;
      x.cov += a.cov;
    }
  }
  return { totalsDays, weeks, months };
}

/** The load profile (weekday x hour): mean kW over the measured time. */
function loadProfile({ n, cal, kwh, cov }: MeterGrid): EnergyResult['profile'] {
  const profE = new Float64Array(7 * 24);
  const profC = new Float64Array(7 * 24);
  for (let i = 0; i < n; i++) {
    if (cov[i]! <= 0) continue;
    const k = cal.weekday(i) * 24 + cal.hour(i);
    profE[k]! += kwh[i]!;
    profC[k]! += cov[i]!;
  }
  const order = [1, 2, 3, 4, 5, 6, 0];
  return {
    weekdays: ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'],
    kw: order.map((wd) =>
      Array.from({ length: 24 }, (_, h) => (profC[wd * 24 + h]! > 0 ? profE[wd * 24 + h]! / (profC[wd * 24 + h]! / HOUR) : null)),
    ),
  };
}

/** Producing or not, per minute: from the producing flag, else from the production counter by the hour. */
function producingMinutes(g: MeterGrid, producingTag: MeterSeries | undefined, prod: { v: Float64Array; c: Float32Array } | undefined) {
  const { origin, n } = g;
  let producing: Uint8Array | undefined;
  let idleSource: 'producing-tag' | 'production-counter' | undefined;
  if (producingTag) {
    const st = onGrid(producingTag, g);
    producing = new Uint8Array(n);
    let last = 0;
    for (let i = 0; i < n; i++) {
      if (st.c[i]! > 0) last = st.v[i]! / st.c[i]! >= 0.5 ? 1 : 0;
      producing[i] = last;
    }
    idleSource = 'producing-tag';
  } else if (prod) {
    // An hour with less than half a unit produced is idle.
    producing = new Uint8Array(n);
    let i = 0;
    while (i < n) {
      const hourKey = Math.floor((origin + i * MINUTE) / HOUR);
      let j = i;
      let u = 0;
      while (j < n && Math.floor((origin + j * MINUTE) / HOUR) === hourKey) u += prod.v[j++]!;
      producing.fill(u >= 0.5 ? 1 : 0, i, j);
      i = j;
    }
    idleSource = 'production-counter';
  }
  return { producing, idleSource };
}

/** The shift a minute belongs to (index in `shifts`), or -1. */
function shiftIndex({ cal }: MeterGrid, shifts: ShiftSpec[] | undefined, workdays: number[]): (i: number) => number {
  return (i: number): number => {
    if (!shifts?.length) return -1;
    const mod = cal.minuteOfDay[i]!;
    const wd = cal.weekday(i);
    for (let s = 0; s < shifts.length; s++) {
      const w = shifts[s]!.window;
      if (!inWindow(mod, w)) continue;
      // a shift past midnight belongs to the day it started on
      const startDay = w.from > w.to && mod < w.to ? (wd + 6) % 7 : wd;
      if (workdays.includes(startDay)) return s;
    }
    return -1;
  };
}

/** Energy while nothing is produced. */
function idleEnergy(
  { n, kwh, cov }: MeterGrid,
  producing: Uint8Array | undefined,
  idleSource: 'producing-tag' | 'production-counter' | undefined,
  totalKwh: number,
): EnergyResult['idle'] {
  let idle: EnergyResult['idle'];
  if (producing) {
    let e = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (producing[i]) continue;
      e += kwh[i]!;
      c += cov[i]!;
    }
    if (c > 0) idle = { source: idleSource!, kwh: e, share: totalKwh > 0 ? e / totalKwh : 0, meanKw: e / (c / HOUR), hours: c / HOUR };
  }
  return idle;
}

/** Energy per shift, and outside the shifts. */
function shiftEnergy({ n, kwh, cov }: MeterGrid, shifts: ShiftSpec[] | undefined, shiftOf: (i: number) => number, totalKwh: number) {
  let offShift: EnergyResult['offShift'];
  let shiftTotals: { name: string; kwh: number; share: number }[] | undefined;
  if (shifts?.length) {
    const per = new Float64Array(shifts.length);
    let e = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const s = shiftOf(i);
      if (s >= 0) per[s]! += kwh[i]!;
      else {
        e += kwh[i]!;
        c += cov[i]!;
      }
    }
    shiftTotals = shifts.map((s, k) => ({ name: s.name, kwh: per[k]!, share: totalKwh > 0 ? per[k]! / totalKwh : 0 }));
    shiftTotals.push({ name: 'off-shift', kwh: e, share: totalKwh > 0 ? e / totalKwh : 0 });
    if (c > 0) offShift = { kwh: e, share: totalKwh > 0 ? e / totalKwh : 0, meanKw: e / (c / HOUR), hours: c / HOUR };
  }
  return { offShift, shiftTotals };
}

/** Daily drivers for baselines: operating hours (the producing flag, else the shift schedule) and degree days. */
function addDailyDrivers(
  g: MeterGrid,
  temperature: MeterSeries | undefined,
  opts: EnergyOptions,
  totalsDays: DayTotalOnGrid[],
  producing: Uint8Array | undefined,
  idleSource: 'producing-tag' | 'production-counter' | undefined,
  shiftOf: (i: number) => number,
  notes: string[],
): void {
  const { n, cal, cov, tz } = g;
  const byDay = new Map<number, { on: number; sched: number; tv: number; tc: number }>();
  const temp = temperature ? onGrid(temperature, g) : undefined;
  for (let i = 0; i < n; i++) {
    const d = cal.day[i]!;
    let a = byDay.get(d);
    if (!a) byDay.set(d, (a = { on: 0, sched: 0, tv: 0, tc: 0 }));
    if (producing && cov[i]! > 0 && producing[i]) a.on += cov[i]!;
    if (opts.shifts?.length && shiftOf(i) >= 0) a.sched += MINUTE;
    if (temp) {
      a.tv += temp.v[i]!;
      a.tc += temp.c[i]!;
    }
  }
  const hddBase = opts.hddBaseC ?? 15.5;
  const cddBase = opts.cddBaseC ?? 18.3;
  for (const t of totalsDays) {
    const a = byDay.get(t._d);
    if (!a) continue;
    if (idleSource === 'producing-tag') t.operatingHours = a.on / HOUR;
    else if (opts.shifts?.length) t.operatingHours = a.sched / HOUR;
    // a daily mean needs half the day measured
    if (temp && a.tc >= 0.5 * dayLengthMs(t._d, tz)) {
      const tm = a.tv / a.tc;
      t.temperatureC = tm;
      t.hdd = Math.max(0, hddBase - tm);
      t.cdd = Math.max(0, tm - cddBase);
    }
  }
  if (temperature) describeMeterEvents(temperature, notes);
}

/** Base load: every estimator that applies, the first being the primary one. */
function baseLoad(g: MeterGrid, blockKw: number[], idle: EnergyResult['idle'], offShift: EnergyResult['offShift']) {
  const { n, cal, kwh, cov, minCov, D } = g;
  const hourly = hourlyMeans(kwh, cov, cal, minCov);
  const estimators: BaseLoadEstimate[] = [];
  if (blockKw.length)
    estimators.push({ name: 'p05-demand', kw: quantile(blockKw, 0.05), description: `5th percentile of the ${D}-minute demand intervals` });
  const dailyMin = new Map<number, number>();
  for (const h of hourly) dailyMin.set(h.day, Math.min(dailyMin.get(h.day) ?? Infinity, h.kw));
  if (dailyMin.size)
    estimators.push({
      name: 'night-minimum',
      kw: median([...dailyMin.values()]),
      description: 'median over days of the lowest hourly mean of each day',
    });
  {
    let e = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      const wd = cal.weekday(i);
      if (wd === 0 || wd === 6) {
        e += kwh[i]!;
        c += cov[i]!;
      }
    }
    if (c >= 6 * HOUR) estimators.push({ name: 'weekend-mean', kw: e / (c / HOUR), description: 'mean power on Saturdays and Sundays' });
  }
  if (idle)
    estimators.push({
      name: 'idle-mean',
      kw: idle.meanKw,
      description: `mean power while nothing is produced (${idle.source === 'producing-tag' ? 'producing flag off' : 'no production counted in the hour'})`,
    });
  if (offShift) estimators.push({ name: 'off-shift-mean', kw: offShift.meanKw, description: 'mean power outside the production shifts' });
  const primary = estimators[0] ?? { name: 'p05-demand' as const, kw: Number.NaN, description: '' };
  return { hourly, estimators, primary };
}

/**
 * Power factor: PF = kWh / sqrt(kWh² + kvarh²) over the minutes both meters measured; lagging
 * and leading reactive energy, when metered apart, each give their own (utilities bill them apart).
 */
function powerFactorOf(g: MeterGrid, input: EnergyInput, notes: string[]) {
  const { n, cal, kwh, cov } = g;
  let powerFactor: EnergyResult['powerFactor'];
  const reactivePf = (m: MeterSeries) => {
    const Q = onGrid(m, g);
    const monthly = new Map<string, { p: number; q: number }>();
    let p = 0;
    let q = 0;
    for (let i = 0; i < n; i++) {
      if (cov[i]! <= 0 || Q.c[i]! <= 0) continue;
      p += kwh[i]!;
      q += Q.v[i]!;
      const mo = monthLabel(cal.day[i]!);
      let a = monthly.get(mo);
      if (!a) monthly.set(mo, (a = { p: 0, q: 0 }));
      a.p += kwh[i]!;
      a.q += Q.v[i]!;
    }
    describeMeterEvents(m, notes);
    return { p, q, monthly, list: [...monthly.entries()].map(([month, a]) => ({ month, pf: a.p / Math.hypot(a.p, a.q) })) };
  };
  const lag = input.reactive ? reactivePf(input.reactive) : undefined;
  const lead = input.reactiveLeading ? reactivePf(input.reactiveLeading) : undefined;
  const pfMonthly = lag?.monthly ?? new Map<string, { p: number; q: number }>();
  if (input.reactive && lag && lag.p > 0) {
    powerFactor = {
      tag: input.reactive.tag,
      quadrant: lead ? 'lagging' : 'as-metered',
      overall: lag.p / Math.hypot(lag.p, lag.q),
      kvarh: lag.q,
      monthly: lag.list,
      ...(lead && input.reactiveLeading && lead.p > 0
        ? {
            leading: { tag: input.reactiveLeading.tag, overall: lead.p / Math.hypot(lead.p, lead.q), kvarh: lead.q, monthly: lead.list },
            net: lag.p / Math.hypot(lag.p, lag.q - lead.q),
          }
        : {}),
    };
    if (powerFactor.leading && powerFactor.leading.overall < 0.95) {
      notes.push(
        `leading power factor ${powerFactor.leading.overall.toFixed(3)} (${grouped(lead!.q)} kvarh leading): capacitors over-compensate at light load; switch them with the load`,
      );
    }
  } else if (input.reactiveLeading && !input.reactive) {
    notes.push(`${input.reactiveLeading.tag}: leading reactive energy without a lagging meter; give --reactive for the power factor`);
  }
  return { powerFactor, pfMonthly };
}

/** Production and energy per unit, with a daily regression when there are days enough. */
function productionOf(
  g: MeterGrid,
  productionTag: MeterSeries | undefined,
  prod: { v: Float64Array; c: Float32Array } | undefined,
  totalsDays: DayTotalOnGrid[],
  totalKwh: number,
  notes: string[],
): EnergyResult['production'] {
  const { n, minCov } = g;
  let production: EnergyResult['production'];
  if (prod && productionTag) {
    let units = 0;
    for (let i = 0; i < n; i++) units += prod.v[i]!;
    describeMeterEvents(productionTag, notes);
    const full = totalsDays.filter((d) => d.coverage >= minCov && d.units !== undefined);
    let model: NonNullable<EnergyResult['production']>['model'];
    if (full.length >= 5) {
      const reg = multipleRegression(
        full.map((d) => [d.units!]),
        full.map((d) => d.kwh),
      );
      const pred = full.map((d) => reg.predict([d.units!]));
      model = {
        fixedKwhPerDay: reg.coefficients[0]!,
        kwhPerUnit: reg.coefficients[1]!,
        r2: r2Of(
          full.map((d) => d.kwh),
          pred,
        ),
        days: full.length,
      };
    }
    production = { tag: productionTag.tag, units, kwhPerUnit: units > 0 ? totalKwh / units : Number.NaN, ...(model ? { model } : {}) };
  }
  return production;
}

/** Sub-meters: energy, share of the main meter, and idle energy when production is known. */
function subMeterTotals(
  g: MeterGrid,
  subs: MeterSeries[] | undefined,
  producing: Uint8Array | undefined,
  totalKwh: number,
): EnergyResult['subMeters'] {
  const { n } = g;
  let subMeters: EnergyResult['subMeters'];
  if (subs?.length) {
    subMeters = subs.map((s) => {
      const S = onGrid(s, g);
      let e = 0;
      let ie = 0;
      let ic = 0;
      for (let i = 0; i < n; i++) {
        e += S.v[i]!;
        if (producing && !producing[i]) {
          ie += S.v[i]!;
          ic += S.c[i]!;
        }
      }
      return {
        tag: s.tag,
        kwh: e,
        share: totalKwh > 0 ? e / totalKwh : 0,
        ...(producing && ic > 0 ? { idleKwh: ie, idleMeanKw: ie / (ic / HOUR) } : {}),
      };
    });
    subMeters.sort((a, b) => b.kwh - a.kwh);
  }
  return subMeters;
}

/** Reconciliation of other measurements of the same supply with the main meter. */
function reconcile(g: MeterGrid, checks: EnergyInput['checks'], mainTag: string, notes: string[]): EnergyResult['reconciliation'] {
  const { n, kwh, cov } = g;
  let reconciliation: EnergyResult['reconciliation'];
  if (checks?.length) {
    reconciliation = checks.map((c) => {
      const C = onGrid(c, g);
      let a = 0;
      let b = 0;
      for (let i = 0; i < n; i++) {
        if (cov[i]! >= 0.99 * MINUTE && C.c[i]! >= 0.99 * MINUTE) {
          a += C.v[i]!;
          b += kwh[i]!;
        }
      }
      return { tag: c.tag, kind: c.kind, kwh: a, mainKwh: b, difference: b > 0 ? a / b - 1 : Number.NaN };
    });
    for (const r of reconciliation) {
      if (Math.abs(r.difference) > 0.02)
        notes.push(
          `${r.tag} (${r.kind}) differs from ${mainTag} by ${(r.difference * 100).toFixed(1)}% over the minutes both measured: check the meters' units and scaling`,
        );
    }
  }
  return reconciliation;
}

function r2Of(y: number[], pred: number[]): number {
  const m = mean(y);
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < y.length; i++) {
    sse += (y[i]! - pred[i]!) ** 2;
    sst += (y[i]! - m) ** 2;
  }
  return sst > 0 ? 1 - sse / sst : 0;
}

function argmax(x: number[]): number {
  let k = -1;
  for (let i = 0; i < x.length; i++) if (k < 0 || x[i]! > x[k]!) k = i;
  return k;
}

/** The n highest demand values whose windows do not overlap (rolling demand repeats one event otherwise). */
function topDistinct(kw: number[], at: number[], count: number, windowMs: number): { kw: number; at: number }[] {
  const idx = kw.map((_, i) => i).sort((a, b) => kw[b]! - kw[a]!);
  const out: { kw: number; at: number }[] = [];
  for (const i of idx) {
    if (out.length >= count) break;
    if (out.some((o) => Math.abs(o.at - at[i]!) < windowMs)) continue;
    out.push({ kw: kw[i]!, at: at[i]! });
  }
  return out;
}

interface HourMean {
  day: number;
  hour: number;
  weekday: number;
  kw: number;
  start: number;
  minute0: number;
}

/** Mean kW per local clock hour with enough coverage. */
function hourlyMeans(kwh: Float64Array, cov: Float32Array, cal: MinuteCalendar, minCov: number): HourMean[] {
  const out: HourMean[] = [];
  let i = 0;
  const n = kwh.length;
  while (i < n) {
    const d = cal.day[i]!;
    const h = cal.hour(i);
    let j = i;
    let e = 0;
    let c = 0;
    while (j < n && cal.day[j] === d && cal.hour(j) === h) {
      e += kwh[j]!;
      c += cov[j]!;
      j++;
    }
    if (c >= minCov * 60 * MINUTE)
      out.push({ day: d, hour: h, weekday: cal.weekday(i), kw: e / (c / HOUR), start: cal.start + i * MINUTE, minute0: i });
    i = j;
  }
  return out;
}

function describeMeterEvents(m: MeterSeries, notes: string[]): void {
  const c = m.counts;
  const say = (k: keyof typeof c, text: string) => {
    if (c[k] > 0) notes.push(`${m.tag}: ${c[k]} ${text}`);
  };
  say('non-numeric', 'non-numeric readings skipped');
  say('bad-quality', 'readings with bad quality skipped');
  say('late', 'readings older than the previous one skipped (the capture is not in time order for this tag)');
  say('duplicate', 'readings with a repeated timestamp skipped (the first was kept)');
  say('negative', 'negative interval energies skipped');
  say('rollover', 'counter rollovers handled');
  say('reset', 'counter resets (the energy between the readings around each reset is unknown and counted as zero)');
  say('glitch', 'odd counter readings dropped (the next reading returned to the old count)');
  say('jump', 'counter steps over 1000 times the usual rate, confirmed by the next reading (counted)');
  if (c.gap > 0) {
    const kind =
      m.kind === 'power'
        ? `not integrated (gap limit ${sig(m.maxGapMs / MINUTE)} min)`
        : m.kind === 'counter'
          ? 'counter differences spread evenly over each gap'
          : 'no readings';
    notes.push(`${m.tag}: ${c.gap} gap${c.gap > 1 ? 's' : ''} totalling ${sig(m.gapMs / HOUR)} h: ${kind}`);
  }
}

function tariffCost(
  t: Tariff,
  kwh: Float64Array,
  cov: Float32Array,
  cal: MinuteCalendar,
  g: Grid,
  demandKw: number[],
  demandAt: number[],
  method: 'block' | 'rolling',
  pfMonthly: Map<string, { p: number; q: number }>,
  D: number,
  notes: string[],
): NonNullable<EnergyResult['cost']> {
  const byRule = new Map<string, { kwh: number; cost: number }>();
  const monthly = new Map<string, { energy: number; demand: number; fixed: number; reactive: number; billedPeakKw: number }>();
  const month = (i: number) => monthLabel(cal.day[i]!);
  let missing = 0;
  let missingAt = -1;
  for (let i = 0; i < kwh.length; i++) {
    if (cov[i]! <= 0) continue;
    const day = cal.day[i]!;
    const mo = civilFromDays(day).month;
    const rule = energyRuleAt(t, cal.weekday(i), cal.minuteOfDay[i]!, mo);
    const m = month(i);
    let a = monthly.get(m);
    if (!a) monthly.set(m, (a = { energy: 0, demand: 0, fixed: t.fixed_per_month, reactive: 0, billedPeakKw: 0 }));
    if (!rule) {
      missing++;
      if (missingAt < 0) missingAt = i;
      continue;
    }
    const c = kwh[i]! * rule.price;
    a.energy += c;
    let r = byRule.get(rule.name);
    if (!r) byRule.set(rule.name, (r = { kwh: 0, cost: 0 }));
    r.kwh += kwh[i]!;
    r.cost += c;
  }
  if (missing > 0) {
    const i = missingAt;
    throw new Error(
      `the tariff has no energy price for ${['Sundays', 'Mondays', 'Tuesdays', 'Wednesdays', 'Thursdays', 'Fridays', 'Saturdays'][cal.weekday(i)]} at ${String(cal.hour(i)).padStart(2, '0')}:${String(cal.minuteOfDay[i]! % 60).padStart(2, '0')} (${missing} minutes unpriced); add a last rule without days or hours as the default`,
    );
  }
  if (t.demand) {
    if (Math.round(t.demand.interval / MINUTE) !== D)
      notes.push(
        `the tariff bills ${t.demand.interval / MINUTE}-minute demand; the demand figures and the bill use ${D} minutes (--demand-interval)`,
      );
    if (t.demand.method !== method)
      notes.push(`the tariff bills ${t.demand.method} demand; the demand figures and the bill use ${method} demand (--demand)`);
    for (let k = 0; k < demandKw.length; k++) {
      const i = Math.round((demandAt[k]! - g.origin) / MINUTE);
      if (i < 0 || i >= cal.length) continue;
      if (!demandBilledAt(t, cal.weekday(i), cal.minuteOfDay[i]!)) continue;
      const a = monthly.get(month(i));
      if (a && demandKw[k]! > a.billedPeakKw) a.billedPeakKw = demandKw[k]!;
    }
    for (const a of monthly.values()) a.demand = a.billedPeakKw * t.demand.price;
  }
  if (t.reactive) {
    for (const [m, a] of monthly) {
      const pq = pfMonthly.get(m);
      if (pq) a.reactive = Math.max(0, pq.q - t.reactive.free_ratio * pq.p) * t.reactive.price;
    }
  }
  const rows = [...monthly.entries()].map(([m, a]) => ({ month: m, ...a, total: a.energy + a.demand + a.fixed + a.reactive }));
  const sumOf = (k: 'energy' | 'demand' | 'fixed' | 'reactive') => rows.reduce((s, r) => s + r[k], 0);
  return {
    currency: t.currency,
    total: rows.reduce((s, r) => s + r.total, 0),
    energy: sumOf('energy'),
    demand: sumOf('demand'),
    fixed: sumOf('fixed'),
    reactive: sumOf('reactive'),
    byRule: [...byRule.entries()].map(([name, r]) => ({ name, ...r })),
    monthly: rows,
  };
}

/** The baseline drivers a day can have, in the order they are offered to the selection. */
const DRIVERS = ['units', 'workday', 'operatingHours', 'hdd', 'cdd'] as const;

function driversOf(d: DayTotal): Record<string, number> {
  const x: Record<string, number> = { workday: d.workday ? 1 : 0 };
  if (d.units !== undefined) x.units = d.units;
  if (d.operatingHours !== undefined) x.operatingHours = d.operatingHours;
  if (d.hdd !== undefined) x.hdd = d.hdd;
  if (d.cdd !== undefined) x.cdd = d.cdd;
  return x;
}

function comparePeriods(
  periods: NonNullable<EnergyOptions['periods']>,
  days: (DayTotal & { _d: number })[],
  blockKw: number[],
  blockAt: number[],
  minCov: number,
  opts: EnergyOptions,
  hasProduction: boolean,
  hasTemperature: boolean,
  notes: string[],
): NonNullable<EnergyResult['baselines']> {
  const tz = opts.tz ?? 'UTC';
  // a day belongs to a period when its local midday does
  const inP = (d: { _d: number }, p: [number, number]) => {
    const mid = d._d * DAY + DAY / 2;
    return mid >= localDayMs(p[0], tz) && mid < localDayMs(p[1], tz);
  };
  const stats = (name: 'baseline' | 'report', p: [number, number]) => {
    const inside = days.filter((d) => inP(d, p));
    const ds = inside.filter((d) => d.coverage >= minCov);
    const kw = blockKw.filter((_, k) => blockAt[k]! >= p[0] && blockAt[k]! < p[1]);
    const e = ds.reduce((s, d) => s + d.kwh, 0);
    const u = ds.reduce((s, d) => s + (d.units ?? 0), 0);
    if (inside.length > ds.length)
      notes.push(
        `${name} period: ${inside.length - ds.length} day${inside.length - ds.length > 1 ? 's' : ''} measured less than ${(minCov * 100).toFixed(0)}% of the calendar day left out of its figures`,
      );
    return {
      name,
      from: p[0],
      to: p[1],
      days: ds.length,
      kwhPerDay: ds.length ? e / ds.length : Number.NaN,
      ...(hasProduction && u > 0 ? { kwhPerUnit: e / u } : {}),
      baseLoadKw: kw.length ? quantile(kw, 0.05) : Number.NaN,
      peakKw: kw.length ? Math.max(...kw) : Number.NaN,
      _days: ds,
    };
  };
  const b = stats('baseline', periods.baseline);
  const r = stats('report', periods.report);
  const rel = (a: number, c: number) => (Number.isFinite(a) && Number.isFinite(c) && a !== 0 ? c / a - 1 : Number.NaN);
  const out: NonNullable<EnergyResult['baselines']> = {
    periods: [b, r].map(({ _days, ...x }) => x),
    change: {
      kwhPerDay: rel(b.kwhPerDay, r.kwhPerDay),
      ...(b.kwhPerUnit !== undefined && r.kwhPerUnit !== undefined ? { kwhPerUnit: rel(b.kwhPerUnit, r.kwhPerUnit) } : {}),
      baseLoadKw: rel(b.baseLoadKw, r.baseLoadKw),
      peakKw: rel(b.peakKw, r.peakKw),
    },
  };
  if (b.days < 7) {
    notes.push(
      `the baseline period has ${b.days} fully measured days; a regression baseline needs at least 7 (ASHRAE Guideline 14 asks for a full cycle of operation)`,
    );
    return out;
  }
  if (r.days < 1) return out;
  // Regression baseline: daily kWh against the drivers the data offer, chosen out of sample.
  const hasHours = days.some((d) => d.operatingHours !== undefined);
  const candidates = DRIVERS.filter((k) =>
    k === 'units' ? hasProduction : k === 'hdd' || k === 'cdd' ? hasTemperature : k === 'operatingHours' ? hasHours : true,
  );
  const toDay = (d: DayTotal & { _d: number }): BaselineDay => ({ day: d._d, kwh: d.kwh, drivers: driversOf(d) });
  const baseDays = b._days.map(toDay);
  const model = fitBaseline(baseDays, candidates, 'daily');
  const repDays = r._days.map(toDay);
  const missing = model.drivers.filter((k) => repDays.some((d) => !Number.isFinite(d.drivers[k])));
  if (missing.length) {
    notes.push(`the report period lacks ${missing.join(', ')} on some days: no regression savings`);
    return out;
  }
  const predicted = repDays.reduce((s, d) => s + model.predict(d), 0);
  const actual = repDays.reduce((s, d) => s + d.kwh, 0);
  const savings = predicted - actual;
  out.regression = {
    drivers: model.drivers,
    considered: model.considered,
    coefficients: model.coefficients,
    days: model.days,
    g14: model.g14,
    reportDays: repDays.length,
    predictedKwh: predicted,
    actualKwh: actual,
    savingsKwh: savings,
    normalisedSavings: predicted > 0 ? savings / predicted : Number.NaN,
    savingsUncertaintyKwh: savingsUncertainty(model, baseDays, repDays.length, predicted),
  };
  const g = model.g14;
  if (!g.passes)
    notes.push(
      `the regression baseline does not meet ASHRAE Guideline 14 (cross-validated CV(RMSE) ${(g.crossValidated.cvRmse * 100).toFixed(1)}%, NMBE ${(g.crossValidated.nmbe * 100).toFixed(1)}%): treat its savings as indicative`,
    );
  return out;
}

/** Local day number (days since 1970) of an instant, as ms of that local midnight in "day units". */
function localDayMs(ms: number, tz: string): number {
  const cal = new MinuteCalendar(Math.floor(ms / MINUTE) * MINUTE, 1, tz);
  return cal.day[0]! * DAY + cal.minuteOfDay[0]! * MINUTE;
}

interface OppInput {
  idle: EnergyResult['idle'];
  offShift: EnergyResult['offShift'];
  totalKwh: number;
  annual: (x: number) => number;
  idleKws: number[];
  hourly: HourMean[];
  producing: Uint8Array | undefined;
  cal: MinuteCalendar;
  opts: EnergyOptions;
  cost: EnergyResult['cost'];
  peak: { kw: number; at: number } | undefined;
  monthlyPeak: Map<string, { kw: number; at: number }>;
  blockKw: number[];
  blockAt: number[];
  origin: number;
  D: number;
  powerFactor: EnergyResult['powerFactor'];
  avgKw: number;
  subMeters: EnergyResult['subMeters'];
  spanDays: number;
}

function avgPrice(cost: EnergyResult['cost'], totalKwh: number): number | undefined {
  if (!cost || totalKwh <= 0) return undefined;
  return cost.energy / totalKwh;
}

function mwh(kwh: number): string {
  return kwh >= 10_000 ? `${grouped(kwh / 1000)} MWh` : `${grouped(kwh)} kWh`;
}

/** Savings opportunities with their size, largest first. Targets are levels the plant already reaches (documented in docs/analysis.md). */
function rankOpportunities(o: OppInput): Opportunity[] {
  const out: Omit<Opportunity, 'rank'>[] = [];
  const price = avgPrice(o.cost, o.totalKwh);
  const money = (kwh: number) => (price !== undefined ? kwh * price : undefined);
  const cur = o.cost?.currency ?? '';
  const costText = (c: number | undefined) => (c !== undefined ? ` (about ${grouped(c)} ${cur} a year at the average energy price)` : '');

  // 1. Base load while nothing is produced (or off-shift): target = the 10th percentile of those hours.
  const idleHours = o.hourly.filter((h) => (o.producing ? !o.producing[h.minute0] : false));
  const offHours = o.opts.shifts?.length ? o.hourly.filter((h) => !isShiftHour(h, o)) : [];
  const base =
    o.idle && idleHours.length >= 12
      ? { kind: 'idle-base-load' as const, label: 'idle', hours: idleHours, agg: o.idle }
      : o.offShift && offHours.length >= 12
        ? { kind: 'off-shift-base-load' as const, label: 'off-shift', hours: offHours, agg: o.offShift }
        : undefined;
  if (base) {
    const target = quantile(
      base.hours.map((h) => h.kw),
      0.1,
    );
    const saveKw = base.agg.meanKw - target;
    if (saveKw > 0) {
      const perYear = o.annual(saveKw * base.agg.hours);
      const c = money(perYear);
      out.push({
        kind: base.kind,
        title: `${base.label} base load`,
        kwhPerYear: perYear,
        ...(c !== undefined ? { costPerYear: c } : {}),
        statement: `${base.label} base load ${sig(base.agg.meanKw)} kW is ${(base.agg.share * 100).toFixed(0)}% of all energy; bringing it to ${sig(target)} kW (the lowest 10% of ${base.label} hours, already reached) saves ${mwh(perYear)} a year${costText(c)}`,
      });
    }
  }

  // 2. Peak demand: each month's billed peak down to that month's 98th percentile of demand intervals.
  if (o.blockKw.length >= 96 && o.peak) {
    const byMonth = new Map<string, number[]>();
    for (let k = 0; k < o.blockKw.length; k++) {
      const i = Math.min(o.cal.length - 1, Math.max(0, Math.round((o.blockAt[k]! - o.origin) / MINUTE)));
      const m = monthLabel(o.cal.day[i]!);
      let a = byMonth.get(m);
      if (!a) byMonth.set(m, (a = []));
      a.push(o.blockKw[k]!);
    }
    let kwMonths = 0;
    let months = 0;
    let maxCut = 0;
    for (const [m, arr] of byMonth) {
      const p98 = quantile(arr, 0.98);
      const pk = o.monthlyPeak.get(m)?.kw ?? 0;
      kwMonths += Math.max(0, pk - p98);
      maxCut = Math.max(maxCut, pk - p98);
      months++;
    }
    const price = o.opts.tariff?.demand?.price;
    const perYear = price !== undefined && months > 0 ? (kwMonths / months) * 12 * price : undefined;
    // a cut under 5% of the peak is not worth a project (or a line in the report)
    if (maxCut > 0.05 * o.peak.kw) {
      out.push({
        kind: 'peak-demand',
        title: 'peak demand',
        kwhPerYear: 0,
        ...(perYear !== undefined ? { costPerYear: perYear } : {}),
        statement: `the highest ${o.D}-minute demand ${sig(o.peak.kw)} kW is ${sig(maxCut)} kW above the month's 98th percentile; shaving the peaks to that level cuts the billed demand by ${sig(kwMonths / Math.max(1, months))} kW a month on average${perYear !== undefined ? `, about ${grouped(perYear)} ${cur} a year` : ' (give a tariff with a demand charge to price it)'}`,
      });
    }
  }

  // 3. Power factor below 0.95: the capacitor bank that brings it there.
  if (o.powerFactor && o.powerFactor.overall < 0.95) {
    const pf = o.powerFactor.overall;
    const kvar = o.avgKw * (Math.tan(Math.acos(pf)) - Math.tan(Math.acos(0.95)));
    const reactiveCost = o.cost?.reactive ?? 0;
    const perYear = o.cost ? (reactiveCost * 365.25) / Math.max(1, o.spanDays) : undefined;
    out.push({
      kind: 'power-factor',
      title: 'power factor',
      kwhPerYear: 0,
      ...(perYear !== undefined ? { costPerYear: perYear } : {}),
      statement: `power factor ${pf.toFixed(2)}: about ${sig(kvar)} kvar of correction at the average load brings it to 0.95${perYear !== undefined && perYear > 0 ? `, avoiding about ${grouped(perYear)} ${cur} a year of reactive charges` : ''}`,
    });
  }

  // 4. Sub-meters drawing power while nothing is produced.
  for (const s of o.subMeters ?? []) {
    if (s.idleKwh === undefined || s.idleMeanKw === undefined || s.idleKwh <= 0) continue;
    const perYear = o.annual(s.idleKwh);
    if (perYear < 0.01 * o.annual(o.totalKwh)) continue;
    const c = money(perYear);
    out.push({
      kind: 'sub-meter-idle',
      title: `${s.tag} while idle`,
      kwhPerYear: perYear,
      ...(c !== undefined ? { costPerYear: c } : {}),
      statement: `${s.tag} draws ${sig(s.idleMeanKw)} kW on average while nothing is produced: ${mwh(perYear)} a year${costText(c)}`,
    });
  }
  // Rank by money when priced, else by energy.
  out.sort((a, b) => (b.costPerYear ?? 0) - (a.costPerYear ?? 0) || b.kwhPerYear - a.kwhPerYear);
  const ranked: Opportunity[] = out.map((x, i) => ({ rank: i + 1, ...x }));
  // A machine's draw while idle is part of the plant's idle (or off-shift) base load: the two sizes
  // count the same kWh, so each names the other and the reports say not to add them.
  const plantWide = ranked.filter((o) => o.kind === 'idle-base-load' || o.kind === 'off-shift-base-load');
  const machines = ranked.filter((o) => o.kind === 'sub-meter-idle');
  for (const o of plantWide) if (machines.length) o.overlaps = machines.map((x) => x.rank);
  for (const o of machines) if (plantWide.length) o.overlaps = plantWide.map((x) => x.rank);
  return ranked;
}

function isShiftHour(h: HourMean, o: OppInput): boolean {
  const shifts = o.opts.shifts ?? [];
  const workdays = o.opts.workdays ?? [1, 2, 3, 4, 5];
  const mod = h.hour * 60 + 30;
  return shifts.some(
    (s) => inWindow(mod, s.window) && workdays.includes(s.window.from > s.window.to && mod < s.window.to ? (h.weekday + 6) % 7 : h.weekday),
  );
}

function summaryStatements(r: EnergyResult): string[] {
  const s: string[] = [];
  s.push(
    `${mwh(r.totals.kwh)} over ${sig(r.period.days)} days (${(r.meter.coverage * 100).toFixed(1)}% of the time measured), average ${sig(r.demand.averageKw)} kW`,
  );
  if (r.demand.peak)
    s.push(
      `peak ${r.demand.intervalMinutes}-minute demand ${sig(r.demand.peak.kw)} kW (${r.demand.method}); load factor ${r.demand.loadFactor !== undefined ? r.demand.loadFactor.toFixed(2) : 'n/a'}`,
    );
  s.push(`base load ${sig(r.baseLoad.primaryKw)} kW (${r.baseLoad.estimators[0]?.description ?? r.baseLoad.primary})`);
  if (r.idle)
    s.push(
      `${mwh(r.idle.kwh)} (${(r.idle.share * 100).toFixed(0)}%) used while nothing was produced, at ${sig(r.idle.meanKw)} kW on average`,
    );
  if (r.offShift) s.push(`${mwh(r.offShift.kwh)} (${(r.offShift.share * 100).toFixed(0)}%) used outside the shifts`);
  if (r.powerFactor) s.push(`power factor ${r.powerFactor.overall.toFixed(3)} (from kWh and kvarh)`);
  if (r.cost)
    s.push(
      `cost ${grouped(r.cost.total)} ${r.cost.currency} (energy ${grouped(r.cost.energy)}, demand ${grouped(r.cost.demand)}, fixed ${grouped(r.cost.fixed)}, reactive ${grouped(r.cost.reactive)})`,
    );
  if (r.co2e) s.push(`${grouped(r.co2e.kg / 1000, 1)} t CO2e at ${r.co2e.kgPerKwh} kg/kWh`);
  if (r.production) s.push(`${grouped(r.production.units)} units produced, ${sig(r.production.kwhPerUnit)} kWh per unit`);
  return s;
}
