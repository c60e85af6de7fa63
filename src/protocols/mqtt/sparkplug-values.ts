/**
 * Sparkplug B values by their datatype, as the Sparkplug 3.0 specification defines them (chapter 6,
 * "Datatype Details"), to plain JSON for captures. Pure functions over what the protobuf decoder
 * found on the wire; no protobuf library here.
 *
 * The rules a host must get right, and where libraries go wrong:
 * - Int8, Int16, Int32, UInt8, UInt16 and UInt32 travel in int_value, a protobuf uint32; Int64,
 *   UInt64 and DateTime in long_value, a uint64. Both are plain varints of the unsigned number
 *   (not zigzag). A negative Int8 arrives as its 8-bit two's complement (Tahu's Python: -128 is 128)
 *   or sign-extended to the field's width (Tahu's Java: -128 is 0xFFFFFF80); both are read by
 *   sign extension from the type's width. A value that fits neither form is out of range: bad.
 * - UInt32 is read from int_value (the specification) or long_value (older Tahu Java and JavaScript).
 * - 64-bit integers stay exact: a JSON number when |v| <= 2^53 - 1, else a string of its decimal
 *   digits (docs/capture-format.md).
 * - Array types are little-endian packed bytes in bytes_value; BooleanArray is a 4-byte little-endian
 *   count then bits, most significant bit first; StringArray is NUL-terminated UTF-8 strings.
 * A value that cannot be represented exactly comes back as `bad` with the reason, never as a guess.
 */
import { SPARKPLUG_DATATYPES } from './sparkplug-schema.js';

export type SparkplugType = keyof typeof SPARKPLUG_DATATYPES;

const TYPE_NAMES = new Map<number, SparkplugType>(Object.entries(SPARKPLUG_DATATYPES).map(([k, v]) => [v, k as SparkplugType]));

/** The datatype name of a Sparkplug datatype number; undefined for numbers the specification does not define. */
export function sparkplugTypeName(n: number): SparkplugType | undefined {
  return TYPE_NAMES.get(n);
}

/** A value as JSON: what a capture sample holds. */
export type SparkplugValue = number | boolean | string | null | SparkplugValue[] | { [key: string]: SparkplugValue };

/** The value field a message carried (its `oneof value`), as the wire has it. */
export type WireValue =
  | { kind: 'int'; v: number } // uint32: 0 ... 2^32 - 1
  | { kind: 'long'; v: bigint } // uint64: 0 ... 2^64 - 1
  | { kind: 'float'; v: number }
  | { kind: 'double'; v: number }
  | { kind: 'boolean'; v: boolean }
  | { kind: 'string'; v: string }
  | { kind: 'bytes'; v: Uint8Array }
  | { kind: 'dataset'; v: WireDataSet }
  | { kind: 'template'; v: unknown }
  | { kind: 'propertyset'; v: WirePropertySet }
  | { kind: 'propertysets'; v: WirePropertySet[] }
  | { kind: 'extension' }
  | { kind: 'none' };

export interface WireDataSet {
  numOfColumns: bigint | undefined;
  columns: string[];
  types: number[];
  rows: WireValue[][];
}

export interface WirePropertySet {
  keys: string[];
  values: Array<{ type: number | undefined; isNull: boolean; wire: WireValue }>;
}

export interface Decoded {
  value: SparkplugValue;
  /** why the value is not exact (or not there); the value is then null or partly null */
  bad?: string;
}

const FIELD: Record<WireValue['kind'], string> = {
  int: 'int_value',
  long: 'long_value',
  float: 'float_value',
  double: 'double_value',
  boolean: 'boolean_value',
  string: 'string_value',
  bytes: 'bytes_value',
  dataset: 'dataset_value',
  template: 'template_value',
  propertyset: 'propertyset_value',
  propertysets: 'propertysets_value',
  extension: 'extension_value',
  none: 'no value',
};

const bad = (why: string): Decoded => ({ value: null, bad: why });

/** A 64-bit integer as JSON: a number when a double holds it exactly (|v| <= 2^53 - 1), else its decimal digits. */
export function int64Json(v: bigint): number | string {
  return v >= -9007199254740991n && v <= 9007199254740991n ? Number(v) : v.toString();
}

