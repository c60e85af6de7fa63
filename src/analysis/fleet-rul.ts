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
 * 2. Features at each cycle, from the history up to that cycle only (`FeatureSpec`, recorded in the
 *    model file): per sensor, exponentially weighted means (alpha 0.3 and 0.05: the recent level and
 *    the long level), least-squares slopes over the last 20 and 100 cycles, and the recent level's
 *    departure from the unit's own start (the alpha-0.3 mean minus the mean of the unit's first 30
 *    cycles: units start with different wear and manufacturing variation, which a fleet-wide level
 *    cannot tell from degradation); plus the cycle count. The set, the windows and the own-start
 *    length were chosen by 5-fold cross-validation by engine on C-MAPSS train_FD001
 *    (bench/eval-cmapss-design.ts, docs/analysis.md); ridge regression has its own set
 *    (RIDGE_FEATURES, chosen the same way), version-1 model files FEATURES_V1.
 * 3. Target: the piecewise-linear RUL, min(RUL, cap) with cap 125 cycles: early in life the
 *    remaining life cannot be told from healthy data, and a capped target stops the model from
 *    chasing the unknowable (Heimes 2008; the usual choice in the C-MAPSS literature).
 * 4. Model: gradient-boosted trees (gbdt.ts), the mean of `bag` fits with different seeds (each
 *    tree sees a different half of the rows: averaging cuts the variance of one fit; on
 *    train_FD001, nested inside each training fold, four seeds gave a cross-validated RMSE of 8.63
 *    against 8.77 for one fit; bench/eval-cmapss-design.ts), or ridge regression.
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

/** What the feature vector holds, per kept sensor, in this order; then the row count. */
export interface FeatureSpec {
  /** exponentially weighted means with these alphas (the first starts the own-start departure) */
  ewma: number[];
  /** means of the last w rows */
  mean: number[];
  /** least-squares slopes over the last w rows (against the row index) */
  slope: number[];
  /** the first ewma minus the mean of the unit's first `baseline` rows (fewer at the start); 0: none */
  baseline: number;
}

/** Version-1 model files: two ewmas, one mean, one slope. */
export const FEATURES_V1: FeatureSpec = { ewma: [0.3, 0.05], mean: [10], slope: [20], baseline: 0 };
/** The gradient-boosted model's features (chosen by cross-validation on C-MAPSS train_FD001; docs/analysis.md). */
export const FEATURES: FeatureSpec = { ewma: [0.3, 0.05], mean: [], slope: [20, 100], baseline: 30 };
/** Ridge regression's: a linear model cannot use the departure from the own start as trees do; version 1's set with a 100-row slope scored best for it by the same cross-validation. */
export const RIDGE_FEATURES: FeatureSpec = { ewma: [0.3, 0.05], mean: [10], slope: [20, 100], baseline: 0 };

export function featuresFor(kind: 'gbdt' | 'ridge'): FeatureSpec {
  return kind === 'gbdt' ? FEATURES : RIDGE_FEATURES;
}

export function featuresPerSensor(spec: FeatureSpec): number {
  return spec.ewma.length + spec.mean.length + spec.slope.length + (spec.baseline > 0 ? 1 : 0);
}

/** Names of the features, `s<j+1>.<feature>` per kept sensor index j, then `cycle`. */
export function featureNames(spec: FeatureSpec, keep: readonly number[]): string[] {
  const per = [
    ...spec.ewma.map((a) => `ewma${a}`),
    ...spec.mean.map((w) => `mean${w}`),
    ...spec.slope.map((w) => `slope${w}`),
    ...(spec.baseline > 0 ? [`delta${spec.baseline}`] : []),
  ];
  return keep.flatMap((j) => per.map((f) => `s${j + 1}.${f}`)).concat('cycle');
}

export interface FleetNormalisation {
  settingDecimals: number;
  regimes: FleetRegime[];
  /** indices of the sensors used */
  keep: number[];
}

