import { open, type FileHandle } from 'node:fs/promises';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import { gzip as gzipCallback } from 'node:zlib';
import { IiotError } from '../core/errors.js';
import { stageFile, type ReplaceOptions, type StagedFile } from '../core/output-file.js';
import { ExitCode } from '../core/exit-codes.js';
import { captureTime, encodeRecord, encodeSample, stringifyJson, type WritableValue } from './encode.js';
import { fileError } from './fs-errors.js';
import { makeHeader } from './header.js';
import { timeMs } from './iso-time.js';
import { partPath } from './parts.js';
import type { CaptureRecord, EventKind, SampleValue, SourceInfo, TagInfo } from './types.js';

const gzip = promisify(gzipCallback);

/**
 * The streaming capture writer (docs/capture-format.md). Lines are buffered and appended at least
 * every flushIntervalMs and whenever 1 MiB is pending, so memory stays bounded and a crash loses at
 * most the last interval. A .gz file gets one gzip member per flush: concatenated members are valid
 * gzip, and a kill -9 leaves every earlier member readable.
 */

export interface WriterOptions {
  /** at most this long between a write() and its line reaching the file (default 1000 ms) */
  flushIntervalMs?: number;
  /** start a new part when the current one would exceed this size (plain: exact; .gz: checked after each flush) */
  rotateBytes?: number;
  /** start a new part when a record's time is this far past the part's first record (record time, not wall clock) */
  rotateMs?: number;
  /** refuse to overwrite an existing file (default: an existing file is replaced) */
  exclusive?: boolean;
  /**
   * A capture made in one go (generate, slice, convert, import) rather than recorded: each part is
   * written under a temporary name and renamed into place by close(), refusing an existing name
   * unless force (core/output-file.ts); abort() removes it. Without it, parts stream into their
   * final names, so that a crash keeps what was recorded.
   */
  staged?: ReplaceOptions;
  /** gzip level 1-9 for .gz files (default 6) */
  gzipLevel?: number;
}

export interface HeaderInit {
  sources: SourceInfo[];
  tags: TagInfo[];
  metadata?: Record<string, unknown>;
  created?: Date;
}

export interface CaptureWriter {
  /** file being written now */
  readonly path: string;
  /** every part written so far (rotation) */
  readonly files: readonly string[];
  /** records accepted so far (the header not counted); all of them are on disk after flush() */
  readonly recordsWritten: number;
  /** buffered; throws IiotError if an earlier write failed (disk full...) */
  write(record: CaptureRecord): void;
  sample(tag: string, t: Date | number | string, v: SampleValue | bigint, extra?: { q?: string; st?: string; svt?: string }): void;
  event(kind: EventKind, t: Date | number | string, fields?: Record<string, unknown>): void;
  /** a "config" event carrying new tags; later parts of a rotated capture list them in their header */
  addTags(tags: TagInfo[], t?: Date | number | string): void;
  /** writes what is buffered; awaiting it is also the way to apply backpressure */
  flush(): Promise<void>;
  /** flush, fsync, close; idempotent */
  close(): Promise<void>;
  /** stop after a failure or Ctrl-C: a staged capture is removed, a streamed one is closed as it is */
  abort(): Promise<void>;
}

const HIGH_WATER_BYTES = 1 << 20;

interface Part {
  readonly index: number;
  readonly path: string;
  /** staged: the temporary file written instead of path, renamed to it when the part is complete */
  readonly stage: StagedFile | undefined;
  fh: FileHandle | undefined;
  /** bytes on disk */
  bytes: number;
  /** bytes accepted (on disk + pending), uncompressed */
  accepted: number;
  firstMs: number | undefined;
  records: number;
}

/**
 * Lines waiting for one part. They are gathered as a short string and encoded into buffers a
 * few kilobytes at a time: one Buffer#write per line costs more than the line, and thousands of
 * retained strings keep the garbage collector busy.
 */
interface Segment {
  readonly part: Part;
  buffers: Buffer[];
  /** the buffer being filled: buffers[buffers.length - 1] */
  fill: Buffer;
  used: number;
  /** lines not yet encoded */
  text: string;
  records: number;
}

const SEGMENT_BUFFER_BYTES = 256 * 1024;
const TEXT_BATCH_CHARS = 16 * 1024;

function newSegment(part: Part): Segment {
  const fill = Buffer.allocUnsafe(SEGMENT_BUFFER_BYTES);
  return { part, buffers: [fill], fill, used: 0, text: '', records: 0 };
}

/** Moves the segment's pending text into its buffers. */
function encodeText(seg: Segment): void {
  const text = seg.text;
  if (text === '') return;
  seg.text = '';
  // a UTF-8 character takes at most 3 bytes per UTF-16 unit
  const room = text.length * 3;
  if (seg.used + room > seg.fill.length) {
    seg.buffers[seg.buffers.length - 1] = seg.fill.subarray(0, seg.used);
    seg.fill = Buffer.allocUnsafe(Math.max(SEGMENT_BUFFER_BYTES, room));
    seg.buffers.push(seg.fill);
    seg.used = 0;
  }
  seg.used += seg.fill.write(text, seg.used, 'utf8');
}

