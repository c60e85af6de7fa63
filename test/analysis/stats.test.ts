import { describe, expect, it } from 'vitest';
import {
  effectiveN,
  linearFit,
  madSigma,
  median,
  normalQuantile,
  quantile,
  studentTCdf,
  studentTQuantile,
} from '../../src/analysis/stats.js';
import { zoneOf, zoneTable } from '../../src/analysis/iso10816.js';

describe('stats', () => {
  it('quantiles interpolate between order statistics (type 7, numpy default)', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4, 5], 0.1)).toBeCloseTo(1.4, 12);
    expect(median([5, 1, 3])).toBe(3);
  });

  it('MAD sigma estimates the standard deviation and ignores an outlier', () => {
    const x = [-1.5, -1, -0.5, 0, 0.5, 1, 1.5, 1000];
    expect(madSigma(x)).toBeLessThan(2);
  });

  it('Student t and normal quantiles match the tables', () => {
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTQuantile(0.9, 3)).toBeCloseTo(1.638, 3);
    expect(studentTCdf(2.228, 10)).toBeCloseTo(0.975, 3);
    expect(normalQuantile(0.975)).toBeCloseTo(1.95996, 4);
    expect(normalQuantile(0.1)).toBeCloseTo(-1.28155, 4);
  });

  it('a least-squares line recovers slope and intercept; a flat noisy series is not significant', () => {
    const x = Array.from({ length: 50 }, (_, i) => i);
    const f = linearFit(
      x,
      x.map((v) => 3 + 0.5 * v),
    );
    expect(f.slope).toBeCloseTo(0.5, 12);
    expect(f.intercept).toBeCloseTo(3, 12);
    expect(f.r2).toBeCloseTo(1, 12);
    const noise = x.map((i) => Math.sin(i * 12.9898) * 0.5);
    expect(linearFit(x, noise, { autocorrelation: true }).pValue).toBeGreaterThan(0.05);
  });

  it('autocorrelation shrinks the effective sample size', () => {
    expect(effectiveN(100, 0)).toBe(100);
    expect(effectiveN(100, 0.5)).toBeCloseTo(33.3, 1);
    expect(effectiveN(100, -0.3)).toBe(100);
  });
});

describe('ISO 10816-3 zones', () => {
  it('has the velocity boundaries of the standard by group and foundation', () => {
    expect(zoneTable(2, 'rigid').boundaries).toEqual({ 'A/B': 1.4, 'B/C': 2.8, 'C/D': 4.5 });
    expect(zoneTable(1, 'rigid').boundaries).toEqual({ 'A/B': 2.3, 'B/C': 4.5, 'C/D': 7.1 });
    expect(zoneTable(1, 'flexible').boundaries['C/D']).toBe(11);
    expect(zoneTable(2, 'flexible').boundaries['C/D']).toBe(7.1);
    expect(zoneTable(3, 'rigid').boundaries).toEqual(zoneTable(1, 'rigid').boundaries);
  });
  it('puts a value on a boundary in the upper zone', () => {
    const t = zoneTable(2, 'rigid');
    expect(zoneOf(1.39, t)).toBe('A');
    expect(zoneOf(1.4, t)).toBe('B');
    expect(zoneOf(3, t)).toBe('C');
    expect(zoneOf(4.5, t)).toBe('D');
  });
});
