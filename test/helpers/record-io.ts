import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { openCaptureSet } from '../../src/capture/capture-set.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord, EventLine, RawLine, SampleLine, TagInfo } from '../../src/capture/types.js';
import { createIO, type IO } from '../../src/core/io.js';

const created: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-test-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Polls until `check` is true (no assertion on how long it takes; the test timeout bounds it). */
export async function waitFor(check: () => boolean | Promise<boolean>, everyMs = 25): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}

export interface TestIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

/** An IO for running commands in-process: no TTY, no colour, output kept. */
export function testIO(flags: { json?: boolean; quiet?: boolean; debug?: boolean } = {}, env: NodeJS.ProcessEnv = {}): TestIO {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.setEncoding('utf8').on('data', (d: string) => (o += d));
  err.setEncoding('utf8').on('data', (d: string) => (e += d));
  const io = createIO(flags, { stdout: out, stderr: err, env: { NO_COLOR: '1', ...env } });
  return { io, stdout: () => o, stderr: () => e };
}

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
