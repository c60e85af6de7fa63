/**
 * `iiot analyze degradation`: for each health indicator (a trend tag such as a vibration RMS or a
 * bearing temperature, an indicator computed from a raw signal, or a fused health index): windowed
 * values, a healthy baseline, the onset of degradation, trend models with goodness of fit, a forecast
 * band, the remaining useful life to a threshold with an interval, and one statement a maintenance
 * planner reads. Pure: indicator series in, result object out (docs/analysis.md).
 */

import { convert, lookupUnit } from '../core/units.js';
import { aboutHours, intervalHours, localTime, sig, signedPercent, spanHours } from './format.js';
import { zoneOf, zoneTable, type Foundation, type MachineGroup, type Zone, type ZoneBoundary } from './iso10816.js';
import {
  detectOnset,
  estimateBaseline,
  ONSET_DEFAULTS,
  type Baseline,
  type BaselineOptions,
  type Onset,
  type OnsetOptions,
} from './onset.js';
import { firstPassageRul } from './rul.js';
import { sliceTime, typicalSpacing, windowed, type Series, type WindowStat } from './series.js';
import { median } from './stats.js';
import { fitTrend, forecastAt, HOUR, rulToThreshold, type TrendFit, type TrendKind } from './trend.js';

export type IndicatorQuantity =
  | 'value'
  | 'rms'
  | 'peak'
  | 'crest-factor'
  | 'kurtosis'
  | 'skewness'
  | 'envelope'
  | 'band-energy'
  | 'health-index';

export interface IndicatorInput {
  /** display name: the tag, or "tag:kurtosis" for an indicator computed from a raw signal */
  name: string;
  tag: string;
  unit?: string;
  quantity: IndicatorQuantity;
  /** cleaned, time-ordered points (epoch ms) */
  series: Series;
  /** handlings of bad input already applied (named in the report) */
  notes?: string[];
  /** scale of the onset detector: 'log' for levels, 'linear' for indices in sigma units */
  scale?: 'log' | 'linear';
  /** the machine's running flag said "stopped" from this time to the end of the capture */
  stoppedSince?: number;
  runningTag?: string;
}

export type ThresholdSpec =
  | { kind: 'value'; value: number; unit?: string }
  | { kind: 'zone'; boundary: ZoneBoundary }
  | { kind: 'baseline'; factor: number };

export interface DegradationOptions {
  /** window of the indicator statistic; default: automatic (autoWindow: from the sampling and the span) */
  windowMs?: number;
  /** windows start here (default: the first sample) */
  origin?: number;
  stat?: WindowStat;
  baseline?: BaselineOptions;
  onset?: OnsetOptions;
  threshold?: ThresholdSpec;
  iso?: { group: MachineGroup; foundation: Foundation };
  /** "change over the last ..." (default 48 h) */
  changeWindowMs?: number;
  /** interval level (default 0.8) */
  level?: number;
  /** trend window when there is no onset (default: the last quarter of the record, at least 24 h if the record is longer) */
  trendWindowMs?: number;
  /** the time of the analysis (default: the last point) */
  now?: number;
  tz?: string;
  /** significance level of the trend test (default 0.05) */
  alpha?: number;
  /** widening of the remaining-life interval in log time (rul.ts, RUL_SPREAD) */
  spread?: number;
}

export type DegradationStatus = 'healthy' | 'watch' | 'degrading' | 'above-threshold' | 'insufficient-data';

export interface TrendSummary {
  kind: TrendKind;
  from: number;
  to: number;
  n: number;
  r2: number;
  rmse: number;
  /** per hour: units (linear) or relative growth (exponential) */
  rate: number;
  /** per day, relative to the current level: comparable between models */
  relativePerDay: number;
  pValue: number;
  significant: boolean;
  /** RUL to the threshold by extrapolating this model (hours), for comparison */
  rulHours?: number;
  rulLo?: number;
  rulHi?: number;
}

