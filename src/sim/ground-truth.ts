import { zonedParts, zonedTimeToUtc } from '../core/time.js';
import { SLOT_MS, type PlantModel } from './model.js';
import { PLANT_ASSET } from './signals.js';

/**
 * What really happened in a stretch of model time, computed from the model without noise: the
 * answers an analysis of a generated capture is scored against (written into its header).
 */

export interface BearingTruth {
  asset: string;
  tag: string;
  /** ISO 8601 UTC */
  onset: string;
  failure: string;
  baselineMmS: number;
  thresholdMmS: number;
  amplitudeMmS: number;
  growthPerDay: number;
  curve: string;
  afterFailure: 'trip' | 'run';
  isoGroup?: number;
  foundation?: string;
  /** the failure time falls inside the generated span */
  failureInSpan: boolean;
}

export interface EnergyTruth {
  /** the meter's counter and power tags */
  energyTag: string;
  powerTag: string;
  /** kWh drawn between the first and the last instant of the span */
  totalKwh: number;
  /** local calendar days (plant time zone), clipped to the span */
  perDay: Array<{ date: string; kwh: number; productionHours: number }>;
  /** configured base load (kW): drawn at all times */
  baseLoadKw: number;
  /** mean plant power while not producing (nights, weekends) and while producing */
  idleMeanKw: number;
  productionMeanKw: number;
  /** highest 15-minute mean power on clock quarter-hours (what utilities bill) */
  peakDemand15MinKw: number;
  peakDemandAt: string;
  /** per asset: kWh in the span and kWh while the plant was not producing */
  assets: Record<string, { totalKwh: number; idleKwh: number }>;
}

export interface GroundTruth {
  seed: number;
  /** the model's epoch; degradation onset and failure count from here */
  modelStart: string;
  from: string;
  to: string;
  timezone: string;
  shifts: { days: string[]; production: string[]; holidays: string[] };
  bearings: BearingTruth[];
  energy: EnergyTruth;
}

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
const iso = (ms: number) => new Date(ms).toISOString();
const hhmm = (min: number) => `${String(Math.floor(min / 60) % 24).padStart(2, '0')}:${String(min % 60).padStart(2, '0')}`;

export function groundTruth(model: PlantModel, from: number, to: number): GroundTruth {
  const cfg = model.config;
  const tz = cfg.timezone;
  const bearings = model.bearingCurves().map((c): BearingTruth => {
    const asset = cfg.assets.find((a) => a.id === c.asset)!;
    return {
      asset: c.asset,
      tag: `${c.asset}.vibration`,
      onset: iso(c.onset),
      failure: iso(c.failure),
      baselineMmS: c.baselineMmS,
      thresholdMmS: c.thresholdMmS,
      amplitudeMmS: round(c.amplitudeMmS, 9),
      growthPerDay: c.growthPerDay,
      curve:
        'v(t) = baselineMmS + amplitudeMmS * (exp(growthPerDay * (t - onset) / 1 day) - 1) for t > onset, baselineMmS before; noise-free trend while running',
      afterFailure: c.afterFailure,
      ...(asset.isoGroup === undefined ? {} : { isoGroup: asset.isoGroup }),
      ...(asset.foundation === undefined ? {} : { foundation: asset.foundation }),
      failureInSpan: c.failure >= from && c.failure <= to,
    };
  });

  // Walk the span slot by slot (exact: power is constant within a slot).
  let idleKwh = 0;
  let idleH = 0;
  let prodKwh = 0;
  let prodH = 0;
  const assets: Record<string, { totalKwh: number; idleKwh: number }> = {};
  for (const a of cfg.assets) assets[a.id] = { totalKwh: round(model.energyBetween(a.id, from, to)), idleKwh: 0 };
  const idleByAsset: Record<string, number> = Object.fromEntries(cfg.assets.map((a) => [a.id, 0]));
  for (let t = from; t < to; ) {
    const next = Math.min(to, (Math.floor((t - model.start) / SLOT_MS) + 1) * SLOT_MS + model.start);
    const kwh = model.energyBetween(PLANT_ASSET, t, next);
    const h = (next - t) / 3_600_000;
    if (model.producing(t)) {
      prodKwh += kwh;
      prodH += h;
    } else {
      idleKwh += kwh;
      idleH += h;
      for (const a of cfg.assets) idleByAsset[a.id]! += model.energyBetween(a.id, t, next);
    }
    t = next;
  }
  for (const a of cfg.assets) assets[a.id]!.idleKwh = round(idleByAsset[a.id]!);

  // 15-minute demand on clock quarter-hours fully inside the span.
  let peak = 0;
  let peakAt = from;
  const q = 900_000;
  for (let t = Math.ceil(from / q) * q; t + q <= to; t += q) {
    const kw = model.energyBetween(PLANT_ASSET, t, t + q) * 4;
    if (kw > peak) {
      peak = kw;
      peakAt = t;
    }
  }

  const perDay: EnergyTruth['perDay'] = [];
  const first = zonedParts(from, tz);
  for (let d = 0; ; d++) {
    const dayStart = zonedTimeToUtc({ year: first.year, month: first.month, day: first.day + d }, tz);
    if (dayStart >= to) break;
    const dayEnd = zonedTimeToUtc({ year: first.year, month: first.month, day: first.day + d + 1 }, tz);
    const a = Math.max(from, dayStart);
    const b = Math.min(to, dayEnd);
    if (b <= a) continue;
    let production = 0;
    for (let t = a; t < b; t += SLOT_MS) if (model.producing(t)) production += Math.min(SLOT_MS, b - t);
    const p = zonedParts(dayStart, tz);
    perDay.push({
      date: `${p.year}-${String(p.month).padStart(2, '0')}-${String(p.day).padStart(2, '0')}`,
      kwh: round(model.energyBetween(PLANT_ASSET, a, b)),
      productionHours: round(production / 3_600_000, 4),
    });
  }

  return {
    seed: model.seed,
    modelStart: iso(model.start),
    from: iso(from),
    to: iso(to),
    timezone: tz,
    shifts: {
      days: cfg.shifts.days,
      production: cfg.shifts.production.map((w) => `${hhmm(w.from)}-${w.to === 1440 ? '24:00' : hhmm(w.to)}`),
      holidays: cfg.shifts.holidays,
    },
    bearings,
    energy: {
      energyTag: `${PLANT_ASSET}.energy`,
      powerTag: `${PLANT_ASSET}.power`,
      totalKwh: round(model.energyBetween(PLANT_ASSET, from, to)),
      perDay,
      baseLoadKw: cfg.energy.baseLoadKw,
      idleMeanKw: round(idleH > 0 ? idleKwh / idleH : 0),
      productionMeanKw: round(prodH > 0 ? prodKwh / prodH : 0),
      peakDemand15MinKw: round(peak),
      peakDemandAt: iso(peakAt),
      assets,
    },
  };
}
