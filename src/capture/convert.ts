import { refuseToReplace } from '../core/output-file.js';
import { usageError } from '../core/errors.js';
import { openCaptureSet } from './capture-set.js';
import { importCsv, type CsvImportOptions, type CsvImportResult } from './csv-import.js';
import { csvField, csvTime, csvValue, TextFileWriter, type CsvTimeFormat } from './csv-write.js';
import { timeMs } from './iso-time.js';
import { assertNotAnInput } from './path-guard.js';
import { tagMatcher } from './tag-match.js';
import type { CaptureIssue, CaptureRecord, SampleLine } from './types.js';
import { createCaptureWriter, type WriterOptions } from './writer.js';

/**
 * `iiot capture convert`: between the capture (JSONL, plain or gzip), CSV and Parquet, by file
 * names (or --to).
 * - capture -> CSV long: time,tag,value[,quality][,source_time][,server_time][,extra]; the optional
 *   columns appear when any sample has them; `extra` holds every other field as JSON, so unknown
 *   fields survive a round trip through CSV;
 * - capture -> CSV wide: time and one column per tag (header order), one row per timestamp;
 * - CSV -> capture: `importCsv`;
 * - capture -> capture: re-encoded (plain <-> gzip, rotation), records kept as they are;
 * - capture -> Parquet: typed columns (parquet.ts).
 * Events and raw messages have no place in CSV or Parquet: they are counted and left out.
 */

export type ConvertKind = 'jsonl' | 'csv' | 'parquet';

export function kindOf(path: string): ConvertKind | undefined {
  const p = path.toLowerCase().replace(/\.gz$/, '');
  if (p.endsWith('.jsonl') || p.endsWith('.ndjson') || p.endsWith('.json')) return 'jsonl';
  if (p.endsWith('.csv') || p.endsWith('.tsv') || p.endsWith('.txt')) return 'csv';
  if (p.endsWith('.parquet')) return 'parquet';
  return undefined;
}

export interface ConvertOptions {
  output: string;
  /** the output format when the name does not say it */
  to?: ConvertKind;
  layout?: 'long' | 'wide';
  /** CSV output */
  timeFormat?: CsvTimeFormat;
  tz?: string;
  delimiter?: string;
  tags?: string[];
  strict?: boolean;
  onIssue?: (issue: CaptureIssue) => void;
  writer?: WriterOptions;
  /** CSV input: everything importCsv takes */
  csv?: Omit<CsvImportOptions, 'output' | 'writer'>;
}

export interface ConvertResult {
  inputs: string[];
  outputs: string[];
  from: ConvertKind;
  to: ConvertKind;
  layout?: 'long' | 'wide';
  /** samples written (capture or CSV cells) */
  samples: number;
  /** CSV rows written (CSV output) */
  rows?: number;
  /** events and raw messages CSV cannot hold */
  leftOut: { events: number; raw: number };
  /** wide CSV: samples that met another value of the same tag at the same time (the last one wins) */
  overwritten?: number;
  /** wide CSV: samples with a quality, which the wide layout cannot show */
  qualityDropped?: number;
  /** Parquet: row groups written, and times finer than a microsecond (rounded to it) */
  rowGroups?: number;
  subMicrosecond?: number;
  issues: number;
  import?: CsvImportResult;
}

