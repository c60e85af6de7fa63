/**
 * The attributes an engineer checks on a node: data type, value, access, unit and range,
 * description, sampling interval, historizing. For many nodes in two requests per batch (one
 * Browse for the EngineeringUnits/EURange properties, one Read for everything), within the
 * server's limits.
 */
import type { ClientSession } from 'node-opcua-client';
import { accessString, NODE_CLASS_BY_VALUE, nodeIdText } from './crawler.js';
import { loadClient } from './load.js';
import { DEFAULT_CAPS, effective, type OperationLimits } from './operation-limits.js';
import { toJson, variantToJson, builtinTypeName, type JsonValue } from './values.js';

export interface NodeAttributes {
  nodeId: string;
  nodeClass?: string | undefined;
  browseName?: string | undefined;
  displayName?: string | undefined;
  description?: string | undefined;
  dataType?: string | undefined;
  /** built-in type of the value actually read ("Double"), which may differ from a subtype DataType */
  valueType?: string | undefined;
  value?: JsonValue | undefined;
  status?: string | undefined;
  sourceTimestamp?: string | undefined;
  serverTimestamp?: string | undefined;
  valueRank?: number | undefined;
  accessLevel?: string | undefined;
  userAccessLevel?: string | undefined;
  minimumSamplingInterval?: number | undefined;
  historizing?: boolean | undefined;
  unit?: string | undefined;
  range?: [number, number] | undefined;
}

export async function readAttributes(
  session: ClientSession,
  nodeIds: readonly string[],
  limits?: Partial<OperationLimits>,
): Promise<NodeAttributes[]> {
  const m = await loadClient();
  const A = m.AttributeIds;
  const perBrowse = effective(limits?.maxNodesPerBrowse ?? 0, DEFAULT_CAPS.nodesPerBrowse);
  const perRead = effective(limits?.maxNodesPerRead ?? 0, DEFAULT_CAPS.nodesPerRead);

  // 1. Properties that carry unit and range.
  const props = new Map<string, { eu?: string; range?: string }>();
  for (let i = 0; i < nodeIds.length; i += perBrowse) {
    const chunk = nodeIds.slice(i, i + perBrowse);
    const results = await session.browse(
      chunk.map((nodeId) => ({
        nodeId,
        browseDirection: m.BrowseDirection.Forward,
        referenceTypeId: m.ReferenceTypeIds.HasProperty,
        includeSubtypes: true,
        nodeClassMask: 2,
        resultMask: 0x3f,
      })),
    );
    chunk.forEach((id, k) => {
      const r = results[k];
      if (r?.continuationPoint && r.continuationPoint.length > 0) void session.browseNext(r.continuationPoint, true).catch(() => undefined);
      for (const ref of r?.references ?? []) {
        const name = ref.browseName.name;
        if (ref.browseName.namespaceIndex !== 0 || (name !== 'EngineeringUnits' && name !== 'EURange')) continue;
        const entry = props.get(id) ?? {};
        const pid = nodeIdText(new m.NodeId(ref.nodeId.identifierType, ref.nodeId.value, ref.nodeId.namespace));
        if (name === 'EngineeringUnits') entry.eu = pid;
        else entry.range = pid;
        props.set(id, entry);
      }
    });
  }

  // 2. One Read for everything.
  const attrs = [
    A.NodeClass,
    A.BrowseName,
    A.DisplayName,
    A.Description,
    A.DataType,
    A.Value,
    A.ValueRank,
    A.AccessLevel,
    A.UserAccessLevel,
    A.MinimumSamplingInterval,
    A.Historizing,
  ];
  const items: Array<{ node: number; attr: number | 'eu' | 'range'; nodeId: string; attributeId: number }> = [];
  nodeIds.forEach((nodeId, node) => {
    for (const a of attrs) items.push({ node, attr: a, nodeId, attributeId: a });
    const p = props.get(nodeId);
    if (p?.eu) items.push({ node, attr: 'eu', nodeId: p.eu, attributeId: A.Value });
    if (p?.range) items.push({ node, attr: 'range', nodeId: p.range, attributeId: A.Value });
  });
  const out: NodeAttributes[] = nodeIds.map((nodeId) => ({ nodeId }));
  const dataTypeIds = new Map<number, string>();
  for (let i = 0; i < items.length; i += perRead) {
    const chunk = items.slice(i, i + perRead);
    const dvs = await session.read(
      chunk.map((it) => ({ nodeId: it.nodeId, attributeId: it.attributeId })),
      0,
    );
    chunk.forEach((it, k) => {
      const dv = dvs[k];
      if (!dv) return;
      const o = out[it.node]!;
      if (it.attr === A.Value) {
        o.status = dv.statusCode.name;
        // an Uncertain value is shown with its status, as `iiot read` does; a Bad one is not
        if (!dv.statusCode.isBad()) {
          o.value = variantToJson(dv.value);
          o.valueType = builtinTypeName(dv.value.dataType);
        }
        if (dv.sourceTimestamp) o.sourceTimestamp = dv.sourceTimestamp.toISOString();
        if (dv.serverTimestamp) o.serverTimestamp = dv.serverTimestamp.toISOString();
        return;
      }
      if (!dv.statusCode.isGood()) return;
      const v: unknown = dv.value.value;
      switch (it.attr) {
        case A.NodeClass:
          o.nodeClass = NODE_CLASS_BY_VALUE[v as number];
          break;
        case A.BrowseName:
          o.browseName = toJson(v) as string;
          break;
        case A.DisplayName:
          o.displayName = (v as { text?: string } | null)?.text ?? undefined;
          break;
        case A.Description: {
          const text = (v as { text?: string } | null)?.text;
          if (text) o.description = text;
          break;
        }
        case A.DataType:
          dataTypeIds.set(it.node, nodeIdText(v as { toString(): string }));
          break;
        case A.ValueRank:
          o.valueRank = v as number;
          break;
        case A.AccessLevel:
          o.accessLevel = accessString(v as number);
          break;
        case A.UserAccessLevel:
          o.userAccessLevel = accessString(v as number);
          break;
        case A.MinimumSamplingInterval:
          o.minimumSamplingInterval = v as number;
          break;
        case A.Historizing:
          o.historizing = v as boolean;
          break;
        case 'eu': {
          const eu = v as { displayName?: { text?: string | null }; description?: { text?: string | null } } | null;
          const unit = eu?.displayName?.text || eu?.description?.text;
          if (unit) o.unit = unit;
          break;
        }
        case 'range': {
          const r = v as { low?: number; high?: number } | null;
          if (r && typeof r.low === 'number' && typeof r.high === 'number') o.range = [r.low, r.high];
          break;
        }
      }
    });
  }

  // 3. Data type names.
  const ns0 = new Map<string, string>();
  for (const [name, id] of Object.entries(m.DataTypeIds)) if (typeof id === 'number') ns0.set(`i=${id}`, name);
  const unknown = [...new Set([...dataTypeIds.values()].filter((id) => !ns0.has(id)))];
  const names = new Map<string, string>();
  for (let i = 0; i < unknown.length; i += perRead) {
    const chunk = unknown.slice(i, i + perRead);
    const dvs = await session.read(chunk.map((nodeId) => ({ nodeId, attributeId: A.BrowseName })));
    chunk.forEach((id, k) => {
      const qn = dvs[k]?.value.value as { name?: string } | null;
      if (qn?.name) names.set(id, qn.name);
    });
  }
  for (const [node, id] of dataTypeIds) out[node]!.dataType = ns0.get(id) ?? names.get(id) ?? id;
  return out;
}
