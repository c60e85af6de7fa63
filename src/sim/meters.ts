import type { PlantModel } from './model.js';
import { PLANT_ASSET } from './signals.js';

/**
 * What the plant's power meters read, register by register name (the names of the built-in maps
 * sdm630.yaml and pm5000.yaml). Totals come from the model's signals, so the SDM630's total power
 * equals the OPC UA tag plant.power at the same instant; phase values split them with a fixed,
 * realistic imbalance.
 */

export type MeterValues = Record<string, number | string>;

/** Settings a meter keeps in holding registers; written values replace these. */
export interface MeterSettings {
  [name: string]: number;
}

const PHASE_SHARE = [0.345, 0.33, 0.325] as const;
const VOLTAGE_SKEW = [1.004, 0.997, 0.999] as const;

interface Phases {
  v: number[];
  i: number[];
  p: number[];
  q: number[];
  s: number[];
  pf: number;
}

function phases(totalKw: number, pf: number, vAvg: number): Phases {
  const angle = Math.acos(Math.min(1, Math.max(0, pf)));
  const v = VOLTAGE_SKEW.map((k) => vAvg * k);
  const p = PHASE_SHARE.map((k) => totalKw * 1000 * k);
  const q = p.map((x) => x * Math.tan(angle));
  const s = p.map((x, n) => Math.hypot(x, q[n]!));
  const i = s.map((x, n) => x / v[n]!);
  return { v, i, p, q, s, pf };
}

/** Neutral current of three phase currents 120° apart. */
function neutral(i: number[]): number {
  const [a, b, c] = i as [number, number, number];
  return Math.sqrt(Math.max(0, a * a + b * b + c * c - a * b - b * c - c * a));
}

/** Average power over the demand period ending at t (W), from the energy counter. */
function demandW(model: PlantModel, feeder: string, t: number, periodMin: number): number {
  const ms = Math.max(1, periodMin) * 60_000;
  return (model.energyBetween(feeder, t - ms, t) * 1000 * 3_600_000) / ms;
}

/** Highest demand of the last day, sampled at the demand period. */
function maxDemandW(model: PlantModel, feeder: string, t: number, periodMin: number): number {
  const ms = Math.max(1, periodMin) * 60_000;
  const end = Math.floor(t / ms) * ms;
  let max = demandW(model, feeder, t, periodMin);
  for (let k = 0; k < 86_400_000 / ms; k++) max = Math.max(max, demandW(model, feeder, end - k * ms, periodMin));
  return max;
}

export const SDM630_DEFAULTS: MeterSettings = {
  demand_period: 60,
  system_type: 3,
  pulse1_width: 100,
  password_lock: 0,
  network_parity_stop: 0,
  network_node: 1,
  network_baud_rate: 2,
  pulse1_energy_type: 4,
  serial_number: 20_230_817,
};

