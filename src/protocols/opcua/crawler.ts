/**
 * The batched address-space crawler. It follows forward hierarchical references (Organizes,
 * HasComponent, HasProperty, ... and their subtypes) from one or more roots, level by level, and
 * reads the attributes an export needs. What makes it fast and exact:
 *   - many nodes per Browse and per Read request, up to the server's stated limits (0 = not
 *     stated: capped), halving a batch the server refuses with BadTooManyOperations;
 *   - continuation points followed with BrowseNext, batched, and released when the crawl stops
 *     early; never more held than the server allows (MaxBrowseContinuationPoints): a node refused
 *     with BadNoContinuationPoints is browsed again once continuation points are free;
 *   - a continuation point the server forgot (BadContinuationPointInvalid) restarts that node;
 *     a server that keeps answering without progress is given up on, and the crawl says so;
 *   - a bounded number of requests in flight; reads of attributes fill the gaps between levels;
 *   - each node is visited once (reference cycles and nodes with several parents are normal);
 *     its first parent in breadth-first order, by position not by arrival, is its tree parent,
 *     so the same server always gives the same tree;
 *   - if the connection drops, what was crawled is kept and the result says it is partial.
 * node-opcua's browse does none of this by itself: it sends what it is given and returns
 * continuation points untouched.
 * An export that needs more than the tree (a NodeSet2 file) names the nodes it wants in full
 * (`detail`): those are browsed a second time for every reference in both directions, and every
 * attribute of their node class is read, in the same batches and under the same limits.
 */
import type { BrowseResult, ClientSession, DataValue, ReferenceDescription } from 'node-opcua-client';
import { usageError } from '../../core/errors.js';
import { statusNameIn } from './explain.js';
import { loadClient, type ClientModule } from './load.js';
import { formatSegment } from './node-ref.js';
import { DEFAULT_CAPS, readOperationLimits, type OperationLimits } from './operation-limits.js';

import type { NodeClassName } from './flags.js';

export type { NodeClassName };

/** NodeClass names by their value (OPC 10000-3, 8.29). */
export const NODE_CLASS_BY_VALUE: Record<number, NodeClassName> = {
  1: 'Object',
  2: 'Variable',
  4: 'Method',
  8: 'ObjectType',
  16: 'VariableType',
  32: 'ReferenceType',
  64: 'DataType',
  128: 'View',
};

export interface CrawledNode {
  nodeId: string;
  /** namespace index of the browse name */
  ns: number;
  browseName: string;
  displayName: string;
  nodeClass: NodeClassName;
  typeDefinition?: string | undefined;
  /** index of the tree parent (first parent found, breadth first); undefined for roots */
  parent?: number | undefined;
  /** the reference type from the tree parent ("HasComponent", "Organizes", ...) */
  referenceType?: string | undefined;
  depth: number;
  /** tree children, in the order the server returned them */
  children: number[];
  /** other nodes referencing this one hierarchically (not part of the tree) */
  otherParents?: number[] | undefined;
  /** the node's children were listed (false: beyond --depth, or the crawl stopped first) */
  browsed: boolean;
  /** a status other than Good for this node's browse */
  browseStatus?: string | undefined;
  // Variables (filled by the attribute reads):
  dataTypeId?: string | undefined;
  dataType?: string | undefined;
  valueRank?: number | undefined;
  accessLevel?: number | undefined;
  userAccessLevel?: number | undefined;
  /** engineering unit (EngineeringUnits property, EUInformation display name) */
  unit?: string | undefined;
  /** EURange property */
  range?: [number, number] | undefined;
  /** everything about the node, for the nodes the crawl was asked to read in full (`detail`) */
  details?: NodeDetails | undefined;
}

/** One reference of a node read in full: its type, direction and the node at the other end. */
export interface CrawledReference {
  /** reference type node id ("i=47") */
  type: string;
  forward: boolean;
  /** the node at the other end ("ns=2;s=Pump1"; a node of another server keeps its expanded form) */
  target: string;
}

export interface NodeDetails {
  /** every reference, both directions, every reference type, in the server's order */
  references: CrawledReference[];
  /** attribute id -> value as node-opcua decoded it (the Value attribute keeps its Variant) */
  attributes: Record<number, unknown>;
  /** a status other than Good for the reference browse */
  referencesStatus?: string | undefined;
}

/** What of a node to read in full: its attributes and references, and its Value too ('value'). */
export type DetailLevel = 'node' | 'value';

export interface CrawlStats {
  browseRequests: number;
  browseNextRequests: number;
  readRequests: number;
  /** every request of the crawl, including limit and data type name reads */
  requests: number;
  references: number;
  continuationPointsFollowed: number;
  continuationPointsReleased: number;
  /** nodes sent again (BadNoContinuationPoints, lost continuation points, halved batches) */
  retries: number;
  durationMs: number;
}

