/**
 * Reading values: once (batched Reads with both timestamps), continuously (a subscription; the
 * server pushes changes), and from history (HistoryRead raw, following continuation points, with a
 * guard for servers that hand back the same one forever). Results are plain objects; rendering is
 * the command's job.
 */
import type { ClientSession, DataValue, HistoryReadResult } from 'node-opcua-client';
import { IiotError } from '../../core/errors.js';
import { resolveNode } from './browse-path.js';
import { nodeIdText } from './crawler.js';
import { loadClient } from './load.js';
import { parseNodeRef, type NodeRef } from './node-ref.js';
import { DEFAULT_CAPS, effective, type OperationLimits } from './operation-limits.js';
import type { OpcUaSession } from './session.js';
import { builtinTypeName, variantToJson, type JsonValue } from './values.js';

/** Statuses that mean the node asked for does not exist (or has no Value): the user's input is wrong. */
export const NODE_UNKNOWN: ReadonlySet<string> = new Set(['BadNodeIdUnknown', 'BadNodeIdInvalid', 'BadAttributeIdInvalid']);

/** Node ids and browse paths as the user typed them, checked before any connection (a usage error each). */
export function parseReadItems(items: readonly string[]): Array<{ item: string; ref: NodeRef }> {
  return items.map((item) => ({ item, ref: parseNodeRef(item, 'node') }));
}

/**
 * The node ids to read. Plain node ids go straight into the Read (an unknown one comes back as a
 * status); browse paths and nsu= ids need the server to become node ids.
 */
export async function resolveReadItems(
  s: OpcUaSession,
  refs: ReadonlyArray<{ item: string; ref: NodeRef }>,
): Promise<Array<{ item: string; nodeId: string }>> {
  const m = await loadClient();
  const nodes: Array<{ item: string; nodeId: string }> = [];
  for (const { item, ref } of refs) {
    if (ref.kind === 'id' && ref.namespaceUri === undefined) nodes.push({ item, nodeId: nodeIdText(m.coerceNodeId(ref.text)) });
    else
      nodes.push({
        item,
        nodeId: (
          await resolveNode(s.session, ref).catch((err: unknown) => Promise.reject(err instanceof IiotError ? err : s.explain(err, 'read')))
        ).nodeId,
      });
  }
  return nodes;
}

export interface ValueReading {
  nodeId: string;
  value: JsonValue;
  /** built-in type of the value ("Double", "Int32"), from the Variant */
  dataType: string;
  /** status name: "Good", "UncertainLastUsableValue", "BadNodeIdUnknown" */
  status: string;
  sourceTimestamp?: string | undefined;
  serverTimestamp?: string | undefined;
}

/**
 * A DataValue as a reading. The value is shown for every status that is not Bad: an Uncertain
 * value (UncertainLastUsableValue, UncertainSensorNotAccurate, ...) is what the server has, and the
 * status beside it says how far to trust it. (node-opcua's isGoodish() is Good only: codes below
 * 0x10000000.) A Bad status has no usable value: null and no type.
 */
export function toReading(nodeId: string, dv: DataValue): ValueReading {
  const usable = !dv.statusCode.isBad();
  return {
    nodeId,
    value: usable ? variantToJson(dv.value) : null,
    dataType: usable ? builtinTypeName(dv.value.dataType) : '',
    status: dv.statusCode.name,
    ...(dv.sourceTimestamp ? { sourceTimestamp: dv.sourceTimestamp.toISOString() } : {}),
    ...(dv.serverTimestamp ? { serverTimestamp: dv.serverTimestamp.toISOString() } : {}),
  };
}

/** Values of many nodes, as few requests as the server's MaxNodesPerRead allows. */
export async function readValues(
  session: ClientSession,
  nodeIds: readonly string[],
  limits?: Partial<OperationLimits>,
): Promise<ValueReading[]> {
  const m = await loadClient();
  let per = effective(limits?.maxNodesPerRead ?? 0, DEFAULT_CAPS.nodesPerRead);
  const out: ValueReading[] = [];
  for (let i = 0; i < nodeIds.length; ) {
    const chunk = nodeIds.slice(i, i + per);
    let dvs: DataValue[];
    try {
      dvs = await session.read(
        chunk.map((nodeId) => ({ nodeId, attributeId: m.AttributeIds.Value })),
        0,
      );
    } catch (err) {
      if (/BadTooManyOperations/.test(String(err)) && per > 1) {
        per = Math.max(1, Math.floor(per / 2));
        continue;
      }
      throw err;
    }
    chunk.forEach((id, k) => out.push(toReading(id, dvs[k]!)));
    i += chunk.length;
  }
  return out;
}

