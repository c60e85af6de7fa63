/**
 * Remaining useful life learned from a fleet: when run-to-failure histories of machines of the same
 * type exist (C-MAPSS turbofans, a fleet of identical pumps), a regression from the recent sensor
 * history to the remaining cycles beats extrapolating one machine's trend.
 *
 * The method (docs/analysis.md, "Fleet remaining life"; `iiot analyze fleet`; evaluated in
 * bench/eval-cmapss.ts):
 * 1. Operating-condition normalisation: cycles are grouped by their operating settings (rounded),
 *    and each sensor is standardised with the mean and SD of its group in the training fleet;
 *    sensors that do not vary within a group are dropped. A condition not seen in training uses
 *    the nearest seen one.
 * 2. Features at each cycle, from the history up to that cycle only: two exponentially weighted
 *    means (alpha 0.3 and 0.05: the recent level and the long level), the mean of the last 10
 *    cycles, and the least-squares slope over the last 20; plus the cycle count.
 * 3. Target: the piecewise-linear RUL, min(RUL, cap) with cap 125 cycles: early in life the
 *    remaining life cannot be told from healthy data, and a capped target stops the model from
 *    chasing the unknowable (Heimes 2008; the usual choice in the C-MAPSS literature).
 * 4. Model: gradient-boosted trees (gbdt.ts) or ridge regression.
 *
 * The model is plain data (arrays and numbers), so that it can be written to a file and read back
 * (src/fleet/model-file.ts) and predict the same numbers.
 */

import { trainGbdt, predictGbdt, type GbdtModel, type GbdtOptions } from './gbdt.js';
import { multipleRegression } from './stats.js';

export interface FleetUnit {
  id: string | number;
  /** per cycle: operating settings (may be empty arrays: one operating condition) */
  settings: number[][];
  /** per cycle: sensor readings */
  sensors: number[][];
}

export interface FleetRulOptions {
  cap?: number;
  model?: 'gbdt' | 'ridge';
  gbdt?: GbdtOptions;
  ridge?: number;
  /** decimals the settings are rounded to when grouping operating conditions (default 0) */
  settingDecimals?: number;
  /** gbdt: called after each tree (staged predictions for cross-validation) */
  onTree?: (model: FleetRulModel, trees: number) => void;
}

export interface FleetRegime {
  key: string;
  /** the rounded settings of the group */
  settings: number[];
  /** cycles of the training fleet in this group */
  n: number;
  mean: number[];
  sd: number[];
}

export interface FleetRulModel {
  cap: number;
  settingDecimals: number;
  regimes: FleetRegime[];
  /** indices of the sensors used */
  keep: number[];
  featureNames: string[];
  kind: 'gbdt' | 'ridge';
  gbdt?: GbdtModel;
  /** ridge: intercept, then one coefficient per feature */
  ridge?: number[];
}

/** Settings rounded to `decimals`; -0 is 0 (toFixed(0) of -0.0007 is "-0", which split one condition in two). */
export function roundSettings(s: readonly number[], decimals: number): number[] {
  return s.map((x) => {
    const r = Number(x.toFixed(decimals));
    return r === 0 ? 0 : r;
  });
}

export function regimeKey(s: readonly number[], decimals: number): string {
  return roundSettings(s, decimals)
    .map((x) => x.toFixed(decimals))
    .join('|');
}

function fitRegimes(units: FleetUnit[], decimals: number): { regimes: FleetRegime[]; keep: number[] } {
  const acc = new Map<string, { settings: number[]; n: number; s: Float64Array; ss: Float64Array }>();
  const p = units[0]!.sensors[0]!.length;
  for (const u of units) {
    u.sensors.forEach((row, c) => {
      const settings = roundSettings(u.settings[c] ?? [], decimals);
      const k = regimeKey(settings, decimals);
      let a = acc.get(k);
      if (!a) acc.set(k, (a = { settings, n: 0, s: new Float64Array(p), ss: new Float64Array(p) }));
      a.n++;
      for (let j = 0; j < p; j++) {
        a.s[j]! += row[j]!;
        a.ss[j]! += row[j]! ** 2;
      }
    });
  }
  const regimes: FleetRegime[] = [];
  const varies = new Array<boolean>(p).fill(false);
  for (const [key, a] of acc) {
    const mean = Array.from(a.s, (x) => x / a.n);
    const sd = Array.from(a.ss, (x, j) => Math.sqrt(Math.max(0, x / a.n - mean[j]! ** 2)));
    sd.forEach((x, j) => {
      if (x > 1e-6 * Math.max(1, Math.abs(mean[j]!))) varies[j] = true;
    });
    regimes.push({ key, settings: a.settings, n: a.n, mean, sd });
  }
  regimes.sort((a, b) => b.n - a.n);
  return { regimes, keep: varies.map((v, j) => (v ? j : -1)).filter((j) => j >= 0) };
}

const lookups = new WeakMap<FleetRegime[], Map<string, FleetRegime>>();