export async function convertCapture(inputs: readonly string[], opts: ConvertOptions): Promise<ConvertResult> {
  assertNotAnInput(opts.output, inputs);
  refuseToReplace(opts.output, opts.writer?.staged ?? {});
  const from = inputs.map(kindOf);
  const to = opts.to ?? kindOf(opts.output);
  if (to === undefined)
    throw usageError(
      `cannot tell the output format of ${opts.output}`,
      'name it .jsonl, .jsonl.gz, .csv, .csv.gz or .parquet, or give --to',
    );
  if (from.includes('parquet'))
    throw usageError(
      `${inputs[from.indexOf('parquet')]}: iiot reads captures and CSV, not Parquet`,
      'read Parquet with DuckDB, Spark or pandas (docs/capture-format.md, "Parquet")',
    );
  if (from.includes('csv')) {
    if (inputs.length !== 1) throw usageError('convert one CSV file at a time', 'run iiot capture import once per file');
    if (to !== 'jsonl') throw usageError(`${inputs[0]} is CSV already`, 'convert CSV to a capture (.jsonl or .jsonl.gz)');
    const result = await importCsv(inputs[0]!, {
      ...(opts.csv ?? {}),
      output: opts.output,
      ...(opts.writer ? { writer: opts.writer } : {}),
    });
    return {
      inputs: [...inputs],
      outputs: result.outputs,
      from: 'csv',
      to: 'jsonl',
      samples: result.samples,
      leftOut: { events: 0, raw: 0 },
      issues: 0,
      import: result,
    };
  }
  if (from.some((k) => k === undefined)) {
    const bad = inputs[from.indexOf(undefined)]!;
    throw usageError(`cannot tell the format of ${bad}`, 'captures end in .jsonl or .jsonl.gz, CSV files in .csv');
  }
  if (to === 'jsonl') return recode(inputs, opts);
  if (to === 'parquet') {
    const { captureToParquet } = await import('./parquet.js');
    const r = await captureToParquet(inputs, { output: opts.output, ...(opts.tags ? { tags: opts.tags } : {}), ...readOpts(opts) });
    return {
      inputs: [...inputs],
      outputs: [opts.output],
      from: 'jsonl',
      to: 'parquet',
      samples: r.samples,
      rows: r.samples,
      rowGroups: r.rowGroups,
      subMicrosecond: r.subMicrosecond,
      leftOut: r.leftOut,
      issues: r.issues,
    };
  }
  return (opts.layout ?? 'long') === 'wide' ? toWideCsv(inputs, opts) : toLongCsv(inputs, opts);
}

function readOpts(opts: ConvertOptions) {
  return { ...(opts.strict ? { strict: true } : {}), ...(opts.onIssue ? { onIssue: opts.onIssue } : {}) };
}

async function recode(inputs: readonly string[], opts: ConvertOptions): Promise<ConvertResult> {
  const set = await openCaptureSet(inputs, readOpts(opts));
  const want = tagMatcher(opts.tags ?? []);
  const h = set.header;
  const writer = await createCaptureWriter(
    opts.output,
    { sources: h.sources, tags: set.tags().filter((t) => want(t.name)), metadata: h.metadata, created: new Date(timeMs(h.created)) },
    { staged: {}, ...opts.writer },
  );
  let samples = 0;
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        if (typeof r.tag === 'string') {
          if (!want(r.tag)) continue;
          samples++;
        }
        writer.write(r);
      }
      await writer.flush();
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
  return {
    inputs: [...inputs],
    outputs: [...writer.files],
    from: 'jsonl',
    to: 'jsonl',
    samples,
    leftOut: { events: 0, raw: 0 },
    issues: set.issueCount,
  };
}

const CORE_FIELDS = new Set(['t', 'tag', 'v', 'q', 'st', 'svt']);

function extraFields(r: CaptureRecord): Record<string, unknown> | undefined {
  let extra: Record<string, unknown> | undefined;
  for (const k in r) if (!CORE_FIELDS.has(k)) (extra ??= {})[k] = r[k];
  return extra;
}

/** Samples go on to a CSV row; events and raw messages have no place in CSV and are counted as left out. */
function csvSample(r: CaptureRecord, leftOut: ConvertResult['leftOut']): r is SampleLine {
  if (typeof r.tag === 'string') return true;
  if (typeof r.event === 'string') leftOut.events++;
  else leftOut.raw++;
  return false;
}

/** Pass 1 of the long layout: which optional columns the samples need. */
async function longColumns(
  inputs: readonly string[],
  opts: ConvertOptions,
): Promise<{ q: boolean; st: boolean; svt: boolean; extra: boolean }> {
  const cols = { q: false, st: false, svt: false, extra: false };
  const set = await openCaptureSet(inputs, {});
  const want = tagMatcher(opts.tags ?? []);
  for await (const batch of set.batches()) {
    for (const r of batch) {
      if (typeof r.tag !== 'string' || !want(r.tag)) continue;
      if (r.q !== undefined) cols.q = true;
      if (r.st !== undefined) cols.st = true;
      if (r.svt !== undefined) cols.svt = true;
      if (!cols.extra && extraFields(r)) cols.extra = true;
    }
  }
  return cols;
}

function delimiterOf(opts: ConvertOptions): string {
  if (opts.delimiter !== undefined) return opts.delimiter;
  return opts.output.toLowerCase().replace(/\.gz$/, '').endsWith('.tsv') ? '\t' : ',';
}

