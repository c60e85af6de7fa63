/**
 * From a capture (any object with the reader's `header`, `tags()` and `batches()`) to what the
 * analyses take: meters in minute buckets (energy) and indicator series (degradation). Streaming:
 * each batch of records is folded into per-tag accumulators and dropped, so memory depends on the
 * time span and the number of tags, not on the number of samples (bench/analysis.ts measures it).
 *
 * Tag selection, unit handling and every skipped or corrected sample are reported as notes.
 */

import { convert, lookupUnit } from '../core/units.js';
import type { CaptureHeader, CaptureRecord, TagInfo } from '../capture/types.js';
import type { IndicatorInput } from './degradation.js';
import { MeterAccumulator, toMeterSeries, type MeterKind, type MeterOptions, type MeterSeries, type MeterSpec } from './meter.js';
import { bandEnergy, blockIndicators, defaultEnvelopeBand, envelopeFluctuation, MomentAccumulator } from './signal.js';

export interface CaptureLike {
  readonly header: CaptureHeader;
  tags(): TagInfo[];
  batches(): AsyncIterable<CaptureRecord[]>;
}

/** Epoch ms of a record timestamp (the reader's parser, injected so this module stays free of the reader). */
export type TimeParser = (iso: string) => number;

/** A problem the user must fix: the command turns it into a usage error (exit 2). */
export class SelectionError extends Error {
  readonly hint: string | undefined;
  constructor(message: string, hint?: string) {
    super(message);
    this.hint = hint;
  }
}

const REACTIVE_POWER: Record<string, number> = { var: 0.001, kvar: 1, mvar: 1000 };

interface UnitClass {
  quantity: 'active' | 'reactive' | 'count' | 'temperature' | 'other';
  kind: 'power' | 'energy' | 'count' | 'level' | 'other';
  /** to kW / kWh / kvar / kvarh / units / °C */
  factor: number;
  /** added after the factor (°F, K to °C) */
  offset?: number;
}

/** What a unit measures, for meter selection. */
export function classifyUnit(unit: string | undefined): UnitClass | undefined {
  if (unit === undefined || unit.trim() === '') return undefined;
  const u = unit.trim().toLowerCase();
  if (u in REACTIVE_POWER) return { quantity: 'reactive', kind: 'power', factor: REACTIVE_POWER[u]! };
  const info = lookupUnit(unit);
  if (!info) return undefined;
  switch (info.dimension) {
    case 'power':
      return { quantity: 'active', kind: 'power', factor: convert(1, unit, 'kW') };
    case 'energy':
      return { quantity: 'active', kind: 'energy', factor: convert(1, unit, 'kWh') };
    case 'reactive-energy':
      return { quantity: 'reactive', kind: 'energy', factor: convert(1, unit, 'kvarh') };
    case 'count':
      return { quantity: 'count', kind: 'count', factor: 1 };
    case 'temperature':
      return {
        quantity: 'temperature',
        kind: 'level',
        factor: convert(1, unit, '°C') - convert(0, unit, '°C'),
        offset: convert(0, unit, '°C'),
      };
    default:
      return { quantity: 'other', kind: 'other', factor: 1 };
  }
}

export interface EnergySelection {
  meter?: string;
  /** reactive energy or power: lagging when `reactiveLeading` is given or found too */
  reactive?: string;
  reactiveLeading?: string;
  /** outdoor temperature for degree days */
  temperature?: string;
  production?: string;
  producing?: string;
  /** sub-meters: explicit list, 'auto' (every other active meter of another asset) or 'none' */
  subs?: string[] | 'auto' | 'none';
  /** TAG -> unit for tags whose header has none or a wrong one */
  units?: Record<string, string>;
  /** TAG -> kind for energy tags (counter or interval) when the automatic choice is wrong */
  kinds?: Record<string, MeterKind>;
}

export interface EnergyPlan {
  main: MeterSpec;
  checks: MeterSpec[];
  subs: MeterSpec[];
  reactive?: MeterSpec;
  reactiveLeading?: MeterSpec;
  temperature?: MeterSpec;
  production?: MeterSpec;
  producing?: MeterSpec;
  notes: string[];
}

const asset = (name: string) =>
  name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '';

function unitOf(t: TagInfo, sel: EnergySelection): string | undefined {
  return sel.units?.[t.name] ?? (typeof t.unit === 'string' ? t.unit : undefined);
}

/** The header's `interval` tag field: `{ "ms": 900000, "stamp": "end" }` (docs/capture-format.md). */
function intervalOf(t: TagInfo): { intervalEnd?: boolean; intervalMs?: number } {
  const i = t.interval;
  if (typeof i !== 'object' || i === null) return {};
  const o = i as { ms?: unknown; stamp?: unknown };
  return {
    ...(o.stamp === 'end' ? { intervalEnd: true } : o.stamp === 'start' ? { intervalEnd: false } : {}),
    ...(typeof o.ms === 'number' && o.ms > 0 ? { intervalMs: o.ms } : {}),
  };
}

