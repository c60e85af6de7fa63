/**
 * Remaining useful life learned from a fleet: when run-to-failure histories of machines of the same
 * type exist (C-MAPSS turbofans, a fleet of identical pumps), a regression from the recent sensor
 * history to the remaining cycles beats extrapolating one machine's trend.
 *
 * The method (docs/analysis.md, "Fleet remaining life"; evaluated in bench/eval-cmapss.ts):
 * 1. Operating-condition normalisation: cycles are grouped by their operating settings (rounded),
 *    and each sensor is standardised with the mean and SD of its group in the training fleet;
 *    sensors that do not vary within a group are dropped.
 * 2. Features at each cycle, from the history up to that cycle only: two exponentially weighted
 *    means (alpha 0.3 and 0.05: the recent level and the long level), the mean of the last 10
 *    cycles, and the least-squares slope over the last 20; plus the cycle count.
 * 3. Target: the piecewise-linear RUL, min(RUL, cap) with cap 125 cycles: early in life the
 *    remaining life cannot be told from healthy data, and a capped target stops the model from
 *    chasing the unknowable (Heimes 2008; the usual choice in the C-MAPSS literature).
 * 4. Model: gradient-boosted trees (gbdt.ts) or ridge regression.
 */

import { trainGbdt, predictGbdt, type GbdtModel, type GbdtOptions } from './gbdt.js';
import { multipleRegression } from './stats.js';

export interface FleetUnit {
  id: string | number;
  /** per cycle: operating settings */
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
}

interface Regime {
  mean: Float64Array;
  sd: Float64Array;
}

export interface FleetRulModel {
  cap: number;
  regimes: Map<string, Regime>;
  keep: number[];
  kind: 'gbdt' | 'ridge';
  gbdt?: GbdtModel;
  ridge?: (row: ArrayLike<number>) => number;
  featureNames: string[];
  settingDecimals: number;
}

function regimeKey(s: number[], decimals: number): string {
  return s.map((x) => x.toFixed(decimals)).join('|');
}

function fitRegimes(units: FleetUnit[], decimals: number): { regimes: Map<string, Regime>; keep: number[] } {
  const acc = new Map<string, { n: number; s: Float64Array; ss: Float64Array }>();
  const p = units[0]!.sensors[0]!.length;
  for (const u of units) {
    u.sensors.forEach((row, c) => {
      const k = regimeKey(u.settings[c]!, decimals);
      let a = acc.get(k);
      if (!a) acc.set(k, (a = { n: 0, s: new Float64Array(p), ss: new Float64Array(p) }));
      a.n++;
      for (let j = 0; j < p; j++) {
        a.s[j]! += row[j]!;
        a.ss[j]! += row[j]! ** 2;
      }
    });
  }
  const regimes = new Map<string, Regime>();
  const varies = new Array<boolean>(p).fill(false);
  for (const [k, a] of acc) {
    const mean = a.s.map((x) => x / a.n);
    const sd = a.ss.map((x, j) => Math.sqrt(Math.max(0, x / a.n - mean[j]! ** 2)));
    sd.forEach((x, j) => {
      if (x > 1e-6 * Math.max(1, Math.abs(mean[j]!))) varies[j] = true;
    });
    regimes.set(k, { mean, sd });
  }
  return { regimes, keep: varies.map((v, j) => (v ? j : -1)).filter((j) => j >= 0) };
}

/** Normalised sensors of a unit (cycles x kept sensors); unknown regimes use the nearest-by-key fallback: the first regime. */
function normalise(u: FleetUnit, m: Pick<FleetRulModel, 'regimes' | 'keep' | 'settingDecimals'>): Float64Array[] {
  const first = m.regimes.values().next().value as Regime;
  return u.sensors.map((row, c) => {
    const r = m.regimes.get(regimeKey(u.settings[c]!, m.settingDecimals)) ?? first;
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

export function fitFleetRul(units: FleetUnit[], opts: FleetRulOptions = {}): FleetRulModel {
  const cap = opts.cap ?? 125;
  const decimals = opts.settingDecimals ?? 0;
  const { regimes, keep } = fitRegimes(units, decimals);
  const base = { regimes, keep, settingDecimals: decimals };
  const X: Float64Array[] = [];
  const y: number[] = [];
  for (const u of units) {
    const feats = unitFeatures(normalise(u, base));
    const life = feats.length;
    feats.forEach((f, c) => {
      X.push(f);
      y.push(Math.min(cap, life - 1 - c));
    });
  }
  const names = keep.flatMap((j) => [`s${j + 1}.ewma0.3`, `s${j + 1}.ewma0.05`, `s${j + 1}.mean10`, `s${j + 1}.slope20`]).concat('cycle');
  const kind = opts.model ?? 'gbdt';
  if (kind === 'ridge') {
    const reg = multipleRegression(X, y, { ridge: opts.ridge ?? 1 });
    return { cap, regimes, keep, kind, ridge: reg.predict, featureNames: names, settingDecimals: decimals };
  }
  return { cap, regimes, keep, kind, gbdt: trainGbdt(X, y, opts.gbdt ?? {}), featureNames: names, settingDecimals: decimals };
}

/** Predicted remaining cycles after the unit's last cycle (clipped to [0, cap]). */
export function predictFleetRul(m: FleetRulModel, u: FleetUnit): number {
  const feats = unitFeatures(normalise(u, m));
  const f = feats[feats.length - 1]!;
  const v = m.kind === 'gbdt' ? predictGbdt(m.gbdt!, f) : m.ridge!(f);
  return Math.min(m.cap, Math.max(0, v));
}
