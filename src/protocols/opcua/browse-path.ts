/**
 * One node at a time: its children (following continuation points to the end), its browse path
 * from the root, and turning what the user typed (node id, nsu= id, browse path) into a node id
 * the server knows. The interactive browser expands nodes with `listChildren`; the commands
 * resolve their arguments with `resolveNode`.
 */
import type { ClientSession, ReferenceDescription } from 'node-opcua-client';
import { usageError } from '../../core/errors.js';
import { NODE_CLASS_BY_VALUE, nodeIdText, type NodeClassName } from './crawler.js';
import { loadClient } from './load.js';
import { formatSegment, parseNodeRef, type NodeRef, type PathSegment } from './node-ref.js';

export interface ChildRef {
  nodeId: string;
  ns: number;
  browseName: string;
  displayName: string;
  nodeClass: NodeClassName;
  referenceType: string;
  typeDefinition?: string | undefined;
}

/** Hierarchical references of one node, forward (children) or inverse (parents), all of them. */
export async function listReferences(
  session: ClientSession,
  nodeId: string,
  direction: 'forward' | 'inverse' = 'forward',
  maxPages = 10_000,
): Promise<ChildRef[]> {
  const m = await loadClient();
  const refNames = new Map<string, string>();
  for (const [name, id] of Object.entries(m.ReferenceTypeIds)) if (typeof id === 'number') refNames.set(`i=${id}`, name);
  const first = await session.browse({
    nodeId,
    browseDirection: direction === 'forward' ? m.BrowseDirection.Forward : m.BrowseDirection.Inverse,
    referenceTypeId: m.ReferenceTypeIds.HierarchicalReferences,
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 0x3f,
  });
  if (!first.statusCode.isGood()) throw Object.assign(new Error(`${nodeId}: ${first.statusCode.name}`), { status: first.statusCode.name });
  const refs: ReferenceDescription[] = [...(first.references ?? [])];
  let cp = first.continuationPoint;
  let pages = 0;
  try {
    while (cp && cp.length > 0) {
      if (++pages > maxPages) throw new Error(`${nodeId}: the server kept returning continuation points (NoProgress)`);
      const next = await session.browseNext(cp, false);
      if (!next.statusCode.isGood()) throw Object.assign(new Error(`${nodeId}: ${next.statusCode.name}`), { status: next.statusCode.name });
      const got = next.references ?? [];
      // Same point back with nothing in it: the server makes no progress; stop rather than loop.
      if (got.length === 0 && next.continuationPoint && next.continuationPoint.equals(cp))
        throw new Error(`${nodeId}: the server returned the same continuation point without references (NoProgress)`);
      refs.push(...got);
      cp = next.continuationPoint;
    }
  } catch (err) {
    if (cp && cp.length > 0) await session.browseNext(cp, true).catch(() => undefined);
    throw err;
  }
  return refs
    .filter((r) => !r.nodeId.serverIndex)
    .map((r) => ({
      nodeId: nodeIdText(new m.NodeId(r.nodeId.identifierType, r.nodeId.value, r.nodeId.namespace)),
      ns: r.browseName.namespaceIndex,
      browseName: r.browseName.name ?? '',
      displayName: r.displayName.text ?? r.browseName.name ?? '',
      nodeClass: NODE_CLASS_BY_VALUE[r.nodeClass] ?? 'Unspecified',
      referenceType: refNames.get(nodeIdText(r.referenceTypeId)) ?? nodeIdText(r.referenceTypeId),
      typeDefinition: r.typeDefinition && !r.typeDefinition.isEmpty() ? nodeIdText(r.typeDefinition) : undefined,
    }));
}

export function listChildren(session: ClientSession, nodeId: string): Promise<ChildRef[]> {
  return listReferences(session, nodeId, 'forward');
}