function specFor(t: TagInfo, sel: EnergySelection, quantity: MeterSpec['quantity'], what: string): MeterSpec {
  const unit = unitOf(t, sel);
  if (quantity === 'producing') return { tag: t.name, kind: 'state', quantity, factor: 1, ...(unit ? { unit } : {}) };
  const c = classifyUnit(unit);
  if (!c) {
    throw new SelectionError(
      unit === undefined ? `${what} ${t.name}: the capture header gives no unit` : `${what} ${t.name}: unknown unit "${unit}"`,
      `say what it is: --unit ${t.name}=kW (or kWh, W, MWh, kvarh, pcs)`,
    );
  }
  const wanted = quantity === 'production' ? 'count' : quantity;
  if (c.quantity !== wanted) {
    const expected = {
      active: 'a power or an energy',
      reactive: 'a reactive power or energy (kvar, kvarh)',
      count: 'a count (pcs, units)',
      temperature: 'a temperature (°C, °F, K)',
    }[wanted];
    throw new SelectionError(
      `${what} ${t.name}: its unit ${unit} is not ${expected}`,
      `choose another tag, or correct the unit with --unit ${t.name}=...`,
    );
  }
  if (quantity === 'temperature')
    return { tag: t.name, kind: 'level', quantity, factor: c.factor, ...(c.offset ? { offset: c.offset } : {}), ...(unit ? { unit } : {}) };
  let kind: MeterSpec['kind'] = c.kind === 'power' ? 'power' : 'auto';
  const override = sel.kinds?.[t.name];
  if (override) kind = override;
  if (quantity === 'production' && !override) kind = 'counter';
  const hi = t.range?.[1];
  const integer = typeof t.dataType === 'string' && /int/.test(t.dataType);
  const modulus = typeof hi === 'number' && hi > 0 && hi < 1e15 && hi !== 1e9 ? (integer ? hi + 1 : hi) * c.factor : undefined;
  return {
    tag: t.name,
    kind,
    quantity,
    factor: c.factor,
    ...(unit ? { unit } : {}),
    ...(modulus !== undefined ? { modulus } : {}),
    ...intervalOf(t),
  };
}

