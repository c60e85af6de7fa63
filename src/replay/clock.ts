/**
 * The replay's sense of time. The real clock sleeps with a timer until shortly before the due
 * time and then yields to the event loop until it has come (setTimeout alone is late by a
 * millisecond or more, which would miss the p99 < 2 ms target); the virtual clock jumps to the
 * due time at once, so tests check exactly which records are applied when, without waiting and
 * without timed assertions.
 */
import { setImmediate as immediate, setTimeout as delay } from 'node:timers/promises';

export interface ReplayClock {
  /** milliseconds since 1970, with a fraction */
  now(): number;
  /** resolves at `at` (or at once when it has passed, or when the signal aborts) */
  sleepUntil(at: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Timer until `marginMs` before, then event-loop turns until the moment (I/O is still served
 * meanwhile). A timer fires a millisecond or so late, more on a busy machine; the margin absorbs
 * that at the cost of a few milliseconds of busy waiting per group of records.
 */
export function realClock(marginMs = 3): ReplayClock {
  const origin = performance.timeOrigin;
  const now = () => origin + performance.now();
  return {
    now,
    async sleepUntil(at, signal) {
      let wait = at - now();
      if (wait > marginMs + 1) {
        try {
          await delay(wait - marginMs, undefined, signal ? { signal } : {});
        } catch {
          return; // aborted
        }
      }
      while ((wait = at - now()) > 0) {
        if (signal?.aborted) return;
        await immediate();
      }
    },
  };
}

/** Time that passes only when someone sleeps: every sleep ends exactly on time. */
export function virtualClock(start = Date.parse('2026-01-01T00:00:00.000Z')): ReplayClock & { sleeps: number[] } {
  let t = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => t,
    async sleepUntil(at) {
      if (at > t) {
        sleeps.push(at);
        t = at;
      }
      await Promise.resolve();
    },
  };
}
