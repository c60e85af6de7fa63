/**
 * The latency result for people (one table, a histogram per round-trip series on a terminal) and
 * as the JSON document `iiot.check.latency/1` (docs/json-output.md).
 */
import type { Styler } from '../../render/color.js';
import { formatDuration } from '../../core/units.js';
import { renderTable, type Column } from '../../render/table.js';
import type { HistogramBin } from '../stats.js';
import { targetJsonHead } from '../targets.js';
import type { LatencyResult, LatencyTargetResult, SeriesResult } from './result.js';

/** Milliseconds with three significant digits: 0.123, 1.23, 12.3, 123. */
export function ms(x: number | undefined | null): string {
  if (x === undefined || x === null || !Number.isFinite(x)) return '-';
  const a = Math.abs(x);
  if (a === 0) return '0';
  if (a < 1) return x.toFixed(3);
  if (a < 10) return x.toFixed(2);
  if (a < 100) return x.toFixed(1);
  return Math.round(x).toString();
}

interface Row {
  target: string;
  s: SeriesResult;
}

export function renderHistogram(bins: readonly HistogramBin[], width: number, style: Styler): string[] {
  const max = Math.max(...bins.map((b) => b.count), 1);
  const labels = bins.map((b) => `${ms(b.from)}-${ms(b.to)} ms`);
  const lw = Math.max(...labels.map((l) => l.length));
  const cw = Math.max(...bins.map((b) => String(b.count).length));
  const barWidth = Math.max(10, width - lw - cw - 8);
  return bins.map((b, i) => {
    const n = Math.round((b.count / max) * barWidth);
    const bar = b.count > 0 ? '█'.repeat(Math.max(1, n)) : '';
    return `    ${labels[i]!.padStart(lw)} ${String(b.count).padStart(cw)} ${style.cyan(bar)}`;
  });
}

function thresholdLines(t: LatencyTargetResult, style: Styler): string[] {
  return t.thresholds.map((th) => {
    if (th.value === null) return style.yellow(`  n/a   ${th.series}: ${th.kind} not judged: nothing was measured`);
    const what =
      th.kind === 'p99'
        ? `p99 ${ms(th.value)} ms ≤ ${ms(th.limit)} ms`
        : `loss ${th.value === null ? '-' : th.value.toFixed(1)} % ≤ ${th.limit} %`;
    return th.ok ? style.green(`  ok    ${th.series}: ${what}`) : style.bold(style.red(`  FAIL  ${th.series}: ${what.replace('≤', '>')}`));
  });
}

