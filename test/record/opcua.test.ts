import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOpcUaConnectOptions } from '../../src/protocols/opcua/flags.js';
import { freePort } from '../../src/protocols/listen.js';
import type { OpcUaSourceOptions } from '../../src/protocols/opcua/source.js';
import type { RecordOptions } from '../../src/record/types.js';
import { record } from '../../src/record/run.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor } from '../helpers/record-io.js';

const dir = tempDir('rec-opcua');
const serverPki = tempDir('rec-opcua-server');
const env = { IIOT_PKI_DIR: tempDir('rec-opcua-client') };
let port: number;
let plant: RunningPlant;
let url: string;

function startServer(): Promise<RunningPlant> {
  return startPlant({
    modbus: false,
    mqtt: false,
    updateIntervalMs: 100,
    opcua: {
      port,
      nodesets: ['standard'],
      historyBackfillMs: 600_000,
      historyStepMs: 10_000,
      pkiDir: serverPki,
      limits: { maxMonitoredItemsPerCall: 7 },
    },
  });
}

beforeAll(async () => {
  port = await freePort('127.0.0.1');
  plant = await startServer();
  url = plant.endpoints.opcua!;
});
afterAll(async () => {
  await plant?.stop();
  removeTempDirs();
});

type Src = Partial<Omit<OpcUaSourceOptions, 'pki' | 'sessionIO' | 'reconnectMaxMs'>>;

function options(output: string, src: Src, extra: Partial<RecordOptions> = {}): RecordOptions {
  return {
    output,
    force: false,
    flushIntervalMs: 50,
    metadata: {},
    reconnectMaxMs: 500,
    live: false,
    sources: [
      {
        protocol: 'opcua',
        options: {
          id: 'plc',
          connect: parseOpcUaConnectOptions(url, { securityMode: 'None', timeout: '10s' }),
          nodes: [],
          subtrees: [],
          tagLists: [],
          samplingMs: 100,
          publishingMs: 100,
          queueSize: 10,
          ...src,
        },
      },
    ],
    ...extra,
  };
}

