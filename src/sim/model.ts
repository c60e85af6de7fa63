import { offsetMinutes } from '../core/time.js';
import { gaussian, streamId, uniform } from './noise.js';
import type { AssetConfig, PlantConfig } from './plant-schema.js';
import { ShiftCalendar } from './shifts.js';
import { assetSignals, PLANT_ASSET, plantSignals, type SignalInfo } from './signals.js';

/**
 * The plant model: a pure function from (signal, instant) to a value. Time is cut into one-minute
 * slots; what the plant does in a slot (producing, which motors run, compressor loaded, load
 * level) is a function of the slot number alone, so counters and energy are exact integrals of
 * piecewise-constant power and can be computed for any instant in any order. Measurement noise
 * is a hash of (seed, signal, second), added on top. Nothing here does I/O or reads the clock.
 */

export const SLOT_MS = 60_000;
const SLOTS_PER_BLOCK = 1440; // one day of slots per cache block
const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PLANT_LOAD_STREAM = streamId('load:plant');

export type SignalValue = number | boolean;

/** The bearing degradation of one asset, as written in the ground truth. */
export interface BearingCurve {
  asset: string;
  /** absolute times, ms since 1970 */
  onset: number;
  failure: number;
  baselineMmS: number;
  thresholdMmS: number;
  /** v(t) = baseline + amplitude · (exp(growthPerDay · days since onset) − 1) */
  amplitudeMmS: number;
  growthPerDay: number;
  afterFailure: 'trip' | 'run';
}

/** What a power meter on a feeder sees (noise-free; the meter adds its own noise). */
export interface FeederReading {
  powerKw: number;
  reactiveKvar: number;
  powerFactor: number;
  energyKwh: number;
  reactiveKvarh: number;
}

interface AssetSlot {
  running: boolean;
  loaded: boolean;
  /** electrical power over rated power */
  loadRatio: number;
  p: number;
  q: number;
}

interface Block {
  producing: Uint8Array;
  running: Uint8Array[];
  loaded: Uint8Array[];
  loadRatio: Float64Array[];
  /** per feeder (assets, then the plant): kW and kvar in each slot */
  p: Float64Array[];
  q: Float64Array[];
  /** per feeder: kWh and kvarh from the block start to each slot start (length 1441) */
  eCum: Float64Array[];
  qCum: Float64Array[];
  /** per asset: running minutes from the block start to each slot start (length 1441) */
  runCum: Float64Array[];
  /** per asset: thermal state at each slot start (0 cold ... 1 at full load) */
  heat: Float64Array[];
}

export interface PlantModelOptions {
  /** overrides the file's seed */
  seed?: number;
  /** the model's epoch, ms since 1970 (default: the file's start); rounded down to the minute */
  start?: number;
  /**
   * Signals stuck at their value of instant `at` (a frozen transmitter: `iiot sim --freeze`), so a
   * flat-line check has a real fault to find. Every protocol serves the frozen value.
   */
  frozen?: { ids: readonly string[]; at: number };
}

export class PlantModel {
  readonly config: PlantConfig;
  readonly seed: number;
  /** the epoch: slots, counters and the degradation are counted from here (a whole minute) */
  readonly start: number;
  readonly signals: readonly SignalInfo[];
  private readonly assets: readonly AssetConfig[];
  private readonly plantIndex: number;
  private readonly calendar: ShiftCalendar;
  private readonly byId = new Map<string, SignalInfo>();
  private readonly readers = new Map<string, (t: number) => SignalValue>();
  private readonly blocks = new Map<number, Block>();
  private readonly totals = new Map<number, Float64Array>();
  private readonly offsets = new Map<number, Float64Array>();
  private readonly curves: readonly (BearingCurve | undefined)[];
  private readonly warmupSlots: number;
  private readonly jamStreams: readonly number[];
  private readonly loadStreams: readonly number[];
  private readonly frozen: { ids: ReadonlySet<string>; at: number } | undefined;

