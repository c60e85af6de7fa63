import { refuseToReplace } from '../core/output-file.js';
import { basename } from 'node:path';
import { usageError } from '../core/errors.js';
import { badRow, planColumns, show, type ColumnOptions, type CsvLayout, type Plan } from './csv-columns.js';
import { csvRows, firstLine, sniffDelimiter, type CsvRow } from './csv-parse.js';
import { chooseDecimalComma, chooseTimeFormat, COMMA_NUMBER, NUMBER, surveyCsv, type CellType } from './csv-survey.js';
import { describeTimeFormat, parseTimeFormat, timeReader } from './csv-time.js';
import { isoFromMs, timeMs } from './iso-time.js';
import { assertNotAnInput } from './path-guard.js';
import { tagMatcher } from './tag-match.js';
import type { CaptureRecord, SampleValue, TagInfo } from './types.js';
import { createCaptureWriter, type WriterOptions } from './writer.js';

/**
 * `iiot capture import`: CSV as historians and spreadsheets export it, to a capture.
 * - long: one row per sample (time, tag, value[, quality]); also reads back `capture convert`'s
 *   long CSV (source_time, server_time and extra columns);
 * - wide: one row per time, one column per tag.
 * Two passes over the file: the first finds the layout, the time format (day-first or
 * month-first dates are told apart by the data), the decimal separator and each tag's type, so
 * the header written first is complete and a bad row fails before anything is written.
 */

export type { CsvLayout };

export interface CsvImportOptions extends ColumnOptions {
  output: string;
  /** 'auto' (default), 'iso', 'epoch-s', 'epoch-ms', ..., or a pattern such as 'DD/MM/YYYY HH:mm' */
  timeFormat?: string;
  /** IANA zone of times written without a zone (default UTC) */
  tz?: string;
  /** default: sniffed from the header line among , ; tab | */
  delimiter?: string;
  /** 'auto' (default): a decimal comma when no value has a decimal point and the delimiter is not a comma */
  decimalComma?: boolean | 'auto';
  /** unit per tag (or per column name) */
  units?: Record<string, string>;
  midnightEndsDay?: boolean;
  /** import even if times go back at midnight (see midnightEndsDay) */
  allowBackwards?: boolean;
  /** added to every time (intervals labelled by their end: -15m moves them to their start) */
  timeOffsetMs?: number;
  /**
   * The times mark the END of each interval (utility and historian exports of interval energy).
   * Written into the header (tag field `interval`) so analyses need not be told again. Default:
   * true with midnightEndsDay (a 00:00 that ends the day is an interval end), unless timeOffsetMs
   * moves the labels.
   */
  intervalEnd?: boolean;
  /** the interval length (default: the typical spacing of the times) */
  intervalMs?: number;
  /** skip rows with a bad time or too many fields (with a warning) instead of failing */
  skipBadRows?: boolean;
  sourceId?: string;
  metadata?: Record<string, unknown>;
  writer?: WriterOptions;
}

export interface ImportedTag {
  name: string;
  column: string;
  unit?: string;
  dataType: CellType;
  count: number;
  /** cells that were not numbers in a numeric column: written as null with q = the text */
  notGood: number;
}

export interface CsvImportResult {
  input: string;
  outputs: string[];
  layout: CsvLayout;
  delimiter: string;
  decimalComma: boolean;
  timeColumn: string;
  timeFormat: string;
  tz: string;
  midnightEndsDay: boolean;
  /** added to every time (--time-offset) */
  timeOffsetMs: number;
  /** the times mark interval ends (written into the header's tag field `interval`) */
  intervalEnd: boolean;
  /** the interval length written with it */
  intervalMs?: number;
  /** written into the header's metadata.timezone: the zone the times were read in */
  siteTimeZone?: string;
  rows: number;
  samples: number;
  skippedRows: number;
  emptyCells: number;
  tags: ImportedTag[];
  span: { first?: string; last?: string };
  /** rows whose time is earlier than the row before */
  backwards: number;
  warnings: string[];
}

