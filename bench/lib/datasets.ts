/**
 * The evaluation data sets kept in the repository (datasets/, gzip-compressed; see its README).
 * Evaluations read them as text, or ask for a plain copy when a command line needs a file path.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

export const DATASETS = fileURLToPath(new URL('../../datasets/', import.meta.url));
const UNPACKED = fileURLToPath(new URL('../out/datasets/', import.meta.url));

/** The text of a data set file, e.g. `datasetText('cmapss/train_FD001.txt')`. */
export function datasetText(rel: string): string {
  return gunzipSync(readFileSync(join(DATASETS, `${rel}.gz`))).toString('utf8');
}

/** A plain copy of a data set file under bench/out/datasets/ (unpacked once), for commands that take a path. */
export function datasetFile(rel: string): string {
  const out = join(UNPACKED, rel);
  if (!existsSync(out)) {
    mkdirSync(dirname(out), { recursive: true });
    const tmp = `${out}.tmp-${process.pid}`;
    writeFileSync(tmp, gunzipSync(readFileSync(join(DATASETS, `${rel}.gz`))));
    renameSync(tmp, out);
  }
  return out;
}