/** "/Objects/2:Plant/2:Pump1": the first parent at each step, up to the root. */
export async function pathOf(session: ClientSession, nodeId: string): Promise<string> {
  const m = await loadClient();
  const parts: string[] = [];
  let cur = nodeIdText(m.coerceNodeId(nodeId));
  const seen = new Set<string>();
  for (let depth = 0; depth < 64 && cur !== 'i=84'; depth++) {
    if (seen.has(cur)) break;
    seen.add(cur);
    const dv = await session.read({ nodeId: cur, attributeId: m.AttributeIds.BrowseName });
    const qn = dv.value.value as { namespaceIndex: number; name: string } | null;
    if (!dv.statusCode.isGood() || !qn) break;
    parts.push(formatSegment(qn.namespaceIndex, qn.name));
    const parents = await listReferences(session, cur, 'inverse', 1);
    if (parents.length === 0) return `${parts.reverse().join('/')}`; // not below the root
    cur = parents[0]!.nodeId;
  }
  return `/${parts.reverse().join('/')}`;
}

function segmentMatches(seg: PathSegment, c: ChildRef): boolean {
  return (seg.ns === undefined || seg.ns === c.ns) && c.browseName === seg.name;
}

/** The node a user meant: checked to exist on the server. */
export async function resolveNode(
  session: ClientSession,
  input: string | NodeRef,
  what = 'node',
): Promise<{ nodeId: string; ref: NodeRef }> {
  const m = await loadClient();
  const ref = typeof input === 'string' ? parseNodeRef(input, what) : input;
  if (ref.kind === 'id') {
    let text = ref.text;
    if (ref.namespaceUri !== undefined) {
      const dv = await session.read({ nodeId: m.makeNodeId(m.VariableIds.Server_NamespaceArray, 0), attributeId: m.AttributeIds.Value });
      const uris = (dv.value.value as string[] | null) ?? [];
      const ns = uris.indexOf(ref.namespaceUri);
      if (ns < 0) throw usageError(`${what}: the server has no namespace "${ref.namespaceUri}"`, `its namespaces: ${uris.join(', ')}`);
      text = `ns=${ns};${ref.text}`;
    }
    const nodeId = nodeIdText(m.coerceNodeId(text));
    const dv = await session.read({ nodeId, attributeId: m.AttributeIds.NodeClass });
    if (!dv.statusCode.isGood()) {
      throw usageError(
        `${what}: no node ${typeof input === 'string' ? input.trim() : ref.text} on the server (${dv.statusCode.name})`,
        'check the node id; `iiot browse <endpoint>` shows the node ids that exist',
      );
    }
    return { nodeId, ref };
  }
  let cur = 'i=84';
  let walked = '';
  for (const seg of ref.segments) {
    const children = await listChildren(session, cur);
    let matches = children.filter((c) => segmentMatches(seg, c));
    // Forgiving on case when it is unambiguous: "/objects/plant" works.
    if (matches.length === 0)
      matches = children.filter((c) => (seg.ns === undefined || seg.ns === c.ns) && c.browseName.toLowerCase() === seg.name.toLowerCase());
    const unique = [...new Map(matches.map((c) => [c.nodeId, c])).values()];
    if (unique.length === 0) {
      const names = children
        .slice(0, 12)
        .map((c) => formatSegment(c.ns, c.browseName))
        .join(', ');
      throw usageError(
        `${what}: no "${seg.ns !== undefined ? `${seg.ns}:` : ''}${seg.name}" under ${walked || '/'} in ${ref.text}`,
        children.length ? `there: ${names}${children.length > 12 ? ', ...' : ''}` : 'that node has no children',
      );
    }
    if (unique.length > 1) {
      throw usageError(
        `${what}: "${seg.name}" under ${walked || '/'} is ambiguous (${unique.map((c) => formatSegment(c.ns, c.browseName)).join(', ')})`,
        'add the namespace index: /Objects/2:Plant',
      );
    }
    cur = unique[0]!.nodeId;
    walked += `/${formatSegment(unique[0]!.ns, unique[0]!.browseName)}`;
  }
  return { nodeId: cur, ref };
}