export interface RulResult {
  status: 'estimated' | 'no-trend' | 'above-threshold' | 'beyond-horizon' | 'no-threshold' | 'insufficient-data';
  method?: 'first-passage' | TrendKind;
  hours?: number;
  lo?: number;
  hi?: number;
  level: number;
  /** when the estimate was made from (epoch ms) */
  from: number;
  /** expected crossing time and its interval (epoch ms) */
  at?: number;
  atLo?: number;
  atHi?: number;
}

export interface ThresholdResult {
  /** in the indicator's unit */
  value: number;
  unit?: string;
  label: string;
  source: ThresholdSpec['kind'];
}

export interface IndicatorResult {
  name: string;
  tag: string;
  unit?: string;
  quantity: IndicatorQuantity;
  samples: number;
  from: number;
  to: number;
  windowMs: number;
  stat: WindowStat;
  /** the windowed indicator (window END times) */
  points: { t: number[]; v: number[] };
  baseline?: Baseline;
  current?: { value: number; at: number; zone?: Zone };
  change?: { hours: number; fraction: number };
  onset?: Onset;
  threshold?: ThresholdResult;
  trends: TrendSummary[];
  /** the model drawn as the forecast band */
  forecast?: { model: TrendKind; level: number; points: { t: number; mean: number; lo: number; hi: number }[] };
  rul: RulResult;
  status: DegradationStatus;
  statement: string;
  notes: string[];
  /** from the running flag: stopped from this time to the end of the capture */
  stoppedSince?: number;
}

/** The indicators of one machine or measurement point, and the verdict they give together. */
export interface AssetSummary {
  name: string;
  indicators: string[];
  /** the worst status of its indicators */
  status: DegradationStatus;
  /** the earliest onset alarm among its indicators */
  onset?: { alarmAt: number; startedAt: number; indicator: string };
}

export interface DegradationResult {
  indicators: IndicatorResult[];
  assets?: AssetSummary[];
  iso?: { group: MachineGroup; foundation: Foundation; boundaries: Record<ZoneBoundary, number>; standard: string };
  parameters: {
    level: number;
    onset: Record<string, number | string>;
    changeWindowHours: number;
    baseline: string;
  };
}

/**
 * The analysis window, from the data's sampling and span, so that the same defaults serve a
 * 40-minute rig run sampled every 10 s and months of hourly route readings: a whole number of
 * sample spacings, at least six (a median over six readings shrugs off a spike) and enough to
 * cut the record into at most about 2000 windows; a record too short for 40 such windows gets
 * shorter ones (at least one spacing). Windows are aligned to the first sample. The window is the
 * time unit of the onset detector and of the remaining-life model, so stretching a record's time
 * axis (the same run recorded ten times slower) changes none of the results but their units.
 */
export function autoWindow(s: Series): number {
  const n = s.t.length;
  if (n < 2) return HOUR;
  const span = s.t[n - 1]! - s.t[0]!;
  const spacing = typicalSpacing(s.t);
  if (!(spacing > 0)) return HOUR;
  let k = Math.max(6, Math.ceil(span / (2000 * spacing)));
  if (span / (k * spacing) < 40) k = Math.max(1, Math.floor(span / (40 * spacing)));
  return k * spacing;
}

