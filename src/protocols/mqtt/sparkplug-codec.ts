/**
 * Sparkplug B payloads: protobuf bytes to metrics with exact values, and back (iiot's simulated
 * edge node and replay). protobufjs reads the wire format from the specification's schema
 * (sparkplug-schema.ts); the values are taken by the specification's rules (sparkplug-values.ts),
 * not by a library's guesses. 64-bit fields come from protobufjs as Long objects (hi/lo bits) and
 * are turned into bigint here, so no value ever passes through a lossy double.
 *
 * `decodeSparkplug(bytes)` is the public entry: it needs nothing but the bytes. A data message may
 * leave out metric datatypes (the specification says it should); such metrics come back with type
 * "Unknown", a value only where the wire field says it all (float, double, bool, string), and a
 * host decodes them again with the type from the birth (`redecodeMetric`).
 */
import protobuf from 'protobufjs/light.js';
import { SPARKPLUG_DATATYPES, SPARKPLUG_SCHEMA } from './sparkplug-schema.js';
import {
  decodeValue,
  encodeValue,
  int64Json,
  sparkplugTypeName,
  type EncodableValue,
  type SparkplugType,
  type SparkplugValue,
  type WireDataSet,
  type WirePropertySet,
  type WireValue,
} from './sparkplug-values.js';

export { int64Json, sparkplugTypeName, type SparkplugType, type SparkplugValue, type WireValue } from './sparkplug-values.js';

export interface SparkplugProperty {
  type: SparkplugType | number;
  value: SparkplugValue;
  bad?: string;
}

export interface SparkplugMetaData {
  isMultiPart?: boolean;
  contentType?: string;
  size?: number | string;
  seq?: number | string;
  fileName?: string;
  fileType?: string;
  md5?: string;
  description?: string;
}

export interface SparkplugTemplate {
  isDefinition: boolean;
  version?: string;
  templateRef?: string;
  parameters: Array<{ name: string; type: SparkplugType | number; value: SparkplugValue; bad?: string }>;
  metrics: SparkplugMetric[];
}

export interface SparkplugMetric {
  name?: string;
  /** a number (a string of decimal digits beyond 2^53, never in practice) */
  alias?: number | string;
  /** ms since the epoch */
  timestamp?: number;
  /** the datatype the message gives; "Unknown" when it gives none (data messages may leave it out) */
  type: SparkplugType;
  /** the datatype number when the specification does not define it */
  datatype?: number;
  /**
   * The value as JSON: integers exact (a decimal string beyond 2^53), DateTime as ISO 8601 UTC,
   * Bytes and File as base64, arrays as arrays, a DataSet as {columns, types, rows}, a Template as
   * {templateRef|isDefinition, version, parameters, metrics}. null with `isNull`, or when `bad`.
   */
  value: SparkplugValue;
  /** why the value could not be decoded exactly; the value is then null (or, in a DataSet or array, partly null) */
  bad?: string;
  isNull?: boolean;
  isHistorical?: boolean;
  isTransient?: boolean;
  properties?: Record<string, SparkplugProperty>;
  metadata?: SparkplugMetaData;
  /** Template metrics: the template with its member metrics */
  template?: SparkplugTemplate;
}

/**
 * The value field of each decoded metric as it was on the wire, kept beside the metric rather than
 * in it: it holds bigints, and a metric must stay plain JSON (JSON.stringify, structuredClone).
 */
const WIRES = new WeakMap<SparkplugMetric, WireValue>();

function withWire(o: SparkplugMetric, wire: WireValue): SparkplugMetric {
  WIRES.set(o, wire);
  return o;
}

/** The value field of a metric as the wire had it (`none` for a metric not made by decodeSparkplug). */
export function metricWire(m: SparkplugMetric): WireValue {
  return WIRES.get(m) ?? { kind: 'none' };
}

export interface SparkplugPayload {
  timestamp?: number;
  seq?: number;
  uuid?: string;
  /** base64 of the payload's `body` field, when present */
  body?: string;
  metrics: SparkplugMetric[];
}

// ---------------------------------------------------------------------------------------------
// protobufjs

let payloadType: protobuf.Type | undefined;

function schema(): protobuf.Type {
  if (!payloadType) {
    // Without long.js protobufjs would hand out 64-bit fields as (lossy) numbers; it is its own
    // dependency, so this only fails when a bundler left it behind.
    if (!protobuf.util.Long) throw new Error('protobufjs found no long.js: 64-bit values would not be exact');
    payloadType = protobuf.Root.fromJSON(SPARKPLUG_SCHEMA as protobuf.INamespace).lookupType('org.eclipse.tahu.protobuf.Payload');
  }
  return payloadType;
}