export interface CrawlResult {
  nodes: CrawledNode[];
  roots: number[];
  /** false when the crawl stopped early; `partialReason` says why */
  complete: boolean;
  partialReason?: string | undefined;
  /** nodes given up on (a server that made no progress, a node that failed) */
  problems: Array<{ nodeId: string; status: string }>;
  limits: OperationLimits;
  /** what was actually used per request */
  batch: { nodesPerBrowse: number; nodesPerRead: number; continuationPoints: number; maxReferencesPerNode: number; inFlight: number };
  namespaces: string[];
  stats: CrawlStats;
}

export interface CrawlProgress {
  nodes: number;
  browsed: number;
  depth: number;
  requests: number;
}

export interface CrawlOptions {
  /** node ids (strings such as "i=85", "ns=2;s=Plant") */
  roots: string[];
  /** browse nodes up to this depth (roots are depth 0); Infinity for everything */
  maxDepth?: number | undefined;
  /** read DataType, ValueRank, AccessLevel, UserAccessLevel and EngineeringUnits/EURange */
  attributes?: boolean | undefined;
  /** override what the server states (tests, benchmarks); 0 = as stated / capped */
  limits?: Partial<OperationLimits> | undefined;
  /** requestedMaxReferencesPerNode (default 1000): larger lists come in pieces via BrowseNext */
  maxReferencesPerNode?: number | undefined;
  /** requests in flight at once (default 4) */
  maxInFlight?: number | undefined;
  onProgress?: ((p: CrawlProgress) => void) | undefined;
  signal?: AbortSignal | undefined;
  /** tells whether the session's connection is gone (errors then end the crawl as partial) */
  connectionLost?: (() => boolean) | undefined;
  /** stop (partial, reason "maxNodes") once this many nodes are known: searches, previews */
  maxNodes?: number | undefined;
  /** how often the same node may be sent again before it is given up on */
  maxRetriesPerNode?: number | undefined;
  /**
   * Nodes to read in full (NodeSet2 export): asked once per node as it is found, with the crawl so
   * far (the node's tree parent is known). undefined: the tree and the usual attributes only.
   */
  detail?: ((node: CrawledNode, nodes: readonly CrawledNode[]) => DetailLevel | undefined) | undefined;
}

/** Every attribute a node of each class has, besides NodeId, NodeClass and BrowseName (Part 3, 5.9). */
const CLASS_ATTRIBUTES: Record<string, readonly number[]> = {
  //                DisplayName, Description, WriteMask; then by class
  Object: [4, 5, 6, 12],
  Variable: [4, 5, 6, 14, 15, 16, 17, 18, 19, 20],
  Method: [4, 5, 6, 21, 22],
  ObjectType: [4, 5, 6, 8],
  VariableType: [4, 5, 6, 8, 14, 15, 16, 13],
  ReferenceType: [4, 5, 6, 8, 9, 10],
  DataType: [4, 5, 6, 8, 23],
  View: [4, 5, 6, 11, 12],
};
const VALUE_ATTRIBUTE = 13;
/** a browse item: node index * 2, + 1 for the full reference browse of a detailed node */
const treeKey = (i: number) => i * 2;
const detailKey = (i: number) => i * 2 + 1;
const nodeOf = (key: number) => key >> 1;
const isDetailKey = (key: number) => (key & 1) === 1;

/** Counts requests sent through the session (the session's own counter may include other traffic). */
interface Counters {
  browse: number;
  browseNext: number;
  read: number;
  other: number;
}

class CrawlStopped extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** How node-opcua words a connection that went away (status names, socket errors, its own phrases). */
const CONNECTION_GONE =
  /BadConnectionClosed|BadSessionClosed|BadSessionIdInvalid|BadSecureChannelClosed|BadSecureChannelIdInvalid|BadServerNotConnected|BadCommunicationError|BadShutdown|BadServerHalted|BadConnectionRejected|ECONNRESET|ECONNREFUSED|EPIPE|Connection Break|disconnected|premature|closed|not connected|Invalid Channel|socket|aborted/i;

/**
 * A FIFO that takes from the front without moving the rest (Array#splice(0, n) on a queue of
 * 400 000 attribute reads costs more than the reads' bookkeeping), and takes items back in front.
 */
export class Queue<T> {
  private items: T[] = [];
  private head = 0;
  constructor(initial: readonly T[] = []) {
    this.items = [...initial];
  }
  get length(): number {
    return this.items.length - this.head;
  }
  push(...xs: T[]): void {
    for (const x of xs) this.items.push(x);
  }
  take(n: number): T[] {
    const out = this.items.slice(this.head, this.head + n);
    this.head += out.length;
    if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return out;
  }
  /** Puts items back at the front, in their order. */
  unshift(...xs: T[]): void {
    if (xs.length <= this.head) {
      this.head -= xs.length;
      for (let i = 0; i < xs.length; i++) this.items[this.head + i] = xs[i]!;
    } else {
      this.items = [...xs, ...this.items.slice(this.head)];
      this.head = 0;
    }
  }
}