  constructor(config: PlantConfig, options: PlantModelOptions = {}) {
    this.config = config;
    this.seed = options.seed ?? config.seed;
    const start = options.start ?? Date.parse(config.start);
    this.start = Math.floor(start / SLOT_MS) * SLOT_MS;
    this.assets = config.assets;
    this.plantIndex = config.assets.length;
    this.calendar = new ShiftCalendar(config);
    this.signals = [...plantSignals(config), ...config.assets.flatMap(assetSignals)];
    for (const s of this.signals) this.byId.set(s.id, s);
    this.curves = config.assets.map((a) => bearingCurve(a, this.start));
    if (options.frozen) {
      for (const id of options.frozen.ids) if (!this.byId.has(id)) throw new Error(`unknown plant signal "${id}"`);
      this.frozen = { ids: new Set(options.frozen.ids), at: options.frozen.at };
    }
    this.jamStreams = config.assets.map((a) => streamId(`microstop:${a.id}`));
    this.loadStreams = config.assets.map((a) => streamId(`load:${a.id}`));
    const maxTau = Math.max(...config.assets.map((a) => a.bearingTemp.tau));
    // Eight time constants: the thermal state forgets where it started to within e^-8.
    this.warmupSlots = Math.max(60, Math.ceil((8 * maxTau) / SLOT_MS));
  }

  /** The signal's metadata, or undefined. */
  signal(id: string): SignalInfo | undefined {
    return this.byId.get(id);
  }

  /** The value of a signal at instant t (ms since 1970). Throws for an unknown id (a bug). */
  value(id: string, t: number): SignalValue {
    return this.reader(id)(t);
  }

  /** A fast accessor for one signal, for loops over many instants. */
  reader(id: string): (t: number) => SignalValue {
    let r = this.readers.get(id);
    if (!r) {
      const info = this.byId.get(id);
      if (!info) throw new Error(`unknown plant signal "${id}"`);
      r = info.asset === PLANT_ASSET ? this.plantReader(info) : this.assetReader(info);
      if (this.frozen?.ids.has(id)) {
        const stuck = r(this.frozen.at);
        r = () => stuck;
      }
      this.readers.set(id, r);
    }
    return r;
  }

  /** The noise-free vibration trend of an asset while running: baseline plus degradation. */
  trendVibration(assetId: string, t: number): number {
    const i = this.assetIndex(assetId);
    return this.assets[i]!.vibration.baselineMmS + this.degradation(i, t);
  }

  /** Degradation curves of every asset that has one. */
  bearingCurves(): BearingCurve[] {
    return this.curves.filter((c): c is BearingCurve => c !== undefined);
  }

  /** Is the plant in a production shift at t? */
  producing(t: number): boolean {
    return this.calendar.isProducing(this.slotStart(this.slotOf(t)));
  }

  /** Noise-free electrical quantities of a feeder ("plant" or an asset id) at t. */
  feeder(id: string, t: number): FeederReading {
    const f = id === PLANT_ASSET ? this.plantIndex : this.assetIndex(id);
    const { block, i, frac } = this.locate(t);
    const k = Math.floor(this.slotOf(t) / SLOTS_PER_BLOCK);
    const off = this.offset(k);
    const p = block.p[f]![i]!;
    const q = block.q[f]![i]!;
    const hours = (frac * SLOT_MS) / HOUR_MS;
    return {
      powerKw: p,
      reactiveKvar: q,
      powerFactor: powerFactor(p, q),
      energyKwh: off[2 * f]! + block.eCum[f]![i]! + p * hours,
      reactiveKvarh: off[2 * f + 1]! + block.qCum[f]![i]! + q * hours,
    };
  }

  /** kWh drawn by a feeder between two instants (noise-free, exact). */
  energyBetween(id: string, from: number, to: number): number {
    return this.feeder(id, to).energyKwh - this.feeder(id, from).energyKwh;
  }

  // ---------------------------------------------------------------------------------------------
  // signal readers

