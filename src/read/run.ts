/**
 * `iiot read`: values once, or as they change (--watch), from one device. Options arrive parsed
 * (options.ts); each protocol's workflow is loaded only when its endpoint is read, so reading a
 * Modbus register never loads node-opcua, and the protocol library is loaded before any device
 * timer starts.
 */
import type { IO } from '../core/io.js';
import type { ReadOptions } from './types.js';

/** Each protocol's read, by the registry's name of the endpoint's protocol. */
const READERS: { [K in ReadOptions['protocol']]: (io: IO, options: Extract<ReadOptions, { protocol: K }>) => Promise<number> } = {
  opcua: async (io, o) => (await import('./opcua.js')).readOpcUa(io, o),
  modbus: async (io, o) => (await import('./modbus.js')).readModbus(io, o),
  mqtt: async (io, o) => (await import('./mqtt.js')).readMqtt(io, o),
};

export async function run(io: IO, options: ReadOptions): Promise<number> {
  const read = READERS[options.protocol] as (io: IO, options: ReadOptions) => Promise<number>;
  return read(io, options);
}
