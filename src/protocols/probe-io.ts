/**
 * What a protocol's discovery probe gets from the scanner (src/discovery), and the one socket
 * helper every raw probe uses: send a request, read until a frame is complete, the connection
 * closes, garbage arrives or the time is up. No protocol library here.
 */
import type { Socket } from 'node:net';
import { startDeadline, type Deadline } from '../core/deadline.js';

export interface ProbeIO {
  readonly host: string;
  readonly port: number;
  /** per request (connect, answer) */
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /**
   * An open TCP connection to host:port: the first call hands over the connection the port scan
   * opened; later calls open new ones through the rate limiter. Rejects with ProbeFailure.
   */
  connect(): Promise<Socket>;
  /** Waits for a rate-limiter slot before a protocol library opens a connection itself. */
  slot(): Promise<void>;
  debug(line: string): void;
}

/** Why a port did not (or no longer) answer a protocol. */
export type FailureKind = 'closed' | 'refused' | 'reset' | 'timeout' | 'garbage' | 'unreachable' | 'error';

export class ProbeFailure extends Error {
  readonly kind: FailureKind;
  constructor(kind: FailureKind, message: string) {
    super(message);
    this.name = 'ProbeFailure';
    this.kind = kind;
  }
}

const resets = new WeakSet<Socket>();

/**
 * Remembers that a connection was reset (RST) even when nobody is reading at that moment: a device
 * at its connection limit accepts and resets at once, before the probe writes anything.
 */
export function watchResets(socket: Socket): void {
  socket.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'ECONNRESET' || err.code === 'EPIPE') resets.add(socket);
  });
}

/** Classifies a socket error. */
export function socketFailure(err: unknown, what: string): ProbeFailure {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  const text = (err as Error).message ?? String(err);
  if (code === 'ECONNREFUSED') return new ProbeFailure('refused', `${what}: connection refused`);
  if (code === 'ECONNRESET' || code === 'EPIPE') return new ProbeFailure('reset', `${what}: the connection was reset`);
  if (code === 'ETIMEDOUT') return new ProbeFailure('timeout', `${what}: timed out`);
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN' || code === 'EADDRNOTAVAIL')
    return new ProbeFailure('unreachable', `${what}: ${code}`);
  return new ProbeFailure('error', `${what}: ${text}`);
}

/**
 * Reads from `socket` after writing `request` until `frame(buffer)` says the answer is complete
 * (returns its length) or garbage ('garbage'); undefined means "need more bytes". Rejects with a
 * ProbeFailure on timeout, close, reset or garbage. The socket stays open on success.
 */
export function exchange(
  socket: Socket,
  request: Buffer | undefined,
  frame: (buf: Buffer) => number | 'garbage' | undefined,
  timeoutMs: number,
  what: string,
  options: { signal?: AbortSignal | undefined; carry?: { buf: Buffer } | undefined } = {},
): Promise<Buffer> {
  const { signal, carry } = options;
  return new Promise((resolve, reject) => {
    let buf = carry?.buf ?? Buffer.alloc(0);
    if (carry) carry.buf = Buffer.alloc(0);
    let settled = false;
    const finish = (err: ProbeFailure | undefined, value?: Buffer) => {
      if (settled) return;
      settled = true;
      deadline?.cancel();
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      if (chunk.length > 0) buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
      let verdict: number | 'garbage' | undefined;
      try {
        verdict = frame(buf);
      } catch {
        verdict = 'garbage';
      }
      if (verdict === 'garbage')
        finish(new ProbeFailure('garbage', `${what}: answered something that is not this protocol (${preview(buf)})`));
      else if (verdict !== undefined) {
        if (carry) carry.buf = Buffer.from(buf.subarray(verdict));
        finish(undefined, buf.subarray(0, verdict));
      }
    };
    const onClose = () => {
      if (buf.length) finish(new ProbeFailure('garbage', `${what}: closed the connection after a partial answer (${preview(buf)})`));
      else if (resets.has(socket)) finish(new ProbeFailure('reset', `${what}: the connection was reset`));
      else finish(new ProbeFailure('closed', `${what}: closed the connection without answering`));
    };
    const onError = (err: Error) => finish(socketFailure(err, what));
    const onAbort = () => finish(new ProbeFailure('error', `${what}: interrupted`));
    let deadline: Deadline | undefined;
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (socket.destroyed) {
      onClose();
      return;
    }
    if (request) socket.write(request, (err) => (err ? onError(err) : undefined));
    // from the write on; time iiot was busy is not the peer's (src/core/deadline.ts)
    if (!settled)
      deadline = startDeadline(timeoutMs, () =>
        finish(
          new ProbeFailure(
            'timeout',
            buf.length ? `${what}: incomplete answer after ${timeoutMs} ms (${preview(buf)})` : `${what}: no answer within ${timeoutMs} ms`,
          ),
        ),
      );
    // bytes carried over from the previous exchange may already hold the answer
    if (buf.length > 0) onData(Buffer.alloc(0));
  });
}

/** The first bytes of an answer, for messages: hex, and the printable text when it is text. */
export function preview(buf: Buffer, max = 16): string {
  const head = buf.subarray(0, max);
  const hex = [...head].map((b) => b.toString(16).padStart(2, '0')).join(' ');
  const printable = [...head].every((b) => (b >= 0x20 && b < 0x7f) || b === 0x0a || b === 0x0d);
  const more = buf.length > max ? ' ...' : '';
  return printable ? `"${head.toString('latin1').replace(/[\r\n]+/g, ' ')}${more}"` : `${hex}${more}`;
}

/** Ends a connection politely (FIN), and destroys it if the peer does not close within a moment. */
export function closeSocket(socket: Socket): void {
  if (socket.destroyed) return;
  socket.removeAllListeners('data');
  socket.on('error', () => {});
  socket.end();
  const t = setTimeout(() => socket.destroy(), 500);
  t.unref();
  socket.once('close', () => clearTimeout(t));
}
