/**
 * What `iiot replay` says when the capture has been played: the iiot.replay/1 document
 * (docs/json-output.md), or one line on stderr with the counts and the timing error.
 */
import { emitJson, info, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { percentile, type PlayStats } from './engine.js';
import type { ReplayOptions } from './options.js';

export function printSummary(io: IO, o: ReplayOptions, r: { endpoint: string; tags: number; stats: PlayStats }): void {
  const p50 = percentile(r.stats.lateness, 50);
  const p99 = percentile(r.stats.lateness, 99);
  if (io.json) {
    emitJson(io, 'iiot.replay/1', {
      files: o.files,
      sink: o.sink.kind,
      endpoint: r.endpoint,
      tags: r.tags,
      records: r.stats.records,
      samples: r.stats.samples,
      raw: r.stats.raw,
      passes: r.stats.passes,
      wallMs: Math.round(r.stats.wallMs),
      speed: o.maxSpeed ? 'max' : o.speed,
      stopped: r.stats.stopped,
      ...(p50 !== undefined
        ? {
            timing: {
              groups: r.stats.lateness.length,
              p50Ms: round3(p50),
              p99Ms: round3(p99!),
              maxMs: round3(r.stats.lateness.reduce((m, x) => (x > m ? x : m), -Infinity)),
            },
          }
        : {}),
    });
  } else {
    info(
      io,
      `replayed ${r.stats.records} records (${r.stats.samples} samples${r.stats.raw ? `, ${r.stats.raw} raw messages` : ''}) in ${formatDuration(r.stats.wallMs)}` +
        `${r.stats.passes > 1 ? `, ${r.stats.passes} passes` : ''}${p50 !== undefined ? `; timing error p50 ${p50.toFixed(2)} ms, p99 ${p99!.toFixed(2)} ms` : ''}` +
        `${r.stats.stopped === 'signal' ? ' (stopped by the user)' : ''}`,
    );
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;
