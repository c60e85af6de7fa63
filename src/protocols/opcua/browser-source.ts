/**
 * What the interactive browser (src/browse/interactive) needs from a server, over one live session:
 * children of a node, its attributes, a live value for the selected variable (one subscription,
 * one monitored item that follows the selection), a search below a node, and saving marked
 * variables as a tag list. The UI depends on the BrowserSource interface only.
 */
import { writeFileSafely } from '../../core/output-file.js';
import type { ClientMonitoredItem, ClientSubscription } from 'node-opcua-client';
import { listChildren, pathOf, type ChildRef } from './browse-path.js';
import { readAttributes, type NodeAttributes } from './attributes.js';
import { crawl } from './crawler.js';
import { globToRegExp } from './export.js';
import { loadClient } from './load.js';
import { formatSegment } from './node-ref.js';
import { toReading, type ValueReading } from './read.js';
import type { OpcUaSession } from './session.js';
import { formatTagList, TAG_LIST_FORMAT, tagNameFromPath, type TagListEntry } from './tag-list.js';
import { withNodeIds } from './tag-names.js';

export type { ChildRef, NodeAttributes, ValueReading };

export interface SearchHit {
  /** the chain of nodes from just below `from` down to the match */
  chain: ChildRef[];
}

export interface BrowserSource {
  readonly endpoint: string;
  /** description of the connection for the title line */
  readonly description: string;
  root(): Promise<ChildRef>;
  children(nodeId: string): Promise<ChildRef[]>;
  attributes(nodeId: string): Promise<NodeAttributes>;
  /** live value of one node; returns the function that stops it */
  watch(nodeId: string, onValue: (r: ValueReading) => void): () => void;
  /** nodes below `from` (up to `depth` levels) whose name matches: substring, or a glob with * and ? */
  search(from: string, query: string, depth?: number): Promise<SearchHit[]>;
  /** writes the nodes as a tag list (an existing file only with replace); returns how many tags were written */
  saveTags(file: string, nodes: Array<{ nodeId: string; path: string }>, replace?: boolean): Promise<number>;
  close(): Promise<void>;
}

export function matcherFor(query: string): (name: string) => boolean {
  if (/[*?]/.test(query)) {
    const re = globToRegExp(query);
    return (name) => re.test(name);
  }
  const q = query.toLowerCase();
  return (name) => name.toLowerCase().includes(q);
}

export async function sessionSource(s: OpcUaSession, rootNodeId = 'i=85'): Promise<BrowserSource> {
  const m = await loadClient();
  let subscription: ClientSubscription | undefined;
  let current: ClientMonitoredItem | undefined;
  const ensureSubscription = async () => {
    if (subscription) return subscription;
    const sub = m.ClientSubscription.create(s.session, {
      requestedPublishingInterval: 250,
      requestedLifetimeCount: 600,
      requestedMaxKeepAliveCount: 20,
      maxNotificationsPerPublish: 100,
      publishingEnabled: true,
      priority: 10,
    });
    await new Promise<void>((resolve, reject) => {
      sub.once('started', () => resolve());
      sub.once('internal_error', reject);
    });
    subscription = sub;
    return sub;
  };

  return {
    endpoint: s.url,
    description: `${s.url}  ${s.endpoint.securityMode}/${s.endpoint.securityPolicy}  ${s.identity}`,
    async root() {
      const [a] = await readAttributes(s.session, [rootNodeId]);
      return {
        nodeId: rootNodeId,
        ns: Number(/^(\d+):/.exec(a?.browseName ?? '')?.[1] ?? 0),
        browseName: (a?.browseName ?? rootNodeId).replace(/^\d+:/, ''),
        displayName: a?.displayName ?? rootNodeId,
        nodeClass: (a?.nodeClass as ChildRef['nodeClass'] | undefined) ?? 'Object',
        referenceType: '',
      };
    },
    children: (nodeId) => listChildren(s.session, nodeId),
    async attributes(nodeId) {
      const [a] = await readAttributes(s.session, [nodeId]);
      return a ?? { nodeId };
    },
    watch(nodeId, onValue) {
      let stopped = false;
      void (async () => {
        try {
          const sub = await ensureSubscription();
          if (current) await current.terminate().catch(() => undefined);
          current = undefined;
          if (stopped) return;
          const item = m.ClientMonitoredItem.create(
            sub,
            { nodeId, attributeId: m.AttributeIds.Value },
            { samplingInterval: 250, discardOldest: true, queueSize: 1 },
            m.TimestampsToReturn.Both,
          );
          current = item;
          item.on('changed', (dv) => {
            if (!stopped) onValue(toReading(nodeId, dv));
          });
        } catch {
          // a node without a value (an object) or a lost connection: the panel shows the last read
        }
      })();
      return () => {
        stopped = true;
        const item = current;
        current = undefined;
        if (item) void item.terminate().catch(() => undefined);
      };
    },
    async search(from, query, depth = 6) {
      const match = matcherFor(query);
      const result = await crawl(s.session, { roots: [from], maxDepth: depth, attributes: false, maxNodes: 20_000 });
      const hits: SearchHit[] = [];
      result.nodes.forEach((n, i) => {
        if (i === 0 || !(match(n.displayName) || match(n.browseName))) return;
        const chain: ChildRef[] = [];
        for (let cur: number | undefined = i; cur !== undefined && cur !== 0; cur = result.nodes[cur]!.parent) {
          const c = result.nodes[cur]!;
          chain.unshift({
            nodeId: c.nodeId,
            ns: c.ns,
            browseName: c.browseName,
            displayName: c.displayName,
            nodeClass: c.nodeClass,
            referenceType: c.referenceType ?? '',
            typeDefinition: c.typeDefinition,
          });
        }
        hits.push({ chain });
      });
      return hits;
    },
    async saveTags(file, nodes, replace = false) {
      const attrs = await readAttributes(
        s.session,
        nodes.map((n) => n.nodeId),
      );
      const nsArray = await s.session.read({
        nodeId: m.makeNodeId(m.VariableIds.Server_NamespaceArray, 0),
        attributeId: m.AttributeIds.Value,
      });
      const uris = (nsArray.value.value as string[] | null) ?? [];
      const tags: TagListEntry[] = nodes.map((n, i) => {
        const a = attrs[i]!;
        const ns = Number(/^ns=(\d+);/.exec(n.nodeId)?.[1] ?? 0);
        return {
          name: tagNameFromPath(n.path),
          nodeId: n.nodeId,
          ...(ns > 0 && uris[ns] ? { namespaceUri: uris[ns] } : {}),
          ...(a.dataType !== undefined ? { dataType: a.dataType } : {}),
          ...(a.unit !== undefined ? { unit: a.unit } : {}),
          ...(a.range !== undefined ? { range: a.range } : {}),
          ...(a.description !== undefined ? { description: a.description } : {}),
          path: n.path,
        };
      });
      writeFileSafely(
        file,
        formatTagList({ format: TAG_LIST_FORMAT, endpoint: s.url, created: new Date().toISOString(), tags: withNodeIds(tags) }),
        { force: replace },
      );
      return tags.length;
    },
    async close() {
      if (current) await current.terminate().catch(() => undefined);
      if (subscription) await subscription.terminate().catch(() => undefined);
    },
  };
}

/** The browse path of the root the browser starts from ("/Objects"). */
export async function rootPath(s: OpcUaSession, nodeId: string): Promise<string> {
  if (nodeId === 'i=84') return '/';
  return pathOf(s.session, nodeId).catch(() => `/${formatSegment(0, nodeId)}`);
}