/** Chooses the meters from the header (and the user's choices); every automatic choice is said in a note. */
export function planEnergy(tags: TagInfo[], sel: EnergySelection = {}): EnergyPlan {
  const notes: string[] = [];
  const byName = new Map(tags.map((t) => [t.name, t]));
  const need = (name: string, opt: string): TagInfo => {
    const t = byName.get(name);
    if (!t) {
      const near = tags
        .map((x) => x.name)
        .filter((x) => x.toLowerCase().includes(name.toLowerCase().split(/[./]/).pop() ?? ''))
        .slice(0, 5);
      throw new SelectionError(
        `${opt} ${name}: no such tag in the capture`,
        near.length ? `tags with a similar name: ${near.join(', ')}` : 'list the tags with `iiot capture info FILE`',
      );
    }
    return t;
  };
  const cls = (t: TagInfo) => classifyUnit(unitOf(t, sel));
  const active = tags.filter((t) => cls(t)?.quantity === 'active');
  let mainTag: TagInfo;
  if (sel.meter) mainTag = need(sel.meter, '--meter');
  else {
    if (active.length === 0) {
      throw new SelectionError(
        'no power or energy tag in the capture (units W, kW, MW, Wh, kWh, MWh)',
        'name the meter with --meter TAG (and its unit with --unit TAG=kW if the header has none)',
      );
    }
    // The main supply: a tag whose name says so, else the power tag with the largest range.
    const mainLike = /(^|[._/ -])(plant|main|site|total|incomer|mains|grid|building)([._/ -]|$)/i;
    const score = (t: TagInfo) =>
      (mainLike.test(t.name) ? 2 : 0) + (cls(t)!.kind === 'power' ? 1 : 0) + Math.min(0.9, ((t.range?.[1] ?? 0) * cls(t)!.factor) / 1e7);
    mainTag = active.slice().sort((a, b) => score(b) - score(a))[0]!;
    if (active.length > 1)
      notes.push(`main meter: ${mainTag.name} (chosen automatically among ${active.length} power/energy tags; --meter chooses another)`);
  }
  const main = specFor(mainTag, sel, 'active', '--meter');
  const mainAsset = asset(mainTag.name);
  const checks = active
    .filter((t) => t !== mainTag && asset(t.name) === mainAsset && mainAsset !== '')
    .map((t) => specFor(t, sel, 'active', 'meter'));
  let subs: MeterSpec[] = [];
  if (Array.isArray(sel.subs)) subs = sel.subs.map((s) => specFor(need(s, '--sub'), sel, 'active', '--sub'));
  else if (sel.subs !== 'none') {
    // one per asset, power preferred (it is measured continuously; a counter may be coarse)
    const perAsset = new Map<string, TagInfo>();
    for (const t of active) {
      if (t === mainTag || asset(t.name) === mainAsset) continue;
      const k = asset(t.name) || t.name;
      const cur = perAsset.get(k);
      if (!cur || (cls(cur)!.kind !== 'power' && cls(t)!.kind === 'power')) perAsset.set(k, t);
    }
    subs = [...perAsset.values()].map((t) => specFor(t, sel, 'active', 'sub-meter'));
  }
  let reactive: MeterSpec | undefined;
  let reactiveLeading: MeterSpec | undefined;
  const rTags = tags.filter((t) => cls(t)?.quantity === 'reactive');
  // Four-quadrant meters count lagging (inductive) and leading (capacitive) reactive energy apart.
  const lagLike = rTags.filter((t) => /lag|induct/i.test(t.name) && !/lead|capac/i.test(t.name));
  const leadLike = rTags.filter((t) => /lead|capac/i.test(t.name));
  if (sel.reactiveLeading)
    reactiveLeading = specFor(need(sel.reactiveLeading, '--reactive-leading'), sel, 'reactive', '--reactive-leading');
  if (sel.reactive) reactive = specFor(need(sel.reactive, '--reactive'), sel, 'reactive', '--reactive');
  else if (lagLike.length === 1 && (reactiveLeading || leadLike.length === 1)) {
    reactive = specFor(lagLike[0]!, sel, 'reactive', 'reactive meter');
    notes.push(
      `reactive energy: ${lagLike[0]!.name} as lagging${reactiveLeading ? '' : ` and ${leadLike[0]!.name} as leading`} (chosen by name; --reactive and --reactive-leading choose others)`,
    );
  } else {
    // a tag named leading is never taken for the lagging (or only) reactive energy
    const plain = rTags.filter((t) => !leadLike.includes(t) && t.name !== sel.reactiveLeading);
    const same = plain.find((t) => asset(t.name) === mainAsset) ?? (plain.length === 1 ? plain[0] : undefined);
    if (same) reactive = specFor(same, sel, 'reactive', 'reactive meter');
    else if (plain.length > 1)
      notes.push(
        `${rTags.length} reactive tags (${rTags.map((t) => t.name).join(', ')}): name them with --reactive (and --reactive-leading) for the power factor`,
      );
  }
  if (!reactiveLeading && !sel.reactiveLeading && leadLike.length === 1 && leadLike[0]!.name !== reactive?.tag)
    reactiveLeading = specFor(leadLike[0]!, sel, 'reactive', 'leading reactive meter');
  let temperature: MeterSpec | undefined;
  if (sel.temperature) temperature = specFor(need(sel.temperature, '--temperature'), sel, 'temperature', '--temperature');
  else {
    const outdoor = tags.filter(
      (t) =>
        cls(t)?.quantity === 'temperature' &&
        /(outdoor|outside|ambient|weather|(^|[._/ -])oat([._/ -]|$)|outside_?air|air_?temp)/i.test(t.name),
    );
    if (outdoor.length === 1) {
      temperature = specFor(outdoor[0]!, sel, 'temperature', 'outdoor temperature');
      notes.push(
        `outdoor temperature: ${outdoor[0]!.name} (by its name; degree days become a baseline driver; --temperature chooses another)`,
      );
    }
  }
  let production: MeterSpec | undefined;
  if (sel.production) production = specFor(need(sel.production, '--production'), sel, 'production', '--production');
  else {
    const counts = tags.filter((t) => cls(t)?.quantity === 'count');
    if (counts.length === 1) {
      production = specFor(counts[0]!, sel, 'production', 'production counter');
      notes.push(`production counter: ${counts[0]!.name} (the only count tag; --production chooses another)`);
    } else if (counts.length > 1)
      notes.push(
        `${counts.length} count tags (${counts.map((c) => c.name).join(', ')}): name the production counter with --production for energy per unit`,
      );
  }
  let producing: MeterSpec | undefined;
  if (sel.producing) producing = specFor(need(sel.producing, '--producing'), sel, 'producing', '--producing');
  else {
    const p = tags.find((t) => /(^|[._/])(producing|in_?production|production_?running)$/i.test(t.name));
    if (p) {
      producing = specFor(p, sel, 'producing', 'producing flag');
      notes.push(`production state: ${p.name} (a flag that says when the plant produces)`);
    }
  }
  return {
    main,
    checks,
    subs,
    ...(reactive ? { reactive } : {}),
    ...(reactiveLeading ? { reactiveLeading } : {}),
    ...(temperature ? { temperature } : {}),
    ...(production ? { production } : {}),
    ...(producing ? { producing } : {}),
    notes,
  };
}

