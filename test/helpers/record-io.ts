import { openCaptureSet } from '../../src/capture/capture-set.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord, EventLine, RawLine, SampleLine, TagInfo } from '../../src/capture/types.js';

// The shared helpers, under the names the record and replay tests use.
export { captureIO as testIO, type CapturedIO as TestIO } from './io.js';
export { removeTempDirs, tempDir } from './temp.js';
export { waitFor } from './wait.js';

export interface ReadBack {
  header: CaptureHeader;
  tags: TagInfo[];
  records: CaptureRecord[];
  samples: SampleLine[];
  events: EventLine[];
  raw: RawLine[];
  issues: CaptureIssue[];
}

export async function readCapture(...paths: string[]): Promise<ReadBack> {
  const issues: CaptureIssue[] = [];
  const set = await openCaptureSet(paths, { onIssue: (i) => issues.push(i) });
  const records: CaptureRecord[] = [];
  for await (const b of set.batches()) records.push(...b);
  return {
    header: set.header,
    tags: set.tags(),
    records,
    samples: records.filter((r): r is SampleLine => 'tag' in r),
    events: records.filter((r): r is EventLine => 'event' in r),
    raw: records.filter((r): r is RawLine => 'raw' in r),
    issues,
  };
}