type Msg = Record<string, unknown>;

const has = (m: Msg, k: string) => Object.hasOwn(m, k) && m[k] !== null && m[k] !== undefined;

/** A uint64 field (a Long, or a number when protobufjs had no long.js) as an unsigned bigint. */
function u64(x: unknown): bigint {
  if (typeof x === 'number') {
    if (!Number.isSafeInteger(x)) throw new Error('a 64-bit field lost precision in decoding');
    return BigInt(x);
  }
  const l = x as { low: number; high: number };
  return (BigInt(l.high >>> 0) << 32n) | BigInt(l.low >>> 0);
}

function u64Number(x: unknown): number | string {
  // fast path: below 2^53 (timestamps, aliases, seq) without a bigint
  if (typeof x === 'object' && x !== null) {
    const { low, high } = x as { low: number; high: number };
    if (high >>> 0 < 0x200000) return (high >>> 0) * 0x100000000 + (low >>> 0);
  }
  return int64Json(u64(x));
}

/** A Long-like object protobufjs writes as a uint64 (its string form would be parsed as signed). */
function toLong(v: bigint): { low: number; high: number; unsigned: boolean } {
  const u = BigInt.asUintN(64, v);
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true };
}

const VALUE_FIELDS = [
  'int_value',
  'long_value',
  'float_value',
  'double_value',
  'boolean_value',
  'string_value',
  'bytes_value',
  'dataset_value',
  'template_value',
  'propertyset_value',
  'propertysets_value',
  'extension_value',
];

function wireOf(m: Msg): WireValue {
  // protobufjs keeps one field of a oneof (the last on the wire, as protobuf says)
  const f = VALUE_FIELDS.find((x) => has(m, x));
  if (f === undefined) return { kind: 'none' };
  const v = m[f];
  switch (f) {
    case 'int_value':
      return { kind: 'int', v: (v as number) >>> 0 };
    case 'long_value':
      return { kind: 'long', v: u64(v) };
    case 'float_value':
      return { kind: 'float', v: v as number };
    case 'double_value':
      return { kind: 'double', v: v as number };
    case 'boolean_value':
      return { kind: 'boolean', v: v as boolean };
    case 'string_value':
      return { kind: 'string', v: v as string };
    case 'bytes_value':
      return { kind: 'bytes', v: v as Uint8Array };
    case 'dataset_value':
      return { kind: 'dataset', v: wireDataSet(v as Msg) };
    case 'template_value':
      return { kind: 'template', v };
    case 'propertyset_value':
      return { kind: 'propertyset', v: wirePropertySet(v as Msg) };
    case 'propertysets_value':
      return { kind: 'propertysets', v: (((v as Msg).propertyset as Msg[] | undefined) ?? []).map(wirePropertySet) };
    default:
      return { kind: 'extension' };
  }
}

function wireDataSet(d: Msg): WireDataSet {
  return {
    numOfColumns: has(d, 'num_of_columns') ? u64(d.num_of_columns) : undefined,
    columns: (d.columns as string[] | undefined) ?? [],
    types: ((d.types as number[] | undefined) ?? []).map((t) => t >>> 0),
    rows: ((d.rows as Msg[] | undefined) ?? []).map((r) => ((r.elements as Msg[] | undefined) ?? []).map(wireOf)),
  };
}

