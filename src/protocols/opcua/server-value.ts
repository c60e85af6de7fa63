/**
 * Setting a served variable's value the way a device-facing server does: the source timestamp is
 * when the value was measured (the caller's, which may be model time or a recorded time), the
 * server timestamp when the server got it (now). node-opcua's setValueFromSource copies the source
 * timestamp into the server timestamp, which makes a server that runs at a time scale, or replays
 * a capture, claim it received values in the past or the future. Shared by the plant server, the
 * replay server and the twin; so is the conversion of a recorded value back to its OPC UA type.
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

/**
 * A recorded JSON value as the variable's built-in type; undefined when it cannot be (a structure,
 * a text that is no integer for a 64-bit one). 64-bit integers recorded as decimal strings (above
 * 2^53, docs/capture-format.md) stay strings: node-opcua converts them exactly, Number() would
 * round them.
 */
export function recordedToBuiltin(type: string, x: unknown): unknown {
  if (x === null || x === undefined) return null;
  switch (type) {
    case 'Boolean':
      return typeof x === 'string' ? x === 'true' || x === '1' : Boolean(x);
    case 'String':
    case 'XmlElement':
      return typeof x === 'string' ? x : JSON.stringify(x);
    case 'DateTime':
      return new Date(typeof x === 'number' || typeof x === 'string' ? x : String(x));
    case 'SByte':
    case 'Byte':
    case 'Int16':
    case 'UInt16':
    case 'Int32':
    case 'UInt32':
    case 'Float':
    case 'Double':
      return typeof x === 'number' ? x : typeof x === 'boolean' ? (x ? 1 : 0) : Number(x);
    case 'Int64':
    case 'UInt64':
      if (typeof x === 'number') return x;
      if (typeof x === 'boolean') return x ? 1 : 0;
      return typeof x === 'string' && /^-?\d+$/.test(x.trim()) ? x.trim() : undefined;
    case 'LocalizedText':
      return typeof x === 'string' ? { text: x } : x;
    default:
      return undefined;
  }
}

/**
 * What a replayed sample becomes on a served variable: its value as a Variant of the variable's
 * type (Null when it cannot be converted) and its quality as a StatusCode. The capture writes
 * non-finite numbers as null with a NaN/Infinity quality; they are put back as numbers, Good.
 */
export function servedSample(
  opc: Opcua,
  v: { type: string; dataType: number; array: boolean },
  value: unknown,
  status: string | undefined,
): { variant: Variant; statusCode: StatusCode } {
  const { StatusCodes, Variant: V, DataType, VariantArrayType } = opc;
  const codes = StatusCodes as unknown as Record<string, StatusCode | undefined>;
  let code = status === undefined ? StatusCodes.Good : codes[status];
  let x: unknown = value;
  if (value === null && (status === 'NaN' || status === 'Infinity' || status === '-Infinity')) {
    x = status === 'NaN' ? NaN : status === 'Infinity' ? Infinity : -Infinity;
    code = StatusCodes.Good;
  }
  if (code === undefined)
    code = status?.startsWith('Uncertain') ? StatusCodes.Uncertain : status?.startsWith('Good') ? StatusCodes.Good : StatusCodes.Bad;
  const converted = v.array && Array.isArray(x) ? x.map((e) => recordedToBuiltin(v.type, e)) : recordedToBuiltin(v.type, x);
  const variant =
    converted === null || converted === undefined
      ? new V({ dataType: DataType.Null })
      : new V({ dataType: v.dataType, ...(v.array ? { arrayType: VariantArrayType.Array } : {}), value: converted });
  return { variant, statusCode: code };
}
