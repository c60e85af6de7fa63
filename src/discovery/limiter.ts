/**
 * Politeness: how fast and how many. A plant network has PLCs that fall over under a port scan,
 * so every new connection of a discovery run (ours and the ones protocol libraries open) waits for
 * a slot of one rate limiter, and every host has a small semaphore.
 */

export class AbortedError extends Error {
  constructor() {
    super('interrupted');
    this.name = 'AbortedError';
  }
}

/** Resolves after `ms`, or rejects with AbortedError when the signal fires first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * New connections evenly spaced: at most `perSecond`, one every 1/perSecond seconds, first come
 * first served (no bursts: a burst is what trips a fragile device). 0 = no limit.
 */
export class RateLimiter {
  private nextAt = 0;
  private readonly intervalMs: number;
  /** slots handed out (each is one new connection) */
  taken = 0;

  constructor(perSecond: number) {
    this.intervalMs = perSecond > 0 ? 1000 / perSecond : 0;
  }

  /** Resolves when the next connection may be opened (returns nothing to wait for when unlimited). */
  take(signal?: AbortSignal): Promise<void> | undefined {
    if (signal?.aborted) return Promise.reject(new AbortedError());
    this.taken++;
    if (this.intervalMs === 0) return undefined;
    const now = performance.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.intervalMs;
    return at > now ? sleep(at - now, signal) : undefined;
  }
}

/**
 * A counting semaphore, first come first served. Waiters are rejected with AbortedError when the
 * signal given to the constructor fires (one listener for all: a scan may have thousands waiting).
 */
export class Semaphore {
  private free: number;
  private readonly waiting: Array<{ grant: () => void; fail: (err: Error) => void }> = [];
  private readonly signal: AbortSignal | undefined;

  constructor(size: number, signal?: AbortSignal) {
    this.free = size;
    this.signal = signal;
    signal?.addEventListener(
      'abort',
      () => {
        for (const w of this.waiting.splice(0)) w.fail(new AbortedError());
      },
      { once: true },
    );
  }

  async acquire(): Promise<() => void> {
    if (this.signal?.aborted) throw new AbortedError();
    if (this.free > 0) {
      this.free--;
      return this.releaser();
    }
    await new Promise<void>((grant, fail) => this.waiting.push({ grant, fail }));
    return this.releaser();
  }

  async use<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next.grant();
      else this.free++;
    };
  }
}