const INTEGERS: Partial<Record<SparkplugType, { bits: number; signed: boolean }>> = {
  Int8: { bits: 8, signed: true },
  Int16: { bits: 16, signed: true },
  Int32: { bits: 32, signed: true },
  Int64: { bits: 64, signed: true },
  UInt8: { bits: 8, signed: false },
  UInt16: { bits: 16, signed: false },
  UInt32: { bits: 32, signed: false },
  UInt64: { bits: 64, signed: false },
};

/** An integer type's value from int_value (32-bit field) or long_value (64-bit field). */
function integer(type: SparkplugType, wire: WireValue): Decoded {
  const { bits, signed } = INTEGERS[type]!;
  // the common case, in plain numbers: a type of 32 bits or less from the 32-bit field
  if (wire.kind === 'int' && bits <= 32) {
    const u = wire.v;
    if (!signed) return u < 2 ** bits ? { value: u } : bad(`${type} value ${u} in int_value is out of range`);
    if (bits === 32) return { value: u | 0 };
    if (u < 2 ** bits) return { value: (u << (32 - bits)) >> (32 - bits) };
    if (u >= 2 ** 32 - 2 ** (bits - 1)) return { value: u - 2 ** 32 };
    return bad(`${type} value ${u} in int_value is out of range`);
  }
  let raw: bigint;
  let width: number;
  if (wire.kind === 'int') {
    raw = BigInt(wire.v);
    width = 32;
  } else if (wire.kind === 'long') {
    raw = wire.v;
    width = 64;
  } else return wrongField(type, wire);
  const span = 1n << BigInt(bits);
  let v: bigint | undefined;
  if (!signed) {
    if (raw < span) v = raw;
  } else if (bits > width) {
    // a 64-bit signed type in the 32-bit field: only non-negative values below 2^31 are unambiguous
    if (raw < 1n << 31n) v = raw;
    else return bad(`${type} value ${raw} in int_value (a 32-bit field) is ambiguous: it should be in long_value`);
  } else if (raw < span) {
    v = BigInt.asIntN(bits, raw); // the type's own two's complement (or a non-negative value)
  } else if (raw >= (1n << BigInt(width)) - (span >> 1n)) {
    v = raw - (1n << BigInt(width)); // sign-extended to the field's width
  }
  if (v === undefined) return bad(`${type} value ${raw} in ${FIELD[wire.kind]} is out of range`);
  return { value: int64Json(v) };
}

function wrongField(type: SparkplugType, wire: WireValue): Decoded {
  if (wire.kind === 'none') return bad(`${type} metric without a value`);
  if (wire.kind === 'extension') return bad(`${type} metric with an extension value iiot does not know`);
  return bad(`${type} value in ${FIELD[wire.kind]}, where the specification has ${expectedField(type)}`);
}

function expectedField(type: SparkplugType): string {
  if (INTEGERS[type]) return INTEGERS[type].bits === 64 ? 'long_value' : 'int_value';
  switch (type) {
    case 'Float':
      return 'float_value';
    case 'Double':
      return 'double_value';
    case 'Boolean':
      return 'boolean_value';
    case 'String':
    case 'Text':
    case 'UUID':
      return 'string_value';
    case 'DateTime':
      return 'long_value';
    case 'DataSet':
      return 'dataset_value';
    case 'Template':
      return 'template_value';
    case 'PropertySet':
      return 'propertyset_value';
    case 'PropertySetList':
      return 'propertysets_value';
    default:
      return 'bytes_value';
  }
}

/** Milliseconds since the epoch (UTC) as an ISO 8601 time; bad when no date has that time. */
function dateTime(ms: bigint, what: string): Decoded {
  // JavaScript dates reach ±8.64e15 ms (year ±275760)
  if (ms < -8640000000000000n || ms > 8640000000000000n) return bad(`${what} ${ms} ms is not a date`);
  return { value: new Date(Number(ms)).toISOString() };
}