export interface WatchOptions {
  /** sampling interval asked of the server (ms) */
  samplingMs: number;
  onChange: (r: ValueReading) => void;
  /** called once the items are monitored; resolves when the watch should end (duration, Ctrl-C) */
  until: () => Promise<unknown>;
  limits?: Partial<OperationLimits> | undefined;
  /** called if the server refuses an item (BadNodeIdUnknown, ...) */
  onItemError?: ((nodeId: string, status: string) => void) | undefined;
  /** the connection went away: the watch ends with this reason */
  lost?: Promise<string> | undefined;
}

/**
 * Subscribes to the nodes' values and reports every change until `until` resolves. Returns the
 * reason it ended: "done" or the connection-lost reason.
 */
export async function watchValues(
  session: ClientSession,
  nodeIds: readonly string[],
  opts: WatchOptions,
): Promise<'done' | { lost: string }> {
  const m = await loadClient();
  const sub = m.ClientSubscription.create(session, {
    // Changes are sent at least every 250 ms: a short watch still sees the initial values.
    requestedPublishingInterval: Math.max(50, Math.min(opts.samplingMs, 250)),
    requestedLifetimeCount: 600,
    requestedMaxKeepAliveCount: 20,
    maxNotificationsPerPublish: 0,
    publishingEnabled: true,
    priority: 10,
  });
  try {
    await new Promise<void>((resolve, reject) => {
      sub.once('started', () => resolve());
      sub.once('internal_error', (err: Error) => reject(err));
    });
    const per = effective(opts.limits?.maxMonitoredItemsPerCall ?? 0, DEFAULT_CAPS.monitoredItemsPerCall);
    for (let i = 0; i < nodeIds.length; i += per) {
      const chunk = nodeIds.slice(i, i + per);
      const group = await sub.monitorItems(
        chunk.map((nodeId) => ({ nodeId, attributeId: m.AttributeIds.Value })),
        { samplingInterval: opts.samplingMs, discardOldest: true, queueSize: 10 },
        m.TimestampsToReturn.Both,
      );
      group.on('changed', (_item, dv, index) => {
        const id = chunk[index];
        if (id !== undefined) opts.onChange(toReading(id, dv));
      });
      group.monitoredItems.forEach((item, k) => {
        const status = item.statusCode;
        if (status && !status.isGood()) opts.onItemError?.(chunk[k]!, status.name);
      });
    }
    const ended = await Promise.race([
      opts.until().then(() => 'done' as const),
      ...(opts.lost ? [opts.lost.then((reason) => ({ lost: reason }))] : []),
    ]);
    return ended;
  } finally {
    await sub.terminate().catch(() => undefined);
  }
}

export interface HistoryOptions {
  from: Date;
  to: Date;
  /** values per node per request (the server may return fewer, with a continuation point) */
  valuesPerRequest?: number | undefined;
  /** stop after this many values per node */
  maxValues?: number | undefined;
  limits?: Partial<OperationLimits> | undefined;
  onValues: (nodeId: string, values: ValueReading[]) => void;
  signal?: AbortSignal | undefined;
}

export interface HistorySummary {
  nodeId: string;
  values: number;
  requests: number;
  /** status of the node's history read when not Good ("BadHistoryOperationUnsupported") */
  status?: string | undefined;
  /** stopped by --max-values, or because the server kept returning the same continuation point */
  truncated?: string | undefined;
}

/**
 * Raw history of each node between `from` and `to`, following continuation points; several nodes
 * per request (MaxNodesPerHistoryReadData). A continuation point returned twice with no values in
 * between is a server that makes no progress: that node stops, the point is released, and the
 * summary says why.
 */
