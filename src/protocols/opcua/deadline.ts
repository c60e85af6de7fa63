/**
 * Bounded waiting. node-opcua's own timeouts do not cover everything (a TCP connect to a host that
 * drops packets waits for the operating system, minutes): every network wait in iiot goes through
 * here, so a dead host costs at most the --timeout the user gave.
 */
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDuration } from '../../core/units.js';

export class DeadlineError extends IiotError {
  constructor(what: string, ms: number) {
    super(ExitCode.Unreachable, `${what} ${formatDuration(ms)}`, {
      hint: 'check the host, the port and any firewall between; give more time with --timeout',
    });
    this.name = 'DeadlineError';
  }
}

/**
 * Resolves like `p`, or rejects with a DeadlineError after `ms`; on timeout `abort` is called
 * (close the socket) and its own failure ignored.
 */
export function withDeadline<T>(p: Promise<T>, ms: number, abort: () => unknown, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      try {
        const r = abort();
        if (r instanceof Promise) r.catch(() => undefined);
      } catch {
        // the connection is being thrown away anyway
      }
      reject(new DeadlineError(what, ms));
    }, ms);
  });
  // The losing promise must not become an unhandled rejection.
  p.catch(() => undefined);
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}
