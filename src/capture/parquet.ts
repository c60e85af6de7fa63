/**
 * `iiot capture convert --to parquet`: a capture as one typed Parquet table, for DuckDB, Spark,
 * Trino, pandas and anything else that reads Parquet (docs/capture-format.md, "Parquet").
 *
 * One row per sample, the same columns in every file so that many sites' files read as one table:
 *
 *   time         TIMESTAMP(MICROS, UTC)  required  the sample time `t`
 *   tag          STRING                  required
 *   value        DOUBLE                  numbers; booleans as 1 and 0; null otherwise
 *   value_text   STRING                  strings as they are, arrays and objects as JSON; null otherwise
 *   quality      STRING                  `q`, only when not good (as in the capture)
 *   source       STRING                  the tag's source id from the header
 *   source_time  TIMESTAMP(MICROS, UTC)  `st`
 *   server_time  TIMESTAMP(MICROS, UTC)  `svt`
 *   extra        STRING                  every other field of the sample, as JSON
 *
 * The capture header (tags, units, sources, metadata with the site's time zone) is kept whole in
 * the file's key-value metadata as `iiot.header`. Events and raw messages have no row: counted.
 * Times finer than a microsecond (OPC UA's 100 ns ticks) are rounded to the microsecond, counted
 * and reported: Spark reads no finer timestamp.
 *
 * Writer: hyparquet-writer (pure JavaScript, streams row groups to disk). Row groups of 128 Ki
 * rows keep memory bounded and give readers min/max statistics per group to skip by time and tag.
 */

import { checkOutputTarget } from '../core/output-file.js';
import { renameSync, rmSync } from 'node:fs';
import { ParquetWriter, fileWriter, type SchemaElement } from 'hyparquet-writer';
import { openCaptureSet } from './capture-set.js';
import { fileError } from './fs-errors.js';
import { timeMs } from './iso-time.js';
import { tagMatcher } from './tag-match.js';
import type { CaptureIssue, CaptureRecord } from './types.js';

/** Version of the table layout above, in the key-value metadata as `iiot.parquet`. */
export const PARQUET_LAYOUT = 'iiot-capture-parquet/1';

const ROW_GROUP = 131_072;

const STRING = { type: 'BYTE_ARRAY', converted_type: 'UTF8', logical_type: { type: 'STRING' } } as const;
const TIMESTAMP = {
  type: 'INT64',
  converted_type: 'TIMESTAMP_MICROS',
  logical_type: { type: 'TIMESTAMP', isAdjustedToUTC: true, unit: 'MICROS' },
} as const;

