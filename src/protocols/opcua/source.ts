/**
 * Recording from an OPC UA server: one session (session.ts, the same careful connection as
 * `iiot browse` and `iiot read`), one subscription, monitored items created in chunks that respect
 * the server's MaxMonitoredItemsPerCall (node-opcua sends whatever it is given in one request),
 * notifications consumed a publish response at a time, source and server timestamps and status
 * codes kept. `--poll` reads instead of subscribing; `--history` backfills from HistoryRead.
 * Tags come from node ids, browse paths, subtrees (crawled) or tag lists (`iiot browse --tags`),
 * and are found again by namespace URI after a reconnect, even if the server renumbered its
 * namespaces. A lost connection is retried with backoff; the capture gets disconnect, gap and
 * reconnect events.
 */
import type { ClientSubscription, DataValue } from 'node-opcua-client';
import type { SourceInfo, TagInfo } from '../../capture/types.js';
import { IiotError, usageError } from '../../core/errors.js';
import type { OpcUaConnectOptions } from './flags.js';
import { Backoff, sleep } from '../reconnect.js';
import { Outages, type RecorderSource, type SourceHooks } from '../source-base.js';
import type { SampleSink } from '../types.js';
import { readAttributes } from './attributes.js';
import { noHistoryWords } from './explain.js';
import { pathOf, resolveNode } from './browse-path.js';
import { crawl, nodeIdText } from './crawler.js';
import { browsePaths, toTagList } from './export.js';
import { loadClient } from './load.js';
import { parseNodeRef } from './node-ref.js';
import { DEFAULT_CAPS, effective, readOperationLimits, UNKNOWN_LIMITS, type OperationLimits } from './operation-limits.js';
import type { Pki } from './pki.js';
import { readHistory, readValues, type ValueReading } from './read.js';
import { openSession, type OpcUaSession, type SessionIO } from './session.js';
import { readTagList, tagNameFromPath, type TagListEntry } from './tag-list.js';
import { describeRenamings, uniqueNodeNames, type NameOrigin } from './tag-names.js';
import { variantToJson } from './values.js';

export interface OpcUaSourceOptions {
  id: string;
  connect: OpcUaConnectOptions;
  /** node ids or browse paths */
  nodes: string[];
  /** node ids or browse paths: every data variable below each */
  subtrees: string[];
  /** tag list files (`iiot browse --tags`) */
  tagLists: string[];
  /** sampling interval asked of the server (0: as fast as it can) */
  samplingMs: number;
  publishingMs: number;
  queueSize: number;
  deadband?: { kind: 'absolute' | 'percent'; value: number } | undefined;
  /** read every interval instead of subscribing */
  pollMs?: number | undefined;
  /** backfill from the server's history first; without `to`, continue live from now */
  history?: { from: number; to?: number | undefined } | undefined;
  reconnectMaxMs: number;
  /** override the server's MaxMonitoredItemsPerCall (tests, benchmarks) */
  maxItemsPerCall?: number | undefined;
  /** put before every tag name ("opcua-2."): several servers of an inventory recorded together */
  tagPrefix?: string | undefined;
  pki: Pki;
  sessionIO: SessionIO;
}

export function createOpcUaSource(o: OpcUaSourceOptions, hooks: SourceHooks): RecorderSource {
  return new OpcUaSource(o, hooks);
}

/** OPC UA built-in types as capture data types (docs/capture-format.md). */
const CAPTURE_TYPES: Record<string, string> = {
  Boolean: 'bool',
  SByte: 'int8',
  Byte: 'uint8',
  Int16: 'int16',
  UInt16: 'uint16',
  Int32: 'int32',
  UInt32: 'uint32',
  Int64: 'int64',
  UInt64: 'uint64',
  Float: 'float32',
  Double: 'float64',
  String: 'string',
  LocalizedText: 'string',
  DateTime: 'string',
};

interface Item {
  tag: string;
  /** namespace URI, when the node is outside namespace 0 */
  uri?: string | undefined;
  /** the node id without its namespace part ("s=pump1.speed") */
  ident: string;
  /** index at the last session (fallback when the URI is unknown) */
  ns: number;
  samplingMs: number;
  /** node id in the current session */
  nodeId: string;
}

function splitNodeId(id: string): { ns: number; ident: string } {
  const m = /^ns=(\d+);(.*)$/s.exec(id);
  return m ? { ns: Number(m[1]), ident: m[2]! } : { ns: 0, ident: id };
}

