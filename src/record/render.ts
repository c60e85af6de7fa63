/**
 * What `iiot record` says when it stops: the iiot.record/1 document (docs/json-output.md), or a
 * line and a table of the tags for people; and why it stopped, as the capture's stop event says it.
 */
import { emitJson, out, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { renderTable } from '../render/table.js';
import type { RecordResult, StopReason } from './types.js';

export function stopMessage(reason: StopReason | undefined): string {
  switch (reason) {
    case 'duration':
      return 'the duration was reached';
    case 'count':
      return 'the sample count was reached';
    case 'done':
      return 'the history was read';
    case 'error':
      return 'stopped by an error';
    default:
      return 'stopped by the user (Ctrl-C or SIGTERM)';
  }
}

/** The result for people (stdout) or scripts (--json, iiot.record/1). */
export function report(io: IO, r: RecordResult): void {
  const tags = [...r.stats.tags.values()].sort((a, b) => a.name.localeCompare(b.name));
  const silent = tags.filter((t) => t.count === 0);
  const events = Object.fromEntries([...r.stats.events.entries()].sort());
  if (io.json) {
    emitJson(io, 'iiot.record/1', {
      files: r.files,
      records: r.records,
      samples: r.stats.samples,
      raw: r.stats.raw,
      events,
      durationMs: r.durationMs,
      stopped: r.stopped,
      sources: r.sources,
      tags: tags.map((t) => ({
        name: t.name,
        ...(t.source === undefined ? {} : { source: t.source }),
        count: t.count,
        errors: t.errors,
        ...(t.lastError ? { lastError: t.lastError } : {}),
        ...(t.firstT !== undefined ? { first: new Date(t.firstT).toISOString() } : {}),
        ...(t.lastT !== undefined ? { last: new Date(t.lastT).toISOString() } : {}),
      })),
      silentTags: silent.map((t) => t.name),
    });
    return;
  }
  const gaps = r.stats.events.get('gap') ?? 0;
  out(
    io,
    `${r.files.join(', ')}: ${r.stats.samples} samples${r.stats.raw ? `, ${r.stats.raw} raw messages` : ''} of ${tags.length} tags in ${formatDuration(r.durationMs)}` +
      `${gaps ? `, ${gaps} gap${gaps === 1 ? '' : 's'} (marked in the file)` : ''} (${stopMessage(r.stopped)})`,
  );
  if (tags.length > 0 && tags.length <= 200 && !io.quiet) {
    const seconds = Math.max(0.001, r.durationMs / 1000);
    out(
      io,
      renderTable(tags, [
        { header: 'tag', value: (t) => t.name },
        { header: 'samples', value: (t) => String(t.count), align: 'right' },
        { header: 'per s', value: (t) => (t.count / seconds).toFixed(2), align: 'right' },
        { header: 'errors', value: (t) => (t.errors ? String(t.errors) : ''), align: 'right' },
        { header: 'last', value: (t) => (t.last === undefined ? '' : JSON.stringify(t.last).slice(0, 24)), align: 'right' },
        { header: 'note', value: (t) => t.lastError ?? t.lastQ ?? '' },
      ]),
    );
  }
  if (silent.length > 0)
    warn(
      io,
      `${silent.length} tag${silent.length === 1 ? '' : 's'} recorded no value: ${silent
        .slice(0, 10)
        .map((t) => t.name)
        .join(', ')}${silent.length > 10 ? ', ...' : ''}`,
    );
}
