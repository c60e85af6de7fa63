/**
 * Waiting for a device without blaming it for iiot's own busy time. Every connect, request and
 * answer timeout in iiot goes through `startDeadline` (or `withDeadline`), every listen window
 * through `listenWindow`.
 *
 * Why: a plain `setTimeout(fail, 1000)` measures wall time, but while iiot's event loop is busy
 * (loading node-opcua takes 0.5 s on a quiet machine and several seconds on a cold or shared one;
 * parsing a crawl, encrypting a message, a CPU shared with other programs) nothing that arrives
 * is read. The device may have answered long ago: its answer waits in the socket buffer, or the
 * next step of a handshake waits for iiot to send it. And when the loop gets back, Node runs the
 * expired timers BEFORE it polls the sockets, so the timer wins and a healthy device is blamed
 * ("no answer from 127.0.0.1:5020", the README's multi-protocol recording on a busy laptop).
 *
 * The rule, for every wait on a device:
 *   1. it starts when the request is written (callers arm it there, not when it is queued);
 *   2. the device is charged only for the time iiot's event loop sat idle waiting for events
 *      (performance.eventLoopUtilization): time iiot spent running, or waiting for the CPU while
 *      it had work, is not the device's. When the timer fires and the device has had less than its
 *      time, the timer is re-armed for the missing part;
 *   3. before a timeout is declared, the loop is given one turn (setImmediate runs after the poll
 *      phase), so an answer that is already in the socket buffer is read first.
 * Listen windows (collect what comes for N seconds) keep wall time but close only after such a
 * turn too (`listenWindow`).
 * Bound: a loop that never sits idle (a flood of messages keeping it busy without pause) would
 * never charge a dead device; so whatever happens the deadline expires after `wallLimitMs(ms)` of
 * wall time (the timeout plus at least a minute).
 *
 * Libraries with their own timers (modbus-serial, mqtt.js, node-opcua) either have them switched
 * off in favour of ours or set to `behindOursMs(ms)`, later than ours, as a safety net only.
 */
import { performance } from 'node:perf_hooks';
import { IiotError } from './errors.js';
import { ExitCode } from './exit-codes.js';
import { formatDuration } from './units.js';

/** setTimeout's largest delay; longer waits are chained. */
const MAX_TIMER_MS = 2_147_483_647;

/** The wall-clock bound of a deadline of `ms`: the timeout plus at least a minute (see above). */
export function wallLimitMs(ms: number): number {
  return ms + Math.max(ms, 60_000);
}

/**
 * What to give a library's own timer that sits behind one of ours: later than ours can ever
 * expire, so it fires only if ours was never armed (a library path we do not know of).
 */
export function behindOursMs(ms: number): number {
  return Math.min(MAX_TIMER_MS, wallLimitMs(ms) + 10_000);
}

export interface Deadline {
  /** stops it: `onExpire` is not called (idempotent) */
  cancel(): void;
  /** the device's time used so far, ms (event loop idle since armed) */
  charged(): number;
}

/**
 * Calls `onExpire` once the device has had `ms` of time (see the rule above) unless cancelled
 * first. Arm it when the request is written. `ms` of Infinity never expires.
 */
export function startDeadline(ms: number, onExpire: () => void): Deadline {
  const start = performance.now();
  const elu0 = performance.eventLoopUtilization();
  const charged = () => performance.eventLoopUtilization(elu0).idle;
  let timer: NodeJS.Timeout | undefined;
  let turn: NodeJS.Immediate | undefined;
  let done = false;
  if (!(ms < Infinity)) return { cancel: () => void (done = true), charged };
  const limit = wallLimitMs(ms);
  const arm = (wait: number) => {
    timer = setTimeout(check, Math.min(MAX_TIMER_MS, Math.max(1, Math.ceil(wait))));
  };
  const check = () => {
    timer = undefined;
    if (done) return;
    const left = Math.min(ms - charged(), limit - (performance.now() - start));
    if (left >= 1) {
      arm(left);
      return;
    }
    // One turn of the loop first: timers run before the poll phase, setImmediate after it.
    turn = setImmediate(() => {
      turn = undefined;
      if (done) return;
      done = true;
      onExpire();
    });
  };
  arm(ms);
  return {
    cancel() {
      done = true;
      if (timer !== undefined) clearTimeout(timer);
      if (turn !== undefined) clearImmediate(turn);
      timer = undefined;
      turn = undefined;
    },
    charged,
  };
}

export class DeadlineError extends IiotError {
  constructor(what: string, ms: number) {
    super(ExitCode.Unreachable, `${what} ${formatDuration(ms)}`, {
      hint: 'check the host, the port and any firewall between; give more time with --timeout',
    });
    this.name = 'DeadlineError';
  }
}

/**
 * Resolves like `p`, or rejects after the device has had `ms` (startDeadline's rule) with a
 * DeadlineError "<what> <ms>" (or the error `what` returns); on timeout `abort` is called (close
 * the socket) and its own failure ignored. Call it right where the request is sent.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, abort: () => unknown, what: string | (() => Error)): Promise<T> {
  // The losing promise must not become an unhandled rejection.
  p.catch(() => undefined);
  return new Promise<T>((resolve, reject) => {
    const deadline = startDeadline(ms, () => {
      try {
        const r = abort();
        if (r instanceof Promise) r.catch(() => undefined);
      } catch {
        // the connection is being thrown away anyway
      }
      reject(typeof what === 'string' ? new DeadlineError(what, ms) : what());
    });
    p.then(
      (v) => {
        deadline.cancel();
        resolve(v);
      },
      (err: unknown) => {
        deadline.cancel();
        reject(err as Error);
      },
    );
  });
}

/**
 * A listen window of `ms` wall time (a window does not stretch while iiot is busy: `--listen 5s`
 * ends after 5 s), closed only after one more turn of the event loop, so that what arrived while
 * iiot was busy is read before it closes. Resolves at once when `signal` aborts.
 */
export function listenWindow(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    let turn: NodeJS.Immediate | undefined;
    const finish = () => {
      clearTimeout(timer);
      if (turn !== undefined) clearImmediate(turn);
      signal?.removeEventListener('abort', finish);
      resolve();
    };
    // timers run before the loop polls for I/O, setImmediate after it
    const timer = setTimeout(() => (turn = setImmediate(finish)), Math.min(MAX_TIMER_MS, Math.max(0, ms)));
    signal?.addEventListener('abort', finish, { once: true });
  });
}
