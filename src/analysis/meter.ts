/**
 * Streaming accumulation of meter readings into one-minute buckets, in bounded memory: a year of
 * minutes is 525 600 buckets (about 6 MB per meter), however many samples the capture holds.
 *
 * This is the hot path of `iiot analyze energy`: plain loops over typed arrays, one object per
 * tag, nothing allocated per sample. arquero is not used: it works on whole in-memory tables,
 * while here samples are folded into buckets batch by batch as the reader yields them; and over
 * the buckets afterwards, the calendar roll-ups and the tariff join ran 3 to 10 times faster as
 * loops than as arquero group-bys and joins (bench/arquero.ts, docs/benchmarks.md). arquero is the
 * scripting API's table type instead (src/lib/, docs/scripting.md).
 *
 * Three kinds of meter (docs/analysis.md, "Energy from meters"):
 * - power (W, kW, MW): integrated with the trapezoidal rule between consecutive samples; never
 *   across a gap longer than `maxGapMs` (that time is marked uncovered, its energy unknown);
 * - counter (Wh, kWh, MWh register): differences of consecutive readings; a reading below the
 *   previous one is a rollover (when the register's modulus is known or recognisable), a reset (the
 *   meter restarted: the interval is counted as zero) or a glitch (the next reading returns to the
 *   old count: the odd reading is dropped). A jump far above the usual rate is held until the next
 *   reading confirms it. Differences across gaps are spread evenly over the gap (the energy is
 *   known, its timing is not) and the gap is reported;
 * - interval (energy per interval): each value is spread over its interval, which starts or ends
 *   at the timestamp (`intervalEnd`: the command line, else the capture header's tag field `interval`).
 * The same kinds serve reactive energy (var, kvar, kvarh) and production counters (pcs).
 * A boolean "producing" tag is held between samples and bucketed as the producing fraction of each minute.
 * A level (outdoor temperature, for degree days) is interpolated like power, never across a gap, and
 * kept as level x covered ms so that any span's mean is its value over its covered time.
 */

import { median } from './stats.js';

export const MINUTE_MS = 60_000;

export type MeterKind = 'power' | 'counter' | 'interval' | 'state' | 'level';
export type MeterQuantity = 'active' | 'reactive' | 'production' | 'producing' | 'temperature';

export interface MeterSpec {
  tag: string;
  /** 'auto' decides between counter and interval from the first readings */
  kind: MeterKind | 'auto';
  quantity: MeterQuantity;
  /** multiplies readings into the base unit: kW for power, kWh for energy, kvar/kvarh for reactive, 1 for counts, °C for temperature */
  factor: number;
  /** added after the factor (temperatures in °F or K) */
  offset?: number;
  /** the unit as written in the capture header */
  unit?: string;
  /** register modulus for rollovers (header range high + 1 for integer registers), if known */
  modulus?: number;
  /** interval energy: what the capture header says of its timestamps (`interval` tag field); the command line overrides it */
  intervalEnd?: boolean;
  intervalMs?: number;
}

export interface MeterOptions {
  /** power: never integrate across a gap longer than this (default: 5 x the typical spacing, at least 2 min) */
  maxGapMs?: number;
  /** interval energy: the interval length (default: the typical spacing of the readings) */
  intervalMs?: number;
  /** interval energy: timestamps mark the end of each interval (utility convention) */
  intervalEnd?: boolean;
}

export interface MeterEvent {
  kind: 'gap' | 'reset' | 'rollover' | 'glitch' | 'jump' | 'negative' | 'late' | 'duplicate' | 'non-numeric' | 'bad-quality';
  at: number;
  /** for gaps: length in ms */
  ms?: number;
  detail?: string;
}

/** One-minute buckets from `origin`, growing in both directions as needed. */
export class MinuteBuckets {
  origin = Number.NaN;
  value: Float64Array = new Float64Array(0);
  covered: Float32Array = new Float32Array(0);
  /** first and last bucket index with data */
  lo = Number.POSITIVE_INFINITY;
  hi = Number.NEGATIVE_INFINITY;

