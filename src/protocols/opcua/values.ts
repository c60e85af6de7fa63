/**
 * OPC UA values as JSON and as text. node-opcua hands out Variants whose values may be typed
 * arrays, [high, low] pairs for 64-bit integers, Dates, LocalizedText, NodeIds, Buffers and
 * structures; everything that leaves iiot (tables, --json, tag lists, captures) gets plain JSON.
 * Works on the value objects alone: no node-opcua import.
 */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** Built-in data type names by their Variant DataType number (OPC UA Part 6). */
export const BUILTIN_TYPES = [
  'Null',
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
  'DateTime',
  'Guid',
  'ByteString',
  'XmlElement',
  'NodeId',
  'ExpandedNodeId',
  'StatusCode',
  'QualifiedName',
  'LocalizedText',
  'ExtensionObject',
  'DataValue',
  'Variant',
  'DiagnosticInfo',
] as const;

export interface VariantLike {
  dataType: number;
  arrayType?: number;
  value: unknown;
}

/** A 64-bit integer as node-opcua gives it ([high, low]) to a number if exact, else a decimal string. */
function int64(v: unknown, signed: boolean): JsonValue {
  if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'number' && typeof v[1] === 'number') {
    let big = (BigInt(v[0] >>> 0) << 32n) | BigInt(v[1] >>> 0);
    if (signed && v[0] & 0x80000000) big -= 1n << 64n;
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  }
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  return toJson(v);
}

/** Any node-opcua value object as plain JSON. */
export function toJson(v: unknown): JsonValue {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (typeof v === 'bigint') return int64(v, true);
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : v.toISOString();
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (ArrayBuffer.isView(v)) return Array.from(v as unknown as ArrayLike<number>).map((x) => toJson(x));
  if (Array.isArray(v)) return v.map(toJson);
  if (typeof v === 'object') {
    const o = v as Record<string, unknown> & { constructor?: { name?: string } };
    const ctor = o.constructor?.name;
    // LocalizedText, QualifiedName, NodeId, StatusCode: their text is what people read.
    if (ctor === 'LocalizedText') return (o.text as string | null) ?? null;
    if (ctor === 'QualifiedName') return o.namespaceIndex ? `${String(o.namespaceIndex)}:${String(o.name)}` : String(o.name ?? '');
    if (ctor === 'NodeId' || ctor === 'ExpandedNodeId') return String(v).replace(/^ns=0;/, '');
    if (typeof o.name === 'string' && typeof o.value === 'number' && ctor?.includes('StatusCode')) return o.name;
    if (ctor === 'Variant') return toJson((o as { value?: unknown }).value);
    const json = typeof (o as { toJSON?: unknown }).toJSON === 'function' ? (o as { toJSON: () => unknown }).toJSON() : o;
    if (json !== o) return toJson(json);
    const out: Record<string, JsonValue> = {};
    for (const [k, x] of Object.entries(o)) if (!k.startsWith('_') && typeof x !== 'function') out[k] = toJson(x);
    return out;
  }
  return String(v);
}

/** A Variant as JSON, with 64-bit integers handled per their declared type. */
export function variantToJson(variant: VariantLike | null | undefined): JsonValue {
  if (!variant) return null;
  const { dataType, value } = variant;
  if (dataType === 8 || dataType === 9) {
    const signed = dataType === 8;
    if (variant.arrayType && variant.arrayType > 0 && Array.isArray(value)) return value.map((x) => int64(x, signed));
    return int64(value, signed);
  }
  return toJson(value);
}

export function builtinTypeName(dataType: number): string {
  return BUILTIN_TYPES[dataType] ?? `DataType${dataType}`;
}

/** A value for a table cell: short, one line. */
export function valueText(v: JsonValue, max = 60): string {
  let s: string;
  if (v === null) s = 'null';
  else if (typeof v === 'string') s = v;
  else if (typeof v === 'number') s = Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(10)));
  else s = JSON.stringify(v);
  s = s.replace(/\s+/g, ' ');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