/** The threshold in the indicator's unit; throws a usage-style Error message for impossible combinations. */
export function resolveThreshold(
  spec: ThresholdSpec,
  input: IndicatorInput,
  baseline: Baseline | undefined,
  iso: DegradationOptions['iso'],
): ThresholdResult {
  if (spec.kind === 'baseline') {
    if (!baseline) throw new Error(`${input.name}: no baseline, so no threshold of ${spec.factor} x baseline`);
    return {
      value: baseline.level * spec.factor,
      ...(input.unit ? { unit: input.unit } : {}),
      label: `${spec.factor} x baseline`,
      source: 'baseline',
    };
  }
  if (spec.kind === 'zone') {
    const table = zoneTable(iso?.group ?? 2, iso?.foundation ?? 'rigid');
    const mmS = table.boundaries[spec.boundary];
    const unit = input.unit ?? 'mm/s';
    const u = lookupUnit(unit);
    if (!u || u.dimension !== 'velocity') {
      throw new Error(
        `${input.name}: zone thresholds are vibration velocities (mm/s), but this indicator is in ${input.unit ?? 'no unit'}`,
      );
    }
    return { value: convert(mmS, 'mm/s', unit), unit, label: `zone ${spec.boundary}`, source: 'zone' };
  }
  let value = spec.value;
  if (spec.unit !== undefined && input.unit !== undefined) value = convert(spec.value, spec.unit, input.unit);
  return {
    value,
    ...((input.unit ?? spec.unit) ? { unit: (input.unit ?? spec.unit)! } : {}),
    label: `${sig(spec.value)} ${spec.unit ?? input.unit ?? ''}`.trim(),
    source: 'value',
  };
}

/** Whether a threshold can be compared with this indicator (same physical dimension). */
export function thresholdApplies(spec: ThresholdSpec, input: IndicatorInput): boolean {
  if (spec.kind === 'baseline') return true;
  const u = input.unit ? lookupUnit(input.unit) : undefined;
  if (spec.kind === 'zone') return u?.dimension === 'velocity' || (input.unit === undefined && input.quantity === 'value');
  if (spec.unit === undefined) return true;
  const t = lookupUnit(spec.unit);
  return u === undefined ? input.unit === undefined : t?.dimension === u.dimension;
}

