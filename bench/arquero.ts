/**
 * Where `iiot analyze energy` rolls tables up and joins them, is arquero (the project's dataframe
 * library) as fast as the loops? Measured on a year of one-minute buckets (525 600 rows), the size
 * the energy analysis works on after the capture is read:
 *
 * - calendar roll-up: minute kWh -> local days -> months (group by and sum);
 * - tariff join: each minute's time-of-use price from the tariff (a join of the minutes with a
 *   price table keyed by weekday, minute of day and month), then cost per month and per rule;
 * - day roll-up only: 365 daily totals -> 12 months (the small table a report rolls up);
 * - importing arquero at all (a fresh process: `node -e "await import('arquero')"` against `node -e 0`).
 *
 * Each variant computes the same numbers (checked here); medians of 5 runs after a warm-up, in one
 * process, loops first and arquero second, alternating. Times are CPU time (process.cpuUsage, user +
 * system): on a shared machine, wall time swings with other people's work, CPU time much less.
 *
 *   node --import tsx bench/arquero.ts
 */

import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import * as aq from 'arquero';
import { MinuteCalendar, civilFromDays, monthLabel } from '../src/analysis/calendar.js';
import { energyRuleAt } from '../src/analysis/tariff.js';
import { parseTariff } from '../src/analysis/tariff-file.js';
import { fmt, markdownTable, median } from './lib.js';

const { op } = aq;
const TZ = 'Europe/Madrid';
const start = Date.UTC(2025, 11, 31, 23); // 2026-01-01 00:00 local
const n = 365 * 1440;
const cal = new MinuteCalendar(start, n, TZ);
const kwh = new Float64Array(n);
let seed = 1;
for (let i = 0; i < n; i++) {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  const h = cal.hour(i);
  kwh[i] = ((h >= 6 && h < 22 ? 90 : 40) + 10 * (seed / 0x7fffffff)) / 60;
}
const tariff = parseTariff(readFileSync(new URL('../fixtures/analysis/tariff-tou.yaml', import.meta.url), 'utf8'), 'tariff-tou.yaml');
const weekday = Int8Array.from({ length: n }, (_, i) => cal.weekday(i));
const month = Int8Array.from({ length: n }, (_, i) => civilFromDays(cal.day[i]!).month);

function time<T>(f: () => T): { ms: number; value: T } {
  const c0 = process.cpuUsage();
  const value = f();
  const c = process.cpuUsage(c0);
  return { ms: (c.user + c.system) / 1000, value };
}

// --- calendar roll-up
function rollupLoop(): Map<string, number> {
  const days = new Map<number, number>();
  for (let i = 0; i < n; i++) days.set(cal.day[i]!, (days.get(cal.day[i]!) ?? 0) + kwh[i]!);
  const months = new Map<string, number>();
  for (const [d, e] of days) months.set(monthLabel(d), (months.get(monthLabel(d)) ?? 0) + e);
  return months;
}
function rollupArquero(): Map<string, number> {
  const days = aq
    .table({ day: cal.day, kwh })
    .groupby('day')
    .rollup({ kwh: op.sum('kwh') });
  const months = days
    .params({ labels: Object.fromEntries([...new Set(cal.day)].map((d) => [d, monthLabel(d)])) })
    .derive({ month: (d: { day: number }, $: { labels: Record<number, string> }) => $.labels[d.day]! })
    .groupby('month')
    .rollup({ kwh: op.sum('kwh') });
  return new Map((months.objects() as { month: string; kwh: number }[]).map((r) => [r.month, r.kwh]));
}

// --- the small roll-up: 365 days -> 12 months
const dayKeys = [...new Set(cal.day)];
const dayKwh = dayKeys.map((d) => {
  let e = 0;
  for (let i = 0; i < n; i++) if (cal.day[i] === d) e += kwh[i]!;
  return e;
});
const dayLabels = dayKeys.map(monthLabel);
function smallLoop(): Map<string, number> {
  const m = new Map<string, number>();
  for (let k = 0; k < dayKeys.length; k++) m.set(dayLabels[k]!, (m.get(dayLabels[k]!) ?? 0) + dayKwh[k]!);
  return m;
}
function smallArquero(): Map<string, number> {
  const t = aq
    .table({ month: dayLabels, kwh: dayKwh })
    .groupby('month')
    .rollup({ kwh: op.sum('kwh') });
  return new Map((t.objects() as { month: string; kwh: number }[]).map((r) => [r.month, r.kwh]));
}

