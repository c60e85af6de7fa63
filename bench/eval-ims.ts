/**
 * Evaluation on the NASA/IMS bearing run-to-failure tests (datasets/ims; features per
 * 1-second snapshot, every 10 minutes). Two questions:
 *
 * 1. Onset: how long before the failure does each detector alarm on the failing bearings, and does
 *    it alarm when nothing is wrong? Every bearing is taken as healthy until 200 h before the
 *    failure (no failing bearing shows a change earlier: test 3 bearing 3 is at 1.1x its baseline
 *    270 h before, see the data set README), so any alarm before that is false, on any bearing. In the
 *    last 200 h an alarm on a healthy bearing is false when it comes more than 24 h before the end and
 *    before a failing bearing of the same rig alarmed; later ones are "sympathetic" (the whole shaft
 *    shakes as the neighbour fails) and are listed separately.
 * 2. Remaining life: from each hour after the onset alarm until the indicator (hourly median RMS)
 *    first crosses a threshold (1.5x, 2x, 3x its baseline), predict the time to that crossing;
 *    compare with the truth. Naive straight-line and exponential fits over the last 24 h against
 *    iiot's first-passage model (src/analysis/rul.ts).
 *
 *   node --import tsx bench/eval-ims.ts     (a few seconds)
 */

import { detectOnset, estimateBaseline, threeSigmaOnset, type Onset } from '../src/analysis/onset.js';
import { firstPassageRul } from '../src/analysis/rul.js';
import { sliceTime, windowed, type Series } from '../src/analysis/series.js';
import { median } from '../src/analysis/stats.js';
import { fitTrend, rulToThreshold, type TrendKind } from '../src/analysis/trend.js';
import { loadIms, type ImsChannel, type ImsTest } from './lib/ims.js';

const H = 3_600_000;
/** Hours before the failure before which every bearing is healthy. */
const HEALTHY_UNTIL = 200;
const tests = [1, 2, 3].map(loadIms);

/** Published reference: IsolationForest + 3-of-5/4-of-5 rule, lead hours (nasa-bearing-anomaly, results/reports/business_summary.csv). */
const PUBLISHED: Record<string, number> = { T1B3: 79.5, T2B1: 53.7, T3B3: 57.0 };

type Detector = (d: ImsTest, ch: ImsChannel) => Onset | undefined;

const hourly = (d: ImsTest, v: Float64Array): Series => windowed({ t: d.t, v }, H, 'median');
const earliest = (xs: (Onset | undefined)[]) => xs.filter((x): x is Onset => x !== undefined).sort((a, b) => a.alarmAt - b.alarmAt)[0];
const ours = (d: ImsTest, v: Float64Array) => {
  const w = hourly(d, v);
  const b = estimateBaseline(w);
  return b ? detectOnset(w, b) : undefined;
};

const detectors: Record<string, Detector> = {
  'iiot CUSUM, RMS + kurtosis': (d, ch) => earliest([ours(d, ch.rms), ours(d, ch.kurtosis)]),
  'iiot CUSUM, + envelope band energies': (d, ch) => earliest([ours(d, ch.rms), ours(d, ch.kurtosis), ...(ch.band ? [ours(d, ch.band.bpfo), ours(d, ch.band.bpfi), ours(d, ch.band.bsf)] : [])]),
  '3-sigma, raw RMS readings': (d, ch) => {
    const b = estimateBaseline(hourly(d, ch.rms))!;
    return threeSigmaOnset({ t: d.t, v: ch.rms }, b);
  },
  '3-sigma, hourly RMS, 3 in a row': (d, ch) => {
    const w = hourly(d, ch.rms);
    return threeSigmaOnset(w, estimateBaseline(w)!, 3);
  },
};

console.log('## Onset (hours before the failure; "-" = no alarm)\n');
const names = Object.keys(detectors);
console.log(`| bearing | fails | ${names.join(' | ')} | published reference |`);
console.log(`| --- | --- | ${names.map(() => '---:').join(' | ')} | ---: |`);
const summary: Record<string, { lead: number[]; false: string[]; sympathetic: string[] }> = {};
for (const n of names) summary[n] = { lead: [], false: [], sympathetic: [] };
for (const d of tests) {
  // per bearing: the earliest alarm over its channels
  const bearings = [...new Set(d.channels.map((c) => c.bearing))];
  const alarms = new Map<string, Map<number, number>>(); // detector -> bearing -> lead hours
  for (const n of names) {
    const m = new Map<number, number>();
    for (const b of bearings) {
      const leads = d.channels.filter((c) => c.bearing === b).map((c) => detectors[n]!(d, c)).filter((o): o is Onset => o !== undefined).map((o) => (d.failureAt - o.alarmAt) / H);
      if (leads.length) m.set(b, Math.max(...leads));
    }
    alarms.set(n, m);
  }
  for (const b of bearings) {
    const fails = d.failed.includes(b);
    const key = `T${d.test}B${b}`;
    const cells = names.map((n) => {
      const lead = alarms.get(n)!.get(b);
      if (lead === undefined) return '-';
      if (lead > HEALTHY_UNTIL) {
        summary[n]!.false.push(`${key}@${lead.toFixed(0)}h`);
        return `${lead.toFixed(0)} (false)`;
      }
      if (fails) {
        summary[n]!.lead.push(lead);
        return lead.toFixed(0);
      }
      const firstFailing = Math.max(-Infinity, ...d.failed.map((f) => alarms.get(n)!.get(f) ?? -Infinity).filter((x) => x <= HEALTHY_UNTIL));
      const isFalse = lead > 24 && lead > firstFailing;
      (isFalse ? summary[n]!.false : summary[n]!.sympathetic).push(`${key}@${lead.toFixed(0)}h`);
      return `${lead.toFixed(0)} (${isFalse ? 'false' : 'sympathetic'})`;
    });
    console.log(`| test ${d.test} bearing ${b} | ${fails ? 'yes' : 'no'} | ${cells.join(' | ')} | ${PUBLISHED[key] ?? ''} |`);
  }
}
console.log('');
console.log('| detector | median lead, failing bearings (alarms in the last 200 h) | false alarms | sympathetic alarms |');
console.log('| --- | ---: | --- | --- |');
for (const n of names) {
  const s = summary[n]!;
  console.log(`| ${n} | ${s.lead.length ? median(s.lead).toFixed(0) : '-'} h | ${s.false.length} ${s.false.length ? `(${s.false.slice(0, 6).join(', ')}${s.false.length > 6 ? ', ...' : ''})` : ''} | ${s.sympathetic.length} |`);
}

