import { createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { stageFile, type ReplaceOptions, type StagedFile } from '../core/output-file.js';
import { zonedParts } from '../core/time.js';
import { stringifyJson } from './encode.js';
import { fileError } from './fs-errors.js';
import { isoFromMs } from './iso-time.js';
import type { SampleValue } from './types.js';

/** Writing CSV: quoting by RFC 4180, times in the form asked for, a buffered file stream. */

export type CsvTimeFormat = 'iso' | 'epoch-ms' | 'epoch-s';

/** One field, quoted when it holds the delimiter, a quote or a line break (or starts or ends with space). */
export function csvField(s: string, delimiter: string): string {
  if (s === '') return s;
  if (s.includes(delimiter) || s.includes('"') || s.includes('\n') || s.includes('\r') || s.trim() !== s)
    return `"${s.replace(/"/g, '""')}"`;
  return s;
}

/** A value as CSV text: numbers in full precision, null as empty, objects and arrays as JSON. */
export function csvValue(v: SampleValue | undefined, q: unknown): string {
  if (v === null || v === undefined) {
    // the writer stores NaN and infinities as null with q naming them: give them back to the spreadsheet
    return q === 'NaN' || q === 'Infinity' || q === '-Infinity' ? String(q) : '';
  }
  switch (typeof v) {
    case 'number':
      return String(v);
    case 'string':
      return v;
    case 'boolean':
      return v ? 'true' : 'false';
    default:
      return stringifyJson(v);
  }
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Formats epoch ms for a time column; with a zone, as local ISO 8601 with its offset. */
export function csvTime(ms: number, original: string, format: CsvTimeFormat, tz: string | undefined): string {
  if (format === 'epoch-ms') return String(ms);
  if (format === 'epoch-s') return String(ms / 1000);
  if (tz === undefined || tz === 'UTC') return original;
  const p = zonedParts(ms, tz);
  const off = p.offsetMinutes;
  const a = Math.abs(off);
  const frac = ms - Math.floor(ms);
  const msText = pad(p.millisecond, 3) + (frac > 0 ? pad(Math.round(frac * 1000), 3) : '');
  return `${p.year}-${pad(p.month)}-${pad(p.day)}T${pad(p.hour)}:${pad(p.minute)}:${pad(p.second)}.${msText}${off < 0 ? '-' : '+'}${pad(Math.floor(a / 60))}:${pad(a % 60)}`;
}

export { isoFromMs };

/** A text file written through a stream (gzip when the name ends in .gz), with backpressure. */
export class TextFileWriter {
  private readonly file: WriteStream;
  private readonly sink: NodeJS.WritableStream;
  private buffered: string[] = [];
  private size = 0;
  private error: unknown;
  readonly path: string;
  /** written under a temporary name, renamed into place by close() (core/output-file.ts) */
  private readonly stage: StagedFile;

  constructor(path: string, replace: ReplaceOptions = {}) {
    this.path = path;
    this.stage = stageFile(path, replace);
    this.file = createWriteStream(this.stage.tmp, { flags: 'wx' });
    this.file.on('error', (err) => (this.error ??= err));
    if (path.toLowerCase().endsWith('.gz')) {
      const gz = createGzip();
      gz.on('error', (err) => (this.error ??= err));
      gz.pipe(this.file);
      this.sink = gz;
    } else {
      this.sink = this.file;
    }
  }

  write(text: string): void {
    this.buffered.push(text);
    this.size += text.length;
  }

  get pending(): number {
    return this.size;
  }

  async flush(): Promise<void> {
    if (this.error) throw fileError('write', this.path, this.error);
    if (this.size === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    this.size = 0;
    if (!this.sink.write(text)) await once(this.sink, 'drain');
    if (this.error) throw fileError('write', this.path, this.error);
  }

  async close(): Promise<void> {
    await this.flush();
    const finished = once(this.file, 'close');
    this.sink.end();
    await finished.catch(() => undefined);
    if (this.error) {
      this.stage.discard();
      throw fileError('write', this.path, this.error);
    }
    this.stage.commit();
  }

  /** after a failure: nothing reaches the final name */
  abort(): void {
    this.sink.end();
    this.file.destroy();
    this.stage.discard();
  }
}
