import { usageError } from '../core/errors.js';
import { badRow, show, type Plan } from './csv-columns.js';
import { csvRows, type CsvRow } from './csv-parse.js';
import {
  candidateFormats,
  describeTimeFormat,
  isMidnightText,
  timeReader,
  type TimeFormat,
  type TimeReadOptions,
  type TimeReader,
} from './csv-time.js';
import type { TagMatcher } from './tag-match.js';

/**
 * Pass 1 of a CSV import: reads every row once, before anything is written, to settle the time
 * format (day-first or month-first dates are told apart by the data), the decimal separator and
 * each tag's type, and to fail on a bad row with file:line.
 */

export const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;
export const COMMA_NUMBER = /^[-+]?\d{1,3}(?:\.\d{3})*,\d+$|^[-+]?\d+,\d+$/;
const DOT_DECIMAL = /^[-+]?\d*\.\d+(?:[eE][-+]?\d+)?$/;

export type CellType = 'number' | 'bool' | 'string';

/** What the cells of one tag look like. */
export class CellStats {
  numbers = 0;
  bools = 0;
  strings = 0;
  empty = 0;
  commaDecimals = 0;
  dotDecimals = 0;

  add(cell: string): void {
    const s = cell.trim();
    if (s === '') this.empty++;
    else if (NUMBER.test(s)) {
      this.numbers++;
      if (DOT_DECIMAL.test(s)) this.dotDecimals++;
    } else if (COMMA_NUMBER.test(s)) {
      this.numbers++;
      this.commaDecimals++;
    } else if (/^(true|false)$/i.test(s)) this.bools++;
    else this.strings++;
  }

  /** Numbers with some text (Bad, #N/A) are a numeric tag whose text cells become qualities. */
  dataType(): CellType {
    if (this.numbers > 0 && this.bools === 0) return 'number';
    if (this.bools > 0 && this.numbers === 0 && this.strings === 0) return 'bool';
    return 'string';
  }
}

interface Candidate {
  format: TimeFormat;
  read: TimeReader;
  alive: boolean;
  prev: number;
  min: number;
  max: number;
  backwards: number;
  midnightBackwards: number;
}

export interface SurveyOptions {
  /** undefined: detect from the first time cell */
  format: TimeFormat | undefined;
  read: TimeReadOptions;
  skipBadRows: boolean;
  wantedTag: TagMatcher;
}

export interface Survey {
  candidates: Candidate[];
  /** per tag name */
  stats: Map<string, CellStats>;
  /** long layout: the column each tag's values came from */
  columnOf: Map<string, string>;
  rows: number;
  skippedRows: number;
  /** lines of the rows left out (with skipBadRows) */
  badRows: Set<number>;
  firstBadTime?: { line: number; text: string };
}

/** A row with more non-empty fields than the header has columns is damaged (or split wrongly). */
function rowProblem(row: CsvRow, width: number): string | undefined {
  if (row.fields.length <= width) return undefined;
  if (row.fields.slice(width).every((f) => f.trim() === '')) return undefined;
  return `${row.fields.length} fields, but the header has ${width} (wrong delimiter, or an unquoted delimiter in a value?)`;
}

export async function surveyCsv(input: string, delimiter: string, headerLine: number, plan: Plan, opts: SurveyOptions): Promise<Survey> {
  const candidate = (format: TimeFormat): Candidate => ({
    format,
    read: timeReader(format, opts.read),
    alive: true,
    prev: NaN,
    min: Infinity,
    max: -Infinity,
    backwards: 0,
    midnightBackwards: 0,
  });
  let candidates = opts.format ? [candidate(opts.format)] : undefined;
  const survey: Survey = { candidates: [], stats: new Map(), columnOf: new Map(), rows: 0, skippedRows: 0, badRows: new Set() };
  const skip = (row: CsvRow, why: string, hint: string, text?: string) => {
    if (!opts.skipBadRows) badRow(input, row, why, hint);
    if (text !== undefined) survey.firstBadTime ??= { line: row.line, text };
    survey.skippedRows++;
    survey.badRows.add(row.line);
  };
  const headers = plan.headers;
  for await (const row of csvRows(input, delimiter)) {
    if (row.line === headerLine) continue;
    const problem = rowProblem(row, headers.length);
    if (problem) {
      skip(row, problem, 'fix the row, or give --skip-bad-rows to leave such rows out');
      continue;
    }
    const text = row.fields[plan.time] ?? '';
    if (candidates === undefined) {
      if (text.trim() === '') {
        skip(row, 'the time cell is empty', 'give --skip-bad-rows to leave such rows out', text);
        continue;
      }
      const found = candidateFormats(text);
      if (found.length === 0) {
        badRow(
          input,
          row,
          `cannot tell the format of the time ${show(text)} (column ${show(headers[plan.time]!)})`,
          'give --time-format: iso, epoch-s, epoch-ms, or a pattern such as "DD/MM/YYYY HH:mm"',
        );
      }
      candidates = found.map(candidate);
    }
    const results = candidates.map((c) => (c.alive ? c.read(text) : NaN));
    if (results.every((ms) => Number.isNaN(ms))) {
      // a row no live format reads is a bad row; it does not vote against any format
      const tried = candidates
        .filter((c) => c.alive)
        .map((c) => describeTimeFormat(c.format))
        .join(' or ');
      skip(
        row,
        `cannot read the time ${show(text)} as ${tried}`,
        'give the right --time-format (and --tz), or --skip-bad-rows to leave such rows out',
        text,
      );
      continue;
    }
    candidates.forEach((c, i) => {
      const ms = results[i]!;
      if (!c.alive) return;
      if (Number.isNaN(ms)) {
        c.alive = false;
        return;
      }
      if (ms < c.prev) {
        c.backwards++;
        if (isMidnightText(text)) c.midnightBackwards++;
      }
      c.prev = ms;
      if (ms < c.min) c.min = ms;
      if (ms > c.max) c.max = ms;
    });
    survey.rows++;
    if (plan.layout === 'wide') {
      for (const col of plan.columns) addCell(survey.stats, col.name, row.fields[col.index] ?? '');
    } else {
      const tag = (row.fields[plan.tag!] ?? '').trim();
      if (tag === '' || !opts.wantedTag(tag)) continue;
      if (!survey.columnOf.has(tag)) survey.columnOf.set(tag, headers[plan.value!] ?? 'value');
      addCell(survey.stats, tag, row.fields[plan.value!] ?? '');
    }
  }
  if (candidates === undefined)
    throw usageError(`${input}: no data rows under the header`, 'give a CSV file with a header line and data rows');
  survey.candidates = candidates;
  return survey;
}

