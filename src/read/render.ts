/**
 * What `iiot read` prints: tables and change lines for people, and the JSON shapes of
 * docs/json-output.md (iiot.read/1, iiot.read.change/1) for scripts. Pure: values in, text or
 * plain objects out. Only types come from the protocol folders: rendering MQTT values must not load
 * the Modbus register-map schema, nor the reverse.
 */
import type { Styler } from '../render/color.js';
import type { RegisterEntry } from '../protocols/modbus/register-map.js';
import type { EntryReading, RegisterValue } from '../protocols/modbus/read.js';
import type { SparkplugValue, TopicMessage } from '../protocols/mqtt/read.js';
import type { ValueReading } from '../protocols/opcua/read.js';
import { valueText, type JsonValue } from '../protocols/opcua/values.js';
import { renderTable } from '../render/table.js';

/** Any value as JSON: 64-bit integers beyond 2^53 as decimal strings, NaN and infinities as strings. */
export function jsonValue(v: unknown): JsonValue {
  if (v === undefined || v === null) return null;
  if (typeof v === 'bigint') return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString();
  if (typeof v === 'number') return Number.isFinite(v) ? v : String(v);
  if (typeof v === 'boolean' || typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(jsonValue);
  if (typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, jsonValue(x)]));
  return String(v);
}

const iso = (ms: number) => new Date(ms).toISOString();

// ---------------------------------------------------------------------------------------------
// OPC UA

export function opcuaValuesTable(readings: readonly ValueReading[], style: Styler): string {
  return renderTable(readings, [
    { header: 'node', value: (r) => r.nodeId },
    { header: 'value', value: (r) => (r.status.startsWith('Bad') ? '' : valueText(r.value)), align: 'right' },
    { header: 'type', value: (r) => r.dataType },
    { header: 'status', value: (r) => (r.status === 'Good' ? r.status : style.yellow(r.status)) },
    { header: 'source time', value: (r) => r.sourceTimestamp ?? '' },
    { header: 'server time', value: (r) => r.serverTimestamp ?? '' },
  ]);
}

export function opcuaChangeLine(r: ValueReading, label: string, width: number, style: Styler): string {
  const t = r.sourceTimestamp ?? r.serverTimestamp ?? new Date().toISOString();
  const v = r.status.startsWith('Bad') ? '' : valueText(r.value);
  return `${style.dim(t)}  ${label.padEnd(width)}  ${v}${r.status === 'Good' ? '' : `  ${style.yellow(r.status)}`}`;
}

export function opcuaHistoryTable(rows: ReadonlyArray<{ item: string; r: ValueReading }>): string {
  return renderTable(rows, [
    { header: 'node', value: (x) => x.item },
    { header: 'source time', value: (x) => x.r.sourceTimestamp ?? '' },
    { header: 'value', value: (x) => (x.r.status.startsWith('Bad') ? '' : valueText(x.r.value)), align: 'right' },
    { header: 'status', value: (x) => x.r.status },
  ]);
}

// ---------------------------------------------------------------------------------------------
// Modbus

const MODICON_DIGIT: Record<RegisterEntry['table'], string> = { coil: '0', discrete: '1', input: '3', holding: '4' };

/** The register as manuals print it (Modicon, 1-based): input address 0 is 30001, address 9999 is 310000. */
export function modiconNumber(table: RegisterEntry['table'], address: number): string {
  const n = address + 1;
  return MODICON_DIGIT[table] + String(n).padStart(n <= 9999 ? 4 : 5, '0');
}

/** The shortest decimal that is the same float32: what the device holds, without binary noise (230.075, not 230.07504272460938). */
export function float32Text(x: number): string {
  if (!Number.isFinite(x) || Number.isInteger(x)) return String(x);
  for (let p = 1; p <= 9; p++) {
    const s = x.toPrecision(p);
    if (Math.fround(Number(s)) === x) return String(Number(s));
  }
  return String(x);
}

export function registerValueText(entry: RegisterEntry, v: RegisterValue | undefined): string {
  if (v === undefined) return '';
  if (typeof v === 'bigint' || typeof v === 'string') return v.toString();
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (entry.type === 'float32' && entry.scale === 1 && entry.offset === 0) return float32Text(v);
  if (Number.isInteger(v) || entry.type === 'float64' || !Number.isFinite(v)) return String(v);
  // scaled: raw × scale + offset carries binary noise (1.4200000000000002)
  return String(Number(v.toPrecision(12)));
}