class OpcUaSource implements RecorderSource {
  readonly info: SourceInfo;
  tags: TagInfo[] = [];
  private items: Item[] = [];
  private session: OpcUaSession | undefined;
  private sub: ClientSubscription | undefined;
  private sink: SampleSink | undefined;
  private readonly outages: Outages;
  private readonly ac = new AbortController();
  private readonly handles = new Map<number, Item>();
  /**
   * Notifications for client handles not known yet: a publish response can bring an item's first
   * value before the CreateMonitoredItems call that made it has returned here. They are delivered
   * once the call returns (an item whose value never changes would otherwise never be recorded).
   */
  private early: Array<{ handle: number; value: DataValue; now: number }> = [];
  /** monitored items are being created: notifications for unknown handles are kept in `early` */
  private creating = false;
  private readonly historyUntil = new Map<string, number>();
  private limits: OperationLimits = UNKNOWN_LIMITS;
  private loop: Promise<void> | undefined;
  private done: Promise<void> | undefined;
  private reconnecting: Promise<void> | undefined;
  private counters = {
    notifications: 0,
    values: 0,
    itemsCreated: 0,
    createCalls: 0,
    reads: 0,
    historyValues: 0,
    reconnects: 0,
    badItems: 0,
  };

  constructor(
    private readonly o: OpcUaSourceOptions,
    private readonly hooks: SourceHooks,
  ) {
    this.info = {
      id: o.id,
      protocol: 'opcua',
      endpoint: o.connect.target.url,
      options: {
        mode: o.pollMs !== undefined ? 'poll' : 'subscription',
        ...(o.pollMs !== undefined
          ? { pollMs: o.pollMs }
          : {
              samplingMs: o.samplingMs,
              publishingMs: o.publishingMs,
              queueSize: o.queueSize,
              ...(o.deadband ? { deadband: o.deadband } : {}),
            }),
        ...(o.history
          ? {
              history: {
                from: new Date(o.history.from).toISOString(),
                ...(o.history.to !== undefined ? { to: new Date(o.history.to).toISOString() } : {}),
              },
            }
          : {}),
        ...(o.connect.securityMode ? { securityMode: o.connect.securityMode } : {}),
        ...(o.connect.identity.kind === 'username' ? { user: o.connect.identity.user } : {}),
      },
    };
    this.outages = new Outages(o.id, () => this.sink, hooks);
    // Malformed node ids and paths are refused before any connection.
    for (const n of o.nodes) parseNodeRef(n, '--node');
    for (const n of o.subtrees) parseNodeRef(n, '--subtree');
  }

  private async open(): Promise<OpcUaSession> {
    const s = await openSession({
      connect: this.o.connect,
      pki: this.o.pki,
      io: this.o.sessionIO,
      keepAlive: true,
      sessionName: `iiot record ${this.o.id}`,
    });
    s.onLost((reason) => this.lost(reason));
    this.limits = await readOperationLimits(s.session).catch(() => UNKNOWN_LIMITS);
    return s;
  }

