/**
 * A first pass over the capture before replaying it: every tag (header and config events), the
 * first value of each (a sink needs a data type before the first sample is due), which sources
 * left raw messages (their samples are replayed from the raw lines instead), the time span and a
 * typical step (the pause between two passes of --loop).
 */
import { openCaptureSet } from '../capture/capture-set.js';
import { timeMs } from '../capture/iso-time.js';
import type { CaptureHeader, SampleValue, TagInfo } from '../capture/types.js';

export interface CaptureSurvey {
  header: CaptureHeader;
  tags: TagInfo[];
  firstValue: Map<string, SampleValue>;
  counts: Map<string, number>;
  /** sources with raw lines (MQTT recorded with --raw) */
  rawSources: Set<string>;
  samples: number;
  raw: number;
  events: number;
  first?: number | undefined;
  last?: number | undefined;
  /**
   * Where the replay starts: when the recording started (the header's created time) if records
   * come after it, else the first record. Records before it (an OPC UA server's current values
   * carry the time they last changed, which may be days earlier) are applied at once.
   */
  start?: number | undefined;
  /** a typical time between records (ms), at least 1 */
  step: number;
  issues: number;
}

export async function surveyCapture(paths: readonly string[], onIssue?: (message: string) => void): Promise<CaptureSurvey> {
  const set = await openCaptureSet(paths, { onIssue: (i) => onIssue?.(`${i.file}:${i.line}: ${i.message}`) });
  const firstValue = new Map<string, SampleValue>();
  const counts = new Map<string, number>();
  const rawSources = new Set<string>();
  let samples = 0;
  let raw = 0;
  let events = 0;
  let first: number | undefined;
  let last: number | undefined;
  let distinct = 0;
  let prev = NaN;
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        // events say what happened to the recording; only samples and raw messages are replayed
        const t = 'event' in r ? NaN : timeMs(r.t);
        if (!Number.isNaN(t)) {
          if (first === undefined || t < first) first = t;
          if (last === undefined || t > last) last = t;
          if (t !== prev) distinct++;
          prev = t;
        }
        if ('tag' in r) {
          samples++;
          const tag = r.tag as string;
          counts.set(tag, (counts.get(tag) ?? 0) + 1);
          if (!firstValue.has(tag) && r.v !== null && r.v !== undefined) firstValue.set(tag, r.v as SampleValue);
        } else if ('raw' in r) {
          raw++;
          if (typeof r.source === 'string') rawSources.add(r.source);
        } else events++;
      }
    }
  } finally {
    await set.close();
  }
  const span = first !== undefined && last !== undefined ? last - first : 0;
  const created = timeMs(set.header.created);
  const start = first !== undefined && last !== undefined && created >= first && created <= last ? created : first;
  return {
    start,
    header: set.header,
    tags: set.tags(),
    firstValue,
    counts,
    rawSources,
    samples,
    raw,
    events,
    first,
    last,
    step: distinct > 1 ? Math.max(1, span / (distinct - 1)) : 1000,
    issues: set.issueCount,
  };
}
