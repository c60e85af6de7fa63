import { formatDuration, lookupUnit } from '../core/units.js';
import { item, type Item } from './items.js';
import type { Expectation, PlanSignal } from './plan-schema.js';

/**
 * Judging one signal of the I/O list over the recording window: present, updating, in range,
 * in the right unit, of good quality, without gaps, not stuck, not implausibly noisy, and showing
 * the expected value. Pure: the recording is read elsewhere (signals-step.ts).
 */

export interface SignalSample {
  t: number;
  v: unknown;
  /** quality when not good ("Bad...", "Uncertain...", "stale") */
  q?: string | undefined;
}

export interface SignalObservation {
  /** the tag as the capture names it, or undefined when the device never offered it */
  tag?: string | undefined;
  /** the unit the device reports */
  unit?: string | undefined;
  samples: readonly SignalSample[];
  /** outages of the signal's source inside the window (gap and disconnect events) */
  outages: ReadonlyArray<{ t: number; kind: string; detail?: string | undefined }>;
  /** the window judged: [from, to) epoch ms */
  window: { from: number; to: number };
  /**
   * The source reports changes only (an OPC UA subscription, Sparkplug): a value it reported stays
   * current until the connection drops, however long no change comes. Modbus polls and plain MQTT
   * messages are updates each, so there a silence is a silence.
   */
  byException?: boolean | undefined;
  /** why the signal could not be observed at all (device not found, tag not offered) */
  unavailable?: string | undefined;
}

export interface SignalSummary {
  tag: string;
  device: string;
  samples: number;
  bad: number;
  min?: number | undefined;
  max?: number | undefined;
  mean?: number | undefined;
  last?: unknown;
  distinct: number;
  /** longest time without a sample, ms (window edges included) */
  longestSilenceMs: number;
  /**
   * longest time the value was not known to be current, ms: the longest silence for polled and
   * published signals; for signals reported by exception, from the start or an outage to the next report
   */
  longestUnconfirmedMs: number;
  /** the source reports changes only (OPC UA subscription, Sparkplug) */
  byException: boolean;
  /** numeric, never went down and went up at least once (a counter) */
  increasing: boolean;
  unit?: string | undefined;
}

/** Below this share of its range from one sample to the next, a signal's noise is plausible. */
export const DEFAULT_NOISE_PERCENT = 25;
/**
 * A flat line is judged only over a window long enough to expect movement: three of the signal's
 * update intervals, or 20 s without one (a short window can be quiet).
 */
const FLAT_LINE_MIN_MS = 20_000;

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : Number(x.toPrecision(6)).toString());

export function sameUnit(a: string, b: string): boolean {
  const ua = lookupUnit(a);
  const ub = lookupUnit(b);
  if (ua && ub) return ua.canonical === ub.canonical;
  return a.trim().toLowerCase() === b.trim().toLowerCase();
}

function matchesExpectation(v: unknown, e: Expectation): boolean {
  const want = typeof e === 'object' && e !== null ? e.value : e;
  const tol = typeof e === 'object' && e !== null ? (e.tolerance ?? 0) : 0;
  if (typeof want === 'number') return typeof v === 'number' && Math.abs(v - want) <= tol;
  return v === want;
}

function describeExpectation(e: Expectation): string {
  if (typeof e === 'object' && e !== null) return e.tolerance ? `${e.value} ± ${e.tolerance}` : String(e.value);
  return String(e);
}

