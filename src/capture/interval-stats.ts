/**
 * The distribution of one tag's sampling intervals in bounded memory, for `capture info`:
 * counts per exact interval while there are at most MAX_EXACT distinct values (recorders sample
 * on a clock, so there usually are), then a log-scale histogram with 1 % wide buckets. The
 * median is therefore exact in the usual case and within 1 % otherwise.
 */

const MAX_EXACT = 4096;
const LOG_STEP = Math.log(1.01);

export interface Gap {
  /** time of the sample before the gap (epoch ms) */
  from: number;
  /** time of the sample after it */
  to: number;
  ms: number;
}

export class IntervalStats {
  private exact: Map<number, number> | undefined = new Map();
  /** log bucket index -> count; index -1 holds zero intervals */
  private buckets: Map<number, number> | undefined;
  count = 0;
  /** the largest intervals, longest first */
  readonly largest: Gap[] = [];
  private readonly keep: number;

  constructor(keepLargest = 3) {
    this.keep = keepLargest;
  }

  add(ms: number, endMs: number): void {
    this.count++;
    if (this.exact) {
      this.exact.set(ms, (this.exact.get(ms) ?? 0) + 1);
      if (this.exact.size > MAX_EXACT) this.toBuckets();
    } else {
      const b = bucketOf(ms);
      this.buckets!.set(b, (this.buckets!.get(b) ?? 0) + 1);
    }
    const l = this.largest;
    if (l.length < this.keep || ms > l[l.length - 1]!.ms) {
      const gap = { from: endMs - ms, to: endMs, ms };
      let i = l.length;
      while (i > 0 && l[i - 1]!.ms < ms) i--;
      l.splice(i, 0, gap);
      if (l.length > this.keep) l.pop();
    }
  }

  private toBuckets(): void {
    this.buckets = new Map();
    for (const [ms, n] of this.exact!) {
      const b = bucketOf(ms);
      this.buckets.set(b, (this.buckets.get(b) ?? 0) + n);
    }
    this.exact = undefined;
  }

  get isExact(): boolean {
    return this.exact !== undefined;
  }

  /** (value, count) pairs in ascending order; bucketed values are bucket midpoints */
  private entries(): Array<[number, number]> {
    if (this.exact) return [...this.exact].sort((a, b) => a[0] - b[0]);
    return [...this.buckets!].sort((a, b) => a[0] - b[0]).map(([b, n]) => [bucketValue(b), n]);
  }

  /** The median interval (lower median for an even count), or undefined with no intervals. */
  median(): number | undefined {
    if (this.count === 0) return undefined;
    const half = Math.ceil(this.count / 2);
    let seen = 0;
    for (const [v, n] of this.entries()) {
      seen += n;
      if (seen >= half) return v;
    }
    return undefined;
  }

  /** How many intervals exceed `threshold` ms, and their total length. */
  above(threshold: number): { count: number; totalMs: number } {
    let count = 0;
    let totalMs = 0;
    for (const [v, n] of this.entries()) {
      if (v > threshold) {
        count += n;
        totalMs += v * n;
      }
    }
    return { count, totalMs };
  }
}

function bucketOf(ms: number): number {
  return ms <= 0 ? -1 : Math.floor(Math.log(ms) / LOG_STEP);
}

function bucketValue(b: number): number {
  return b < 0 ? 0 : Math.exp((b + 0.5) * LOG_STEP);
}
