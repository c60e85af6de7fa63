/**
 * A small gradient-boosted regression tree learner (squared error), in plain TypeScript: enough for
 * fleet remaining-life models on tables of tens of thousands of rows and tens of features, with
 * no native dependency. Histogram splits (features binned to at most 64 quantile bins), depth-limited
 * trees, shrinkage, row subsampling, a minimum leaf size. Deterministic for a given seed.
 */

import { rng } from './stats.js';

export interface GbdtOptions {
  trees?: number;
  depth?: number;
  learningRate?: number;
  /** share of rows each tree sees */
  subsample?: number;
  minLeaf?: number;
  bins?: number;
  /** L2 penalty on leaf values */
  lambda?: number;
  seed?: number;
}

interface Node {
  /** feature index, or -1 for a leaf */
  f: number;
  /** split: go left when bin <= b (value <= threshold) */
  threshold: number;
  left: number;
  right: number;
  value: number;
}

export interface GbdtModel {
  base: number;
  learningRate: number;
  trees: Node[][];
  features: number;
}

/** Quantile bin edges per feature; bin k holds values <= edges[k]. */
function binEdges(X: Float64Array[], bins: number): Float64Array[] {
  const p = X[0]?.length ?? 0;
  const edges: Float64Array[] = [];
  for (let j = 0; j < p; j++) {
    const col = Float64Array.from(X, (r) => r[j]!).sort();
    const e: number[] = [];
    for (let k = 1; k < bins; k++) {
      const v = col[Math.floor((k * (col.length - 1)) / bins)]!;
      if (e.length === 0 || v > e[e.length - 1]!) e.push(v);
    }
    edges.push(Float64Array.from(e));
  }
  return edges;
}

function binOf(edges: Float64Array, v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const m = (lo + hi) >> 1;
    if (v <= edges[m]!) hi = m;
    else lo = m + 1;
  }
  return lo;
}

export function trainGbdt(X: Float64Array[], y: ArrayLike<number>, opts: GbdtOptions = {}): GbdtModel {
  const n = X.length;
  const p = X[0]?.length ?? 0;
  const trees = opts.trees ?? 300;
  const depth = opts.depth ?? 5;
  const lr = opts.learningRate ?? 0.05;
  const sub = opts.subsample ?? 0.8;
  const minLeaf = opts.minLeaf ?? 20;
  const nb = opts.bins ?? 64;
  const lambda = opts.lambda ?? 1;
  const rand = rng(opts.seed ?? 1);
  const edges = binEdges(X, nb);
  // binned matrix, column-major for cache-friendly histograms
  const B: Uint8Array[] = [];
  for (let j = 0; j < p; j++) {
    const col = new Uint8Array(n);
    for (let i = 0; i < n; i++) col[i] = binOf(edges[j]!, X[i]![j]!);
    B.push(col);
  }
  let base = 0;
  for (let i = 0; i < n; i++) base += y[i]!;
  base /= n;
  const pred = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const model: GbdtModel = { base, learningRate: lr, trees: [], features: p };
  const hs = new Float64Array(nb + 1);
  const hc = new Float64Array(nb + 1);
  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < n; i++) grad[i] = y[i]! - pred[i]!;
    const rows: number[] = [];
    for (let i = 0; i < n; i++) if (rand() < sub) rows.push(i);
    const nodes: Node[] = [];
    const build = (idx: number[], d: number): number => {
      let s = 0;
      for (const i of idx) s += grad[i]!;
      const id = nodes.length;
      nodes.push({ f: -1, threshold: 0, left: -1, right: -1, value: s / (idx.length + lambda) });
      if (d >= depth || idx.length < 2 * minLeaf) return id;
      let bestGain = 0;
      let bestF = -1;
      let bestB = -1;
      const parent = (s * s) / (idx.length + lambda);
      for (let j = 0; j < p; j++) {
        hs.fill(0);
        hc.fill(0);
        const col = B[j]!;
        for (const i of idx) {
          const b = col[i]!;
          hs[b]! += grad[i]!;
          hc[b]!++;
        }
        let ls = 0;
        let lc = 0;
        for (let b = 0; b < nb; b++) {
          ls += hs[b]!;
          lc += hc[b]!;
          const rc = idx.length - lc;
          if (lc < minLeaf) continue;
          if (rc < minLeaf) break;
          const rs = s - ls;
          const gain = (ls * ls) / (lc + lambda) + (rs * rs) / (rc + lambda) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestF = j;
            bestB = b;
          }
        }
      }
      if (bestF < 0) return id;
      const col = B[bestF]!;
      const li: number[] = [];
      const ri: number[] = [];
      for (const i of idx) (col[i]! <= bestB ? li : ri).push(i);
      const node = nodes[id]!;
      node.f = bestF;
      node.threshold = bestB < edges[bestF]!.length ? edges[bestF]![bestB]! : Infinity;
      node.left = build(li, d + 1);
      node.right = build(ri, d + 1);
      return id;
    };
    build(rows, 0);
    model.trees.push(nodes);
    for (let i = 0; i < n; i++) pred[i]! += lr * evalTree(nodes, X[i]!);
  }
  return model;
}

function evalTree(nodes: Node[], x: ArrayLike<number>): number {
  let k = 0;
  for (;;) {
    const nd = nodes[k]!;
    if (nd.f < 0) return nd.value;
    k = x[nd.f]! <= nd.threshold ? nd.left : nd.right;
  }
}

export function predictGbdt(m: GbdtModel, x: ArrayLike<number>): number {
  let s = m.base;
  for (const t of m.trees) s += m.learningRate * evalTree(t, x);
  return s;
}
