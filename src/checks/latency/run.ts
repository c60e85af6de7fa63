/**
 * `iiot check latency`: per target, TCP connect times, then the protocol's own set-up and round
 * trips on one connection (docs/latency.md says exactly what each one measures), statistics per
 * series, thresholds, and the exit code. Targets on different hosts run side by side (at most
 * --concurrency hosts), never two connections to one host at once; new connections go through
 * the rate cap, round trips are spaced by --interval.
 */
import { IiotError, describeError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { debug, emitJson, info, out, warn, type IO } from '../../core/io.js';
import type { Target } from '../../core/targets.js';
import type { LatencyPlan } from '../../protocols/protocol.js';
import type { LatencyProbe } from '../../protocols/types.js';
import { latencyFactory } from '../../protocols/registry.js';
import { progressLine } from '../../render/progress-line.js';
import { makeContext, type CheckContext } from '../context.js';
import type { LatencyOptions, Threshold } from '../options.js';
import { runPerHost } from '../politeness.js';
import { computeStats, detectDelayedAckMode, histogram, quantile } from '../stats.js';
import { hostKey, resolveTargets, type CheckTarget } from '../targets.js';
import type { LatencyResult, LatencyTargetResult, SeriesKind, SeriesResult } from './result.js';

type ProbeSpec = LatencyPlan;

const sleep = (ms: number) => (ms > 0 ? new Promise<void>((r) => setTimeout(r, ms)) : Promise.resolve());

function isTimeout(err: unknown): boolean {
  const name = (err as Error)?.name;
  return (
    name === 'DeadlineError' ||
    name === 'ModbusTimeout' ||
    name === 'MqttSampleTimeout' ||
    /ETIMEDOUT|did not answer|no answer within|BadTimeout|BadRequestTimeout/.test(String((err as Error)?.message ?? err))
  );
}

function isConnectionGone(err: unknown): boolean {
  const name = (err as Error)?.name;
  return (
    name === 'ModbusConnectionLost' ||
    /closed the (connection|session)|ECONNRESET|EPIPE|BadConnectionClosed|BadSessionClosed|BadSecureChannelClosed|aborted the connection|not connected|Port Not Open/i.test(
      String((err as Error)?.message ?? err),
    )
  );
}

function emptySeries(name: string, label: string, kind: SeriesKind): SeriesResult {
  return { name, label, kind, sent: 0, received: 0, timeouts: 0, errors: 0, lossPercent: 0, notes: [], samples: [] };
}

function finish(s: SeriesResult): SeriesResult {
  s.lossPercent = s.sent === 0 ? 0 : ((s.sent - s.received) / s.sent) * 100;
  s.stats = computeStats(s.samples);
  s.histogram = histogram(s.samples);
  if (s.kind !== 'connect') s.delayedAck = detectDelayedAckMode(s.samples);
  return s;
}

function noteOnce(s: SeriesResult, text: string): void {
  if (!s.notes.includes(text)) s.notes.push(text);
}

async function probesFor(ctx: CheckContext, t: Target, o: LatencyOptions): Promise<ProbeSpec[]> {
  const factory = latencyFactory(t);
  if (!factory) return [];
  return factory.plans(t, o, { io: ctx.io, audit: ctx.auditFor(t), pace: ctx.pace, credentials: ctx.credentials, ca: ctx.ca });
}

async function measureConnects(
  ctx: CheckContext,
  t: Target & { host: string; port: number },
  count: number,
  o: LatencyOptions,
  series: SeriesResult,
): Promise<void> {
  const { tcpConnectTime } = await import('../../protocols/tcp/connect.js');
  const audit = ctx.auditFor(t);
  let next = performance.now();
  for (let i = 0; i < count; i++) {
    await sleep(next - performance.now());
    await ctx.pace();
    next = performance.now() + o.intervalMs;
    series.sent++;
    audit('TCP connect', { host: t.host, port: t.port });
    try {
      series.samples.push(await tcpConnectTime(t.host, t.port, o.timeoutMs));
      series.received++;
    } catch (err) {
      if (isTimeout(err)) series.timeouts++;
      else series.errors++;
      noteOnce(series, describeError(err));
      // Refused: the next attempt will be refused too; say it once and stop.
      if ((err as { code?: string }).code === 'ECONNREFUSED' || (err as { code?: string }).code === 'ENOTFOUND') {
        series.errors += count - i - 1;
        series.sent = count;
        throw err;
      }
    }
  }
}

async function measureProbe(ctx: CheckContext, spec: ProbeSpec, o: LatencyOptions, r: LatencyTargetResult): Promise<void> {
  const main = emptySeries(spec.name, spec.label, 'round-trip');
  const ack = spec.ackLabel ? emptySeries(`${spec.name}-ack`, spec.ackLabel, 'ack') : undefined;
  const offsets: number[] = [];
  r.series.push(main);
  if (ack) r.series.push(ack);
  await ctx.pace();
  const probe = await spec.make();
  let opened: Awaited<ReturnType<LatencyProbe['open']>>;
  try {
    opened = await probe.open();
  } catch (err) {
    await probe.close().catch(() => undefined);
    main.sent = o.count;
    main.errors = o.count;
    noteOnce(main, `could not open: ${describeError(err)}`);
    finish(main);
    if (ack) finish(ack);
    throw err;
  }
  if (opened.setupMs !== undefined) r.setup.push({ name: `${spec.name} set-up`, ms: opened.setupMs });
  if (opened.details) Object.assign(r.details, { [spec.name]: opened.details });
  try {
    let next = performance.now();
    for (let i = 0; i < o.count; i++) {
      await sleep(next - performance.now());
      next = performance.now() + o.intervalMs;
      main.sent++;
      if (ack) ack.sent++;
      try {
        const rt = await probe.roundTrip();
        main.samples.push(rt.ms);
        main.received++;
        const d = rt.details ?? {};
        if (ack && typeof d.ackMs === 'number') {
          ack.samples.push(d.ackMs);
          ack.received++;
        }
        if (typeof d.offsetMs === 'number') offsets.push(d.offsetMs);
        if (typeof d.exception === 'string')
          noteOnce(
            main,
            `the device answered with ${d.exception}: the round trip is measured, but choose --register of a register that exists`,
          );
        if (typeof d.status === 'string') noteOnce(main, `the server answered ${d.status}`);
      } catch (err) {
        if (isTimeout(err)) main.timeouts++;
        else main.errors++;
        noteOnce(main, describeError(err));
        if (isConnectionGone(err)) {
          const left = o.count - i - 1;
          main.errors += left;
          main.sent += left;
          if (ack) ack.sent += left;
          noteOnce(main, `the connection was lost after ${main.received} round trip${main.received === 1 ? '' : 's'}`);
          r.status = 'partial';
          r.reason ??= `${spec.label}: the connection was lost after ${main.received} of ${o.count} round trips`;
          break;
        }
      }
    }
  } finally {
    await probe.close().catch(() => undefined);
  }
  finish(main);
  if (ack) {
    ack.timeouts = 0;
    ack.errors = ack.sent - ack.received;
    finish(ack);
  }
  if (offsets.length) {
    // The offset of the fastest round trips is the most certain: report the median of all, and the
    // uncertainty from the fastest round trip.
    const sorted = Float64Array.from(offsets).sort();
    r.clockOffset = { medianMs: quantile(sorted, 0.5), uncertaintyMs: (main.stats?.min ?? 0) / 2, samples: offsets.length };
  }
}

function thresholdFor<T>(list: ReadonlyArray<Threshold<T>>, target: string): T | undefined {
  return (list.find((t) => t.target === target) ?? list.find((t) => t.target === undefined))?.value;
}

function applyThresholds(r: LatencyTargetResult, o: LatencyOptions): void {
  const p99 = thresholdFor(o.maxP99, r.target);
  const loss = thresholdFor(o.maxLoss, r.target);
  for (const s of r.series) {
    if (s.kind !== 'round-trip') continue;
    if (p99 !== undefined) {
      const v = s.stats?.p99 ?? null;
      r.thresholds.push({ kind: 'p99', series: s.name, limit: p99, value: v, ok: v === null || v <= p99 });
    }
    // Losses of a series that never got going (no connection) are the target's failure to be
    // measured (exit 3), not a measured loss rate.
    if (loss !== undefined) {
      const measured = s.received > 0 || s.notes.every((n) => !n.startsWith('could not open'));
      r.thresholds.push({
        kind: 'loss',
        series: s.name,
        limit: loss,
        value: measured ? s.lossPercent : null,
        ok: !measured || s.lossPercent <= loss,
      });
    }
  }
}

async function measureTarget(ctx: CheckContext, t: CheckTarget, o: LatencyOptions): Promise<LatencyTargetResult> {
  const target = t.target;
  const started = performance.now();
  const r: LatencyTargetResult = {
    target: target.url,
    protocol: target.protocol,
    origin: t.origin,
    status: 'measured',
    setup: [],
    details: {},
    series: [],
    thresholds: [],
    durationMs: 0,
  };
  try {
    // a serial line has no TCP connection to time
    if ('host' in target) {
      const isTcp = latencyFactory(target)?.connectIsRoundTrip === true;
      const n = isTcp ? o.count : o.connectCount;
      if (n > 0) {
        const s = emptySeries('tcp-connect', 'TCP connect', isTcp ? 'round-trip' : 'connect');
        r.series.push(s);
        try {
          await measureConnects(ctx, target, n, o, s);
        } finally {
          finish(s);
        }
        if (s.received === 0)
          throw new IiotError(ExitCode.Unreachable, s.notes[0] ?? `${target.url}: no TCP connection`, {
            hint: 'check the address and port, and any firewall between',
          });
      }
    }
    for (const spec of await probesFor(ctx, target, o)) {
      try {
        await measureProbe(ctx, spec, o, r);
      } catch (err) {
        // One probe failing (a broker refusing QoS 2, a session refused) leaves the others.
        r.status = r.series.some((s) => s.received > 0) ? 'partial' : 'unreachable';
        r.reason ??= describeError(err);
        r.hint ??= err instanceof IiotError ? err.hint : undefined;
      }
    }
  } catch (err) {
    if (!(err instanceof IiotError) && ctx.io.debug) ctx.io.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    r.status = 'unreachable';
    r.reason = describeError(err);
    r.hint = err instanceof IiotError ? err.hint : undefined;
  }
  applyThresholds(r, o);
  r.durationMs = performance.now() - started;
  return r;
}

export async function runLatencyCheck(io: IO, o: LatencyOptions): Promise<LatencyResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const resolved = resolveTargets(o.args, o.inventory);
  const urls = new Set(resolved.targets.map((t) => t.target.url));
  for (const th of [...o.maxP99, ...o.maxLoss]) {
    if (th.target !== undefined && !urls.has(th.target))
      throw usageError(`threshold for ${th.target}: not one of the targets`, `targets: ${[...urls].join(', ')}`);
  }
  for (const s of resolved.skipped) info(io, `skipped ${s.url} (inventory line ${s.line}): ${s.reason}`);
  if (resolved.incomplete)
    warn(
      io,
      `${o.inventory}: the discovery that wrote this inventory did not finish (${resolved.incomplete.join('; ')}): devices it missed are not checked`,
    );
  const ctx = await makeContext(io, o);
  // libraries first: a sample taken while node-opcua loads would measure iiot, not the device
  const { preloadProtocols } = await import('../../protocols/preload.js');
  await preloadProtocols(
    resolved.targets.map((t) => t.target.protocol),
    io.debug ? (line) => debug(io, line) : undefined,
  );
  const progress = progressLine(io);
  let done = 0;
  let targets: LatencyTargetResult[];
  try {
    targets = await runPerHost(
      resolved.targets,
      (t) => hostKey(t.target),
      o.politeness.concurrency,
      async (t) => {
        progress.update(`measuring ${done}/${resolved.targets.length}: ${t.target.url}`);
        const r = await measureTarget(ctx, t, o);
        done++;
        progress.update(`measuring ${done}/${resolved.targets.length}`);
        return r;
      },
    );
  } finally {
    progress.done();
    ctx.close();
  }
  const failed = targets.some((t) => t.thresholds.some((th) => !th.ok));
  const incomplete = targets.some((t) => t.status !== 'measured');
  return {
    startedAt,
    durationMs: performance.now() - t0,
    options: { count: o.count, intervalMs: o.intervalMs, timeoutMs: o.timeoutMs, connectCount: o.connectCount, qos: o.qos },
    targets,
    skipped: resolved.skipped.map((s) => ({ url: s.url, line: s.line, reason: s.reason })),
    failed,
    exitCode: failed ? ExitCode.CheckFailed : incomplete ? ExitCode.Unreachable : ExitCode.Ok,
  };
}

