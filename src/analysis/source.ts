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
import { bandEnergy, blockIndicators, MomentAccumulator } from './signal.js';

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
      return { quantity: 'temperature', kind: 'level', factor: convert(1, unit, '°C') - convert(0, unit, '°C'), offset: convert(0, unit, '°C') };
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

const asset = (name: string) => (name.includes('.') ? name.slice(0, name.lastIndexOf('.')) : name.includes('/') ? name.slice(0, name.lastIndexOf('/')) : '');

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
    const expected = { active: 'a power or an energy', reactive: 'a reactive power or energy (kvar, kvarh)', count: 'a count (pcs, units)', temperature: 'a temperature (°C, °F, K)' }[wanted];
    throw new SelectionError(`${what} ${t.name}: its unit ${unit} is not ${expected}`, `choose another tag, or correct the unit with --unit ${t.name}=...`);
  }
  if (quantity === 'temperature') return { tag: t.name, kind: 'level', quantity, factor: c.factor, ...(c.offset ? { offset: c.offset } : {}), ...(unit ? { unit } : {}) };
  let kind: MeterSpec['kind'] = c.kind === 'power' ? 'power' : 'auto';
  const override = sel.kinds?.[t.name];
  if (override) kind = override;
  if (quantity === 'production' && !override) kind = 'counter';
  const hi = t.range?.[1];
  const integer = typeof t.dataType === 'string' && /int/.test(t.dataType);
  const modulus = typeof hi === 'number' && hi > 0 && hi < 1e15 && hi !== 1e9 ? (integer ? hi + 1 : hi) * c.factor : undefined;
  return { tag: t.name, kind, quantity, factor: c.factor, ...(unit ? { unit } : {}), ...(modulus !== undefined ? { modulus } : {}), ...intervalOf(t) };
}

