import type { AssetConfig, PlantConfig } from './plant-schema.js';

/**
 * What the plant measures, and how each measurement is named everywhere: the tag id
 * "<asset>.<signal>" is the capture tag name, the OPC UA string node id, the MQTT topic
 * (plant/<asset>/<signal>) and the Sparkplug metric of device <asset> (docs/sim.md).
 */

export type AssetSignal = 'running' | 'speed' | 'current' | 'power' | 'energy' | 'vibration' | 'bearingTemp' | 'count' | 'loaded';
export type PlantSignal = 'producing' | 'power' | 'energy' | 'reactiveEnergy' | 'powerFactor' | 'voltage' | 'current' | 'frequency';

/** Capture data types (docs/capture-format.md). */
export type SignalDataType = 'float64' | 'bool' | 'uint32';

export interface SignalInfo {
  /** "<asset>.<signal>": the tag name */
  readonly id: string;
  /** asset id, or "plant" for the main incomer */
  readonly asset: string;
  readonly signal: AssetSignal | PlantSignal;
  /** OPC UA BrowseName and Sparkplug metric name ("VibrationVelocityRms") */
  readonly browseName: string;
  readonly description: string;
  readonly dataType: SignalDataType;
  readonly unit?: string;
  /** engineering range (OPC UA EURange) */
  readonly range?: readonly [number, number];
}

export const PLANT_ASSET = 'plant';

export function assetSignals(a: AssetConfig): SignalInfo[] {
  const s = (
    signal: AssetSignal,
    browseName: string,
    dataType: SignalDataType,
    description: string,
    unit?: string,
    range?: [number, number],
  ): SignalInfo => ({
    id: `${a.id}.${signal}`,
    asset: a.id,
    signal,
    browseName,
    description: `${a.name}: ${description}`,
    dataType,
    ...(unit === undefined ? {} : { unit }),
    ...(range === undefined ? {} : { range }),
  });
  const maxKw = a.kind === 'compressor' ? Math.max(a.loadedKw, a.ratedKw) : a.ratedKw;
  const list = [
    s('running', 'Running', 'bool', 'motor running'),
    s('speed', 'Speed', 'float64', 'shaft speed', 'rpm', [0, round(a.ratedSpeedRpm * 1.1)]),
    s('current', 'MotorCurrent', 'float64', 'motor current (phase average)', 'A', [0, round(a.ratedCurrentA * 1.5)]),
    s('power', 'ActivePower', 'float64', 'active power of the feeder', 'kW', [0, round(maxKw * 1.25)]),
    s('energy', 'ActiveEnergy', 'float64', 'active energy of the feeder since the start of the model', 'kWh', [0, 1e9]),
    s('vibration', 'VibrationVelocityRms', 'float64', 'drive-end bearing vibration velocity, RMS 10-1000 Hz', 'mm/s', [0, 25]),
    s('bearingTemp', 'BearingTemperature', 'float64', 'drive-end bearing temperature', '°C', [-20, 150]),
  ];
  if (a.kind === 'conveyor')
    list.push(s('count', 'ProductionCount', 'uint32', 'pieces conveyed since the start of the model', 'pcs', [0, 4294967295]));
  if (a.kind === 'compressor') list.push(s('loaded', 'Loaded', 'bool', 'compressor loaded (delivering air)'));
  return list;
}

export function plantSignals(plant: PlantConfig): SignalInfo[] {
  const maxKw =
    plant.energy.baseLoadKw * 1.2 +
    plant.energy.productionAuxKw +
    plant.assets.reduce((sum, a) => sum + (a.kind === 'compressor' ? Math.max(a.loadedKw, a.ratedKw) : a.ratedKw), 0);
  const s = (
    signal: PlantSignal,
    browseName: string,
    dataType: SignalDataType,
    description: string,
    unit?: string,
    range?: [number, number],
  ): SignalInfo => ({
    id: `${PLANT_ASSET}.${signal}`,
    asset: PLANT_ASSET,
    signal,
    browseName,
    description: `Main incomer: ${description}`,
    dataType,
    ...(unit === undefined ? {} : { unit }),
    ...(range === undefined ? {} : { range }),
  });
  const v = plant.energy.voltage;
  return [
    s('producing', 'Producing', 'bool', 'a production shift is running'),
    s('power', 'ActivePower', 'float64', 'total active power', 'kW', [0, round(maxKw * 1.25)]),
    s('energy', 'ActiveEnergyImport', 'float64', 'imported active energy (meter reading)', 'kWh', [0, 1e9]),
    s('reactiveEnergy', 'ReactiveEnergyImport', 'float64', 'imported reactive energy (meter reading)', 'kvarh', [0, 1e9]),
    s('powerFactor', 'PowerFactor', 'float64', 'total power factor', undefined, [0, 1]),
    s('voltage', 'Voltage', 'float64', 'phase-to-neutral voltage, average of the three phases', 'V', [0, round(v * 1.3)]),
    s('current', 'Current', 'float64', 'phase current, average of the three phases', 'A', [
      0,
      round((maxKw * 1.25 * 1000) / (3 * v * 0.7)),
    ]),
    s('frequency', 'Frequency', 'float64', 'grid frequency', 'Hz', [45, 65]),
  ];
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}
