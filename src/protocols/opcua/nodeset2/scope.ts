/**
 * Which namespaces of a server a NodeSet2 export copies, and which it names as required models.
 * Namespace 0 and the companion specifications (the OPC Foundation's, under
 * http://opcfoundation.org/UA/, and any whose nodeset node-opcua ships) are standard content any
 * server can load: they are referenced by URI, version and publication date. Every other
 * namespace is the server's own and is copied, except the server's runtime state below
 * Server/ServerDiagnostics (sessions, subscriptions), which any server makes for itself.
 * No node-opcua import: the shipped URIs come in as a set.
 */
import type { CrawledNode, DetailLevel } from '../crawler.js';
import { nsIndexOf } from '../export.js';

export const UA_NAMESPACE = 'http://opcfoundation.org/UA/';
const SERVER_DIAGNOSTICS = 'i=2274';

export function isCompanionUri(uri: string, shipped: ReadonlySet<string>): boolean {
  return uri === UA_NAMESPACE || uri.startsWith(UA_NAMESPACE) || shipped.has(uri) || shipped.has(uri.replace(/\/?$/, '/'));
}

export interface NamespaceSplit {
  /** indexes of the server's own namespaces (copied) */
  own: Set<number>;
  /** indexes of companion specifications and 0 (required models) */
  companions: number[];
}

export function splitNamespaces(
  namespaceArray: readonly string[],
  shipped: ReadonlySet<string>,
  copy: ReadonlySet<string> = new Set(),
): NamespaceSplit {
  const own = new Set<number>();
  const companions: number[] = [];
  namespaceArray.forEach((uri, i) => {
    if (i === 0) companions.push(0);
    else if (!copy.has(uri) && isCompanionUri(uri, shipped)) companions.push(i);
    else own.add(i);
  });
  return { own, companions };
}

/** The crawl's `detail` predicate: own-namespace nodes, not the server's runtime diagnostics. */
export function exportPredicate(
  own: ReadonlySet<number>,
  values: boolean,
): (node: CrawledNode, nodes: readonly CrawledNode[]) => DetailLevel | undefined {
  return (node, nodes) => {
    if (!own.has(nsIndexOf(node.nodeId))) return undefined;
    for (let p = node.parent; p !== undefined; p = nodes[p]!.parent) if (nodes[p]!.nodeId === SERVER_DIAGNOSTICS) return undefined;
    return values ? 'value' : 'node';
  };
}
