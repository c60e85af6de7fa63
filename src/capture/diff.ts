import { usageError } from '../core/errors.js';
import { openCaptureSet } from './capture-set.js';
import { stringifyJson } from './encode.js';
import { isoFromMs, timeMs } from './iso-time.js';
import { tagMatcher, type TagMatcher } from './tag-match.js';
import type { CaptureIssue, SampleValue } from './types.js';

/**
 * `iiot capture diff A B`: are two captures the same data? Per tag, samples of A are matched to
 * samples of B within the time tolerance; matched values must agree within the value tolerance.
 * A is the reference: a relative tolerance is relative to A's value. How samples are matched
 * (`align`):
 * - pairs (default): one to one, in time order: the same samples, maybe a little late.
 * - nearest: each sample of A with the sample of B nearest in time; a sample of B may serve
 *   several of A, and a sample of B with no sample of A within the tolerance is extra. For
 *   polled sources stamped at read time (Modbus, a polled OPC UA read), whose reads fall
 *   anywhere near the recorded times and at another rate.
 * - hold: each sample of B with the last sample of A at or before it (what a poller reading a
 *   replayed value sees: the value holds until the next one); a sample of A that no sample of B
 *   read is missing.
 * `timeShiftMs` (or `timeShift: 'auto'`: B's first sample minus A's first) is taken off B's
 * times first: a capture recorded from a replay runs at the time of the replay, not the original's.
 * Each side's samples (time, value, quality) are held in memory for the comparison, about
 * 20 bytes per numeric sample; events and raw messages are not compared.
 */

export interface Tolerance {
  /** absolute: |a - b| <= abs */
  abs?: number;
  /** relative to |a|, as a fraction (0.001 for "0.1%") */
  rel?: number;
}

/** "0.1%" (relative), "0.5" (absolute), "0.5+0.1%" (either). */
export function parseTolerance(text: string, what = '--tolerance'): Tolerance {
  const t: Tolerance = {};
  for (const part of text.split('+').map((s) => s.trim())) {
    const m = /^(\d+(?:\.\d+)?(?:e[-+]?\d+)?)\s*(%)?$/i.exec(part);
    if (!m)
      throw usageError(
        `${what}: cannot read "${text}" as a tolerance`,
        'write an absolute value (0.5), a percentage (0.1%) or both (0.5+0.1%)',
      );
    if (m[2]) t.rel = Number(m[1]) / 100;
    else t.abs = Number(m[1]);
  }
  return t;
}

export function formatTolerance(t: Tolerance): string {
  const parts: string[] = [];
  if (t.abs !== undefined) parts.push(String(t.abs));
  if (t.rel !== undefined) parts.push(`${Number((t.rel * 100).toPrecision(12))}%`);
  return parts.join('+') || '0';
}

/** "tag=0.5" or "line3.*=1%" */
export function parseTagTolerance(text: string): { pattern: string; tolerance: Tolerance } {
  const eq = text.lastIndexOf('=');
  if (eq <= 0)
    throw usageError(`--tag-tolerance: cannot read "${text}"`, 'write TAG=TOLERANCE, for example line3.temp=0.5 or "line3.*=1%"');
  return { pattern: text.slice(0, eq).trim(), tolerance: parseTolerance(text.slice(eq + 1), `--tag-tolerance ${text}`) };
}

export interface DiffOptions {
  tolerance?: Tolerance;
  timeToleranceMs?: number;
  tagTolerances?: Array<{ pattern: string; tolerance: Tolerance }>;
  tags?: string[];
  from?: number;
  to?: number;
  /** do not count different qualities as a difference */
  ignoreQuality?: boolean;
  /** how samples of A and B are matched (default pairs) */
  align?: DiffAlign;
  /** taken off every time of B before matching; 'auto': B's first sample minus A's first */
  timeShift?: number | 'auto';
  /** differences listed per tag (all are counted); default 5 */
  maxExamples?: number;
  strict?: boolean;
  onIssue?: (side: 'a' | 'b', issue: CaptureIssue) => void;
}

export type DifferenceKind = 'missing' | 'extra' | 'value' | 'quality';

export type DiffAlign = 'pairs' | 'nearest' | 'hold';
export const DIFF_ALIGNS: readonly DiffAlign[] = ['pairs', 'nearest', 'hold'];

export interface Difference {
  kind: DifferenceKind;
  /** time in A (missing, value, quality) or in B (extra) */
  t: string;
  tB?: string;
  a?: SampleValue;
  b?: SampleValue;
  qa?: string;
  qb?: string;
}

