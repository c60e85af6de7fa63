/**
 * How the checks stay gentle on a live plant network:
 *   - one connection at a time per host: every task for a host runs after the previous one ended;
 *   - at most `concurrency` hosts at once;
 *   - a rate cap on what we send: `take()` waits for a token of a bucket refilled at `ratePerSecond`
 *     (new connections and individual requests take one each), with a burst of one, so requests are
 *     spaced evenly rather than sent in a lump.
 * The defaults match `iiot discover` (issue 7): about 20 new connections per second overall.
 */

export interface PolitenessOptions {
  /** hosts checked at the same time (each one connection at a time) */
  concurrency: number;
  /** requests and connections per second, overall */
  ratePerSecond: number;
}

export const DEFAULT_POLITENESS: PolitenessOptions = { concurrency: 4, ratePerSecond: 20 };

/** A token bucket with a burst of one: calls to take() are spaced 1/rate seconds apart. */
export class RateLimiter {
  #next = 0;
  readonly intervalMs: number;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.intervalMs = ratePerSecond > 0 && Number.isFinite(ratePerSecond) ? 1000 / ratePerSecond : 0;
  }

  /** Resolves when the caller may send; reserves its slot at once, so concurrent callers queue. */
  async take(): Promise<void> {
    if (this.intervalMs === 0) return;
    const t = this.now();
    const slot = Math.max(t, this.#next);
    this.#next = slot + this.intervalMs;
    const wait = slot - t;
    if (wait > 0.5) await this.sleep(wait);
  }
}

/**
 * Runs `work` for every item, at most `concurrency` at once, never two items of the same host at
 * once; results come back in the items' order.
 */
export async function runPerHost<T, R>(
  items: readonly T[],
  hostOf: (item: T) => string,
  concurrency: number,
  work: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  const byHost = new Map<string, number[]>();
  items.forEach((item, i) => {
    const h = hostOf(item).toLowerCase();
    const list = byHost.get(h);
    if (list) list.push(i);
    else byHost.set(h, [i]);
  });
  const queues = [...byHost.values()];
  let nextQueue = 0;
  const worker = async () => {
    for (;;) {
      const q = queues[nextQueue++];
      if (q === undefined) return;
      for (const i of q) results[i] = await work(items[i]!, i);
    }
  };
  const n = Math.max(1, Math.min(concurrency, queues.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}
