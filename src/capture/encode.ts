import { IiotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { toCaptureTime } from './iso-time.js';
import { recordProblem } from './record-check.js';
import type { CaptureRecord, SampleValue } from './types.js';

/**
 * Records to lines. JSON has no NaN or Infinity: a non-finite number is written as `"v":null` with
 * `"q":"NaN"`, `"Infinity"` or `"-Infinity"` (a quality the device gave wins and the value is then
 * only null). Numbers keep full precision (shortest round-trip form); a bigint is written as its
 * exact digits.
 */

/** What the writer accepts as a value: the format's values plus 64-bit integers from devices. */
export type WritableValue = SampleValue | bigint | undefined;

function nonFiniteName(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

const rawJSON = (JSON as unknown as { rawJSON: (text: string) => unknown }).rawJSON;

function bigintReplacer(_key: string, value: unknown): unknown {
  return typeof value === 'bigint' ? rawJSON(value.toString()) : value;
}

/** JSON.stringify that writes bigints as numbers instead of throwing. */
export function stringifyJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (err) {
    if (err instanceof TypeError && /BigInt/i.test(err.message)) return JSON.stringify(value, bigintReplacer) ?? 'null';
    throw err;
  }
}

function badRecord(message: string): IiotError {
  return new IiotError(ExitCode.Internal, `capture writer: ${message}`, {
    hint: 'this is a bug in the code that feeds the capture writer',
  });
}

export function captureTime(t: Date | number | string, what = 't'): string {
  const iso = toCaptureTime(t);
  if (iso === undefined) throw badRecord(`"${what}" is not a time: ${String(t)}`);
  return iso;
}

const tagJsonCache = new Map<string, string>();

function tagJson(tag: string): string {
  let j = tagJsonCache.get(tag);
  if (j === undefined) {
    if (typeof tag !== 'string' || tag === '') throw badRecord(`tag must be a non-empty string, not ${String(tag)}`);
    j = JSON.stringify(tag);
    if (tagJsonCache.size > 100_000) tagJsonCache.clear();
    tagJsonCache.set(tag, j);
  }
  return j;
}

/** One sample line, built without an intermediate object (the writer's hot path). */
export function encodeSample(
  tag: string,
  t: Date | number | string,
  v: WritableValue,
  extra?: { q?: string; st?: string; svt?: string },
): string {
  let q = extra?.q;
  let value: string;
  switch (typeof v) {
    case 'number':
      if (Number.isFinite(v)) value = String(v);
      else {
        value = 'null';
        q ??= nonFiniteName(v);
      }
      break;
    case 'string':
      value = JSON.stringify(v);
      break;
    case 'boolean':
      value = v ? 'true' : 'false';
      break;
    case 'bigint':
      value = v.toString();
      break;
    case 'undefined':
      value = 'null';
      break;
    default:
      value = v === null ? 'null' : stringifyJson(v);
  }
  let line = `{"t":"${captureTime(t)}","tag":${tagJson(tag)},"v":${value}`;
  if (q !== undefined) line += `,"q":${JSON.stringify(String(q))}`;
  if (extra?.st !== undefined) line += `,"st":"${captureTime(extra.st, 'st')}"`;
  if (extra?.svt !== undefined) line += `,"svt":"${captureTime(extra.svt, 'svt')}"`;
  return `${line}}\n`;
}

/** Any record as a line; checked, so the writer never writes a line the reader would refuse. */
export function encodeRecord(record: CaptureRecord): string {
  if (typeof record !== 'object' || record === null) throw badRecord(`a record must be an object, not ${String(record)}`);
  let r: Record<string, unknown> = record;
  const t = captureTime(record.t as Date | number | string);
  if (t !== record.t) r = { ...r, t };
  if ('tag' in r) {
    const v = r.v;
    if (typeof v === 'number' && !Number.isFinite(v)) r = { ...r, v: null, q: r.q ?? nonFiniteName(v) };
    else if (v === undefined) r = { ...r, v: null };
    for (const k of ['st', 'svt'] as const) {
      const x = r[k];
      if (x !== undefined && (typeof x !== 'string' || toCaptureTime(x) !== x))
        r = { ...r, [k]: captureTime(x as Date | number | string, k) };
    }
  }
  const problem = recordProblem(r);
  if (problem !== undefined) throw badRecord(problem);
  return `${stringifyJson(r)}\n`;
}