  async prepare(): Promise<void> {
    const o = this.o;
    // Tag lists first: a bad file fails before the network is touched.
    const lists = o.tagLists.map((f) => ({ file: f, list: readTagList(f) }));
    this.hooks.state('connecting');
    const s = await this.open();
    this.session = s;
    try {
      const m = await loadClient();
      const nsArray = await this.namespaceArray(s);
      const entries: Array<TagListEntry & { samplingMs: number; origin: NameOrigin }> = [];
      for (const { file, list } of lists) {
        for (const t of list.tags) {
          let nodeId = t.nodeId;
          if (t.namespaceUri !== undefined) {
            const idx = nsArray.indexOf(t.namespaceUri);
            if (idx >= 0) nodeId = `ns=${idx};${splitNodeId(nodeIdText(m.coerceNodeId(t.nodeId))).ident}`;
            else this.hooks.warn(`${o.id}: tag ${t.name}: the server has no namespace ${t.namespaceUri}; using ${t.nodeId} as written`);
          }
          entries.push({
            ...t,
            nodeId: nodeIdText(m.coerceNodeId(nodeId)),
            samplingMs: t.samplingInterval ?? o.samplingMs,
            origin: { kind: 'list', file },
          });
        }
      }
      // Nodes: resolved (and checked to exist) on the server; names from paths and string ids.
      const resolved: Array<{ input: string; nodeId: string; path?: string }> = [];
      for (const input of o.nodes) {
        const r = await resolveNode(s.session, input, '--node').catch((err: unknown) =>
          Promise.reject(err instanceof IiotError ? err : s.explain(err, 'read')),
        );
        resolved.push({ input, nodeId: r.nodeId, ...(r.ref.kind === 'path' ? { path: r.ref.text } : {}) });
      }
      if (resolved.length) {
        const attrs = await readAttributes(
          s.session,
          resolved.map((r) => r.nodeId),
          this.limits,
        ).catch((err: unknown) => Promise.reject(s.explain(err, 'read')));
        resolved.forEach((r, i) => {
          const a = attrs[i]!;
          if (a.nodeClass !== undefined && a.nodeClass !== 'Variable')
            throw usageError(
              `--node ${r.input} is ${a.nodeClass === 'Object' ? 'an' : 'a'} ${a.nodeClass}, not a variable`,
              `record a variable, or every variable below it with --subtree ${r.input}`,
            );
          const ident = splitNodeId(r.nodeId).ident;
          const origin: NameOrigin =
            r.path !== undefined ? { kind: 'path' } : ident.startsWith('s=') ? { kind: 'string' } : { kind: 'browseName' };
          const name =
            r.path !== undefined
              ? tagNameFromPath(r.path)
              : ident.startsWith('s=')
                ? ident.slice(2)
                : (a.browseName?.replace(/^\d+:/, '') ?? r.nodeId);
          entries.push({
            name,
            origin,
            nodeId: r.nodeId,
            ...(a.dataType !== undefined ? { dataType: a.dataType } : {}),
            ...(a.unit !== undefined ? { unit: a.unit } : {}),
            ...(a.range !== undefined ? { range: a.range } : {}),
            ...(a.description !== undefined ? { description: a.description } : {}),
            ...(r.path !== undefined ? { path: r.path } : {}),
            samplingMs: o.samplingMs,
          });
        });
      }
      // Subtrees: crawled; their data variables, named by browse path.
      for (const input of o.subtrees) {
        const root = await resolveNode(s.session, input, '--subtree').catch((err: unknown) =>
          Promise.reject(err instanceof IiotError ? err : s.explain(err, 'browse')),
        );
        const result = await crawl(s.session, {
          roots: [root.nodeId],
          attributes: true,
          limits: this.limits,
          connectionLost: () => s.lost() !== undefined,
        }).catch((err: unknown) => Promise.reject(err instanceof IiotError ? err : s.explain(err, 'browse')));
        if (!result.complete)
          throw s.explain(new Error(`the crawl of ${input} stopped early: ${result.partialReason ?? 'unknown reason'}`), 'browse');
        const rootPath = await pathOf(s.session, root.nodeId).catch(() => input);
        const paths = browsePaths(result, new Map(result.roots.map((i) => [i, rootPath])));
        const list = toTagList(result, paths, {}, s.url, { unique: false });
        if (list.tags.length === 0) throw usageError(`--subtree ${input}: no data variables below it`, '`iiot browse` shows what is there');
        for (const t of list.tags) entries.push({ ...t, samplingMs: o.samplingMs, origin: { kind: 'path' } });
      }
      if (entries.length === 0)
        throw usageError(
          `${o.connect.target.url}: nothing to record`,
          'name variables with --node, --subtree or --tags (a tag list from `iiot browse --tags`)',
        );
      // The same node twice is recorded once (a tag list's name first), keeping the browse path one
      // of them was asked by (a reader that asked by path finds the tag by it, as by node id); names
      // are unique per source (tag-names.ts).
      const byNode = new Map<string, (typeof entries)[number]>();
      for (const e of entries) {
        const kept = byNode.get(e.nodeId);
        if (!kept) byNode.set(e.nodeId, e);
        else if (kept.path === undefined && e.path !== undefined) kept.path = e.path;
      }
      const { nodes: unique, renamed } = await uniqueNodeNames([...byNode.values()], (id) => pathOf(s.session, id).catch(() => undefined));
      for (const line of describeRenamings(o.id, renamed)) this.hooks.warn(line);
      this.items = unique.map((e) => {
        const { ns, ident } = splitNodeId(e.nodeId);
        const uri = ns > 0 ? (nsArray[ns] ?? e.namespaceUri) : undefined;
        return { tag: `${o.tagPrefix ?? ''}${e.name}`, uri, ident, ns, samplingMs: e.samplingMs, nodeId: e.nodeId };
      });
      this.tags = unique.map((e, i) => {
        const {
          name,
          nodeId,
          namespaceUri: _u,
          dataType,
          unit,
          range,
          description,
          samplingInterval: _s,
          samplingMs: _m,
          origin: _o,
          ...rest
        } = e;
        const uri = this.items[i]!.uri;
        const captureType = dataType !== undefined ? CAPTURE_TYPES[dataType] : undefined;
        return {
          ...rest,
          name: `${o.tagPrefix ?? ''}${name}`,
          source: o.id,
          address: nodeId,
          ...(uri !== undefined ? { namespaceUri: uri } : {}),
          ...(dataType !== undefined ? { dataType: captureType ?? 'json', opcuaType: dataType } : {}),
          ...(unit !== undefined ? { unit } : {}),
          ...(range !== undefined ? { range } : {}),
          ...(description !== undefined ? { description } : {}),
        };
      });
      this.hooks.state('connected', s.url);
    } catch (err) {
      this.session = undefined;
      await s.close();
      throw err;
    }
  }

