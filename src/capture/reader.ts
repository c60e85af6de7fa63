import { open, type FileHandle } from 'node:fs/promises';
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { parseCommonSample } from './fast-line.js';
import { fileError } from './fs-errors.js';
import { duplicateTagNames, parseHeader } from './header.js';
import { isGzipFile, readSource, type SourceItem, type SourceOptions } from './line-source.js';
import { recordProblem } from './record-check.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord, TagInfo } from './types.js';

export { timeMs } from './iso-time.js';

/**
 * The streaming capture reader (docs/capture-format.md). Records come in batches, one per block
 * of the file (about 256 KiB), in constant memory. A bad line is reported (file:line) and skipped;
 * the last line cut short by a crash is reported as torn; with `strict` either is an error.
 */

export interface ReadOptions extends SourceOptions {
  /** any bad or torn line is an IiotError (exit 2) naming file:line */
  strict?: boolean;
  /** called for each bad line (skipped) and a torn last line (torn: true) */
  onIssue?: (issue: CaptureIssue) => void;
  /** keep the line number of every record of the current batch in `batchLines` (validate uses it) */
  trackLines?: boolean;
}

export interface CaptureReader {
  readonly path: string;
  readonly header: CaptureHeader;
  /** header tags + tags from config events read so far */
  tags(): TagInfo[];
  /** constant memory, fast path; can be iterated once */
  batches(): AsyncIterable<CaptureRecord[]>;
  [Symbol.asyncIterator](): AsyncIterator<CaptureRecord>;
  /** lines read so far, header included */
  readonly linesRead: number;
  /** issues reported so far */
  readonly issueCount: number;
  /** with trackLines: line numbers of the records of the batch last yielded */
  readonly batchLines: readonly number[];
  close(): Promise<void>;
}

const STRICT_HINT = 'without --strict bad lines are skipped with a warning; `iiot capture validate FILE` lists every problem';

function jsonReason(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  // V8 quotes the whole input after the reason; the line number already says where
  return (
    m
      .replace(/,? ".*"(\.\.\.)? is not valid JSON$/s, '')
      .replace(/ in JSON at position \d+( \(line \d+ column \d+\))?/, '')
      .trim() || 'invalid JSON'
  );
}

interface Pending {
  item: SourceItem;
  /** where the unread part of a 'lines' item starts */
  pos: number;
  /** index (within the item) of the line at pos */
  index: number;
}

class StreamingCaptureReader implements CaptureReader {
  readonly path: string;
  readonly header: CaptureHeader;
  private readonly fh: FileHandle;
  private readonly items: AsyncGenerator<SourceItem>;
  private readonly opts: ReadOptions;
  private readonly extraTags = new Map<string, TagInfo>();
  private pending: Pending | undefined;
  private line: number;
  private issues = 0;
  private started = false;
  private closed = false;
  private lines: number[] = [];
  private readonly track: boolean;

  constructor(
    path: string,
    fh: FileHandle,
    items: AsyncGenerator<SourceItem>,
    header: CaptureHeader,
    rest: Pending | undefined,
    opts: ReadOptions,
  ) {
    this.path = path;
    this.fh = fh;
    this.items = items;
    this.header = header;
    this.pending = rest;
    this.opts = opts;
    this.line = 1;
    this.track = opts.trackLines === true;
  }

  get linesRead(): number {
    return this.line;
  }

  get issueCount(): number {
    return this.issues;
  }

  get batchLines(): readonly number[] {
    return this.lines;
  }

  tags(): TagInfo[] {
    if (this.extraTags.size === 0) return [...this.header.tags];
    const byName = new Map(this.header.tags.map((t) => [t.name, t]));
    for (const [name, tag] of this.extraTags) byName.set(name, tag);
    return [...byName.values()];
  }

