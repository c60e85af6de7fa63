/**
 * How a read that runs until told ends: Ctrl-C or SIGTERM abort the signal; the listeners are
 * removed when the read is over, so a later Ctrl-C is the default one again.
 */

/** Exit code of a read interrupted by Ctrl-C or SIGTERM (docs/exit-codes.md). */
export const INTERRUPTED = 130;

export interface Stopper {
  readonly signal: AbortSignal;
  dispose(): void;
}

export function stopOnSignals(): Stopper {
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    signal: ac.signal,
    dispose: () => {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    },
  };
}
