import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { fileError } from './fs-errors.js';
import { isGzipPath } from './line-source.js';

/**
 * CSV as historians and spreadsheets write it (RFC 4180 and its usual deviations): fields in
 * double quotes with "" for a quote and line breaks inside, CRLF or LF, a UTF-8 byte-order mark,
 * `,` `;` or tab between fields. Streaming: rows come out as the file is read.
 */

export interface CsvRow {
  fields: string[];
  /** 1-based line on which the row starts */
  line: number;
}

/** The delimiter among , ; tab | that occurs most often outside quotes in the first line. */
export function sniffDelimiter(firstLine: string): string {
  const counts = new Map<string, number>([
    [',', 0],
    [';', 0],
    ['\t', 0],
    ['|', 0],
  ]);
  let quoted = false;
  for (const ch of firstLine) {
    if (ch === '"') quoted = !quoted;
    else if (!quoted && counts.has(ch)) counts.set(ch, counts.get(ch)! + 1);
  }
  let best = ',';
  let n = 0;
  for (const [d, c] of counts) {
    if (c > n) {
      best = d;
      n = c;
    }
  }
  return best;
}

/** Incremental parser: feed text, take complete rows. */
export class CsvParser {
  private readonly delim: number;
  private field = '';
  private fields: string[] = [];
  private quoted = false;
  /** a quote seen inside a quoted field: either the closing quote or the first of "" */
  private quoteSeen = false;
  /** the field started with a quote (so "" is an empty field, not nothing) */
  private fieldQuoted = false;
  private lastWasCr = false;
  private line = 1;
  private rowLine = 1;
  private atStart = true;

  constructor(delimiter: string) {
    if (delimiter.length !== 1) throw new Error(`CSV delimiter must be one character, not ${JSON.stringify(delimiter)}`);
    this.delim = delimiter.charCodeAt(0);
  }

  private endField(): void {
    this.fields.push(this.field);
    this.field = '';
    this.fieldQuoted = false;
  }

  private endRow(out: CsvRow[]): void {
    this.endField();
    const blank = this.fields.length === 1 && this.fields[0] === '' && !this.fieldQuoted;
    if (!blank) out.push({ fields: this.fields, line: this.rowLine });
    this.fields = [];
  }

  push(text: string): CsvRow[] {
    const out: CsvRow[] = [];
    let s = text;
    if (this.atStart) {
      if (s.charCodeAt(0) === 0xfeff) s = s.slice(1);
      if (s.length > 0) this.atStart = false;
    }
    const d = this.delim;
    let runStart = 0;
    const flushRun = (i: number) => {
      if (i > runStart) this.field += s.slice(runStart, i);
    };
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (this.lastWasCr) {
        this.lastWasCr = false;
        if (c === 10) {
          runStart = i + 1;
          continue;
        }
      }
      if (this.quoted) {
        if (this.quoteSeen) {
          this.quoteSeen = false;
          if (c === 34) {
            // "" inside quotes: one literal quote; the run restarts after it
            this.field += '"';
            runStart = i + 1;
            continue;
          }
          this.quoted = false;
          runStart = i;
          // fall through: c is the character after the closing quote
        } else {
          if (c === 34) {
            flushRun(i);
            this.quoteSeen = true;
            runStart = i + 1;
          } else if (c === 10) this.line++;
          continue;
        }
      }
      if (c === 34 && this.field === '' && i === runStart) {
        this.quoted = true;
        this.fieldQuoted = true;
        runStart = i + 1;
      } else if (c === d) {
        flushRun(i);
        this.endField();
        runStart = i + 1;
      } else if (c === 10 || c === 13) {
        flushRun(i);
        this.endRow(out);
        this.line++;
        this.rowLine = this.line;
        this.lastWasCr = c === 13;
        runStart = i + 1;
      }
    }
    if (this.quoted && !this.quoteSeen) flushRun(s.length);
    else if (!this.quoted) flushRun(s.length);
    return out;
  }

  /** The last row when the file does not end with a line break. */
  end(): CsvRow[] {
    const out: CsvRow[] = [];
    if (this.field !== '' || this.fields.length > 0 || this.fieldQuoted) this.endRow(out);
    return out;
  }

  /** An opening quote was never closed: the rest of the file went into one field. */
  get unterminatedQuoteLine(): number | undefined {
    return this.quoted && !this.quoteSeen ? this.rowLine : undefined;
  }
}

/** Text chunks of a file, gunzipped when it is gzip. */
export async function* textChunks(path: string): AsyncGenerator<string> {
  let gz: boolean;
  try {
    gz = await isGzipPath(path);
  } catch (err) {
    throw fileError('read', path, err);
  }
  const file = createReadStream(path, { highWaterMark: 1 << 20 });
  let stream: Readable = file;
  if (gz) {
    const gunzip = createGunzip();
    file.on('error', (err) => gunzip.destroy(err));
    stream = file.pipe(gunzip);
  }
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) yield decoder.write(chunk);
    const rest = decoder.end();
    if (rest) yield rest;
  } catch (err) {
    throw fileError('read', path, err);
  } finally {
    stream.destroy();
    file.destroy();
  }
}

/** The first line of a file (for sniffing), without its BOM. */
export async function firstLine(path: string): Promise<string> {
  let acc = '';
  for await (const chunk of textChunks(path)) {
    acc += chunk;
    const nl = acc.search(/\r|\n/);
    if (nl >= 0) return stripBom(acc.slice(0, nl));
    if (acc.length > 1 << 20) break;
  }
  return stripBom(acc);
}

function stripBom(s: string): string {
  return s.charCodeAt(0) === 0xfeff ? s.slice(1) : s;
}

/** Every row of a CSV file, streaming. */
export async function* csvRows(path: string, delimiter: string): AsyncGenerator<CsvRow> {
  const parser = new CsvParser(delimiter);
  for await (const chunk of textChunks(path)) yield* parser.push(chunk);
  yield* parser.end();
}
