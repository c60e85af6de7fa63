import type { CaptureRecord } from './types.js';
import { timeMs } from './iso-time.js';

/**
 * What makes a line after the header a record (docs/capture-format.md, "Lines"). Returns why a
 * parsed line is not one, or undefined when it is. Unknown fields are never a problem.
 */
export function recordProblem(o: unknown): string | undefined {
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    return `not a JSON object (${Array.isArray(o) ? 'an array' : o === null ? 'null' : typeof o})`;
  const r = o as Record<string, unknown>;
  if (r.type === 'header') return 'a second header line (were two captures concatenated?)';
  const kinds = ('tag' in r ? 1 : 0) + ('event' in r ? 1 : 0) + ('raw' in r ? 1 : 0);
  if (kinds === 0) return 'neither a sample ("tag"), an event ("event") nor a raw message ("raw")';
  if (kinds > 1) return 'more than one of "tag", "event" and "raw": a line is a sample, an event or a raw message';
  const t = r.t;
  if (t === undefined) return '"t" (the timestamp) is missing';
  if (typeof t !== 'string' || Number.isNaN(timeMs(t))) return `"t" is not an ISO 8601 time with a zone: ${short(t)}`;
  if ('tag' in r) {
    if (typeof r.tag !== 'string' || r.tag === '') return `"tag" must be a non-empty string, not ${short(r.tag)}`;
    if (!('v' in r)) return `sample of ${JSON.stringify(r.tag)} has no "v" (value; write null for no value)`;
    if (r.q !== undefined && typeof r.q !== 'string') return `"q" (quality) must be a string, not ${short(r.q)}`;
    for (const k of ['st', 'svt'] as const) {
      const x = r[k];
      if (x !== undefined && (typeof x !== 'string' || Number.isNaN(timeMs(x))))
        return `"${k}" is not an ISO 8601 time with a zone: ${short(x)}`;
    }
    return undefined;
  }
  if ('event' in r) {
    if (typeof r.event !== 'string' || r.event === '') return `"event" must be a non-empty string, not ${short(r.event)}`;
    if (r.tags !== undefined) {
      if (!Array.isArray(r.tags)) return '"tags" of an event must be an array of tag descriptions';
      for (const [i, tag] of r.tags.entries()) {
        if (typeof tag !== 'object' || tag === null || typeof (tag as { name?: unknown }).name !== 'string')
          return `tags[${i}] of the event has no "name"`;
      }
    }
    return undefined;
  }
  if (typeof r.raw !== 'string' || r.raw === '') return `"raw" must name the protocol ("mqtt"), not ${short(r.raw)}`;
  if (typeof r.topic !== 'string') return 'a raw message needs "topic" (a string)';
  if (typeof r.payload !== 'string') return 'a raw message needs "payload" (a string)';
  if (r.enc !== 'utf8' && r.enc !== 'base64') return `"enc" of a raw message must be "utf8" or "base64", not ${short(r.enc)}`;
  return undefined;
}

function short(x: unknown): string {
  const s = x === undefined ? 'undefined' : JSON.stringify(x);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

export function isRecord(o: unknown): o is CaptureRecord {
  return recordProblem(o) === undefined;
}
