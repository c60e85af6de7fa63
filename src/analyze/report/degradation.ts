/** Rendering of a degradation result: terminal summary, Markdown, HTML. Works on the result object only. */

import { offsetMinutes } from '../../core/time.js';
import { convert, lookupUnit } from '../../core/units.js';
import type { DegradationResult, IndicatorResult } from '../../analysis/degradation.js';
import { intervalHours, localTime, sig, spanHours } from '../../analysis/format.js';
import { htmlList, htmlPage, htmlTable } from './html.js';
import { esc, timeChart } from './svg.js';
import { mdTable, sparkline } from './text.js';

export interface ReportContext {
  file: string;
  tz: string;
  generated: string;
  tool: string;
}

const STATUS_WORDS: Record<IndicatorResult['status'], string> = {
  healthy: 'healthy',
  watch: 'watch',
  degrading: 'DEGRADING',
  'above-threshold': 'ABOVE THRESHOLD',
  'insufficient-data': 'too little data',
};

function unitOf(r: IndicatorResult): string {
  return r.unit ? ` ${r.unit}` : '';
}

function rulCell(r: IndicatorResult): string {
  const x = r.rul;
  switch (x.status) {
    case 'estimated':
      return `${spanHours(x.hours!)} (${Math.round(x.level * 100)}%: ${intervalHours(x.lo!, x.hi!)})`;
    case 'above-threshold':
      return 'above threshold';
    case 'no-trend':
      return 'no trend';
    case 'beyond-horizon':
      return 'beyond horizon';
    case 'no-threshold':
      return '-';
    default:
      return 'n/a';
  }
}

function paramLine(res: DegradationResult): string {
  const o = res.parameters.onset;
  return `onset: ${o.method}, allowance +${Math.round(Number(o.allowance) * 100)}%, decision ${o.h} ln-units x windows, at most ${o.cap} per window (${res.parameters.baseline}); intervals ${Math.round(res.parameters.level * 100)}%`;
}

export function degradationTerminal(
  res: DegradationResult,
  ctx: ReportContext,
  style: {
    bold: (s: string) => string;
    red: (s: string) => string;
    yellow: (s: string) => string;
    green: (s: string) => string;
    dim: (s: string) => string;
  },
): string {
  const lines: string[] = [];
  const colour = (s: IndicatorResult['status'], text: string) =>
    s === 'degrading' ? style.yellow(text) : s === 'above-threshold' ? style.red(text) : s === 'healthy' ? style.green(text) : text;
  for (const r of res.indicators) {
    lines.push(`${style.bold(r.name)}  ${colour(r.status, STATUS_WORDS[r.status])}`);
    if (r.points.v.length)
      lines.push(`  ${sparkline(r.points.v, 64)}  ${sig(Math.min(...r.points.v))}..${sig(Math.max(...r.points.v))}${unitOf(r)}`);
    lines.push(`  ${r.statement}`);
    for (const n of r.notes) lines.push(style.dim(`  note: ${n}`));
  }
  const multi = (res.assets ?? []).filter((a) => a.indicators.length > 1);
  if (multi.length) {
    lines.push(style.bold('assets (the earliest onset of their indicators)'));
    for (const a of multi)
      lines.push(
        `  ${a.name}  ${colour(a.status, STATUS_WORDS[a.status])}${a.onset ? `  onset confirmed ${localTime(a.onset.alarmAt, ctx.tz)} by ${a.onset.indicator}` : ''}`,
      );
  }
  lines.push(style.dim(paramLine(res)));
  if (res.iso)
    lines.push(
      style.dim(
        `zones: ${res.iso.standard}, group ${res.iso.group}, ${res.iso.foundation}: A/B ${res.iso.boundaries['A/B']}, B/C ${res.iso.boundaries['B/C']}, C/D ${res.iso.boundaries['C/D']} mm/s`,
      ),
    );
  return lines.join('\n');
}

function trendRows(r: IndicatorResult): string[][] {
  return r.trends.map((t) => [
    t.kind,
    `${sig(t.relativePerDay * 100)}%/day`,
    t.r2.toFixed(2),
    t.pValue < 0.001 ? '<0.001' : t.pValue.toFixed(3),
    t.significant ? 'yes' : 'no',
    t.rulHours !== undefined
      ? Number.isFinite(t.rulHours)
        ? `${spanHours(t.rulHours)} (${intervalHours(t.rulLo!, t.rulHi!)})`
        : 'never'
      : '-',
  ]);
}

