import { stat } from 'node:fs/promises';
import { openCaptureSet } from './capture-set.js';
import { IntervalStats, type Gap } from './interval-stats.js';
import { isoFromMs, timeMs } from './iso-time.js';
import { isGzipPath } from './line-source.js';
import type { CaptureHeader, CaptureIssue, CaptureRecord, SourceInfo } from './types.js';

/**
 * `iiot capture info`: what a capture holds, as a plain object (rendered separately, and the
 * body of `--json`). One pass, memory bounded by the number of tags.
 */

export interface InfoOptions {
  /** an interval longer than gapFactor x the tag's median interval is a gap (default 3) */
  gapFactor?: number;
  /** or: an interval longer than this is a gap, for every tag */
  gapMs?: number;
  strict?: boolean;
  /** issues listed in the result (all are counted); default 20 */
  maxIssues?: number;
}

export interface GapInfo {
  from: string;
  to: string;
  ms: number;
}

export interface TagSummary {
  name: string;
  unit?: string;
  dataType?: string;
  source?: string;
  /** declared in a header or a config event */
  declared: boolean;
  count: number;
  /** values by JSON type */
  types: { number: number; string: number; boolean: number; null: number; other: number };
  /** samples whose quality is not good (they carry "q") */
  notGood: number;
  min?: number;
  max?: number;
  mean?: number;
  first?: string;
  last?: string;
  /** median time between consecutive samples, ms */
  medianIntervalMs?: number;
  /** false when the tag had so many distinct intervals that the median is approximate (within 1 %) */
  medianExact: boolean;
  gaps: { thresholdMs?: number; count: number; totalMs: number; largest: GapInfo[] };
  /** samples earlier than the tag's previous sample */
  outOfOrder: number;
  /** samples at the same time as the tag's previous sample */
  sameTime: number;
}

export interface CaptureInfo {
  files: string[];
  bytes: number;
  compressed: boolean;
  format: string;
  version: number;
  created: string;
  tool: string;
  part?: { index: number; first: string };
  sources: SourceInfo[];
  metadata: Record<string, unknown>;
  lines: number;
  records: { samples: number; events: number; raw: number };
  /** every record's time: samples, events and raw messages */
  span: { first?: string; last?: string; durationMs?: number };
  /** the samples' times (source timestamps when the protocol gives them): the data's own span */
  data: { first?: string; last?: string; durationMs?: number };
  /**
   * the recording's own span, by the recorder's clock: from the header's `created` to the stop
   * event (else the last event or raw message); absent when no event or raw message follows `created`
   * (a capture made in one go, such as iiot sim --generate or an import)
   */
  recording?: { from: string; to: string; durationMs: number };
  tags: TagSummary[];
  events: { count: number; byKind: Record<string, number>; gaps: Array<{ t: string; from?: string; to?: string; source?: string }> };
  raw: { count: number; topics: number };
  issues: { count: number; torn: boolean; list: CaptureIssue[] };
}

class TagAccumulator {
  count = 0;
  readonly types = { number: 0, string: 0, boolean: 0, null: 0, other: 0 };
  notGood = 0;
  min = Infinity;
  max = -Infinity;
  sum = 0;
  firstMs = NaN;
  lastMs = NaN;
  prevMs = NaN;
  outOfOrder = 0;
  sameTime = 0;
  readonly intervals = new IntervalStats(3);

  add(r: CaptureRecord, ms: number): void {
    this.count++;
    const v = r.v;
    switch (typeof v) {
      case 'number':
        this.types.number++;
        if (v < this.min) this.min = v;
        if (v > this.max) this.max = v;
        this.sum += v;
        break;
      case 'string':
        this.types.string++;
        break;
      case 'boolean':
        this.types.boolean++;
        break;
      default:
        if (v === null) this.types.null++;
        else this.types.other++;
    }
    if (r.q !== undefined) this.notGood++;
    if (Number.isNaN(this.firstMs) || ms < this.firstMs) this.firstMs = ms;
    if (Number.isNaN(this.lastMs) || ms > this.lastMs) this.lastMs = ms;
    const prev = this.prevMs;
    if (!Number.isNaN(prev)) {
      if (ms < prev) {
        this.outOfOrder++;
        return;
      }
      if (ms === prev) this.sameTime++;
      else this.intervals.add(ms - prev, ms);
    }
    this.prevMs = ms;
  }
}

const MAX_TOPICS = 100_000;
const MAX_GAP_EVENTS = 20;

function iso(ms: number): string | undefined {
  return Number.isNaN(ms) ? undefined : isoFromMs(ms);
}

function gapInfo(g: Gap): GapInfo {
  return { from: isoFromMs(g.from) ?? '', to: isoFromMs(g.to) ?? '', ms: g.ms };
}