/** `mustPass`: false for an optional signal or a signal of an optional device (plan.ts signalMustPass). */
export function judgeSignal(
  s: PlanSignal,
  obs: SignalObservation,
  mustPass = s.optional !== true,
): { items: Item[]; summary: SignalSummary } {
  const check = (name: string, title: string, pass: boolean, fields: Partial<Pick<Item, 'expected' | 'observed' | 'evidence'>> = {}) =>
    item('signal', s.tag, name, title, pass, { ...fields, mustPass });
  const good = obs.samples.filter((x) => x.q === undefined);
  const numbers = good.map((x) => x.v).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  const summary = summarize(s, obs, good, numbers);
  const items: Item[] = [];

  const present = good.length > 0;
  items.push(
    check('present', `${s.tag} is present`, present, {
      expected: `values from ${s.address} on ${s.device}`,
      observed:
        obs.unavailable ??
        (present
          ? `${good.length} good sample${good.length === 1 ? '' : 's'}${obs.tag && obs.tag !== s.tag ? ` (tag ${obs.tag})` : ''}`
          : obs.samples.length
            ? `${obs.samples.length} samples, none good`
            : 'no samples in the window'),
    }),
  );
  if (!present) return { items, summary };

  if (s.maxInterval !== undefined) {
    const ok = summary.longestUnconfirmedMs <= s.maxInterval;
    const observed = summary.byException
      ? `reported on change; longest time without a change ${formatDuration(summary.longestSilenceMs)}, ${summary.longestUnconfirmedMs === 0 ? 'the connection held throughout, so the value stayed current' : `longest time without a current value ${formatDuration(summary.longestUnconfirmedMs)}`}`
      : `longest silence ${formatDuration(summary.longestSilenceMs)}`;
    items.push(
      check('updating', `${s.tag} updates at least every ${formatDuration(s.maxInterval)}`, ok, {
        expected: `≤ ${formatDuration(s.maxInterval)} between updates`,
        observed,
      }),
    );
  }
  if (s.range) {
    const [lo, hi] = s.range;
    const outside = numbers.filter((v) => v < lo || v > hi);
    const nonNumeric = good.length - numbers.length;
    items.push(
      check(
        'range',
        `${s.tag} stays within ${fmt(lo)}…${fmt(hi)}${s.unit ? ` ${s.unit}` : ''}`,
        outside.length === 0 && nonNumeric === 0 && numbers.length > 0,
        {
          expected: `${fmt(lo)} to ${fmt(hi)}`,
          observed:
            nonNumeric > 0
              ? `${nonNumeric} values are not numbers`
              : `${fmt(summary.min!)} to ${fmt(summary.max!)}${outside.length ? `; ${outside.length} of ${numbers.length} outside` : ''}`,
        },
      ),
    );
  }
  if (s.unit !== undefined) {
    const ok = obs.unit !== undefined && sameUnit(obs.unit, s.unit);
    items.push(
      check('unit', `${s.tag} is in ${s.unit}`, ok, {
        expected: s.unit,
        observed: obs.unit === undefined ? 'the device reports no unit' : obs.unit,
      }),
    );
  }
  const bad = obs.samples.length - good.length;
  items.push(
    check('quality', `${s.tag} has good quality throughout`, bad === 0, {
      expected: 'every sample good',
      observed:
        bad === 0
          ? `${obs.samples.length} of ${obs.samples.length} good`
          : `${bad} of ${obs.samples.length} not good (${[...new Set(obs.samples.filter((x) => x.q !== undefined).map((x) => x.q))].slice(0, 3).join(', ')})`,
    }),
  );
  items.push(
    check('gaps', `${s.tag} has no gaps`, obs.outages.length === 0, {
      expected: 'no disconnects or gaps of its source',
      observed:
        obs.outages.length === 0
          ? 'none'
          : obs.outages.map((o) => `${o.kind} at ${new Date(o.t).toISOString()}${o.detail ? ` (${o.detail})` : ''}`).join('; '),
    }),
  );
  const span = obs.window.to - obs.window.from;
  if (
    s.constant !== true &&
    numbers.length === good.length &&
    span >= (s.maxInterval !== undefined ? 3 * s.maxInterval : FLAT_LINE_MIN_MS)
  ) {
    const stuck = summary.distinct <= 1;
    items.push(
      check('not-stuck', `${s.tag} is not stuck`, !stuck, {
        expected: 'the value moves during the window (mark constant signals `constant: true`)',
        observed: stuck ? `one value (${fmt(numbers[0]!)}) for ${formatDuration(span)}` : `${summary.distinct} distinct values`,
      }),
    );
  }
  const range = s.range ?? undefined;
  if (range && numbers.length >= 3) {
    const limit = ((s.noise ?? DEFAULT_NOISE_PERCENT) / 100) * (range[1] - range[0]);
    const steps = numbers
      .slice(1)
      .map((v, i) => Math.abs(v - numbers[i]!))
      .sort((a, b) => a - b);
    const median = steps[Math.floor(steps.length / 2)]!;
    items.push(
      check('noise', `${s.tag} is not implausibly noisy`, median <= limit, {
        expected: `median step ≤ ${fmt(limit)} (${s.noise ?? DEFAULT_NOISE_PERCENT}% of the range)`,
        observed: `median step ${fmt(median)}`,
      }),
    );
  }
  if (s.expect !== undefined) {
    const e = s.expect;
    const off = good.filter((x) => !matchesExpectation(x.v, e));
    items.push(
      check('expected', `${s.tag} shows ${describeExpectation(e)}`, off.length === 0, {
        expected: describeExpectation(e),
        observed:
          off.length === 0
            ? `every sample (last ${String(summary.last)})`
            : `${off.length} of ${good.length} samples differ (e.g. ${String(off[0]!.v)})`,
      }),
    );
  }
  return { items, summary };
}

