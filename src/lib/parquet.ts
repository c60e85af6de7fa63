/** Parquet export from scripts: `iiot capture convert --to parquet` as a function. */

import { expandParts } from '../capture/capture-set.js';
import type { ParquetExportResult } from '../capture/parquet.js';
import { assertNotAnInput } from '../capture/path-guard.js';
import type { CaptureIssue } from '../capture/types.js';

export interface ParquetOptions {
  /** only these tags (names or `*` patterns) */
  tags?: string[];
  allParts?: boolean;
  strict?: boolean;
  onIssue?: (issue: CaptureIssue) => void;
}

/** Writes the samples of the capture(s) to one Parquet file (columns in docs/capture-format.md, "Parquet export"). */
export async function toParquet(
  files: string | readonly string[],
  output: string,
  opts: ParquetOptions = {},
): Promise<ParquetExportResult> {
  const paths = await expandParts(typeof files === 'string' ? [files] : [...files], opts.allParts === true);
  assertNotAnInput(output, paths);
  const { allParts: _a, ...rest } = opts;
  // imported when used: the Parquet writer is not loaded by `import 'iiot'`
  const { captureToParquet } = await import('../capture/parquet.js');
  return captureToParquet(paths, { output, ...rest });
}