/** Runs `tasks` producers with at most `limit` promises pending, until `next` returns undefined and all settle. */
async function pump(limit: number, next: () => Promise<void> | undefined, onSettle: () => void): Promise<void> {
  const pending = new Set<Promise<void>>();
  let failure: unknown;
  for (;;) {
    while (failure === undefined && pending.size < limit) {
      const p = next();
      if (!p) break;
      const tracked: Promise<void> = p.then(
        () => void pending.delete(tracked),
        (err: unknown) => {
          pending.delete(tracked);
          failure ??= err;
        },
      );
      pending.add(tracked);
    }
    if (pending.size === 0) break;
    await Promise.race(pending);
    onSettle();
  }
  if (failure !== undefined) throw failure;
}

export async function crawl(session: ClientSession, options: CrawlOptions): Promise<CrawlResult> {
  const m = await loadClient();
  const t0 = performance.now();
  const counters: Counters = { browse: 0, browseNext: 0, read: 0, other: 0 };
  const limits = await limitsOf(session, options, counters);
  const crawler = new Crawler(m, session, options, limits, counters);
  crawler.namespaces = await readNamespaces(m, session).catch(() => [] as string[]);
  counters.other++;
  await crawler.readRoots();
  const stopReason = await crawler.walk();
  if (crawler.wantAttributes)
    await nameDataTypes(m, session, crawler.nodes, crawler.index, reverseIds(m.DataTypeIds), counters).catch(() => undefined);
  return crawler.result(stopReason, performance.now() - t0);
}

/** The server's operation limits, with the overrides of the options (tests, benchmarks). */
async function limitsOf(session: ClientSession, options: CrawlOptions, counters: Counters): Promise<OperationLimits> {
  const stated = await readOperationLimits(session).catch(() => undefined);
  counters.other++;
  const limits: OperationLimits = { ...(stated ?? (await import('./operation-limits.js')).UNKNOWN_LIMITS) };
  for (const [k, v] of Object.entries(options.limits ?? {})) if (typeof v === 'number' && v > 0) limits[k as keyof OperationLimits] = v;
  return limits;
}

/** The browse items of one level, and what became of them. */
interface Level {
  toBrowse: Queue<number>;
  finished: Set<number>;
  /** continuation points to release once the level is done (a server that made no progress with them) */
  releaseLater: Buffer[];
}

/** One crawl: the nodes found so far, the requests in flight, the batch sizes the server allows. */
class Crawler {
  readonly nodes: CrawledNode[] = [];
  readonly index = new Map<string, number>();
  namespaces: string[] = [];
  readonly wantAttributes: boolean;
  private readonly problems: CrawlResult['problems'] = [];
  private readonly stats = { references: 0, cpFollowed: 0, cpReleased: 0, retries: 0 };
  private readonly refTypeNames: Map<string, string>;
  private nodesPerBrowse: number;
  private nodesPerRead: number;
  private readonly maxCps: number;
  private readonly maxRefs: number;
  private readonly maxInFlight: number;
  private readonly maxDepth: number;
  private readonly maxRetries: number;
  private roots: number[] = [];
  private rootLevels: Array<DetailLevel | undefined> = [];
  // Attribute reads: queued as nodes are discovered, sent whenever a request slot is free.
  private readonly readQueue = new Queue<{ node: number; attributeId: number }>();
  private readonly detailed = new Set<number>();
  // Browse items are keys: treeKey(i) lists node i's children, detailKey(i) all its references.
  private readonly heldCps = new Map<number, Buffer>(); // key -> continuation point we hold
  private readonly cpQueue = new Queue<number>(); // keys whose continuation point is waiting for BrowseNext
  private cpsInFlight = 0;
  private browsesInFlight = 0;
  private readonly refs = new Map<number, ReferenceDescription[]>();
  private readonly retries = new Map<number, number>();
  private readonly sameCp = new Map<number, number>();
  private depth = 0;
  private noCpStreak = 0;
  private browsedCount = 0;

