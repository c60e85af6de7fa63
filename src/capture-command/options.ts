/**
 * `iiot capture info|validate|convert|slice|diff|import` flags -> typed options, one function per
 * subcommand (the seam tests use), checked before anything is written. The inputs are expanded
 * here (--all-parts), since what a flag means can depend on them (convert: CSV in or out). The
 * capture library is loaded only as far as a subcommand needs it: these functions import it lazily.
 */
import type { ConvertOptions } from '../capture/convert.js';
import type { CsvImportOptions } from '../capture/csv-import.js';
import type { DiffOptions } from '../capture/diff.js';
import type { InfoOptions } from '../capture/info.js';
import type { SliceOptions } from '../capture/slice.js';
import type { ValidateOptions } from '../capture/validate.js';
import { usageError } from '../core/errors.js';
import { checkTimeZone, parseTimeArg } from '../core/time.js';
import { parseByteSize, parseDuration } from '../core/units.js';

/** Repeated options and comma-separated lists, as one list of patterns. */
const patterns = (values: string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');

export interface ReadFlags {
  strict?: boolean;
  allParts?: boolean;
}

export interface WriteFlags {
  rotateSize?: string;
  rotateEvery?: string;
  force?: boolean;
}

export interface CsvFlags {
  layout?: string;
  timeColumn?: string;
  tagColumn?: string;
  valueColumn?: string;
  qualityColumn?: string;
  timeFormat?: string;
  tz?: string;
  delimiter?: string;
  decimalComma?: boolean;
  unit?: string[];
  columns?: string[];
  exclude?: string[];
  midnightEndsDay?: boolean;
  allowBackwards?: boolean;
  timeOffset?: string;
  intervalEnd?: boolean;
  interval?: string;
  skipBadRows?: boolean;
}

function writerOptions(f: WriteFlags): { rotateBytes?: number; rotateMs?: number; staged: { force?: boolean } } {
  return {
    staged: f.force ? { force: true } : {},
    ...(f.rotateSize ? { rotateBytes: parseByteSize(f.rotateSize, '--rotate-size') } : {}),
    ...(f.rotateEvery ? { rotateMs: parseDuration(f.rotateEvery, '--rotate-every') } : {}),
  };
}

function delimiterOf(text: string | undefined): string | undefined {
  if (text === undefined) return undefined;
  const d = { tab: '\t', '\\t': '\t', comma: ',', semicolon: ';', pipe: '|' }[text.toLowerCase()] ?? text;
  if (d.length !== 1) throw usageError(`--delimiter: "${text}" is not one character`, 'write , ; tab or |');
  return d;
}

function signedDuration(text: string, what: string): number {
  const s = text.trim();
  const sign = s.startsWith('-') ? -1 : 1;
  return sign * parseDuration(s.replace(/^[-+]/, ''), what);
}

function unitsOf(list: string[] | undefined): Record<string, string> {
  const units: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1)
      throw usageError(`--unit: cannot read "${item}"`, 'write TAG=UNIT, for example --unit Usage_kWh=kWh');
    units[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return units;
}

function csvImportOptions(f: CsvFlags) {
  const layout = f.layout ?? 'auto';
  if (!['auto', 'long', 'wide'].includes(layout)) throw usageError(`--layout: "${layout}" is not long, wide or auto`);
  const delimiter = delimiterOf(f.delimiter);
  return {
    layout: layout as 'auto' | 'long' | 'wide',
    tz: checkTimeZone(f.tz ?? 'UTC'),
    units: unitsOf(f.unit),
    ...(f.timeColumn !== undefined ? { timeColumn: f.timeColumn } : {}),
    ...(f.tagColumn !== undefined ? { tagColumn: f.tagColumn } : {}),
    ...(f.valueColumn !== undefined ? { valueColumn: f.valueColumn } : {}),
    ...(f.qualityColumn !== undefined ? { qualityColumn: f.qualityColumn } : {}),
    ...(f.timeFormat !== undefined ? { timeFormat: f.timeFormat } : {}),
    ...(delimiter !== undefined ? { delimiter } : {}),
    ...(f.decimalComma !== undefined ? { decimalComma: f.decimalComma } : {}),
    ...(f.columns?.length ? { include: patterns(f.columns) } : {}),
    ...(f.exclude?.length ? { exclude: patterns(f.exclude) } : {}),
    ...(f.midnightEndsDay ? { midnightEndsDay: true } : {}),
    ...(f.allowBackwards ? { allowBackwards: true } : {}),
    ...(f.timeOffset !== undefined ? { timeOffsetMs: signedDuration(f.timeOffset, '--time-offset') } : {}),
    ...(f.intervalEnd !== undefined ? { intervalEnd: f.intervalEnd } : {}),
    ...(f.interval !== undefined ? { intervalMs: parseDuration(f.interval, '--interval') } : {}),
    ...(f.skipBadRows ? { skipBadRows: true } : {}),
  };
}

function timeRange(f: { from?: string; to?: string; tz?: string }): { from?: number; to?: number } {
  const tz = checkTimeZone(f.tz ?? 'UTC');
  const r: { from?: number; to?: number } = {};
  if (f.from !== undefined) r.from = parseTimeArg(f.from, '--from', tz);
  if (f.to !== undefined) r.to = parseTimeArg(f.to, '--to', tz);
  if (r.from !== undefined && r.to !== undefined && r.to <= r.from) throw usageError('--to must be later than --from');
  return r;
}

async function inputsOf(files: string[], f: ReadFlags): Promise<string[]> {
  const { expandParts } = await import('../capture/capture-set.js');
  return expandParts(files, f.allParts === true);
}

export type InfoFlags = ReadFlags & { gapFactor: string; gap?: string; lenient?: boolean };
export interface InfoCommandOptions {
  inputs: string[];
  info: InfoOptions;
  /** accept a damaged capture (exit 0) */
  lenient: boolean;
}

export async function infoOptions(files: string[], f: InfoFlags): Promise<InfoCommandOptions> {
  if (f.strict && f.lenient) throw usageError('--strict and --lenient contradict each other: give one');
  const gapFactor = Number(f.gapFactor);
  if (!(gapFactor > 1)) throw usageError(`--gap-factor: "${f.gapFactor}" must be a number above 1`);
  const inputs = await inputsOf(files, f);
  return {
    inputs,
    info: {
      gapFactor,
      ...(f.gap !== undefined ? { gapMs: parseDuration(f.gap, '--gap') } : {}),
      ...(f.strict ? { strict: true } : {}),
    },
    lenient: f.lenient === true,
  };
}

export type ValidateFlags = ReadFlags & { maxIssues: string; lenient?: boolean };
export interface ValidateCommandOptions {
  inputs: string[];
  validate: ValidateOptions;
}

export async function validateOptions(files: string[], f: ValidateFlags): Promise<ValidateCommandOptions> {
  if (f.strict && f.lenient) throw usageError('--strict and --lenient contradict each other: give one');
  const maxIssues = Number(f.maxIssues);
  if (!Number.isInteger(maxIssues) || maxIssues < 0) throw usageError(`--max-issues: "${f.maxIssues}" is not a whole number`);
  const inputs = await inputsOf(files, f);
  return { inputs, validate: { ...(f.strict ? { strict: true } : {}), ...(f.lenient ? { lenient: true } : {}), maxIssues } };
}

export type ConvertFlags = ReadFlags &
  WriteFlags &
  CsvFlags & { output: string; to?: string; tags?: string[]; timeFormatOut?: string; tzOut?: string };
export interface ConvertCommandOptions {
  inputs: string[];
  convert: Omit<ConvertOptions, 'onIssue'>;
}

/** A CSV file in is imported (the csv-import flags apply); a capture in is written as CSV, Parquet or a capture. */
export async function convertOptions(files: string[], f: ConvertFlags): Promise<ConvertCommandOptions> {
  if (f.to !== undefined && !['jsonl', 'csv', 'parquet'].includes(f.to)) throw usageError(`--to: "${f.to}" is not jsonl, csv or parquet`);
  const timeFormat = f.timeFormatOut ?? 'iso';
  if (!['iso', 'epoch-ms', 'epoch-s'].includes(timeFormat))
    throw usageError(`--time-format-out: "${timeFormat}" is not iso, epoch-ms or epoch-s`);
  const { kindOf } = await import('../capture/convert.js');
  const inputs = await inputsOf(files, f);
  const csvInput = inputs.length === 1 && kindOf(inputs[0]!) === 'csv';
  const layout = f.layout;
  if (!csvInput && layout !== undefined && layout !== 'long' && layout !== 'wide')
    throw usageError(`--layout: "${layout}" is not long or wide`);
  return {
    inputs,
    convert: {
      output: f.output,
      ...(f.to !== undefined ? { to: f.to as 'jsonl' | 'csv' | 'parquet' } : {}),
      ...(!csvInput && (layout === 'long' || layout === 'wide') ? { layout } : {}),
      timeFormat: timeFormat as 'iso' | 'epoch-ms' | 'epoch-s',
      ...(f.tzOut !== undefined ? { tz: checkTimeZone(f.tzOut, '--tz-out') } : {}),
      ...(!csvInput && f.delimiter !== undefined ? { delimiter: delimiterOf(f.delimiter)! } : {}),
      tags: patterns(f.tags),
      ...(f.strict ? { strict: true } : {}),
      writer: writerOptions(f),
      ...(csvInput ? { csv: csvImportOptions(f) } : {}),
    },
  };
}

export type SliceFlags = ReadFlags &
  WriteFlags & { output: string; from?: string; to?: string; tz?: string; tags?: string[]; excludeTags?: string[]; keepRaw?: boolean };
export interface SliceCommandOptions {
  inputs: string[];
  slice: Omit<SliceOptions, 'onIssue'>;
}

export async function sliceOptions(files: string[], f: SliceFlags): Promise<SliceCommandOptions> {
  const range = timeRange(f);
  const { assertNotAnInput } = await import('../capture/path-guard.js');
  const inputs = await inputsOf(files, f);
  assertNotAnInput(f.output, inputs);
  return {
    inputs,
    slice: {
      output: f.output,
      ...range,
      tags: patterns(f.tags),
      excludeTags: patterns(f.excludeTags),
      ...(f.keepRaw ? { keepRaw: true } : {}),
      ...(f.strict ? { strict: true } : {}),
      writer: writerOptions(f),
    },
  };
}

export interface DiffFlags {
  tolerance: string;
  timeTolerance: string;
  tagTolerance?: string[];
  tags?: string[];
  from?: string;
  to?: string;
  tz?: string;
  ignoreQuality?: boolean;
  align: string;
  timeShift?: string;
  all?: boolean;
  maxDifferences: string;
  strict?: boolean;
}
export interface DiffCommandOptions {
  /** the reference capture */
  a: string;
  /** the capture to check */
  b: string;
  diff: Omit<DiffOptions, 'onIssue'>;
  /** list every tag, not only those that differ */
  all: boolean;
}

export async function diffOptions(args: string[], f: DiffFlags): Promise<DiffCommandOptions> {
  const [a, b] = args as [string, string];
  const { parseTolerance, parseTagTolerance, DIFF_ALIGNS } = await import('../capture/diff.js');
  const align = DIFF_ALIGNS.find((x) => x === f.align);
  if (align === undefined)
    throw usageError(
      `--align ${f.align}: give pairs, nearest or hold`,
      'polled sources stamped at read time: --align hold (a poller of a replay) or nearest',
    );
  const timeShift =
    f.timeShift === undefined ? undefined : f.timeShift === 'auto' ? ('auto' as const) : signedDuration(f.timeShift, '--time-shift');
  const maxExamples = Number(f.maxDifferences);
  if (!Number.isInteger(maxExamples) || maxExamples < 0) throw usageError(`--max-differences: "${f.maxDifferences}" is not a whole number`);
  return {
    a,
    b,
    diff: {
      tolerance: parseTolerance(f.tolerance),
      timeToleranceMs: parseDuration(f.timeTolerance, '--time-tolerance', 'ms'),
      tagTolerances: (f.tagTolerance ?? []).map(parseTagTolerance),
      tags: patterns(f.tags),
      ...timeRange(f),
      ...(f.ignoreQuality ? { ignoreQuality: true } : {}),
      align,
      ...(timeShift !== undefined ? { timeShift } : {}),
      maxExamples,
      ...(f.strict ? { strict: true } : {}),
    },
    all: f.all === true,
  };
}

export type ImportFlags = WriteFlags & CsvFlags & { output: string };
export interface ImportCommandOptions {
  /** the CSV file */
  input: string;
  csv: CsvImportOptions;
}

export function importOptions(args: string[], f: ImportFlags): ImportCommandOptions {
  const opts = csvImportOptions(f);
  return { input: args[0]!, csv: { ...opts, output: f.output, writer: writerOptions(f) } };
}