/** A value of a simple type: the metric types without DataSet, Template and the property set types. */
function scalar(type: SparkplugType, wire: WireValue): Decoded {
  if (INTEGERS[type]) return integer(type, wire);
  switch (type) {
    case 'Float':
    case 'Double':
      // a float widens to a double exactly; a double sent for a Float keeps what was sent
      return wire.kind === 'float' || wire.kind === 'double' ? { value: wire.v } : wrongField(type, wire);
    case 'Boolean':
      return wire.kind === 'boolean' ? { value: wire.v } : wrongField(type, wire);
    case 'String':
    case 'Text':
    case 'UUID':
      return wire.kind === 'string' ? { value: wire.v } : wrongField(type, wire);
    case 'DateTime':
      // uint64 on the wire; Java publishers send times before 1970 as two's complement
      if (wire.kind === 'long') return dateTime(BigInt.asIntN(64, wire.v), 'DateTime');
      if (wire.kind === 'int') return dateTime(BigInt(wire.v), 'DateTime');
      return wrongField(type, wire);
    case 'Bytes':
    case 'File':
      return wire.kind === 'bytes' ? { value: Buffer.from(wire.v).toString('base64') } : wrongField(type, wire);
    default:
      if (type.endsWith('Array')) return wire.kind === 'bytes' ? array(type, wire.v) : wrongField(type, wire);
      return bad(`${type} is not a simple datatype`);
  }
}

/** Where the datatype is not in the message (NDATA should leave it out): exact only for self-describing fields. */
function untyped(wire: WireValue): Decoded {
  switch (wire.kind) {
    case 'float':
    case 'double':
    case 'boolean':
    case 'string':
      return { value: wire.v };
    case 'int':
    case 'long':
      return bad(`no datatype for ${FIELD[wire.kind]} ${wire.v}: signed or unsigned, and how wide, comes from the birth`);
    case 'bytes':
      return bad('no datatype for bytes_value: bytes, a file or which array comes from the birth');
    default:
      return wrongField('Unknown', wire);
  }
}

// ---------------------------------------------------------------------------------------------
// Arrays (Sparkplug 3.0): little-endian packed bytes

const ARRAY_WIDTH: Record<string, number> = {
  Int8Array: 1,
  UInt8Array: 1,
  Int16Array: 2,
  UInt16Array: 2,
  Int32Array: 4,
  UInt32Array: 4,
  FloatArray: 4,
  Int64Array: 8,
  UInt64Array: 8,
  DoubleArray: 8,
  DateTimeArray: 8,
};

function array(type: SparkplugType, bytes: Uint8Array): Decoded {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (type === 'BooleanArray') {
    if (bytes.length < 4) return bad(`BooleanArray of ${bytes.length} bytes: the 4-byte count is missing`);
    const count = view.getUint32(0, true);
    const need = Math.ceil(count / 8);
    if (bytes.length - 4 !== need)
      return bad(`BooleanArray of ${count} values needs ${need} bytes after the count, not ${bytes.length - 4}`);
    const out: boolean[] = [];
    for (let i = 0; i < count; i++) out.push((bytes[4 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0);
    return { value: out };
  }
  if (type === 'StringArray') {
    if (bytes.length === 0) return { value: [] };
    if (bytes[bytes.length - 1] !== 0) return bad('StringArray whose last string has no terminating NUL');
    const out: string[] = [];
    const decoder = new TextDecoder('utf-8', { fatal: true });
    let start = 0;
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i] !== 0) continue;
      try {
        out.push(decoder.decode(bytes.subarray(start, i)));
      } catch {
        return bad(`StringArray string ${out.length + 1} is not UTF-8`);
      }
      start = i + 1;
    }
    return { value: out };
  }
  const width = ARRAY_WIDTH[type];
  if (width === undefined) return bad(`${type} is not an array datatype`);
  if (bytes.length % width !== 0) return bad(`${type} of ${bytes.length} bytes is not a whole number of ${width}-byte values`);
  const out: SparkplugValue[] = [];
  const n = bytes.length / width;
  let nonFinite = 0;
  for (let i = 0; i < n; i++) {
    const at = i * width;
    switch (type) {
      case 'Int8Array':
        out.push(view.getInt8(at));
        break;
      case 'UInt8Array':
        out.push(view.getUint8(at));
        break;
      case 'Int16Array':
        out.push(view.getInt16(at, true));
        break;
      case 'UInt16Array':
        out.push(view.getUint16(at, true));
        break;
      case 'Int32Array':
        out.push(view.getInt32(at, true));
        break;
      case 'UInt32Array':
        out.push(view.getUint32(at, true));
        break;
      case 'Int64Array':
        out.push(int64Json(view.getBigInt64(at, true)));
        break;
      case 'UInt64Array':
        out.push(int64Json(view.getBigUint64(at, true)));
        break;
      case 'DateTimeArray': {
        const d = dateTime(view.getBigInt64(at, true), `DateTimeArray value ${i + 1}`);
        if (d.bad) return d;
        out.push(d.value);
        break;
      }
      default: {
        const x = type === 'FloatArray' ? view.getFloat32(at, true) : view.getFloat64(at, true);
        if (Number.isFinite(x)) out.push(x);
        else {
          nonFinite++;
          out.push(null);
        }
      }
    }
  }
  return nonFinite
    ? { value: out, bad: `${type} holds ${nonFinite} NaN or infinite value${nonFinite === 1 ? '' : 's'}, written as null` }
    : { value: out };
}