  private assetReader(info: SignalInfo): (t: number) => SignalValue {
    const a = this.assetIndex(info.asset);
    const cfg = this.assets[a]!;
    const seed = this.seed;
    const stream = streamId(info.id);
    const sec = (t: number) => Math.floor(t / 1000);
    switch (info.signal) {
      case 'running':
        return (t) => {
          const { block, i } = this.locate(t);
          return block.running[a]![i] === 1;
        };
      case 'loaded':
        return (t) => {
          const { block, i } = this.locate(t);
          return block.loaded[a]![i] === 1;
        };
      case 'speed':
        return (t) => {
          const { block, i } = this.locate(t);
          if (!block.running[a]![i]) return 0;
          // slip shrinks at light load: a loaded induction motor runs a little slower
          const slip = 0.012 * Math.min(1.2, block.loadRatio[a]![i]!);
          return cfg.ratedSpeedRpm * (1.01 - slip) + 0.8 * gaussian(seed, stream, sec(t));
        };
      case 'current':
        return (t) => {
          const { block, i } = this.locate(t);
          if (!block.running[a]![i]) return 0;
          // magnetising current flows even unloaded; the rest follows the load
          return Math.max(0, cfg.ratedCurrentA * (0.3 + 0.7 * block.loadRatio[a]![i]!) * (1 + 0.01 * gaussian(seed, stream, sec(t))));
        };
      case 'power':
        return (t) => {
          const { block, i } = this.locate(t);
          const p = block.p[a]![i]!;
          return p === 0 ? 0 : Math.max(0, p + 0.01 * cfg.ratedKw * gaussian(seed, stream, sec(t)));
        };
      case 'energy':
        return (t) => this.feeder(cfg.id, t).energyKwh;
      case 'vibration':
        return (t) => {
          const { block, i } = this.locate(t);
          const g = gaussian(seed, stream, sec(t));
          if (!block.running[a]![i]) return Math.max(0.01, cfg.vibration.stoppedMmS * (1 + 0.3 * g));
          return Math.max(0.01, (cfg.vibration.baselineMmS + this.degradation(a, t)) * (1 + cfg.vibration.noise * g));
        };
      case 'bearingTemp':
        return (t) => {
          const { block, i, frac } = this.locate(t);
          const target = block.running[a]![i] ? block.loadRatio[a]![i]! : 0;
          const h0 = block.heat[a]![i]!;
          const h = target + (h0 - target) * Math.exp(-(frac * SLOT_MS) / cfg.bearingTemp.tau);
          const extra = cfg.bearing ? cfg.bearing.tempRisePerMmS * this.degradation(a, t) : 0;
          return this.ambient(t) + (cfg.bearingTemp.riseC + extra) * h + cfg.bearingTemp.noiseC * gaussian(seed, stream, sec(t));
        };
      case 'count': {
        const rate = cfg.kind === 'conveyor' ? cfg.productionPerMinute : 0;
        return (t) => {
          const { block, i, frac } = this.locate(t);
          const k = Math.floor(this.slotOf(t) / SLOTS_PER_BLOCK);
          const minutes = this.offset(k)[2 * (this.plantIndex + 1) + a]! + block.runCum[a]![i]! + (block.running[a]![i] ? frac : 0);
          return Math.floor(rate * minutes + 1e-9);
        };
      }
      default:
        throw new Error(`no reader for ${info.id}`);
    }
  }