  private ensure(a: number, b: number): void {
    if (Number.isNaN(this.origin)) {
      this.origin = Math.floor(a / MINUTE_MS) * MINUTE_MS - 1440 * MINUTE_MS;
      const n = Math.max(4096, Math.ceil((b - this.origin) / MINUTE_MS) + 4096);
      this.value = new Float64Array(n);
      this.covered = new Float32Array(n);
    }
    if (a < this.origin) {
      const extra = Math.ceil((this.origin - a) / MINUTE_MS) + Math.max(1440, this.value.length >> 1);
      const v = new Float64Array(this.value.length + extra);
      const c = new Float32Array(this.value.length + extra);
      v.set(this.value, extra);
      c.set(this.covered, extra);
      this.value = v;
      this.covered = c;
      this.origin -= extra * MINUTE_MS;
      this.lo += extra;
      this.hi += extra;
    }
    const need = Math.ceil((b - this.origin) / MINUTE_MS) + 1;
    if (need > this.value.length) {
      const n = Math.max(need, this.value.length * 2);
      const v = new Float64Array(n);
      const c = new Float32Array(n);
      v.set(this.value);
      c.set(this.covered);
      this.value = v;
      this.covered = c;
    }
  }

  /** Adds `amount` spread evenly over [a, b) and marks that time covered. */
  spread(a: number, b: number, amount: number): void {
    if (b <= a) return;
    this.ensure(a, b);
    const rate = amount / (b - a);
    let i = Math.floor((a - this.origin) / MINUTE_MS);
    let x = a;
    while (x < b) {
      const edge = this.origin + (i + 1) * MINUTE_MS;
      const y = edge < b ? edge : b;
      this.value[i]! += rate * (y - x);
      this.covered[i]! += y - x;
      if (i < this.lo) this.lo = i;
      if (i > this.hi) this.hi = i;
      x = y;
      i++;
    }
  }

  /** Adds the integral of a straight line from (a, pa) to (b, pb) (power x ms), split at minute edges. */
  trapezoid(a: number, pa: number, b: number, pb: number): void {
    if (b <= a) return;
    this.ensure(a, b);
    let i = Math.floor((a - this.origin) / MINUTE_MS);
    const edge0 = this.origin + (i + 1) * MINUTE_MS;
    if (b <= edge0) {
      // common case: both samples in the same minute
      this.value[i]! += 0.5 * (pa + pb) * (b - a);
      this.covered[i]! += b - a;
      if (i < this.lo) this.lo = i;
      if (i > this.hi) this.hi = i;
      return;
    }
    const slope = (pb - pa) / (b - a);
    let x = a;
    let px = pa;
    while (x < b) {
      const edge = this.origin + (i + 1) * MINUTE_MS;
      const y = edge < b ? edge : b;
      const py = pa + slope * (y - a);
      this.value[i]! += 0.5 * (px + py) * (y - x);
      this.covered[i]! += y - x;
      if (i < this.lo) this.lo = i;
      if (i > this.hi) this.hi = i;
      x = y;
      px = py;
      i++;
    }
  }

  /** Holds a state (0..1) over [a, b): value accumulates state x ms, covered the ms. */
  hold(a: number, b: number, state: number): void {
    this.spread(a, b, state * (b - a));
  }
}

const WARMUP = 64;

