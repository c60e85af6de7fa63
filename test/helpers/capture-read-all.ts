import { openCapture, type ReadOptions } from '../../src/capture/reader.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord } from '../../src/capture/types.js';

export interface ReadBack {
  header: CaptureHeader;
  records: CaptureRecord[];
  issues: CaptureIssue[];
}

/** Every record and issue of a capture (tests only: holds the capture in memory). */
export async function readAll(path: string, opts: ReadOptions = {}): Promise<ReadBack> {
  const issues: CaptureIssue[] = [];
  const reader = await openCapture(path, { ...opts, onIssue: (i) => issues.push(i) });
  const records: CaptureRecord[] = [];
  for await (const batch of reader.batches()) records.push(...batch);
  return { header: reader.header, records, issues };
}