export interface StreamStats {
  records: number;
  samples: number;
  /** samples of tags no analysis uses */
  ignored: number;
  events: number;
  /** latest sample time seen (epoch ms) */
  last: number;
  /** gap events of the recording (from/to), epoch ms */
  gaps: { from: number; to: number; source?: string }[];
}

/** Feeds every sample of the capture to the accumulator of its tag, batch by batch. */
async function stream(
  cap: CaptureLike,
  timeMs: TimeParser,
  onSample: Map<string, (t: number, v: unknown, q: string | undefined) => void>,
  progress?: (records: number) => void,
): Promise<StreamStats> {
  const st: StreamStats = { records: 0, samples: 0, ignored: 0, events: 0, last: Number.NEGATIVE_INFINITY, gaps: [] };
  for await (const batch of cap.batches()) {
    for (let i = 0; i < batch.length; i++) {
      const r = batch[i]!;
      const tag = (r as { tag?: unknown }).tag;
      if (typeof tag === 'string') {
        st.samples++;
        const f = onSample.get(tag);
        if (f === undefined) {
          st.ignored++;
          continue;
        }
        const t = timeMs(r.t);
        if (t > st.last) st.last = t;
        f(t, (r as { v: unknown }).v, (r as { q?: string }).q);
      } else if ('event' in r) {
        st.events++;
        if (r.event === 'gap' && typeof r.from === 'string' && typeof r.to === 'string') {
          const g = { from: timeMs(r.from), to: timeMs(r.to), ...(typeof r.source === 'string' ? { source: r.source } : {}) };
          if (st.gaps.length < 10_000) st.gaps.push(g);
        }
      }
    }
    st.records += batch.length;
    progress?.(st.records);
  }
  return st;
}

export interface EnergyData {
  plan: EnergyPlan;
  main: MeterSeries;
  checks: MeterSeries[];
  subs: MeterSeries[];
  reactive?: MeterSeries;
  reactiveLeading?: MeterSeries;
  temperature?: MeterSeries;
  production?: MeterSeries;
  producing?: MeterSeries;
  stats: StreamStats;
}

export async function collectEnergy(
  cap: CaptureLike,
  timeMs: TimeParser,
  sel: EnergySelection,
  meterOpts: MeterOptions = {},
  progress?: (records: number) => void,
): Promise<EnergyData> {
  const plan = planEnergy(cap.tags(), sel);
  const accs = new Map<string, MeterAccumulator>();
  const all = [
    plan.main,
    ...plan.checks,
    ...plan.subs,
    plan.reactive,
    plan.reactiveLeading,
    plan.temperature,
    plan.production,
    plan.producing,
  ].filter((x): x is MeterSpec => x !== undefined);
  const routes = new Map<string, (t: number, v: unknown, q: string | undefined) => void>();
  for (const spec of all) {
    if (accs.has(spec.tag)) continue;
    const a = new MeterAccumulator(spec, meterOpts);
    accs.set(spec.tag, a);
    routes.set(spec.tag, (t, v, q) => a.add(t, v, q));
  }
  const stats = await stream(cap, timeMs, routes, progress);
  const series = (s: MeterSpec) => toMeterSeries(accs.get(s.tag)!);
  const main = series(plan.main);
  if (main.samples === 0)
    throw new SelectionError(
      `${plan.main.tag}: the capture holds no numeric readings of the main meter`,
      'check the tag name with `iiot capture info FILE`, or choose another with --meter',
    );
  return {
    plan,
    main,
    checks: plan.checks.map(series).filter((m) => m.samples > 0),
    subs: plan.subs.map(series).filter((m) => m.samples > 0),
    ...(plan.reactive ? { reactive: series(plan.reactive) } : {}),
    ...(plan.reactiveLeading ? { reactiveLeading: series(plan.reactiveLeading) } : {}),
    ...(plan.temperature ? { temperature: series(plan.temperature) } : {}),
    ...(plan.production ? { production: series(plan.production) } : {}),
    ...(plan.producing ? { producing: series(plan.producing) } : {}),
    stats,
  };
}

// ---------------------------------------------------------------------------------------------
// Degradation

