/**
 * What a twin loads, in which order: namespace 0, then the companion nodesets node-opcua ships
 * for every model the file requires (and what those require in turn), and the file itself, in
 * the order of the exported server's NamespaceArray, so the twin serves the same namespace
 * indexes (node-opcua numbers namespaces in the order of the files it is given). A required
 * model node-opcua does not ship is a usage error naming it. Pure: headers and the catalog come in.
 */
import { usageError } from '../../../core/errors.js';
import type { ShippedNodeset } from './catalog.js';
import type { NodeSetHeader } from './header.js';
import { UA_NAMESPACE, isCompanionUri } from './scope.js';

export interface TwinPlan {
  /** NodeSet2 files for node-opcua's server, in order */
  files: string[];
  /** the server's application URI, which is its namespace 1 */
  applicationUri: string;
  /** the exported server's NamespaceArray (empty when the file does not say) */
  original: string[];
  /** URIs of the models the file defines */
  own: string[];
}

const norm = (uri: string) => uri.replace(/\/?$/, '/');

export function planTwin(
  file: string,
  header: NodeSetHeader,
  shipped: ReadonlyMap<string, ShippedNodeset>,
  headerOf: (file: string) => NodeSetHeader,
  host: string,
): TwinPlan {
  const byUri = new Map<string, ShippedNodeset>();
  for (const [uri, s] of shipped) {
    byUri.set(uri, s);
    byUri.set(norm(uri), s);
  }
  const own = header.models.map((m) => m.uri);
  if (own.length === 0)
    throw usageError(
      `${file}: the NodeSet defines no model (no <Models> entry)`,
      'give a NodeSet2 file made by `iiot browse --all --nodeset2` or a modelling tool',
    );
  // Required models, and what the shipped nodesets for them require in turn.
  const needed: ShippedNodeset[] = [];
  const seen = new Set<string>([UA_NAMESPACE, ...own]);
  const visit = (uri: string, by: string, version?: string) => {
    if (seen.has(uri) || seen.has(norm(uri))) return;
    seen.add(uri);
    const s = byUri.get(uri) ?? byUri.get(norm(uri));
    if (!s) {
      throw usageError(
        `${file}: requires the model ${uri}${version ? ` ${version}` : ''} (by ${by}), and node-opcua ships no nodeset for it`,
        `the twin loads only companion specifications node-opcua ships; export again with --copy-namespace ${uri} to copy that namespace into the file`,
      );
    }
    for (const r of headerOf(s.file).models.flatMap((m) => m.required)) visit(r.uri, uri, r.version);
    needed.push(s);
  };
  for (const m of header.models) for (const r of m.required) visit(r.uri, m.uri, r.version);

  const original = header.export?.serverNamespaces ?? [];
  const order = original.length > 0 ? original : [UA_NAMESPACE, ...header.namespaceUris];
  const position = (uri: string) => {
    const i = order.findIndex((u) => u === uri || norm(u) === norm(uri));
    return i < 0 ? Number.MAX_SAFE_INTEGER : i;
  };
  const ns1 = original[1];
  const applicationUri = ns1 !== undefined && !isCompanionUri(ns1, new Set(shipped.keys())) ? ns1 : `urn:iiot:twin:${host}`;
  // The file's models are numbered when its turn comes, except the one that is namespace 1.
  const ownAfter1 = own.filter((u) => u !== applicationUri);
  const items = [
    ...needed.filter((s) => s.uri !== UA_NAMESPACE).map((s) => ({ file: s.file, at: position(s.uri) })),
    { file, at: ownAfter1.length > 0 ? Math.min(...ownAfter1.map(position)) : Number.MAX_SAFE_INTEGER },
  ].sort((a, b) => a.at - b.at);
  const standard = byUri.get(UA_NAMESPACE)!;
  return { files: [standard.file, ...items.map((x) => x.file)], applicationUri, original, own };
}
