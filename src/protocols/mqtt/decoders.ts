/**
 * MQTT payloads to samples. Pure functions; Sparkplug B has its own host state machine
 * (sparkplug-host.ts) over its protobuf codec (sparkplug-codec.ts).
 *
 *   json       a JSON document; the value at a path per tag (`$.v`, `data.temp`, `$.values[0]`), or
 *              by default: a scalar as it is, `{"v": ...}` / `{"value": ...}` (with `t`/`ts`/
 *              `timestamp` as the time and `unit` as the unit), or an object's scalar fields as
 *              one tag each (`<topic tag>.<field>`)
 *   number     the payload is a number in text ("21.5")
 *   text       the payload is UTF-8 text
 *   sparkplug  Sparkplug B (sparkplug-host.ts): metric names from NBIRTH/DBIRTH, aliases resolved,
 *              values by the specification's datatypes, seq checked
 *   auto       sparkplug for spBv1.0/ topics, else json, falling back to number and text
 *   none       no samples (with --raw: raw lines only)
 */
import type { SampleValue } from '../../capture/types.js';
import { usageError } from '../../core/errors.js';

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
    throw usageError(
      `${what}: cannot read "${text}" as a JSON path (${why})`,
      'write $.v, $.data.temp, data.temp, $.values[0] or $["a b"]',
    );
  };
  if (s === '') fail('empty');
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
    return {
      ok: true,
      values: [{ key: '', value: toSample(o[vk]), ...(t === undefined ? {} : { t }), ...(unit === undefined ? {} : { unit }) }],
    };
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
  if (!/^[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?$/.test(s) && !/^[-+]?(Infinity|NaN)$/.test(s))
    return { ok: false, error: `the payload "${s.slice(0, 40)}" is not a number` };
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
    throw usageError(
      `--topic "${filter}": ${why}`,
      'a filter is a topic with + for one level and # (last) for the rest: plant/+/temp, plant/#',
    );
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
// Sparkplug B host side: sparkplug-host.ts

export { parseSparkplugTopic, SparkplugHost, type SparkplugOutput, type SparkplugTag } from './sparkplug-host.js';