export interface DegradationSelection {
  /** tags to analyse; default: every vibration (velocity, acceleration, displacement) and temperature tag */
  tags?: string[];
  /** use each asset's running flag (X.running next to X.vibration) to leave out samples taken while stopped (default true) */
  running?: boolean;
  /** an explicit running flag for every analysed tag */
  runningTag?: string;
  /** raw signals: indicator block length (default 1 s) */
  blockMs?: number;
  /** raw signals: band for band energy, Hz */
  band?: [number, number];
  /** TAG -> unit overrides */
  units?: Record<string, string>;
  /** TAG -> what a scalar tag is (`--kind`), when its name does not say it */
  kinds?: Record<string, FeatureKind>;
}

/** What a scalar indicator tag is: a level (a vibration RMS from a transmitter, a temperature) or a feature of a vibration snapshot. */
export type FeatureKind = 'level' | 'rms' | 'peak' | 'kurtosis' | 'excess-kurtosis' | 'crest-factor' | 'skewness';
export const FEATURE_KINDS: readonly FeatureKind[] = ['level', 'rms', 'peak', 'kurtosis', 'excess-kurtosis', 'crest-factor', 'skewness'];

const NAME_KINDS: [RegExp, FeatureKind][] = [
  [/(^|[^a-z])excess_?kurt(osis)?$/, 'excess-kurtosis'],
  [/(^|[^a-z])kurt(osis)?$/, 'kurtosis'],
  [/(^|[^a-z])crest(_?factor)?$/, 'crest-factor'],
  [/(^|[^a-z])skew(ness)?$/, 'skewness'],
  [/(^|[^a-z])rms$/, 'rms'],
  [/(^|[^a-z])peak$/, 'peak'],
];

/** The feature a tag's name says it is ("Bearing1_ch1_kurt", "pump.crestFactor", "motor.vib_rms"), or undefined. */
export function featureOfName(name: string): FeatureKind | undefined {
  const n = name
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .toLowerCase()
    .replace(/[\s\-./:]+/g, '_');
  return NAME_KINDS.find(([re]) => re.test(n))?.[1];
}

const QUANTITY: Record<FeatureKind, IndicatorInput['quantity']> = {
  level: 'value',
  rms: 'rms',
  peak: 'peak',
  kurtosis: 'kurtosis',
  'excess-kurtosis': 'kurtosis',
  'crest-factor': 'crest-factor',
  skewness: 'skewness',
};

/**
 * Means of one indicator per time bucket, in bounded memory: buckets start at one second and
 * double (neighbours merged exactly) whenever the span would need more than MAX_BUCKETS, so that a
 * 40-minute rig run keeps its 10-second samples and a year of readings stays within a few MB.
 * Unsorted input is fine (buckets are addressed by time).
 */
const MAX_BUCKETS = 65_536;

class BucketMeans {
  private width = 1000;
  /** absolute index (floor(t / width)) of slot 0 */
  private origin = Number.NaN;
  private sum = new Float64Array(0);
  private cnt = new Uint32Array(0);
  /** sum of (t - bucket start) */
  private tsum = new Float64Array(0);
  private lo = Infinity;
  private hi = -Infinity;

  add(t: number, v: number): void {
    let a = Math.floor(t / this.width);
    if (Number.isNaN(this.origin)) {
      this.origin = a - 1024;
      this.alloc(4096, 0);
    }
    // coarsen until the span fits
    while (Math.max(this.hi, a - this.origin) - Math.min(this.lo, a - this.origin) + 1 > MAX_BUCKETS) {
      this.coarsen();
      a = Math.floor(t / this.width);
    }
    let i = a - this.origin;
    if (i < 0) {
      const extra = -i + 1024;
      this.alloc(this.sum.length + extra, extra);
      this.origin -= extra;
      i += extra;
    }
    if (i >= this.sum.length) this.alloc(Math.max(i + 1024, Math.min(this.sum.length * 2, i + MAX_BUCKETS)), 0);
    this.sum[i]! += v;
    this.cnt[i]!++;
    this.tsum[i]! += t - a * this.width;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
  }

  private alloc(n: number, shift: number): void {
    const s = new Float64Array(n);
    const c = new Uint32Array(n);
    const t = new Float64Array(n);
    s.set(this.sum.subarray(0, Math.min(this.sum.length, n - shift)), shift);
    c.set(this.cnt.subarray(0, Math.min(this.cnt.length, n - shift)), shift);
    t.set(this.tsum.subarray(0, Math.min(this.tsum.length, n - shift)), shift);
    this.sum = s;
    this.cnt = c;
    this.tsum = t;
    if (Number.isFinite(this.lo)) {
      this.lo += shift;
      this.hi += shift;
    }
  }

