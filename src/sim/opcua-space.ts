import type { OpcUaDataType, OpcUaObjectDef, OpcUaValue, OpcUaVariableDef } from '../protocols/opcua/plant-server.js';
import type { PlantModel } from './model.js';
import { PLANT_ASSET, type SignalDataType } from './signals.js';
import type { Setpoints } from './modbus-units.js';

/**
 * The plant's part of the OPC UA address space (docs/sim.md):
 *   Objects/Plant                         folder                      ns=<plant>;s=Plant
 *   Objects/Plant/Incomer/ActivePower     the main incomer's signals  ns=<plant>;s=plant.power
 *   Objects/Plant/Pump1/VibrationVelocityRms                          ns=<plant>;s=pump1.vibration
 *   Objects/Plant/Pump1/SpeedSetpoint     the one writable variable   ns=<plant>;s=pump1.speedSetpoint
 * The string node id of every signal is its tag id.
 */

export const PLANT_NAMESPACE_URI = 'urn:iiot:sim:plant';
export const PLANT_FOLDER_ID = 'Plant';
export const SETPOINT_ID = 'pump1.speedSetpoint';
/** the signals with a history (HistoryRead) */
export const HISTORIZED = ['pump1.vibration', 'pump1.bearingTemp', 'plant.power', 'plant.energy'];

const TYPES: Record<SignalDataType, OpcUaDataType> = { float64: 'Double', bool: 'Boolean', uint32: 'UInt32' };

export function pascal(id: string): string {
  return id.replace(/(^|[-_])([a-z])/g, (_m, _sep: string, c: string) => c.toUpperCase());
}

export interface PlantSpaceOptions {
  /** model time now */
  now: number;
  /** history before the start: how far back, and the spacing of the values */
  backfillMs: number;
  backfillStepMs: number;
  setpoints: Setpoints;
}

export function plantAddressSpace(
  model: PlantModel,
  options: PlantSpaceOptions,
): { objects: OpcUaObjectDef[]; variables: OpcUaVariableDef[] } {
  const objects: OpcUaObjectDef[] = [
    { id: PLANT_FOLDER_ID, browseName: 'Plant', kind: 'folder', description: `${model.config.name}, ${model.config.site}` },
    {
      id: PLANT_ASSET,
      parent: PLANT_FOLDER_ID,
      browseName: 'Incomer',
      displayName: 'Main incomer',
      kind: 'object',
      description: 'Main incomer of the plant: energy meter readings',
    },
  ];
  for (const a of model.config.assets) {
    objects.push({
      id: a.id,
      parent: PLANT_FOLDER_ID,
      browseName: pascal(a.id),
      displayName: a.name,
      kind: 'object',
      description: `${a.name} (${a.kind}, ${a.ratedKw} kW)`,
    });
  }
  const variables: OpcUaVariableDef[] = model.signals.map((s) => {
    const historizing = HISTORIZED.includes(s.id) && options.backfillMs > 0;
    const def: OpcUaVariableDef = {
      id: s.id,
      parent: s.asset,
      browseName: s.browseName,
      description: s.description,
      dataType: TYPES[s.dataType],
      initial: model.value(s.id, options.now),
      initialTimestamp: options.now,
      ...(s.unit === undefined ? {} : { unit: s.unit }),
      ...(s.range === undefined ? {} : { range: s.range }),
    };
    if (historizing) {
      const backfill: Array<{ t: number; value: OpcUaValue }> = [];
      const first = Math.ceil((options.now - options.backfillMs) / options.backfillStepMs) * options.backfillStepMs;
      for (let t = first; t < options.now; t += options.backfillStepMs) backfill.push({ t, value: model.value(s.id, t) });
      def.historizing = true;
      def.backfill = backfill;
    }
    return def;
  });
  const pump = model.config.assets.find((a) => a.id === 'pump1');
  if (pump) {
    options.setpoints.values.set('pump1.speed_setpoint', options.setpoints.values.get('pump1.speed_setpoint') ?? pump.ratedSpeedRpm);
    variables.push({
      id: SETPOINT_ID,
      parent: pump.id,
      browseName: 'SpeedSetpoint',
      description: `${pump.name}: speed setpoint (stored; the model does not follow it)`,
      dataType: 'Double',
      unit: 'rpm',
      range: [0, Math.round(pump.ratedSpeedRpm * 1.1)],
      initial: Number(options.setpoints.values.get('pump1.speed_setpoint')),
      bind: {
        get: () => Number(options.setpoints.values.get('pump1.speed_setpoint')),
        set: (value) => {
          if (typeof value !== 'number' || !(value >= 0 && value <= pump.ratedSpeedRpm * 1.1)) return false;
          options.setpoints.values.set('pump1.speed_setpoint', value);
          return true;
        },
      },
    });
  }
  return { objects, variables };
}
