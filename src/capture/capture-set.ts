import { usageError } from '../core/errors.js';
import { listCaptureParts } from './parts.js';
import { openCapture, type CaptureReader, type ReadOptions } from './reader.js';
import type { CaptureHeader, CaptureRecord, TagInfo } from './types.js';

/**
 * Several files read as one capture, in the order given: the parts of a rotated recording, or
 * captures the user lists together. The first header describes the set; tags are the union of
 * every header and config event read so far. Parts are opened one at a time, when reached.
 */
export interface CaptureSet {
  readonly paths: readonly string[];
  /** header of the first file */
  readonly header: CaptureHeader;
  /** headers of the files opened so far */
  readonly headers: readonly CaptureHeader[];
  tags(): TagInfo[];
  batches(): AsyncIterable<CaptureRecord[]>;
  readonly linesRead: number;
  readonly issueCount: number;
  /** path of the file being read now */
  readonly currentPath: string;
  /** with trackLines: line numbers of the records of the batch last yielded */
  readonly batchLines: readonly number[];
  close(): Promise<void>;
}

class SequentialCaptureSet implements CaptureSet {
  readonly paths: readonly string[];
  readonly headers: CaptureHeader[] = [];
  private readonly opts: ReadOptions;
  private current: CaptureReader;
  private readonly done: CaptureReader[] = [];
  private started = false;

  constructor(paths: readonly string[], first: CaptureReader, opts: ReadOptions) {
    this.paths = paths;
    this.current = first;
    this.headers.push(first.header);
    this.opts = opts;
  }

  get header(): CaptureHeader {
    return this.headers[0]!;
  }

  get linesRead(): number {
    return this.done.reduce((n, r) => n + r.linesRead, 0) + this.current.linesRead;
  }

  get issueCount(): number {
    return this.done.reduce((n, r) => n + r.issueCount, 0) + this.current.issueCount;
  }

  get currentPath(): string {
    return this.current.path;
  }

  get batchLines(): readonly number[] {
    return this.current.batchLines;
  }

  tags(): TagInfo[] {
    const byName = new Map<string, TagInfo>();
    for (const r of [...this.done, this.current]) for (const t of r.tags()) byName.set(t.name, t);
    return [...byName.values()];
  }

  async *batches(): AsyncIterable<CaptureRecord[]> {
    if (this.started) throw usageError('capture set: already being read');
    this.started = true;
    try {
      for (let i = 0; i < this.paths.length; i++) {
        if (i > 0) {
          this.done.push(this.current);
          this.current = await openCapture(this.paths[i]!, this.opts);
          this.headers.push(this.current.header);
        }
        yield* this.current.batches();
      }
    } finally {
      await this.close();
    }
  }

  async close(): Promise<void> {
    await this.current.close();
  }
}

export async function openCaptureSet(paths: readonly string[], opts: ReadOptions = {}): Promise<CaptureSet> {
  if (paths.length === 0) throw usageError('no capture file given', 'give the path of a capture file (.jsonl or .jsonl.gz)');
  const first = await openCapture(paths[0]!, opts);
  return new SequentialCaptureSet(paths, first, opts);
}

/** The files the user named, with each first part expanded to its rotated set when asked. */
export async function expandParts(paths: readonly string[], allParts: boolean): Promise<string[]> {
  if (!allParts) return [...paths];
  const out: string[] = [];
  for (const p of paths) for (const part of await listCaptureParts(p)) if (!out.includes(part)) out.push(part);
  return out;
}
