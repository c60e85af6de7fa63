import type { Styler } from '../render/color.js';
import { formatDuration } from '../core/units.js';
import { formatNumber } from '../render/table.js';
import type { ConvertResult } from '../capture/convert.js';
import type { CsvImportResult } from '../capture/csv-import.js';
import type { SliceResult } from '../capture/slice.js';
import type { ValidationResult } from '../capture/validate.js';

/** Short human summaries of validate, convert, slice and import. */

function n(x: number, word: string): string {
  return `${formatNumber(x)} ${word}${x === 1 ? '' : 's'}`;
}

export function renderValidation(r: ValidationResult, style: Styler): string {
  const out: string[] = [];
  for (const i of r.issues) {
    const where = i.line > 0 ? `${i.file}:${i.line}` : i.file;
    out.push(`${where}: ${i.severity === 'error' ? style.red('error') : style.yellow('warning')}: ${i.message}`);
  }
  const listed = r.issues.length;
  const total = r.errors + r.warnings;
  if (total > listed) out.push(`... ${total - listed} more not listed (--max-issues)`);
  const files = r.files.length === 1 ? r.files[0]! : `${r.files.length} files`;
  const verdict = r.valid ? style.green('valid') : style.red('not valid');
  out.push(`${files}: ${verdict}: ${n(r.lines, 'line')}, ${n(r.records, 'record')}, ${n(r.errors, 'error')}, ${n(r.warnings, 'warning')}`);
  return out.join('\n');
}

export function renderConvert(r: ConvertResult): string {
  if (r.import) return renderImport(r.import);
  const parts = [`wrote ${r.outputs.join(', ')}: ${n(r.samples, 'sample')}`];
  if (r.rows !== undefined && r.layout === 'wide') parts.push(n(r.rows, 'row'));
  const out = [parts.join(', ')];
  if (r.to === 'parquet')
    out[0] += `, ${n(r.rowGroups ?? 0, 'row group')} (Parquet: time, tag, value, value_text, quality, source, source_time, server_time, extra)`;
  if (r.leftOut.events || r.leftOut.raw)
    out.push(
      `left out (${r.to === 'parquet' ? 'Parquet' : 'CSV'} has no place for them): ${n(r.leftOut.events, 'event')}, ${n(r.leftOut.raw, 'raw message')}`,
    );
  if (r.subMicrosecond)
    out.push(
      `${n(r.subMicrosecond, 'time')} had digits finer than a microsecond: rounded to the microsecond (Parquet timestamps as Spark reads them)`,
    );
  if (r.qualityDropped)
    out.push(`${n(r.qualityDropped, 'sample')} had a quality the wide layout cannot show (use --layout long to keep it)`);
  if (r.overwritten)
    out.push(`${n(r.overwritten, 'sample')} shared a time with another sample of the same tag; the wide layout kept the last`);
  return out.join('\n');
}

export function renderSlice(r: SliceResult): string {
  const w = r.written;
  const range = r.from || r.to ? ` from ${r.from ?? 'the start'} to ${r.to ?? 'the end'}` : '';
  return `wrote ${r.outputs.join(', ')}${range}: ${n(w.samples, 'sample')}, ${n(w.events, 'event')}, ${formatNumber(w.raw)} raw (of ${n(r.read, 'record')} read; ${n(r.tags.length, 'tag')})`;
}

export function renderImport(r: CsvImportResult): string {
  const delim = r.delimiter === '\t' ? 'tab' : `"${r.delimiter}"`;
  const out = [
    `wrote ${r.outputs.join(', ')}: ${n(r.samples, 'sample')} of ${n(r.tags.length, 'tag')} from ${n(r.rows, 'row')} (${r.layout} layout, delimiter ${delim}${r.decimalComma ? ', decimal comma' : ''})`,
    `time: column "${r.timeColumn}", format ${r.timeFormat}, zone ${r.tz}${r.midnightEndsDay ? ', 00:00 read as the end of the day' : ''}${r.timeOffsetMs ? `, moved by ${r.timeOffsetMs < 0 ? '-' : '+'}${formatDuration(Math.abs(r.timeOffsetMs))}` : ''}${r.span.first ? `; ${r.span.first} .. ${r.span.last}` : ''}`,
  ];
  if (r.intervalEnd)
    out.push(
      `the times mark the end of each ${r.intervalMs !== undefined ? `${formatDuration(r.intervalMs)} ` : ''}interval: written into the header (tag field "interval"), so analyze energy reads each value as the interval before its time`,
    );
  if (r.siteTimeZone)
    out.push(`site time zone ${r.siteTimeZone} written into the header (metadata.timezone): analyses report local days and times in it`);
  const notGood = r.tags.filter((t) => t.notGood > 0);
  if (notGood.length)
    out.push(`text in numeric columns (written as null with q = the text): ${notGood.map((t) => `${t.name} ${t.notGood}`).join(', ')}`);
  return out.join('\n');
}
