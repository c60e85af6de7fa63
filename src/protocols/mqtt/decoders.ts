/**
 * MQTT payloads to samples. Pure functions and one small state machine; the Sparkplug B protobuf
 * codec is the only library used (sparkplug-codec.ts).
 *
 *   json       a JSON document; the value at a path per tag (`$.v`, `data.temp`, `$.values[0]`), or
 *              by default: a scalar as it is, `{"v": ...}` / `{"value": ...}` (with `t`/`ts`/
 *              `timestamp` as the time and `unit` as the unit), or an object's scalar fields as
 *              one tag each (`<topic tag>.<field>`)
 *   number     the payload is a number in text ("21.5")
 *   text       the payload is UTF-8 text
 *   sparkplug  Sparkplug B: metric names from NBIRTH/DBIRTH, aliases resolved, seq checked
 *   auto       sparkplug for spBv1.0/ topics, else json, falling back to number and text
 *   none       no samples (with --raw: raw lines only)
 */
import type { SampleValue } from '../../capture/types.js';
import { usageError } from '../../core/errors.js';
import { decodeSparkplug, type SparkplugMetric, type SparkplugType } from './sparkplug-codec.js';

export const DECODERS = ['auto', 'json', 'number', 'text', 'sparkplug', 'none'] as const;
export type DecoderName = (typeof DECODERS)[number];

export function parseDecoder(text: string): DecoderName {
  const d = text.trim().toLowerCase();
  if ((DECODERS as readonly string[]).includes(d)) return d as DecoderName;
  throw usageError(`--decoder: unknown decoder "${text}"`, `one of ${DECODERS.join(', ')} (docs/recording.md#mqtt)`);
}

// ---------------------------------------------------------------------------------------------
// JSON paths: $.a.b[0]['c d']

export type PathStep = string | number;

export interface JsonPath {
  text: string;
  steps: PathStep[];
}