  private plantReader(info: SignalInfo): (t: number) => SignalValue {
    const seed = this.seed;
    const stream = streamId(info.id);
    const e = this.config.energy;
    const sec = (t: number) => Math.floor(t / 1000);
    switch (info.signal) {
      case 'producing':
        return (t) => {
          const { block, i } = this.locate(t);
          return block.producing[i] === 1;
        };
      case 'power':
        return (t) => Math.max(0, this.feeder(PLANT_ASSET, t).powerKw + e.powerNoiseKw * gaussian(seed, stream, sec(t)));
      case 'energy':
        return (t) => e.initialKwh + this.feeder(PLANT_ASSET, t).energyKwh;
      case 'reactiveEnergy':
        return (t) => e.initialKvarh + this.feeder(PLANT_ASSET, t).reactiveKvarh;
      case 'powerFactor':
        return (t) => Math.min(1, this.feeder(PLANT_ASSET, t).powerFactor + 0.002 * gaussian(seed, stream, sec(t)));
      case 'voltage':
        return (t) => this.voltage(t) + 0.4 * gaussian(seed, stream, sec(t));
      case 'current':
        return (t) => {
          const f = this.feeder(PLANT_ASSET, t);
          const apparentKva = Math.hypot(f.powerKw, f.reactiveKvar);
          return ((apparentKva * 1000) / (3 * this.voltage(t))) * (1 + 0.005 * gaussian(seed, stream, sec(t)));
        };
      case 'frequency':
        return (t) => e.frequency + 0.015 * gaussian(seed, stream, sec(t));
      default:
        throw new Error(`no reader for ${info.id}`);
    }
  }

  /** Phase voltage without noise: a daily swing and a drop under load. */
  voltage(t: number): number {
    const e = this.config.energy;
    const f = this.feeder(PLANT_ASSET, t);
    const maxKw = e.baseLoadKw + e.productionAuxKw + this.assets.reduce((s, a) => s + a.ratedKw, 0);
    return e.voltage * (1 + 0.008 * Math.sin((2 * Math.PI * this.localHours(t)) / 24) - 0.012 * (f.powerKw / maxKw));
  }

  /** Ambient temperature of the hall (°C): warmest mid-afternoon. */
  private ambient(t: number): number {
    return 21 + 3.5 * Math.sin((2 * Math.PI * (this.localHours(t) - 9)) / 24);
  }

  private localHours(t: number): number {
    const local = t + offsetMinutes(t, this.config.timezone) * 60_000;
    return (((local % DAY_MS) + DAY_MS) % DAY_MS) / HOUR_MS;
  }

  private degradation(a: number, t: number): number {
    const c = this.curves[a];
    if (!c || t <= c.onset) return 0;
    return c.amplitudeMmS * (Math.exp((c.growthPerDay * (t - c.onset)) / DAY_MS) - 1);
  }

  private assetIndex(id: string): number {
    const i = this.assets.findIndex((a) => a.id === id);
    if (i < 0) throw new Error(`unknown asset "${id}"`);
    return i;
  }

  // ---------------------------------------------------------------------------------------------
  // slots and blocks

  private slotOf(t: number): number {
    return Math.floor((t - this.start) / SLOT_MS);
  }

  private slotStart(s: number): number {
    return this.start + s * SLOT_MS;
  }

  /** The block holding t, the slot index within it and how far into the slot t is (0..1). */
  private locate(t: number): { block: Block; i: number; frac: number } {
    const s = this.slotOf(t);
    const k = Math.floor(s / SLOTS_PER_BLOCK);
    const i = s - k * SLOTS_PER_BLOCK;
    return { block: this.block(k), i, frac: (t - this.slotStart(s)) / SLOT_MS };
  }

