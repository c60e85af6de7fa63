import { isUtf8 } from 'node:buffer';
import { open, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';

/**
 * A capture file as blocks of whole lines, in constant memory: the reader's only contact with
 * bytes. Gzip is recognised by its magic bytes, not by the name, so a renamed file still reads.
 * Lines are cut at '\n' bytes, which never occur inside a multi-byte UTF-8 character, so each
 * block decodes on its own.
 */

export type SourceItem =
  /** complete lines, each ending in '\n'; badUtf8 holds 0-based indexes (within the block) of lines that are not valid UTF-8 */
  | { kind: 'lines'; text: string; badUtf8: ReadonlySet<number> | undefined }
  /** one line longer than maxLineBytes, skipped; ended by a newline unless atEnd */
  | { kind: 'overlong'; atEnd: boolean }
  /** the last line, with no newline after it */
  | { kind: 'tail'; text: string; badUtf8: boolean }
  /** the gzip stream broke: cut short (truncated) or corrupt; nothing after it can be read */
  | { kind: 'gzip-error'; truncated: boolean; message: string };

export interface SourceOptions {
  chunkBytes?: number;
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

export async function isGzipFile(fh: FileHandle): Promise<boolean> {
  const magic = Buffer.alloc(2);
  const { bytesRead } = await fh.read(magic, 0, 2, 0);
  return bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b;
}

export async function isGzipPath(path: string): Promise<boolean> {
  const fh = await open(path, 'r');
  try {
    return await isGzipFile(fh);
  } finally {
    await fh.close();
  }
}

function badLines(block: Buffer): Set<number> {
  const bad = new Set<number>();
  let start = 0;
  for (let i = 0; start < block.length; i++) {
    let nl = block.indexOf(10, start);
    if (nl < 0) nl = block.length;
    if (!isUtf8(block.subarray(start, nl))) bad.add(i);
    start = nl + 1;
  }
  return bad;
}

function linesItem(block: Buffer): SourceItem {
  return { kind: 'lines', text: block.toString('utf8'), badUtf8: isUtf8(block) ? undefined : badLines(block) };
}

export async function* readSource(fh: FileHandle, gz: boolean, opts: SourceOptions = {}): AsyncGenerator<SourceItem> {
  const chunkBytes = opts.chunkBytes ?? 256 * 1024;
  const maxLine = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  const file = fh.createReadStream({ start: 0, highWaterMark: chunkBytes, autoClose: false });
  // zlib drops the output of the call that fails: small output chunks bound what a damaged member loses
  const stream: AsyncIterable<Buffer> = gz ? gunzipChunks(file, Math.max(64, Math.min(chunkBytes, 1 << 16))) : file;
  let carry: Buffer[] = [];
  let carryBytes = 0;
  let skipping = false;
  let broken: SourceItem | undefined;
  try {
    try {
      for await (const chunk of stream) {
        let pos = 0;
        if (skipping) {
          const nl = chunk.indexOf(10);
          if (nl < 0) continue;
          skipping = false;
          yield { kind: 'overlong', atEnd: false };
          pos = nl + 1;
        }
        const firstNl = chunk.indexOf(10, pos);
        if (firstNl < 0) {
          carry.push(pos === 0 ? chunk : chunk.subarray(pos));
          carryBytes += chunk.length - pos;
          if (carryBytes > maxLine) {
            carry = [];
            carryBytes = 0;
            skipping = true;
          }
          continue;
        }
        if (carryBytes > 0) {
          // the line begun in earlier chunks ends here: its own small block, so the big one is not copied
          carry.push(chunk.subarray(pos, firstNl + 1));
          yield linesItem(Buffer.concat(carry));
          carry = [];
          carryBytes = 0;
          pos = firstNl + 1;
        }
        const lastNl = chunk.lastIndexOf(10);
        if (lastNl >= pos) yield linesItem(chunk.subarray(pos, lastNl + 1));
        if (lastNl + 1 < chunk.length) {
          carry.push(chunk.subarray(lastNl + 1));
          carryBytes = chunk.length - lastNl - 1;
        }
      }
    } catch (err) {
      const code = (err as { code?: unknown }).code;
      if (!gz || typeof code !== 'string' || !code.startsWith('Z_')) throw err;
      broken = { kind: 'gzip-error', truncated: code === 'Z_BUF_ERROR', message: (err as Error).message };
    }
    if (skipping) yield { kind: 'overlong', atEnd: true };
    else if (carryBytes > 0) {
      const tail = Buffer.concat(carry);
      yield { kind: 'tail', text: tail.toString('utf8'), badUtf8: !isUtf8(tail) };
    }
    if (broken) yield broken;
  } finally {
    file.destroy();
  }
}

/**
 * Gunzipped chunks, through 'data' events rather than the stream's async iterator: when zlib
 * fails (a checksum at the end of a member, a cut stream) the iterator drops output it had
 * already produced; here every byte decoded before the error is delivered, then the error.
 */
async function* gunzipChunks(file: Readable, chunkSize: number): AsyncGenerator<Buffer> {
  const { createGunzip } = await import('node:zlib'); // only for gzip: plain captures start faster
  const gunzip = createGunzip({ chunkSize });
  const queue: Buffer[] = [];
  let queued = 0;
  let done = false;
  let error: unknown;
  let wake: (() => void) | undefined;
  const high = Math.max(4 * chunkSize, 1 << 20);
  gunzip.on('data', (chunk: Buffer) => {
    queue.push(chunk);
    queued += chunk.length;
    if (queued > high) gunzip.pause();
    wake?.();
  });
  gunzip.on('end', () => {
    done = true;
    wake?.();
  });
  gunzip.on('error', (err) => {
    error = err;
    done = true;
    wake?.();
  });
  file.on('error', (err) => gunzip.destroy(err));
  file.pipe(gunzip);
  try {
    for (;;) {
      const chunk = queue.shift();
      if (chunk !== undefined) {
        queued -= chunk.length;
        if (queued < high / 2 && gunzip.isPaused()) gunzip.resume();
        yield chunk;
        continue;
      }
      if (done) {
        if (error !== undefined) throw error;
        return;
      }
      await new Promise<void>((resolve) => (wake = resolve));
      wake = undefined;
    }
  } finally {
    gunzip.destroy();
  }
}
