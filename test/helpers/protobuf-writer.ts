/**
 * A tiny protobuf writer for test payloads, written from the protobuf encoding guide and the
 * Sparkplug 3.0 schema, and deliberately independent of protobufjs and of iiot's codec: Sparkplug
 * test data must not be produced by the code it tests.
 *
 * Only what Sparkplug uses: varint (wire type 0) for uint32, uint64 and bool, fixed32 (5) for
 * float, fixed64 (1) for double, length-delimited (2) for strings, bytes and messages. There is no
 * zigzag anywhere: Sparkplug's integer fields are uint32/uint64, so a negative Int8 is sent as an
 * unsigned number (its two's complement), never zigzag-encoded.
 */

export type Bytes = number[];

/** Base-128 varint, least significant group first, high bit set on every byte but the last. */
export function varint(value: number | bigint): Bytes {
  let v = BigInt(value);
  if (v < 0n) throw new RangeError("varint of a negative number: Sparkplug sends the unsigned two's complement");
  const out: Bytes = [];
  do {
    let byte = Number(v & 0x7fn);
    v >>= 7n;
    if (v > 0n) byte |= 0x80;
    out.push(byte);
  } while (v > 0n);
  return out;
}

const key = (field: number, wireType: number) => varint((field << 3) | wireType);

export const uint = (field: number, v: number | bigint): Bytes => [...key(field, 0), ...varint(v)];
export const bool = (field: number, b: boolean): Bytes => uint(field, b ? 1 : 0);

export function float(field: number, x: number): Bytes {
  const b = Buffer.alloc(4);
  b.writeFloatLE(x);
  return [...key(field, 5), ...b];
}

export function double(field: number, x: number): Bytes {
  const b = Buffer.alloc(8);
  b.writeDoubleLE(x);
  return [...key(field, 1), ...b];
}

export const bytes = (field: number, data: Bytes | Uint8Array): Bytes => [...key(field, 2), ...varint(data.length), ...data];
export const str = (field: number, s: string): Bytes => bytes(field, [...Buffer.from(s, 'utf8')]);
/** An embedded message: its fields, length-delimited. */
export const msg = (field: number, ...parts: Bytes[]): Bytes => bytes(field, parts.flat());

/** Little-endian bytes of an integer of `width` bytes (two's complement for negatives). */
export function le(value: number | bigint, width: number): Bytes {
  let v = BigInt.asUintN(width * 8, BigInt(value));
  const out: Bytes = [];
  for (let i = 0; i < width; i++) {
    out.push(Number(v & 0xffn));
    v >>= 8n;
  }
  return out;
}

// Sparkplug B field numbers (the specification's sparkplug_b.proto)
export const PAYLOAD = { timestamp: 1, metrics: 2, seq: 3, uuid: 4, body: 5 } as const;
export const METRIC = {
  name: 1,
  alias: 2,
  timestamp: 3,
  datatype: 4,
  is_historical: 5,
  is_transient: 6,
  is_null: 7,
  metadata: 8,
  properties: 9,
  int_value: 10,
  long_value: 11,
  float_value: 12,
  double_value: 13,
  boolean_value: 14,
  string_value: 15,
  bytes_value: 16,
  dataset_value: 17,
  template_value: 18,
} as const;
export const METADATA = { is_multi_part: 1, content_type: 2, size: 3, seq: 4, file_name: 5, file_type: 6, md5: 7, description: 8 } as const;
export const PROPERTY_SET = { keys: 1, values: 2 } as const;
export const PROPERTY_VALUE = {
  type: 1,
  is_null: 2,
  int_value: 3,
  long_value: 4,
  float_value: 5,
  double_value: 6,
  boolean_value: 7,
  string_value: 8,
  propertyset_value: 9,
  propertysets_value: 10,
} as const;
export const PROPERTY_SET_LIST = { propertyset: 1 } as const;
export const DATASET = { num_of_columns: 1, columns: 2, types: 3, rows: 4 } as const;
export const ROW = { elements: 1 } as const;
export const DATASET_VALUE = { int_value: 1, long_value: 2, float_value: 3, double_value: 4, boolean_value: 5, string_value: 6 } as const;
export const TEMPLATE = { version: 1, metrics: 2, parameters: 3, template_ref: 4, is_definition: 5 } as const;
export const PARAMETER = {
  name: 1,
  type: 2,
  int_value: 3,
  long_value: 4,
  float_value: 5,
  double_value: 6,
  boolean_value: 7,
  string_value: 8,
} as const;

// the Sparkplug datatype numbers
export const T = {
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const;

/** A metric's fields (name, alias, timestamp, datatype, ...) in field-number order, then its value field. */
export interface MetricSpec {
  name?: string;
  alias?: number;
  timestamp?: number | bigint;
  datatype?: number;
  isNull?: boolean;
  metadata?: Bytes[];
  properties?: Bytes[];
  /** the value field, already written (uint(METRIC.int_value, 128), ...) */
  value?: Bytes;
}

export function metric(m: MetricSpec): Bytes {
  return msg(
    PAYLOAD.metrics,
    m.name === undefined ? [] : str(METRIC.name, m.name),
    m.alias === undefined ? [] : uint(METRIC.alias, m.alias),
    m.timestamp === undefined ? [] : uint(METRIC.timestamp, m.timestamp),
    m.datatype === undefined ? [] : uint(METRIC.datatype, m.datatype),
    m.isNull ? bool(METRIC.is_null, true) : [],
    m.metadata ? msg(METRIC.metadata, ...m.metadata) : [],
    m.properties ? msg(METRIC.properties, ...m.properties) : [],
    m.value ?? [],
  );
}

/** A whole payload: timestamp, metrics (each already written with `metric`), seq. */
export function payload(o: { timestamp?: number | bigint; seq?: number; metrics: Bytes[] }): Buffer {
  return Buffer.from([
    ...(o.timestamp === undefined ? [] : uint(PAYLOAD.timestamp, o.timestamp)),
    ...o.metrics.flat(),
    ...(o.seq === undefined ? [] : uint(PAYLOAD.seq, o.seq)),
  ]);
}

/** A PropertySet's keys and values: pairs of a key and its PropertyValue fields. */
export function propertySet(entries: Array<[string, Bytes[]]>): Bytes[] {
  return [...entries.map(([k]) => str(PROPERTY_SET.keys, k)), ...entries.map(([, v]) => msg(PROPERTY_SET.values, ...v))];
}

/** The Quality property (type Int32, int_value), as the specification defines it. */
export const quality = (code: number): [string, Bytes[]] => [
  'Quality',
  [uint(PROPERTY_VALUE.type, T.Int32), uint(PROPERTY_VALUE.int_value, code)],
];
export const engUnit = (unit: string): [string, Bytes[]] => [
  'engUnit',
  [uint(PROPERTY_VALUE.type, T.String), str(PROPERTY_VALUE.string_value, unit)],
];