/** Longest stretch of the window without a sample (the edges count: a silence at the start or the end is one). */
function longestSilence(times: readonly number[], window: { from: number; to: number }): number {
  let silence = 0;
  let prev = window.from;
  for (const t of times) {
    if (t > prev) silence = Math.max(silence, t - prev);
    prev = Math.max(prev, t);
  }
  return Math.max(silence, window.to - prev);
}

/**
 * For a signal reported by exception: the longest stretch of the window in which its value was
 * not known, from the start (or an outage of its source) to its next report. A report before the
 * window (the subscription's first value carries the time the value last changed) makes the value
 * known from the start.
 */
function longestUnknown(times: readonly number[], outages: SignalObservation['outages'], window: { from: number; to: number }): number {
  const marks = [
    ...times.map((t) => ({ t: Math.max(t, window.from), report: true })),
    ...outages.map((o) => ({ t: Math.max(o.t, window.from), report: false })),
  ].sort((a, b) => a.t - b.t || Number(a.report) - Number(b.report));
  let unknownSince: number | undefined = window.from;
  let longest = 0;
  for (const m of marks) {
    if (m.t > window.to) break;
    if (m.report && unknownSince !== undefined) {
      longest = Math.max(longest, m.t - unknownSince);
      unknownSince = undefined;
    } else if (!m.report && unknownSince === undefined) unknownSince = m.t;
  }
  return unknownSince === undefined ? longest : Math.max(longest, window.to - unknownSince);
}

function summarize(s: PlanSignal, obs: SignalObservation, good: readonly SignalSample[], numbers: readonly number[]): SignalSummary {
  const times = obs.samples.map((x) => x.t).sort((a, b) => a - b);
  const silence = longestSilence(times, obs.window);
  const byException = obs.byException === true;
  const distinct = new Set(good.map((x) => (typeof x.v === 'object' ? JSON.stringify(x.v) : x.v))).size;
  return {
    tag: s.tag,
    device: s.device,
    samples: obs.samples.length,
    bad: obs.samples.length - good.length,
    ...(numbers.length
      ? {
          min: numbers.reduce((a, b) => (b < a ? b : a)),
          max: numbers.reduce((a, b) => (b > a ? b : a)),
          mean: numbers.reduce((a, b) => a + b, 0) / numbers.length,
        }
      : {}),
    ...(good.length ? { last: good[good.length - 1]!.v } : {}),
    distinct,
    longestSilenceMs: silence,
    longestUnconfirmedMs: byException ? longestUnknown(times, obs.outages, obs.window) : silence,
    byException,
    increasing:
      numbers.length > 1 && numbers.every((v, i) => i === 0 || v >= numbers[i - 1]!) && numbers[numbers.length - 1]! > numbers[0]!,
    ...(obs.unit !== undefined ? { unit: obs.unit } : {}),
  };
}