export function renderLatency(r: LatencyResult, style: Styler, withHistogram: boolean, columns = 100): string {
  const rows: Row[] = [];
  for (const t of r.targets) for (const s of t.series) rows.push({ target: t.target, s });
  const cols: Column<Row>[] = [
    { header: 'TARGET', value: (x) => x.target },
    { header: 'SERIES', value: (x) => x.s.label },
    { header: 'SENT', value: (x) => String(x.s.sent), align: 'right' },
    {
      header: 'LOST',
      value: (x) =>
        x.s.sent - x.s.received === 0 ? '0' : style.red(`${x.s.sent - x.s.received}${x.s.timeouts ? ` (${x.s.timeouts} t/o)` : ''}`),
      align: 'right',
    },
    { header: 'MIN', value: (x) => ms(x.s.stats?.min), align: 'right' },
    { header: 'P50', value: (x) => ms(x.s.stats?.p50), align: 'right' },
    { header: 'P95', value: (x) => ms(x.s.stats?.p95), align: 'right' },
    { header: 'P99', value: (x) => ms(x.s.stats?.p99), align: 'right' },
    { header: 'MAX', value: (x) => ms(x.s.stats?.max), align: 'right' },
    { header: 'MEAN', value: (x) => ms(x.s.stats?.mean), align: 'right' },
    { header: 'STDDEV', value: (x) => ms(x.s.stats?.stddev), align: 'right' },
    { header: 'JITTER', value: (x) => ms(x.s.stats?.jitter), align: 'right' },
  ];
  const lines: string[] = [];
  if (rows.length) lines.push(renderTable(rows, cols, { headerStyle: style.bold }), style.dim('  (milliseconds)'));
  for (const t of r.targets) {
    const extra: string[] = [];
    if (t.status !== 'measured')
      extra.push(
        style.red(`  ${t.status === 'unreachable' ? 'NOT MEASURED' : 'MEASURED IN PART'}: ${t.reason ?? ''}`),
        ...(t.hint ? [style.dim(`  hint: ${t.hint}`)] : []),
      );
    if (t.setup.length) extra.push(`  set-up: ${t.setup.map((s) => `${s.name} ${ms(s.ms)} ms`).join(', ')}`);
    const opc = t.details['read-current-time'] as
      | { endpointsMs?: number; channelMs?: number; sessionMs?: number; securityMode?: string; securityPolicy?: string }
      | undefined;
    if (opc)
      extra.push(
        `  OPC UA session: GetEndpoints ${ms(opc.endpointsMs)} ms, secure channel ${ms(opc.channelMs)} ms, CreateSession+ActivateSession ${ms(opc.sessionMs)} ms (${opc.securityMode}/${opc.securityPolicy})`,
      );
    if (t.clockOffset) {
      const o = t.clockOffset;
      extra.push(
        `  clock offset: server ${o.medianMs >= 0 ? 'ahead' : 'behind'} by ${ms(Math.abs(o.medianMs))} ms ± ${ms(o.uncertaintyMs)} ms (median of ${o.samples})`,
      );
    }
    for (const s of t.series) {
      for (const n of s.notes)
        if (!(t.reason ?? '').includes(n.replace(/^could not open: /, ''))) extra.push(style.dim(`  ${s.label}: ${n}`));
      if (s.delayedAck) {
        extra.push(
          style.yellow(
            `  ${s.label}: ${Math.round(s.delayedAck.share * 100)} % near ${ms(s.delayedAck.modeMs)} ms: Nagle + delayed ACK signature (docs/latency.md)`,
          ),
        );
      }
    }
    extra.push(...thresholdLines(t, style));
    if (withHistogram) {
      for (const s of t.series) {
        if (s.kind === 'connect' || !s.histogram?.length || s.received < 2) continue;
        extra.push(`  ${s.label}:`, ...renderHistogram(s.histogram, Math.min(columns, 100) - 4, style));
      }
    }
    if (extra.length) lines.push('', style.bold(t.target), ...extra);
  }
  const measured = r.targets.filter((t) => t.status === 'measured').length;
  lines.push(
    '',
    `${r.targets.length} target${r.targets.length === 1 ? '' : 's'}, ${measured} measured in full; ${r.options.count} round trips each, every ${formatDuration(r.options.intervalMs)}; ${formatDuration(r.durationMs)}`,
  );
  const th = r.targets.flatMap((t) => t.thresholds);
  const judged = th.filter((x) => x.value !== null);
  if (th.length) {
    lines.push(
      r.failed
        ? style.bold(style.red(`FAILED: ${th.filter((x) => !x.ok).length} of ${judged.length} thresholds judged`))
        : judged.length === th.length
          ? style.green(`passed: all ${th.length} thresholds`)
          : style.yellow(`passed ${judged.length} of ${th.length} thresholds; ${th.length - judged.length} not judged: nothing measured`),
    );
  }
  return lines.join('\n');
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

export function latencyJson(r: LatencyResult): Record<string, unknown> {
  return {
    startedAt: r.startedAt,
    durationMs: Math.round(r.durationMs),
    options: r.options,
    failed: r.failed,
    targets: r.targets.map((t) => ({
      ...targetJsonHead(t),
      setup: t.setup.map((s) => ({ name: s.name, ms: round3(s.ms) })),
      details: t.details,
      series: t.series.map((s) => ({
        name: s.name,
        label: s.label,
        kind: s.kind,
        sent: s.sent,
        received: s.received,
        timeouts: s.timeouts,
        errors: s.errors,
        lossPercent: round3(s.lossPercent),
        stats: s.stats ? Object.fromEntries(Object.entries(s.stats).map(([k, v]) => [k, k === 'count' ? v : round3(v)])) : null,
        histogram: (s.histogram ?? []).map((b) => ({ fromMs: round3(b.from), toMs: round3(b.to), count: b.count })),
        ...(s.delayedAck
          ? {
              delayedAck: {
                share: round3(s.delayedAck.share),
                count: s.delayedAck.count,
                modeMs: round3(s.delayedAck.modeMs),
                otherMedianMs: s.delayedAck.otherMedianMs === undefined ? null : round3(s.delayedAck.otherMedianMs),
              },
            }
          : {}),
        notes: s.notes,
        samplesMs: s.samples.map(round3),
      })),
      ...(t.clockOffset
        ? {
            clockOffset: {
              medianMs: round3(t.clockOffset.medianMs),
              uncertaintyMs: round3(t.clockOffset.uncertaintyMs),
              samples: t.clockOffset.samples,
            },
          }
        : {}),
      thresholds: t.thresholds.map((th) => ({ ...th, value: th.value === null ? null : round3(th.value) })),
      durationMs: Math.round(t.durationMs),
    })),
    skipped: r.skipped,
  };
}
