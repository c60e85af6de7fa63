import { PassThrough } from 'node:stream';
import { createIO, type IO } from '../../src/core/io.js';

export interface CapturedIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

/** An IO for running commands in-process: no TTY, no colour, output kept. */
export function captureIO(flags: { json?: boolean; quiet?: boolean; debug?: boolean } = {}, env: NodeJS.ProcessEnv = {}): CapturedIO {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.setEncoding('utf8').on('data', (d: string) => (o += d));
  err.setEncoding('utf8').on('data', (d: string) => (e += d));
  const io = createIO({ ...flags }, { stdout: out, stderr: err, env: { NO_COLOR: '1', ...env } });
  return { io, stdout: () => o, stderr: () => e };
}