export async function readHistory(session: ClientSession, nodeIds: readonly string[], opts: HistoryOptions): Promise<HistorySummary[]> {
  const m = await loadClient();
  const per = effective(opts.limits?.maxNodesPerHistoryReadData ?? 0, DEFAULT_CAPS.nodesPerHistoryRead);
  const numValues = opts.valuesPerRequest ?? 1000;
  const summaries = new Map<string, HistorySummary>(nodeIds.map((id) => [id, { nodeId: id, values: 0, requests: 0 }]));
  const details = () =>
    new m.ReadRawModifiedDetails({
      isReadModified: false,
      startTime: opts.from,
      endTime: opts.to,
      numValuesPerNode: numValues,
      returnBounds: false,
    });

  for (let i = 0; i < nodeIds.length; i += per) {
    // Each node of the batch carries its own continuation point; the batch shrinks as nodes finish.
    let active = nodeIds.slice(i, i + per).map((nodeId) => ({ nodeId, cp: null as Buffer | null, emptyRepeats: 0 }));
    while (active.length > 0) {
      if (opts.signal?.aborted) {
        await release(m, session, active);
        return [...summaries.values()];
      }
      const response = await session.historyRead(
        new m.HistoryReadRequest({
          historyReadDetails: details(),
          timestampsToReturn: m.TimestampsToReturn.Both,
          releaseContinuationPoints: false,
          nodesToRead: active.map((a) => ({ nodeId: a.nodeId, ...(a.cp ? { continuationPoint: a.cp } : {}) })),
        }),
      );
      const results: HistoryReadResult[] = response.results ?? [];
      const next: typeof active = [];
      active.forEach((a, k) => {
        const s = summaries.get(a.nodeId)!;
        s.requests++;
        const r = results[k];
        if (!r || !r.statusCode.isGood()) {
          const name = r?.statusCode.name ?? 'BadUnexpectedError';
          // GoodNoData and friends are "nothing in the range", not an error.
          if (!name.startsWith('Good')) s.status = name;
          return;
        }
        const data = (r.historyData as { dataValues?: DataValue[] | null } | null)?.dataValues ?? [];
        let values = data.map((dv) => toReading(a.nodeId, dv));
        if (opts.maxValues !== undefined && s.values + values.length > opts.maxValues) {
          values = values.slice(0, opts.maxValues - s.values);
          s.truncated = `stopped at --max-values ${opts.maxValues}`;
        }
        if (values.length) opts.onValues(a.nodeId, values);
        s.values += values.length;
        const cp = r.continuationPoint && r.continuationPoint.length > 0 ? Buffer.from(r.continuationPoint) : null;
        if (!cp) return;
        if (s.truncated) {
          next.push({ ...a, cp, emptyRepeats: -1 }); // released below
          return;
        }
        const repeat = data.length === 0 && a.cp !== null && cp.equals(a.cp) ? a.emptyRepeats + 1 : 0;
        if (repeat >= 2) {
          s.truncated = 'the server returned the same continuation point without values; stopped';
          next.push({ ...a, cp, emptyRepeats: -1 });
          return;
        }
        next.push({ nodeId: a.nodeId, cp, emptyRepeats: repeat });
      });
      const toRelease = next.filter((a) => a.emptyRepeats < 0);
      if (toRelease.length) await release(m, session, toRelease);
      active = next.filter((a) => a.emptyRepeats >= 0);
    }
  }
  return [...summaries.values()];
}

async function release(
  m: Awaited<ReturnType<typeof loadClient>>,
  session: ClientSession,
  items: Array<{ nodeId: string; cp: Buffer | null }>,
): Promise<void> {
  const withCp = items.filter((a) => a.cp);
  if (withCp.length === 0) return;
  await session
    .historyRead(
      new m.HistoryReadRequest({
        historyReadDetails: new m.ReadRawModifiedDetails({ isReadModified: false, numValuesPerNode: 1 }),
        timestampsToReturn: m.TimestampsToReturn.Neither,
        releaseContinuationPoints: true,
        nodesToRead: withCp.map((a) => ({ nodeId: a.nodeId, continuationPoint: a.cp! })),
      }),
    )
    .catch(() => undefined);
}