/** The regime of a cycle: its own group, or the nearest seen one (by the rounded settings). */
function regimeOf(m: Pick<FleetRulModel, 'regimes' | 'settingDecimals'>, settings: readonly number[]): FleetRegime {
  let map = lookups.get(m.regimes);
  if (!map) lookups.set(m.regimes, (map = new Map(m.regimes.map((r) => [r.key, r]))));
  const key = regimeKey(settings, m.settingDecimals);
  const hit = map.get(key);
  if (hit) return hit;
  const s = roundSettings(settings, m.settingDecimals);
  let best = m.regimes[0]!;
  let bestD = Infinity;
  for (const r of m.regimes) {
    let d = 0;
    for (let j = 0; j < s.length; j++) d += (s[j]! - (r.settings[j] ?? 0)) ** 2;
    if (d < bestD) {
      bestD = d;
      best = r;
    }
  }
  map.set(key, best);
  return best;
}

/** Normalised sensors of a unit (cycles x kept sensors). */
function normalise(u: FleetUnit, m: Pick<FleetRulModel, 'regimes' | 'keep' | 'settingDecimals'>): Float64Array[] {
  return u.sensors.map((row, c) => {
    const r = regimeOf(m, u.settings[c] ?? []);
    return Float64Array.from(m.keep, (j) => (row[j]! - r.mean[j]!) / (r.sd[j]! || 1));
  });
}

/** Feature rows of every cycle of a unit (history up to each cycle only). */
export function unitFeatures(z: Float64Array[]): Float64Array[] {
  const k = z[0]?.length ?? 0;
  const out: Float64Array[] = [];
  const fast = new Float64Array(k);
  const slow = new Float64Array(k);
  for (let c = 0; c < z.length; c++) {
    const row = z[c]!;
    const f = new Float64Array(4 * k + 1);
    for (let j = 0; j < k; j++) {
      fast[j] = c === 0 ? row[j]! : 0.3 * row[j]! + 0.7 * fast[j]!;
      slow[j] = c === 0 ? row[j]! : 0.05 * row[j]! + 0.95 * slow[j]!;
      let s = 0;
      const a = Math.max(0, c - 9);
      for (let i = a; i <= c; i++) s += z[i]![j]!;
      const m10 = s / (c - a + 1);
      // slope over the last 20 cycles
      const b = Math.max(0, c - 19);
      const n = c - b + 1;
      let sx = 0;
      let sy = 0;
      let sxx = 0;
      let sxy = 0;
      for (let i = b; i <= c; i++) {
        const x = i - b;
        sx += x;
        sy += z[i]![j]!;
        sxx += x * x;
        sxy += x * z[i]![j]!;
      }
      const den = n * sxx - sx * sx;
      const slope = den > 0 ? (n * sxy - sx * sy) / den : 0;
      f[4 * j] = fast[j]!;
      f[4 * j + 1] = slow[j]!;
      f[4 * j + 2] = m10;
      f[4 * j + 3] = slope;
    }
    f[4 * k] = c + 1;
    out.push(f);
  }
  return out;
}

/** Feature rows of a unit under a model's normalisation. */
export function fleetFeatures(m: Pick<FleetRulModel, 'regimes' | 'keep' | 'settingDecimals'>, u: FleetUnit): Float64Array[] {
  return unitFeatures(normalise(u, m));
}

export function fitFleetRul(units: FleetUnit[], opts: FleetRulOptions = {}): FleetRulModel {
  if (units.length === 0 || (units[0]!.sensors[0]?.length ?? 0) === 0) throw new Error('no training histories with sensor readings');
  const cap = opts.cap ?? 125;
  const decimals = opts.settingDecimals ?? 0;
  const { regimes, keep } = fitRegimes(units, decimals);
  const base = { regimes, keep, settingDecimals: decimals };
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const u of units) {
    const feats = fleetFeatures(base, u);
    const life = feats.length;
    feats.forEach((f, c) => {
      X.push(f);
      y.push(Math.min(cap, life - 1 - c));
    });
  }
  const names = keep.flatMap((j) => [`s${j + 1}.ewma0.3`, `s${j + 1}.ewma0.05`, `s${j + 1}.mean10`, `s${j + 1}.slope20`]).concat('cycle');
  const kind = opts.model ?? 'gbdt';
  const head = { cap, settingDecimals: decimals, regimes, keep, featureNames: names };
  if (kind === 'ridge') {
    const reg = multipleRegression(X, y, { ridge: opts.ridge ?? 1 });
    return { ...head, kind, ridge: Array.from(reg.coefficients) };
  }
  const model: FleetRulModel = { ...head, kind };
  model.gbdt = trainGbdt(X, y, opts.gbdt ?? {}, opts.onTree ? (g, t) => opts.onTree!({ ...model, gbdt: g }, t) : undefined);
  return model;
}

/** The model's value for one feature row (unclipped); `trees` limits a gbdt to its first trees. */
export function fleetValue(m: FleetRulModel, f: ArrayLike<number>, trees?: number): number {
  if (m.kind === 'gbdt') return predictGbdt(m.gbdt!, f, trees);
  const c = m.ridge!;
  let s = c[0]!;
  for (let j = 1; j < c.length; j++) s += c[j]! * f[j - 1]!;
  return s;
}

/** Predicted remaining cycles after the unit's last cycle (clipped to [0, cap]). */
export function predictFleetRul(m: FleetRulModel, u: FleetUnit, trees?: number): number {
  const feats = fleetFeatures(m, u);
  const f = feats[feats.length - 1]!;
  return Math.min(m.cap, Math.max(0, fleetValue(m, f, trees)));
}
