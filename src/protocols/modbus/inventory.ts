/**
 * A Modbus device in the inventory (docs/inventory.md), over TCP or on a serial line: what it
 * answered and how it identified itself; and the inventory's record of each serial sweep.
 */
import { z } from 'zod';
import { deviceFields, int, networkFields, serialSetting, str } from '../inventory.js';

const modbusIdentity = z.object({
  vendor: str.optional(),
  productCode: str.optional(),
  revision: str.optional(),
  vendorUrl: str.optional(),
  productName: str.optional(),
  modelName: str.optional(),
  userApplicationName: str.optional(),
  conformityLevel: int.optional(),
  other: z.record(str, str).optional(),
});

const modbusProbe = z.object({
  read: z.object({ function: int, address: int, answer: z.enum(['data', 'exception']), exception: int.optional(), ms: z.number() }),
  identification: z.enum(['ok', 'not-supported', 'exception', 'no-answer', 'garbage']),
  identificationDetail: str.optional(),
});

export const modbusDeviceSchema = z.object({
  ...deviceFields,
  ...networkFields,
  protocol: z.literal('modbus'),
  unit: int.min(0).max(255),
  identity: modbusIdentity,
  modbus: modbusProbe.extend({ gateway: z.boolean().optional() }),
});

export const modbusRtuDeviceSchema = z.object({
  ...deviceFields,
  protocol: z.literal('modbus-rtu'),
  path: str,
  unit: int.min(0).max(255),
  serial: serialSetting,
  /** other settings the same unit id answered at (a pseudo-terminal ignores settings; a lax device may too) */
  alsoAnswersAt: z.array(serialSetting).optional(),
  identity: modbusIdentity,
  modbus: modbusProbe,
});

/** One serial port and setting swept: how long it took and with which timing (the inventory's `serialScans`). */
export const serialScanSchema = z.object({
  path: str,
  setting: serialSetting,
  unitIds: int,
  answered: z.array(int),
  ms: z.number(),
  unitTimeoutMs: z.number(),
  interFrameMs: z.number(),
  charMs: z.number(),
});

export type ModbusDevice = z.infer<typeof modbusDeviceSchema>;
export type ModbusRtuDevice = z.infer<typeof modbusRtuDeviceSchema>;
export type SerialScan = z.infer<typeof serialScanSchema>;
