import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listChildren } from '../../../src/protocols/opcua/browse-path.js';
import { crawl, type CrawlResult } from '../../../src/protocols/opcua/crawler.js';
import { euUnit } from '../../../src/protocols/opcua/eu-units.js';
import { browsePaths, csvLines, toTagList } from '../../../src/protocols/opcua/export.js';
import type { Pki } from '../../../src/protocols/opcua/pki.js';
import { readHistory, readValues } from '../../../src/protocols/opcua/read.js';
import type { OpcUaSession } from '../../../src/protocols/opcua/session.js';
import { clientPki, connect, startOpcUaPlant, type TestPlant, removeTempDirs } from '../../helpers/opcua-plant.js';

afterAll(removeTempDirs);

const EXTRA = 2500;
// Tiny limits: 5 nodes per Browse and Read, 2 continuation points per session, and at most 10
// references per node in one answer (so every folder of 1000 variables takes 100 pages).
const TINY = {
  maxNodesPerBrowse: 5,
  maxNodesPerRead: 5,
  maxBrowseContinuationPoints: 2,
  maxReferencesPerNode: 10,
  maxNodesPerHistoryReadData: 2,
};

/** The synthetic nodes the plant makes, by its documented naming: computed, not crawled. */
function expectedSynthetic(ns: number, count: number): Set<string> {
  const ids = new Set([`ns=${ns};s=synthetic`]);
  for (let g = 1; g <= Math.ceil(count / 1000); g++) ids.add(`ns=${ns};s=synthetic.g${String(g).padStart(4, '0')}`);
  for (let i = 0; i < count; i++) {
    const g = Math.floor(i / 1000) + 1;
    const v = (i % 1000) + 1;
    ids.add(`ns=${ns};s=synthetic.g${String(g).padStart(4, '0')}.v${String(v).padStart(5, '0')}`);
  }
  return ids;
}

/** The plainest possible crawl: one node at a time, every continuation point followed in turn. */
async function naiveCrawl(s: OpcUaSession, root: string): Promise<Set<string>> {
  const seen = new Set([root]);
  const queue = [root];
  while (queue.length) {
    const id = queue.shift()!;
    for (const c of await listChildren(s.session, id)) {
      if (!seen.has(c.nodeId)) {
        seen.add(c.nodeId);
        queue.push(c.nodeId);
      }
    }
  }
  return seen;
}

function ids(r: CrawlResult): Set<string> {
  return new Set(r.nodes.map((n) => n.nodeId));
}

