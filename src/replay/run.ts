/**
 * `iiot replay FILE --to opcua|modbus|mqtt[://host:port]`: survey the capture, build the sink
 * (a server, or a publisher), say where it serves (stdout and --ready-file) once it does, play
 * the records at their recorded times, and exit when the capture ends (unless --loop), on
 * Ctrl-C or SIGTERM (exit 0 either way).
 */
import { rmSync, writeFileSync, renameSync } from 'node:fs';
import { checkOutputTarget } from '../core/output-file.js';
import { expandParts, openCaptureSet } from '../capture/capture-set.js';
import { tagMatcher } from '../capture/tag-match.js';
import type { CaptureRecord, TagInfo } from '../capture/types.js';
import { usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { debug, info, out, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { replayFactory } from '../protocols/registry.js';
import type { ReplaySink } from '../protocols/types.js';
import { realClock, type ReplayClock } from './clock.js';
import { play, type PlayStats } from './engine.js';
import type { ReplayOptions } from './options.js';
import { printSummary } from './render.js';
import { surveyCapture, type CaptureSurvey } from './survey.js';

export interface ReplayDeps {
  clock?: ReplayClock;
  signal?: AbortSignal;
  /** called once serving, with the endpoint */
  onReady?: (endpoint: string, sink: ReplaySink) => void | Promise<void>;
  handleSignals?: boolean;
}

export interface ReplayResult {
  endpoint: string;
  survey: CaptureSurvey;
  stats: PlayStats;
  tags: number;
}

async function createSink(
  o: ReplayOptions,
  survey: CaptureSurvey,
  io: IO,
  say: (t: string) => void,
): Promise<{ sink: ReplaySink; holdsState: boolean }> {
  return replayFactory(o.sink).create(o.sink, { io, warn: say, firstValue: survey.firstValue, rawSources: survey.rawSources });
}

export async function runReplay(io: IO, o: ReplayOptions, deps: ReplayDeps = {}): Promise<number> {
  const r = await replay(io, o, deps);
  printSummary(io, o, r);
  return ExitCode.Ok;
}

export async function replay(io: IO, o: ReplayOptions, deps: ReplayDeps = {}): Promise<ReplayResult> {
  const files = await expandParts(o.files, o.allParts);
  const seen = new Set<string>();
  const say = (t: string) => {
    if (seen.has(t)) return;
    seen.add(t);
    warn(io, t);
  };
  let issues = 0;
  const survey = await surveyCapture(files, (m) => {
    if (++issues <= 5) say(m);
  });
  if (issues > 5) say(`${issues - 5} more problems in the capture were skipped (iiot capture validate lists them)`);
  const match = tagMatcher(o.tags);
  let tags: TagInfo[] = survey.tags.filter((t) => match(t.name));
  // samples of tags never declared still replay (the writer of the capture forgot them)
  for (const name of survey.counts.keys()) if (match(name) && !tags.some((t) => t.name === name)) tags.push({ name });
  if (o.tags.length > 0) {
    const unknown = o.tags.filter((p) => !/[*?]/.test(p) && !tags.some((t) => t.name === p));
    if (unknown.length)
      throw usageError(
        `--tags: the capture has no tag ${unknown.map((u) => `"${u}"`).join(', ')}`,
        `its tags: ${survey.tags
          .slice(0, 10)
          .map((t) => t.name)
          .join(', ')}${survey.tags.length > 10 ? ', ...' : ''}`,
      );
    if (tags.length === 0) throw usageError(`--tags ${o.tags.join(',')}: matches no tag of the capture`);
  }
  if (survey.samples === 0 && survey.raw === 0)
    throw usageError(`${files.join(', ')}: the capture holds no samples to replay`, '`iiot capture info` shows what it holds');
  if (o.from !== undefined && survey.last !== undefined && o.from > survey.last)
    throw usageError(
      `--from ${new Date(o.from).toISOString()} is after the capture's last record (${new Date(survey.last).toISOString()})`,
    );
  if (o.to !== undefined && survey.first !== undefined && o.to < survey.first)
    throw usageError(`--to ${new Date(o.to).toISOString()} is before the capture's first record (${new Date(survey.first).toISOString()})`);
  tags = tags.filter((t, i) => tags.findIndex((x) => x.name === t.name) === i);
  const wanted = new Set(tags.map((t) => t.name));
  const { sink, holdsState } = await createSink(o, survey, io, say);
  const ac = new AbortController();
  deps.signal?.addEventListener('abort', () => ac.abort(), { once: true });
  const onSignal = () => ac.abort();
  const handle = deps.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  try {
    await sink.prepare(survey.header, tags);
    const endpoint = sink.endpoint;
    // Ready: a server once it holds the values due at the start, a publisher before it publishes.
    const announce = async () => {
      if (o.readyFile)
        writeReady(o.readyFile, { schema: 'iiot.replay.ready/1', endpoint, sink: o.sink.kind, pid: process.pid, files, tags: tags.length });
      if (!io.json) out(io, endpoint);
      info(
        io,
        `serving ${files.length === 1 ? files[0] : `${files.length} files`} (${tags.length} tags, ${formatDuration((survey.last ?? 0) - (survey.start ?? survey.first ?? 0))} of record) at ${endpoint}` +
          `${o.maxSpeed ? ' as fast as possible' : o.speed !== 1 ? ` at ${o.speed}x` : ''}${o.loop ? ', looping' : ''}; Ctrl-C to stop`,
      );
      await deps.onReady?.(endpoint, sink);
    };
    if (!holdsState) await announce();
    const filtered = o.tags.length === 0 ? undefined : wanted;
    const open = () => records(files, filtered);
    const stats = await play(open, sink, survey, {
      speed: o.speed,
      maxSpeed: o.maxSpeed,
      loop: o.loop,
      from: o.from,
      to: o.to,
      durationMs: o.durationMs,
      timestamps: o.timestamps,
      seedState: holdsState,
      clock: deps.clock ?? realClock(),
      signal: ac.signal,
      ...(holdsState ? { onStarted: announce } : {}),
    });
    return { endpoint, survey, stats, tags: tags.length };
  } finally {
    if (handle) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    await sink.close().catch((err: unknown) => debug(io, `closing the sink: ${(err as Error).message}`));
    if (o.readyFile) rmSync(o.readyFile, { force: true });
  }
}

/** The capture's records, without the tags not chosen. */
async function* records(files: string[], wanted: ReadonlySet<string> | undefined): AsyncIterable<CaptureRecord[]> {
  const set = await openCaptureSet(files);
  try {
    for await (const batch of set.batches()) {
      yield wanted === undefined ? batch : batch.filter((r) => !('tag' in r) || wanted.has(r.tag as string));
    }
  } finally {
    await set.close();
  }
}

/** Written whole (temp file, then rename): CI never reads half a file. */
function writeReady(path: string, body: object): void {
  checkOutputTarget(path, '--ready-file');
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(body, null, 2)}\n`);
  renameSync(tmp, path);
}