export function parseJsonPath(text: string, what = '--json-path'): JsonPath {
  const s = text.trim();
  let i = 0;
  const steps: PathStep[] = [];
  const fail = (why: string): never => {
    throw usageError(`${what}: cannot read "${text}" as a JSON path (${why})`, 'write $.v, $.data.temp, data.temp, $.values[0] or $["a b"]');
  };
  if (s === '' ) fail('empty');
  if (s[0] === '$') i = 1;
  else {
    // a bare first key: "data.temp"
    const m = /^[^.[\]]+/.exec(s);
    if (!m) fail(`unexpected "${s[0]}"`);
    steps.push(m![0]);
    i = m![0].length;
  }
  while (i < s.length) {
    const ch = s[i];
    if (ch === '.') {
      const m = /^[^.[\]]+/.exec(s.slice(i + 1));
      if (!m) fail(`nothing after "." at ${i + 1}`);
      steps.push(m![0]);
      i += 1 + m![0].length;
    } else if (ch === '[') {
      const rest = s.slice(i);
      const idx = /^\[(\d+)\]/.exec(rest);
      const quoted = /^\[\s*(['"])((?:\\.|(?!\1).)*)\1\s*\]/.exec(rest);
      if (idx) {
        steps.push(Number(idx[1]));
        i += idx[0].length;
      } else if (quoted) {
        steps.push(quoted[2]!.replace(/\\(.)/g, '$1'));
        i += quoted[0].length;
      } else fail(`bad bracket at ${i + 1}`);
    } else fail(`unexpected "${ch}" at ${i + 1}`);
  }
  return { text: s, steps };
}

export function atPath(doc: unknown, path: JsonPath): { found: boolean; value?: unknown } {
  let cur: unknown = doc;
  for (const step of path.steps) {
    if (typeof step === 'number') {
      if (!Array.isArray(cur) || step >= cur.length) return { found: false };
      cur = cur[step];
    } else {
      if (cur === null || typeof cur !== 'object' || Array.isArray(cur) || !Object.hasOwn(cur, step)) return { found: false };
      cur = (cur as Record<string, unknown>)[step];
    }
  }
  return { found: true, value: cur };
}

// ---------------------------------------------------------------------------------------------

/** One value found in a message: `key` is appended to the topic's tag name ("" for the topic itself). */
export interface Decoded {
  key: string;
  value: SampleValue;
  /** time from the payload (ms), when it carries one */
  t?: number;
  unit?: string;
}

export type DecodeResult = { ok: true; values: Decoded[] } | { ok: false; error: string };

const TIME_KEYS = ['t', 'ts', 'time', 'timestamp'];
const VALUE_KEYS = ['v', 'value', 'val'];

/** Epoch seconds, milliseconds or an ISO 8601 time with a zone, as ms; undefined otherwise. */
export function payloadTime(x: unknown): number | undefined {
  if (typeof x === 'number' && Number.isFinite(x) && x > 0) {
    if (x > 1e17) return x / 1e6; // ns
    if (x > 1e14) return x / 1e3; // µs
    if (x > 1e11) return x; // ms
    if (x > 1e8) return x * 1000; // s
    return undefined;
  }
  if (typeof x === 'string' && /^\d{4}-\d\d-\d\d[T ]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)$/i.test(x.trim())) {
    const ms = Date.parse(x.trim());
    return Number.isNaN(ms) ? undefined : ms;
  }
  return undefined;
}

function toSample(x: unknown): SampleValue {
  if (x === undefined) return null;
  return x as SampleValue;
}

function isScalar(x: unknown): boolean {
  return x === null || typeof x === 'number' || typeof x === 'boolean' || typeof x === 'string';
}

export function decodeJson(payload: Buffer, path?: JsonPath): DecodeResult {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    return { ok: false, error: 'the payload is not JSON' };
  }
  if (path) {
    const r = atPath(doc, path);
    if (!r.found) return { ok: false, error: `${path.text} is not in the payload` };
    const t = doc !== null && typeof doc === 'object' && !Array.isArray(doc) ? timeOf(doc as Record<string, unknown>) : undefined;
    return { ok: true, values: [{ key: '', value: toSample(r.value), ...(t === undefined ? {} : { t }) }] };
  }
  if (isScalar(doc) || Array.isArray(doc)) return { ok: true, values: [{ key: '', value: toSample(doc) }] };
  const o = doc as Record<string, unknown>;
  const t = timeOf(o);
  const unit = typeof o.unit === 'string' ? o.unit : undefined;
  const vk = VALUE_KEYS.find((k) => Object.hasOwn(o, k));
  if (vk !== undefined) {
    return { ok: true, values: [{ key: '', value: toSample(o[vk]), ...(t === undefined ? {} : { t }), ...(unit === undefined ? {} : { unit }) }] };
  }
  // An object of readings: each scalar field (and nested object field, dotted) is a tag.
  const values: Decoded[] = [];
  const walk = (obj: Record<string, unknown>, prefix: string, depth: number) => {
    for (const [k, v] of Object.entries(obj)) {
      if (prefix === '' && (TIME_KEYS.includes(k) || k === 'unit')) continue;
      const key = prefix === '' ? k : `${prefix}.${k}`;
      if (isScalar(v) || Array.isArray(v) || depth >= 3) values.push({ key, value: toSample(v), ...(t === undefined ? {} : { t }) });
      else walk(v as Record<string, unknown>, key, depth + 1);
    }
  };
  walk(o, '', 1);
  if (values.length === 0) return { ok: true, values: [{ key: '', value: o as SampleValue }] };
  return { ok: true, values };
}

function timeOf(o: Record<string, unknown>): number | undefined {
  for (const k of TIME_KEYS) if (Object.hasOwn(o, k)) return payloadTime(o[k]);
  return undefined;
}

export function decodeNumber(payload: Buffer): DecodeResult {
  const s = payload.toString('utf8').trim();
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s) && !/^[-+]?(Infinity|NaN)$/.test(s)) return { ok: false, error: `the payload "${s.slice(0, 40)}" is not a number` };
  return { ok: true, values: [{ key: '', value: Number(s) }] };
}

export function decodeText(payload: Buffer): DecodeResult {
  return { ok: true, values: [{ key: '', value: payload.toString('utf8') }] };
}

/** auto for a non-Sparkplug topic: JSON, else a number, else text. */
export function decodeAuto(payload: Buffer, path?: JsonPath): DecodeResult {
  const json = decodeJson(payload, path);
  if (json.ok || path) return json;
  const n = decodeNumber(payload);
  return n.ok ? n : decodeText(payload);
}

// ---------------------------------------------------------------------------------------------
// Topics: filters and tag names

/** MQTT 3.1.1 topic filter matching (4.7): + one level, # the rest; $ topics only by $ filters. */
export function topicMatches(filter: string, topic: string): boolean {
  if (topic.startsWith('$') && !filter.startsWith('$')) return false;
  const f = filter.split('/');
  const t = topic.split('/');
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true;
    if (i >= t.length) return false;
    if (f[i] !== '+' && f[i] !== t[i]) return false;
  }
  return f.length === t.length;
}