describe('the crawler under tiny operation limits (5 nodes per request, 2 continuation points)', () => {
  let t: TestPlant;
  let pki: Pki;
  let s: OpcUaSession;
  let ns: number;
  beforeAll(async () => {
    pki = clientPki();
    t = await startOpcUaPlant({ nodesets: ['standard', 'di', 'ia', 'machinery'], extraNodes: EXTRA, limits: TINY });
    ns = t.plant.opcua!.namespaceIndex;
    s = await connect(t.url, pki, { securityMode: 'None' });
  });
  afterAll(async () => {
    await s?.close();
    await t?.stop();
  });

  it('finds exactly the synthetic nodes the server holds, following every continuation point', async () => {
    const r = await crawl(s.session, { roots: [`ns=${ns};s=synthetic`] });
    expect(r.complete).toBe(true);
    expect(r.problems).toEqual([]);
    const expected = expectedSynthetic(ns, EXTRA);
    const got = ids(r);
    expect(r.nodes.length).toBe(got.size); // each node once
    expect([...expected].filter((x) => !got.has(x))).toEqual([]);
    expect([...got].filter((x) => !expected.has(x))).toEqual([]);
    // The server's limits were read and kept: no request was refused and halved.
    expect(r.limits.maxNodesPerBrowse).toBe(5);
    expect(r.limits.maxBrowseContinuationPoints).toBe(2);
    expect(r.batch.nodesPerBrowse).toBe(5);
    expect(r.batch.nodesPerRead).toBe(5);
    // 1000 children per group, 10 per answer: 99 BrowseNext pages per group at least.
    expect(r.stats.continuationPointsFollowed).toBeGreaterThanOrEqual(99 * Math.floor(EXTRA / 1000));
    // Every variable's attributes arrived despite 5 per Read.
    const vars = r.nodes.filter((n) => n.nodeClass === 'Variable');
    expect(vars).toHaveLength(EXTRA);
    expect(vars.every((n) => n.dataType === 'Double' && n.accessLevel === 1)).toBe(true);
  });

  it('crawls the whole address space (nodesets + plant + synthetic) exactly as a one-node-at-a-time crawl does', async () => {
    const batched = await crawl(s.session, { roots: ['i=84'] });
    expect(batched.complete).toBe(true);
    expect(batched.problems).toEqual([]);
    const naive = await naiveCrawl(s, 'i=84');
    const got = ids(batched);
    expect(batched.nodes.length).toBe(got.size);
    expect([...naive].filter((x) => !got.has(x))).toEqual([]);
    expect([...got].filter((x) => !naive.has(x))).toEqual([]);
    expect(got.size).toBeGreaterThan(EXTRA + 3000);
    // Nodes reachable from several parents appear once, with the others noted.
    expect(batched.nodes.some((n) => (n.otherParents?.length ?? 0) > 0)).toBe(true);
  });

  it('finds every plant variable with its unit and range', async () => {
    const r = await crawl(s.session, { roots: [`ns=${ns};s=Plant`] });
    const byId = new Map(r.nodes.map((n) => [n.nodeId, n]));
    const tags = t.plant.tags.filter((tag) => tag.opcua);
    expect(tags.length).toBeGreaterThan(10);
    for (const tag of tags) {
      const n = byId.get(tag.opcua!);
      expect(n, tag.name).toBeDefined();
      if (tag.unit) expect(n!.unit, tag.name).toBe(euUnit(tag.unit).symbol);
      if (tag.range) expect(n!.range, tag.name).toEqual([...tag.range]);
    }
    // As a tag list: data variables only (no EngineeringUnits/EURange properties), names from paths.
    const list = toTagList(r, browsePaths(r, new Map([[0, '/Objects/5:Plant']])), {}, t.url);
    const listed = new Set(list.tags.map((x) => x.nodeId));
    expect(tags.filter((x) => !listed.has(x.opcua!)).map((x) => x.name)).toEqual([]);
    expect(list.tags.some((x) => /EngineeringUnits|EURange/.test(x.path ?? ''))).toBe(false);
    expect(list.tags.every((x) => x.name.startsWith('Plant.'))).toBe(true);
  });

  it('releases its continuation points when stopped, so the same session crawls again exactly', async () => {
    const ac = new AbortController();
    const first = await crawl(s.session, {
      roots: [`ns=${ns};s=synthetic`],
      signal: ac.signal,
      onProgress: (p) => {
        if (p.nodes > 1500) ac.abort();
      },
    });
    expect(first.complete).toBe(false);
    expect(first.partialReason).toBe('interrupted');
    // With 2 continuation points per session, one leaked point would starve the next crawl.
    const second = await crawl(s.session, { roots: [`ns=${ns};s=synthetic`] });
    expect(second.complete).toBe(true);
    expect(second.problems).toEqual([]);
    expect(ids(second)).toEqual(expectedSynthetic(ns, EXTRA));
  });

  it("reads many values in batches of the server's MaxNodesPerRead", async () => {
    const tags = t.plant.tags.filter((x) => x.opcua).map((x) => x.opcua!);
    const values = await readValues(s.session, tags, { maxNodesPerRead: 5 });
    expect(values).toHaveLength(tags.length);
    expect(values.every((v) => v.status === 'Good' && v.sourceTimestamp !== undefined && v.serverTimestamp !== undefined)).toBe(true);
  });
});