const GOOD_QUALITY = /^(good.*|ok|0|192|0x0+|g)$/i;
const FLUSH_EVERY_ROWS = 8192;

function parseNumber(s: string, decimalComma: boolean): number | undefined {
  if (NUMBER.test(s) && !(decimalComma && s.includes('.') && /^\d{1,3}(\.\d{3})+$/.test(s.replace(/^[-+]/, '')))) return Number(s);
  if (decimalComma && COMMA_NUMBER.test(s)) return Number(s.replace(/\./g, '').replace(',', '.'));
  return undefined;
}

export async function importCsv(input: string, opts: CsvImportOptions): Promise<CsvImportResult> {
  assertNotAnInput(opts.output, [input]);
  refuseToReplace(opts.output, opts.writer?.staged ?? {});
  const tz = opts.tz ?? 'UTC';
  const delimiter = opts.delimiter ?? sniffDelimiter(await firstLine(input));
  const warnings: string[] = [];
  const rowsIter = csvRows(input, delimiter);
  const first = await rowsIter.next();
  await rowsIter.return(undefined);
  if (first.done) throw usageError(`${input}:1: the file is empty`, 'give a CSV file with a header line');
  const headers = first.value.fields;
  const plan = planColumns(headers, opts, input);
  const readOpts = { tz, ...(opts.midnightEndsDay ? { midnightEndsDay: true } : {}) };
  const given = parseTimeFormat(opts.timeFormat ?? 'auto');
  const include = tagMatcher(opts.include ?? []);
  const exclude = opts.exclude?.length ? tagMatcher(opts.exclude) : () => false;
  const survey = await surveyCsv(input, delimiter, first.value.line, plan, {
    format: given === 'auto' ? undefined : given,
    read: readOpts,
    skipBadRows: opts.skipBadRows === true,
    wantedTag: (t) => include(t) && !exclude(t),
  });
  const choice = chooseTimeFormat(input, headers[plan.time]!, survey, {
    detected: given === 'auto',
    midnightEndsDay: opts.midnightEndsDay === true,
    allowBackwards: opts.allowBackwards === true,
  });
  const comma = chooseDecimalComma(survey, delimiter, opts.decimalComma);
  const decimalComma = comma.decimalComma;
  warnings.push(...choice.warnings, ...comma.warnings);
  const { stats, columnOf, badRows, skippedRows, rows, firstBadTime } = survey;

  // the header: tags with their types and units
  const units = opts.units ?? {};
  const tagInfos: TagInfo[] = [];
  const imported = new Map<string, ImportedTag>();
  const tagColumns =
    plan.layout === 'wide'
      ? plan.columns.map((c) => ({ name: c.name, column: plan.headers[c.index]!, unit: c.unit }))
      : [...stats.keys()].map((name) => ({ name, column: columnOf.get(name)!, unit: undefined }));
  for (const { name, column, unit: headerUnit } of tagColumns) {
    const unit = units[name] ?? units[column] ?? headerUnit;
    const dataType = stats.get(name)?.dataType() ?? 'string';
    const info: TagInfo = {
      name,
      source: opts.sourceId ?? 'csv',
      address: plan.layout === 'wide' ? column : `${headers[plan.tag!]}=${name}`,
      dataType,
    };
    if (unit !== undefined) info.unit = unit;
    tagInfos.push(info);
    imported.set(name, { name, column, ...(unit !== undefined ? { unit } : {}), dataType, count: 0, notGood: 0 });
  }
  for (const key of Object.keys(units)) {
    if (!tagColumns.some((t) => t.name === key || t.column === key)) warnings.push(`--unit ${key}=...: no such tag or column`);
  }
  const timeFormat = describeTimeFormat(choice.format);
  const read = timeReader(choice.format, readOpts);
  const intervalEnd = opts.intervalEnd ?? (opts.midnightEndsDay === true && !opts.timeOffsetMs);
  const intervalMs = intervalEnd
    ? (opts.intervalMs ?? (await typicalSpacing(input, delimiter, first.value.line, plan.time, read, badRows)))
    : undefined;
  if (intervalEnd) {
    for (const t of tagInfos)
      if (t.dataType === 'number') t.interval = { stamp: 'end', ...(intervalMs !== undefined ? { ms: intervalMs } : {}) };
  }
  // Times without a zone were read as wall-clock times of this zone: it is the site's.
  const siteTimeZone = tz !== 'UTC' ? tz : undefined;
  const sourceOptions: Record<string, unknown> = { layout: plan.layout, delimiter, timeColumn: headers[plan.time], timeFormat, tz };
  if (opts.midnightEndsDay) sourceOptions.midnightEndsDay = true;
  if (intervalEnd) sourceOptions.intervalEnd = true;
  if (opts.timeOffsetMs) sourceOptions.timeOffsetMs = opts.timeOffsetMs;
  if (decimalComma) sourceOptions.decimalComma = true;
  const writer = await createCaptureWriter(
    opts.output,
    {
      sources: [{ id: opts.sourceId ?? 'csv', protocol: 'csv', endpoint: basename(input), options: sourceOptions }],
      tags: tagInfos,
      metadata: { importedFrom: basename(input), ...(siteTimeZone ? { timezone: siteTimeZone } : {}), ...(opts.metadata ?? {}) },
    },
    { staged: {}, ...opts.writer },
  );

  // pass 2: samples
  const offset = opts.timeOffsetMs ?? 0;
  let samples = 0;
  let emptyCells = 0;
  let firstMs = NaN;
  let lastMs = NaN;
  let prev = NaN;
  let backwards = 0;
  let n = 0;
  const emit = (tag: string, ms: number, cell: string | null, q: string | undefined, extra?: Partial<CaptureRecord>): void => {
    const info = imported.get(tag)!;
    const s = cell === null ? '' : cell.trim();
    let v: SampleValue;
    let quality = q;
    if (cell === null) v = null;
    else if (info.dataType === 'number') {
      const num = parseNumber(s, decimalComma);
      if (num === undefined) {
        v = null;
        quality ??= s.slice(0, 64);
        info.notGood++;
      } else v = num;
    } else if (info.dataType === 'bool') v = s.toLowerCase() === 'true';
    else v = s;
    info.count++;
    samples++;
    if (extra && Object.keys(extra).length) {
      const r: Record<string, unknown> = { t: isoFromMs(ms), tag, v, ...(quality !== undefined ? { q: quality } : {}), ...extra };
      writer.write(r as CaptureRecord);
    } else writer.sample(tag, ms, v, quality !== undefined ? { q: quality } : undefined);
  };
  try {
    for await (const row of csvRows(input, delimiter)) {
      if (row.line === first.value.line || badRows.has(row.line)) continue;
      const raw = read(row.fields[plan.time] ?? '');
      if (Number.isNaN(raw)) continue;
      const ms = raw + offset;
      if (ms < prev) backwards++;
      prev = ms;
      if (!(ms >= firstMs)) firstMs = ms;
      if (!(ms <= lastMs)) lastMs = ms;
      if (plan.layout === 'wide') {
        for (const col of plan.columns) {
          const cell = row.fields[col.index] ?? '';
          if (cell.trim() === '') emptyCells++;
          else emit(col.name, ms, cell, undefined);
        }
      } else {
        const tag = (row.fields[plan.tag!] ?? '').trim();
        if (tag === '' || !imported.has(tag)) continue;
        const cell = row.fields[plan.value!] ?? '';
        const qText = plan.quality === undefined ? '' : (row.fields[plan.quality] ?? '').trim();
        const q = qText === '' || GOOD_QUALITY.test(qText) ? undefined : qText;
        if (cell.trim() === '' && q === undefined) {
          emptyCells++;
          continue;
        }
        emit(tag, ms, cell.trim() === '' ? null : cell, q, longExtras(row, plan, input));
      }
      if (++n % FLUSH_EVERY_ROWS === 0) await writer.flush();
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
  if (skippedRows)
    warnings.push(
      `${skippedRows} bad row${skippedRows === 1 ? '' : 's'} skipped${firstBadTime ? ` (first: line ${firstBadTime.line}, time ${show(firstBadTime.text)})` : ''}`,
    );
  if (backwards) warnings.push(`the time goes back ${backwards} time${backwards === 1 ? '' : 's'}: the capture is not in time order`);
  const result: CsvImportResult = {
    input,
    outputs: [...writer.files],
    layout: plan.layout,
    delimiter,
    decimalComma,
    timeColumn: headers[plan.time]!,
    timeFormat,
    tz,
    midnightEndsDay: opts.midnightEndsDay === true,
    timeOffsetMs: opts.timeOffsetMs ?? 0,
    intervalEnd,
    ...(intervalMs !== undefined ? { intervalMs } : {}),
    ...(siteTimeZone ? { siteTimeZone } : {}),
    rows,
    samples,
    skippedRows,
    emptyCells,
    tags: [...imported.values()],
    span: {},
    backwards,
    warnings,
  };
  const f = Number.isNaN(firstMs) ? undefined : isoFromMs(firstMs);
  const l = Number.isNaN(lastMs) ? undefined : isoFromMs(lastMs);
  if (f !== undefined && l !== undefined) result.span = { first: f, last: l };
  return result;
}

/** Median step between successive distinct times of the first rows (the interval of interval data), or undefined. */
async function typicalSpacing(
  input: string,
  delimiter: string,
  headerLine: number,
  timeCol: number,
  read: (s: string) => number,
  badRows: Set<number>,
): Promise<number | undefined> {
  const times: number[] = [];
  for await (const row of csvRows(input, delimiter)) {
    if (row.line === headerLine || badRows.has(row.line)) continue;
    const ms = read(row.fields[timeCol] ?? '');
    if (!Number.isNaN(ms) && ms !== times[times.length - 1]) times.push(ms);
    if (times.length >= 513) break;
  }
  const d = times
    .slice(1)
    .map((t, i) => t - times[i]!)
    .filter((x) => x > 0)
    .sort((a, b) => a - b);
  return d.length ? d[Math.floor(d.length / 2)] : undefined;
}

/** The columns `capture convert` writes besides time, tag, value, quality. */
function longExtras(row: CsvRow, plan: Plan, file: string): Partial<CaptureRecord> | undefined {
  let extra: Record<string, unknown> | undefined;
  const time = (i: number | undefined, key: 'st' | 'svt') => {
    if (i === undefined) return;
    const s = (row.fields[i] ?? '').trim();
    if (s === '') return;
    if (Number.isNaN(timeMs(s)))
      badRow(
        file,
        row,
        `${key === 'st' ? 'source_time' : 'server_time'} ${show(s)} is not an ISO 8601 time with a zone`,
        'fix the cell or remove the column',
      );
    (extra ??= {})[key] = s;
  };
  time(plan.sourceTime, 'st');
  time(plan.serverTime, 'svt');
  if (plan.extra !== undefined) {
    const s = (row.fields[plan.extra] ?? '').trim();
    if (s !== '') {
      let o: unknown;
      try {
        o = JSON.parse(s);
      } catch {
        badRow(
          file,
          row,
          'the extra column is not a JSON object',
          'it holds the fields of the sample besides time, tag, value and quality, as JSON',
        );
      }
      if (typeof o !== 'object' || o === null || Array.isArray(o))
        badRow(file, row, 'the extra column is not a JSON object', 'write {} or leave it empty');
      for (const [k, v] of Object.entries(o as Record<string, unknown>)) if (!['t', 'tag', 'v', 'q'].includes(k)) (extra ??= {})[k] = v;
    }
  }
  return extra as Partial<CaptureRecord> | undefined;
}
