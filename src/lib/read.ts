/**
 * Reading captures from scripts: the header, every record as it is, samples as an async iterator
 * (constant memory, any size), or samples as an arquero table (in memory).
 */

import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import { expandParts, openCaptureSet } from '../capture/capture-set.js';
import { timeMs } from '../capture/iso-time.js';
import { openCapture } from '../capture/reader.js';
import { tagMatcher } from '../capture/tag-match.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord, SampleValue } from '../capture/types.js';

/** A time: a Date, epoch milliseconds, or an ISO 8601 string with a zone ("2026-11-25T10:00:00Z"). */
export type TimeInput = Date | number | string;

export interface ReadOptions {
  /** only these tags: names or patterns with `*` ("pump1.*") */
  tags?: string[];
  /** samples at or after this time */
  from?: TimeInput;
  /** samples before this time */
  to?: TimeInput;
  /** the other parts of a rotated capture too (x.0002.jsonl.gz, ...) */
  allParts?: boolean;
  /** a bad or torn line throws instead of being skipped */
  strict?: boolean;
  /** told of every line skipped (file, line, message); without it they are skipped silently */
  onIssue?: (issue: CaptureIssue) => void;
}

/** One sample as scripts want it. */
export interface Sample {
  /** epoch milliseconds (fractional below a millisecond) */
  time: number;
  /** the time as written in the capture (UTC ISO 8601; keeps digits finer than a millisecond) */
  t: string;
  tag: string;
  value: SampleValue;
  /** present when not good */
  quality?: string;
  /** the tag's source id from the header */
  source?: string;
  sourceTime?: string;
  serverTime?: string;
}

export function toMs(t: TimeInput, what = 'time'): number {
  if (t instanceof Date) return t.getTime();
  if (typeof t === 'number') return t;
  const ms = timeMs(t);
  if (Number.isNaN(ms)) throw new TypeError(`${what}: "${t}" is not an ISO 8601 time with a zone (write 2026-11-25T10:00:00Z)`);
  return ms;
}

const list = (files: string | readonly string[]) => (typeof files === 'string' ? [files] : [...files]);

async function open(files: string | readonly string[], opts: ReadOptions) {
  const paths = await expandParts(list(files), opts.allParts === true);
  return openCaptureSet(paths, { ...(opts.strict ? { strict: true } : {}), ...(opts.onIssue ? { onIssue: opts.onIssue } : {}) });
}

/** The header (line 1) of a capture: sources, tags with units, metadata (with `timezone`). */
export async function readHeader(file: string): Promise<CaptureHeader> {
  const cap = await openCapture(file);
  const h = cap.header;
  await cap.close();
  return h;
}

/** Every record after the header, as written: samples, events, raw messages. */
export async function* readRecords(files: string | readonly string[], opts: ReadOptions = {}): AsyncGenerator<CaptureRecord> {
  const set = await open(files, opts);
  try {
    for await (const batch of set.batches()) yield* batch;
  } finally {
    await set.close();
  }
}

/** The samples of one capture (or several, read in order as one), one at a time. */
export async function* readSamples(files: string | readonly string[], opts: ReadOptions = {}): AsyncGenerator<Sample> {
  const set = await open(files, opts);
  const want = tagMatcher(opts.tags ?? []);
  const from = opts.from === undefined ? Number.NEGATIVE_INFINITY : toMs(opts.from, 'from');
  const to = opts.to === undefined ? Number.POSITIVE_INFINITY : toMs(opts.to, 'to');
  const sourceOf = new Map<string, string>();
  const learn = () => {
    for (const t of set.tags()) if (typeof t.source === 'string') sourceOf.set(t.name, t.source);
  };
  learn();
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        if (typeof r.tag !== 'string') {
          if (r.event === 'config') learn();
          continue;
        }
        if (!want(r.tag)) continue;
        const time = timeMs(r.t);
        if (time < from || time >= to) continue;
        const s: Sample = { time, t: r.t, tag: r.tag, value: r.v as SampleValue };
        if (typeof r.q === 'string') s.quality = r.q;
        const src = sourceOf.get(r.tag);
        if (src !== undefined) s.source = src;
        if (typeof r.st === 'string') s.sourceTime = r.st;
        if (typeof r.svt === 'string') s.serverTime = r.svt;
        yield s;
      }
    }
  } finally {
    await set.close();
  }
}

/**
 * The samples as an arquero table with the columns of the Parquet export: `time` (Date, UTC),
 * `tag`, `value` (numbers; booleans as 1 and 0; null otherwise), `value_text` (strings, and arrays
 * or objects as JSON), `quality`, `source`. In memory: for captures far larger than the machine's
 * memory, export Parquet and query it with DuckDB (docs/fleet-sql.md).
 */
export async function readTable(files: string | readonly string[], opts: ReadOptions = {}): Promise<ColumnTable> {
  const time: Date[] = [];
  const tag: string[] = [];
  const value: (number | null)[] = [];
  const text: (string | null)[] = [];
  const quality: (string | null)[] = [];
  const source: (string | null)[] = [];
  for await (const s of readSamples(files, opts)) {
    const v = s.value;
    time.push(new Date(s.time));
    tag.push(s.tag);
    value.push(typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
    text.push(typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : null);
    quality.push(s.quality ?? null);
    source.push(s.source ?? null);
  }
  return aq.table({ time, tag, value, value_text: text, quality, source });
}
