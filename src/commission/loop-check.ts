import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SampleValue } from '../capture/types.js';
import { describeError } from '../core/errors.js';
import { createIO, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import type { InventoryDevice } from '../discovery/inventory.js';
import type { SampleSink } from '../protocols/types.js';
import { item, type Item } from './items.js';
import type { LoopCheckRecord } from './handover/report.js';
import type { Plan, PlanSignal } from './plan-schema.js';
import { signalMustPass } from './plan.js';
import { SILENT_HOOKS, sourceFor, tagMatches } from './record-step.js';
import type { CommissionRunOptions } from './options.js';

/**
 * The guided loop check: for each signal of the plan with a `loopCheck` action, iiot shows the
 * value live, asks the engineer to act at the field device ("force 4 mA at PT-101"), and confirms
 * the change it sees, with the time. The engineer may skip a signal (s, Enter); a change that does
 * not come within the wait is a failed item, never a silent pass.
 */

export interface LoopPrompt {
  /** shows a line to the engineer */
  say(text: string): void;
  /** resolves 'skip' when the engineer asks to skip; never resolves otherwise (until closed) */
  waitForSkip(): Promise<'skip'>;
  close(): void;
}

/** The terminal prompt: lines on stderr, "s" + Enter on stdin skips. */
export function terminalPrompt(io: IO): LoopPrompt {
  const rl = createInterface({ input: io.stdin, terminal: false });
  let onSkip: (() => void) | undefined;
  rl.on('line', (line) => {
    if (line.trim().toLowerCase().startsWith('s')) onSkip?.();
  });
  return {
    say: (text) => io.stderr.write(`${text}\n`),
    waitForSkip: () => new Promise((resolve) => (onSkip = () => resolve('skip'))),
    close: () => rl.close(),
  };
}

/** How long iiot waits for the change after asking (per signal). */
export const LOOP_WAIT_MS = 120_000;

/** How long iiot watches a signal before asking, to learn how much it moves by itself. */
export const LOOP_BASELINE_MS = 3000;

/** What a signal did while iiot watched it before asking: its band (numbers) or its values. */
export interface Baseline {
  min?: number;
  max?: number;
  values: Set<string>;
}

export function learn(b: Baseline, v: SampleValue): void {
  if (typeof v === 'number') {
    b.min = Math.min(b.min ?? v, v);
    b.max = Math.max(b.max ?? v, v);
  }
  b.values.add(JSON.stringify(v));
}

/**
 * A change the signal could not have made by itself: out of the band it moved in while iiot
 * watched by more than the band's own width and 2% of the signal's range (any amount for a steady
 * signal without a range), or a state it did not show. Measured from the band, not from one
 * value, so a noisy transmitter does not confirm its own loop check before anyone has acted.
 */
export function changed(b: Baseline, after: SampleValue, range: PlanSignal['range']): boolean {
  if (typeof after === 'number' && b.min !== undefined && b.max !== undefined) {
    const margin = Math.max(range ? 0.02 * (range[1] - range[0]) : 0, b.max - b.min);
    return after > b.max + margin || after < b.min - margin;
  }
  return !b.values.has(JSON.stringify(after));
}

const band = (b: Baseline) => (b.min !== undefined && b.max !== undefined && b.max > b.min ? `moving ${b.min}…${b.max}` : 'steady');

export async function runLoopChecks(
  io: IO,
  plan: Plan,
  found: ReadonlyMap<string, InventoryDevice>,
  o: Pick<CommissionRunOptions, 'identity' | 'timeoutMs' | 'trustOnFirstUse'> & { loopWaitMs?: number; signal?: AbortSignal },
  given?: LoopPrompt,
): Promise<{ items: Item[]; records: LoopCheckRecord[] }> {
  const prompt = given ?? terminalPrompt(io);
  const quiet = createIO({ quiet: true, color: false }, { env: io.env });
  const items: Item[] = [];
  const records: LoopCheckRecord[] = [];
  const waitMs = o.loopWaitMs ?? LOOP_WAIT_MS;
  const { createSource } = await import('../record/run.js');
  // Ctrl-C ends the loop check at once (the caller then stops the run), not after a two-minute wait.
  const aborted = new Promise<'aborted'>((resolve) => {
    if (o.signal?.aborted) resolve('aborted');
    o.signal?.addEventListener('abort', () => resolve('aborted'), { once: true });
  });
  try {
    for (const s of plan.signals.filter((x) => x.loopCheck !== undefined)) {
      if (o.signal?.aborted) break;
      const d = plan.devices.find((x) => x.id === s.device)!;
      const action = s.loopCheck!;
      const mustPass = signalMustPass(plan, s);
      if (!found.has(d.id)) {
        records.push({ tag: s.tag, action, result: 'no-change', waitedMs: 0 });
        items.push(
          item('loop-check', s.tag, 'loop', `loop check of ${s.tag}: ${action}`, false, {
            mustPass,
            expected: 'the change seen live',
            observed: `device ${d.id} was not found`,
          }),
        );
        continue;
      }
      const spec = sourceFor(d, [s], o.identity, o.timeoutMs, o.trustOnFirstUse)!;
      const source = await createSource(spec, { reconnectMaxMs: 5000 } as never, quiet, SILENT_HOOKS);
      let latest: { t: number; v: SampleValue } | undefined;
      let notify: (() => void) | undefined;
      const sink: SampleSink = {
        sample(tag, t, v, extra) {
          if (extra?.q !== undefined) return;
          const info = source.tags.find((x) => x.name === tag);
          if (info && !tagMatches(d, s, info)) return;
          latest = { t: typeof t === 'number' ? t : new Date(t).getTime(), v };
          notify?.();
        },
        event() {},
        addTags() {},
        write() {},
      };
      const t0 = Date.now();
      try {
        await source.prepare();
        await source.start(sink);
        const first = await Promise.race([
          waitFor(
            () => latest !== undefined,
            10_000,
            (f) => (notify = f),
          ),
          aborted,
        ]);
        if (first === 'aborted') break;
        if (!first) throw new Error(`no value of ${s.tag} within 10 s`);
        prompt.say(`\n${s.tag} (${d.id}): watching it for ${formatDuration(LOOP_BASELINE_MS)} before you act…`);
        const baseline: Baseline = { values: new Set() };
        learn(baseline, latest!.v);
        const watching = (notify = () => learn(baseline, latest!.v));
        const quiet = await Promise.race([sleep(LOOP_BASELINE_MS).then(() => 'watched' as const), aborted]);
        if (notify === watching) notify = undefined;
        if (quiet === 'aborted') break;
        const before = latest!.v;
        prompt.say(`${s.tag} now ${JSON.stringify(before)}${s.unit ? ` ${s.unit}` : ''} (${band(baseline)})`);
        prompt.say(`   ACT NOW: ${action}`);
        prompt.say(`   iiot watches for the change (up to ${formatDuration(waitMs)}); type s and Enter to skip`);
        const outcome = await Promise.race([
          waitFor(
            () => latest !== undefined && changed(baseline, latest.v, s.range),
            waitMs,
            (f) => (notify = f),
          ).then((ok) => (ok ? ('confirmed' as const) : ('no-change' as const))),
          prompt.waitForSkip(),
          aborted,
        ]);
        if (outcome === 'aborted') break;
        const waited = Date.now() - t0;
        if (outcome === 'confirmed') {
          const at = new Date(latest!.t).toISOString();
          prompt.say(`   ✔ confirmed at ${at}: ${JSON.stringify(before)} → ${JSON.stringify(latest!.v)}`);
          records.push({ tag: s.tag, action, result: 'confirmed', at, before, after: latest!.v, waitedMs: waited });
          items.push(
            item('loop-check', s.tag, 'loop', `loop check of ${s.tag}: ${action}`, true, {
              mustPass,
              expected: 'the change seen live',
              observed: `${JSON.stringify(before)} → ${JSON.stringify(latest!.v)} at ${at}`,
              evidence: 'evidence/loop-check.json',
            }),
          );
        } else {
          prompt.say(outcome === 'skip' ? '   skipped' : `   ✘ no change within ${formatDuration(waitMs)}`);
          records.push({ tag: s.tag, action, result: outcome === 'skip' ? 'skipped' : 'no-change', waitedMs: waited });
          items.push(
            item('loop-check', s.tag, 'loop', `loop check of ${s.tag}: ${action}`, false, {
              mustPass,
              expected: 'the change seen live',
              observed: outcome === 'skip' ? 'skipped by the engineer' : `no change within ${formatDuration(waitMs)}`,
              evidence: 'evidence/loop-check.json',
            }),
          );
        }
      } catch (err) {
        records.push({ tag: s.tag, action, result: 'no-change', waitedMs: Date.now() - t0 });
        items.push(
          item('loop-check', s.tag, 'loop', `loop check of ${s.tag}: ${action}`, false, {
            mustPass,
            expected: 'the change seen live',
            observed: describeError(err),
          }),
        );
      } finally {
        notify = undefined;
        await source.stop().catch(() => undefined);
      }
    }
  } finally {
    if (!given) prompt.close();
  }
  return { items, records };
}

/** Resolves true once `ready()` holds (checked whenever `arm`'s callback is called), false after ms. */
function waitFor(ready: () => boolean, ms: number, arm: (wake: () => void) => void): Promise<boolean> {
  if (ready()) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(ready()), ms);
    arm(() => {
      if (ready()) {
        clearTimeout(timer);
        resolve(true);
      }
    });
  });
}
