/**
 * `iiot read opc.tcp://...`: values once, `--watch` (a subscription, until Ctrl-C or --duration),
 * or `--history` (raw values between --from and --to). The protocol work (sessions, Read,
 * subscriptions, HistoryRead) is in src/protocols/opcua; this is the command's flow and exit codes.
 */
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, info, out, warn, type IO } from '../core/io.js';
import { interruptible, pkiFor, sessionIO } from '../protocols/opcua/session-io.js';
import { noHistoryWords } from '../protocols/opcua/explain.js';
import { readOperationLimits, UNKNOWN_LIMITS } from '../protocols/opcua/operation-limits.js';
import {
  NODE_UNKNOWN,
  parseReadItems,
  readHistory,
  readValues,
  resolveReadItems,
  watchValues,
  type HistorySummary,
  type ValueReading,
} from '../protocols/opcua/read.js';
import { openSession, type OpcUaSession } from '../protocols/opcua/session.js';
import type { OpcUaReadOptions } from './types.js';
import { opcuaChangeLine, opcuaHistoryTable, opcuaValuesTable } from './render.js';

type Nodes = Array<{ item: string; nodeId: string }>;

export async function readOpcUa(io: IO, o: OpcUaReadOptions): Promise<number> {
  // Malformed node ids are refused before any connection.
  const refs = parseReadItems(o.items);
  const s = await openSession({ connect: o.connect, pki: pkiFor(io), io: sessionIO(io), keepAlive: o.mode === 'watch' });
  try {
    const nodes = await resolveReadItems(s, refs);
    const limits = await readOperationLimits(s.session).catch(() => UNKNOWN_LIMITS);
    if (o.mode === 'watch') return await watch(io, s, o, nodes, limits);
    if (o.mode === 'history') return await history(io, s, o, nodes, limits);
    return await once(io, s, nodes, limits);
  } finally {
    await s.close();
  }
}

function unknownNodes(s: OpcUaSession, bad: Array<{ item: string; status: string }>): number {
  if (bad.length === 0) return ExitCode.Ok;
  const list = bad.map((b) => `${b.item} (${b.status})`).join(', ');
  throw usageError(
    `${s.url}: no such node${bad.length > 1 ? 's' : ''}: ${list}`,
    'check the node ids; `iiot browse` shows the node ids that exist',
  );
}

async function once(io: IO, s: OpcUaSession, nodes: Nodes, limits: typeof UNKNOWN_LIMITS): Promise<number> {
  const readings = await readValues(
    s.session,
    nodes.map((n) => n.nodeId),
    limits,
  ).catch((err: unknown) => Promise.reject(s.explain(err, 'read')));
  if (io.json) {
    emitJson(io, 'iiot.read/1', { endpoint: s.url, mode: 'once', values: readings.map((r, i) => ({ item: nodes[i]!.item, ...r })) });
  } else {
    out(io, opcuaValuesTable(readings, io.style));
  }
  return unknownNodes(
    s,
    readings.flatMap((r, i) => (NODE_UNKNOWN.has(r.status) ? [{ item: nodes[i]!.item, status: r.status }] : [])),
  );
}

async function watch(io: IO, s: OpcUaSession, o: OpcUaReadOptions, nodes: Nodes, limits: typeof UNKNOWN_LIMITS): Promise<number> {
  const bad: Array<{ item: string; status: string }> = [];
  const label = new Map(nodes.map((n) => [n.nodeId, n.item]));
  const width = Math.max(...nodes.map((n) => n.item.length));
  let changes = 0;
  info(
    io,
    `watching ${nodes.length} node${nodes.length === 1 ? '' : 's'} on ${s.url}${o.durationMs !== undefined ? ` for ${o.durationMs / 1000} s` : ''}; Ctrl-C to stop`,
  );
  const lost = new Promise<string>((resolve) => s.onLost(resolve));
  const { value: ended } = await interruptible(async (signal) => {
    const until = () =>
      new Promise<void>((resolve) => {
        if (signal.aborted) resolve();
        signal.addEventListener('abort', () => resolve(), { once: true });
        if (o.durationMs !== undefined) setTimeout(resolve, o.durationMs).unref();
      });
    return watchValues(
      s.session,
      nodes.map((n) => n.nodeId),
      {
        samplingMs: o.intervalMs,
        limits,
        until,
        lost,
        onItemError: (nodeId, status) => {
          bad.push({ item: label.get(nodeId) ?? nodeId, status });
          warn(io, `${label.get(nodeId) ?? nodeId}: ${status}`);
        },
        onChange: (r) => {
          changes++;
          if (io.json) {
            io.stdout.write(
              `${JSON.stringify({ schema: 'iiot.read.change/1', endpoint: s.url, item: label.get(r.nodeId) ?? r.nodeId, ...r })}\n`,
            );
          } else {
            out(io, opcuaChangeLine(r, label.get(r.nodeId) ?? r.nodeId, width, io.style));
          }
        },
      },
    ).catch((err: unknown) => Promise.reject(err instanceof IiotError ? err : s.explain(err, 'subscribe')));
  });
  info(io, `${changes} change${changes === 1 ? '' : 's'}`);
  if (typeof ended === 'object') {
    throw new IiotError(ExitCode.Unreachable, `watch ended: ${ended.lost}`, {
      hint: 'the values printed above are all that arrived; run again when the server is back',
    });
  }
  return unknownNodes(s, bad);
}