export function analyzeIndicator(input: IndicatorInput, opts: DegradationOptions = {}): IndicatorResult {
  const level = opts.level ?? 0.8;
  const tz = opts.tz ?? 'UTC';
  const stat = opts.stat ?? 'median';
  const notes = [...(input.notes ?? [])];
  const raw = input.series;
  const windowMs = opts.windowMs ?? autoWindow(raw);
  const w = windowed(raw, windowMs, stat, opts.origin ?? raw.t[0] ?? 0);
  const n = w.t.length;
  const base: IndicatorResult = {
    name: input.name,
    tag: input.tag,
    ...(input.unit ? { unit: input.unit } : {}),
    quantity: input.quantity,
    samples: raw.t.length,
    from: raw.t[0] ?? Number.NaN,
    to: raw.t[raw.t.length - 1] ?? Number.NaN,
    windowMs,
    stat,
    points: { t: Array.from(w.t), v: Array.from(w.v) },
    trends: [],
    ...(input.stoppedSince !== undefined ? { stoppedSince: input.stoppedSince } : {}),
    rul: { status: 'insufficient-data', level, from: raw.t[raw.t.length - 1] ?? Number.NaN },
    status: 'insufficient-data',
    statement: '',
    notes,
  };
  const label = input.name;
  if (n < 10) {
    base.statement = `${label}: too little data for a trend (${raw.t.length} samples in ${n} windows of ${spanHours(windowMs / HOUR)}; at least 10 windows are needed).`;
    return base;
  }
  const now = opts.now ?? w.t[n - 1]!;
  const baseline = estimateBaseline(w, { ...(opts.baseline ?? {}), scale: input.scale ?? opts.baseline?.scale ?? 'log' });
  if (!baseline) {
    base.statement = `${label}: the baseline period holds fewer than 10 windows; give a longer one (--baseline).`;
    return base;
  }
  base.baseline = baseline;
  const onset = detectOnset(w, baseline, { unitMs: windowMs, ...(opts.onset ?? {}) });
  if (onset) base.onset = onset;

  // Current value: median of the last three windows (one window can be a spike).
  const last = Array.from(w.v.subarray(Math.max(0, n - 3)));
  const current = median(last);
  base.current = { value: current, at: w.t[n - 1]! };
  const vel = input.unit ? lookupUnit(input.unit) : undefined;
  const iso = opts.iso ? zoneTable(opts.iso.group, opts.iso.foundation) : undefined;
  if (iso && vel?.dimension === 'velocity' && input.unit) base.current.zone = zoneOf(convert(current, input.unit, 'mm/s'), iso);

  // Change over the last changeWindow (48 h, or a quarter of a shorter record): median of three windows then vs now.
  const span = w.t[n - 1]! - w.t[0]!;
  const changeMs =
    opts.changeWindowMs ?? (span >= 4 * 48 * HOUR ? 48 * HOUR : Math.max(windowMs, Math.round(span / 4 / windowMs) * windowMs));
  const then = sliceTime(w, now - changeMs - 1.5 * windowMs, now - changeMs + 1.5 * windowMs);
  if (then.v.length > 0 && w.t[0]! <= now - changeMs) {
    const before = median(then.v);
    if (before !== 0) base.change = { hours: changeMs / HOUR, fraction: current / before - 1 };
  }

  let threshold: ThresholdResult | undefined;
  if (opts.threshold) {
    if (thresholdApplies(opts.threshold, input)) {
      threshold = resolveThreshold(opts.threshold, input, baseline, opts.iso);
      base.threshold = threshold;
    } else {
      notes.push(
        `the threshold (${opts.threshold.kind === 'zone' ? `zone ${opts.threshold.boundary}, a vibration velocity` : `${opts.threshold.kind === 'value' ? `${opts.threshold.value} ${opts.threshold.unit ?? ''}` : ''}`.trim()}) does not apply to ${input.unit ?? 'a unitless indicator'}: no remaining life for this indicator`,
      );
    }
  }

  // Trend window: since the onset when there is one, else the recent quarter of the record (at least 24 windows when the record is long enough).
  const trendFrom = onset ? onset.startedAt : now - (opts.trendWindowMs ?? Math.max(Math.min(24 * windowMs, span / 2), span / 4));
  const tw = sliceTime(w, trendFrom, now + 1);
  const fits: TrendFit[] = [];
  for (const kind of ['linear', 'exponential'] as const) {
    const f = fitTrend(tw, kind, { alpha: opts.alpha ?? 0.05 });
    if (f) fits.push(f);
  }
  for (const f of fits) {
    const rel = f.kind === 'linear' ? (f.rate * 24) / (current || 1) : Math.exp(f.rate * 24) - 1;
    const ts: TrendSummary = {
      kind: f.kind,
      from: f.from,
      to: f.to,
      n: f.n,
      r2: f.r2,
      rmse: f.rmse,
      rate: f.rate,
      relativePerDay: rel,
      pValue: f.pValue,
      significant: f.significant,
    };
    if (threshold) {
      const r = rulToThreshold(f, threshold.value, { from: now, level });
      ts.rulHours = r.hours;
      ts.rulLo = r.lo;
      ts.rulHi = r.hi;
    }
    base.trends.push(ts);
  }
  const best = fits.slice().sort((a, b) => b.r2 - a.r2)[0];
  const bestSummary = base.trends.find((t) => t.kind === best?.kind);
  // A trend worth a word: significant, and rising by more than 0.5% of the level a day.
  const significant = fits.some((f) => f.significant) && bestSummary !== undefined && bestSummary.relativePerDay > 0.005;

  // Remaining life.
  const rul: RulResult = { status: 'no-threshold', level, from: now };
  if (threshold) {
    if (current >= threshold.value) {
      rul.status = 'above-threshold';
    } else if (onset) {
      const fp = firstPassageRul(w, baseline.level, threshold.value, {
        since: onset.startedAt,
        now,
        level,
        ...(opts.spread !== undefined ? { spread: opts.spread } : {}),
      });
      if (fp && Number.isFinite(fp.hours)) {
        Object.assign(rul, {
          status: 'estimated',
          method: 'first-passage',
          hours: fp.hours,
          lo: fp.lo,
          hi: fp.hi,
          at: now + fp.hours * HOUR,
          atLo: now + fp.lo * HOUR,
        });
        if (Number.isFinite(fp.hi)) rul.atHi = now + fp.hi * HOUR;
        else rul.hi = Infinity;
      } else if (fp) {
        rul.status = 'beyond-horizon';
        rul.method = 'first-passage';
      } else rul.status = 'insufficient-data';
    } else if (significant && best && best.significant) {
      const r = rulToThreshold(best, threshold.value, { from: now, level });
      if (Number.isFinite(r.hours)) {
        Object.assign(rul, {
          status: 'estimated',
          method: best.kind,
          hours: r.hours,
          lo: r.lo,
          hi: r.hi,
          at: now + r.hours * HOUR,
          atLo: now + r.lo * HOUR,
        });
        if (Number.isFinite(r.hi)) rul.atHi = now + r.hi * HOUR;
      } else rul.status = 'beyond-horizon';
    } else rul.status = 'no-trend';
  }
  base.rul = rul;

  // Forecast band of the best-fitting model (chart): to the RUL's high end or half the record ahead.
  if (best && (significant || onset)) {
    const ahead = Math.min(
      2 * span,
      Math.max(span / 2, rul.hi !== undefined && Number.isFinite(rul.hi) ? rul.hi * HOUR * 1.1 : 0, 6 * windowMs),
    );
    const pts: { t: number; mean: number; lo: number; hi: number }[] = [];
    for (let i = 0; i <= 40; i++) {
      const t = now + (ahead * i) / 40;
      pts.push({ t, ...forecastAt(best, t, level) });
    }
    base.forecast = { model: best.kind, level, points: pts };
  }

  base.status = rul.status === 'above-threshold' ? 'above-threshold' : onset ? 'degrading' : significant ? 'watch' : 'healthy';
  base.statement = statement(base, tz);
  return base;
}

