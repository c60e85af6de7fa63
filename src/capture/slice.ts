import { refuseToReplace } from '../core/output-file.js';
import { basename } from 'node:path';
import { openCaptureSet } from './capture-set.js';
import { isoFromMs, timeMs } from './iso-time.js';
import { tagMatcher } from './tag-match.js';
import type { CaptureIssue, CaptureRecord, TagInfo } from './types.js';
import { createCaptureWriter, type WriterOptions } from './writer.js';

/**
 * `iiot capture slice`: the records of a time range and a set of tags, into a new capture with
 * the same header (tags narrowed to the selection) and `metadata.slice` saying what was cut.
 * Records are copied as they are, unknown fields included.
 */

export interface SliceOptions {
  output: string;
  /** epoch ms, inclusive */
  from?: number;
  /** epoch ms, exclusive */
  to?: number;
  /** tag patterns (tag-match.ts); empty: every tag */
  tags?: string[];
  excludeTags?: string[];
  /** keep raw lines even when tags are selected (by default they go when --tags is given: their payloads carry every tag) */
  keepRaw?: boolean;
  strict?: boolean;
  onIssue?: (issue: CaptureIssue) => void;
  writer?: WriterOptions;
}

export interface SliceResult {
  inputs: string[];
  outputs: string[];
  from?: string;
  to?: string;
  tags: string[];
  read: number;
  written: { samples: number; events: number; raw: number };
  issues: number;
}

export async function sliceCapture(inputs: readonly string[], opts: SliceOptions): Promise<SliceResult> {
  refuseToReplace(opts.output, opts.writer?.staged ?? {});
  const set = await openCaptureSet(inputs, {
    ...(opts.strict ? { strict: true } : {}),
    ...(opts.onIssue ? { onIssue: opts.onIssue } : {}),
  });
  const include = tagMatcher(opts.tags ?? []);
  const exclude = opts.excludeTags?.length ? tagMatcher(opts.excludeTags) : () => false;
  const wanted = (tag: string) => include(tag) && !exclude(tag);
  const tagFiltered = (opts.tags?.length ?? 0) > 0 || (opts.excludeTags?.length ?? 0) > 0;
  const keepRaw = !tagFiltered || opts.keepRaw === true;
  const from = opts.from ?? -Infinity;
  const to = opts.to ?? Infinity;
  const h = set.header;
  const slice: Record<string, unknown> = { of: inputs.map((p) => basename(p)) };
  if (opts.from !== undefined) slice.from = isoFromMs(opts.from);
  if (opts.to !== undefined) slice.to = isoFromMs(opts.to);
  if (opts.tags?.length) slice.tags = opts.tags;
  if (opts.excludeTags?.length) slice.excludeTags = opts.excludeTags;
  const writer = await createCaptureWriter(
    opts.output,
    {
      sources: h.sources,
      tags: set.tags().filter((t) => wanted(t.name)),
      metadata: { ...h.metadata, slice },
      created: new Date(timeMs(h.created)),
    },
    { staged: {}, ...opts.writer },
  );
  const written = { samples: 0, events: 0, raw: 0 };
  let read = 0;
  try {
    for await (const batch of set.batches()) {
      for (const r of batch) {
        read++;
        const ms = timeMs(r.t);
        if (!(ms >= from && ms < to)) continue;
        if (typeof r.tag === 'string') {
          if (!wanted(r.tag)) continue;
          written.samples++;
          writer.write(r);
        } else if (typeof r.event === 'string') {
          const ev = narrowConfig(r, wanted);
          if (ev === undefined) continue;
          written.events++;
          writer.write(ev);
        } else if (keepRaw) {
          written.raw++;
          writer.write(r);
        }
      }
      // one flush per batch of the input: backpressure, so memory stays flat
      await writer.flush();
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
  const result: SliceResult = {
    inputs: [...inputs],
    outputs: [...writer.files],
    tags: set
      .tags()
      .filter((t) => wanted(t.name))
      .map((t) => t.name),
    read,
    written,
    issues: set.issueCount,
  };
  if (slice.from !== undefined) result.from = slice.from as string;
  if (slice.to !== undefined) result.to = slice.to as string;
  return result;
}

/** A config event keeps only the selected tags; one left with none of its tags is dropped. */
function narrowConfig(r: CaptureRecord, wanted: (tag: string) => boolean): CaptureRecord | undefined {
  if (r.event !== 'config' || !Array.isArray(r.tags)) return r;
  const tags = (r.tags as TagInfo[]).filter((t) => wanted(t.name));
  if (tags.length === 0) return undefined;
  return tags.length === r.tags.length ? r : { ...r, tags };
}