function segmentData(seg: Segment): Buffer[] {
  encodeText(seg);
  return seg.buffers.map((b) => (b === seg.fill ? b.subarray(0, seg.used) : b));
}

class StreamingCaptureWriter implements CaptureWriter {
  private readonly first: string;
  private readonly gz: boolean;
  private readonly opts: WriterOptions;
  private readonly init: HeaderInit;
  private readonly rotating: boolean;
  private readonly exactSizes: boolean;
  private readonly tagList: TagInfo[];
  private readonly parts: string[] = [];
  private current: Part;
  private pending: Segment[] = [];
  /** parts that rotation has left and that the next flush must sync and close */
  private retired: Part[] = [];
  private pendingBytes = 0;
  private chain: Promise<void> = Promise.resolve();
  /** a flush is queued and has not yet taken the pending lines */
  private flushQueued = false;
  private failure: IiotError | undefined;
  private closing: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private accepted = 0;
  private flushed = 0;

  constructor(path: string, init: HeaderInit, opts: WriterOptions) {
    this.first = path;
    this.gz = path.toLowerCase().endsWith('.gz');
    this.opts = opts;
    this.init = init;
    this.tagList = [...init.tags];
    this.rotating = (opts.rotateBytes ?? 0) > 0 || (opts.rotateMs ?? 0) > 0;
    this.exactSizes = (opts.rotateBytes ?? 0) > 0 && !this.gz;
    this.current = this.startPart(1);
  }

  get path(): string {
    return this.current.path;
  }

  get files(): readonly string[] {
    return this.parts;
  }

  get recordsWritten(): number {
    return this.accepted;
  }

  startTimer(): void {
    const every = this.opts.flushIntervalMs ?? 1000;
    this.timer = setInterval(
      () => {
        if (this.pendingBytes > 0) this.flushInBackground();
      },
      Math.max(1, every),
    );
    // The writer must not keep a process alive; close() is what finishes a capture.
    this.timer.unref();
  }

  private startPart(index: number): Part {
    const path = partPath(this.first, index);
    const stage = this.opts.staged ? stageFile(path, this.opts.staged) : undefined;
    const part: Part = { index, path, stage, fh: undefined, bytes: 0, accepted: 0, firstMs: undefined, records: 0 };
    this.parts.push(path);
    const header = makeHeader({
      sources: this.init.sources,
      tags: index === 1 ? this.init.tags : this.tagList,
      ...(this.init.metadata ? { metadata: this.init.metadata } : {}),
      ...(this.init.created ? { created: this.init.created } : {}),
      ...(this.rotating ? { part: { index, first: basename(this.first) } } : {}),
    });
    this.current = part;
    if (stage) this.staging.push(part);
    this.enqueue(`${stringifyJson(header)}\n`, 0);
    return part;
  }

  private enqueue(line: string, records: number): void {
    let seg = this.pending[this.pending.length - 1];
    if (seg === undefined || seg.part !== this.current) {
      seg = newSegment(this.current);
      this.pending.push(seg);
    }
    seg.text += line;
    seg.records += records;
    // rotation by size needs exact bytes; otherwise UTF-16 units will do (lines are nearly all ASCII)
    const size = this.exactSizes ? Buffer.byteLength(line) : line.length;
    this.pendingBytes += size;
    this.current.accepted += size;
    if (seg.text.length >= TEXT_BATCH_CHARS) encodeText(seg);
    if (this.pendingBytes >= HIGH_WATER_BYTES) this.flushInBackground();
  }

  private checkWritable(): void {
    if (this.failure) throw this.failure;
    if (this.closing) {
      throw new IiotError(ExitCode.Internal, `capture writer: ${this.current.path} is already closed`, {
        hint: 'this is a bug in the code that feeds the capture writer',
      });
    }
  }

  private append(line: string, t: string): void {
    this.checkWritable();
    const opts = this.opts;
    let part = this.current;
    const ms = opts.rotateMs ? timeMs(t) : NaN;
    if (this.rotating && part.records > 0) {
      const byTime = opts.rotateMs !== undefined && opts.rotateMs > 0 && part.firstMs !== undefined && ms - part.firstMs >= opts.rotateMs;
      const size = opts.rotateBytes ?? 0;
      const bySize = size > 0 && (this.gz ? part.bytes >= size : part.accepted + Buffer.byteLength(line) > size);
      if (byTime || bySize) {
        this.retired.push(part);
        part = this.startPart(part.index + 1);
      }
    }
    if (part.firstMs === undefined && !Number.isNaN(ms)) part.firstMs = ms;
    part.records++;
    this.accepted++;
    this.enqueue(line, 1);
  }

  write(record: CaptureRecord): void {
    this.checkWritable();
    const line = encodeRecord(record);
    this.noteTags(record);
    // rotation by time compares record times, so it needs this one's
    this.append(line, this.opts.rotateMs ? captureTime(record.t as Date | number | string) : '');
  }