describe('recording OPC UA', () => {
  it('node ids, browse paths and tag lists (found again by namespace URI), with source and server timestamps', async () => {
    const list = join(dir, 'line.tags');
    // a stale namespace index (9): the URI says where the node really is
    writeFileSync(
      list,
      'format: iiot-tags/1\ntags:\n  - name: Incomer.Power\n    nodeId: ns=9;s=plant.power\n    namespaceUri: urn:iiot:sim:plant\n    unit: kW\n',
    );
    const out = join(dir, 'nodes.jsonl');
    const r = await record(
      testIO({}, env).io,
      options(
        out,
        { nodes: [plant.opcua!.nodeId('pump1.vibration'), '/Objects/Plant/Pump1/BearingTemperature'], tagLists: [list] },
        { count: 12 },
      ),
    );
    expect(r.stopped).toBe('count');
    const back = await readCapture(out);
    const tags = new Map(back.header.tags.map((t) => [t.name, t]));
    expect([...tags.keys()].sort()).toEqual(['Incomer.Power', 'Plant.Pump1.BearingTemperature', 'pump1.vibration']);
    const ns = plant.opcua!.namespaceIndex;
    expect(tags.get('Incomer.Power')).toMatchObject({
      address: `ns=${ns};s=plant.power`,
      namespaceUri: 'urn:iiot:sim:plant',
      unit: 'kW',
      source: 'plc',
    });
    expect(tags.get('pump1.vibration')).toMatchObject({
      address: `ns=${ns};s=pump1.vibration`,
      namespaceUri: 'urn:iiot:sim:plant',
      opcuaType: 'Double',
      dataType: 'float64',
      unit: 'mm/s',
    });
    expect(tags.get('Plant.Pump1.BearingTemperature')).toMatchObject({ path: '/Objects/Plant/Pump1/BearingTemperature', unit: '°C' });
    for (const s of back.samples) {
      expect(typeof s.v).toBe('number');
      expect(s.q).toBeUndefined();
      expect(Date.parse(s.svt!)).not.toBeNaN();
    }
    expect(new Set(back.samples.map((s) => s.tag)).size).toBe(3);
  });

  it("a subtree, its monitored items created in calls the server's MaxMonitoredItemsPerCall (7) allows", async () => {
    const out = join(dir, 'subtree.jsonl');
    // until every variable has a value (a condition, not a time)
    const ac = new AbortController();
    const done = record(testIO({}, env).io, options(out, { subtrees: ['/Objects/Plant'] }), { signal: ac.signal, handleSignals: false });
    await waitFor(() => {
      try {
        const tags = new Set([...readFileSync(out, 'utf8').matchAll(/"tag":"([^"]+)"/g)].map((m) => m[1]));
        return tags.size >= 40;
      } catch {
        return false;
      }
    }, 100);
    ac.abort();
    const r = await done;
    const back = await readCapture(out);
    const n = back.header.tags.length;
    expect(n).toBe(40);
    const stats = r.sources[0]!.stats;
    expect(stats.itemsCreated).toBe(n);
    expect(stats.createCalls).toBe(Math.ceil(n / 7));
    expect(new Set(back.samples.map((s) => s.tag)).size).toBe(n);
  });

  it('a percent deadband needs an EURange: variables without one are reported per tag, the others recorded', async () => {
    const out = join(dir, 'deadband.jsonl');
    const io = testIO({}, env);
    const r = await record(
      io.io,
      options(
        out,
        { nodes: [plant.opcua!.nodeId('pump1.running'), plant.opcua!.nodeId('pump1.speed')], deadband: { kind: 'percent', value: 0.001 } },
        { count: 3 },
      ),
    );
    expect(r.stats.tags.get('pump1.running')!.errors).toBe(1);
    expect(r.stats.tags.get('pump1.running')!.lastError).toMatch(/percent deadband needs an EURange/);
    expect(io.stderr()).toMatch(/pump1\.running \(ns=\d+;s=pump1\.running\): the server refused to monitor it/);
    const back = await readCapture(out);
    expect(new Set(back.samples.map((s) => s.tag))).toEqual(new Set(['pump1.speed']));
  });

  it('--poll reads instead of subscribing', async () => {
    const out = join(dir, 'poll.jsonl');
    const r = await record(testIO({}, env).io, options(out, { nodes: [plant.opcua!.nodeId('plant.power')], pollMs: 50 }, { count: 5 }));
    expect(r.sources[0]!.stats.reads).toBeGreaterThanOrEqual(5);
    expect(r.sources[0]!.stats.itemsCreated).toBe(0);
    expect((await readCapture(out)).samples).toHaveLength(5);
  });

  it("--history --from --to backfills from the server's history and stops when it is read", async () => {
    const out = join(dir, 'history.jsonl');
    const to = Date.now() - 60_000;
    const from = to - 5 * 60_000;
    const r = await record(
      testIO({}, env).io,
      options(out, { nodes: [plant.opcua!.nodeId('pump1.vibration'), plant.opcua!.nodeId('plant.energy')], history: { from, to } }),
    );
    expect(r.stopped).toBe('done');
    const back = await readCapture(out);
    // one value every 10 s of history for each node
    for (const tag of ['pump1.vibration', 'plant.energy']) {
      const times = back.samples.filter((s) => s.tag === tag).map((s) => Date.parse(s.t));
      expect(times.length).toBeGreaterThanOrEqual(29);
      expect(Math.min(...times)).toBeGreaterThanOrEqual(from);
      expect(Math.max(...times)).toBeLessThanOrEqual(to);
    }
    expect(back.events.some((e) => e.event === 'note' && /history from/.test(e.message ?? ''))).toBe(true);
  });

  it('the server stopped and started again mid-recording: a gap, a reconnect, and samples on both sides', async () => {
    const out = join(dir, 'restart.jsonl');
    const ac = new AbortController();
    const lines = () => {
      try {
        return readFileSync(out, 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Record<string, unknown>);
      } catch {
        return [];
      }
    };
    const done = record(testIO({}, env).io, options(out, { nodes: [plant.opcua!.nodeId('plant.power')] }), {
      signal: ac.signal,
      handleSignals: false,
    });
    try {
      await waitFor(() => lines().filter((l) => l.tag).length >= 3);
      await plant.stop();
      await waitFor(() => lines().some((l) => l.event === 'disconnect'));
      plant = await startServer();
      const before = lines().filter((l) => l.tag).length;
      await waitFor(() => lines().some((l) => l.event === 'reconnect') && lines().filter((l) => l.tag).length >= before + 3);
    } finally {
      ac.abort();
      await done;
    }
    const back = await readCapture(out);
    const kinds = back.events.map((e) => e.event);
    expect(kinds).toEqual(expect.arrayContaining(['start', 'disconnect', 'gap', 'reconnect', 'stop']));
    expect(kinds.indexOf('gap')).toBeGreaterThan(kinds.indexOf('disconnect'));
    const gap = back.events.find((e) => e.event === 'gap')!;
    expect(Date.parse(gap.from!)).toBeLessThan(Date.parse(gap.to!));
    // in file order: samples before the disconnect, none between it and the reconnect, samples after
    const at = (kind: string) => back.records.findIndex((r) => 'event' in r && r.event === kind);
    const sampleAt = back.records.map((r, i) => ('tag' in r ? i : -1)).filter((i) => i >= 0);
    expect(sampleAt.filter((i) => i < at('disconnect')).length).toBeGreaterThanOrEqual(3);
    expect(sampleAt.filter((i) => i > at('disconnect') && i < at('reconnect'))).toEqual([]);
    expect(sampleAt.filter((i) => i > at('reconnect')).length).toBeGreaterThanOrEqual(3);
  });
});
