/**
 * The TCP connect probe: open a connection (full handshake, as any client does; no raw packets,
 * no privileges), classify what happened, and hand an open socket on to the protocol probe.
 */
import { connect, type Socket } from 'node:net';
import { startDeadline } from '../core/deadline.js';
import { watchResets } from '../protocols/probe-io.js';

export type ConnectState = 'open' | 'closed' | 'timeout' | 'unreachable' | 'reset' | 'error';

export type ConnectOutcome =
  | { state: 'open'; socket: Socket; ms: number }
  | { state: Exclude<ConnectState, 'open'>; detail: string; ms: number };

/**
 * Connections being attempted, all cancelled at once on interrupt. One abort listener for the
 * whole scan instead of one per connection (EventTarget listeners cost more than a connect on
 * loopback).
 */
export class Attempts {
  private readonly pending = new Set<() => void>();
  readonly signal: AbortSignal;

  constructor(signal: AbortSignal) {
    this.signal = signal;
    signal.addEventListener(
      'abort',
      () => {
        for (const cancel of [...this.pending]) cancel();
      },
      { once: true },
    );
  }

  add(cancel: () => void): void {
    this.pending.add(cancel);
  }

  delete(cancel: () => void): void {
    this.pending.delete(cancel);
  }
}

export function tcpConnect(host: string, port: number, timeoutMs: number, attempts?: Attempts): Promise<ConnectOutcome> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    if (attempts?.signal.aborted) return resolve({ state: 'error', detail: 'interrupted', ms: 0 });
    let settled = false;
    const socket = connect({ host, port });
    const ms = () => performance.now() - t0;
    const finish = (o: ConnectOutcome) => {
      if (settled) return;
      settled = true;
      deadline.cancel();
      attempts?.delete(onAbort);
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
      if (o.state !== 'open') socket.destroy();
      else {
        socket.setNoDelay(true);
        watchResets(socket); // later errors are the probe's business; a reset is remembered
      }
      resolve(o);
    };
    const onConnect = () => finish({ state: 'open', socket, ms: ms() });
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? '';
      if (code === 'ECONNREFUSED') finish({ state: 'closed', detail: 'connection refused', ms: ms() });
      else if (code === 'ETIMEDOUT') finish({ state: 'timeout', detail: 'connection timed out', ms: ms() });
      else if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EHOSTDOWN')
        finish({ state: 'unreachable', detail: `host unreachable (${code})`, ms: ms() });
      else if (code === 'ECONNRESET') finish({ state: 'reset', detail: 'connection reset', ms: ms() });
      else finish({ state: 'error', detail: `${code || err.message}`, ms: ms() });
    };
    const onAbort = () => finish({ state: 'error', detail: 'interrupted', ms: ms() });
    // time the scanner itself was busy is not the host's (src/core/deadline.ts)
    const deadline = startDeadline(timeoutMs, () =>
      finish({ state: 'timeout', detail: `no answer to the connection within ${timeoutMs} ms`, ms: ms() }),
    );
    socket.once('connect', onConnect);
    socket.once('error', onError);
    attempts?.add(onAbort);
  });
}