/** The SDM630 on the main incomer. */
export function sdm630Values(model: PlantModel, t: number, settings: MeterSettings): MeterValues {
  const kw = model.value(`${PLANT_ASSET}.power`, t) as number;
  const pf = model.value(`${PLANT_ASSET}.powerFactor`, t) as number;
  const v = model.value(`${PLANT_ASSET}.voltage`, t) as number;
  const kwh = model.value(`${PLANT_ASSET}.energy`, t) as number;
  const kvarh = model.value(`${PLANT_ASSET}.reactiveEnergy`, t) as number;
  const f = model.value(`${PLANT_ASSET}.frequency`, t) as number;
  const ph = phases(kw, pf, v);
  const vll = (a: number, b: number) => Math.sqrt(a * a + b * b + a * b);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  const period = settings.demand_period ?? 60;
  const demand = demandW(model, PLANT_ASSET, t, period);
  const demandMax = maxDemandW(model, PLANT_ASSET, t, period);
  const kvah = Math.hypot(kwh, kvarh);
  const angleDeg = (Math.acos(pf) * 180) / Math.PI;
  const values: MeterValues = {
    apparent_power_total: sum(ph.s),
    reactive_power_total: sum(ph.q),
    power_total: kw * 1000,
    power_factor_total: pf,
    phase_angle_total: angleDeg,
    voltage_ln_avg: v,
    current_avg: sum(ph.i) / 3,
    current_sum: sum(ph.i),
    frequency: f,
    import_kwh: kwh,
    export_kwh: 0,
    import_kvarh: kvarh,
    export_kvarh: 0,
    total_kvah: kvah,
    total_ah: (kvah * 1000) / v,
    power_demand: demand,
    power_demand_max: demandMax,
    apparent_power_demand: demand / pf,
    apparent_power_demand_max: demandMax / pf,
    neutral_current_demand: neutral(ph.i) * (demand / Math.max(1, kw * 1000)),
    neutral_current_demand_max: neutral(ph.i) * (demandMax / Math.max(1, kw * 1000)),
    voltage_l1_l2: vll(ph.v[0]!, ph.v[1]!),
    voltage_l2_l3: vll(ph.v[1]!, ph.v[2]!),
    voltage_l3_l1: vll(ph.v[2]!, ph.v[0]!),
    voltage_ll_avg: (vll(ph.v[0]!, ph.v[1]!) + vll(ph.v[1]!, ph.v[2]!) + vll(ph.v[2]!, ph.v[0]!)) / 3,
    current_neutral: neutral(ph.i),
    total_kwh: kwh,
    total_kvarh: kvarh,
  };
  for (let n = 0; n < 3; n++) {
    const L = n + 1;
    values[`voltage_l${L}`] = ph.v[n]!;
    values[`current_l${L}`] = ph.i[n]!;
    values[`power_l${L}`] = ph.p[n]!;
    values[`apparent_power_l${L}`] = ph.s[n]!;
    values[`reactive_power_l${L}`] = ph.q[n]!;
    values[`power_factor_l${L}`] = pf;
    values[`phase_angle_l${L}`] = angleDeg;
    values[`thd_voltage_l${L}`] = 2.1 + 0.1 * n;
    values[`thd_current_l${L}`] = 7.5 + 0.4 * n;
    values[`current_demand_l${L}`] = (demand * PHASE_SHARE[n]!) / pf / ph.v[n]!;
    values[`current_demand_max_l${L}`] = (demandMax * PHASE_SHARE[n]!) / pf / ph.v[n]!;
    values[`import_kwh_l${L}`] = kwh * PHASE_SHARE[n]!;
    values[`export_kwh_l${L}`] = 0;
    values[`total_kwh_l${L}`] = kwh * PHASE_SHARE[n]!;
  }
  return { ...values, ...settings };
}

export const PM5000_DEFAULTS: MeterSettings = { serial_number: 1_832_004_511 };

/** The PM5000-series meter on a motor feeder (the compressor by default). */
export function pm5000Values(model: PlantModel, assetId: string, t: number, settings: MeterSettings): MeterValues {
  const kw = model.value(`${assetId}.power`, t) as number;
  const feeder = model.feeder(assetId, t);
  const v = model.value(`${PLANT_ASSET}.voltage`, t) as number;
  const pf = feeder.powerFactor;
  const ph = phases(kw, pf, v);
  const vll = v * Math.sqrt(3);
  const sum = (xs: number[]) => xs.reduce((s, x) => s + x, 0);
  return {
    meter_name: `${assetId} feeder`,
    meter_model: 'PM5560',
    manufacturer: 'Schneider Electric',
    current_a: ph.i[0]!,
    current_b: ph.i[1]!,
    current_c: ph.i[2]!,
    current_n: neutral(ph.i),
    current_avg: sum(ph.i) / 3,
    voltage_ab: vll * 1.001,
    voltage_bc: vll * 0.998,
    voltage_ca: vll * 1.0,
    voltage_ll_avg: vll,
    voltage_an: ph.v[0]!,
    voltage_bn: ph.v[1]!,
    voltage_cn: ph.v[2]!,
    voltage_ln_avg: v,
    active_power_a: ph.p[0]! / 1000,
    active_power_b: ph.p[1]! / 1000,
    active_power_c: ph.p[2]! / 1000,
    active_power_total: kw,
    reactive_power_a: ph.q[0]! / 1000,
    reactive_power_b: ph.q[1]! / 1000,
    reactive_power_c: ph.q[2]! / 1000,
    reactive_power_total: sum(ph.q) / 1000,
    apparent_power_a: ph.s[0]! / 1000,
    apparent_power_b: ph.s[1]! / 1000,
    apparent_power_c: ph.s[2]! / 1000,
    apparent_power_total: sum(ph.s) / 1000,
    power_factor_total: pf,
    frequency: model.value(`${PLANT_ASSET}.frequency`, t) as number,
    active_energy_delivered: feeder.energyKwh,
    active_energy_received: 0,
    active_energy_delivered_plus_received: feeder.energyKwh,
    active_energy_delivered_minus_received: feeder.energyKwh,
    reactive_energy_delivered: feeder.reactiveKvarh,
    reactive_energy_received: 0,
    ...settings,
  };
}
