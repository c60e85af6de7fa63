/**
 * `iiot read`: values once, or as they change (--watch), from one device. Options arrive parsed
 * (options.ts); each protocol's workflow is loaded only when its endpoint is read, so reading a
 * Modbus register never loads node-opcua, and the protocol library is loaded before any device
 * timer starts.
 */
import type { IO } from '../core/io.js';
import type { ReadOptions } from './types.js';

export async function run(io: IO, options: ReadOptions): Promise<number> {
  switch (options.protocol) {
    case 'opcua': {
      const { readOpcUa } = await import('./opcua.js');
      return readOpcUa(io, options);
    }
    case 'modbus': {
      const { readModbus } = await import('./modbus.js');
      return readModbus(io, options);
    }
    case 'mqtt': {
      const { readMqtt } = await import('./mqtt.js');
      return readMqtt(io, options);
    }
  }
}