const SCHEMA: SchemaElement[] = [
  { name: 'root', num_children: 9 },
  { name: 'time', ...TIMESTAMP, repetition_type: 'REQUIRED' },
  { name: 'tag', ...STRING, repetition_type: 'REQUIRED' },
  { name: 'value', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
  { name: 'value_text', ...STRING, repetition_type: 'OPTIONAL' },
  { name: 'quality', ...STRING, repetition_type: 'OPTIONAL' },
  { name: 'source', ...STRING, repetition_type: 'OPTIONAL' },
  { name: 'source_time', ...TIMESTAMP, repetition_type: 'OPTIONAL' },
  { name: 'server_time', ...TIMESTAMP, repetition_type: 'OPTIONAL' },
  { name: 'extra', ...STRING, repetition_type: 'OPTIONAL' },
] as SchemaElement[];

export interface ParquetExportOptions {
  output: string;
  tags?: string[];
  strict?: boolean;
  onIssue?: (issue: CaptureIssue) => void;
}

export interface ParquetExportResult {
  samples: number;
  rowGroups: number;
  /** events and raw messages: no row */
  leftOut: { events: number; raw: number };
  /** times with digits finer than a microsecond, rounded to it */
  subMicrosecond: number;
  issues: number;
}

const CORE = new Set(['t', 'tag', 'v', 'q', 'st', 'svt']);

/**
 * Microseconds since 1970 of a capture time, as a Number: exact (ms x 1000 stays below 2^53) and
 * cheaper than a BigInt per row; the writer turns the column into INT64 once.
 */
function micros(t: string): number {
  return Math.round(timeMs(t) * 1000);
}

/** A fraction of a second with a non-zero digit past the sixth. */
function finerThanMicro(t: string): boolean {
  if (t.length <= 27) return false;
  const m = /\.(\d{7,})/.exec(t);
  return m !== null && /[1-9]/.test(m[1]!.slice(6));
}

class Columns {
  time: number[] = [];
  tag: string[] = [];
  value: (number | null)[] = [];
  text: (string | null)[] = [];
  quality: (string | null)[] = [];
  source: (string | null)[] = [];
  st: (number | null)[] = [];
  svt: (number | null)[] = [];
  extra: (string | null)[] = [];

  get length(): number {
    return this.time.length;
  }

  data() {
    return [
      { name: 'time', data: this.time },
      { name: 'tag', data: this.tag },
      { name: 'value', data: this.value },
      { name: 'value_text', data: this.text },
      { name: 'quality', data: this.quality },
      { name: 'source', data: this.source },
      { name: 'source_time', data: this.st },
      { name: 'server_time', data: this.svt },
      { name: 'extra', data: this.extra },
    ];
  }
}

export async function captureToParquet(inputs: readonly string[], opts: ParquetExportOptions): Promise<ParquetExportResult> {
  const set = await openCaptureSet(inputs, {
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.onIssue ? { onIssue: opts.onIssue } : {}),
  });
  const want = tagMatcher(opts.tags ?? []);
  checkOutputTarget(opts.output); // a rename onto a device or folder would replace it
  const tmp = `${opts.output}.tmp-${process.pid}`;
  const header = set.header;
  const kv = [
    { key: 'iiot.parquet', value: PARQUET_LAYOUT },
    { key: 'iiot.header', value: JSON.stringify({ ...header, tags: header.tags.filter((t) => want(t.name)) }) },
  ];
  if (typeof header.metadata.timezone === 'string') kv.push({ key: 'iiot.timezone', value: header.metadata.timezone });
  const result: ParquetExportResult = { samples: 0, rowGroups: 0, leftOut: { events: 0, raw: 0 }, subMicrosecond: 0, issues: 0 };
  let writer: ParquetWriter;
  try {
    writer = new ParquetWriter({ writer: fileWriter(tmp), schema: SCHEMA, kvMetadata: kv });
  } catch (err) {
    throw fileError('write', opts.output, err);
  }
  const sourceOf = new Map<string, string>();
  const refreshSources = () => {
    for (const t of set.tags()) if (typeof t.source === 'string') sourceOf.set(t.name, t.source);
  };
  refreshSources();
  let cols = new Columns();
  const flush = () => {
    if (cols.length === 0) return;
    // hyparquet-writer validates and encodes each column chunk; one call is one row group
    void writer.write({ columnData: cols.data(), rowGroupSize: cols.length });
    result.rowGroups++;
    cols = new Columns();
  };
  try {
    for await (const batch of set.batches()) {
      for (const r of batch as CaptureRecord[]) {
        if (typeof r.tag !== 'string') {
          if (typeof r.event === 'string') {
            result.leftOut.events++;
            if (r.event === 'config') refreshSources();
          } else result.leftOut.raw++;
          continue;
        }
        if (!want(r.tag)) continue;
        const v = r.v;
        cols.time.push(micros(r.t));
        if (finerThanMicro(r.t)) result.subMicrosecond++;
        cols.tag.push(r.tag);
        cols.value.push(typeof v === 'number' ? v : typeof v === 'boolean' ? (v ? 1 : 0) : null);
        cols.text.push(typeof v === 'string' ? v : v !== null && typeof v === 'object' ? JSON.stringify(v) : null);
        cols.quality.push(typeof r.q === 'string' ? r.q : null);
        cols.source.push(sourceOf.get(r.tag) ?? null);
        cols.st.push(typeof r.st === 'string' ? micros(r.st) : null);
        cols.svt.push(typeof r.svt === 'string' ? micros(r.svt) : null);
        let extra: Record<string, unknown> | undefined;
        for (const k in r) if (!CORE.has(k)) (extra ??= {})[k] = r[k];
        cols.extra.push(extra ? JSON.stringify(extra) : null);
        result.samples++;
        if (cols.length >= ROW_GROUP) flush();
      }
    }
    flush();
    writer.finish();
    renameSync(tmp, opts.output);
  } catch (err) {
    rmSync(tmp, { force: true });
    if ((err as { code?: unknown }).code !== undefined) throw fileError('write', opts.output, err);
    throw err;
  } finally {
    result.issues = set.issueCount;
    await set.close();
  }
  return result;
}