export interface TagDiff {
  tag: string;
  tolerance: string;
  inA: number;
  inB: number;
  matched: number;
  outOfTolerance: number;
  qualityDiffers: number;
  /** in A, with no sample of B within the time tolerance */
  missing: number;
  /** in B, with no sample of A within the time tolerance */
  extra: number;
  maxAbsDiff?: number;
  maxTimeDiffMs?: number;
  equal: boolean;
  differences: Difference[];
}

export interface DiffResult {
  a: string[];
  b: string[];
  equal: boolean;
  tolerance: string;
  timeToleranceMs: number;
  /** how samples were matched, when not pairs */
  align?: DiffAlign;
  /** taken off B's times before matching, when any */
  timeShiftMs?: number;
  totals: {
    tags: number;
    differingTags: number;
    matched: number;
    outOfTolerance: number;
    qualityDiffers: number;
    missing: number;
    extra: number;
  };
  tags: TagDiff[];
  issues: { a: number; b: number };
}

class Column {
  times: Float64Array = new Float64Array(256);
  values: SampleValue[] = [];
  qualities: Array<string | undefined> = [];
  n = 0;
  sorted = true;

  push(ms: number, v: SampleValue, q: string | undefined): void {
    if (this.n === this.times.length) {
      const bigger = new Float64Array(this.n * 2);
      bigger.set(this.times);
      this.times = bigger;
    }
    if (this.n > 0 && ms < this.times[this.n - 1]!) this.sorted = false;
    this.times[this.n++] = ms;
    this.values.push(v);
    this.qualities.push(q);
  }

  /** indexes in time order (stable) */
  order(): ArrayLike<number> {
    const idx = new Uint32Array(this.n);
    for (let i = 0; i < this.n; i++) idx[i] = i;
    if (this.sorted) return idx;
    const t = this.times;
    return Array.from(idx).sort((x, y) => t[x]! - t[y]! || x - y);
  }
}

async function load(
  paths: readonly string[],
  want: TagMatcher,
  opts: DiffOptions,
  side: 'a' | 'b',
): Promise<{ columns: Map<string, Column>; issues: number; firstMs: number }> {
  const set = await openCaptureSet(paths, {
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.onIssue ? { onIssue: (i: CaptureIssue) => opts.onIssue!(side, i) } : {}),
  });
  const columns = new Map<string, Column>();
  // --from/--to are A's times; B's are compared after its shift (a fixed shift is known now, auto later)
  const shift = side === 'b' && typeof opts.timeShift === 'number' ? opts.timeShift : 0;
  const from = side === 'b' && opts.timeShift === 'auto' ? -Infinity : (opts.from ?? -Infinity);
  const to = side === 'b' && opts.timeShift === 'auto' ? Infinity : (opts.to ?? Infinity);
  let firstMs = Infinity;
  for await (const batch of set.batches()) {
    for (const r of batch) {
      if (typeof r.tag !== 'string' || !want(r.tag)) continue;
      const ms = timeMs(r.t) - shift;
      if (!(ms >= from && ms < to)) continue;
      if (ms < firstMs) firstMs = ms;
      let col = columns.get(r.tag);
      if (!col) columns.set(r.tag, (col = new Column()));
      col.push(ms, r.v as SampleValue, typeof r.q === 'string' ? r.q : undefined);
    }
  }
  return { columns, issues: set.issueCount, firstMs };
}

/** Moves every time of B by -ms and keeps only those in [from, to) (after an automatic shift). */
function shiftColumns(columns: Map<string, Column>, ms: number, from: number, to: number): void {
  for (const [tag, col] of columns) {
    const moved = new Column();
    for (let i = 0; i < col.n; i++) {
      const t = col.times[i]! - ms;
      if (t >= from && t < to) moved.push(t, col.values[i]!, col.qualities[i]);
    }
    columns.set(tag, moved);
  }
}

function sameJson(a: SampleValue, b: SampleValue): boolean {
  return a === b || stringifyJson(a) === stringifyJson(b);
}