export function degradationMarkdown(res: DegradationResult, ctx: ReportContext): string {
  const out: string[] = [];
  out.push(`# Degradation: ${ctx.file}`, '', `${ctx.tool}, ${ctx.generated}; times in ${ctx.tz}.`, '');
  out.push(
    mdTable(
      ['indicator', 'status', 'now', 'zone', 'onset', 'remaining life'],
      res.indicators.map((r) => [
        r.name,
        STATUS_WORDS[r.status],
        r.current ? `${sig(r.current.value)}${unitOf(r)}` : '-',
        r.current?.zone ?? '-',
        r.onset ? localTime(r.onset.startedAt, ctx.tz) : '-',
        rulCell(r),
      ]),
    ),
    '',
  );
  const multi = (res.assets ?? []).filter((a) => a.indicators.length > 1);
  if (multi.length) {
    out.push(
      mdTable(
        ['asset', 'status', 'onset confirmed', 'by', 'indicators'],
        multi.map((a) => [
          a.name,
          STATUS_WORDS[a.status],
          a.onset ? localTime(a.onset.alarmAt, ctx.tz) : '-',
          a.onset?.indicator ?? '-',
          a.indicators.join(', '),
        ]),
      ),
      '',
    );
  }
  for (const r of res.indicators) {
    out.push(`## ${r.name}`, '', `> ${r.statement}`, '');
    if (r.points.v.length)
      out.push(
        '```',
        `${sparkline(r.points.v, 72)}`,
        `${localTime(r.points.t[0]!, ctx.tz)} .. ${localTime(r.points.t[r.points.t.length - 1]!, ctx.tz)}, ${sig(Math.min(...r.points.v))}..${sig(Math.max(...r.points.v))}${unitOf(r)}, windows of ${spanHours(r.windowMs / 3_600_000)} (${r.stat})`,
        '```',
        '',
      );
    if (r.baseline)
      out.push(
        `Baseline: ${sig(r.baseline.level)}${unitOf(r)} (median, ${r.baseline.n} windows, ${localTime(r.baseline.from, ctx.tz)} to ${localTime(r.baseline.to, ctx.tz)}, ${r.baseline.method}).`,
        '',
      );
    if (r.onset)
      out.push(
        `Onset: started about ${localTime(r.onset.startedAt, ctx.tz)}, confirmed ${localTime(r.onset.alarmAt, ctx.tz)} (${r.onset.method}; ${Object.entries(
          r.onset.parameters,
        )
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')}).`,
        '',
      );
    if (r.trends.length)
      out.push(
        mdTable(['model', 'rate', 'R²', 'p (slope > 0)', 'significant', 'remaining life if it continues'], trendRows(r), [
          'l',
          'r',
          'r',
          'r',
          'l',
          'l',
        ]),
        '',
      );
    if (r.rul.status === 'estimated' && r.rul.method === 'first-passage')
      out.push(
        `Remaining life: first passage of the log excess over the baseline (drift and diffusion since the onset), median and ${Math.round(r.rul.level * 100)}% interval; the trend rows above are what straight-line and exponential extrapolation would say.`,
        '',
      );
    for (const n of r.notes) out.push(`- note: ${n}`);
    if (r.notes.length) out.push('');
  }
  out.push(`_${paramLine(res)}._`, '');
  return out.join('\n');
}

/**
 * The chart of one indicator draws what its statement says: the windowed indicator, the baseline
 * and the threshold, the ISO zones (velocity in a zone table), the onset, and for a first-passage
 * remaining life the median crossing time with its interval (not a trend curve the estimate does
 * not use); a trend's forecast band only when the remaining life came from that trend.
 */