/** Accumulates one tag's readings. Feed samples in time order; out-of-order ones are counted and skipped. */
export class MeterAccumulator {
  readonly spec: MeterSpec;
  kind: MeterKind | 'auto';
  readonly buckets = new MinuteBuckets();
  readonly events: MeterEvent[] = [];
  /** counts of skipped or corrected readings by kind */
  readonly counts: Record<MeterEvent['kind'], number> = {
    gap: 0,
    reset: 0,
    rollover: 0,
    glitch: 0,
    jump: 0,
    negative: 0,
    late: 0,
    duplicate: 0,
    'non-numeric': 0,
    'bad-quality': 0,
  };
  samples = 0;
  first = Number.NaN;
  last = Number.NaN;
  /** typical spacing of readings (ms), from the first readings */
  spacing = Number.NaN;
  maxGapMs = Number.NaN;
  intervalMs = Number.NaN;
  gapMs = 0;
  private readonly opts: MeterOptions;
  private warm: { t: number; v: number }[] | undefined = [];
  private pt = Number.NaN;
  private pv = Number.NaN;
  /** counters: a reading held until the next one says whether it was real */
  private suspect: { t: number; v: number; why: 'drop' | 'jump' } | undefined;
  private rates: number[] = [];
  private static readonly MAX_EVENTS = 200;

  constructor(spec: MeterSpec, opts: MeterOptions = {}) {
    this.spec = spec;
    this.kind = spec.kind;
    this.opts = opts;
  }

  private event(e: MeterEvent): void {
    this.counts[e.kind]++;
    if (this.events.length < MeterAccumulator.MAX_EVENTS) this.events.push(e);
  }

  /** One reading: epoch ms, the raw value as recorded, and its quality if not good. */
  add(t: number, raw: unknown, quality?: string): void {
    if (quality !== undefined && /^bad/i.test(quality)) {
      this.event({ kind: 'bad-quality', at: t, detail: quality });
      return;
    }
    let v: number;
    if (typeof raw === 'number') v = raw;
    else if (typeof raw === 'boolean') v = raw ? 1 : 0;
    else {
      this.event({ kind: 'non-numeric', at: t, detail: JSON.stringify(raw)?.slice(0, 40) ?? 'undefined' });
      return;
    }
    if (!Number.isFinite(v) || !Number.isFinite(t)) {
      this.event({ kind: 'non-numeric', at: t });
      return;
    }
    this.samples++;
    const x = this.spec.quantity === 'producing' ? v : v * this.spec.factor + (this.spec.offset ?? 0);
    if (this.warm) {
      this.warm.push({ t, v: x });
      if (this.warm.length >= WARMUP) this.settle();
      return;
    }
    this.feed(t, x);
  }

  /** Decides spacing, gap limit, interval length and (auto) counter vs interval from the first readings. */
  private settle(): void {
    const w = this.warm!;
    this.warm = undefined;
    w.sort((a, b) => a.t - b.t);
    const d: number[] = [];
    for (let i = 1; i < w.length; i++) if (w[i]!.t > w[i - 1]!.t) d.push(w[i]!.t - w[i - 1]!.t);
    this.spacing = d.length ? median(d) : MINUTE_MS;
    this.maxGapMs = this.opts.maxGapMs ?? Math.max(2 * MINUTE_MS, 5 * this.spacing);
    this.intervalMs = this.opts.intervalMs ?? this.spec.intervalMs ?? this.spacing;
    if (this.kind === 'auto') {
      let up = 0;
      let steps = 0;
      for (let i = 1; i < w.length; i++) {
        if (w[i]!.t === w[i - 1]!.t) continue;
        steps++;
        if (w[i]!.v >= w[i - 1]!.v) up++;
      }
      const first = w[0]!.v;
      const lastV = w[w.length - 1]!.v;
      const typical = median(w.map((x) => Math.abs(x.v)));
      // A register only goes up, and its level dwarfs its steps; interval energies go up and down.
      const monotone = steps > 0 && up / steps >= 0.95;
      const levelDominates = typical > 0 && lastV - first < typical * 0.5 && Math.abs(first) > 0;
      this.kind = monotone && (levelDominates || lastV > first) ? 'counter' : 'interval';
      if (w.length < 3) this.kind = 'interval';
    }
    for (const s of w) this.feed(s.t, s.v);
  }

  /** Flushes a warm-up that never filled (short captures). */
  finish(): void {
    if (this.warm) {
      if (this.warm.length === 0) {
        this.warm = undefined;
        return;
      }
      this.settle();
    }
    if (this.suspect) {
      // nothing came to confirm or refute the last suspicious reading: a drop is a reset, a jump is accepted
      const s = this.suspect;
      this.suspect = undefined;
      this.acceptCounter(s.t, s.v, s.why);
    }
  }