export interface FleetRulOptions {
  cap?: number;
  features?: FeatureSpec;
  /** operating-condition normalisation fitted elsewhere (cross-validation fits it once on every training history) */
  normalisation?: FleetNormalisation;
  model?: 'gbdt' | 'ridge';
  gbdt?: GbdtOptions;
  /** gbdt: fits averaged, with seeds gbdt.seed + 1000 b (default 1) */
  bag?: number;
  ridge?: number;
  /** decimals the settings are rounded to when grouping operating conditions (default 0) */
  settingDecimals?: number;
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

export interface FleetRulModel extends FleetNormalisation {
  cap: number;
  features: FeatureSpec;
  featureNames: string[];
  kind: 'gbdt' | 'ridge';
  /** gbdt: the members, whose predictions are averaged */
  gbdt?: GbdtModel[];
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

/** Operating conditions and which sensors vary within them, from training histories (no remaining-life information is used). */
export function fitNormalisation(units: FleetUnit[], settingDecimals = 0): FleetNormalisation {
  if (units.length === 0 || (units[0]!.sensors[0]?.length ?? 0) === 0) throw new Error('no training histories with sensor readings');
  return { settingDecimals, ...fitRegimes(units, settingDecimals) };
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
function regimeOf(m: Pick<FleetNormalisation, 'regimes' | 'settingDecimals'>, settings: readonly number[]): FleetRegime {
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
function normalise(u: FleetUnit, m: FleetNormalisation): Float64Array[] {
  return u.sensors.map((row, c) => {
    const r = regimeOf(m, u.settings[c] ?? []);
    return Float64Array.from(m.keep, (j) => (row[j]! - r.mean[j]!) / (r.sd[j]! || 1));
  });
}

/** Least-squares slope of z[b..c][j] against the row index. */
function slopeOf(z: Float64Array[], b: number, c: number, j: number): number {
  const n = c - b + 1;
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = b; i <= c; i++) {
    const x = i - b;
    const v = z[i]![j]!;
    sx += x;
    sy += v;
    sxx += x * x;
    sxy += x * v;
  }
  const den = n * sxx - sx * sx;
  return den > 0 ? (n * sxy - sx * sy) / den : 0;
}

/** Feature rows of every cycle of a unit (history up to each cycle only), as `spec` says. */
export function unitFeatures(z: Float64Array[], spec: FeatureSpec = FEATURES): Float64Array[] {
  const k = z[0]?.length ?? 0;
  const per = featuresPerSensor(spec);
  const out: Float64Array[] = [];
  const ew = spec.ewma.map(() => new Float64Array(k));
  const startSum = new Float64Array(k);
  for (let c = 0; c < z.length; c++) {
    const row = z[c]!;
    const f = new Float64Array(per * k + 1);
    if (c < spec.baseline) for (let j = 0; j < k; j++) startSum[j]! += row[j]!;
    for (let j = 0; j < k; j++) {
      let o = per * j;
      spec.ewma.forEach((a, e) => {
        const m = ew[e]!;
        m[j] = c === 0 ? row[j]! : a * row[j]! + (1 - a) * m[j]!;
        f[o++] = m[j]!;
      });
      for (const w of spec.mean) {
        let s = 0;
        const a = Math.max(0, c - w + 1);
        for (let i = a; i <= c; i++) s += z[i]![j]!;
        f[o++] = s / (c - a + 1);
      }
      for (const w of spec.slope) f[o++] = slopeOf(z, Math.max(0, c - w + 1), c, j);
      if (spec.baseline > 0) f[o++] = ew[0]![j]! - startSum[j]! / Math.min(c + 1, spec.baseline);
    }
    f[per * k] = c + 1;
    out.push(f);
  }
  return out;
}

/** Feature rows of a unit under a model's normalisation. */
export function fleetFeatures(m: FleetNormalisation & { features: FeatureSpec }, u: FleetUnit): Float64Array[] {
  return unitFeatures(normalise(u, m), m.features);
}

export function fitFleetRul(units: FleetUnit[], opts: FleetRulOptions = {}): FleetRulModel {
  if (units.length === 0 || (units[0]!.sensors[0]?.length ?? 0) === 0) throw new Error('no training histories with sensor readings');
  const cap = opts.cap ?? 125;
  const features = opts.features ?? featuresFor(opts.model ?? 'gbdt');
  const norm = opts.normalisation ?? fitNormalisation(units, opts.settingDecimals ?? 0);
  const base = { ...norm, features };
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
  const kind = opts.model ?? 'gbdt';
  const head = { cap, ...norm, features, featureNames: featureNames(features, norm.keep) };
  if (kind === 'ridge') {
    const reg = multipleRegression(X, y, { ridge: opts.ridge ?? 1 });
    return { ...head, kind, ridge: Array.from(reg.coefficients) };
  }
  const g = opts.gbdt ?? {};
  const gbdt = Array.from({ length: Math.max(1, opts.bag ?? 1) }, (_, b) => trainGbdt(X, y, { ...g, seed: (g.seed ?? 1) + 1000 * b }));
  return { ...head, kind, gbdt };
}

/** The model's value for one feature row (unclipped): the mean of its members; `trees` limits each gbdt member to its first trees. */
export function fleetValue(m: FleetRulModel, f: ArrayLike<number>, trees?: number): number {
  if (m.kind === 'gbdt') {
    const g = m.gbdt!;
    let s = 0;
    for (const member of g) s += predictGbdt(member, f, trees);
    return s / g.length;
  }
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
