/**
 * A Modbus device in the inventory, for people and spreadsheets: how it answered, in one line and
 * in CSV cells (src/discovery/render.ts draws the table around them).
 */
import type { CsvCells } from '../discovery.js';
import type { ModbusDevice, ModbusRtuDevice } from './inventory.js';

/** "19200 8E1" */
export function settingText(s: { baud: number; parity: string; dataBits: number; stopBits: number }): string {
  return `${s.baud} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

/** Serial setting, the read and the identification, a gateway, other settings it answers at. */
export function modbusDetails(d: ModbusDevice | ModbusRtuDevice): string {
  const parts: string[] = [];
  if (d.protocol === 'modbus-rtu') parts.push(settingText(d.serial));
  const r = d.modbus.read;
  parts.push(r.answer === 'data' ? 'read ok' : `read: exception ${r.exception ?? '?'}`);
  parts.push(d.modbus.identification === 'ok' ? 'identification ok' : `identification: ${d.modbus.identification}`);
  if (d.protocol === 'modbus' && d.modbus.gateway) parts.push('gateway');
  if (d.protocol === 'modbus-rtu' && d.alsoAnswersAt?.length) parts.push(`also answers at ${d.alsoAnswersAt.map(settingText).join(', ')}`);
  return parts.join('; ');
}

export function modbusCsv(d: ModbusDevice | ModbusRtuDevice, details: string): CsvCells[] {
  return [
    [
      d.url,
      d.protocol,
      d.name,
      d.protocol === 'modbus' ? d.host : undefined,
      d.protocol === 'modbus' ? d.port : undefined,
      d.protocol === 'modbus-rtu' ? d.path : undefined,
      d.unit,
      d.identity.vendor,
      d.identity.productName ?? d.identity.modelName ?? d.identity.productCode,
      d.identity.revision,
      'none',
      'yes',
      details,
    ],
  ];
}