async function history(io: IO, s: OpcUaSession, o: OpcUaReadOptions, nodes: Nodes, limits: typeof UNKNOWN_LIMITS): Promise<number> {
  const from = new Date(o.from ?? Date.now() - 3_600_000);
  const to = new Date(o.to ?? Date.now());
  const label = new Map(nodes.map((n) => [n.nodeId, n.item]));
  const collected = new Map<string, ValueReading[]>();
  const rows: Array<{ item: string; r: ValueReading }> = [];
  const { value: summaries, interrupted } = await interruptible((signal) =>
    readHistory(
      s.session,
      nodes.map((n) => n.nodeId),
      {
        from,
        to,
        maxValues: o.maxValues,
        limits,
        signal,
        onValues: (nodeId, values) => {
          if (io.json) {
            const list = collected.get(nodeId) ?? [];
            list.push(...values);
            collected.set(nodeId, list);
          } else for (const r of values) rows.push({ item: label.get(nodeId) ?? nodeId, r });
        },
      },
    ).catch((err: unknown) => Promise.reject(s.explain(err, 'history'))),
  );
  if (io.json) {
    emitJson(io, 'iiot.read/1', {
      endpoint: s.url,
      mode: 'history',
      from: from.toISOString(),
      to: to.toISOString(),
      ...(interrupted ? { complete: false } : {}),
      history: summaries.map((sum: HistorySummary) => ({
        item: label.get(sum.nodeId) ?? sum.nodeId,
        nodeId: sum.nodeId,
        ...(sum.status ? { status: sum.status } : {}),
        ...(sum.truncated ? { truncated: sum.truncated } : {}),
        values: (collected.get(sum.nodeId) ?? []).map(({ nodeId: _n, ...v }) => v),
      })),
    });
  } else if (rows.length > 0) {
    out(io, opcuaHistoryTable(rows));
  }
  for (const sum of summaries) {
    const name = label.get(sum.nodeId) ?? sum.nodeId;
    if (sum.truncated) warn(io, `${name}: ${sum.truncated}`);
    else if (!sum.status)
      info(io, `${name}: ${sum.values} value${sum.values === 1 ? '' : 's'} in ${sum.requests} request${sum.requests === 1 ? '' : 's'}`);
  }
  if (interrupted) return 130;
  const failed = summaries.filter((x) => x.status);
  if (failed.length) {
    const unknown = failed.filter((x) => NODE_UNKNOWN.has(x.status!));
    if (unknown.length)
      return unknownNodes(
        s,
        unknown.map((x) => ({ item: label.get(x.nodeId) ?? x.nodeId, status: x.status! })),
      );
    const f = failed[0]!;
    const names = failed.map((x) => label.get(x.nodeId) ?? x.nodeId).join(', ');
    if (noHistoryWords(f.status!)) {
      throw new IiotError(ExitCode.Usage, `${s.url} keeps no history for ${names} (${f.status})`, {
        hint: 'the node is not historized (its Historizing attribute is false), or the server has no history store: record the value live with `iiot record` instead',
      });
    }
    throw new IiotError(ExitCode.Usage, `${s.url}: no history for ${names} (${f.status})`, {
      hint: 'check the node id and the time range',
    });
  }
  return ExitCode.Ok;
}