  constructor(
    private readonly m: ClientModule,
    private readonly session: ClientSession,
    private readonly options: CrawlOptions,
    private readonly limits: OperationLimits,
    private readonly counters: Counters,
  ) {
    this.nodesPerBrowse = limits.maxNodesPerBrowse > 0 ? Math.min(limits.maxNodesPerBrowse, 1000) : DEFAULT_CAPS.nodesPerBrowse;
    this.nodesPerRead = limits.maxNodesPerRead > 0 ? Math.min(limits.maxNodesPerRead, 2000) : DEFAULT_CAPS.nodesPerRead;
    this.maxCps = limits.maxBrowseContinuationPoints > 0 ? limits.maxBrowseContinuationPoints : DEFAULT_CAPS.browseContinuationPoints;
    this.maxRefs = options.maxReferencesPerNode ?? 1000;
    this.maxInFlight = Math.max(1, options.maxInFlight ?? 4);
    this.maxDepth = options.maxDepth ?? Number.POSITIVE_INFINITY;
    this.maxRetries = options.maxRetriesPerNode ?? 5;
    this.wantAttributes = options.attributes ?? true;
    session.requestedMaxReferencesPerNode = this.maxRefs;
    this.refTypeNames = reverseIds(m.ReferenceTypeIds);
  }

  // --- roots --------------------------------------------------------------------------------------

  /** Roots: their own attributes come from one Read (browse results describe children only). */
  async readRoots(): Promise<void> {
    const { m, options, nodes, index } = this;
    const rootIds = options.roots.map((r) => nodeIdText(m.coerceNodeId(r)));
    // (in batches: an export may start from many roots, and a server may allow 5 nodes per Read)
    const rootItems = rootIds.flatMap((id) =>
      [m.AttributeIds.BrowseName, m.AttributeIds.DisplayName, m.AttributeIds.NodeClass].map((attributeId) => ({ nodeId: id, attributeId })),
    );
    const rootInfo: DataValue[] = [];
    const rootBatch = Math.max(1, this.nodesPerRead);
    for (let k = 0; k < rootItems.length; k += rootBatch) {
      rootInfo.push(...(await this.session.read(rootItems.slice(k, k + rootBatch))));
      this.counters.read++;
    }
    rootIds.forEach((id, i) => {
      if (index.has(id)) return;
      const bn = rootInfo[i * 3];
      if (!bn || !bn.statusCode.isGood()) {
        const status = bn?.statusCode.name ?? 'BadNodeIdUnknown';
        throw usageError(
          `no node ${options.roots[i]} on the server (${status})`,
          'check the node id; `iiot browse <endpoint>` shows the node ids that exist',
        );
      }
      const qn = bn.value.value as { namespaceIndex: number; name: string };
      const dn = rootInfo[i * 3 + 1]?.value.value as { text?: string } | null;
      const nc = rootInfo[i * 3 + 2]?.value.value as number;
      index.set(id, nodes.length);
      this.roots.push(nodes.length);
      nodes.push({
        nodeId: id,
        ns: qn.namespaceIndex,
        browseName: qn.name,
        displayName: dn?.text ?? qn.name,
        nodeClass: NODE_CLASS_BY_VALUE[nc] ?? 'Unspecified',
        depth: 0,
        children: [],
        browsed: false,
      });
    });
    this.rootLevels = this.roots.map((r) => this.decideDetail(r));
    this.roots.forEach((r, k) => this.queueReads(r, this.rootLevels[k]));
  }

  // --- attribute reads ----------------------------------------------------------------------------

  /** Decides whether node i is read in full (and browsed for all its references). */
  private decideDetail(i: number): DetailLevel | undefined {
    const level = this.options.detail?.(this.nodes[i]!, this.nodes);
    if (level !== undefined) {
      this.detailed.add(i);
      this.nodes[i]!.details = { references: [], attributes: {} };
    }
    return level;
  }

  private queueReads(i: number, level: DetailLevel | undefined): void {
    const { m, nodes } = this;
    const n = nodes[i]!;
    const wanted = new Set<number>();
    if (this.wantAttributes && n.nodeClass === 'Variable') {
      for (const a of [m.AttributeIds.DataType, m.AttributeIds.ValueRank, m.AttributeIds.AccessLevel, m.AttributeIds.UserAccessLevel])
        wanted.add(a);
      const parent = n.parent !== undefined ? nodes[n.parent] : undefined;
      if (n.ns === 0 && (n.browseName === 'EngineeringUnits' || n.browseName === 'EURange') && parent?.nodeClass === 'Variable')
        wanted.add(VALUE_ATTRIBUTE);
    }
    if (level !== undefined) {
      for (const a of CLASS_ATTRIBUTES[n.nodeClass] ?? []) wanted.add(a);
      // properties (EngineeringUnits, EURange, EnumStrings, InputArguments...) describe the model:
      // their values always; a data variable's value only when asked for
      if (n.nodeClass === 'Variable' && (level === 'value' || n.typeDefinition === 'i=68')) wanted.add(VALUE_ATTRIBUTE);
    }
    for (const attributeId of wanted) this.readQueue.push({ node: i, attributeId });
  }

