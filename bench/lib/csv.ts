/** Minimal CSV reading for the evaluation scripts (the public data sets are plain, unquoted CSV). */
import { datasetText } from './datasets.js';

export interface Csv {
  header: string[];
  rows: string[][];
  col(name: string): string[];
  num(name: string): Float64Array;
}

/** A data set's CSV by its name under datasets/ without `.gz`, e.g. `readCsv('steel/Steel_industry_data.csv')`. */
export function readCsv(path: string, sep: string | RegExp = ','): Csv {
  let text = datasetText(path);
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
