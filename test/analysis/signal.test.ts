import { describe, expect, it } from 'vitest';
import { bandEnergy, blockIndicators, envelopeFluctuation, MomentAccumulator } from '../../src/analysis/signal.js';
import { normalQuantile, rng } from '../../src/analysis/stats.js';

describe('raw-signal indicators', () => {
  it('a sine has crest factor sqrt(2), RMS amplitude/sqrt(2) and Pearson kurtosis 1.5', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => 2 * Math.sin((2 * Math.PI * 50 * i) / 10_000));
    const b = blockIndicators(x);
    expect(b.rms).toBeCloseTo(2 / Math.SQRT2, 6);
    expect(b.crestFactor).toBeCloseTo(Math.SQRT2, 3);
    expect(b.kurtosis).toBeCloseTo(1.5, 3);
  });

  it('Gaussian noise has kurtosis near 3 (Pearson, not excess) and impulses raise it', () => {
    const r = rng(7);
    const g = Array.from({ length: 50_000 }, () => normalQuantile(Math.min(1 - 1e-12, Math.max(1e-12, r()))));
    expect(blockIndicators(g).kurtosis).toBeGreaterThan(2.85);
    expect(blockIndicators(g).kurtosis).toBeLessThan(3.15);
    const impulsive = g.map((v, i) => (i % 500 === 0 ? v + 12 : v));
    expect(blockIndicators(impulsive).kurtosis).toBeGreaterThan(5);
  });

  it('the streaming accumulator equals the block computation, even with a large offset', () => {
    const x = Array.from({ length: 1000 }, (_, i) => 1e6 + Math.sin(i));
    const m = new MomentAccumulator();
    for (const v of x) m.add(v);
    const b = blockIndicators(x);
    expect(m.kurtosis).toBeCloseTo(b.kurtosis, 9);
    expect(m.std).toBeCloseTo(b.std, 9);
  });

  it('band energy finds a tone in its band and not outside', () => {
    const fs = 4096;
    const x = Array.from({ length: 4096 }, (_, i) => Math.sin((2 * Math.PI * 300 * i) / fs));
    expect(bandEnergy(x, fs, [250, 350])).toBeGreaterThan(0.45);
    expect(bandEnergy(x, fs, [600, 900])).toBeLessThan(0.01);
  });

  it('the envelope of an amplitude-modulated carrier fluctuates by m/sqrt(2); a steady carrier and noise far less', () => {
    // (1 + m cos 2 pi fm t) cos 2 pi fc t: its envelope is 1 + m cos 2 pi fm t, whose standard deviation is m / sqrt(2)
    const fs = 20_000;
    const m = 0.5;
    const t = (i: number) => i / fs;
    const am = Array.from({ length: fs }, (_, i) => (1 + m * Math.cos(2 * Math.PI * 100 * t(i))) * Math.cos(2 * Math.PI * 3000 * t(i)));
    expect(envelopeFluctuation(am, fs, [2000, 4000])).toBeCloseTo(m / Math.SQRT2, 1);
    expect(Math.abs(envelopeFluctuation(am, fs, [2000, 4000]) / (m / Math.SQRT2) - 1)).toBeLessThan(0.05);
    const tone = Array.from({ length: fs }, (_, i) => Math.cos(2 * Math.PI * 3000 * t(i)));
    expect(envelopeFluctuation(tone, fs, [2000, 4000])).toBeLessThan(0.05);
    // the same modulation outside the band is not seen
    expect(envelopeFluctuation(am, fs, [6000, 9000])).toBeLessThan(0.01);
  });
});