export function checkTopicFilter(filter: string): void {
  const bad = (why: string): never => {
    throw usageError(`--topic "${filter}": ${why}`, 'a filter is a topic with + for one level and # (last) for the rest: plant/+/temp, plant/#');
  };
  if (filter === '') bad('empty');
  const levels = filter.split('/');
  levels.forEach((l, i) => {
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1)) bad('# must be a whole level, and the last');
    if (l.includes('+') && l !== '+') bad('+ must be a whole level');
  });
}

// Tag names from topics: tag-names.ts.

// ---------------------------------------------------------------------------------------------
// Sparkplug B host side

const SPARKPLUG_DATA_TYPES: Partial<Record<SparkplugType, string>> = {
  Int8: 'int8',
  Int16: 'int16',
  Int32: 'int32',
  Int64: 'int64',
  UInt8: 'uint8',
  UInt16: 'uint16',
  UInt32: 'uint32',
  UInt64: 'uint64',
  Float: 'float32',
  Double: 'float64',
  Boolean: 'bool',
  String: 'string',
};

export interface SparkplugTag {
  name: string;
  /** the metric name as born */
  metric: string;
  address: string;
  dataType?: string;
  unit?: string;
  sparkplugType: SparkplugType;
  alias?: number;
}

export interface SparkplugOutput {
  samples: Array<{ tag: SparkplugTag; value: SampleValue; t: number; q?: string }>;
  events: Array<{ kind: string; fields: Record<string, unknown> }>;
  warnings: string[];
  /** the message was not understood (not a Sparkplug topic, damaged payload) */
  error?: string;
}

interface NodeState {
  /** alias -> metric, across the node and its devices (aliases are unique per edge node) */
  aliases: Map<number, SparkplugTag>;
  /** "<device>/<name>" -> tag */
  byName: Map<string, SparkplugTag>;
  seq: number | undefined;
  bdSeq: number | undefined;
  unknownAliasWarned: boolean;
}

const SKIP_METRIC = /^(bdSeq$|Node Control\/)/;

export function parseSparkplugTopic(topic: string): { group: string; type: string; node: string; device?: string } | undefined {
  const p = topic.split('/');
  if (p[0] !== 'spBv1.0' || p.length < 4 || p.length > 5 || p[1] === 'STATE') return undefined;
  return { group: p[1]!, type: p[2]!, node: p[3]!, ...(p[4] === undefined ? {} : { device: p[4] }) };
}

/**
 * What a Sparkplug host application keeps per edge node: the metrics of its births (names,
 * aliases, types, units), its seq counter and bdSeq. Births learnt from a Sparkplug Aware broker's
 * retained copies ($sparkplug/certificates/...) teach aliases only: their values are old.
 */
export class SparkplugHost {
  private readonly nodes = new Map<string, NodeState>();
  /** seq gaps seen so far */
  seqErrors = 0;

  private state(group: string, node: string): NodeState {
    const key = `${group}/${node}`;
    let s = this.nodes.get(key);
    if (!s) {
      s = { aliases: new Map(), byName: new Map(), seq: undefined, bdSeq: undefined, unknownAliasWarned: false };
      this.nodes.set(key, s);
    }
    return s;
  }

