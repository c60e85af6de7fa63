import sparkplug from 'sparkplug-payload';

/**
 * Sparkplug B payloads (protobuf, Eclipse Tahu's sparkplug-payload) with plain JavaScript numbers:
 * the library hands back 64-bit fields (timestamp, seq, alias, UInt64 values) as Long objects,
 * which leak into every caller if not converted here once.
 */

export type SparkplugType = 'Int8' | 'Int16' | 'Int32' | 'Int64' | 'UInt8' | 'UInt16' | 'UInt32' | 'UInt64' | 'Float' | 'Double' | 'Boolean' | 'String';

export interface SparkplugMetric {
  name?: string;
  alias?: number;
  timestamp?: number;
  type: SparkplugType;
  value: number | boolean | string | null;
  /** metric properties, e.g. engUnit */
  properties?: Record<string, { type: SparkplugType; value: number | boolean | string }>;
}

export interface SparkplugPayload {
  timestamp?: number;
  seq?: number;
  metrics: SparkplugMetric[];
}

const codec = (sparkplug as unknown as { get(ns: string): SparkplugLib | null }).get('spBv1.0')!;

interface SparkplugLib {
  encodePayload(p: unknown): Uint8Array;
  decodePayload(b: Uint8Array): RawPayload;
}

interface RawPayload {
  timestamp?: unknown;
  seq?: unknown;
  metrics?: Array<{ name?: string | null; alias?: unknown; timestamp?: unknown; type: string; value: unknown; properties?: Record<string, { type: string; value: unknown }> }> | null;
}

export function encodeSparkplug(payload: SparkplugPayload): Buffer {
  return Buffer.from(codec.encodePayload(payload));
}

export function decodeSparkplug(bytes: Uint8Array): SparkplugPayload {
  const raw = codec.decodePayload(bytes);
  const out: SparkplugPayload = { metrics: [] };
  if (raw.timestamp !== undefined && raw.timestamp !== null) out.timestamp = toNumber(raw.timestamp);
  if (raw.seq !== undefined && raw.seq !== null) out.seq = toNumber(raw.seq);
  for (const m of raw.metrics ?? []) {
    const metric: SparkplugMetric = { type: m.type as SparkplugType, value: plain(m.value) };
    if (m.name !== undefined && m.name !== null) metric.name = m.name;
    if (m.alias !== undefined && m.alias !== null) metric.alias = toNumber(m.alias);
    if (m.timestamp !== undefined && m.timestamp !== null) metric.timestamp = toNumber(m.timestamp);
    if (m.properties) {
      metric.properties = Object.fromEntries(Object.entries(m.properties).map(([k, p]) => [k, { type: p.type as SparkplugType, value: plain(p.value) ?? '' }]));
    }
    out.metrics.push(metric);
  }
  return out;
}

function toNumber(x: unknown): number {
  if (typeof x === 'number') return x;
  if (typeof x === 'bigint') return Number(x);
  if (x && typeof (x as { toNumber?: unknown }).toNumber === 'function') return (x as { toNumber(): number }).toNumber();
  return Number(x);
}

function plain(v: unknown): number | boolean | string | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') return v;
  return toNumber(v);
}

/** spBv1.0/<group>/<type>/<edge node>[/<device>] */
export function sparkplugTopic(group: string, type: 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD' | 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD', node: string, device?: string): string {
  return `spBv1.0/${group}/${type}/${node}${device === undefined ? '' : `/${device}`}`;
}
