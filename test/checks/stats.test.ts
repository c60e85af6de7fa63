import { describe, expect, it } from 'vitest';
import { computeStats, detectDelayedAckMode, histogram, quantile } from '../../src/checks/stats.js';
import { RateLimiter, runPerHost } from '../../src/checks/politeness.js';

describe('latency statistics', () => {
  it('computes min, percentiles (linear interpolation), max, mean, sample stddev and jitter', () => {
    const s = computeStats([4, 1, 3, 2, 5])!;
    expect(s.count).toBe(5);
    expect(s.min).toBe(1);
    expect(s.max).toBe(5);
    expect(s.p50).toBe(3);
    // sorted 1..5, p95 at position 0.95 * 4 = 3.8 -> 4 + 0.8 * (5 - 4)
    expect(s.p95).toBeCloseTo(4.8, 12);
    expect(s.p99).toBeCloseTo(4.96, 12);
    expect(s.mean).toBe(3);
    expect(s.stddev).toBeCloseTo(Math.sqrt(2.5), 12);
    // |1-4| + |3-1| + |2-3| + |5-2| = 9 over 4 differences, in sample order
    expect(s.jitter).toBeCloseTo(9 / 4, 12);
  });

  it('handles one sample and none', () => {
    expect(computeStats([])).toBeUndefined();
    const one = computeStats([7])!;
    expect([one.min, one.p50, one.p99, one.max, one.stddev, one.jitter]).toEqual([7, 7, 7, 7, 0, 0]);
    expect(quantile([], 0.5)).toBeNaN();
  });

  it('matches a sort-based reference on 10,000 samples', () => {
    const xs = Array.from({ length: 10_000 }, (_, i) => ((i * 7919) % 10_007) / 100);
    const s = computeStats(xs)!;
    const sorted = [...xs].sort((a, b) => a - b);
    expect(s.min).toBe(sorted[0]);
    expect(s.max).toBe(sorted[9999]);
    // position 0.99 * 9999 = 9899.01
    expect(s.p99).toBeCloseTo(sorted[9899]! + 0.01 * (sorted[9900]! - sorted[9899]!), 9);
  });

  it('draws linear bins for a narrow spread and logarithmic bins across decades, counting every sample', () => {
    const narrow = histogram([1, 1.1, 1.2, 1.3, 1.9, 2]);
    expect(narrow.reduce((a, b) => a + b.count, 0)).toBe(6);
    expect(narrow[1]!.to - narrow[1]!.from).toBeCloseTo(narrow[0]!.to - narrow[0]!.from, 9);
    const wide = histogram([0.3, 0.31, 0.32, 40, 41, 42, 0.33, 0.29]);
    expect(wide.reduce((a, b) => a + b.count, 0)).toBe(8);
    // logarithmic: each bin spans the same ratio
    expect(wide[1]!.to / wide[1]!.from).toBeCloseTo(wide[0]!.to / wide[0]!.from, 6);
    expect(wide[0]!.count).toBeGreaterThan(0);
    expect(wide[wide.length - 1]!.count).toBeGreaterThan(0);
  });

  it('flags a cluster near 40 ms over a fast round trip (Nagle + delayed ACK), but not a slow path or a clean one', () => {
    const nagle = [0.4, 0.5, 41, 0.45, 40.5, 42, 0.5, 0.42, 43, 0.41];
    const m = detectDelayedAckMode(nagle)!;
    expect(m.count).toBe(4);
    expect(m.share).toBeCloseTo(0.4, 9);
    expect(m.otherMedianMs).toBeLessThan(1);
    expect(detectDelayedAckMode([0.4, 0.5, 0.45, 0.6, 0.5, 0.42])).toBeUndefined();
    // a WAN link of 35-45 ms with its own spread is not Nagle: its other samples are slow too
    expect(detectDelayedAckMode([30, 36, 38, 44, 50, 52, 31, 40, 47, 55])).toBeUndefined();
    // every sample stalled (publisher and subscriber on one connection through a Nagle broker)
    expect(detectDelayedAckMode([41, 42, 43, 41.5, 44])?.share).toBe(1);
    // ... with a few just above the window (the stall plus scheduling): still the stall
    expect(detectDelayedAckMode([43.7, 43.9, 48.4, 44.1, 49.2, 43.6, 43.8, 44, 43.5, 43.7])?.count).toBe(8);
  });
});

describe('politeness', () => {
  it('never runs two items of one host at once, and keeps results in order', async () => {
    const active = new Map<string, number>();
    let maxPerHost = 0;
    let maxTotal = 0;
    let total = 0;
    const items = ['a', 'b', 'a', 'c', 'a', 'b', 'd', 'c'].map((host, i) => ({ host, i }));
    const results = await runPerHost(
      items,
      (x) => x.host,
      3,
      async (x) => {
        active.set(x.host, (active.get(x.host) ?? 0) + 1);
        total++;
        maxPerHost = Math.max(maxPerHost, active.get(x.host)!);
        maxTotal = Math.max(maxTotal, total);
        await new Promise((r) => setTimeout(r, 5));
        active.set(x.host, active.get(x.host)! - 1);
        total--;
        return x.i;
      },
    );
    expect(results).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
    expect(maxPerHost).toBe(1);
    expect(maxTotal).toBeLessThanOrEqual(3);
  });

  it('spaces tokens 1/rate apart, reserving slots for concurrent callers', async () => {
    let now = 0;
    const waits: number[] = [];
    const limiter = new RateLimiter(
      10,
      () => now,
      async (ms) => void waits.push(ms),
    );
    expect(limiter.intervalMs).toBe(100);
    await Promise.all([limiter.take(), limiter.take(), limiter.take()]);
    expect(waits).toEqual([100, 200]);
    now = 1000;
    waits.length = 0;
    await limiter.take();
    expect(waits).toEqual([]);
    await limiter.take();
    expect(waits).toEqual([100]);
  });
});
