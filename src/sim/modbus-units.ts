import { join } from 'node:path';
import { packageRoot } from '../core/version.js';
import type { ModbusUnit } from '../protocols/modbus/register-image.js';
import { loadRegisterMap, type RegisterEntry, type RegisterMap } from '../protocols/modbus/register-map.js';
import type { PlantClock } from './clock.js';
import { PM5000_DEFAULTS, pm5000Values, SDM630_DEFAULTS, sdm630Values, type MeterSettings, type MeterValues } from './meters.js';
import type { PlantModel } from './model.js';

/**
 * The plant's Modbus devices (docs/sim.md):
 *   unit 1  Eastron SDM630 on the main incomer      (built-in map sdm630)
 *   unit 2  Schneider PM5000 on the compressor feeder (built-in map pm5000)
 *   unit 3  the line PLC, every register type and order (fixtures/maps/plant-plc.yaml)
 * Each unit reads the model at the plant clock's current time when a request arrives.
 */

export const METER_UNIT = 1;
export const FEEDER_UNIT = 2;
export const PLC_UNIT = 3;

export function plcMapPath(): string {
  return join(packageRoot(), 'fixtures', 'maps', 'plant-plc.yaml');
}

/** A cache of one snapshot per instant: a request reads many entries at (nearly) one time. */
function snapshotter(compute: (t: number) => MeterValues, clock: PlantClock): (entry: RegisterEntry) => number | string | undefined {
  let lastT = Number.NaN;
  let last: MeterValues = {};
  return (entry) => {
    // Entries of one request arrive within a millisecond; a 50 ms window makes them one snapshot.
    const t = Math.floor(clock.now() / 50) * 50;
    if (t !== lastT) {
      last = compute(t);
      lastT = t;
    }
    return last[entry.name];
  };
}

function settingsWriter(settings: MeterSettings) {
  return (entry: RegisterEntry, value: number | boolean | string) => {
    if (typeof value === 'number') settings[entry.name] = value;
  };
}

export function meterUnit(
  model: PlantModel,
  clock: PlantClock,
  unitId = METER_UNIT,
  map: RegisterMap = loadRegisterMap('sdm630'),
): ModbusUnit {
  const settings: MeterSettings = { ...SDM630_DEFAULTS, network_node: unitId };
  return {
    unitId,
    map,
    read: snapshotter((t) => sdm630Values(model, t, settings), clock),
    write: settingsWriter(settings),
  };
}

export function feederUnit(model: PlantModel, clock: PlantClock, assetId: string, unitId = FEEDER_UNIT): ModbusUnit {
  const settings: MeterSettings = { ...PM5000_DEFAULTS };
  return {
    unitId,
    map: loadRegisterMap('pm5000'),
    read: snapshotter((t) => pm5000Values(model, assetId, t, settings), clock),
    write: settingsWriter(settings),
  };
}

/** The setpoints and commands a client may write (shared with the OPC UA setpoint). */
export interface Setpoints {
  values: Map<string, number | boolean | string>;
}

export function plcUnit(model: PlantModel, clock: PlantClock, setpoints: Setpoints, unitId = PLC_UNIT): ModbusUnit {
  const map = loadRegisterMap(plcMapPath());
  const status: Record<string, string> = {
    'status.conveyor1_running': 'conveyor1.running',
    'status.pump1_running': 'pump1.running',
    'status.producing': 'plant.producing',
  };
  const constants: Record<string, string> = { line_name: 'LINE-3', line_name_swapped: 'LINE-3' };
  return {
    unitId,
    map,
    read: (entry) => {
      const stored = setpoints.values.get(entry.name);
      if (stored !== undefined) return stored;
      const tag = status[entry.name] ?? entry.name;
      if (model.signal(tag)) return model.value(tag, clock.now());
      return constants[entry.name];
    },
    write: (entry, value) => {
      setpoints.values.set(entry.name, value);
    },
  };
}