  private applyRead(item: { node: number; attributeId: number }, dv: DataValue | undefined): void {
    const { m, nodes } = this;
    if (!dv || !dv.statusCode.isGood()) return;
    const n = nodes[item.node]!;
    const v: unknown = dv.value.value;
    if (n.details) n.details.attributes[item.attributeId] = item.attributeId === VALUE_ATTRIBUTE ? dv.value : v;
    switch (item.attributeId) {
      case m.AttributeIds.DataType:
        n.dataTypeId = nodeIdText(v as { toString(): string });
        break;
      case m.AttributeIds.ValueRank:
        n.valueRank = v as number;
        break;
      case m.AttributeIds.AccessLevel:
        n.accessLevel = v as number;
        break;
      case m.AttributeIds.UserAccessLevel:
        n.userAccessLevel = v as number;
        break;
      case m.AttributeIds.Value: {
        const parent = n.parent !== undefined ? nodes[n.parent] : undefined;
        if (!parent) break;
        if (n.browseName === 'EngineeringUnits') {
          const eu = v as { displayName?: { text?: string | null }; description?: { text?: string | null } } | null;
          const unit = eu?.displayName?.text || eu?.description?.text;
          if (unit) parent.unit = unit;
        } else if (n.browseName === 'EURange') {
          const r = v as { low?: number; high?: number } | null;
          if (r && typeof r.low === 'number' && typeof r.high === 'number') parent.range = [r.low, r.high];
        }
        break;
      }
    }
  }

  private readBatch(): Promise<void> | undefined {
    if (this.readQueue.length === 0) return undefined;
    const items = this.readQueue.take(this.nodesPerRead);
    this.counters.read++;
    return this.session.read(items.map((it) => ({ nodeId: this.nodes[it.node]!.nodeId, attributeId: it.attributeId }))).then(
      (dvs) => items.forEach((it, k) => this.applyRead(it, dvs[k])),
      (err: unknown) => {
        if (statusNameIn(String(err)) === 'BadTooManyOperations' && this.nodesPerRead > 1) {
          this.nodesPerRead = Math.max(1, Math.floor(this.nodesPerRead / 2));
          this.readQueue.unshift(...items);
          return;
        }
        this.stopIfLost(err);
      },
    );
  }

  // --- stopping -----------------------------------------------------------------------------------

  private stopIfLost(err: unknown): never {
    const text = err instanceof Error ? err.message : String(err);
    // node-opcua words a request that got no answer in time "Transaction has timed out", without BadTimeout
    if (
      CONNECTION_GONE.test(text) ||
      statusNameIn(text) === 'BadTimeout' ||
      /Transaction has timed out/.test(text) ||
      this.options.connectionLost?.()
    )
      throw new CrawlStopped(text.split('\n')[0] ?? text);
    throw err;
  }

  private checkAbort(): void {
    if (this.options.signal?.aborted) throw new CrawlStopped('interrupted');
  }

  private giveUp(key: number, status: string): void {
    const n = this.nodes[nodeOf(key)]!;
    if (isDetailKey(key)) n.details!.referencesStatus = status;
    else n.browseStatus = status;
    this.problems.push({ nodeId: n.nodeId, status: isDetailKey(key) ? `${status} (all references)` : status });
    this.refs.delete(key);
  }

  private retry(i: number, queue: Queue<number>, status: string): void {
    const n = (this.retries.get(i) ?? 0) + 1;
    this.retries.set(i, n);
    this.stats.retries++;
    if (n > this.maxRetries) this.giveUp(i, status);
    else queue.unshift(i);
  }

  // --- the walk, level by level -------------------------------------------------------------------

  /** Browses every level, then the attributes still queued; returns why it stopped early, if it did. */
  async walk(): Promise<string | undefined> {
    let level: number[] = this.roots.flatMap((r, k) => [
      ...(this.maxDepth > 0 ? [treeKey(r)] : []),
      ...(this.rootLevels[k] !== undefined ? [detailKey(r)] : []),
    ]);
    try {
      while (level.length > 0) {
        this.checkAbort();
        await this.browseLevel(level);
        level = this.addChildren(level);
        this.depth++;
        if (this.options.maxNodes !== undefined && this.nodes.length >= this.options.maxNodes && level.length > 0)
          throw new CrawlStopped(`stopped at ${this.options.maxNodes} nodes (maxNodes)`);
      }
      // Attributes still queued after the last level.
      await pump(
        this.maxInFlight,
        () => (this.checkAbort(), this.readBatch()),
        () => undefined,
      );
    } catch (err) {
      if (!(err instanceof CrawlStopped)) {
        await releaseAll(this.session, this.heldCps);
        throw err;
      }
      this.stats.cpReleased += await releaseAll(this.session, this.heldCps);
      return err.reason;
    }
    return undefined;
  }