function wirePropertySet(p: Msg): WirePropertySet {
  return {
    keys: (p.keys as string[] | undefined) ?? [],
    values: ((p.values as Msg[] | undefined) ?? []).map((v) => ({
      type: has(v, 'type') ? (v.type as number) >>> 0 : undefined,
      isNull: v.is_null === true,
      wire: wireOf(v),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// decoding

function properties(p: Msg): Record<string, SparkplugProperty> {
  const ps = wirePropertySet(p);
  const out: Record<string, SparkplugProperty> = {};
  ps.keys.forEach((k, i) => {
    const pv = ps.values[i];
    if (!pv) return;
    const name = pv.type === undefined ? 'Unknown' : sparkplugTypeName(pv.type);
    const d = pv.isNull
      ? { value: null }
      : name === undefined
        ? { value: null, bad: `unknown datatype ${pv.type}` }
        : decodeValue(name, pv.wire);
    out[k] = { type: name ?? pv.type!, value: d.value, ...(d.bad === undefined ? {} : { bad: d.bad }) };
  });
  return out;
}

function metaData(m: Msg): SparkplugMetaData {
  const out: SparkplugMetaData = {};
  if (has(m, 'is_multi_part')) out.isMultiPart = m.is_multi_part as boolean;
  if (has(m, 'content_type')) out.contentType = m.content_type as string;
  if (has(m, 'size')) out.size = u64Number(m.size);
  if (has(m, 'seq')) out.seq = u64Number(m.seq);
  if (has(m, 'file_name')) out.fileName = m.file_name as string;
  if (has(m, 'file_type')) out.fileType = m.file_type as string;
  if (has(m, 'md5')) out.md5 = m.md5 as string;
  if (has(m, 'description')) out.description = m.description as string;
  return out;
}

function template(t: Msg): SparkplugTemplate {
  const out: SparkplugTemplate = {
    isDefinition: t.is_definition === true,
    parameters: ((t.parameters as Msg[] | undefined) ?? []).map((p) => {
      const n = has(p, 'type') ? (p.type as number) >>> 0 : 0;
      const name = sparkplugTypeName(n);
      const d = name === undefined ? { value: null, bad: `unknown datatype ${n}` } : decodeValue(name, wireOf(p));
      return {
        name: (p.name as string | undefined) ?? '',
        type: name ?? n,
        value: d.value,
        ...(d.bad === undefined ? {} : { bad: d.bad }),
      };
    }),
    metrics: ((t.metrics as Msg[] | undefined) ?? []).map(metric),
  };
  if (has(t, 'version')) out.version = t.version as string;
  if (has(t, 'template_ref')) out.templateRef = t.template_ref as string;
  return out;
}

/** A Template as JSON: what a capture or `iiot read` shows of it (members by name). */
export function templateJson(t: SparkplugTemplate): SparkplugValue {
  const parameters: Record<string, SparkplugValue> = {};
  for (const p of t.parameters) parameters[p.name] = p.value;
  const metrics: Record<string, SparkplugValue> = {};
  for (const m of t.metrics) metrics[m.name ?? `alias ${m.alias}`] = m.value;
  return {
    ...(t.isDefinition ? { isDefinition: true } : { templateRef: t.templateRef ?? null }),
    ...(t.version === undefined ? {} : { version: t.version }),
    parameters,
    metrics,
  };
}

function metric(m: Msg): SparkplugMetric {
  const n = has(m, 'datatype') ? (m.datatype as number) >>> 0 : 0;
  const known = sparkplugTypeName(n);
  const type = known ?? 'Unknown';
  const wire = wireOf(m);
  const out: SparkplugMetric = withWire({ type, value: null as SparkplugValue }, wire);
  if (has(m, 'name')) out.name = m.name as string;
  if (has(m, 'alias')) out.alias = u64Number(m.alias);
  if (has(m, 'timestamp')) {
    const t = u64Number(m.timestamp);
    if (typeof t === 'number' && t <= 8.64e15) out.timestamp = t;
  }
  if (known === undefined) out.datatype = n;
  if (m.is_historical === true) out.isHistorical = true;
  if (m.is_transient === true) out.isTransient = true;
  if (has(m, 'properties')) out.properties = properties(m.properties as Msg);
  if (has(m, 'metadata')) out.metadata = metaData(m.metadata as Msg);
  if (wire.kind === 'template') out.template = template(wire.v as Msg);
  if (m.is_null === true) {
    out.isNull = true;
    return out;
  }
  return applyValue(out, known === undefined ? undefined : type);
}

/** Sets value (and bad) from the wire value and a datatype; undefined: a datatype number the specification does not define. */
function applyValue(out: SparkplugMetric, type: SparkplugType | undefined): SparkplugMetric {
  delete out.bad;
  if (out.isNull) {
    out.value = null;
    return out;
  }
  if (type === undefined) {
    out.value = null;
    out.bad = `unknown datatype ${out.datatype}`;
    return out;
  }
  if (out.template && (type === 'Template' || type === 'Unknown')) {
    out.value = templateJson(out.template);
    const inner = out.template.metrics.find((x) => x.bad) ?? out.template.parameters.find((x) => x.bad);
    if (inner?.bad) out.bad = `${inner.name ?? 'a member'}: ${inner.bad}`;
    return out;
  }
  if (type === 'Template') {
    out.value = null;
    out.bad = `Template metric without a template_value`;
    return out;
  }
  const d = decodeValue(type, metricWire(out));
  out.value = d.value;
  if (d.bad !== undefined) out.bad = d.bad;
  return out;
}

/**
 * The same metric decoded with a datatype learnt elsewhere (the birth), for metrics whose message
 * gave none. Template members are decoded again by name with `memberType`.
 */
export function redecodeMetric(
  m: SparkplugMetric,
  type: SparkplugType,
  memberType?: (name: string) => SparkplugType | undefined,
): SparkplugMetric {
  if (m.type !== 'Unknown' || m.datatype !== undefined) return m;
  const out: SparkplugMetric = withWire({ ...m, type }, metricWire(m));
  if (out.template && memberType) {
    out.template = {
      ...out.template,
      metrics: out.template.metrics.map((x) => (x.name !== undefined && memberType(x.name) ? redecodeMetric(x, memberType(x.name)!) : x)),
    };
  }
  return applyValue(out, type);
}

/** Decodes a Sparkplug B payload; throws when the bytes are not a protobuf Payload at all. */
export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  let raw: Msg;
  try {
    raw = schema().decode(bytes) as unknown as Msg;
  } catch (err) {
    const why = (err as Error).message;
    // protobufjs says "index out of range" when a field runs past the end of the bytes
    throw new Error(
      `not a Sparkplug B payload: ${/index out of range/.test(why) ? `the protobuf ends in the middle of a field (${bytes.length} bytes)` : why}`,
    );
  }
  const out: SparkplugPayload = { metrics: ((raw.metrics as Msg[] | undefined) ?? []).map(metric) };
  if (has(raw, 'timestamp')) {
    const t = u64(raw.timestamp);
    if (t <= 8640000000000000n) out.timestamp = Number(t);
  }
  if (has(raw, 'seq')) {
    const s = u64(raw.seq);
    out.seq = s <= 9007199254740991n ? Number(s) : -1;
  }
  if (has(raw, 'uuid')) out.uuid = raw.uuid as string;
  if (has(raw, 'body')) out.body = Buffer.from(raw.body as Uint8Array).toString('base64');
  return out;
}

// ---------------------------------------------------------------------------------------------
// encoding

export interface SparkplugMetricInput {
  name?: string;
  alias?: number;
  timestamp?: number;
  type: SparkplugType;
  /** null: is_null */
  value: EncodableValue;
  properties?: Record<string, { type: SparkplugType; value: EncodableValue }>;
}

export interface SparkplugPayloadInput {
  timestamp?: number;
  seq?: number;
  metrics: SparkplugMetricInput[];
}

const WIRE_FIELD: Partial<Record<WireValue['kind'], string>> = {
  int: 'int_value',
  long: 'long_value',
  float: 'float_value',
  double: 'double_value',
  boolean: 'boolean_value',
  string: 'string_value',
  bytes: 'bytes_value',
};

function encodeWire(type: SparkplugType, value: EncodableValue): Msg {
  if (value === null) return { is_null: true };
  const w = encodeValue(type, value);
  const field = WIRE_FIELD[w.kind]!;
  return { [field]: w.kind === 'long' ? toLong(w.v) : (w as { v: unknown }).v };
}

/** Encodes the simple datatypes (integers, Float, Double, Boolean, String, Text, UUID, DateTime, Bytes, File) and property sets of them. */
export function encodeSparkplug(payload: SparkplugPayloadInput): Buffer {
  const msg: Msg = {
    metrics: payload.metrics.map((m) => {
      const out: Msg = { datatype: SPARKPLUG_DATATYPES[m.type], ...encodeWire(m.type, m.value) };
      if (m.name !== undefined) out.name = m.name;
      if (m.alias !== undefined) out.alias = toLong(BigInt(m.alias));
      if (m.timestamp !== undefined) out.timestamp = toLong(BigInt(m.timestamp));
      if (m.properties) {
        const keys = Object.keys(m.properties);
        out.properties = {
          keys,
          values: keys.map((k) => ({
            type: SPARKPLUG_DATATYPES[m.properties![k]!.type],
            ...encodeWire(m.properties![k]!.type, m.properties![k]!.value),
          })),
        };
      }
      return out;
    }),
  };
  if (payload.timestamp !== undefined) msg.timestamp = toLong(BigInt(payload.timestamp));
  if (payload.seq !== undefined) msg.seq = toLong(BigInt(payload.seq));
  return Buffer.from(schema().encode(msg).finish());
}

/** spBv1.0/<group>/<type>/<edge node>[/<device>] */
export function sparkplugTopic(
  group: string,
  type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD',
  node: string,
  device?: string,
): string {
  return `spBv1.0/${group}/${type}/${node}${device === undefined ? '' : `/${device}`}`;
}