function statement(r: IndicatorResult, tz: string): string {
  const unit = r.unit ? ` ${r.unit}` : '';
  const parts: string[] = [];
  const cur = r.current!;
  let head = `${r.name} ${sig(cur.value)}${unit}`;
  if (cur.zone) head += ` (zone ${cur.zone})`;
  if (r.stoppedSince !== undefined) head += ` when it last ran; stopped since ${localTime(r.stoppedSince, tz)}`;
  parts.push(head);
  if (r.change)
    parts.push(
      `${signedPercent(r.change.fraction)} over the last ${r.change.hours >= 1 && r.change.hours < 100 ? `${Math.round(r.change.hours)} h` : spanHours(r.change.hours)}`,
    );
  if (r.onset) parts.push(`degrading since about ${localTime(r.onset.startedAt, tz)} (onset confirmed ${localTime(r.onset.alarmAt, tz)})`);
  const th = r.threshold;
  const thText = th
    ? `${sig(th.value)}${th.unit ? ` ${th.unit}` : ''}${th.source === 'zone' ? ` (${th.label})` : th.source === 'baseline' ? ` (${th.label})` : ''}`
    : '';
  const pct = Math.round(r.rul.level * 100);
  switch (r.rul.status) {
    case 'above-threshold':
      parts.push(`already above ${thText}`);
      break;
    case 'estimated': {
      const how = r.rul.method === 'first-passage' ? '' : ` (${r.rul.method} trend, no onset yet)`;
      parts.push(`reaches ${thText} in ${aboutHours(r.rul.hours!)}, ${pct}% interval ${intervalHours(r.rul.lo!, r.rul.hi!)}${how}`);
      break;
    }
    case 'beyond-horizon':
      parts.push(`does not reach ${thText} within the forecast horizon at the present trend`);
      break;
    case 'no-trend': {
      const p = Math.min(...r.trends.map((t) => t.pValue));
      const rate = Math.max(...r.trends.map((t) => t.relativePerDay));
      parts.push(
        p < 0.05 && Number.isFinite(rate)
          ? `no degradation trend (the slope, ${signedPercent(rate, 2)}/day, is below 0.5% of the level a day)`
          : `no degradation trend (slope not significant${Number.isFinite(p) ? `, p = ${p.toFixed(2)}` : ''})`,
      );
      break;
    }
    case 'no-threshold':
      if (!r.onset) {
        const t = r.trends.find((x) => x.significant);
        parts.push(
          t ? `upward trend ${signedPercent(t.relativePerDay)}/day (${t.kind}, R² ${t.r2.toFixed(2)}), no onset` : 'no degradation trend',
        );
      }
      break;
    case 'insufficient-data':
      parts.push('too little data since the onset for a remaining-life estimate');
      break;
  }
  return `${parts.join('; ')}.`;
}