  /** What the plant does in slot s: a pure function of s. */
  private slotState(s: number, producing: boolean, out: AssetSlot[]): void {
    const t0 = this.slotStart(s);
    for (let a = 0; a < this.assets.length; a++) {
      const cfg = this.assets[a]!;
      const curve = this.curves[a];
      const tripped = curve !== undefined && curve.afterFailure === 'trip' && t0 >= curve.failure;
      let running = false;
      let loaded = false;
      let p = 0;
      if (cfg.kind === 'conveyor') {
        const jam = uniform(this.seed, this.jamStreams[a]!, s) < cfg.microStopProbability;
        running = producing && !tripped && !jam;
        p = running ? cfg.ratedKw * cfg.loadFactor * this.loadWobble(a, s) : 0;
      } else if (cfg.kind === 'pump') {
        running = (cfg.schedule === 'continuous' || producing) && !tripped;
        p = running ? cfg.ratedKw * cfg.loadFactor * this.loadWobble(a, s) : 0;
      } else {
        running = !tripped;
        const cycleSlots = Math.max(1, Math.round(cfg.cycle / SLOT_MS));
        const duty = producing ? cfg.dutyProduction : cfg.dutyIdle;
        const phase = ((s % cycleSlots) + cycleSlots) % cycleSlots;
        loaded = running && phase < Math.round(duty * cycleSlots);
        p = running ? (loaded ? cfg.loadedKw : cfg.unloadedKw) : 0;
      }
      const loadRatio = p / cfg.ratedKw;
      // induction motors: poor power factor at light load
      const pf = 0.6 + 0.27 * Math.min(1, loadRatio);
      const slot = out[a]!;
      slot.running = running;
      slot.loaded = loaded;
      slot.loadRatio = loadRatio;
      slot.p = p;
      slot.q = p * Math.tan(Math.acos(pf));
    }
  }

  /** ±4 % slot-to-slot variation of a motor's load (product mix, flow demand). */
  private loadWobble(a: number, s: number): number {
    return 1 + 0.08 * (uniform(this.seed, this.loadStreams[a]!, s) - 0.5);
  }

  private block(k: number): Block {
    const cached = this.blocks.get(k);
    if (cached) return cached;
    const block = this.computeBlock(k);
    if (this.blocks.size >= 48) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(k, block);
    return block;
  }

  private computeBlock(k: number): Block {
    const n = this.assets.length;
    const F = n + 1;
    const arr = <T>(make: () => T) => Array.from({ length: n }, make);
    const b: Block = {
      producing: new Uint8Array(SLOTS_PER_BLOCK),
      running: arr(() => new Uint8Array(SLOTS_PER_BLOCK)),
      loaded: arr(() => new Uint8Array(SLOTS_PER_BLOCK)),
      loadRatio: arr(() => new Float64Array(SLOTS_PER_BLOCK)),
      p: Array.from({ length: F }, () => new Float64Array(SLOTS_PER_BLOCK)),
      q: Array.from({ length: F }, () => new Float64Array(SLOTS_PER_BLOCK)),
      eCum: Array.from({ length: F }, () => new Float64Array(SLOTS_PER_BLOCK + 1)),
      qCum: Array.from({ length: F }, () => new Float64Array(SLOTS_PER_BLOCK + 1)),
      runCum: arr(() => new Float64Array(SLOTS_PER_BLOCK + 1)),
      heat: arr(() => new Float64Array(SLOTS_PER_BLOCK)),
    };
    const e = this.config.energy;
    const basePf = Math.tan(Math.acos(e.powerFactor));
    const slots: AssetSlot[] = Array.from({ length: n }, () => ({ running: false, loaded: false, loadRatio: 0, p: 0, q: 0 }));
    const first = k * SLOTS_PER_BLOCK;

    // Thermal state at the block start: simulated from a fixed number of slots earlier, so it
    // does not depend on which blocks were computed before.
    const heat = new Float64Array(n);
    const taus = this.assets.map((a) => Math.exp(-SLOT_MS / a.bearingTemp.tau));
    for (let s = first - this.warmupSlots; s < first; s++) {
      this.slotState(s, this.calendar.isProducing(this.slotStart(s)), slots);
      for (let a = 0; a < n; a++) {
        const target = slots[a]!.running ? slots[a]!.loadRatio : 0;
        heat[a] = s === first - this.warmupSlots ? target : target + (heat[a]! - target) * taus[a]!;
      }
    }

    for (let i = 0; i < SLOTS_PER_BLOCK; i++) {
      const s = first + i;
      const producing = this.calendar.isProducing(this.slotStart(s));
      b.producing[i] = producing ? 1 : 0;
      this.slotState(s, producing, slots);
      const base =
        e.baseLoadKw * (1 + e.baseLoadVariation * 2 * (uniform(this.seed, PLANT_LOAD_STREAM, s) - 0.5)) +
        (producing ? e.productionAuxKw : 0);
      let plantP = base;
      let plantQ = base * basePf;
      for (let a = 0; a < n; a++) {
        const st = slots[a]!;
        b.running[a]![i] = st.running ? 1 : 0;
        b.loaded[a]![i] = st.loaded ? 1 : 0;
        b.loadRatio[a]![i] = st.loadRatio;
        b.p[a]![i] = st.p;
        b.q[a]![i] = st.q;
        b.heat[a]![i] = heat[a]!;
        const target = st.running ? st.loadRatio : 0;
        heat[a] = target + (heat[a]! - target) * taus[a]!;
        b.runCum[a]![i + 1] = b.runCum[a]![i]! + (st.running ? 1 : 0);
        plantP += st.p;
        plantQ += st.q;
      }
      b.p[n]![i] = plantP;
      b.q[n]![i] = plantQ;
      for (let f = 0; f < F; f++) {
        b.eCum[f]![i + 1] = b.eCum[f]![i]! + b.p[f]![i]! / 60;
        b.qCum[f]![i + 1] = b.qCum[f]![i]! + b.q[f]![i]! / 60;
      }
    }
    return b;
  }