describe('a server that goes away mid-crawl', () => {
  it('keeps what was crawled, says it is partial, and the exports say so too', async () => {
    const t = await startOpcUaPlant({ extraNodes: 5000, limits: { maxNodesPerBrowse: 5, maxReferencesPerNode: 10 } });
    const s = await connect(t.url, clientPki(), { securityMode: 'None' });
    let stopping: Promise<void> | undefined;
    try {
      const r = await crawl(s.session, {
        roots: ['i=84'],
        onProgress: (p) => {
          if (p.nodes > 300 && !stopping) stopping = t.stop();
        },
      });
      expect(r.complete).toBe(false);
      expect(r.partialReason).toBeTruthy();
      expect(r.nodes.length).toBeGreaterThan(300);
      expect(r.nodes.length).toBeLessThan(t.plant.opcua!.nodeCount);
      const csv = [...csvLines(r, browsePaths(r, new Map()), {})];
      expect(csv[0]).toBe('node_id,browse_path,node_class,data_type,unit,access,display_name,eu_low,eu_high');
      expect(csv.at(-1)).toMatch(/^# PARTIAL: /);
      expect(toTagList(r, browsePaths(r, new Map()), {}, t.url).partial).toBe(true);
    } finally {
      await stopping;
      await s.close();
      await t.stop();
    }
  });
});

describe('history', () => {
  it('reads raw history through continuation points: exactly the backfilled values, once, in order', async () => {
    const t = await startOpcUaPlant({ historyBackfillMs: 3_600_000, historyStepMs: 10_000 });
    const s = await connect(t.url, clientPki(), { securityMode: 'None' });
    try {
      // The plant backfills one value every 10 s over the hour before its start; away from both
      // ends of that hour the values present are known without asking the server.
      const start = t.plant.clock.modelStart;
      const from = start - 3_600_000 + 20_000;
      const to = start - 60_000;
      const expected: string[] = [];
      for (let x = Math.ceil(from / 10_000) * 10_000; x <= to; x += 10_000) expected.push(new Date(x).toISOString());
      const power = t.plant.opcua!.nodeId('plant.power');
      const energy = t.plant.opcua!.nodeId('plant.energy');
      const got = new Map<string, string[]>();
      const summaries = await readHistory(s.session, [power, energy], {
        from: new Date(from),
        to: new Date(to),
        valuesPerRequest: 25,
        limits: { maxNodesPerHistoryReadData: 1 },
        onValues: (id, vs) => got.set(id, [...(got.get(id) ?? []), ...vs.map((v) => v.sourceTimestamp!)]),
      });
      for (const id of [power, energy]) {
        const sum = summaries.find((x) => x.nodeId === id)!;
        expect(sum.status).toBeUndefined();
        expect(sum.truncated).toBeUndefined();
        expect(got.get(id)).toEqual(expected);
        expect(sum.values).toBe(expected.length);
        // 25 values per answer: the rest came through continuation points.
        expect(sum.requests).toBeGreaterThanOrEqual(Math.ceil(expected.length / 25));
      }
    } finally {
      await s.close();
      await t.stop();
    }
  });

  it('stops at --max-values and releases the continuation point', async () => {
    const t = await startOpcUaPlant({ historyBackfillMs: 600_000, historyStepMs: 10_000 });
    const s = await connect(t.url, clientPki(), { securityMode: 'None' });
    try {
      const power = t.plant.opcua!.nodeId('plant.power');
      const start = t.plant.clock.modelStart;
      let n = 0;
      const [sum] = await readHistory(s.session, [power], {
        from: new Date(start - 600_000),
        to: new Date(start),
        valuesPerRequest: 10,
        maxValues: 15,
        onValues: (_id, vs) => void (n += vs.length),
      });
      expect(n).toBe(15);
      expect(sum!.truncated).toContain('--max-values 15');
    } finally {
      await s.close();
      await t.stop();
    }
  });
});