  /** Browses the keys of one level to the end (BrowseNext included), reads filling the gaps. */
  private async browseLevel(levelSet: number[]): Promise<void> {
    const lv: Level = { toBrowse: new Queue(levelSet), finished: new Set<number>(), releaseLater: [] };
    for (const i of levelSet) this.refs.set(i, []);
    await pump(
      this.maxInFlight,
      () => {
        this.checkAbort();
        if (this.noCpStreak > this.maxRetries * 2) {
          for (const i of lv.toBrowse.take(lv.toBrowse.length))
            this.giveUp(i, 'BadNoContinuationPoints: the server refused continuation points while iiot held none');
        }
        return this.browseBatch(lv) ?? this.readBatch();
      },
      () =>
        this.options.onProgress?.({
          nodes: this.nodes.length,
          browsed: this.browsedCount,
          depth: this.depth,
          requests: this.counters.browse + this.counters.browseNext + this.counters.read + this.counters.other,
        }),
    );
    if (lv.releaseLater.length > 0) {
      await this.session.browseNext(lv.releaseLater, true).catch(() => undefined);
      this.counters.browseNext++;
      this.stats.cpReleased += lv.releaseLater.length;
    }
    for (const key of levelSet)
      if (!lv.finished.has(key) && this.refs.has(key)) this.giveUp(key, 'BadUnexpectedError: browse did not finish');
  }

  private finish(lv: Level, key: number): void {
    if (isDetailKey(key)) {
      lv.finished.add(key);
      return;
    }
    if (!lv.finished.has(key)) this.browsedCount++;
    lv.finished.add(key);
    this.nodes[nodeOf(key)]!.browsed = true;
  }

  private browseBatch(lv: Level): Promise<void> | undefined {
    const { m, session, counters } = this;
    // BrowseNext first: it frees continuation points; Browse only while we may create more.
    if (this.cpQueue.length > 0) {
      const batch = this.cpQueue.take(this.nodesPerBrowse);
      const cps = batch.map((i) => this.heldCps.get(i)!);
      this.cpsInFlight += batch.length;
      counters.browseNext++;
      this.stats.cpFollowed += batch.length;
      return session.browseNext(cps, false).then(
        (results) => {
          this.cpsInFlight -= batch.length;
          batch.forEach((i, k) => this.onNext(lv, i, cps[k]!, results[k]));
        },
        (err: unknown) => {
          this.cpsInFlight -= batch.length;
          if (statusNameIn(String(err)) === 'BadTooManyOperations' && this.nodesPerBrowse > 1) {
            this.nodesPerBrowse = Math.max(1, Math.floor(this.nodesPerBrowse / 2));
            this.cpQueue.unshift(...batch);
            return;
          }
          this.stopIfLost(err);
        },
      );
    }
    if (lv.toBrowse.length === 0) return undefined;
    // Continuation points we hold, or may be handed by requests in flight, count against the limit.
    if (this.heldCps.size + this.browsesInFlight >= this.maxCps) return undefined;
    const batch = lv.toBrowse.take(this.nodesPerBrowse);
    this.browsesInFlight++;
    counters.browse++;
    return session
      .browse(
        batch.map((key) => ({
          nodeId: this.nodes[nodeOf(key)]!.nodeId,
          browseDirection: isDetailKey(key) ? m.BrowseDirection.Both : m.BrowseDirection.Forward,
          referenceTypeId: isDetailKey(key) ? m.ReferenceTypeIds.References : m.ReferenceTypeIds.HierarchicalReferences,
          includeSubtypes: true,
          nodeClassMask: 0,
          resultMask: 0x3f,
        })),
      )
      .then(
        (results) => {
          this.browsesInFlight--;
          batch.forEach((i, k) => this.onBrowse(lv, i, results[k]));
        },
        (err: unknown) => {
          this.browsesInFlight--;
          if (statusNameIn(String(err)) === 'BadTooManyOperations' && this.nodesPerBrowse > 1) {
            this.nodesPerBrowse = Math.max(1, Math.floor(this.nodesPerBrowse / 2));
            lv.toBrowse.unshift(...batch);
            return;
          }
          this.stopIfLost(err);
        },
      );
  }

  private onBrowse(lv: Level, i: number, r: BrowseResult | undefined): void {
    const status = r?.statusCode.name ?? 'BadUnexpectedError';
    if (status === 'BadNoContinuationPoints') {
      // While we hold continuation points this is expected: the node goes back to the queue
      // and is sent once BrowseNext has freed some. If we hold none, the server is out of
      // them for reasons of its own: that counts against the node's retries.
      if (this.heldCps.size === 0 && this.cpsInFlight === 0 && this.cpQueue.length === 0) {
        this.noCpStreak++;
        this.retry(i, lv.toBrowse, status);
      } else {
        this.stats.retries++;
        lv.toBrowse.unshift(i);
      }
      return;
    }
    this.noCpStreak = 0;
    if (!r || !r.statusCode.isGood()) {
      this.giveUp(i, status);
      this.finish(lv, i);
      return;
    }
    this.refs.get(i)!.push(...(r.references ?? []));
    if (r.continuationPoint && r.continuationPoint.length > 0) {
      this.heldCps.set(i, r.continuationPoint);
      this.cpQueue.push(i);
    } else this.finish(lv, i);
  }

