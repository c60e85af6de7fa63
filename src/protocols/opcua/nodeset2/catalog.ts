/**
 * The companion specifications node-opcua ships (node-opcua-nodesets): namespace URI -> the
 * NodeSet2 file and the URIs it needs first. A twin loads its required models from here by URI;
 * an export treats these URIs as standard content, not the server's own. Loaded lazily.
 */
export interface ShippedNodeset {
  uri: string;
  file: string;
  /** URIs of the nodesets it needs loaded first */
  requires: string[];
}

let cache: Promise<Map<string, ShippedNodeset>> | undefined;

export function shippedNodesets(): Promise<Map<string, ShippedNodeset>> {
  cache ??= (async () => {
    const m = await import('node-opcua-nodesets');
    const byName = new Map(m.nodesetCatalog.map((c) => [c.name, c]));
    const out = new Map<string, ShippedNodeset>();
    for (const c of m.nodesetCatalog) {
      out.set(c.uri, {
        uri: c.uri,
        file: (m.nodesets as Record<string, string>)[c.name]!,
        requires: c.dependencies.map((d) => byName.get(d)?.uri).filter((u): u is string => u !== undefined),
      });
    }
    return out;
  })();
  return cache;
}
