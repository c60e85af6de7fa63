/**
 * Setting a served variable's value the way a device-facing server does: the source timestamp is
 * when the value was measured (the caller's, which may be model time or a recorded time), the
 * server timestamp when the server got it (now). node-opcua's setValueFromSource copies the source
 * timestamp into the server timestamp, which makes a server that runs at a time scale, or replays
 * a capture, claim it received values in the past or the future. Shared by the plant server and
 * the replay server.
 */
import type { StatusCode, UAVariable, Variant, VariantOptions } from 'node-opcua';

type Opcua = typeof import('node-opcua');

export function setServedValue(
  opc: Opcua,
  node: UAVariable,
  value: Variant | VariantOptions,
  statusCode: StatusCode,
  sourceTimestamp: Date,
  serverTimestamp: Date = new Date(),
): void {
  const variant = value instanceof opc.Variant ? value : new opc.Variant(value);
  // _internal_set_dataValue is what setValueFromSource ends in (type check, historian and
  // monitored items notified) without its timestamp copy.
  const internal = node as unknown as { _internal_set_dataValue?: (dv: InstanceType<Opcua['DataValue']>) => void };
  if (typeof internal._internal_set_dataValue === 'function') {
    internal._internal_set_dataValue(new opc.DataValue({ value: variant, statusCode, sourceTimestamp, serverTimestamp }));
  } else {
    node.setValueFromSource(variant, statusCode, sourceTimestamp);
  }
}