// --- tariff join
function tariffLoop(): Map<string, number> {
  const cost = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const rule = energyRuleAt(tariff, weekday[i]!, cal.minuteOfDay[i]!, month[i]!)!;
    const key = `${monthLabel(cal.day[i]!)} ${rule.name}`;
    cost.set(key, (cost.get(key) ?? 0) + kwh[i]! * rule.price);
  }
  return cost;
}
// The price table: one row per (weekday, minute of day, month) = 120 960 rows, built once per tariff.
const priceKeys: number[] = [];
const priceRule: string[] = [];
const pricePerKwh: number[] = [];
for (let wd = 0; wd < 7; wd++)
  for (let mod = 0; mod < 1440; mod++)
    for (let mo = 1; mo <= 12; mo++) {
      const r = energyRuleAt(tariff, wd, mod, mo)!;
      priceKeys.push((wd * 1440 + mod) * 13 + mo);
      priceRule.push(r.name);
      pricePerKwh.push(r.price);
    }
function tariffArquero(): Map<string, number> {
  const prices = aq.table({ key: priceKeys, rule: priceRule, price: pricePerKwh });
  const labels = Object.fromEntries(dayKeys.map((d) => [d, monthLabel(d)]));
  const key = Int32Array.from({ length: n }, (_, i) => (weekday[i]! * 1440 + cal.minuteOfDay[i]!) * 13 + month[i]!);
  const minutes = aq.table({ key, day: cal.day, kwh });
  const t = minutes
    .join_left(prices, 'key')
    .params({ labels })
    .derive({
      month: (d: { day: number }, $: { labels: Record<number, string> }) => $.labels[d.day]!,
      cost: (d: { kwh: number; price: number }) => d.kwh * d.price,
    })
    .groupby('month', 'rule')
    .rollup({ cost: op.sum('cost') });
  return new Map((t.objects() as { month: string; rule: string; cost: number }[]).map((r) => [`${r.month} ${r.rule}`, r.cost]));
}

function same(a: Map<string, number>, b: Map<string, number>): boolean {
  if (a.size !== b.size) return false;
  for (const [k, v] of a) if (!(Math.abs((b.get(k) ?? Number.NaN) - v) <= 1e-6 * Math.max(1, Math.abs(v)))) return false;
  return true;
}

const rows: (string | number)[][] = [];
for (const [name, loop, arq] of [
  ['calendar roll-up, 525 600 minutes -> 365 days -> 12 months', rollupLoop, rollupArquero],
  ['tariff join, 525 600 minutes x 120 960 prices -> cost per month and rule', tariffLoop, tariffArquero],
  ['report roll-up, 365 days -> 12 months', smallLoop, smallArquero],
] as const) {
  if (!same(loop(), arq())) throw new Error(`${name}: the two ways disagree`);
  const tl: number[] = [];
  const ta: number[] = [];
  for (let r = 0; r < 5; r++) {
    tl.push(time(loop).ms);
    ta.push(time(arq).ms);
  }
  const l = median(tl);
  const a = median(ta);
  rows.push([name, fmt(l, 2), fmt(a, 2), `${fmt(a / l, 1)}x`]);
}

// --- importing arquero, in a fresh process
const node = process.execPath;
/** CPU ms (user + system) of a fresh process, median of 6 after 2 warm-ups. */
const startTimes = (args: string[]) => {
  const t: number[] = [];
  for (let r = 0; r < 8; r++) {
    const p = spawnSync('/usr/bin/time', ['-f', '%U %S', node, ...args], { encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
    if (p.status !== 0) throw new Error(`${args.join(' ')}: exit ${p.status}`);
    const m = /([\d.]+) ([\d.]+)\s*$/.exec(p.stderr.trim())!;
    if (r >= 2) t.push((Number(m[1]) + Number(m[2])) * 1000);
  }
  return median(t);
};
const bare = startTimes(['-e', '0']);
const withAq = startTimes(['--input-type=module', '-e', "await import('arquero')"]);
rows.push(['importing arquero (fresh process, minus bare node start-up)', '0', fmt(withAq - bare, 0), '']);

console.log(markdownTable(['step (Europe/Madrid, one year of minutes)', 'loops, CPU ms', 'arquero, CPU ms', 'arquero / loops'], rows));
console.log('');
console.log(
  `Bare \`node -e 0\`: ${fmt(bare, 0)} CPU ms; with \`import('arquero')\`: ${fmt(withAq, 0)} CPU ms (medians of 6 starts; /usr/bin/time has 10 ms resolution).`,
);