  /** Totals of block k: kWh and kvarh per feeder, then running minutes per asset. */
  private blockTotals(k: number): Float64Array {
    let t = this.totals.get(k);
    if (!t) {
      const b = this.block(k);
      const F = this.plantIndex + 1;
      t = new Float64Array(2 * F + this.assets.length);
      for (let f = 0; f < F; f++) {
        t[2 * f] = b.eCum[f]![SLOTS_PER_BLOCK]!;
        t[2 * f + 1] = b.qCum[f]![SLOTS_PER_BLOCK]!;
      }
      for (let a = 0; a < this.assets.length; a++) t[2 * F + a] = b.runCum[a]![SLOTS_PER_BLOCK]!;
      this.totals.set(k, t);
    }
    return t;
  }

  /** Integrals from the epoch to the start of block k (negative before the epoch). */
  private offset(k: number): Float64Array {
    const cached = this.offsets.get(k);
    if (cached) return cached;
    if (!this.offsets.has(0)) this.offsets.set(0, new Float64Array(2 * (this.plantIndex + 1) + this.assets.length));
    // Walk from the nearest known offset towards k, one day at a time (no recursion over months).
    let j = k;
    while (!this.offsets.has(j)) j += k > 0 ? -1 : 1;
    let acc = this.offsets.get(j)!;
    while (j !== k) {
      const next = new Float64Array(acc.length);
      if (k > 0) {
        const tot = this.blockTotals(j);
        for (let x = 0; x < acc.length; x++) next[x] = acc[x]! + tot[x]!;
        j += 1;
      } else {
        j -= 1;
        const tot = this.blockTotals(j);
        for (let x = 0; x < acc.length; x++) next[x] = acc[x]! - tot[x]!;
      }
      acc = next;
      this.offsets.set(j, acc);
    }
    return acc;
  }
}

function bearingCurve(a: AssetConfig, epoch: number): BearingCurve | undefined {
  const d = a.bearing;
  if (!d) return undefined;
  const days = (d.failure - d.onset) / DAY_MS;
  const amplitude = (d.thresholdMmS - a.vibration.baselineMmS) / (Math.exp(d.growthPerDay * days) - 1);
  return {
    asset: a.id,
    onset: epoch + d.onset,
    failure: epoch + d.failure,
    baselineMmS: a.vibration.baselineMmS,
    thresholdMmS: d.thresholdMmS,
    amplitudeMmS: amplitude,
    growthPerDay: d.growthPerDay,
    afterFailure: d.afterFailure,
  };
}

function powerFactor(p: number, q: number): number {
  const s = Math.hypot(p, q);
  return s === 0 ? 1 : p / s;
}