const FEATURE_SUFFIX = /[_\-\s](excess_?kurt(osis)?|kurt(osis)?|crest(_?factor)?|skew(ness)?|rms|peak|max|std)$/i;

/**
 * The machine or measurement point an indicator belongs to: what comes before the last "." or "/"
 * of its tag ("pump1.vibration" and "pump1.bearingTemp": pump1), else the tag without a feature
 * suffix ("Bearing1_ch1_rms" and "Bearing1_ch1_kurt": Bearing1_ch1), else the tag.
 */
export function assetOf(tag: string): string {
  const cut = Math.max(tag.lastIndexOf('.'), tag.lastIndexOf('/'));
  if (cut > 0) return tag.slice(0, cut);
  const stripped = tag.replace(FEATURE_SUFFIX, '');
  return stripped === '' ? tag : stripped;
}

const RANK: Record<DegradationStatus, number> = { 'insufficient-data': 0, healthy: 0, watch: 1, degrading: 2, 'above-threshold': 3 };

/** One verdict per asset: its worst status, and the earliest onset alarm of its indicators (docs/analysis.md, "Assets"). */
export function summariseAssets(indicators: IndicatorResult[]): AssetSummary[] {
  const by = new Map<string, IndicatorResult[]>();
  for (const r of indicators) {
    const a = assetOf(r.tag);
    by.set(a, [...(by.get(a) ?? []), r]);
  }
  return [...by.entries()].map(([name, rs]) => {
    const worst = rs.reduce((w, r) => (RANK[r.status] > RANK[w] ? r.status : w), 'healthy' as DegradationStatus);
    const first = rs.filter((r) => r.onset).sort((a, b) => a.onset!.alarmAt - b.onset!.alarmAt)[0];
    return {
      name,
      indicators: rs.map((r) => r.name),
      status: rs.every((r) => r.status === 'insufficient-data') ? 'insufficient-data' : worst,
      ...(first ? { onset: { alarmAt: first.onset!.alarmAt, startedAt: first.onset!.startedAt, indicator: first.name } } : {}),
    };
  });
}

export function analyzeDegradation(inputs: IndicatorInput[], opts: DegradationOptions = {}): DegradationResult {
  const indicators = inputs.map((i) => analyzeIndicator(i, opts));
  const assets = summariseAssets(indicators);
  const iso = opts.iso ? zoneTable(opts.iso.group, opts.iso.foundation) : undefined;
  const o = opts.onset ?? {};
  return {
    indicators,
    assets,
    ...(iso ? { iso: { group: iso.group, foundation: iso.foundation, boundaries: iso.boundaries, standard: iso.standard } } : {}),
    parameters: {
      level: opts.level ?? 0.8,
      onset: {
        method: o.method ?? 'cusum',
        allowance: o.allowance ?? ONSET_DEFAULTS.allowance,
        h: o.h ?? ONSET_DEFAULTS.h,
        cap: o.cap ?? ONSET_DEFAULTS.cap,
        kSigma: o.kSigma ?? ONSET_DEFAULTS.kSigma,
      },
      changeWindowHours: (opts.changeWindowMs ?? 48 * HOUR) / HOUR,
      baseline:
        opts.baseline?.from !== undefined || opts.baseline?.to !== undefined
          ? 'given period'
          : `automatic: ${Math.round((opts.baseline?.fraction ?? 0.25) * 100)}% of the windows after the first ${Math.round((opts.baseline?.skip ?? 0.02) * 100)}%`,
    },
  };
}
