/**
 * Latency statistics: pure functions over the samples of one series (milliseconds, in the order
 * they were taken). Percentiles interpolate linearly between the two nearest ranks (Hyndman & Fan
 * type 7, what NumPy and most spreadsheets call the default), so p99 of 100 samples lies between
 * the 99th and the 100th value rather than jumping to either. Jitter is the mean absolute
 * difference between consecutive samples (the IPDV of RFC 3393 / the smoothing-free form of the
 * RFC 3550 interarrival jitter): the variation a control loop sees from one request to the next,
 * which a standard deviation over a slow drift would overstate.
 *
 * Cost: one Float64Array copy and sort, O(n log n); 10,000 samples take about a millisecond
 * (bench/latency.ts measures it against the round trips themselves).
 */

export interface SeriesStats {
  /** samples that produced a round trip */
  count: number;
  min: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
  /** sample standard deviation (n − 1); 0 with fewer than two samples */
  stddev: number;
  /** mean |x[i] − x[i−1]| over consecutive samples; 0 with fewer than two */
  jitter: number;
}

/** The value at quantile q (0..1) of ascending `sorted`; NaN when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  if (n === 1) return sorted[0]!;
  const pos = Math.min(Math.max(q, 0), 1) * (n - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, n - 1);
  const frac = pos - lo;
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * frac;
}

export function computeStats(samples: ArrayLike<number>): SeriesStats | undefined {
  const n = samples.length;
  if (n === 0) return undefined;
  const sorted = Float64Array.from(samples as ArrayLike<number>);
  sorted.sort();
  let sum = 0;
  let jitterSum = 0;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    sum += x;
    if (i > 0) jitterSum += Math.abs(x - samples[i - 1]!);
  }
  const mean = sum / n;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const d = samples[i]! - mean;
    ss += d * d;
  }
  return {
    count: n,
    min: sorted[0]!,
    p50: quantile(sorted, 0.5),
    p95: quantile(sorted, 0.95),
    p99: quantile(sorted, 0.99),
    max: sorted[n - 1]!,
    mean,
    stddev: n > 1 ? Math.sqrt(ss / (n - 1)) : 0,
    jitter: n > 1 ? jitterSum / (n - 1) : 0,
  };
}

export interface HistogramBin {
  /** lower edge, ms (inclusive) */
  from: number;
  /** upper edge, ms (exclusive; the last bin includes its edge) */
  to: number;
  count: number;
}

/**
 * Bins for a terminal histogram: logarithmic when the samples span more than a decade (a 40 ms
 * mode next to 0.3 ms round trips stays visible), linear otherwise. At most `maxBins` bins.
 */
export function histogram(samples: ArrayLike<number>, maxBins = 16): HistogramBin[] {
  const n = samples.length;
  if (n === 0) return [];
  // Sturges' rule, within 4..maxBins: 20 samples get 6 bins, 10,000 get 15.
  const bins = Math.min(maxBins, Math.max(4, Math.ceil(Math.log2(n)) + 1));
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  if (max === min) return [{ from: min, to: max, count: n }];
  const useLog = min > 0 && max / min > 10;
  const edges: number[] = [];
  for (let i = 0; i <= bins; i++) {
    edges.push(useLog ? min * Math.pow(max / min, i / bins) : min + ((max - min) * i) / bins);
  }
  const counts = new Array<number>(bins).fill(0);
  const lmin = Math.log(min);
  const span = useLog ? Math.log(max) - lmin : max - min;
  for (let i = 0; i < n; i++) {
    const x = samples[i]!;
    const pos = useLog ? (Math.log(x) - lmin) / span : (x - min) / span;
    const b = Math.min(bins - 1, Math.max(0, Math.floor(pos * bins)));
    counts[b]!++;
  }
  return counts.map((count, i) => ({ from: edges[i]!, to: edges[i + 1]!, count }));
}

export interface DelayedAckMode {
  /** share of samples in the 33-48 ms window */
  share: number;
  /** how many */
  count: number;
  /** median of those samples */
  modeMs: number;
  /** median of the samples below the window (the round trip without the stall); undefined when none are */
  otherMedianMs: number | undefined;
}

/**
 * Nagle's algorithm meeting a delayed ACK (Linux: 40 ms minimum ACK delay; Windows: up to 200 ms)
 * stalls the second of two small writes until the first is acknowledged: an MQTT broker without
 * TCP_NODELAY that writes PUBLISH to a subscriber and PUBACK to a publisher on one connection shows
 * a cluster of round trips near 40 ms beside the sub-millisecond ones. Flagged when at least 10 %
 * of the samples (and at least 3) fall in 33-48 ms and the round trip outside it is clearly faster.
 */
export function detectDelayedAckMode(samples: ArrayLike<number>): DelayedAckMode | undefined {
  const inWindow: number[] = [];
  const below: number[] = [];
  for (let i = 0; i < samples.length; i++) {
    const x = samples[i]!;
    if (x >= 33 && x <= 48) inWindow.push(x);
    else if (x < 33) below.push(x);
  }
  const n = samples.length;
  if (n === 0 || inWindow.length < 3 || inWindow.length / n < 0.1) return undefined;
  const med = (xs: number[]) => quantile(Float64Array.from(xs).sort(), 0.5);
  // A path that is simply 30-50 ms long (a WAN link) has its faster samples near the window; a
  // Nagle stall sits on top of a much faster round trip, or catches every sample (then nothing is
  // below the window; a few samples just above it are the stall plus scheduling).
  if (below.length > 0 && med(below) > 20) return undefined;
  return {
    share: inWindow.length / n,
    count: inWindow.length,
    modeMs: med(inWindow),
    otherMedianMs: below.length ? med(below) : undefined,
  };
}