export async function captureInfo(paths: readonly string[], opts: InfoOptions = {}): Promise<CaptureInfo> {
  const maxIssues = opts.maxIssues ?? 20;
  const issues: CaptureIssue[] = [];
  let torn = false;
  const set = await openCaptureSet(paths, {
    ...(opts.strict ? { strict: true } : {}),
    onIssue: (i) => {
      if (i.torn) torn = true;
      if (issues.length < maxIssues) issues.push(i);
    },
  });
  const tags = new Map<string, TagAccumulator>();
  const byKind: Record<string, number> = {};
  const gapEvents: CaptureInfo['events']['gaps'] = [];
  const topics = new Set<string>();
  let samples = 0;
  let events = 0;
  let raw = 0;
  let firstMs = NaN;
  let lastMs = NaN;
  let dataFirstMs = NaN;
  let dataLastMs = NaN;
  // the recorder's clock: events and raw messages are stamped when they happen or arrive
  let stopMs = NaN;
  let lastWallMs = NaN;
  let lastTag = '';
  let lastAcc: TagAccumulator | undefined;
  for await (const batch of set.batches()) {
    for (const r of batch) {
      const ms = timeMs(r.t);
      if (!(ms >= firstMs)) firstMs = ms;
      if (!(ms <= lastMs)) lastMs = ms;
      if (typeof r.tag === 'string') {
        samples++;
        if (!(ms >= dataFirstMs)) dataFirstMs = ms;
        if (!(ms <= dataLastMs)) dataLastMs = ms;
        let acc = r.tag === lastTag ? lastAcc : tags.get(r.tag);
        if (acc === undefined) {
          acc = new TagAccumulator();
          tags.set(r.tag, acc);
        }
        lastTag = r.tag;
        lastAcc = acc;
        acc.add(r, ms);
      } else if (typeof r.event === 'string') {
        events++;
        if (!(ms <= lastWallMs)) lastWallMs = ms;
        if (r.event === 'stop' && !(ms <= stopMs)) stopMs = ms;
        byKind[r.event] = (byKind[r.event] ?? 0) + 1;
        if (r.event === 'gap' && gapEvents.length < MAX_GAP_EVENTS) {
          gapEvents.push({
            t: r.t,
            ...(typeof r.from === 'string' ? { from: r.from } : {}),
            ...(typeof r.to === 'string' ? { to: r.to } : {}),
            ...(typeof r.source === 'string' ? { source: r.source } : {}),
          });
        }
      } else {
        raw++;
        if (!(ms <= lastWallMs)) lastWallMs = ms;
        if (topics.size < MAX_TOPICS && typeof r.topic === 'string') topics.add(r.topic);
      }
    }
  }
  const declared = new Map(set.tags().map((t) => [t.name, t]));
  const header: CaptureHeader = set.header;
  let bytes = 0;
  let compressed = false;
  for (const p of paths) {
    bytes += (await stat(p)).size;
    compressed ||= await isGzipPath(p);
  }

  // declared tags first, in header order, then tags only seen in samples
  const names = [...declared.keys(), ...[...tags.keys()].filter((n) => !declared.has(n))];
  const tagSummaries = names.map((name): TagSummary => {
    const decl = declared.get(name);
    const acc = tags.get(name) ?? new TagAccumulator();
    const median = acc.intervals.median();
    const threshold = opts.gapMs ?? (median === undefined ? undefined : median * (opts.gapFactor ?? 3));
    const gaps = threshold === undefined ? { count: 0, totalMs: 0 } : acc.intervals.above(threshold);
    const summary: TagSummary = {
      name,
      ...(typeof decl?.unit === 'string' ? { unit: decl.unit } : {}),
      ...(typeof decl?.dataType === 'string' ? { dataType: decl.dataType } : {}),
      ...(typeof decl?.source === 'string' ? { source: decl.source } : {}),
      declared: decl !== undefined,
      count: acc.count,
      types: acc.types,
      notGood: acc.notGood,
      medianExact: acc.intervals.isExact,
      gaps: {
        ...(threshold === undefined ? {} : { thresholdMs: threshold }),
        count: gaps.count,
        totalMs: gaps.totalMs,
        largest: threshold === undefined ? [] : acc.intervals.largest.filter((g) => g.ms > threshold).map(gapInfo),
      },
      outOfOrder: acc.outOfOrder,
      sameTime: acc.sameTime,
    };
    if (acc.types.number > 0) {
      summary.min = acc.min;
      summary.max = acc.max;
      summary.mean = acc.sum / acc.types.number;
    }
    const first = iso(acc.firstMs);
    const last = iso(acc.lastMs);
    if (first !== undefined) summary.first = first;
    if (last !== undefined) summary.last = last;
    if (median !== undefined) summary.medianIntervalMs = median;
    return summary;
  });

  const info: CaptureInfo = {
    files: [...paths],
    bytes,
    compressed,
    format: header.format,
    version: header.version,
    created: header.created,
    tool: header.tool,
    sources: header.sources,
    metadata: header.metadata,
    lines: set.linesRead,
    records: { samples, events, raw },
    span: {},
    data: {},
    tags: tagSummaries,
    events: { count: events, byKind, gaps: gapEvents },
    raw: { count: raw, topics: topics.size },
    issues: { count: set.issueCount, torn, list: issues },
  };
  if (header.part) info.part = header.part;
  const first = iso(firstMs);
  const last = iso(lastMs);
  if (first !== undefined && last !== undefined) info.span = { first, last, durationMs: lastMs - firstMs };
  const dataFirst = iso(dataFirstMs);
  const dataLast = iso(dataLastMs);
  if (dataFirst !== undefined && dataLast !== undefined)
    info.data = { first: dataFirst, last: dataLast, durationMs: dataLastMs - dataFirstMs };
  const createdMs = timeMs(header.created);
  const endMs = Number.isNaN(stopMs) ? lastWallMs : stopMs;
  if (endMs >= createdMs) info.recording = { from: isoFromMs(createdMs)!, to: isoFromMs(endMs)!, durationMs: endMs - createdMs };
  return info;
}