  handle(topic: string, payload: Buffer, arrival: number): SparkplugOutput {
    const out: SparkplugOutput = { samples: [], events: [], warnings: [] };
    const certificate = topic.startsWith('$sparkplug/certificates/');
    const t = parseSparkplugTopic(certificate ? topic.slice('$sparkplug/certificates/'.length) : topic);
    if (!t) {
      if (/^spBv1\.0\/STATE\//.test(topic)) return out;
      out.error = 'not a Sparkplug B topic (spBv1.0/<group>/<type>/<node>[/<device>])';
      return out;
    }
    let p;
    try {
      p = decodeSparkplug(payload);
    } catch (err) {
      out.error = `damaged Sparkplug payload: ${(err as Error).message.split('\n')[0]}`;
      return out;
    }
    const node = `${t.group}/${t.node}`;
    const s = this.state(t.group, t.node);
    const where = { node, ...(t.device === undefined ? {} : { device: t.device }) };
    const learn = (m: SparkplugMetric): SparkplugTag | undefined => {
      if (m.name === undefined) return undefined;
      const tag = makeTag(t.group, t.node, t.device, m);
      s.byName.set(`${t.device ?? ''}/${m.name}`, tag);
      if (m.alias !== undefined) s.aliases.set(m.alias, tag);
      return tag;
    };
    const at = (m: SparkplugMetric) => m.timestamp ?? p.timestamp ?? arrival;
    if (certificate) {
      if (t.type === 'NBIRTH' || t.type === 'DBIRTH') for (const m of p.metrics) learn(m);
      return out;
    }
    const checkSeq = () => {
      if (p.seq === undefined) return;
      if (s.seq !== undefined) {
        const expected = (s.seq + 1) % 256;
        if (p.seq !== expected) {
          this.seqErrors++;
          out.events.push({ kind: 'sparkplug-seq', fields: { ...where, expected, got: p.seq, message: `${t.type} seq ${p.seq}, expected ${expected}: messages lost or out of order` } });
          out.warnings.push(`Sparkplug ${node}: seq ${p.seq} where ${expected} was expected (messages lost or reordered)`);
        }
      }
      s.seq = p.seq;
    };
    switch (t.type) {
      case 'NBIRTH': {
        s.aliases.clear();
        s.byName.clear();
        s.seq = undefined;
        const bd = p.metrics.find((m) => m.name === 'bdSeq');
        s.bdSeq = bd && typeof bd.value === 'number' ? bd.value : undefined;
        if (p.seq !== undefined && p.seq !== 0) out.warnings.push(`Sparkplug ${node}: NBIRTH with seq ${p.seq} (should be 0)`);
        s.seq = p.seq;
        out.events.push({ kind: 'sparkplug-birth', fields: { ...where, ...(s.bdSeq === undefined ? {} : { bdSeq: s.bdSeq }), metrics: p.metrics.length } });
        for (const m of p.metrics) {
          const tag = learn(m);
          if (tag && !SKIP_METRIC.test(m.name ?? '')) out.samples.push({ tag, value: m.value, t: at(m) });
        }
        break;
      }
      case 'DBIRTH': {
        checkSeq();
        out.events.push({ kind: 'sparkplug-birth', fields: { ...where, metrics: p.metrics.length } });
        for (const m of p.metrics) {
          const tag = learn(m);
          if (tag && !SKIP_METRIC.test(m.name ?? '')) out.samples.push({ tag, value: m.value, t: at(m) });
        }
        break;
      }
      case 'NDATA':
      case 'DDATA': {
        checkSeq();
        for (const m of p.metrics) {
          let tag: SparkplugTag | undefined;
          if (m.name !== undefined) tag = s.byName.get(`${t.device ?? ''}/${m.name}`) ?? learn(m);
          else if (m.alias !== undefined) tag = s.aliases.get(m.alias);
          if (!tag) {
            if (!s.unknownAliasWarned) {
              s.unknownAliasWarned = true;
              out.warnings.push(
                `Sparkplug ${node}: metric alias ${m.alias} without a birth (iiot subscribed after the node was born); its values are left out until the next NBIRTH; a Sparkplug Aware broker, or a rebirth asked of the node, fixes it`,
              );
            }
            continue;
          }
          if (SKIP_METRIC.test(tag.metric)) continue;
          out.samples.push({ tag, value: m.value, t: at(m) });
        }
        break;
      }
      case 'NDEATH': {
        const bd = p.metrics.find((m) => m.name === 'bdSeq');
        const bdSeq = bd && typeof bd.value === 'number' ? bd.value : undefined;
        const stale = bdSeq !== undefined && s.bdSeq !== undefined && bdSeq !== s.bdSeq;
        out.events.push({
          kind: 'sparkplug-death',
          fields: { ...where, ...(bdSeq === undefined ? {} : { bdSeq }), message: stale ? `NDEATH of an older session (bdSeq ${bdSeq}, current ${s.bdSeq}): ignored` : 'edge node offline' },
        });
        if (!stale) s.seq = undefined;
        break;
      }
      case 'DDEATH':
        checkSeq();
        out.events.push({ kind: 'sparkplug-death', fields: { ...where, message: 'device offline' } });
        break;
      default:
        // NCMD, DCMD: commands to the node, not data
        break;
    }
    return out;
  }
}

function makeTag(group: string, node: string, device: string | undefined, m: SparkplugMetric): SparkplugTag {
  const name = [group, node, ...(device === undefined ? [] : [device]), m.name!].join('.');
  const address = `spBv1.0/${group}/${node}${device === undefined ? '' : `/${device}`}:${m.name}`;
  const unit = m.properties?.engUnit?.value;
  const dataType = SPARKPLUG_DATA_TYPES[m.type];
  return {
    name,
    metric: m.name!,
    address,
    sparkplugType: m.type,
    ...(dataType === undefined ? {} : { dataType }),
    ...(typeof unit === 'string' && unit !== '' ? { unit } : {}),
    ...(m.alias === undefined ? {} : { alias: m.alias }),
  };
}