export const hexWords = (words: readonly number[]) => words.map((w) => w.toString(16).toUpperCase().padStart(4, '0')).join(' ');

const isBits = (e: RegisterEntry) => e.table === 'coil' || e.table === 'discrete';

function typeText(e: RegisterEntry): string {
  if (isBits(e)) return 'bit';
  const multi = e.length > 1 && e.type !== 'string';
  return multi || e.order === 'BADC' || e.order === 'DCBA' ? `${e.type} ${e.order}` : e.type;
}

export function modbusTable(readings: readonly EntryReading[], named: boolean, style: Styler): string {
  const withUnit = readings.some((r) => r.entry.unit !== undefined);
  const withWords = readings.some((r) => !isBits(r.entry));
  return renderTable(readings, [
    { header: 'address', value: (r) => `${r.address} (${modiconNumber(r.entry.table, r.entry.address)})` },
    ...(named ? [{ header: 'name', value: (r: EntryReading) => r.entry.name }] : []),
    { header: 'value', value: (r) => registerValueText(r.entry, r.value), align: 'right' as const },
    ...(withUnit ? [{ header: 'unit', value: (r: EntryReading) => r.entry.unit ?? '' }] : []),
    { header: 'type', value: (r) => typeText(r.entry) },
    ...(withWords ? [{ header: 'registers', value: (r: EntryReading) => (r.words && !isBits(r.entry) ? hexWords(r.words) : '') }] : []),
    ...(readings.some((r) => r.error)
      ? [{ header: 'status', value: (r: EntryReading) => (r.error ? style.yellow(r.error.message) : '') }]
      : []),
  ]);
}

export function modbusChangeLine(r: EntryReading, label: string, width: number, style: Styler): string {
  const v = r.error ? style.yellow(r.error.message) : `${registerValueText(r.entry, r.value)}${r.entry.unit ? ` ${r.entry.unit}` : ''}`;
  return `${style.dim(iso(r.t))}  ${label.padEnd(width)}  ${v}`;
}

/** One value of iiot.read/1 (and iiot.read.change/1) for a register. */
export function modbusJson(r: EntryReading, item: string, named: boolean): Record<string, JsonValue> {
  const e = r.entry;
  return {
    item,
    ...(named ? { name: e.name } : {}),
    address: r.address,
    register: modiconNumber(e.table, e.address),
    table: e.table,
    dataType: e.type,
    ...(isBits(e) ? {} : { order: e.order }),
    value: r.error ? null : jsonValue(r.value),
    ...(e.unit === undefined ? {} : { unit: e.unit }),
    ...(r.words && !isBits(e) ? { registers: r.words } : {}),
    status: r.error ? r.error.message : 'Good',
    ...(r.error?.code === undefined ? {} : { exception: r.error.code }),
    receivedAt: iso(r.t),
  };
}

// ---------------------------------------------------------------------------------------------
// MQTT topics

const SPARKPLUG_NOTE = /^a Sparkplug B payload/;

export function topicStatus(m: TopicMessage): string {
  if (m.decoded.ok) return 'Good';
  return SPARKPLUG_NOTE.test(m.decoded.error) ? 'Sparkplug B' : m.decoded.error;
}

export function topicJson(m: TopicMessage, item: string): Record<string, JsonValue> {
  const utf8 = m.payload.length === 0 || Buffer.from(m.payload.toString('utf8'), 'utf8').equals(m.payload);
  const d = m.decoded;
  let values: Record<string, JsonValue> = { value: null };
  if (d.ok) {
    const single = d.values.length === 1 && d.values[0]!.key === '' ? d.values[0]! : undefined;
    values = single
      ? {
          value: jsonValue(single.value),
          ...(single.unit === undefined ? {} : { unit: single.unit }),
          ...(single.t === undefined ? {} : { sourceTimestamp: iso(single.t) }),
        }
      : {
          fields: d.values.map((v) => ({
            key: v.key,
            value: jsonValue(v.value),
            ...(v.unit === undefined ? {} : { unit: v.unit }),
            ...(v.t === undefined ? {} : { sourceTimestamp: iso(v.t) }),
          })),
        };
  }
  return {
    item,
    topic: m.topic,
    ...values,
    status: topicStatus(m),
    retained: m.retained,
    receivedAt: iso(m.receivedAt),
    payload: utf8 ? m.payload.toString('utf8') : m.payload.toString('base64'),
    encoding: utf8 ? 'utf8' : 'base64',
  };
}

