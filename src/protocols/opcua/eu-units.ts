/**
 * Engineering units as OPC UA EUInformation: the UNECE Recommendation 20 common code (which
 * becomes the UnitId), the display symbol and a description. OPC UA clients show the symbol;
 * the code lets software compare units without parsing text.
 */
export interface EuUnit {
  /** UNECE common code */
  code: string;
  symbol: string;
  description: string;
}

const UNITS: Record<string, EuUnit> = {
  'mm/s': { code: 'C16', symbol: 'mm/s', description: 'millimetre per second' },
  '°C': { code: 'CEL', symbol: '°C', description: 'degree Celsius' },
  A: { code: 'AMP', symbol: 'A', description: 'ampere' },
  V: { code: 'VLT', symbol: 'V', description: 'volt' },
  Hz: { code: 'HTZ', symbol: 'Hz', description: 'hertz' },
  rpm: { code: 'RPM', symbol: 'r/min', description: 'revolutions per minute' },
  W: { code: 'WTT', symbol: 'W', description: 'watt' },
  kW: { code: 'KWT', symbol: 'kW', description: 'kilowatt' },
  kWh: { code: 'KWH', symbol: 'kWh', description: 'kilowatt hour' },
  kvar: { code: 'KVR', symbol: 'kvar', description: 'kilovar' },
  kvarh: { code: 'K3', symbol: 'kvarh', description: 'kilovolt ampere (reactive) hour' },
  kVA: { code: 'KVA', symbol: 'kVA', description: 'kilovolt ampere' },
  pcs: { code: 'H87', symbol: 'pcs', description: 'piece' },
  '%': { code: 'P1', symbol: '%', description: 'percent' },
  bar: { code: 'BAR', symbol: 'bar', description: 'bar' },
  'm3/h': { code: 'MQH', symbol: 'm³/h', description: 'cubic metre per hour' },
  s: { code: 'SEC', symbol: 's', description: 'second' },
  ms: { code: 'C26', symbol: 'ms', description: 'millisecond' },
};

/** The EUInformation of a unit; an unknown unit keeps its text as symbol, with no code. */
export function euUnit(unit: string): EuUnit {
  return UNITS[unit] ?? { code: '', symbol: unit, description: unit };
}