  private onNext(lv: Level, i: number, cp: Buffer, r: BrowseResult | undefined): void {
    const status = r?.statusCode.name ?? 'BadUnexpectedError';
    this.heldCps.delete(i);
    if (status === 'BadContinuationPointInvalid') {
      // The server dropped it (timeout, or freed for another request): start this node again.
      this.refs.set(i, []);
      this.retry(i, lv.toBrowse, status);
      if (this.refs.get(i) === undefined) this.finish(lv, i);
      return;
    }
    if (!r || !r.statusCode.isGood()) {
      this.giveUp(i, status);
      this.finish(lv, i);
      return;
    }
    const got = r.references ?? [];
    this.refs.get(i)!.push(...got);
    const next = r.continuationPoint && r.continuationPoint.length > 0 ? r.continuationPoint : undefined;
    if (!next) {
      this.finish(lv, i);
      return;
    }
    // A server that hands back the same point without references would loop forever.
    if (got.length === 0 && next.equals(cp)) {
      const n = (this.sameCp.get(i) ?? 0) + 1;
      this.sameCp.set(i, n);
      if (n >= 3) {
        lv.releaseLater.push(next);
        this.giveUp(i, 'NoProgress: the server returned the same continuation point without references');
        this.finish(lv, i);
        return;
      }
    }
    this.heldCps.set(i, next);
    this.cpQueue.push(i);
  }

  /** Children, in the order of the level and of each node's references: deterministic trees. Returns the next level. */
  private addChildren(levelSet: number[]): number[] {
    const { m, nodes, index, namespaces } = this;
    const nextLevel: number[] = [];
    for (const key of levelSet) {
      const list = this.refs.get(key) ?? [];
      this.refs.delete(key);
      this.stats.references += list.length;
      if (isDetailKey(key)) {
        const details = nodes[nodeOf(key)]!.details!;
        for (const ref of list) {
          details.references.push({
            type: nodeIdText(ref.referenceTypeId),
            forward: ref.isForward,
            target: ref.nodeId.serverIndex ? ref.nodeId.toString() : localId(m, ref.nodeId, namespaces),
          });
        }
        continue;
      }
      const i = nodeOf(key);
      for (const ref of list) {
        if (ref.nodeId.serverIndex) continue; // a node on another server
        const id = localId(m, ref.nodeId, namespaces);
        const known = index.get(id);
        if (known !== undefined) {
          if (known !== i && nodes[known]!.parent !== i) (nodes[known]!.otherParents ??= []).push(i);
          continue;
        }
        const k = nodes.length;
        index.set(id, k);
        nodes.push({
          nodeId: id,
          ns: ref.browseName.namespaceIndex,
          browseName: ref.browseName.name ?? '',
          displayName: ref.displayName.text ?? ref.browseName.name ?? '',
          nodeClass: NODE_CLASS_BY_VALUE[ref.nodeClass] ?? 'Unspecified',
          typeDefinition: ref.typeDefinition && !ref.typeDefinition.isEmpty() ? localId(m, ref.typeDefinition, namespaces) : undefined,
          parent: i,
          referenceType: this.refTypeNames.get(nodeIdText(ref.referenceTypeId)) ?? nodeIdText(ref.referenceTypeId),
          depth: nodes[i]!.depth + 1,
          children: [],
          browsed: false,
        });
        nodes[i]!.children.push(k);
        const level = this.decideDetail(k);
        this.queueReads(k, level);
        if (nodes[k]!.depth < this.maxDepth) nextLevel.push(treeKey(k));
        if (level !== undefined) nextLevel.push(detailKey(k));
      }
    }
    return nextLevel;
  }

  // --- the result ---------------------------------------------------------------------------------

  result(stopReason: string | undefined, durationMs: number): CrawlResult {
    const { counters, stats } = this;
    return {
      nodes: this.nodes,
      roots: this.roots,
      complete: stopReason === undefined,
      partialReason: stopReason,
      problems: this.problems,
      limits: this.limits,
      batch: {
        nodesPerBrowse: this.nodesPerBrowse,
        nodesPerRead: this.nodesPerRead,
        continuationPoints: this.maxCps,
        maxReferencesPerNode: this.maxRefs,
        inFlight: this.maxInFlight,
      },
      namespaces: this.namespaces,
      stats: {
        browseRequests: counters.browse,
        browseNextRequests: counters.browseNext,
        readRequests: counters.read,
        requests: counters.browse + counters.browseNext + counters.read + counters.other,
        references: stats.references,
        continuationPointsFollowed: stats.cpFollowed,
        continuationPointsReleased: stats.cpReleased,
        retries: stats.retries,
        durationMs,
      },
    };
  }
}