function compareTag(tag: string, a: Column | undefined, b: Column | undefined, tol: Tolerance, opts: DiffOptions): TagDiff {
  const timeTol = opts.timeToleranceMs ?? 0;
  const maxExamples = opts.maxExamples ?? 5;
  const d: TagDiff = {
    tag,
    tolerance: formatTolerance(tol),
    inA: a?.n ?? 0,
    inB: b?.n ?? 0,
    matched: 0,
    outOfTolerance: 0,
    qualityDiffers: 0,
    missing: 0,
    extra: 0,
    equal: true,
    differences: [],
  };
  const note = (x: Difference) => {
    if (d.differences.length < maxExamples) d.differences.push(x);
  };
  const ea = new Column();
  const A = a ?? ea;
  const B = b ?? ea;
  const oa = A.order();
  const ob = B.order();
  let i = 0;
  let j = 0;
  let maxAbs = 0;
  let numericPairs = 0;
  let maxDt = 0;
  const missing = (k: number) => {
    d.missing++;
    note({ kind: 'missing', t: isoFromMs(A.times[k]!) ?? '', a: A.values[k]! });
  };
  const extra = (k: number) => {
    d.extra++;
    note({ kind: 'extra', t: isoFromMs(B.times[k]!) ?? '', b: B.values[k]! });
  };
  /** whether A's sample ka and B's sample kb agree in value (within the tolerance) and quality */
  const agrees = (ka: number, kb: number): boolean => {
    const va = A.values[ka]!;
    const vb = B.values[kb]!;
    let ok: boolean;
    if (typeof va === 'number' && typeof vb === 'number') {
      const slack = 4 * Number.EPSILON * Math.max(Math.abs(va), Math.abs(vb));
      ok = Math.abs(va - vb) <= Math.max(tol.abs ?? 0, (tol.rel ?? 0) * Math.abs(va)) + slack || Object.is(va, vb);
    } else ok = sameJson(va, vb);
    return ok && (opts.ignoreQuality === true || A.qualities[ka] === B.qualities[kb]);
  };
  /** compares A's sample ka with B's sample kb (a match within the time tolerance) */
  const compare = (ka: number, kb: number) => {
    const ta = A.times[ka]!;
    const tb = B.times[kb]!;
    {
      d.matched++;
      maxDt = Math.max(maxDt, Math.abs(tb - ta));
      const va = A.values[ka]!;
      const vb = B.values[kb]!;
      let ok: boolean;
      if (typeof va === 'number' && typeof vb === 'number') {
        const diff = Math.abs(va - vb);
        maxAbs = Math.max(maxAbs, diff);
        numericPairs++;
        // a few units in the last place of slack, so 100 vs 100.2 is within 0.2 % as the user means it
        const slack = 4 * Number.EPSILON * Math.max(Math.abs(va), Math.abs(vb));
        const allowed = Math.max(tol.abs ?? 0, (tol.rel ?? 0) * Math.abs(va));
        ok = diff <= allowed + slack || Object.is(va, vb);
      } else {
        ok = sameJson(va, vb);
      }
      const qa = A.qualities[ka];
      const qb = B.qualities[kb];
      const base = { t: isoFromMs(ta) ?? '', ...(tb !== ta ? { tB: isoFromMs(tb) ?? '' } : {}), a: va, b: vb };
      if (!ok) {
        d.outOfTolerance++;
        note({ kind: 'value', ...base, ...(qa !== undefined ? { qa } : {}), ...(qb !== undefined ? { qb } : {}) });
      } else if (qa !== qb && !opts.ignoreQuality) {
        d.qualityDiffers++;
        note({ kind: 'quality', ...base, ...(qa !== undefined ? { qa } : {}), ...(qb !== undefined ? { qb } : {}) });
      }
    }
  };
  const align = opts.align ?? 'pairs';
  if (align === 'pairs') {
    while (i < oa.length && j < ob.length) {
      const ka = oa[i]!;
      const kb = ob[j]!;
      const ta = A.times[ka]!;
      const tb = B.times[kb]!;
      if (Math.abs(tb - ta) <= timeTol) {
        compare(ka, kb);
        i++;
        j++;
      } else if (ta < tb) {
        missing(ka);
        i++;
      } else {
        extra(kb);
        j++;
      }
    }
    for (; i < oa.length; i++) missing(oa[i]!);
    for (; j < ob.length; j++) extra(ob[j]!);
  } else if (align === 'nearest') {
    // each sample of A against B's nearest (two pointers over both in time order)
    for (const ka of Array.from(oa)) {
      const ta = A.times[ka]!;
      while (j + 1 < ob.length && B.times[ob[j + 1]!]! <= ta) j++;
      let best = -1;
      for (const c of [j, j + 1]) {
        if (c >= ob.length) continue;
        const dt = Math.abs(B.times[ob[c]!]! - ta);
        if (dt <= timeTol && (best < 0 || dt < Math.abs(B.times[ob[best]!]! - ta))) best = c;
      }
      if (best < 0) missing(ka);
      else compare(ka, ob[best]!);
    }
    // a sample of B with no sample of A within the tolerance is extra
    i = 0;
    for (const kb of Array.from(ob)) {
      const tb = B.times[kb]!;
      while (i + 1 < oa.length && A.times[oa[i + 1]!]! <= tb) i++;
      const near = [i, i + 1].some((c) => c < oa.length && Math.abs(A.times[oa[c]!]! - tb) <= timeTol);
      if (!near) extra(kb);
    }
  } else {
    // hold: a sample of A holds from its time until the next one (the last for one median
    // interval of A). Each sample of B is compared with a sample of A holding at some
    // time within the tolerance of B's time (B's time is uncertain by that much: the read's own
    // latency, the shift between a replay and its recording): the one that agrees with it if
    // any, else the one holding at B's time. A sample of A that no sample of B read is missing.
    const read = new Uint8Array(A.n);
    const at = oa.length;
    // the last sample holds for one typical interval of A (its median), or the tolerance if longer
    const steps = Array.from({ length: Math.max(0, at - 1) }, (_, c) => A.times[oa[c + 1]!]! - A.times[oa[c]!]!).sort((x, y) => x - y);
    const lastHold = Math.max(timeTol, steps.length > 0 ? steps[Math.floor(steps.length / 2)]! : 0);
    const holdEnd = (c: number) => (c + 1 < at ? A.times[oa[c + 1]!]! : A.times[oa[c]!]! + lastHold);
    let lo = 0;
    for (const kb of Array.from(ob)) {
      const tb = B.times[kb]!;
      // the first sample of A whose hold reaches into [tb - tol, tb + tol]
      while (lo < at && holdEnd(lo) <= tb - timeTol) lo++;
      let chosen = -1;
      let holding = -1;
      for (let c = lo; c < at && A.times[oa[c]!]! <= tb + timeTol; c++) {
        if (A.times[oa[c]!]! <= tb) holding = c;
        if (chosen < 0 && agrees(oa[c]!, kb)) chosen = c;
      }
      if (chosen < 0) chosen = holding >= lo ? holding : -1;
      if (chosen < 0 && lo < at && A.times[oa[lo]!]! <= tb + timeTol) chosen = lo;
      if (chosen < 0) {
        extra(kb);
        continue;
      }
      read[oa[chosen]!] = 1;
      compare(oa[chosen]!, kb);
    }
    for (const ka of Array.from(oa)) if (!read[ka]) missing(ka);
  }
  if (numericPairs > 0) d.maxAbsDiff = maxAbs;
  if (d.matched > 0) d.maxTimeDiffMs = maxDt;
  d.equal = d.missing === 0 && d.extra === 0 && d.outOfTolerance === 0 && (opts.ignoreQuality || d.qualityDiffers === 0);
  return d;
}