  report(line: number, message: string, torn = false): void {
    this.issues++;
    if (this.opts.strict) throw usageError(`${this.path}:${line}: ${message}`, STRICT_HINT);
    this.opts.onIssue?.({ file: this.path, line, message, ...(torn ? { torn: true } : {}) });
  }

  /** JSON.parse and check one line; undefined (after reporting) when it is not a record. */
  private slowLine(s: string, line: number): CaptureRecord | undefined {
    let o: unknown;
    try {
      o = JSON.parse(s);
    } catch (err) {
      if (s.trim() === '') return undefined;
      this.report(line, `not valid JSON: ${jsonReason(err)}`);
      return undefined;
    }
    const problem = recordProblem(o);
    if (problem !== undefined) {
      this.report(line, problem);
      return undefined;
    }
    const r = o as CaptureRecord;
    if (r.event === 'config' && Array.isArray(r.tags)) for (const tag of r.tags as TagInfo[]) this.extraTags.set(tag.name, tag);
    return r;
  }

  private linesOf(text: string, pos: number, index: number, badUtf8: ReadonlySet<number> | undefined, out: CaptureRecord[]): void {
    let start = pos;
    let i = index;
    for (;;) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = ++this.line;
      let end = nl;
      if (end > start && text.charCodeAt(end - 1) === 13) end--;
      if (end > start) {
        if (badUtf8?.has(i)) this.report(line, 'not valid UTF-8 (a binary or damaged file?)');
        else {
          const r = parseCommonSample(text, start, end) ?? this.slowLine(text.slice(start, end), line);
          if (r !== undefined) {
            out.push(r);
            if (this.track) this.lines.push(line);
          }
        }
      }
      start = nl + 1;
      i++;
    }
  }

  private tailOf(text: string, badUtf8: boolean, gzipCut: boolean, out: CaptureRecord[]): void {
    const line = ++this.line;
    const s = text.endsWith('\r') ? text.slice(0, -1) : text;
    if (s.trim() === '') return;
    if (gzipCut || badUtf8) {
      this.report(
        line,
        gzipCut
          ? 'the gzip stream is cut short inside the last line (the writer was stopped mid-flush)'
          : 'the last line is cut short and not valid UTF-8',
        true,
      );
      return;
    }
    try {
      JSON.parse(s);
    } catch {
      this.report(line, 'the last line is cut short (no newline at the end: the writer was stopped mid-line)', true);
      return;
    }
    // a complete last line that only lacks its newline (hand-written files) is an ordinary line
    const r = parseCommonSample(s, 0, s.length) ?? this.slowLine(s, line);
    if (r !== undefined) {
      out.push(r);
      if (this.track) this.lines.push(line);
    }
  }

  async *batches(): AsyncIterable<CaptureRecord[]> {
    if (this.started)
      throw new IiotError(ExitCode.Internal, `capture reader: ${this.path} is already being read`, {
        hint: 'open the capture again to read it twice',
      });
    this.started = true;
    try {
      let next: Pending | undefined = this.pending;
      this.pending = undefined;
      let sawTail = false;
      while (!this.closed) {
        let item: SourceItem;
        let pos = 0;
        let index = 0;
        if (next !== undefined) {
          ({ item, pos, index } = next);
          next = undefined;
        } else {
          const r = await this.items.next();
          if (r.done) break;
          item = r.value;
        }
        const out: CaptureRecord[] = [];
        if (this.track) this.lines = [];
        switch (item.kind) {
          case 'lines':
            this.linesOf(item.text, pos, index, item.badUtf8, out);
            break;
          case 'overlong':
            this.line++;
            this.report(
              this.line,
              `line longer than ${Math.round((this.opts.maxLineBytes ?? 64 * 1024 * 1024) / 1024 / 1024)} MiB (not a capture line)`,
              item.atEnd,
            );
            break;
          case 'tail': {
            // a gzip error right after the tail means the tail was cut by it
            const after = await this.items.next();
            const gzipCut = !after.done && after.value.kind === 'gzip-error' && after.value.truncated;
            this.tailOf(item.text, item.badUtf8, gzipCut, out);
            sawTail = true;
            if (!after.done && !gzipCut) next = { item: after.value, pos: 0, index: 0 };
            break;
          }
          case 'gzip-error': {
            const line = this.line + 1;
            if (item.truncated) {
              if (!sawTail)
                this.report(
                  line,
                  `the gzip stream is cut short after line ${this.line} (the writer was stopped mid-flush); what came before was read`,
                  true,
                );
            } else {
              this.report(line, `the gzip data is damaged after line ${this.line} (${item.message}); the rest of the file cannot be read`);
            }
            break;
          }
        }
        if (out.length > 0) yield out;
      }
    } catch (err) {
      if (err instanceof IiotError) throw err;
      throw fileError('read', this.path, err);
    } finally {
      await this.close();
    }
  }

  async *[Symbol.asyncIterator](): AsyncIterator<CaptureRecord> {
    for await (const batch of this.batches()) yield* batch;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.items.return(undefined).catch(() => undefined);
    await this.fh.close().catch(() => undefined);
  }
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/**
 * Opens a capture and reads its header (line 1). Errors name file:1 and say what to do: an
 * empty file, a first line that is not a header, a header of a newer format version.
 */