// ---------------------------------------------------------------------------------------------
// Remaining life

type Rul = { hours: number; lo: number; hi: number } | undefined;
type Method = (w: Series, base: number, onset: Onset, now: number, thr: number) => Rul;

const naive =
  (kind: TrendKind, hours: number): Method =>
  (w, _b, _o, now, thr) => {
    const f = fitTrend(sliceTime(w, now - hours * H, now + 1), kind);
    return f ? rulToThreshold(f, thr, { from: now }) : undefined;
  };
const sinceOnset =
  (kind: TrendKind): Method =>
  (w, _b, o, now, thr) => {
    const f = fitTrend(sliceTime(w, o.startedAt, now + 1), kind);
    return f ? rulToThreshold(f, thr, { from: now }) : undefined;
  };
const rulMethods: Record<string, Method> = {
  'straight line, last 24 h': naive('linear', 24),
  'exponential, last 24 h': naive('exponential', 24),
  'straight line since the onset': sinceOnset('linear'),
  'exponential since the onset': sinceOnset('exponential'),
  'iiot first passage (80%)': (w, b, o, now, thr) => firstPassageRul(w, b, thr, { since: o.startedAt, now, level: 0.8 }),
  'iiot first passage (95%)': (w, b, o, now, thr) => firstPassageRul(w, b, thr, { since: o.startedAt, now, level: 0.95 }),
};

const stats: Record<string, { ratio: number[]; covered: number; n: number; never: number }> = {};
const cases: string[] = [];
for (const ratio of [1.5, 2, 3]) {
  for (const d of tests) {
    for (const ch of d.channels) {
      if (!d.failed.includes(ch.bearing)) continue;
      const w = hourly(d, ch.rms);
      const b = estimateBaseline(w)!;
      const onset = detectors['iiot CUSUM, RMS + kurtosis']!(d, ch);
      if (!onset) continue;
      const thr = b.level * ratio;
      let crossing = Number.NaN;
      for (let i = 0; i < w.t.length; i++) {
        if (w.t[i]! > onset.alarmAt && w.v[i]! >= thr) {
          crossing = w.t[i]!;
          break;
        }
      }
      if (!Number.isFinite(crossing) || crossing - onset.alarmAt < 6 * H) continue;
      cases.push(`T${d.test}B${ch.bearing}c${ch.channel} at ${ratio}x (${((crossing - onset.alarmAt) / H).toFixed(0)} h after the onset alarm)`);
      for (let now = onset.alarmAt; now < crossing; now += H) {
        const truth = (crossing - now) / H;
        for (const [name, m] of Object.entries(rulMethods)) {
          const s = (stats[name] ??= { ratio: [], covered: 0, n: 0, never: 0 });
          const e = m(w, b.level, onset, now, thr);
          s.n++;
          if (!e || !Number.isFinite(e.hours)) {
            s.never++;
            s.ratio.push(Infinity);
            if (e && e.lo <= truth) s.covered++;
            continue;
          }
          s.ratio.push(e.hours / truth);
          if (e.lo <= truth && truth <= e.hi) s.covered++;
        }
      }
    }
  }
}
console.log('\n## Remaining life to 1.5x, 2x and 3x the baseline RMS\n');
console.log(`Cases: ${cases.join('; ')}. One prediction per hour from the onset alarm to the crossing.\n`);
console.log('| method | predictions | median predicted/true | overestimates > 2x | no crossing predicted | 80%/95% interval contains the truth |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const [name, s] of Object.entries(stats)) {
  const r = s.ratio.slice().sort((a, b) => a - b);
  const med = r[Math.floor((r.length - 1) / 2)]!;
  const over = r.filter((x) => x > 2).length / r.length;
  console.log(`| ${name} | ${s.n} | ${Number.isFinite(med) ? med.toFixed(2) : 'never'} | ${(over * 100).toFixed(0)}% | ${((s.never / s.n) * 100).toFixed(0)}% | ${((s.covered / s.n) * 100).toFixed(0)}% |`);
}