  /** Doubles the bucket width, merging neighbours (sums and counts add; times keep their offsets). */
  private coarsen(): void {
    const w = this.width;
    const newOrigin = Math.floor((this.origin + this.lo) / 2) - 512;
    const n = Math.max(4096, Math.ceil((this.hi - this.lo + 1) / 2) + 1024);
    const s = new Float64Array(n);
    const c = new Uint32Array(n);
    const t = new Float64Array(n);
    let lo = Infinity;
    let hi = -Infinity;
    for (let i = this.lo; i <= this.hi; i++) {
      const k = this.cnt[i]!;
      if (k === 0) continue;
      const abs = this.origin + i;
      const half = Math.floor(abs / 2);
      const j = half - newOrigin;
      s[j]! += this.sum[i]!;
      c[j]! += k;
      t[j]! += this.tsum[i]! + k * (abs - 2 * half) * w;
      if (j < lo) lo = j;
      if (j > hi) hi = j;
    }
    this.width = 2 * w;
    this.origin = newOrigin;
    this.sum = s;
    this.cnt = c;
    this.tsum = t;
    this.lo = lo;
    this.hi = hi;
  }

  /** Points at the mean time of each bucket's samples. */
  series(): { t: Float64Array; v: Float64Array } {
    const t: number[] = [];
    const v: number[] = [];
    for (let i = this.lo; i <= this.hi; i++) {
      const c = this.cnt[i]!;
      if (c === 0) continue;
      t.push((this.origin + i) * this.width + this.tsum[i]! / c);
      v.push(this.sum[i]! / c);
    }
    return { t: Float64Array.from(t), v: Float64Array.from(v) };
  }
}

/** The running flag of an asset: "running", "run", "on", "motor_on", "in_operation". */
const RUNNING_NAME = /^(running|run|on|motor_?on|in_?operation|is_?running)$/i;

const INDICATOR_DIMENSIONS = new Set(['velocity', 'acceleration', 'displacement', 'temperature']);

interface RunState {
  tag: string;
  /** 1 running, 0 stopped, NaN unknown yet */
  state: number;
  since: number;
}

interface TagState {
  tag: TagInfo;
  /** what a scalar trend tag is */
  kind: FeatureKind;
  kindGiven: boolean;
  unit?: string;
  run?: RunState;
  stopped: number;
  /** trend tags: one indicator; raw: several */
  out: Map<string, { quantity: IndicatorInput['quantity']; unit?: string; means: BucketMeans }>;
  nonNumeric: number;
  badQuality: number;
  late: number;
  samples: number;
  /** raw detection on the first samples */
  warm: { t: number; v: number }[] | undefined;
  raw: boolean;
  block?: MomentAccumulator;
  /** raw scalar signals: the samples of the current block (for the envelope) and the sample rate */
  buf: number[];
  rate: number;
  band?: [number, number];
  blockIndex: number;
  lastT: number;
  snapshots: number;
}