  private feed(t: number, v: number): void {
    if (Number.isNaN(this.first)) this.first = t;
    if (!Number.isNaN(this.pt)) {
      if (t < this.pt) {
        this.event({ kind: 'late', at: t });
        return;
      }
      if (t === this.pt) {
        this.event({ kind: 'duplicate', at: t });
        return;
      }
    }
    this.last = t;
    switch (this.kind) {
      case 'power':
      case 'level':
        this.feedPower(t, v);
        break;
      case 'state':
        this.feedState(t, v);
        break;
      case 'interval':
        this.feedInterval(t, v);
        break;
      default:
        this.feedCounter(t, v);
    }
  }

  private feedPower(t: number, p: number): void {
    if (!Number.isNaN(this.pt)) {
      const dt = t - this.pt;
      if (dt <= this.maxGapMs) this.buckets.trapezoid(this.pt, this.pv, t, p);
      else {
        this.gapMs += dt;
        this.event({ kind: 'gap', at: this.pt, ms: dt });
      }
    }
    this.pt = t;
    this.pv = p;
  }

  private feedState(t: number, s: number): void {
    if (!Number.isNaN(this.pt)) {
      const dt = t - this.pt;
      if (dt <= this.maxGapMs) this.buckets.hold(this.pt, t, this.pv ? 1 : 0);
      else {
        this.gapMs += dt;
        this.event({ kind: 'gap', at: this.pt, ms: dt });
      }
    }
    this.pt = t;
    this.pv = s;
  }

  private feedInterval(t: number, e: number): void {
    if (e < 0) {
      this.event({ kind: 'negative', at: t, detail: String(e) });
      return;
    }
    const len = this.intervalMs;
    if (this.opts.intervalEnd ?? this.spec.intervalEnd) this.buckets.spread(t - len, t, e);
    else this.buckets.spread(t, t + len, e);
    if (!Number.isNaN(this.pt) && t - this.pt > 1.5 * len) {
      this.gapMs += t - this.pt - len;
      this.event({ kind: 'gap', at: this.pt, ms: t - this.pt - len });
    }
    this.pt = t;
    this.pv = e;
  }

  private rateCache = Number.NaN;
  private rateAge = 0;

  /** Median of the recent counter rates, recomputed every 32 differences (sorting on every reading showed in profiles). */
  private typicalRate(): number {
    if (this.rates.length < 5) return Number.NaN;
    if (Number.isNaN(this.rateCache) || this.rateAge >= 32) {
      this.rateCache = median(this.rates);
      this.rateAge = 0;
    }
    return this.rateCache;
  }

  private knownRollover(prev: number, v: number): number | undefined {
    const candidates =
      this.spec.modulus !== undefined
        ? [this.spec.modulus]
        : [2 ** 16, 2 ** 32, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9].map((m) => m * this.spec.factor);
    for (const m of candidates) if (prev < m && prev >= 0.9 * m && v < 0.1 * m) return m;
    return undefined;
  }

  private feedCounter(t: number, v: number): void {
    if (Number.isNaN(this.pt)) {
      this.pt = t;
      this.pv = v;
      return;
    }
    if (this.suspect) {
      const s = this.suspect;
      this.suspect = undefined;
      const rate = this.typicalRate();
      const plausibleFromPrev = v >= this.pv && (Number.isNaN(rate) || (v - this.pv) / (t - this.pt) <= 20 * Math.max(rate, 1e-12));
      if (plausibleFromPrev && (s.why === 'drop' || v < s.v)) {
        // the suspicious reading was a glitch: the counter carries on from the previous good one
        this.event({ kind: 'glitch', at: s.t, detail: `${s.v}` });
        this.countDelta(this.pt, t, v - this.pv);
        this.pt = t;
        this.pv = v;
        return;
      }
      this.acceptCounter(s.t, s.v, s.why);
    }
    const dv = v - this.pv;
    const dt = t - this.pt;
    const rate = this.typicalRate();
    if (dv < 0) {
      const m = this.knownRollover(this.pv, v);
      if (m !== undefined) {
        this.event({ kind: 'rollover', at: t, detail: `modulus ${m / this.spec.factor}` });
        this.countDelta(this.pt, t, m - this.pv + v);
        this.pt = t;
        this.pv = v;
        return;
      }
      this.suspect = { t, v, why: 'drop' };
      return;
    }
    if (!Number.isNaN(rate) && rate > 0 && dv / dt > 1000 * rate && dv > 0) {
      this.suspect = { t, v, why: 'jump' };
      return;
    }
    this.countDelta(this.pt, t, dv);
    this.pt = t;
    this.pv = v;
  }

