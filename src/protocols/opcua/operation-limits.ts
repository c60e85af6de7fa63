/**
 * The server's operation limits (OPC UA Part 5, ServerCapabilities and OperationLimits), read in
 * one request. A missing or zero limit means "not stated", not "unlimited in practice": iiot then
 * caps its own batches, and halves them if the server answers BadTooManyOperations anyway.
 */
import type { ClientSession, DataValue } from 'node-opcua-client';
import { loadClient } from './load.js';

export interface OperationLimits {
  maxNodesPerBrowse: number;
  maxNodesPerRead: number;
  maxBrowseContinuationPoints: number;
  maxNodesPerHistoryReadData: number;
  maxHistoryContinuationPoints: number;
  maxMonitoredItemsPerCall: number;
  maxNodesPerTranslateBrowsePathsToNodeIds: number;
}

/** What iiot sends when the server states no limit: large enough to be fast, small enough for any message size. */
export const DEFAULT_CAPS = {
  nodesPerBrowse: 500,
  nodesPerRead: 1000,
  browseContinuationPoints: 10,
  nodesPerHistoryRead: 100,
  monitoredItemsPerCall: 500,
} as const;

export const UNKNOWN_LIMITS: OperationLimits = {
  maxNodesPerBrowse: 0,
  maxNodesPerRead: 0,
  maxBrowseContinuationPoints: 0,
  maxNodesPerHistoryReadData: 0,
  maxHistoryContinuationPoints: 0,
  maxMonitoredItemsPerCall: 0,
  maxNodesPerTranslateBrowsePathsToNodeIds: 0,
};

/** Reads every limit in one Read; a limit the server does not expose reads as 0 (unknown). */
export async function readOperationLimits(session: ClientSession): Promise<OperationLimits> {
  const m = await loadClient();
  const V = m.VariableIds;
  const keys: Array<[keyof OperationLimits, number]> = [
    ['maxNodesPerBrowse', V.Server_ServerCapabilities_OperationLimits_MaxNodesPerBrowse],
    ['maxNodesPerRead', V.Server_ServerCapabilities_OperationLimits_MaxNodesPerRead],
    ['maxBrowseContinuationPoints', V.Server_ServerCapabilities_MaxBrowseContinuationPoints],
    ['maxNodesPerHistoryReadData', V.Server_ServerCapabilities_OperationLimits_MaxNodesPerHistoryReadData],
    ['maxHistoryContinuationPoints', V.Server_ServerCapabilities_MaxHistoryContinuationPoints],
    ['maxMonitoredItemsPerCall', V.Server_ServerCapabilities_OperationLimits_MaxMonitoredItemsPerCall],
    ['maxNodesPerTranslateBrowsePathsToNodeIds', V.Server_ServerCapabilities_OperationLimits_MaxNodesPerTranslateBrowsePathsToNodeIds],
  ];
  const items = keys.map(([, id]) => ({ nodeId: m.makeNodeId(id, 0), attributeId: m.AttributeIds.Value }));
  let values: Array<DataValue | undefined>;
  try {
    values = await session.read(items);
  } catch (err) {
    // A server whose MaxNodesPerRead is below 7 refuses the batch (BadTooManyOperations): ask one at a time.
    if (!/BadTooManyOperations/.test(String(err))) throw err;
    values = [];
    for (const item of items) values.push(await session.read(item).catch(() => undefined));
  }
  const out: OperationLimits = { ...UNKNOWN_LIMITS };
  keys.forEach(([key], i) => {
    const dv = values[i];
    const v: unknown = dv && dv.statusCode.isGood() ? dv.value.value : 0;
    out[key] = typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
  });
  return out;
}

/** A stated limit, or our cap when the server states none (0). */
export function effective(limit: number, cap: number): number {
  return limit > 0 ? limit : cap;
}
