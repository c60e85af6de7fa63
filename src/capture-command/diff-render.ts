import type { Styler } from '../render/color.js';
import { formatDuration } from '../core/units.js';
import { formatNumber, renderTable } from '../render/table.js';
import type { DiffResult, Difference } from '../capture/diff.js';

/** `iiot capture diff` for people: one verdict line, a table of tags, the first differences. */

function show(v: unknown): string {
  if (v === undefined) return '-';
  if (typeof v === 'number') return formatNumber(v, 10);
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function describe(d: Difference): string {
  switch (d.kind) {
    case 'missing':
      return `${d.t}  only in A: ${show(d.a)}`;
    case 'extra':
      return `${d.t}  only in B: ${show(d.b)}`;
    case 'value':
      return `${d.t}  A ${show(d.a)}  B ${show(d.b)}${d.tB ? ` (B at ${d.tB})` : ''}`;
    case 'quality':
      return `${d.t}  quality A ${d.qa ?? 'good'}  B ${d.qb ?? 'good'}`;
  }
}

export function renderDiff(r: DiffResult, style: Styler, all = false): string {
  const out: string[] = [];
  const t = r.totals;
  const shift =
    r.timeShiftMs === undefined ? '' : `, B moved by ${r.timeShiftMs <= 0 ? '+' : '-'}${formatDuration(Math.abs(r.timeShiftMs))}`;
  const tolerance = `value tolerance ${r.tolerance}, time tolerance ${formatDuration(r.timeToleranceMs)}${r.align ? `, aligned by ${r.align}` : ''}${shift}`;
  out.push(
    r.equal
      ? style.green(`equal: ${t.tags} tag${t.tags === 1 ? '' : 's'}, ${formatNumber(t.matched)} samples matched (${tolerance})`)
      : style.red(`different: ${t.differingTags} of ${t.tags} tags differ (${tolerance})`),
  );
  const rows = all ? r.tags : r.tags.filter((x) => !x.equal);
  if (rows.length) {
    out.push('');
    out.push(
      renderTable(
        rows,
        [
          { header: 'tag', value: (x) => (x.equal ? x.tag : style.red(x.tag)) },
          { header: 'A', value: (x) => formatNumber(x.inA), align: 'right' },
          { header: 'B', value: (x) => formatNumber(x.inB), align: 'right' },
          { header: 'matched', value: (x) => formatNumber(x.matched), align: 'right' },
          { header: 'out of tol.', value: (x) => formatNumber(x.outOfTolerance), align: 'right' },
          { header: 'quality', value: (x) => formatNumber(x.qualityDiffers), align: 'right' },
          { header: 'only in A', value: (x) => formatNumber(x.missing), align: 'right' },
          { header: 'only in B', value: (x) => formatNumber(x.extra), align: 'right' },
          { header: 'max |A-B|', value: (x) => (x.maxAbsDiff === undefined ? '-' : formatNumber(x.maxAbsDiff)), align: 'right' },
          { header: 'tolerance', value: (x) => x.tolerance },
        ],
        { headerStyle: style.bold },
      ),
    );
  }
  const diffs = r.tags.filter((x) => x.differences.length > 0);
  if (diffs.length) {
    out.push('', 'first differences:');
    for (const x of diffs.slice(0, 20)) for (const d of x.differences) out.push(`  ${x.tag}  ${describe(d)}`);
  }
  if (r.issues.a || r.issues.b)
    out.push('', style.yellow(`bad lines skipped: ${r.issues.a} in A, ${r.issues.b} in B (iiot capture validate lists them)`));
  return out.join('\n');
}