/** Releases every continuation point we still hold (best effort: the session may be gone). */
async function releaseAll(session: ClientSession, held: Map<number, Buffer>): Promise<number> {
  const cps = [...held.values()];
  held.clear();
  if (cps.length === 0) return 0;
  await session.browseNext(cps, true).catch(() => undefined);
  return cps.length;
}

async function readNamespaces(m: ClientModule, session: ClientSession): Promise<string[]> {
  const dv = await session.read({ nodeId: m.makeNodeId(m.VariableIds.Server_NamespaceArray, 0), attributeId: m.AttributeIds.Value });
  return Array.isArray(dv.value.value) ? (dv.value.value as string[]) : [];
}

/** node-opcua's id tables are numeric enums (with reverse entries): "i=47" -> "HasComponent". */
function reverseIds(ids: object): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, id] of Object.entries(ids)) if (typeof id === 'number') out.set(`i=${id}`, name);
  return out;
}

/** Node ids as users write them: "i=85" in namespace 0 (node-opcua writes "ns=0;i=85"). */
export function nodeIdText(id: { toString(): string }): string {
  const s = id.toString();
  return s.startsWith('ns=0;') ? s.slice(5) : s;
}

/** "ns=2;s=X" for a local ExpandedNodeId, resolving a namespace URI if the server sent one. */
function localId(m: ClientModule, x: ReferenceDescription['nodeId'], namespaces: string[]): string {
  if (x.namespaceUri) {
    const ns = namespaces.indexOf(x.namespaceUri);
    if (ns >= 0) return nodeIdText(new m.NodeId(x.identifierType, x.value, ns));
  }
  return nodeIdText(new m.NodeId(x.identifierType, x.value, x.namespace));
}

/** DataType ids to names: namespace 0 from node-opcua's table, the rest from their BrowseName. */
async function nameDataTypes(
  m: ClientModule,
  session: ClientSession,
  nodes: CrawledNode[],
  index: Map<string, number>,
  ns0: Map<string, string>,
  counters: Counters,
): Promise<void> {
  const unknown = new Set<string>();
  for (const n of nodes) {
    if (!n.dataTypeId) continue;
    const name = ns0.get(n.dataTypeId) ?? (index.has(n.dataTypeId) ? nodes[index.get(n.dataTypeId)!]!.browseName : undefined);
    if (name) n.dataType = name;
    else unknown.add(n.dataTypeId);
  }
  if (unknown.size === 0) return;
  const ids = [...unknown];
  const names = new Map<string, string>();
  for (let i = 0; i < ids.length; i += 500) {
    const chunk = ids.slice(i, i + 500);
    const dvs = await session.read(chunk.map((nodeId) => ({ nodeId, attributeId: m.AttributeIds.BrowseName })));
    counters.read++;
    chunk.forEach((id, k) => {
      const qn = dvs[k]?.value.value as { name?: string } | null;
      if (qn?.name) names.set(id, qn.name);
    });
  }
  for (const n of nodes) if (n.dataTypeId && !n.dataType) n.dataType = names.get(n.dataTypeId) ?? n.dataTypeId;
}

/** The browse path of a node from its crawl root's own path ("/Objects/2:Plant/2:Pump1"). */
export function browsePath(nodes: readonly CrawledNode[], i: number, rootPaths?: ReadonlyMap<number, string>): string {
  const parts: string[] = [];
  let cur: number | undefined = i;
  while (cur !== undefined) {
    const n: CrawledNode = nodes[cur]!;
    const rp = rootPaths?.get(cur);
    if (rp !== undefined) return rp + (parts.length ? `/${parts.reverse().join('/')}` : '');
    if (n.parent === undefined) {
      // The root of the address space has no segment of its own.
      if (n.nodeId === 'i=84') return `/${parts.reverse().join('/')}`;
      parts.push(formatSegment(n.ns, n.browseName));
      return `/${parts.reverse().join('/')}`;
    }
    parts.push(formatSegment(n.ns, n.browseName));
    cur = n.parent;
  }
  return `/${parts.reverse().join('/')}`;
}

/** "rwh": CurrentRead, CurrentWrite, HistoryRead bits of an AccessLevel ("-" for none). */
export function accessString(level: number | undefined): string {
  if (level === undefined) return '';
  const s = `${level & 1 ? 'r' : ''}${level & 2 ? 'w' : ''}${level & 4 ? 'h' : ''}`;
  return s === '' ? '-' : s;
}