interface TopicRow {
  topic: string;
  key: string;
  value: string;
  unit: string;
  time: string;
  retained: boolean;
  status: string;
}

function topicRows(m: TopicMessage): TopicRow[] {
  const base = { topic: m.topic, retained: m.retained };
  if (!m.decoded.ok) return [{ ...base, key: '', value: '', unit: '', time: iso(m.receivedAt), status: topicStatus(m) }];
  return m.decoded.values.map((v) => ({
    ...base,
    key: v.key,
    value: valueText(jsonValue(v.value)),
    unit: v.unit ?? '',
    time: iso(v.t ?? m.receivedAt),
    status: '',
  }));
}

export function topicTable(messages: readonly TopicMessage[], style: Styler): string {
  const rows = messages.flatMap(topicRows);
  const withKey = rows.some((r) => r.key !== '');
  const withUnit = rows.some((r) => r.unit !== '');
  return renderTable(rows, [
    { header: 'topic', value: (r) => r.topic },
    ...(withKey ? [{ header: 'field', value: (r: TopicRow) => r.key }] : []),
    { header: 'value', value: (r) => r.value, align: 'right' as const },
    ...(withUnit ? [{ header: 'unit', value: (r: TopicRow) => r.unit }] : []),
    { header: 'time', value: (r) => r.time },
    { header: 'retained', value: (r) => (r.retained ? 'yes' : 'no') },
    ...(rows.some((r) => r.status) ? [{ header: 'status', value: (r: TopicRow) => (r.status ? style.yellow(r.status) : '') }] : []),
  ]);
}

export function topicLines(m: TopicMessage, style: Styler): string[] {
  return topicRows(m).map((r) => {
    const v = r.status ? style.yellow(r.status) : `${r.value}${r.unit ? ` ${r.unit}` : ''}`;
    return `${style.dim(iso(m.receivedAt))}  ${r.topic}${r.key ? ` ${r.key}` : ''}  ${v}${r.retained ? style.dim('  (retained)') : ''}`;
  });
}

// ---------------------------------------------------------------------------------------------
// Sparkplug B

export function sparkplugJson(v: SparkplugValue): Record<string, JsonValue> {
  return {
    item: v.metric,
    metric: v.metric,
    value: jsonValue(v.value),
    dataType: v.type,
    ...(v.unit === undefined ? {} : { unit: v.unit }),
    ...(v.q === undefined ? {} : { quality: v.q }),
    status: 'Good',
    message: v.message,
    sourceTimestamp: iso(v.timestamp),
    receivedAt: iso(v.receivedAt),
  };
}

export function sparkplugTable(values: readonly SparkplugValue[], style: Styler): string {
  const withUnit = values.some((v) => v.unit !== undefined);
  const withQ = values.some((v) => v.q !== undefined);
  return renderTable(values, [
    { header: 'metric', value: (v) => v.metric },
    { header: 'value', value: (v) => valueText(jsonValue(v.value)), align: 'right' },
    ...(withUnit ? [{ header: 'unit', value: (v: SparkplugValue) => v.unit ?? '' }] : []),
    { header: 'type', value: (v) => v.type },
    ...(withQ ? [{ header: 'quality', value: (v: SparkplugValue) => (v.q ? style.yellow(v.q) : '') }] : []),
    { header: 'time', value: (v) => iso(v.timestamp) },
    { header: 'from', value: (v) => v.message },
  ]);
}

export function sparkplugLine(v: SparkplugValue, width: number, style: Styler): string {
  return `${style.dim(iso(v.timestamp))}  ${v.metric.padEnd(width)}  ${valueText(jsonValue(v.value))}${v.unit ? ` ${v.unit}` : ''}${v.q ? `  ${style.yellow(v.q)}` : ''}  ${style.dim(v.message)}`;
}