export async function runLatencyCommand(io: IO, o: LatencyOptions): Promise<number> {
  const result = await runLatencyCheck(io, o);
  const { latencyJson, renderLatency } = await import('./render.js');
  if (io.json) emitJson(io, 'iiot.check.latency/1', latencyJson(result));
  else out(io, renderLatency(result, io.style, o.histogram ?? io.stdoutIsTTY, (io.stdout as { columns?: number }).columns ?? 100));
  for (const t of result.targets) {
    if (t.status === 'unreachable') warn(io, `${t.target}: not measured: ${t.reason ?? ''}${t.hint ? ` (${t.hint})` : ''}`);
    else if (t.status === 'partial') warn(io, `${t.target}: measured in part: ${t.reason ?? ''}${t.hint ? ` (${t.hint})` : ''}`);
    for (const s of t.series) {
      if (s.delayedAck) {
        warn(
          io,
          `${t.target} ${s.label}: ${Math.round(s.delayedAck.share * 100)} % of round trips near ${s.delayedAck.modeMs.toFixed(0)} ms${s.delayedAck.otherMedianMs !== undefined ? ` (the rest: ${s.delayedAck.otherMedianMs.toFixed(2)} ms)` : ''}: the signature of Nagle's algorithm meeting a delayed ACK (docs/latency.md); on mosquitto set \`set_tcp_nodelay true\``,
        );
      }
    }
  }
  return result.exitCode;
}
