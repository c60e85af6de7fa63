/** Minimal CSV reading for the evaluation scripts (the public data sets are plain, unquoted CSV). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The shared data sets, relative to the project root (../shared/datasets). */
export const DATASETS = fileURLToPath(new URL('../../../shared/datasets/', import.meta.url));

export interface Csv {
  header: string[];
  rows: string[][];
  col(name: string): string[];
  num(name: string): Float64Array;
}

export function readCsv(path: string, sep: string | RegExp = ','): Csv {
  let text = readFileSync(path, 'utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1); // byte-order mark (steel data set)
  const lines = text.split(/\r?\n/).filter((l) => l.trim() !== '');
  const header = lines[0]!.split(sep).map((h) => h.trim());
  const rows = lines.slice(1).map((l) => l.split(sep));
  const index = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new Error(`${path}: no column ${name}`);
    return i;
  };
  return {
    header,
    rows,
    col: (name) => rows.map((r) => r[index(name)] ?? ''),
    num: (name) => Float64Array.from(rows.map((r) => Number(r[index(name)]))),
  };
}