function addCell(stats: Map<string, CellStats>, tag: string, cell: string): void {
  let s = stats.get(tag);
  if (!s) stats.set(tag, (s = new CellStats()));
  s.add(cell);
}

/**
 * Day-first or month-first, when no day above 12 tells: a recording runs forward and is
 * continuous, so the reading with fewer steps back in time and then (by a clear margin, 2x) the
 * shorter span is the plausible one. Undefined when nothing tells them apart.
 */
function plausibleReading(alive: Candidate[]): Candidate | undefined {
  const [a, b] = alive as [Candidate, Candidate];
  if (a.backwards !== b.backwards) return a.backwards < b.backwards ? a : b;
  const spanA = a.max - a.min;
  const spanB = b.max - b.min;
  if (spanA * 2 <= spanB) return a;
  if (spanB * 2 <= spanA) return b;
  return undefined;
}

function spanDays(c: Candidate): string {
  return ((c.max - c.min) / 86_400_000).toFixed(1);
}

export interface FormatChoice {
  format: TimeFormat;
  warnings: string[];
}

/**
 * The time format that read every row, or an error that says what to give. Refuses two traps
 * outright rather than write a wrong capture: Excel serial dates taken for epoch seconds, and
 * midnight labelled with the date of the day that ends.
 */
export function chooseTimeFormat(
  input: string,
  column: string,
  survey: Survey,
  opts: { detected: boolean; midnightEndsDay: boolean; allowBackwards: boolean },
): FormatChoice {
  const warnings: string[] = [];
  const alive = survey.candidates.filter((c) => c.alive);
  if (alive.length === 0) {
    throw usageError(
      `${input}: no time format reads every row of column ${show(column)}`,
      'give --time-format (and --skip-bad-rows for rows that really are bad)',
    );
  }
  const chosen = alive.length === 1 ? alive[0]! : plausibleReading(alive);
  if (chosen === undefined) {
    throw usageError(
      `${input}: the dates in column ${show(column)} read both day-first and month-first (no day above 12)`,
      `give --time-format "${describeTimeFormat(alive[0]!.format)}" or "${describeTimeFormat(alive[1]!.format)}"`,
    );
  }
  if (alive.length > 1) {
    const other = alive.find((c) => c !== chosen)!;
    warnings.push(
      `no day above 12 in column ${show(column)}: read as ${describeTimeFormat(chosen.format)}, which spans ${spanDays(chosen)} days in time order, rather than ${describeTimeFormat(other.format)} (${spanDays(other)} days); give --time-format if that is wrong`,
    );
  }
  // 1e11 ms is March 1973: epoch seconds that small are more likely Excel serial dates (days since 1900)
  if (opts.detected && chosen.format.kind === 'epoch' && chosen.format.unit === 's' && Math.abs(chosen.prev) < 1e11) {
    throw usageError(
      `${input}: the times in column ${show(column)} are small numbers (before 1973 as epoch seconds): Excel serial dates?`,
      'export the times as text, or give --time-format epoch-s if they really are seconds since 1970',
    );
  }
  if (chosen.backwards > 0 && chosen.midnightBackwards === chosen.backwards && !opts.midnightEndsDay && !opts.allowBackwards) {
    throw usageError(
      `${input}: the time goes back ${chosen.backwards} time${chosen.backwards === 1 ? '' : 's'}, always at 00:00: this export labels midnight with the date of the day that ends`,
      'give --midnight-ends-day to read 00:00 as 24:00 of the date written (the times then mark interval ends, and the header says so), or --allow-backwards to import the times as written',
    );
  }
  return { format: chosen.format, warnings };
}

/** A decimal comma when asked, or (auto) when the delimiter is not a comma and no number has a decimal point. */
export function chooseDecimalComma(
  survey: Survey,
  delimiter: string,
  given: boolean | 'auto' | undefined,
): { decimalComma: boolean; warnings: string[] } {
  if (given === true || given === false) return { decimalComma: given, warnings: [] };
  let comma = 0;
  let dot = 0;
  for (const s of survey.stats.values()) {
    comma += s.commaDecimals;
    dot += s.dotDecimals;
  }
  const warnings =
    comma > 0 && dot > 0
      ? ['some numbers have a decimal comma and others a decimal point; read with a decimal point (give --decimal-comma to change)']
      : [];
  return { decimalComma: delimiter !== ',' && comma > 0 && dot === 0, warnings };
}