/** Chooses the meters from the header (and the user's choices); every automatic choice is said in a note. */
export function planEnergy(tags: TagInfo[], sel: EnergySelection = {}): EnergyPlan {
  const notes: string[] = [];
  const byName = new Map(tags.map((t) => [t.name, t]));
  const need = (name: string, opt: string): TagInfo => {
    const t = byName.get(name);
    if (!t) {
      const near = tags.map((x) => x.name).filter((x) => x.toLowerCase().includes(name.toLowerCase().split(/[./]/).pop() ?? '')).slice(0, 5);
      throw new SelectionError(`${opt} ${name}: no such tag in the capture`, near.length ? `tags with a similar name: ${near.join(', ')}` : 'list the tags with `iiot capture info FILE`');
    }
    return t;
  };
  const cls = (t: TagInfo) => classifyUnit(unitOf(t, sel));
  const active = tags.filter((t) => cls(t)?.quantity === 'active');
  let mainTag: TagInfo;
  if (sel.meter) mainTag = need(sel.meter, '--meter');
  else {
    if (active.length === 0) {
      throw new SelectionError('no power or energy tag in the capture (units W, kW, MW, Wh, kWh, MWh)', 'name the meter with --meter TAG (and its unit with --unit TAG=kW if the header has none)');
    }
    // The main supply: a tag whose name says so, else the power tag with the largest range.
    const mainLike = /(^|[._/ -])(plant|main|site|total|incomer|mains|grid|building)([._/ -]|$)/i;
    const score = (t: TagInfo) => (mainLike.test(t.name) ? 2 : 0) + (cls(t)!.kind === 'power' ? 1 : 0) + Math.min(0.9, ((t.range?.[1] ?? 0) * cls(t)!.factor) / 1e7);
    mainTag = active.slice().sort((a, b) => score(b) - score(a))[0]!;
    if (active.length > 1) notes.push(`main meter: ${mainTag.name} (chosen automatically among ${active.length} power/energy tags; --meter chooses another)`);
  }
  const main = specFor(mainTag, sel, 'active', '--meter');
  const mainAsset = asset(mainTag.name);
  const checks = active.filter((t) => t !== mainTag && asset(t.name) === mainAsset && mainAsset !== '').map((t) => specFor(t, sel, 'active', 'meter'));
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
  if (sel.reactiveLeading) reactiveLeading = specFor(need(sel.reactiveLeading, '--reactive-leading'), sel, 'reactive', '--reactive-leading');
  if (sel.reactive) reactive = specFor(need(sel.reactive, '--reactive'), sel, 'reactive', '--reactive');
  else if (lagLike.length === 1 && (reactiveLeading || leadLike.length === 1)) {
    reactive = specFor(lagLike[0]!, sel, 'reactive', 'reactive meter');
    notes.push(`reactive energy: ${lagLike[0]!.name} as lagging${reactiveLeading ? '' : ` and ${leadLike[0]!.name} as leading`} (chosen by name; --reactive and --reactive-leading choose others)`);
  } else {
    // a tag named leading is never taken for the lagging (or only) reactive energy
    const plain = rTags.filter((t) => !leadLike.includes(t) && t.name !== sel.reactiveLeading);
    const same = plain.find((t) => asset(t.name) === mainAsset) ?? (plain.length === 1 ? plain[0] : undefined);
    if (same) reactive = specFor(same, sel, 'reactive', 'reactive meter');
    else if (plain.length > 1) notes.push(`${rTags.length} reactive tags (${rTags.map((t) => t.name).join(', ')}): name them with --reactive (and --reactive-leading) for the power factor`);
  }
  if (!reactiveLeading && !sel.reactiveLeading && leadLike.length === 1 && leadLike[0]!.name !== reactive?.tag) reactiveLeading = specFor(leadLike[0]!, sel, 'reactive', 'leading reactive meter');
  let temperature: MeterSpec | undefined;
  if (sel.temperature) temperature = specFor(need(sel.temperature, '--temperature'), sel, 'temperature', '--temperature');
  else {
    const outdoor = tags.filter((t) => cls(t)?.quantity === 'temperature' && /(outdoor|outside|ambient|weather|(^|[._/ -])oat([._/ -]|$)|outside_?air|air_?temp)/i.test(t.name));
    if (outdoor.length === 1) {
      temperature = specFor(outdoor[0]!, sel, 'temperature', 'outdoor temperature');
      notes.push(`outdoor temperature: ${outdoor[0]!.name} (by its name; degree days become a baseline driver; --temperature chooses another)`);
    }
  }
  let production: MeterSpec | undefined;
  if (sel.production) production = specFor(need(sel.production, '--production'), sel, 'production', '--production');
  else {
    const counts = tags.filter((t) => cls(t)?.quantity === 'count');
    if (counts.length === 1) {
      production = specFor(counts[0]!, sel, 'production', 'production counter');
      notes.push(`production counter: ${counts[0]!.name} (the only count tag; --production chooses another)`);
    } else if (counts.length > 1) notes.push(`${counts.length} count tags (${counts.map((c) => c.name).join(', ')}): name the production counter with --production for energy per unit`);
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
  const all = [plan.main, ...plan.checks, ...plan.subs, plan.reactive, plan.reactiveLeading, plan.temperature, plan.production, plan.producing].filter((x): x is MeterSpec => x !== undefined);
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
  if (main.samples === 0) throw new SelectionError(`${plan.main.tag}: the capture holds no numeric readings of the main meter`, 'check the tag name with `iiot capture info FILE`, or choose another with --meter');
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
}

/** Per-minute means of one indicator: unsorted input is fine (minutes are addressed by index). */
class MinuteMeans {
  private origin = Number.NaN;
  private sum = new Float64Array(0);
  private cnt = new Uint32Array(0);
  private tsum = new Float64Array(0);
  private lo = Infinity;
  private hi = -Infinity;

  add(t: number, v: number): void {
    const m = Math.floor(t / 60_000);
    if (Number.isNaN(this.origin)) {
      this.origin = m - 1440;
      this.alloc(4096 + 2880, 0);
    }
    let i = m - this.origin;
    if (i < 0) {
      const extra = -i + 1440;
      this.alloc(this.sum.length + extra, extra);
      this.origin -= extra;
      i += extra;
    }
    if (i >= this.sum.length) this.alloc(Math.max(i + 1, this.sum.length * 2), 0);
    this.sum[i]! += v;
    this.cnt[i]!++;
    this.tsum[i]! += t - m * 60_000;
    if (i < this.lo) this.lo = i;
    if (i > this.hi) this.hi = i;
  }

  private alloc(n: number, shift: number): void {
    const s = new Float64Array(n);
    const c = new Uint32Array(n);
    const t = new Float64Array(n);
    s.set(this.sum, shift);
    c.set(this.cnt, shift);
    t.set(this.tsum, shift);
    this.sum = s;
    this.cnt = c;
    this.tsum = t;
    if (Number.isFinite(this.lo)) {
      this.lo += shift;
      this.hi += shift;
    }
  }

  /** Points at the mean time of each minute's samples. */
  series(): { t: Float64Array; v: Float64Array } {
    const t: number[] = [];
    const v: number[] = [];
    for (let i = this.lo; i <= this.hi; i++) {
      const c = this.cnt[i]!;
      if (c === 0) continue;
      t.push((this.origin + i) * 60_000 + this.tsum[i]! / c);
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
  unit?: string;
  run?: RunState;
  stopped: number;
  /** trend tags: one indicator; raw: several */
  out: Map<string, { quantity: IndicatorInput['quantity']; unit?: string; means: MinuteMeans }>;
  nonNumeric: number;
  badQuality: number;
  late: number;
  samples: number;
  /** raw detection on the first samples */
  warm: { t: number; v: number }[] | undefined;
  raw: boolean;
  block?: MomentAccumulator;
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
    chosen = tags.filter((t) => {
      const u = sel.units?.[t.name] ?? t.unit;
      const info = typeof u === 'string' ? lookupUnit(u) : undefined;
      return info !== undefined && INDICATOR_DIMENSIONS.has(info.dimension);
    });
    if (chosen.length === 0) {
      throw new SelectionError('no vibration or temperature tag in the capture (units mm/s, in/s, g, m/s2, µm, °C)', 'name the tags with --tag TAG (repeatable)');
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
      if (!flag) throw new SelectionError(`--running ${sel.runningTag}: no such tag in the capture`, 'list the tags with `iiot capture info FILE`');
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
    if (unit !== undefined && !lookupUnit(unit)) notes.push(`${tag.name}: unit "${unit}" is not one iiot knows; values are analysed as they are, and unit thresholds cannot be converted`);
    const run = runFlag(tag.name);
    const s: TagState = { tag, ...(unit ? { unit } : {}), ...(run ? { run } : {}), stopped: 0, out: new Map(), nonNumeric: 0, badQuality: 0, late: 0, samples: 0, warm: [], raw: false, blockIndex: Number.NaN, lastT: Number.NaN, snapshots: 0 };
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
    if (s.run && s.stopped) tagNotes.push(`${s.stopped} samples taken while ${s.run.tag} was off were left out (a stopped machine does not vibrate)`);
    if (s.samples === 0) {
      notes.push(`${s.tag.name}: no numeric samples in the capture; not analysed`);
      continue;
    }
    // Worth saying only when the machine has been off for a day or more at the end (not the nightly stop).
    const stoppedSince = s.run && s.run.state === 0 && stats.last - s.run.since >= 86_400_000 ? s.run.since : undefined;
    for (const [name, o] of s.out) {
      inputs.push({
        name,
        tag: s.tag.name,
        ...(o.unit ? { unit: o.unit } : {}),
        quantity: o.quantity,
        series: o.means.series(),
        notes: tagNotes,
        ...(stoppedSince !== undefined ? { stoppedSince, runningTag: s.run!.tag } : {}),
      });
    }
  }
  return { inputs, stats, notes };
}

function indicator(s: TagState, name: string, quantity: IndicatorInput['quantity'], unit: string | undefined): MinuteMeans {
  let o = s.out.get(name);
  if (!o) s.out.set(name, (o = { quantity, ...(unit ? { unit } : {}), means: new MinuteMeans() }));
  return o.means;
}

function addIndicatorSample(s: TagState, t: number, v: unknown, q: string | undefined, blockMs: number, band: [number, number] | undefined): void {
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
    if (band && Number.isFinite(rate) && rate > 0) indicator(s, `${s.tag.name}:band ${band[0]}-${band[1]} Hz`, 'band-energy', undefined).add(t, bandEnergy(x, rate, band));
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
  for (const x of w) feedScalar(s, x.t, x.v, blockMs);
}

function feedScalar(s: TagState, t: number, v: number, blockMs: number): void {
  if (!s.raw) {
    indicator(s, s.tag.name, 'value', s.unit).add(t, v);
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
  }
  b.reset();
}