// ---------------------------------------------------------------------------------------------
// DataSet, property sets

/** A DataSet as `{columns, types, rows}`: rows of cells in column order, cells as their column type gives them. */
export function dataSet(ds: WireDataSet): Decoded {
  const types = ds.types.map((t) => sparkplugTypeName(t));
  const problems: string[] = [];
  if (ds.types.length !== ds.columns.length) problems.push(`${ds.columns.length} column names but ${ds.types.length} types`);
  if (ds.numOfColumns !== undefined && ds.numOfColumns !== BigInt(ds.columns.length))
    problems.push(`num_of_columns ${ds.numOfColumns} but ${ds.columns.length} columns`);
  const rows = ds.rows.map((row, r) => {
    if (row.length !== ds.types.length) problems.push(`row ${r + 1} has ${row.length} values for ${ds.types.length} columns`);
    return row.map((cell, c) => {
      const type = types[c];
      const where = `row ${r + 1}, column ${JSON.stringify(ds.columns[c] ?? String(c + 1))}`;
      if (type === undefined) {
        problems.push(`${where}: unknown datatype ${ds.types[c] ?? '(none)'}`);
        return null;
      }
      const d = scalar(type, cell);
      if (d.bad) problems.push(`${where}: ${d.bad}`);
      else if (typeof d.value === 'number' && !Number.isFinite(d.value)) {
        problems.push(`${where}: ${d.value} written as null`);
        return null;
      }
      return d.value;
    });
  });
  const out: Decoded = { value: { columns: ds.columns, types: ds.types.map((t, i) => types[i] ?? t), rows } };
  if (problems.length)
    out.bad = `DataSet: ${problems.slice(0, 3).join('; ')}${problems.length > 3 ? ` (and ${problems.length - 3} more)` : ''}`;
  return out;
}

/** A PropertySet as an object of its keys; with `bad` naming the first key that could not be decoded. */
export function propertySet(ps: WirePropertySet): {
  value: { [key: string]: SparkplugValue };
  types: Record<string, SparkplugType | number>;
  bad?: string;
} {
  const value: { [key: string]: SparkplugValue } = {};
  const types: Record<string, SparkplugType | number> = {};
  const problems: string[] = [];
  if (ps.keys.length !== ps.values.length) problems.push(`${ps.keys.length} keys but ${ps.values.length} values`);
  ps.keys.forEach((k, i) => {
    const pv = ps.values[i];
    if (!pv) return;
    const d = propertyValue(pv);
    value[k] = d.value;
    const name = pv.type === undefined ? undefined : sparkplugTypeName(pv.type);
    types[k] = name ?? pv.type ?? 'Unknown';
    if (d.bad) problems.push(`property ${JSON.stringify(k)}: ${d.bad}`);
  });
  return problems.length ? { value, types, bad: problems.join('; ') } : { value, types };
}

