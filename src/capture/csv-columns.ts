import { usageError } from '../core/errors.js';
import { lookupUnit } from '../core/units.js';
import type { CsvRow } from './csv-parse.js';
import { tagMatcher } from './tag-match.js';

/** Which column of a CSV export is what: time, tag, value, quality (long) or one per tag (wide). */

export type CsvLayout = 'long' | 'wide';

export interface ColumnOptions {
  layout?: CsvLayout | 'auto';
  timeColumn?: string;
  tagColumn?: string;
  valueColumn?: string;
  qualityColumn?: string;
  include?: string[];
  exclude?: string[];
}

const TIME_NAMES = [
  'time',
  'timestamp',
  'datetime',
  'date_time',
  'date time',
  'date',
  'ts',
  't',
  '_time',
  'time stamp',
  'zeit',
  'zeitstempel',
  'datum',
  'fecha',
  'horodatage',
];
const TAG_NAMES = [
  'tag',
  'tagname',
  'tag_name',
  'tag name',
  'name',
  'signal',
  'point',
  'pointname',
  'point_name',
  'variable',
  'item',
  'itemid',
  'sensor',
  'channel',
  '_field',
];
const VALUE_NAMES = ['value', 'v', 'val', '_value', 'reading', 'wert', 'valor'];
const QUALITY_NAMES = ['quality', 'q', 'status', 'qualitycode', 'quality_code', 'qualität', 'qualitaet'];

function findColumn(
  headers: string[],
  wanted: string | undefined,
  names: readonly string[],
  what: string,
  file: string,
): number | undefined {
  if (wanted !== undefined) {
    const exact = headers.findIndex((h) => h === wanted);
    if (exact >= 0) return exact;
    const ci = headers.findIndex((h) => h.trim().toLowerCase() === wanted.trim().toLowerCase());
    if (ci >= 0) return ci;
    if (/^\d+$/.test(wanted) && Number(wanted) >= 1 && Number(wanted) <= headers.length) return Number(wanted) - 1;
    throw usageError(
      `${file}:1: no ${what} column ${show(wanted)}`,
      `the columns are: ${headers.map((h) => JSON.stringify(h)).join(', ')} (or give a 1-based number)`,
    );
  }
  for (const n of names) {
    const i = headers.findIndex((h) => h.trim().toLowerCase() === n);
    if (i >= 0) return i;
  }
  return undefined;
}

/** Splits "Power [kW]" / "Power (kW)" into a tag name and a known unit. */
function splitUnit(header: string): { name: string; unit?: string } {
  const m = /^(.*?)\s*[[(]([^\])]+)[\])]\s*$/.exec(header);
  if (m && m[1] && lookupUnit(m[2]!)) return { name: m[1], unit: m[2]! };
  return { name: header };
}

export interface Plan {
  layout: CsvLayout;
  headers: string[];
  time: number;
  tag?: number;
  value?: number;
  quality?: number;
  sourceTime?: number;
  serverTime?: number;
  extra?: number;
  /** wide: the tag columns */
  columns: Array<{ index: number; name: string; unit?: string }>;
}

export function planColumns(headers: string[], opts: ColumnOptions, file: string): Plan {
  const time = findColumn(headers, opts.timeColumn, TIME_NAMES, 'time', file) ?? 0;
  const tag = findColumn(headers, opts.tagColumn, TAG_NAMES, 'tag', file);
  const value = findColumn(headers, opts.valueColumn, VALUE_NAMES, 'value', file);
  let layout: CsvLayout;
  if (opts.layout === 'long' || opts.layout === 'wide') layout = opts.layout;
  else layout = tag !== undefined && value !== undefined ? 'long' : 'wide';
  if (layout === 'long') {
    if (tag === undefined || value === undefined) {
      throw usageError(
        `${file}:1: a long CSV needs a tag and a value column`,
        `name them with --tag-column and --value-column; the columns are: ${headers.map(show).join(', ')}`,
      );
    }
    const plan: Plan = { layout, headers, time, tag, value, columns: [] };
    const quality = findColumn(headers, opts.qualityColumn, QUALITY_NAMES, 'quality', file);
    if (quality !== undefined) plan.quality = quality;
    const st = findColumn(headers, undefined, ['source_time'], '', file);
    const svt = findColumn(headers, undefined, ['server_time'], '', file);
    const extra = findColumn(headers, undefined, ['extra'], '', file);
    if (st !== undefined) plan.sourceTime = st;
    if (svt !== undefined) plan.serverTime = svt;
    if (extra !== undefined) plan.extra = extra;
    return plan;
  }
  const include = tagMatcher(opts.include ?? []);
  const exclude = opts.exclude?.length ? tagMatcher(opts.exclude) : () => false;
  const columns: Plan['columns'] = [];
  const seen = new Map<string, number>();
  headers.forEach((h, index) => {
    if (index === time) return;
    const header = h.trim() || `column${index + 1}`;
    if (!include(header) || exclude(header)) return;
    const { name, unit } = splitUnit(header);
    const before = seen.get(name);
    if (before !== undefined)
      throw usageError(
        `${file}:1: columns ${before + 1} and ${index + 1} are both named ${show(name)}`,
        'rename one of them, or leave one out with --exclude',
      );
    seen.set(name, index);
    columns.push({ index, name, ...(unit ? { unit } : {}) });
  });
  if (columns.length === 0)
    throw usageError(`${file}:1: no value columns left to import`, `the columns are: ${headers.map(show).join(', ')}`);
  return { layout, headers, time, columns };
}

/** A cell or column name inside a message: quoted and escaped, so a message stays one line. */
export function show(text: string): string {
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text);
}

export function badRow(file: string, row: CsvRow, why: string, hint: string): never {
  throw usageError(`${file}:${row.line}: ${why}`, hint);
}
