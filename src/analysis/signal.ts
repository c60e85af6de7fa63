/**
 * Condition indicators of raw (waveform) vibration signals, per block or per time window.
 *
 * Conventions (docs/analysis.md):
 * - RMS is the root mean square of the samples as recorded (not of the mean-removed signal), the
 *   way a vibration transmitter reports overall level; `std` is the mean-removed one.
 * - Peak is the largest absolute sample; crest factor = peak / RMS.
 * - Kurtosis is Pearson's (non-excess) kurtosis m4 / m2² of the mean-removed signal, so Gaussian
 *   noise reads 3 and an impulsive bearing defect reads well above 3. (The IMS feature tables use
 *   excess kurtosis, 3 less; the evaluation script converts.)
 * - Band energy is the mean square of the signal inside [f1, f2] Hz from a Hann-windowed FFT
 *   (Parseval-scaled, so the bands of a signal add up to its mean square).
 * - Envelope: the signal band-passed to [f1, f2] (by default the upper part of the spectrum, where
 *   the impacts of a bearing defect ring the structure's resonances), demodulated (the magnitude
 *   of its analytic signal), and summarised as the standard deviation of that envelope: a
 *   defect's periodic impacts modulate the carrier and make the envelope fluctuate, while healthy
 *   broadband noise gives a flat one. Same unit as the signal.
 */

/** Streaming moments of a window of raw samples. Values are shifted by the first sample to avoid cancellation. */
export class MomentAccumulator {
  n = 0;
  private shift = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private s4 = 0;
  /** Σ x² of the unshifted values, for the RMS as recorded. */
  private sq = 0;
  peak = 0;
  min = Infinity;
  max = -Infinity;

  add(x: number): void {
    if (this.n === 0) this.shift = x;
    const d = x - this.shift;
    const d2 = d * d;
    this.n++;
    this.s1 += d;
    this.s2 += d2;
    this.s3 += d2 * d;
    this.s4 += d2 * d2;
    this.sq += x * x;
    const a = Math.abs(x);
    if (a > this.peak) this.peak = a;
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }

  reset(): void {
    this.n = 0;
    this.shift = this.s1 = this.s2 = this.s3 = this.s4 = this.sq = this.peak = 0;
    this.min = Infinity;
    this.max = -Infinity;
  }

  get mean(): number {
    return this.n === 0 ? Number.NaN : this.shift + this.s1 / this.n;
  }

  get rms(): number {
    return this.n === 0 ? Number.NaN : Math.sqrt(this.sq / this.n);
  }

  /** Population central moments m2, m3, m4. */
  private central(): [number, number, number] {
    const n = this.n;
    const m = this.s1 / n;
    const e2 = this.s2 / n;
    const e3 = this.s3 / n;
    const e4 = this.s4 / n;
    const m2 = e2 - m * m;
    const m3 = e3 - 3 * m * e2 + 2 * m ** 3;
    const m4 = e4 - 4 * m * e3 + 6 * m * m * e2 - 3 * m ** 4;
    return [Math.max(0, m2), m3, Math.max(0, m4)];
  }

  get std(): number {
    return this.n < 2 ? Number.NaN : Math.sqrt((this.central()[0] * this.n) / (this.n - 1));
  }

  /** Pearson kurtosis m4 / m2² (normal = 3). */
  get kurtosis(): number {
    if (this.n < 4) return Number.NaN;
    const [m2, , m4] = this.central();
    return m2 > 0 ? m4 / (m2 * m2) : Number.NaN;
  }

  get skewness(): number {
    if (this.n < 3) return Number.NaN;
    const [m2, m3] = this.central();
    return m2 > 0 ? m3 / m2 ** 1.5 : Number.NaN;
  }

  get crestFactor(): number {
    const r = this.rms;
    return r > 0 ? this.peak / r : Number.NaN;
  }
}

export interface BlockIndicators {
  n: number;
  rms: number;
  peak: number;
  crestFactor: number;
  /** Pearson (normal = 3) */
  kurtosis: number;
  skewness: number;
  std: number;
  mean: number;
}

export function blockIndicators(x: ArrayLike<number>): BlockIndicators {
  const m = new MomentAccumulator();
  for (let i = 0; i < x.length; i++) m.add(x[i]!);
  return {
    n: m.n,
    rms: m.rms,
    peak: m.peak,
    crestFactor: m.crestFactor,
    kurtosis: m.kurtosis,
    skewness: m.skewness,
    std: m.std,
    mean: m.mean,
  };
}