function propertyValue(pv: { type: number | undefined; isNull: boolean; wire: WireValue }): Decoded {
  if (pv.isNull) return { value: null };
  const type = pv.type === undefined ? 'Unknown' : sparkplugTypeName(pv.type);
  if (type === undefined) return bad(`unknown datatype ${pv.type}`);
  return decodeValue(type, pv.wire);
}

/**
 * The value of a metric, property, template parameter or DataSet cell of the given datatype.
 * DataSet and the property set types are decoded here; a Template's value is built by the codec
 * (its members are metrics).
 */
export function decodeValue(type: SparkplugType, wire: WireValue): Decoded {
  switch (type) {
    case 'Unknown':
      if (wire.kind === 'dataset') return dataSet(wire.v);
      if (wire.kind === 'propertyset') return propertySet(wire.v);
      if (wire.kind === 'propertysets') return propertySetList(wire.v);
      return untyped(wire);
    case 'DataSet':
      return wire.kind === 'dataset' ? dataSet(wire.v) : wrongField(type, wire);
    case 'PropertySet':
      return wire.kind === 'propertyset' ? propertySet(wire.v) : wrongField(type, wire);
    case 'PropertySetList':
      return wire.kind === 'propertysets' ? propertySetList(wire.v) : wrongField(type, wire);
    case 'Template':
      return bad('a Template value is decoded with its metrics');
    default:
      return scalar(type, wire);
  }
}

function propertySetList(list: WirePropertySet[]): Decoded {
  const sets = list.map(propertySet);
  const problem = sets.find((s) => s.bad)?.bad;
  return { value: sets.map((s) => s.value), ...(problem ? { bad: problem } : {}) };
}

// ---------------------------------------------------------------------------------------------
// Encoding (iiot's own edge node and replay): values to wire fields

export type EncodableValue = number | bigint | boolean | string | Uint8Array | null;

/** The wire field and value for a simple type; throws on a value the type cannot hold (a bug in the caller). */
export function encodeValue(type: SparkplugType, value: EncodableValue): WireValue {
  const fail = (why: string): never => {
    throw new RangeError(`Sparkplug ${type}: ${why}`);
  };
  const int = INTEGERS[type];
  if (int) {
    let v: bigint;
    if (typeof value === 'bigint') v = value;
    else if (typeof value === 'number' && Number.isInteger(value)) v = BigInt(value);
    else if (typeof value === 'string' && /^-?\d+$/.test(value)) v = BigInt(value);
    else return fail(`${String(value)} is not an integer`);
    const lo = int.signed ? -(1n << BigInt(int.bits - 1)) : 0n;
    const hi = (int.signed ? 1n << BigInt(int.bits - 1) : 1n << BigInt(int.bits)) - 1n;
    if (v < lo || v > hi) fail(`${v} is out of range`);
    // negative values as the two's complement of the field's width, as Tahu's Java library writes them
    return int.bits === 64 ? { kind: 'long', v: BigInt.asUintN(64, v) } : { kind: 'int', v: Number(BigInt.asUintN(32, v)) };
  }
  switch (type) {
    case 'Float':
      return typeof value === 'number' ? { kind: 'float', v: value } : fail(`${String(value)} is not a number`);
    case 'Double':
      return typeof value === 'number' ? { kind: 'double', v: value } : fail(`${String(value)} is not a number`);
    case 'Boolean':
      return typeof value === 'boolean' ? { kind: 'boolean', v: value } : fail(`${String(value)} is not a boolean`);
    case 'String':
    case 'Text':
    case 'UUID':
      return typeof value === 'string' ? { kind: 'string', v: value } : fail(`${String(value)} is not a string`);
    case 'DateTime': {
      const ms = typeof value === 'string' ? Date.parse(value) : typeof value === 'number' ? value : NaN;
      return Number.isInteger(ms) ? { kind: 'long', v: BigInt.asUintN(64, BigInt(ms)) } : fail(`${String(value)} is not a time`);
    }
    case 'Bytes':
    case 'File':
      return value instanceof Uint8Array ? { kind: 'bytes', v: value } : fail('the value is not bytes');
    default:
      return fail('iiot does not encode this datatype');
  }
}