  sample(tag: string, t: Date | number | string, v: SampleValue | bigint, extra?: { q?: string; st?: string; svt?: string }): void {
    this.checkWritable();
    const line = encodeSample(tag, t, v as WritableValue, extra);
    this.append(line, this.opts.rotateMs ? captureTime(t) : '');
  }

  event(kind: EventKind, t: Date | number | string, fields: Record<string, unknown> = {}): void {
    const record: Record<string, unknown> = { t: captureTime(t), event: kind };
    for (const [k, v] of Object.entries(fields)) if (k !== 't' && k !== 'event') record[k] = v;
    this.write(record as CaptureRecord);
  }

  addTags(tags: TagInfo[], t: Date | number | string = new Date()): void {
    this.event('config', t, { tags });
  }

  private noteTags(record: CaptureRecord): void {
    const r = record as Record<string, unknown>;
    if (r.event !== 'config' || !Array.isArray(r.tags)) return;
    for (const tag of r.tags as TagInfo[]) {
      const i = this.tagList.findIndex((x) => x.name === tag.name);
      if (i >= 0) this.tagList[i] = tag;
      else this.tagList.push(tag);
    }
  }

  private flushInBackground(): void {
    if (this.flushQueued) return;
    // The error is kept in this.failure and thrown by the next write(), flush() or close().
    this.flush().catch(() => undefined);
  }

  flush(): Promise<void> {
    this.flushQueued = true;
    this.chain = this.chain
      .catch(() => undefined)
      .then(() => {
        this.flushQueued = false;
        return this.writePending();
      });
    return this.chain;
  }

  private async writePending(): Promise<void> {
    if (this.failure) throw this.failure;
    const segments = this.pending;
    const retired = this.retired;
    this.pending = [];
    this.retired = [];
    this.pendingBytes = 0;
    for (const seg of segments) {
      const part = seg.part;
      let before = part.bytes;
      try {
        if (part.fh === undefined) part.fh = await open(part.stage?.tmp ?? part.path, this.opts.exclusive || part.stage ? 'wx' : 'w');
        before = part.bytes;
        const buffers = segmentData(seg);
        const data = this.gz
          ? [await gzip(buffers.length === 1 ? buffers[0]! : Buffer.concat(buffers), { level: this.opts.gzipLevel ?? 6 })]
          : buffers;
        part.bytes += await writeAll(part.fh, data);
        this.flushed += seg.records;
      } catch (err) {
        if (err instanceof IiotError) throw err;
        // Cut back to the last complete flush: the file stays a clean capture, not a torn one.
        await part.fh?.truncate(before).catch(() => undefined);
        const verb = part.fh === undefined ? (this.opts.exclusive ? 'create (exclusive)' : 'create') : 'write';
        this.failure = fileError(verb, part.path, err, `the ${this.flushed} records written before stay readable`);
        throw this.failure;
      }
    }
    for (const part of retired) {
      try {
        await this.finishPart(part);
      } catch (err) {
        this.failure = fileError('sync', part.path, err);
        throw this.failure;
      }
    }
  }

  private async finishPart(part: Part): Promise<void> {
    const fh = part.fh;
    if (fh === undefined) return;
    part.fh = undefined;
    try {
      await fh.sync();
    } finally {
      await fh.close();
    }
    part.stage?.commit();
  }

  private staging: Part[] = [];

  abort(): Promise<void> {
    if (!this.opts.staged) return this.close().catch(() => undefined);
    clearInterval(this.timer);
    this.failure ??= new IiotError(ExitCode.Internal, `capture writer: ${this.current.path} was abandoned`);
    this.closing ??= (async () => {
      await this.chain.catch(() => undefined);
      for (const part of [...this.staging, ...this.retired, this.current]) {
        await part.fh?.close().catch(() => undefined);
        part.fh = undefined;
        part.stage?.discard();
      }
    })();
    return this.closing.catch(() => undefined);
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      clearInterval(this.timer);
      let error: unknown;
      try {
        await this.flush();
      } catch (err) {
        error = err;
      }
      try {
        if (error === undefined) await this.finishPart(this.current);
      } catch (err) {
        error = fileError('sync', this.current.path, err);
      }
      // after a failure, release whatever is still open
      await this.current.fh?.close().catch(() => undefined);
      this.current.fh = undefined;
      if (error !== undefined) {
        // a staged capture that could not be finished never reaches its final name
        for (const part of this.staging) part.stage?.discard();
        throw error;
      }
    })();
    return this.closing;
  }
}

async function writeAll(fh: FileHandle, buffers: Buffer[]): Promise<number> {
  let total = 0;
  for (const data of buffers) {
    let off = 0;
    while (off < data.length) {
      const { bytesWritten } = await fh.write(data, off, data.length - off);
      off += bytesWritten;
    }
    total += data.length;
  }
  return total;
}

/**
 * Creates the file (or part 1 of a rotated set) and writes its header before resolving, so the
 * capture is self-describing from its first moment.
 */
export async function createCaptureWriter(path: string, init: HeaderInit, opts: WriterOptions = {}): Promise<CaptureWriter> {
  const writer = new StreamingCaptureWriter(path, init, opts);
  try {
    await writer.flush();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  writer.startTimer();
  return writer;
}
