/**
 * The replay's timing: records are handed to the sink at their recorded times, scaled by
 * --speed, or as fast as the sink takes them (--max-speed); --from/--to cut the capture (a
 * server is first given each tag's last value before --from, so it starts in the recorded state);
 * --loop plays it again and again, with timestamps moved on by one capture length per pass so
 * time never runs backwards for clients. Records due within the same quarter millisecond go to
 * the sink together. Time comes from a ReplayClock: the real one, or a virtual one in tests.
 */
import { timeMs } from '../capture/iso-time.js';
import type { CaptureRecord, SampleLine } from '../capture/types.js';
import type { ReplaySink } from '../protocols/types.js';
import type { ReplayClock } from './clock.js';

export interface PlayOptions {
  /** 1 = real time; 60 = a minute per second */
  speed: number;
  maxSpeed: boolean;
  loop: boolean;
  from?: number | undefined;
  to?: number | undefined;
  /** stop after this much wall time (with --loop) */
  durationMs?: number | undefined;
  /** recorded: timestamps as in the capture (moved on per loop); now: the time they are replayed */
  timestamps: 'recorded' | 'now';
  /** samples before --from set the sink's state at the start (servers) */
  seedState: boolean;
  clock: ReplayClock;
  signal?: AbortSignal | undefined;
  /** records per sink call at --max-speed */
  batchSize?: number | undefined;
  /** called once per pass, before its first record */
  onPass?: ((pass: number) => void) | undefined;
  /**
   * Called once the records due at the start are with the sink (or at once when none are): a
   * server announced as ready then already holds the recorded state.
   */
  onStarted?: (() => void | Promise<void>) | undefined;
}

export interface PlayStats {
  records: number;
  samples: number;
  raw: number;
  passes: number;
  /** lateness of each group handed to the sink (ms), in order; empty at --max-speed */
  lateness: number[];
  wallMs: number;
  stopped: 'end' | 'signal' | 'duration';
}

/** Opens the capture for one pass and yields its records in batches. */
export type OpenPass = () => AsyncIterable<CaptureRecord[]>;

/** How far past --to records are still read: captures are nearly, not strictly, in time order. */
const DISORDER_MS = 60_000;

export async function play(
  open: OpenPass,
  sink: ReplaySink,
  span: { first?: number | undefined; last?: number | undefined; start?: number | undefined; step: number },
  o: PlayOptions,
): Promise<PlayStats> {
  const stats: PlayStats = { records: 0, samples: 0, raw: 0, passes: 0, lateness: [], wallMs: 0, stopped: 'end' };
  if (span.first === undefined) return stats;
  const t0 = o.from ?? span.start ?? span.first;
  const end = o.to ?? span.last ?? t0;
  const period = Math.max(1, end - t0 + span.step);
  const clock = o.clock;
  const wallStart = clock.now();
  const batchSize = o.batchSize ?? 2000;
  let stopped: PlayStats['stopped'] | undefined;
  const check = () => {
    if (stopped) return true;
    if (o.signal?.aborted) stopped = 'signal';
    else if (o.durationMs !== undefined && clock.now() - wallStart >= o.durationMs) stopped = 'duration';
    return stopped !== undefined;
  };

  let group: CaptureRecord[] = [];
  let groupDue = 0;
  let started = false;
  const start = async () => {
    if (started) return;
    started = true;
    await o.onStarted?.();
  };
  const flush = async () => {
    if (group.length === 0) return;
    const g = group;
    group = [];
    if (!o.maxSpeed) {
      // what falls due at or after the end of --duration is not replayed
      if (o.durationMs !== undefined && groupDue - wallStart >= o.durationMs) {
        await clock.sleepUntil(wallStart + o.durationMs, o.signal);
        stopped ??= o.signal?.aborted ? 'signal' : 'duration';
        return;
      }
      await clock.sleepUntil(groupDue, o.signal);
      if (o.signal?.aborted) return;
      stats.lateness.push(clock.now() - groupDue);
    }
    await sink.apply(g);
    await start();
  };

  for (let pass = 0; !check(); pass++) {
    stats.passes++;
    o.onPass?.(pass);
    const shift = pass * period;
    const seed = new Map<string, SampleLine>();
    let seeded = o.from === undefined || !o.seedState || pass > 0;
    let lastT = t0;
    const retime = (r: CaptureRecord, t: number, due: number): CaptureRecord => {
      if (o.timestamps === 'now') {
        const iso = new Date(due).toISOString();
        const { st: _st, svt: _svt, ...rest } = r as SampleLine;
        return { ...rest, t: iso } as CaptureRecord;
      }
      if (shift === 0) return r;
      const out: Record<string, unknown> = { ...r, t: new Date(t + shift).toISOString() };
      for (const k of ['st', 'svt'] as const) {
        const v = (r as SampleLine)[k];
        if (typeof v === 'string') out[k] = new Date(timeMs(v) + shift).toISOString();
      }
      return out as CaptureRecord;
    };
    outer: for await (const batch of open()) {
      for (const r of batch) {
        const t = timeMs(r.t);
        if (Number.isNaN(t)) continue;
        if (o.from !== undefined && t < o.from) {
          if (!seeded && 'tag' in r) seed.set(r.tag as string, r as SampleLine);
          continue;
        }
        if (o.to !== undefined && t > o.to) {
          if (t > o.to + DISORDER_MS) break outer;
          continue;
        }
        if (!seeded) {
          seeded = true;
          if (seed.size > 0) {
            const due = wallStart;
            await sink.apply([...seed.values()].map((s) => retime({ ...s, t: new Date(t0).toISOString() }, t0, due)));
          }
        }
        // Never back in time: a late record is due with the one before it.
        if (t > lastT) lastT = t;
        const due = wallStart + (lastT - t0 + shift) / o.speed;
        // the first record not due at the start: what was due is with the sink now
        if (!started && group.length === 0 && due > wallStart + 0.25) await start();
        if (o.maxSpeed) {
          group.push(retime(r, t, clock.now()));
          if (group.length >= batchSize) {
            await flush();
            if (check()) break outer;
          }
        } else {
          if (group.length > 0 && due > groupDue + 0.25) {
            await flush();
            if (check()) break outer;
          }
          if (group.length === 0) groupDue = due;
          group.push(retime(r, t, due));
        }
        stats.records++;
        if ('tag' in r) stats.samples++;
        else if ('raw' in r) stats.raw++;
      }
    }
    if (!check()) await flush();
    else group = [];
    await start();
    if (check() || !o.loop) break;
  }
  check();
  await start();
  stats.stopped = stopped ?? 'end';
  stats.wallMs = clock.now() - wallStart;
  return stats;
}

/** p-th percentile (0-100) of the values (nearest rank). */
export function percentile(values: readonly number[], p: number): number | undefined {
  if (values.length === 0) return undefined;
  const s = Float64Array.from(values).sort();
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i];
}