/** Reads the indicator tags of a capture into per-minute series (and raw-signal indicators). */
export async function collectDegradation(
  cap: CaptureLike,
  timeMs: TimeParser,
  sel: DegradationSelection = {},
  progress?: (records: number) => void,
): Promise<{ inputs: IndicatorInput[]; stats: StreamStats; notes: string[] }> {
  const tags = cap.tags();
  const notes: string[] = [];
  let chosen: TagInfo[];
  if (sel.tags?.length) {
    chosen = sel.tags.map((name) => {
      const t = tags.find((x) => x.name === name);
      if (!t) throw new SelectionError(`--tag ${name}: no such tag in the capture`, 'list the tags with `iiot capture info FILE`');
      return t;
    });
  } else {
    // by unit (vibration, temperature), or, for tags without a unit iiot knows, by name or --kind:
    // the features of vibration snapshots (RMS, peak, kurtosis, crest factor, skewness)
    chosen = tags.filter((t) => {
      const u = sel.units?.[t.name] ?? t.unit;
      const info = typeof u === 'string' ? lookupUnit(u) : undefined;
      if (info !== undefined) return INDICATOR_DIMENSIONS.has(info.dimension);
      return sel.kinds?.[t.name] !== undefined || featureOfName(t.name) !== undefined;
    });
    if (chosen.length === 0) {
      throw new SelectionError(
        'no vibration or temperature tag in the capture (units mm/s, in/s, g, m/s2, µm, °C; or tags named ..._rms, ..._kurtosis, ..._crest_factor, ..._skewness, ..._peak)',
        'name the tags with --tag TAG (repeatable), and say what a unitless one is with --kind TAG=kurtosis',
      );
    }
  }
  const blockMs = sel.blockMs ?? 1000;
  const states = new Map<string, TagState>();
  const routes = new Map<string, (t: number, v: unknown, q: string | undefined) => void>();
  const runs = new Map<string, RunState>();
  const runFlag = (name: string): RunState | undefined => {
    if (sel.running === false) return undefined;
    let flag: TagInfo | undefined;
    if (sel.runningTag) {
      flag = tags.find((x) => x.name === sel.runningTag);
      if (!flag)
        throw new SelectionError(`--running ${sel.runningTag}: no such tag in the capture`, 'list the tags with `iiot capture info FILE`');
    } else {
      const a = asset(name);
      flag = tags.find((x) => x.name !== name && asset(x.name) === a && a !== '' && RUNNING_NAME.test(x.name.slice(a.length + 1)));
    }
    if (!flag) return undefined;
    let r = runs.get(flag.name);
    if (!r) {
      const rs: RunState = { tag: flag.name, state: Number.NaN, since: Number.NaN };
      runs.set(flag.name, (r = rs));
      routes.set(flag.name, (t, v) => {
        const x = typeof v === 'boolean' ? (v ? 1 : 0) : typeof v === 'number' ? (v !== 0 ? 1 : 0) : Number.NaN;
        if (Number.isNaN(x)) return;
        if (x !== rs.state) rs.since = t;
        rs.state = x;
      });
    }
    return r;
  };
  for (const tag of chosen) {
    const unit = sel.units?.[tag.name] ?? (typeof tag.unit === 'string' ? tag.unit : undefined);
    if (unit !== undefined && !lookupUnit(unit))
      notes.push(
        `${tag.name}: unit "${unit}" is not one iiot knows; values are analysed as they are, and unit thresholds cannot be converted`,
      );
    const run = runFlag(tag.name);
    const kind: FeatureKind = sel.kinds?.[tag.name] ?? featureOfName(tag.name) ?? 'level';
    const s: TagState = {
      tag,
      kind,
      kindGiven: sel.kinds?.[tag.name] !== undefined,
      ...(unit ? { unit } : {}),
      ...(run ? { run } : {}),
      stopped: 0,
      out: new Map(),
      buf: [],
      rate: Number.NaN,
      nonNumeric: 0,
      badQuality: 0,
      late: 0,
      samples: 0,
      warm: [],
      raw: false,
      blockIndex: Number.NaN,
      lastT: Number.NaN,
      snapshots: 0,
    };
    states.set(tag.name, s);
    routes.set(tag.name, (t, v, q) => addIndicatorSample(s, t, v, q, blockMs, sel.band));
  }
  const stats = await stream(cap, timeMs, routes, progress);
  const inputs: IndicatorInput[] = [];
  for (const s of states.values()) {
    if (s.warm) settleWarm(s, blockMs, sel.band);
    flushBlock(s);
    const tagNotes: string[] = [];
    if (s.nonNumeric) tagNotes.push(`${s.nonNumeric} non-numeric values skipped`);
    if (s.badQuality) tagNotes.push(`${s.badQuality} samples with bad quality skipped`);
    if (s.late) tagNotes.push(`${s.late} raw samples out of time order skipped`);
    if (s.run && s.stopped)
      tagNotes.push(`${s.stopped} samples taken while ${s.run.tag} was off were left out (a stopped machine does not vibrate)`);
    if (s.samples === 0) {
      notes.push(`${s.tag.name}: no numeric samples in the capture; not analysed`);
      continue;
    }
    // Worth saying only when the machine has been off for a day or more at the end (not the nightly stop).
    const stoppedSince = s.run && s.run.state === 0 && stats.last - s.run.since >= 86_400_000 ? s.run.since : undefined;
    for (const [name, o] of s.out) {
      const series = o.means.series();
      const ownNotes = [...tagNotes];
      if (!s.raw && o.quantity === 'kurtosis') {
        // Pearson's kurtosis (m4 / m2², normal 3) is never below 1; values below 1 are excess kurtosis (normal 0)
        let min = Infinity;
        for (const x of series.v) if (x < min) min = x;
        const excess = s.kind === 'excess-kurtosis' || (!s.kindGiven && min < 1);
        if (excess) {
          for (let i = 0; i < series.v.length; i++) series.v[i]! += 3;
          ownNotes.push(
            s.kindGiven
              ? 'excess kurtosis (--kind): 3 added (Pearson, normal 3)'
              : `read as excess kurtosis (values down to ${min.toPrecision(3)}, which Pearson's kurtosis cannot take): 3 added (Pearson, normal 3; --kind ${s.tag.name}=kurtosis says otherwise)`,
          );
        }
      }
      inputs.push({
        name,
        tag: s.tag.name,
        ...(o.unit ? { unit: o.unit } : {}),
        quantity: o.quantity,
        series,
        notes: ownNotes,
        // skewness is signed: its detector works in baseline sigmas, not on a log scale
        ...(o.quantity === 'skewness' ? { scale: 'linear' as const } : {}),
        ...(stoppedSince !== undefined ? { stoppedSince, runningTag: s.run!.tag } : {}),
      });
    }
  }
  return { inputs, stats, notes };
}

