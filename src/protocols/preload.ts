/**
 * Protocol libraries loaded before any device is contacted. A workflow that talks to devices of
 * several protocols at once (record, check latency, check security) calls this first: loading
 * node-opcua blocks the event loop for 0.5 s on a quiet machine and for seconds on a cold or busy
 * one, and a device waiting on iiot meanwhile would have its time measured wrongly (a latency
 * sample of two seconds) or, before src/core/deadline.ts, be blamed for a timeout.
 */
export type PreloadProtocol = 'opcua' | 'modbus' | 'modbus-rtu' | 'mqtt' | 'tcp';

export async function preloadProtocols(protocols: Iterable<PreloadProtocol>, debugSink?: (line: string) => void): Promise<void> {
  const wanted = new Set(protocols);
  const loads: Array<Promise<unknown>> = [];
  if (wanted.has('opcua')) loads.push(import('./opcua/load.js').then((m) => m.preloadOpcUa(debugSink)));
  if (wanted.has('modbus') || wanted.has('modbus-rtu')) loads.push(import('./modbus/client.js'));
  if (wanted.has('mqtt')) loads.push(import('./mqtt/connect.js'));
  await Promise.all(loads);
}