function indicatorChart(r: IndicatorResult, res: DegradationResult, tzOffset: (ms: number) => number): string {
  const u = unitOf(r);
  const hlines: { y: number; label: string; cls?: string }[] = [];
  if (r.threshold)
    hlines.push({
      y: r.threshold.value,
      label: `${r.threshold.source === 'zone' ? r.threshold.label : 'threshold'} ${sig(r.threshold.value)}${u}`,
    });
  if (r.baseline) hlines.push({ y: r.baseline.level, label: `baseline ${sig(r.baseline.level)}${u}`, cls: 'baseline' });
  const zones: { from: number; to: number; label: string; cls: string }[] = [];
  const dim = r.unit ? lookupUnit(r.unit) : undefined;
  if (res.iso && r.unit && dim?.dimension === 'velocity') {
    const b = res.iso.boundaries;
    const to = (mmS: number) => convert(mmS, 'mm/s', r.unit!);
    const edges = [0, to(b['A/B']), to(b['B/C']), to(b['C/D']), Infinity];
    (['A', 'B', 'C', 'D'] as const).forEach((z, i) =>
      zones.push({ from: edges[i]!, to: edges[i + 1]!, label: `zone ${z}`, cls: `zone-${z.toLowerCase()}` }),
    );
  }
  const vlines: { t: number; label: string; cls?: string }[] = [];
  const spans: { from: number; to: number; label: string; cls?: string }[] = [];
  const markers: { t: number; v: number; label: string }[] = [];
  if (r.onset) vlines.push({ t: r.onset.startedAt, label: 'onset', cls: 'event' });
  const last = r.points.t[r.points.t.length - 1] ?? r.to;
  const span = last - (r.points.t[0] ?? last);
  let maxT: number | undefined;
  const rul = r.rul;
  const firstPassage = rul.status === 'estimated' && rul.method === 'first-passage';
  if (rul.status === 'estimated' && rul.at !== undefined && Number.isFinite(rul.at)) {
    const pct = `${Math.round(rul.level * 100)}%`;
    vlines.push({ t: rul.at, label: `median ${spanHours(rul.hours!)}`, cls: 'median' });
    if (r.threshold)
      markers.push({ t: rul.at, v: r.threshold.value, label: `expected crossing: ${spanHours(rul.hours!)} from the last reading` });
    const hiOpen = rul.atHi === undefined || !Number.isFinite(rul.atHi);
    // a far-away interval end does not squash the data: the axis ends at most one record length after the last reading
    maxT = Math.max(rul.at, last + Math.max(span, rul.at - last));
    if (rul.atLo !== undefined)
      spans.push({ from: rul.atLo, to: hiOpen ? maxT : rul.atHi!, label: `${pct}: ${intervalHours(rul.lo!, rul.hi!)}`, cls: 'rul-band' });
  }
  const forecast = r.forecast && !firstPassage && rul.status === 'estimated' ? r.forecast : undefined;
  return timeChart({
    title: `${r.name}: health indicator${firstPassage ? `, expected threshold crossing with its ${Math.round(rul.level * 100)}% interval (first passage)` : forecast ? `, ${forecast.model} trend with its ${Math.round(forecast.level * 100)}% band` : ''}`,
    yLabel: `${r.name}${u}`,
    series: [{ name: r.name, t: r.points.t, v: r.points.v }],
    ...(forecast
      ? {
          band: {
            t: forecast.points.map((p) => p.t),
            lo: forecast.points.map((p) => p.lo),
            hi: forecast.points.map((p) => p.hi),
            label: `${Math.round(forecast.level * 100)}% band of the ${forecast.model} trend`,
          },
          forecast: { t: forecast.points.map((p) => p.t), v: forecast.points.map((p) => p.mean) },
        }
      : {}),
    hlines,
    vlines,
    zones,
    spans,
    markers,
    tzOffset,
    ...(maxT !== undefined ? { maxT } : {}),
  });
}

export function degradationHtml(res: DegradationResult, ctx: ReportContext): string {
  const tzOffset = (ms: number) => offsetMinutes(ms, ctx.tz) * 60_000;
  const parts: string[] = [];
  parts.push(
    htmlTable(
      ['indicator', 'status', 'now', 'zone', 'onset', 'remaining life'],
      res.indicators.map((r) => [
        r.name,
        STATUS_WORDS[r.status],
        r.current ? `${sig(r.current.value)}${unitOf(r)}` : '-',
        r.current?.zone ?? '-',
        r.onset ? localTime(r.onset.startedAt, ctx.tz) : '-',
        rulCell(r),
      ]),
    ),
  );
  for (const r of res.indicators) {
    parts.push(`<h2>${esc(r.name)}</h2><p class="statement ${r.status}">${esc(r.statement)}</p>`);
    parts.push(indicatorChart(r, res, tzOffset));
    const facts: string[][] = [];
    if (r.baseline)
      facts.push([
        'baseline',
        `${sig(r.baseline.level)}${unitOf(r)} (${r.baseline.n} windows, ${localTime(r.baseline.from, ctx.tz)} to ${localTime(r.baseline.to, ctx.tz)})`,
      ]);
    if (r.onset)
      facts.push([
        'onset',
        `started ${localTime(r.onset.startedAt, ctx.tz)}, confirmed ${localTime(r.onset.alarmAt, ctx.tz)} (${r.onset.method})`,
      ]);
    facts.push(['windows', `${r.points.t.length} of ${spanHours(r.windowMs / 3_600_000)} (${r.stat}), ${r.samples} samples`]);
    parts.push(htmlTable(['', ''], facts));
    if (r.trends.length)
      parts.push(
        `<h3>Trend models</h3>${htmlTable(['model', 'rate', 'R²', 'p (slope > 0)', 'significant', 'remaining life if it continues'], trendRows(r), [false, true, true, true, false, false])}`,
      );
    parts.push(htmlList(r.notes));
  }
  parts.push(`<p class="meta">${esc(paramLine(res))}</p>`);
  return htmlPage(`Degradation: ${ctx.file}`, `${ctx.tool}, ${ctx.generated}; times in ${ctx.tz}`, parts.join('\n'));
}
