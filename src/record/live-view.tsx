/**
 * The live view of `iiot record` on a terminal (ink): sources and their state, then per tag the
 * last value, its rate and its errors, and the latest warnings. Drawn on stderr, redrawn a few
 * times a second from the recorder's counters; never drawn off a terminal, with --quiet or in CI
 * (io.animate), where the recorder prints a start line and a summary only.
 */
import { Box, Text } from 'ink';
import { useEffect, useState } from 'react';
import type { SampleValue } from '../capture/types.js';
import { formatDuration } from '../core/units.js';
import type { RecordStats, TagStats } from './stats.js';

export interface LiveViewProps {
  stats: RecordStats;
  file: string;
  durationMs?: number | undefined;
  count?: number | undefined;
  /** rows available for tags */
  rows: number;
  /** redraw period (tests use a short one) */
  refreshMs?: number;
  now?: () => number;
}

function valueText(v: SampleValue | undefined): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  const s = typeof v === 'string' ? v : JSON.stringify(v);
  return s.length > 18 ? `${s.slice(0, 17)}…` : s;
}

const STATE_COLOR: Record<string, string> = { connected: 'green', connecting: 'yellow', disconnected: 'red', stopped: 'gray' };

export function LiveView({ stats, file, durationMs, count, rows, refreshMs = 250, now = Date.now }: LiveViewProps) {
  const [, setTick] = useState(0);
  useEffect(() => {
    const timer = setInterval(() => setTick((x) => x + 1), refreshMs);
    return () => clearInterval(timer);
  }, [refreshMs]);
  const elapsed = now() - stats.startedAt;
  const tags = [...stats.tags.values()].sort((a, b) => a.name.localeCompare(b.name));
  const shown = tags.slice(0, Math.max(1, rows));
  const nameW = Math.min(40, Math.max(3, ...shown.map((t) => t.name.length)));
  const gaps = stats.events.get('gap') ?? 0;
  const silent = tags.filter((t) => t.count === 0).length;
  const limit = [
    durationMs !== undefined ? `of ${formatDuration(durationMs)}` : '',
    count !== undefined ? `(stops at ${count} samples)` : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <Box flexDirection="column">
      <Text>
        <Text bold>recording</Text> to {file} · {formatDuration(elapsed)} {limit} · {stats.samples} samples
        {stats.raw ? ` · ${stats.raw} raw` : ''}
        {gaps ? (
          <Text color="yellow">
            {' '}
            · {gaps} gap{gaps === 1 ? '' : 's'}
          </Text>
        ) : (
          ''
        )}
      </Text>
      {stats.sources.map((s) => (
        <Text key={s.id}>
          {'  '}
          {s.id.padEnd(10)} <Text color={STATE_COLOR[s.state] ?? 'white'}>{s.state.padEnd(12)}</Text> {s.endpoint}
          {s.detail && s.state === 'disconnected' ? <Text dimColor> ({s.detail})</Text> : ''}
        </Text>
      ))}
      <Text dimColor>
        {'  '}
        {'tag'.padEnd(nameW)} {'last'.padStart(18)} {'rate/s'.padStart(7)} {'samples'.padStart(9)} {'errors'.padStart(7)}
      </Text>
      {shown.map((t) => (
        <TagRow key={t.name} t={t} nameW={nameW} rate={stats.rate(t)} />
      ))}
      {tags.length > shown.length ? <Text dimColor> … {tags.length - shown.length} more tags</Text> : null}
      {silent > 0 && elapsed > 5000 ? (
        <Text color="yellow">
          {' '}
          {silent} tag{silent === 1 ? ' has' : 's have'} no value yet
        </Text>
      ) : null}
      {stats.notices.slice(-3).map((n, i) => (
        <Text key={i} color="yellow">
          {'  '}! {n}
        </Text>
      ))}
      <Text dimColor> Ctrl-C stops and closes the file</Text>
    </Box>
  );
}

function TagRow({ t, nameW, rate }: { t: TagStats; nameW: number; rate: number | undefined }) {
  const name = t.name.length > nameW ? `${t.name.slice(0, nameW - 1)}…` : t.name.padEnd(nameW);
  return (
    <Text>
      {'  '}
      {name} <Text {...(t.lastQ ? { color: 'yellow' } : {})}>{valueText(t.last).padStart(18)}</Text>{' '}
      {(rate === undefined ? '' : rate.toFixed(1)).padStart(7)} {String(t.count).padStart(9)}{' '}
      <Text {...(t.errors ? { color: 'red' } : {})}>{String(t.errors || '').padStart(7)}</Text>
    </Text>
  );
}