function indicator(s: TagState, name: string, quantity: IndicatorInput['quantity'], unit: string | undefined): BucketMeans {
  let o = s.out.get(name);
  if (!o) s.out.set(name, (o = { quantity, ...(unit ? { unit } : {}), means: new BucketMeans() }));
  return o.means;
}

function addIndicatorSample(
  s: TagState,
  t: number,
  v: unknown,
  q: string | undefined,
  blockMs: number,
  band: [number, number] | undefined,
): void {
  if (q !== undefined && /^bad/i.test(q)) {
    s.badQuality++;
    return;
  }
  if (s.run && s.run.state === 0) {
    s.stopped++;
    return;
  }
  if (Array.isArray(v)) {
    // a waveform snapshot: indicators of the block, stamped at the sample time
    const x = v.filter((e): e is number => typeof e === 'number' && Number.isFinite(e));
    if (x.length < 8) {
      s.nonNumeric++;
      return;
    }
    s.samples++;
    s.snapshots++;
    const b = blockIndicators(x);
    const u = s.unit;
    indicator(s, `${s.tag.name}:rms`, 'rms', u).add(t, b.rms);
    indicator(s, `${s.tag.name}:peak`, 'peak', u).add(t, b.peak);
    indicator(s, `${s.tag.name}:crest-factor`, 'crest-factor', undefined).add(t, b.crestFactor);
    indicator(s, `${s.tag.name}:kurtosis`, 'kurtosis', undefined).add(t, b.kurtosis);
    const rate = Number((s.tag as { sampleRate?: unknown }).sampleRate ?? (s.tag as { rate?: unknown }).rate);
    if (Number.isFinite(rate) && rate > 0) {
      indicator(s, `${s.tag.name}:envelope`, 'envelope', u).add(t, envelopeFluctuation(x, rate, band ?? defaultEnvelopeBand(rate)));
      if (band) indicator(s, `${s.tag.name}:band ${band[0]}-${band[1]} Hz`, 'band-energy', undefined).add(t, bandEnergy(x, rate, band));
    }
    return;
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || !Number.isFinite(t)) {
    s.nonNumeric++;
    return;
  }
  s.samples++;
  if (s.warm) {
    s.warm.push({ t, v });
    if (s.warm.length >= 256) settleWarm(s, blockMs, band);
    return;
  }
  feedScalar(s, t, v, blockMs);
}

/** A scalar tag sampled faster than every 10 ms is a raw signal: indicators per block. */
function settleWarm(s: TagState, blockMs: number, _band: [number, number] | undefined): void {
  const w = s.warm!;
  s.warm = undefined;
  const d: number[] = [];
  for (let i = 1; i < w.length; i++) if (w[i]!.t > w[i - 1]!.t) d.push(w[i]!.t - w[i - 1]!.t);
  d.sort((a, b) => a - b);
  const spacing = d.length ? d[Math.floor(d.length / 2)]! : Infinity;
  s.raw = spacing < 10;
  s.rate = 1000 / spacing;
  if (_band) s.band = _band;
  for (const x of w) feedScalar(s, x.t, x.v, blockMs);
}

function feedScalar(s: TagState, t: number, v: number, blockMs: number): void {
  if (!s.raw) {
    indicator(s, s.tag.name, QUANTITY[s.kind], s.unit).add(t, v);
    return;
  }
  if (t < s.lastT) {
    s.late++;
    return;
  }
  const k = Math.floor(t / blockMs);
  if (k !== s.blockIndex) {
    flushBlock(s);
    s.blockIndex = k;
    s.block ??= new MomentAccumulator();
  }
  s.block!.add(v);
  s.buf.push(v);
  s.lastT = t;
}

function flushBlock(s: TagState): void {
  const b = s.block;
  if (!b || b.n === 0 || Number.isNaN(s.blockIndex)) return;
  // stamped at the block's last sample (when its indicators became known)
  const at = s.lastT;
  if (b.n >= 8) {
    indicator(s, `${s.tag.name}:rms`, 'rms', s.unit).add(at, b.rms);
    indicator(s, `${s.tag.name}:peak`, 'peak', s.unit).add(at, b.peak);
    indicator(s, `${s.tag.name}:crest-factor`, 'crest-factor', undefined).add(at, b.crestFactor);
    indicator(s, `${s.tag.name}:kurtosis`, 'kurtosis', undefined).add(at, b.kurtosis);
    if (Number.isFinite(s.rate) && s.buf.length >= 64)
      indicator(s, `${s.tag.name}:envelope`, 'envelope', s.unit).add(
        at,
        envelopeFluctuation(s.buf, s.rate, s.band ?? defaultEnvelopeBand(s.rate)),
      );
  }
  b.reset();
  s.buf.length = 0;
}
