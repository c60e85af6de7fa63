// Not `import ... from 'node:util'`: importing node:util as a module reads every export, and its
// lazy ones load a dozen modules (worker_threads among them) into every command that prints a table.
const { stripVTControlCharacters } = process.getBuiltinModule('node:util');

export type Align = 'left' | 'right';

export interface Column<Row> {
  header: string;
  value: (row: Row) => string;
  align?: Align;
}

/** Display width of a string, ignoring ANSI styling. */
export function width(s: string): number {
  return [...stripVTControlCharacters(s)].length;
}

function pad(s: string, w: number, align: Align): string {
  const fill = ' '.repeat(Math.max(0, w - width(s)));
  return align === 'right' ? fill + s : s + fill;
}

/** A plain text table: header, rule, rows; columns sized to their content. */
export function renderTable<Row>(
  rows: readonly Row[],
  columns: readonly Column<Row>[],
  opts: { indent?: string; headerStyle?: (s: string) => string } = {},
): string {
  const cells = rows.map((r) => columns.map((c) => c.value(r)));
  const widths = columns.map((c, i) => Math.max(width(c.header), ...cells.map((row) => width(row[i] ?? ''))));
  const indent = opts.indent ?? '';
  const hs = opts.headerStyle ?? ((s: string) => s);
  const line = (parts: string[]) => indent + parts.join('  ').replace(/\s+$/, '');
  const out = [line(columns.map((c, i) => hs(pad(c.header, widths[i]!, c.align ?? 'left'))))];
  out.push(line(widths.map((w) => '-'.repeat(w))));
  for (const row of cells) out.push(line(row.map((cell, i) => pad(cell, widths[i]!, columns[i]!.align ?? 'left'))));
  return out.join('\n');
}

/** "key: value" lines with the keys aligned. */
export function renderKeyValues(pairs: ReadonlyArray<readonly [string, string]>, indent = ''): string {
  const w = Math.max(0, ...pairs.map(([k]) => width(k)));
  return pairs.map(([k, v]) => `${indent}${pad(k, w, 'left')}  ${v}`).join('\n');
}

/** Numbers for people: a sensible number of significant digits, no exponent for ordinary sizes. */
export function formatNumber(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e15 || a < 1e-6) return x.toExponential(digits - 1);
  // digits grouped by three with spaces, by hand: toLocaleString starts ICU's number formatting, a
  // cost every command that prints a count paid at start-up (below 1e15, String(x) has no exponent)
  if (Number.isInteger(x)) return String(x).replace(/\B(?=(\d{3})+$)/g, ' ');
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(a)));
  return Number(x.toFixed(Math.min(decimals, 12))).toString();
}