  /** A suspicious reading confirmed by the next one. */
  private acceptCounter(t: number, v: number, why: 'drop' | 'jump'): void {
    if (why === 'drop') {
      // meter reset or replaced: the energy between the last good reading and this one is unknown (counted as 0)
      this.event({ kind: 'reset', at: t, detail: `${this.pv / this.spec.factor} -> ${v / this.spec.factor}` });
      this.gapMs += t - this.pt;
    } else {
      this.event({ kind: 'jump', at: t, detail: `+${(v - this.pv) / this.spec.factor}` });
      this.countDelta(this.pt, t, v - this.pv);
    }
    this.pt = t;
    this.pv = v;
  }

  private countDelta(a: number, b: number, dv: number): void {
    const dt = b - a;
    if (dt > this.maxGapMs) {
      this.event({ kind: 'gap', at: a, ms: dt, detail: 'counter difference spread evenly over the gap' });
    }
    if (dv >= 0 && dt > 0) {
      this.rates.push(dv / dt);
      this.rateAge++;
      if (this.rates.length > 51) this.rates.shift();
    }
    this.buckets.spread(a, b, dv);
  }
}

/** What the analysis needs of an accumulated meter: its minute buckets in base units, and what happened. */
export interface MeterSeries {
  tag: string;
  quantity: MeterQuantity;
  kind: MeterKind;
  unit?: string;
  /** epoch ms of bucket 0 (a whole minute) */
  origin: number;
  /** per minute: kWh (active), kvarh (reactive), units (production), the producing fraction x covered ms (state), or °C x covered ms (level) */
  value: Float64Array;
  /** per minute: ms of the minute covered by readings */
  covered: Float32Array;
  samples: number;
  first: number;
  last: number;
  spacing: number;
  maxGapMs: number;
  intervalMs: number;
  gapMs: number;
  events: MeterEvent[];
  counts: MeterAccumulator['counts'];
}

/** Trims the buckets to the minutes with data and converts power x ms to energy (kWh, kvarh). */
export function toMeterSeries(acc: MeterAccumulator): MeterSeries {
  acc.finish();
  const b = acc.buckets;
  const kind = acc.kind === 'auto' ? 'interval' : acc.kind;
  const empty = !Number.isFinite(b.lo);
  const lo = empty ? 0 : b.lo;
  const hi = empty ? -1 : b.hi;
  const value = b.value.slice(lo, hi + 1);
  const covered = b.covered.slice(lo, hi + 1);
  if (kind === 'power') for (let i = 0; i < value.length; i++) value[i]! /= 3_600_000; // kW x ms -> kWh
  return {
    tag: acc.spec.tag,
    quantity: acc.spec.quantity,
    kind,
    ...(acc.spec.unit ? { unit: acc.spec.unit } : {}),
    origin: empty ? 0 : b.origin + lo * MINUTE_MS,
    value,
    covered,
    samples: acc.samples,
    first: acc.first,
    last: acc.last,
    spacing: acc.spacing,
    maxGapMs: acc.maxGapMs,
    intervalMs: acc.intervalMs,
    gapMs: acc.gapMs,
    events: acc.events,
    counts: acc.counts,
  };
}
