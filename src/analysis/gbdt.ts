/**
 * A small gradient-boosted regression tree learner (squared error), in plain TypeScript: enough for
 * fleet remaining-life models on tables of tens of thousands of rows and tens of features, with
 * no native dependency. Histogram splits (features binned to at most 64 quantile bins), depth-limited
 * trees, shrinkage, row subsampling, a minimum leaf size. Deterministic for a given seed.
 *
 * Speed: rows are partitioned in place (one index array per tree) and a node's histograms are built
 * for its smaller child only, the larger child's being the parent's minus the smaller's (the usual
 * histogram-subtraction trick), so a tree costs about one pass over its rows per level.
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

export interface GbdtNode {
  /** feature index, or -1 for a leaf */
  f: number;
  /** split: go left when value <= threshold */
  threshold: number;
  left: number;
  right: number;
  value: number;
}

export interface GbdtModel {
  base: number;
  learningRate: number;
  trees: GbdtNode[][];
  features: number;
}

/** Quantile bin edges per feature; bin k holds values <= edges[k]. */
function binEdges(X: ArrayLike<number>[], bins: number): Float64Array[] {
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

/**
 * Trains on rows X (each of the same length) and targets y. `onTree`, when given, is called after
 * each tree with the model so far (cross-validation reads staged predictions from it).
 */
export function trainGbdt(
  X: ArrayLike<number>[],
  y: ArrayLike<number>,
  opts: GbdtOptions = {},
  onTree?: (m: GbdtModel, trees: number) => void,
): GbdtModel {
  const n = X.length;
  const p = X[0]?.length ?? 0;
  const trees = opts.trees ?? 300;
  const depth = opts.depth ?? 5;
  const lr = opts.learningRate ?? 0.05;
  const sub = opts.subsample ?? 0.8;
  const minLeaf = opts.minLeaf ?? 20;
  const nb = Math.min(255, opts.bins ?? 64);
  const lambda = opts.lambda ?? 1;
  const rand = rng(opts.seed ?? 1);
  const edges = binEdges(X, nb);
  // bins row by row (row i's p bins side by side): a histogram pass reads each row's bins at once
  const RB = new Uint8Array(n * p);
  for (let j = 0; j < p; j++) {
    const e = edges[j]!;
    for (let i = 0; i < n; i++) RB[i * p + j] = binOf(e, X[i]![j]!);
  }
  let base = 0;
  for (let i = 0; i < n; i++) base += y[i]!;
  base /= n;
  const pred = new Float64Array(n).fill(base);
  const grad = new Float64Array(n);
  const model: GbdtModel = { base, learningRate: lr, trees: [], features: p };
  const stride = nb + 1;
  const size = 2 * p * stride; // (sum, count) interleaved per feature and bin
  // two histograms per depth level: a node's children are built into its level + 1 pair (the left
  // subtree uses deeper levels only, so the right child's histogram survives until it is used)
  const pool: Float64Array[][] = Array.from({ length: depth + 2 }, () => [new Float64Array(size), new Float64Array(size)]);
  const order = new Int32Array(n);
  const tmp = new Int32Array(n);
  // per node, the split as a bin (rows are routed by their bins while training)
  const splitBin: number[] = [];

  const fill = (h: Float64Array, a: number, b: number) => {
    h.fill(0);
    for (let k = a; k < b; k++) {
      const i = order[k]!;
      const g = grad[i]!;
      const row = i * p;
      for (let j = 0; j < p; j++) {
        const idx = (j * stride + RB[row + j]!) << 1;
        h[idx]! += g;
        h[idx + 1]!++;
      }
    }
  };

  for (let t = 0; t < trees; t++) {
    for (let i = 0; i < n; i++) grad[i] = y[i]! - pred[i]!;
    let m = 0;
    for (let i = 0; i < n; i++) if (rand() < sub) order[m++] = i;
    const nodes: GbdtNode[] = [];
    splitBin.length = 0;
    // h holds the histograms of rows order[a..b)
    const build = (a: number, b: number, d: number, h: Float64Array): number => {
      const count = b - a;
      let s = 0;
      for (let k = a; k < b; k++) s += grad[order[k]!]!;
      const id = nodes.length;
      nodes.push({ f: -1, threshold: 0, left: -1, right: -1, value: s / (count + lambda) });
      splitBin.push(-1);
      if (d >= depth || count < 2 * minLeaf) return id;
      let bestGain = 0;
      let bestF = -1;
      let bestB = -1;
      const parent = (s * s) / (count + lambda);
      for (let j = 0; j < p; j++) {
        const off = 2 * j * stride;
        let ls = 0;
        let lc = 0;
        for (let bin = 0; bin < nb; bin++) {
          ls += h[off + 2 * bin]!;
          lc += h[off + 2 * bin + 1]!;
          const rc = count - lc;
          if (lc < minLeaf) continue;
          if (rc < minLeaf) break;
          const rs = s - ls;
          const gain = (ls * ls) / (lc + lambda) + (rs * rs) / (rc + lambda) - parent;
          if (gain > bestGain) {
            bestGain = gain;
            bestF = j;
            bestB = bin;
          }
        }
      }
      if (bestF < 0) return id;
      // partition order[a..b) stably: left rows first
      let l = a;
      let r = 0;
      for (let k = a; k < b; k++) {
        const i = order[k]!;
        if (RB[i * p + bestF]! <= bestB) order[l++] = i;
        else tmp[r++] = i;
      }
      order.set(tmp.subarray(0, r), l);
      const node = nodes[id]!;
      node.f = bestF;
      node.threshold = bestB < edges[bestF]!.length ? edges[bestF]![bestB]! : Infinity;
      splitBin[id] = bestB;
      // histograms: the smaller child counted, the larger one the parent's minus the smaller's
      const [small, large] = pool[d + 1]!;
      const leftSmaller = l - a <= b - l;
      if (leftSmaller) fill(small!, a, l);
      else fill(small!, l, b);
      for (let k = 0; k < size; k++) large![k] = h[k]! - small![k]!;
      node.left = build(a, l, d + 1, leftSmaller ? small! : large!);
      node.right = build(l, b, d + 1, leftSmaller ? large! : small!);
      return id;
    };
    const root = pool[0]![0]!;
    fill(root, 0, m);
    build(0, m, 0, root);
    model.trees.push(nodes);
    for (let i = 0; i < n; i++) {
      let k = 0;
      const row = i * p;
      for (;;) {
        const nd = nodes[k]!;
        if (nd.f < 0) break;
        k = RB[row + nd.f]! <= splitBin[k]! ? nd.left : nd.right;
      }
      pred[i]! += lr * nodes[k]!.value;
    }
    onTree?.(model, t + 1);
  }
  return model;
}

function evalTree(nodes: GbdtNode[], x: ArrayLike<number>): number {
  let k = 0;
  for (;;) {
    const nd = nodes[k]!;
    if (nd.f < 0) return nd.value;
    k = x[nd.f]! <= nd.threshold ? nd.left : nd.right;
  }
}

/** The model's prediction for one row; `trees` limits it to the first trees (staged prediction). */
export function predictGbdt(m: GbdtModel, x: ArrayLike<number>, trees = m.trees.length): number {
  let s = m.base;
  const k = Math.min(trees, m.trees.length);
  for (let t = 0; t < k; t++) s += m.learningRate * evalTree(m.trees[t]!, x);
  return s;
}
