/**
 * `iiot record`: several sources into one capture file, until a duration, a count, Ctrl-C or
 * SIGTERM; the file is finished cleanly in every one of those cases. Sources are prepared first
 * (connected, tags resolved), so an unreachable device or a bad tag fails before any file exists;
 * then the header is written with every tag known, and samples flow. Tags found later (MQTT
 * topics, Sparkplug metrics) arrive as config events.
 */
import { hostname } from 'node:os';
import { refuseToReplace } from '../core/output-file.js';
import { createElement } from 'react';
import { createCaptureWriter, type CaptureWriter } from '../capture/writer.js';
import type { TagInfo } from '../capture/types.js';
import { IiotError, describeError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { debug as ioDebug, info, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import type { RecordOptions, RecordResult, SourceSpec, StopReason } from './types.js';
import { report, stopMessage } from './render.js';
import { RecordingSink } from './sink.js';
import { recordFactory } from '../protocols/registry.js';
import type { RecorderSource, SourceHooks } from '../protocols/source-base.js';
import { RecordStats } from './stats.js';
import { planPreparedNames, prefixSeveralMqtt, TagNameRegistry } from './tag-names.js';

export interface RecordDeps {
  /** stops the recording as Ctrl-C would (tests run the recorder in-process) */
  signal?: AbortSignal;
  /** called once the capture's header is written and every source started */
  onStarted?: (files: readonly string[]) => void;
  /** install SIGINT/SIGTERM handlers (default true) */
  handleSignals?: boolean;
}

export async function createSource(spec: SourceSpec, o: RecordOptions, io: IO, hooks: SourceHooks): Promise<RecorderSource> {
  return recordFactory(spec).create(spec.options, { io, reconnectMaxMs: o.reconnectMaxMs, hooks });
}

function sourceId(spec: SourceSpec): string {
  return spec.options.id;
}

export async function runRecord(io: IO, o: RecordOptions, deps: RecordDeps = {}): Promise<number> {
  const result = await record(io, o, deps);
  report(io, result);
  return ExitCode.Ok;
}

export async function record(io: IO, o: RecordOptions, deps: RecordDeps = {}): Promise<RecordResult> {
  // The same refusal as every command that writes a file; the capture then streams into its
  // final name (not staged), so a crash keeps what was recorded.
  refuseToReplace(o.output, { force: o.force });
  const stats = new RecordStats();
  const animate = io.animate && o.live;
  const seenWarnings = new Set<string>();
  const warnings: string[] = [];
  const sayWarn = (text: string) => {
    if (seenWarnings.has(text)) return;
    seenWarnings.add(text);
    warnings.push(text);
    if (animate && liveActive) stats.notice(text);
    else warn(io, text);
  };
  const sayInfo = (text: string) => {
    if (animate && liveActive) stats.notice(text);
    else info(io, text);
  };
  let liveActive = false;

  // Every source's protocol library is loaded here, before any source connects (createSource
  // imports them; node-opcua takes seconds on a cold or busy machine): no device waits on iiot
  // while it loads (docs/development.md, "Timeouts").
  // One signal, one tag (tag-names.ts): several brokers get their ids before their topic names.
  const { specs, notes: namingNotes } = prefixSeveralMqtt(o.sources);
  const names = new TagNameRegistry();
  let recording: RecordingSink | undefined;
  const sources: RecorderSource[] = [];
  for (const spec of specs) {
    const status = { id: sourceId(spec), protocol: spec.protocol, endpoint: endpointOf(spec), state: 'connecting' as const };
    stats.sources.push(status);
    const hooks: SourceHooks = {
      info: sayInfo,
      warn: sayWarn,
      debug: (t) => ioDebug(io, t),
      tagError: (tag, message) => stats.error(tag, message),
      state: (state, detail) => {
        const s = stats.sources.find((x) => x.id === status.id)!;
        s.state = state;
        s.detail = detail;
      },
      tagName: (req) => {
        const r = names.claim(status.id, req);
        if (r.holder) {
          const message = `${status.id}: ${req.signal} is recorded as tag "${r.name}": "${req.name}" is already ${r.holder.source} ${r.holder.signal}`;
          sayWarn(message);
          recording?.event('note', Date.now(), { source: status.id, message });
        }
        return r.name;
      },
    };
    sources.push(await createSource(spec, o, io, hooks));
  }

  for (const text of o.warnings ?? []) sayWarn(text);
  for (const text of [...(o.notes ?? []), ...namingNotes]) info(io, text);
  // 1. Connect and resolve every source; nothing is written if any fails.
  info(io, `connecting to ${specs.map(endpointOf).join(', ')}`);
  const prepared = await Promise.allSettled(sources.map((s) => s.prepare()));
  const failed = prepared.find((p): p is PromiseRejectedResult => p.status === 'rejected');
  if (failed) {
    await Promise.allSettled(sources.map((s) => s.stop()));
    throw failed.reason;
  }
  // Tags known now: names of several sources kept apart before anything is written.
  try {
    const plan = planPreparedNames(
      sources.map((s, i) => {
        const spec = specs[i]!;
        // a source whose tags carry a prefix already (several servers of an inventory) keeps it
        return {
          id: s.info.id,
          protocol: s.info.protocol,
          tags: s.tags,
          prefixable: s.prefixTags !== undefined && !spec.options.tagPrefix,
        };
      }),
    );
    for (const s of sources) {
      const prefix = plan.prefixes.get(s.info.id);
      if (prefix !== undefined) s.prefixTags?.(prefix);
    }
    for (const text of plan.notes) sayWarn(text);
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.stop()));
    throw err;
  }
  const tags: TagInfo[] = sources.flatMap((s) => s.tags);
  for (const t of tags) names.declare(t.source ?? '', t.address ?? t.name, t.name);

  // 2. The header, with every tag known now.
  let writer: CaptureWriter;
  try {
    writer = await createCaptureWriter(
      o.output,
      { sources: sources.map((s) => s.info), tags, metadata: { ...o.metadata, recorder: { host: hostname(), pid: process.pid } } },
      {
        flushIntervalMs: o.flushIntervalMs,
        exclusive: !o.force,
        ...(o.rotateBytes ? { rotateBytes: o.rotateBytes } : {}),
        ...(o.rotateMs ? { rotateMs: o.rotateMs } : {}),
      },
    );
  } catch (err) {
    await Promise.allSettled(sources.map((s) => s.stop()));
    throw err;
  }
  for (const t of tags) stats.tag(t.name, t.source);

  // 3. Record until told to stop.
  let stopReason: StopReason | undefined;
  let fatal: unknown;
  let wake: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => (wake = resolve));
  const stop = (reason: StopReason) => {
    if (stopReason !== undefined) return;
    stopReason = reason;
    wake();
  };
  const sink = (recording = new RecordingSink(writer, stats, {
    count: o.count,
    onLimit: () => stop('count'),
    onFatal: (err) => {
      fatal ??= err;
      stop('error');
    },
  }));
  const t0 = Date.now();
  let signals = 0;
  const onSignal = () => {
    signals++;
    if (signals > 1) {
      // a second Ctrl-C: the user wants out now; what was flushed stays readable
      io.stderr.write('iiot: stopping without waiting for the sources\n');
      process.exit(130);
    }
    stop('signal');
  };
  const handle = deps.handleSignals ?? true;
  if (handle) {
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  deps.signal?.addEventListener('abort', () => stop('signal'), { once: true });
  if (deps.signal?.aborted) stop('signal');
  const timer = o.durationMs !== undefined ? setTimeout(() => stop('duration'), o.durationMs) : undefined;
  const ticker = setInterval(() => stats.tick(), 1000);
  ticker.unref();
  let live: { unmount(): void } | undefined;
  try {
    try {
      for (const s of sources) await s.start(sink);
    } catch (err) {
      fatal ??= err;
      stop('error');
    }
    const finishing = sources.map((s) => s.finished?.());
    if (finishing.length > 0 && finishing.every((f) => f !== undefined)) {
      void Promise.all(finishing).then(() => stop('done'));
    }
    deps.onStarted?.(writer.files);
    if (stopReason === undefined) {
      const until = [
        o.durationMs !== undefined ? `for ${formatDuration(o.durationMs)}` : '',
        o.count !== undefined ? `until ${o.count} samples` : '',
      ]
        .filter(Boolean)
        .join(' or ');
      info(io, `recording ${tags.length ? `${tags.length} tags ` : ''}to ${o.output}${until ? ` ${until}` : ''}; Ctrl-C to stop`);
      if (animate) {
        live = await startLiveView(io, stats, o);
        liveActive = true;
      }
    }
    await stopped;
  } finally {
    clearTimeout(timer);
    clearInterval(ticker);
    if (handle) {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
    // 4. Finish: sources first (their last messages still reach the file), then the file.
    await Promise.allSettled(sources.map((s) => withBound(s.stop(), 10_000)));
    if (fatal === undefined) sink.event('stop', Date.now(), { message: stopMessage(stopReason) });
    sink.close();
    live?.unmount();
    liveActive = false;
    try {
      await writer.close();
    } catch (err) {
      fatal ??= err;
    }
  }
  if (fatal !== undefined) {
    if (fatal instanceof IiotError) throw fatal;
    throw new IiotError(ExitCode.Internal, `recording failed: ${describeError(fatal)}`, { cause: fatal });
  }
  return {
    files: writer.files,
    records: writer.recordsWritten,
    stopped: stopReason ?? 'signal',
    durationMs: Date.now() - t0,
    stats,
    sources: sources.map((s, i) => ({ id: s.info.id, protocol: s.info.protocol, endpoint: endpointOf(specs[i]!), stats: s.stats() })),
  };
}

function endpointOf(spec: SourceSpec): string {
  return recordFactory(spec).endpoint(spec.options);
}

function withBound<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<undefined>((r) => (timer = setTimeout(() => r(undefined), ms)))]).finally(() => clearTimeout(timer));
}

async function startLiveView(io: IO, stats: RecordStats, o: RecordOptions): Promise<{ unmount(): void }> {
  const { render } = await import('ink');
  const { LiveView } = await import('./live-view.js');
  const screen = io.stderr as NodeJS.WriteStream;
  const rows = Math.max(3, (screen.rows ?? 24) - stats.sources.length - 8);
  const app = render(createElement(LiveView, { stats, file: o.output, durationMs: o.durationMs, count: o.count, rows }), {
    stdout: screen,
    // CI=true would make ink draw nothing until exit (it asks the is-in-ci package unless told); io.animate already said "draw"
    interactive: true,
    exitOnCtrlC: false,
    patchConsole: false,
  });
  return { unmount: () => app.unmount() };
}