  prefixTags(prefix: string): void {
    for (const it of this.items) it.tag = `${prefix}${it.tag}`;
    for (const t of this.tags) t.name = `${prefix}${t.name}`;
  }

  private async namespaceArray(s: OpcUaSession): Promise<string[]> {
    const m = await loadClient();
    const dv = await s.session.read({ nodeId: m.makeNodeId(m.VariableIds.Server_NamespaceArray, 0), attributeId: m.AttributeIds.Value });
    return (dv.value.value as string[] | null) ?? [];
  }

  /** Node ids for this session: the URI's current index, else the index last used. */
  private async remap(s: OpcUaSession): Promise<void> {
    const nsArray = await this.namespaceArray(s);
    for (const it of this.items) {
      if (it.uri !== undefined) {
        const idx = nsArray.indexOf(it.uri);
        if (idx >= 0) it.ns = idx;
      }
      it.nodeId = it.ns === 0 ? it.ident : `ns=${it.ns};${it.ident}`;
    }
  }

  async start(sink: SampleSink): Promise<void> {
    this.sink = sink;
    const o = this.o;
    sink.event('start', Date.now(), {
      source: o.id,
      message: `${o.history ? 'history, then ' : ''}${o.pollMs !== undefined ? `polling ${this.items.length} variables every ${o.pollMs} ms` : `subscribed to ${this.items.length} variables (sampling ${o.samplingMs} ms, publishing ${o.publishingMs} ms)`}`,
    });
    const s = this.session!;
    if (o.history) {
      await this.backfill(s, o.history.from, o.history.to ?? Date.now());
      if (o.history.to !== undefined) {
        this.done = Promise.resolve();
        return;
      }
    }
    await this.begin(s);
  }

  finished(): Promise<void> {
    return this.done ?? new Promise<void>(() => undefined);
  }

  private async backfill(s: OpcUaSession, from: number, to: number): Promise<void> {
    const byNode = new Map(this.items.map((it) => [it.nodeId, it]));
    const summaries = await readHistory(
      s.session,
      this.items.map((it) => it.nodeId),
      {
        from: new Date(from),
        to: new Date(to),
        limits: this.limits,
        signal: this.ac.signal,
        onValues: (nodeId, values) => {
          const it = byNode.get(nodeId);
          if (!it) return;
          for (const r of values) {
            this.counters.historyValues++;
            const t = this.deliverReading(it, r);
            if (t > (this.historyUntil.get(it.tag) ?? -Infinity)) this.historyUntil.set(it.tag, t);
          }
        },
      },
    ).catch((err: unknown) => Promise.reject(s.explain(err, 'history')));
    for (const sum of summaries) {
      const it = byNode.get(sum.nodeId);
      if (sum.status) this.hooks.warn(`${it?.tag ?? sum.nodeId}: ${noHistoryWords(sum.status) ?? `no history (${sum.status})`}`);
      else if (sum.truncated) this.hooks.warn(`${it?.tag ?? sum.nodeId}: history ${sum.truncated}`);
    }
    this.sink?.event('note', Date.now(), {
      source: this.o.id,
      message: `history from ${new Date(from).toISOString()} to ${new Date(to).toISOString()}: ${this.counters.historyValues} values`,
    });
  }

  /** Subscription (or polling) on an open session. */
  private async begin(s: OpcUaSession): Promise<void> {
    if (this.o.pollMs !== undefined) {
      this.loop = this.poll(s);
      return;
    }
    await this.subscribe(s);
  }