/** In-place iterative radix-2 FFT; re and im have a power-of-two length. */
export function fft(re: Float64Array, im: Float64Array): void {
  const n = re.length;
  for (let i = 1, j = 0; i < n; i++) {
    let bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) {
      [re[i], re[j]] = [re[j]!, re[i]!];
      [im[i], im[j]] = [im[j]!, im[i]!];
    }
  }
  for (let len = 2; len <= n; len <<= 1) {
    const ang = (-2 * Math.PI) / len;
    const wr = Math.cos(ang);
    const wi = Math.sin(ang);
    for (let i = 0; i < n; i += len) {
      let cr = 1;
      let ci = 0;
      for (let k = 0; k < len / 2; k++) {
        const a = i + k;
        const b = a + len / 2;
        const tr = re[b]! * cr - im[b]! * ci;
        const ti = re[b]! * ci + im[b]! * cr;
        re[b] = re[a]! - tr;
        im[b] = im[a]! - ti;
        re[a]! += tr;
        im[a]! += ti;
        const ncr = cr * wr - ci * wi;
        ci = cr * wi + ci * wr;
        cr = ncr;
      }
    }
  }
}

/**
 * One-sided power spectrum of a block (mean removed, Hann window, zero-padded to a power of two),
 * scaled so that the sum over all bins equals the mean square of the mean-removed block.
 */
export function powerSpectrum(x: ArrayLike<number>, sampleRateHz: number): { freqHz: Float64Array; power: Float64Array } {
  const n = x.length;
  let size = 1;
  while (size < n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i]!;
  m /= n || 1;
  for (let i = 0; i < n; i++) {
    const w = n > 1 ? 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / (n - 1)) : 1;
    re[i] = (x[i]! - m) * w;
  }
  fft(re, im);
  const half = size / 2;
  const power = new Float64Array(half + 1);
  const freqHz = new Float64Array(half + 1);
  for (let k = 0; k <= half; k++) {
    const p = re[k]! ** 2 + im[k]! ** 2;
    power[k] = k === 0 || k === half ? p : 2 * p;
    freqHz[k] = (k * sampleRateHz) / size;
  }
  // Normalise so that Σ power = mean square of (x - m): the window changes the shape, not the total.
  let total = 0;
  for (let k = 0; k <= half; k++) total += power[k]!;
  let ms = 0;
  for (let i = 0; i < n; i++) ms += (x[i]! - m) ** 2;
  ms /= n || 1;
  if (total > 0) for (let k = 0; k <= half; k++) power[k] = (power[k]! * ms) / total;
  return { freqHz, power };
}

/** Mean square of the signal within [f1, f2] Hz (see powerSpectrum for the scaling). */
export function bandEnergy(x: ArrayLike<number>, sampleRateHz: number, band: readonly [number, number]): number {
  const { freqHz, power } = powerSpectrum(x, sampleRateHz);
  let e = 0;
  for (let k = 0; k < freqHz.length; k++) if (freqHz[k]! >= band[0] && freqHz[k]! <= band[1]) e += power[k]!;
  return e;
}

/** The default demodulation band: a quarter to 0.45 of the sample rate (the upper half of the spectrum, below Nyquist). */
export function defaultEnvelopeBand(sampleRateHz: number): [number, number] {
  return [sampleRateHz / 4, 0.45 * sampleRateHz];
}

/**
 * Standard deviation of the envelope of x band-passed to [f1, f2] Hz: FFT (mean removed, zero-padded
 * to a power of two), keep the positive frequencies in the band (doubled: the analytic signal),
 * inverse FFT, magnitude.
 */
export function envelopeFluctuation(x: ArrayLike<number>, sampleRateHz: number, band: readonly [number, number]): number {
  const n = x.length;
  if (n < 8) return Number.NaN;
  let size = 1;
  while (size < n) size <<= 1;
  const re = new Float64Array(size);
  const im = new Float64Array(size);
  let m = 0;
  for (let i = 0; i < n; i++) m += x[i]!;
  m /= n;
  for (let i = 0; i < n; i++) re[i] = x[i]! - m;
  fft(re, im);
  for (let k = 0; k < size; k++) {
    const f = (k * sampleRateHz) / size;
    const keep = k > 0 && k < size / 2 && f >= band[0] && f <= band[1];
    re[k] = keep ? 2 * re[k]! : 0;
    im[k] = keep ? 2 * im[k]! : 0;
  }
  // inverse FFT by conjugation: ifft(X) = conj(fft(conj(X))) / size
  for (let k = 0; k < size; k++) im[k] = -im[k]!;
  fft(re, im);
  let s = 0;
  let ss = 0;
  for (let i = 0; i < n; i++) {
    const e = Math.hypot(re[i]!, im[i]!) / size;
    s += e;
    ss += e * e;
  }
  const mean = s / n;
  return Math.sqrt(Math.max(0, ss / n - mean * mean));
}