export async function diffCaptures(a: readonly string[], b: readonly string[], opts: DiffOptions = {}): Promise<DiffResult> {
  const want = tagMatcher(opts.tags ?? []);
  const left = await load(a, want, opts, 'a');
  const right = await load(b, want, opts, 'b');
  let timeShiftMs = typeof opts.timeShift === 'number' ? opts.timeShift : undefined;
  if (opts.timeShift === 'auto') {
    timeShiftMs = Number.isFinite(left.firstMs) && Number.isFinite(right.firstMs) ? right.firstMs - left.firstMs : 0;
    shiftColumns(right.columns, timeShiftMs, opts.from ?? -Infinity, opts.to ?? Infinity);
  }
  const tol = opts.tolerance ?? {};
  const perTag = (opts.tagTolerances ?? []).map((x) => ({ match: tagMatcher([x.pattern]), tolerance: x.tolerance, pattern: x.pattern }));
  const names = [...left.columns.keys(), ...[...right.columns.keys()].filter((n) => !left.columns.has(n))];
  const tags = names.map((tag) =>
    compareTag(tag, left.columns.get(tag), right.columns.get(tag), perTag.find((p) => p.match(tag))?.tolerance ?? tol, opts),
  );
  const totals = { tags: tags.length, differingTags: 0, matched: 0, outOfTolerance: 0, qualityDiffers: 0, missing: 0, extra: 0 };
  for (const t of tags) {
    if (!t.equal) totals.differingTags++;
    totals.matched += t.matched;
    totals.outOfTolerance += t.outOfTolerance;
    totals.qualityDiffers += t.qualityDiffers;
    totals.missing += t.missing;
    totals.extra += t.extra;
  }
  return {
    a: [...a],
    b: [...b],
    equal: totals.differingTags === 0,
    tolerance: formatTolerance(tol),
    timeToleranceMs: opts.timeToleranceMs ?? 0,
    ...(opts.align !== undefined && opts.align !== 'pairs' ? { align: opts.align } : {}),
    ...(timeShiftMs !== undefined ? { timeShiftMs } : {}),
    totals,
    tags,
    issues: { a: left.issues, b: right.issues },
  };
}