  private async subscribe(s: OpcUaSession): Promise<void> {
    const m = await loadClient();
    const o = this.o;
    const keepAlive = Math.max(2, Math.ceil(10_000 / Math.max(1, o.publishingMs)));
    const sub = m.ClientSubscription.create(s.session, {
      requestedPublishingInterval: o.publishingMs,
      requestedMaxKeepAliveCount: keepAlive,
      requestedLifetimeCount: keepAlive * 6,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    this.sub = sub;
    await new Promise<void>((resolve, reject) => {
      sub.once('started', () => resolve());
      sub.once('internal_error', (err: Error) => reject(s.explain(err, 'subscribe')));
    });
    // A publish response at a time: every DataChangeNotification in it, in order.
    sub.on('raw_notification', (msg: { notificationData?: unknown[] | null }) => {
      const sink = this.sink;
      if (!sink) return;
      const now = Date.now();
      for (const nd of msg.notificationData ?? []) {
        const items = (nd as { monitoredItems?: Array<{ clientHandle: number; value: DataValue }> | null }).monitoredItems;
        if (!items) continue;
        this.counters.notifications++;
        for (const mi of items) {
          const it = this.handles.get(mi.clientHandle);
          if (it) this.deliverValue(it, mi.value, now);
          else if (this.creating) this.early.push({ handle: mi.clientHandle, value: mi.value, now });
        }
      }
    });
    sub.on('status_changed', (status: { name?: string }) => {
      if (status.name === 'BadTimeout') this.lost(`${s.url}: the server closed the subscription (BadTimeout)`);
    });
    this.handles.clear();
    this.early = [];
    this.creating = true;
    try {
      await this.createItems(m, s, sub);
    } finally {
      this.creating = false;
      this.early = [];
    }
  }

  private async createItems(m: Awaited<ReturnType<typeof loadClient>>, s: OpcUaSession, sub: ClientSubscription): Promise<void> {
    const o = this.o;
    const filter =
      o.deadband === undefined
        ? undefined
        : new m.DataChangeFilter({
            trigger: m.DataChangeTrigger.StatusValue,
            deadbandType: o.deadband.kind === 'absolute' ? m.DeadbandType.Absolute : m.DeadbandType.Percent,
            deadbandValue: o.deadband.value,
          });
    let per = o.maxItemsPerCall ?? effective(this.limits.maxMonitoredItemsPerCall, DEFAULT_CAPS.monitoredItemsPerCall);
    const groups = new Map<number, Item[]>();
    for (const it of this.items) groups.set(it.samplingMs, [...(groups.get(it.samplingMs) ?? []), it]);
    for (const [samplingMs, items] of groups) {
      for (let i = 0; i < items.length; ) {
        const chunk = items.slice(i, i + per);
        let group;
        try {
          this.counters.createCalls++;
          group = await sub.monitorItems(
            chunk.map((it) => ({ nodeId: it.nodeId, attributeId: m.AttributeIds.Value })),
            { samplingInterval: samplingMs, queueSize: o.queueSize, discardOldest: true, ...(filter ? { filter } : {}) },
            m.TimestampsToReturn.Both,
          );
        } catch (err) {
          if (/BadTooManyOperations/.test(String(err)) && per > 1) {
            per = Math.max(1, Math.floor(per / 2));
            this.hooks.debug(`${o.id}: the server refused ${chunk.length} monitored items in one call; trying ${per}`);
            continue;
          }
          throw s.explain(err, 'subscribe');
        }
        group.monitoredItems.forEach((mi, k) => {
          const it = chunk[k]!;
          const status = mi.statusCode;
          if (status && !status.isGood()) {
            this.counters.badItems++;
            const why =
              /Filter/.test(status.name) && o.deadband?.kind === 'percent'
                ? `${status.name}: a percent deadband needs an EURange on the variable; use an absolute deadband for it`
                : status.name;
            this.hooks.tagError(it.tag, why);
            this.hooks.warn(`${it.tag} (${it.nodeId}): the server refused to monitor it: ${why}`);
            return;
          }
          this.counters.itemsCreated++;
          this.handles.set(mi.monitoringParameters.clientHandle, it);
        });
        this.deliverEarly();
        i += chunk.length;
      }
    }
  }

  /** Notifications that came before their items were known, for the items known now, in order. */
  private deliverEarly(): void {
    if (this.early.length === 0 || !this.sink) return;
    const later: typeof this.early = [];
    for (const e of this.early) {
      const it = this.handles.get(e.handle);
      if (it) this.deliverValue(it, e.value, e.now);
      else later.push(e);
    }
    this.early = later;
  }

  private async poll(s: OpcUaSession): Promise<void> {
    const signal = this.ac.signal;
    const every = this.o.pollMs!;
    let next = performance.now();
    while (!signal.aborted && this.session === s && s.lost() === undefined) {
      try {
        this.counters.reads++;
        const readings = await readValues(
          s.session,
          this.items.map((it) => it.nodeId),
          this.limits,
        );
        readings.forEach((r, i) => this.deliverReading(this.items[i]!, r));
      } catch (err) {
        if (signal.aborted) return;
        this.lost(`${s.url}: ${(err as Error).message.split('\n')[0]}`);
        return;
      }
      next += every;
      const now = performance.now();
      if (next < now) next = now;
      await sleep(next - now, signal);
    }
  }

  private deliverValue(it: Item, dv: DataValue, now: number): void {
    const sink = this.sink!;
    const code = dv.statusCode;
    const good = code.value === 0;
    const st = dv.sourceTimestamp;
    const svt = dv.serverTimestamp;
    const t = st ?? svt ?? new Date(now);
    const tms = t.getTime();
    const until = this.historyUntil.get(it.tag);
    if (until !== undefined && tms <= until) return;
    this.outages.data(now);
    this.counters.values++;
    const value = dv.value && dv.value.dataType !== 0 ? variantToJson(dv.value) : null;
    sink.sample(it.tag, t, value, { ...(good ? {} : { q: code.name }), ...(svt ? { svt: svt.toISOString() } : {}) });
  }

  private deliverReading(it: Item, r: ValueReading): number {
    const sink = this.sink!;
    const t = r.sourceTimestamp ?? r.serverTimestamp ?? new Date().toISOString();
    this.outages.data();
    this.counters.values++;
    sink.sample(it.tag, t, r.value, {
      ...(r.status === 'Good' ? {} : { q: r.status }),
      ...(r.serverTimestamp ? { svt: r.serverTimestamp } : {}),
    });
    return Date.parse(t);
  }

  private lost(reason: string): void {
    if (this.ac.signal.aborted || this.outages.isDown) return;
    this.outages.down(reason);
    this.reconnecting ??= this.reconnect().finally(() => (this.reconnecting = undefined));
  }

  private async reconnect(): Promise<void> {
    const old = this.session;
    this.session = undefined;
    const sub = this.sub;
    this.sub = undefined;
    this.handles.clear();
    await sub?.terminate().catch(() => undefined);
    await old?.close().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    const backoff = new Backoff({ maxMs: this.o.reconnectMaxMs });
    const signal = this.ac.signal;
    while (!signal.aborted) {
      await sleep(backoff.next(), signal);
      if (signal.aborted) return;
      let s: OpcUaSession | undefined;
      try {
        s = await this.open();
        if (signal.aborted) {
          await s.close();
          return;
        }
        await this.remap(s);
        this.session = s;
        // the gap ends here: the subscription's first values come after this in the file
        this.counters.reconnects++;
        this.outages.up(`reconnected to ${s.url} after ${backoff.attempts} attempt${backoff.attempts === 1 ? '' : 's'}`);
        try {
          await this.begin(s);
        } catch (err) {
          this.outages.down(`${s.url}: ${(err as Error).message.split('\n')[0]}`);
          throw err;
        }
        return;
      } catch (err) {
        this.hooks.debug(`${this.o.id}: reconnect failed: ${(err as Error).message.split('\n')[0]}`);
        const sub2 = this.sub as ClientSubscription | undefined;
        this.sub = undefined;
        await sub2?.terminate().catch(() => undefined);
        this.session = undefined;
        await s?.close().catch(() => undefined);
      }
    }
  }

  stats(): Record<string, number> {
    return { ...this.counters, monitoredItems: this.handles.size, outages: this.outages.outages };
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.reconnecting?.catch(() => undefined);
    const sub = this.sub;
    this.sub = undefined;
    this.sink = undefined;
    await sub?.terminate().catch(() => undefined);
    await this.loop?.catch(() => undefined);
    const s = this.session;
    this.session = undefined;
    await s?.close().catch(() => undefined);
    this.hooks.state('stopped');
  }
}