async function toLongCsv(inputs: readonly string[], opts: ConvertOptions): Promise<ConvertResult> {
  const cols = await longColumns(inputs, opts);
  const set = await openCaptureSet(inputs, readOpts(opts));
  const d = delimiterOf(opts);
  const want = tagMatcher(opts.tags ?? []);
  const timeFormat = opts.timeFormat ?? 'iso';
  const out = new TextFileWriter(opts.output, opts.writer?.staged ?? {});
  const header = ['time', 'tag', 'value'];
  if (cols.q) header.push('quality');
  if (cols.st) header.push('source_time');
  if (cols.svt) header.push('server_time');
  if (cols.extra) header.push('extra');
  out.write(`${header.join(d)}\n`);
  const leftOut = { events: 0, raw: 0 };
  let samples = 0;
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        if (!csvSample(r, leftOut)) continue;
        if (!want(r.tag)) continue;
        samples++;
        let line = `${csvField(csvTime(timeMs(r.t), r.t, timeFormat, opts.tz), d)}${d}${csvField(r.tag, d)}${d}${csvField(csvValue(r.v, r.q), d)}`;
        if (cols.q) line += d + csvField(r.q ?? '', d);
        if (cols.st) line += d + csvField(r.st ?? '', d);
        if (cols.svt) line += d + csvField(r.svt ?? '', d);
        if (cols.extra) {
          const extra = extraFields(r);
          line += d + (extra ? csvField(JSON.stringify(extra), d) : '');
        }
        out.write(`${line}\n`);
      }
      await out.flush();
    }
  } catch (err) {
    out.abort();
    throw err;
  }
  await out.close();
  return {
    inputs: [...inputs],
    outputs: [opts.output],
    from: 'jsonl',
    to: 'csv',
    layout: 'long',
    samples,
    rows: samples,
    leftOut,
    issues: set.issueCount,
  };
}

/** Rows waiting for more samples of their timestamp; small, because captures are nearly in time order. */
const WIDE_WINDOW = 4096;

async function toWideCsv(inputs: readonly string[], opts: ConvertOptions): Promise<ConvertResult> {
  // pass 1: the columns (declared tags in header order, then any others in order of appearance)
  const want = tagMatcher(opts.tags ?? []);
  const probe = await openCaptureSet(inputs, {});
  const seen = new Set<string>();
  for await (const batch of probe.batches()) for (const r of batch) if (typeof r.tag === 'string' && want(r.tag)) seen.add(r.tag);
  const declared = probe
    .tags()
    .map((t) => t.name)
    .filter((n) => seen.has(n));
  const columns = [...declared, ...[...seen].filter((n) => !declared.includes(n))];
  const index = new Map(columns.map((c, i) => [c, i]));

  const set = await openCaptureSet(inputs, readOpts(opts));
  const d = delimiterOf(opts);
  const timeFormat = opts.timeFormat ?? 'iso';
  const out = new TextFileWriter(opts.output, opts.writer?.staged ?? {});
  out.write(`${['time', ...columns].map((c) => csvField(c, d)).join(d)}\n`);
  const pending = new Map<string, { ms: number; cells: string[] }>();
  const leftOut = { events: 0, raw: 0 };
  let samples = 0;
  let rows = 0;
  let overwritten = 0;
  let qualityDropped = 0;
  const emit = (t: string, row: { ms: number; cells: string[] }) => {
    rows++;
    let line = csvField(csvTime(row.ms, t, timeFormat, opts.tz), d);
    for (let i = 0; i < columns.length; i++) line += d + csvField(row.cells[i] ?? '', d);
    out.write(`${line}\n`);
  };
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        if (!csvSample(r, leftOut)) continue;
        const col = index.get(r.tag);
        if (col === undefined) continue;
        samples++;
        if (r.q !== undefined && !(r.v === null && (r.q === 'NaN' || r.q === 'Infinity' || r.q === '-Infinity'))) qualityDropped++;
        let row = pending.get(r.t);
        if (row === undefined) {
          if (pending.size >= WIDE_WINDOW) {
            const [oldest, oldRow] = pending.entries().next().value!;
            pending.delete(oldest);
            emit(oldest, oldRow);
          }
          row = { ms: timeMs(r.t), cells: [] };
          pending.set(r.t, row);
        }
        if (row.cells[col] !== undefined) overwritten++;
        row.cells[col] = csvValue((r as SampleLine).v, r.q);
      }
      await out.flush();
    }
    for (const [t, row] of pending) emit(t, row);
  } catch (err) {
    out.abort();
    throw err;
  }
  await out.close();
  return {
    inputs: [...inputs],
    outputs: [opts.output],
    from: 'jsonl',
    to: 'csv',
    layout: 'wide',
    samples,
    rows,
    leftOut,
    overwritten,
    qualityDropped,
    issues: set.issueCount,
  };
}