export async function openCapture(path: string, opts: ReadOptions = {}): Promise<CaptureReader> {
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fileError('read', path, err, 'give the path of a capture file (.jsonl or .jsonl.gz)');
  }
  let items: AsyncGenerator<SourceItem> | undefined;
  try {
    const gz = await isGzipFile(fh);
    items = readSource(fh, gz, opts);
    const first = await items.next();
    const where = `${path}:1`;
    if (first.done)
      throw usageError(
        `${where}: the file is empty, not a capture`,
        'a capture starts with its header line (docs/capture-format.md); was the recording stopped before it began?',
      );
    const item = first.value;
    let headerText: string;
    let rest: Pending | undefined;
    switch (item.kind) {
      case 'lines': {
        if (item.badUtf8?.has(0))
          throw usageError(`${where}: not a capture (the first line is not UTF-8 text)`, 'give a capture file (.jsonl or .jsonl.gz)');
        const nl = item.text.indexOf('\n');
        headerText = item.text.slice(0, nl);
        rest = { item, pos: nl + 1, index: 1 };
        break;
      }
      case 'tail':
        headerText = item.text;
        break;
      case 'overlong':
        throw usageError(`${where}: not a capture (the first line is longer than 64 MiB)`, 'give a capture file (.jsonl or .jsonl.gz)');
      case 'gzip-error':
        throw usageError(
          `${where}: the gzip data ends or breaks before the header line is complete (${item.message})`,
          'the file was cut short before its first flush; it holds no data',
        );
    }
    let o: unknown;
    try {
      o = JSON.parse(stripBom(headerText).replace(/\r$/, ''));
    } catch (err) {
      const torn = item.kind === 'tail';
      throw usageError(
        `${where}: ${torn ? 'the header line is cut short' : `the first line is not JSON (${jsonReason(err)})`}`,
        torn
          ? 'the recording was stopped before its header was complete; it holds no data'
          : 'give a capture file (.jsonl or .jsonl.gz); CSV files are read with `iiot capture import`',
      );
    }
    const header = await parseHeader(o, path);
    const reader = new StreamingCaptureReader(path, fh, items, header, rest, opts);
    const dups = duplicateTagNames(header.tags);
    if (dups.length)
      reader.report(
        1,
        `the header declares tag${dups.length > 1 ? 's' : ''} ${dups.map((d) => JSON.stringify(d)).join(', ')} more than once`,
      );
    return reader;
  } catch (err) {
    await items?.return(undefined).catch(() => undefined);
    await fh.close().catch(() => undefined);
    if (err instanceof IiotError) throw err;
    throw fileError('read', path, err);
  }
}
