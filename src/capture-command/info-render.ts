import { formatDuration } from '../core/units.js';
import type { Styler } from '../render/color.js';
import { formatNumber, renderKeyValues, renderTable } from '../render/table.js';
import type { CaptureInfo, TagSummary } from '../capture/info.js';

/** `iiot capture info` for people: a key-value block, a table of tags, then gaps and issues. */

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MiB`;
  return `${(n / 1024 ** 3).toFixed(2)} GiB`;
}

function count(n: number): string {
  return formatNumber(n);
}

function plural(n: number, word: string): string {
  return `${count(n)} ${word}${n === 1 ? '' : 's'}`;
}

function valueRange(t: TagSummary): [string, string, string] {
  if (t.min === undefined || t.max === undefined || t.mean === undefined) {
    const kinds = Object.entries(t.types)
      .filter(([, n]) => n > 0)
      .map(([k]) => k);
    return [kinds.join('/') || '-', '', ''];
  }
  return [formatNumber(t.min), formatNumber(t.max), formatNumber(t.mean)];
}

/**
 * The damage of a capture in a few lines, said before anything else (capture info): how many
 * lines could not be read, whether the end is cut, and the first of them with file:line.
 */
export function damageLines(info: CaptureInfo): string[] {
  if (info.issues.count === 0) return [];
  const files = info.files.length === 1 ? info.files[0]! : `${info.files.length} files`;
  const lines = [
    `${files} is damaged: ${plural(info.issues.count, 'bad line')}${info.issues.torn ? ', the end is cut (a crash or a copy cut short)' : ''}`,
  ];
  for (const i of info.issues.list.slice(0, 3)) lines.push(`  ${i.file}:${i.line}: ${i.message}`);
  if (info.issues.count > 3) lines.push(`  ... ${info.issues.count - 3} more (iiot capture validate lists them all)`);
  return lines;
}

export function renderInfo(info: CaptureInfo, style: Styler): string {
  const out: string[] = [];
  const files = info.files.length === 1 ? info.files[0]! : `${info.files[0]} (+${info.files.length - 1} more parts)`;
  const kinds = Object.entries(info.events.byKind)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ');
  const pairs: Array<[string, string]> = [
    ['file', `${files}  ${bytes(info.bytes)}${info.compressed ? ', gzip' : ''}`],
    ['format', `${info.format} v${info.version}, written by ${info.tool}, created ${info.created}`],
  ];
  if (info.part) {
    const hint = info.files.length === 1 ? ' (--all-parts reads the whole set)' : '';
    pairs.push(['part', `${info.part.index} of a rotated set starting at ${info.part.first}${hint}`]);
  }
  // The data's span and the recording's own span apart: a server that stamps old source times
  // makes the data span longer than the recording, and that is worth seeing, not hiding.
  pairs.push([
    'data',
    info.data.first
      ? `${info.data.first} .. ${info.data.last} (${formatDuration(info.data.durationMs ?? 0)})`
      : info.span.first
        ? 'no samples'
        : 'no records',
  ]);
  if (info.recording) {
    pairs.push([
      'recorded',
      `${info.recording.from} .. ${info.recording.to} (${formatDuration(info.recording.durationMs)}, by the recorder's clock)`,
    ]);
  }
  pairs.push([
    'sources',
    info.sources.length ? info.sources.map((s) => `${s.id} (${s.protocol}${s.endpoint ? ` ${s.endpoint}` : ''})`).join(', ') : '-',
  ]);
  pairs.push([
    'records',
    `${plural(info.records.samples, 'sample')}, ${plural(info.records.events, 'event')}${kinds ? ` (${kinds})` : ''}, ${count(info.records.raw)} raw${info.raw.count ? ` (${plural(info.raw.topics, 'topic')})` : ''}`,
  ]);
  const meta = Object.entries(info.metadata);
  if (meta.length) {
    const shown = meta.slice(0, 6).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v).slice(0, 40)}`);
    pairs.push(['metadata', shown.join(', ') + (meta.length > 6 ? `, ... (${meta.length - 6} more; --json shows all)` : '')]);
  }
  out.push(renderKeyValues(pairs));
  if (info.tags.length) {
    out.push('');
    out.push(
      renderTable(
        info.tags,
        [
          { header: 'tag', value: (t) => (t.declared ? t.name : `${t.name} ${style.yellow('(undeclared)')}`) },
          { header: 'unit', value: (t) => t.unit ?? '' },
          { header: 'samples', value: (t) => count(t.count), align: 'right' },
          { header: 'min', value: (t) => valueRange(t)[0], align: 'right' },
          { header: 'max', value: (t) => valueRange(t)[1], align: 'right' },
          { header: 'mean', value: (t) => valueRange(t)[2], align: 'right' },
          {
            header: 'interval',
            value: (t) => (t.medianIntervalMs === undefined ? '-' : `${t.medianExact ? '' : '~'}${formatDuration(t.medianIntervalMs)}`),
            align: 'right',
          },
          { header: 'gaps', value: (t) => (t.gaps.count ? `${t.gaps.count} (${formatDuration(t.gaps.totalMs)})` : '0'), align: 'right' },
          { header: 'not good', value: (t) => count(t.notGood), align: 'right' },
        ],
        { headerStyle: style.bold },
      ),
    );
  }
  const gapLines = info.tags.flatMap((t) => t.gaps.largest.map((g) => `  ${t.name}: ${g.from} .. ${g.to} (${formatDuration(g.ms)})`));
  if (gapLines.length) out.push('', 'largest gaps:', ...gapLines.slice(0, 20));
  const disorder = info.tags.filter((t) => t.outOfOrder > 0);
  if (disorder.length)
    out.push('', `out of order: ${disorder.map((t) => `${t.name} ${t.outOfOrder}`).join(', ')} (samples earlier than the one before)`);
  if (info.issues.count) {
    out.push('', style.yellow(`${plural(info.issues.count, 'issue')}${info.issues.torn ? ' (the last line is torn)' : ''}:`));
    for (const i of info.issues.list) out.push(`  ${i.file}:${i.line}: ${i.message}`);
    if (info.issues.count > info.issues.list.length)
      out.push(`  ... ${info.issues.count - info.issues.list.length} more (iiot capture validate lists them all)`);
  }
  return out.join('\n');
}
