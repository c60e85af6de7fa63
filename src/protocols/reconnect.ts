/**
 * Reconnect delays: exponential with full jitter, capped (so a plant full of recorders does not
 * reconnect in lock-step after a broker restart), and reset once a connection has stayed up.
 * Pure: the protocol sources own their connections and use this to pace their attempts.
 */
export interface BackoffOptions {
  /** first delay (ms); default 250 */
  initialMs?: number;
  /** longest delay (ms); default 30 s */
  maxMs?: number;
  /** growth per attempt; default 2 */
  factor?: number;
  /** random source in [0, 1) (tests pass a fixed one) */
  random?: () => number;
}

export class Backoff {
  private attempt = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(opts: BackoffOptions = {}) {
    this.initialMs = opts.initialMs ?? 250;
    this.maxMs = Math.max(opts.maxMs ?? 30_000, this.initialMs);
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt: between half and all of initial·factor^n, at most maxMs. */
  next(): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * this.factor ** this.attempt);
    this.attempt++;
    return Math.round(ceiling / 2 + (ceiling / 2) * this.random());
  }

  /** attempts since the last reset */
  get attempts(): number {
    return this.attempt;
  }

  reset(): void {
    this.attempt = 0;
  }
}

/** Resolves after ms, or at once when the signal aborts (never rejects). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
