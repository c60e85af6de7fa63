/**
 * The protocol registry (src/protocols/registry.ts) is complete and true: every protocol folder is
 * registered, every device URL scheme parseTarget accepts belongs to exactly one protocol, the
 * registry loads no protocol library, and every factory a protocol declares works against the
 * embedded plant for a smoke case. Adding a protocol without registering it, or declaring a
 * factory that does not work, fails here (docs/protocols.md says how to add one).
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CAPTURE_FORMAT, type CaptureHeader, type CaptureRecord, type TagInfo } from '../../src/capture/types.js';
import { parseLatencyOptions, parseSecurityOptions } from '../../src/checks/options.js';
import { parseTarget, type MqttTarget, type OpcUaTarget, type Target } from '../../src/core/targets.js';
import { parseDiscoverOptions } from '../../src/discovery/options.js';
import { runScan } from '../../src/discovery/scan.js';
import type { CheckTargetContext, SecurityAssessment } from '../../src/protocols/protocol.js';
import {
  DISCOVERABLE,
  discoveryFor,
  latencyFactory,
  PROTOCOLS,
  protocolFor,
  recordFactory,
  replayFactory,
  securityFactory,
  type RecordSpec,
  type ReplaySpec,
} from '../../src/protocols/registry.js';
import type { SourceHooks } from '../../src/protocols/source-base.js';
import type { SampleSink } from '../../src/protocols/types.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { importGraph, ROOT } from '../../scripts/import-graph.js';
import { captureIO } from '../helpers/io.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

const PROTOCOLS_DIR = join(ROOT, 'src', 'protocols');
const FACTORIES = ['record', 'replay', 'latency', 'security', 'discovery'] as const;

describe('the registry lists every protocol', () => {
  it('every folder under src/protocols/ is registered, and only those', () => {
    const folders = readdirSync(PROTOCOLS_DIR).filter((f) => statSync(join(PROTOCOLS_DIR, f)).isDirectory());
    expect(PROTOCOLS.map((p) => p.name).sort()).toEqual(folders.sort());
    for (const f of folders) expect(readdirSync(join(PROTOCOLS_DIR, f)), `src/protocols/${f}/index.ts`).toContain('index.ts');
  });

  it('every scheme parseTarget accepts belongs to one protocol, with its default port', () => {
    // The schemes parseTarget knows: the labels of its switch and the one it tests before it.
    const source = readFileSync(join(ROOT, 'src', 'core', 'targets.ts'), 'utf8');
    const body = source.slice(source.indexOf('export function parseTarget('), source.indexOf('function parseRtu('));
    const accepted = new Set([...body.matchAll(/case '([a-z.+-]+)':/g), ...body.matchAll(/scheme === '([a-z.+-]+)'/g)].map((m) => m[1]!));
    const registered = PROTOCOLS.flatMap((p) => p.schemes.map((s) => s.scheme));
    expect(new Set(registered).size, 'a scheme registered twice').toBe(registered.length);
    expect([...accepted].sort()).toEqual([...registered].sort());
    for (const p of PROTOCOLS) {
      for (const s of p.schemes) {
        const named = s.kind === 'modbus-rtu' ? `${s.scheme}:///dev/ttyUSB0` : `${s.scheme}://127.0.0.1:1502`;
        const t = parseTarget(named);
        expect(t.protocol, named).toBe(s.kind);
        expect(protocolFor(t).name, named).toBe(p.name);
        if (s.defaultPort !== undefined)
          expect((parseTarget(`${s.scheme}://127.0.0.1`) as { port: number }).port, `${s.scheme}:// default port`).toBe(s.defaultPort);
      }
    }
    expect(() => parseTarget('s7://127.0.0.1')).toThrow(/unknown scheme/);
  });

  it('looking a protocol up loads no protocol library (and no zod): factories import them when called', () => {
    const { edges } = importGraph(['src']);
    const reached = new Set(['src/protocols/registry.ts']);
    for (let grew = true; grew; ) {
      grew = false;
      for (const e of edges) {
        if (!e.lazy && !e.typeOnly && reached.has(e.from) && !reached.has(e.to)) {
          reached.add(e.to);
          grew = true;
        }
      }
    }
    const heavy = /^\s*import\s+(?!type\b)[^'"]*['"](node-opcua[^'"]*|mqtt|aedes|modbus-serial|serialport|protobufjs[^'"]*|zod)['"]/m;
    for (const file of reached) expect(heavy.exec(readFileSync(join(ROOT, file), 'utf8'))?.[1], file).toBeUndefined();
  });

  it('every protocol declares what its factories need', () => {
    for (const p of PROTOCOLS) {
      expect(p.title, p.name).not.toBe('');
      expect(p.schemes.length, p.name).toBeGreaterThan(0);
      if (p.record) expect([typeof p.record.create, typeof p.record.endpoint]).toEqual(['function', 'function']);
      if (p.replay) expect(typeof p.replay.create).toBe('function');
      if (p.latency) expect(typeof p.latency.plans).toBe('function');
      if (p.security) {
        expect(typeof p.security.assess).toBe('function');
        for (const k of p.security.kinds)
          expect(
            p.schemes.map((s) => s.kind),
            `${p.name} audits ${k}`,
          ).toContain(k);
      }
      if (p.discovery) {
        expect(Object.keys(p.discovery.marks).length, p.name).toBeGreaterThan(0);
        for (const k of Object.keys(p.discovery.kinds))
          expect(
            p.schemes.map((s) => s.kind),
            `${p.name} discovers ${k}`,
          ).toContain(k);
      }
      // a target kind that cannot be audited says why
      for (const s of p.schemes) if (!securityFactory(s.kind)) expect(p.notAudited?.[s.kind], `why ${s.kind} is not audited`).toBeTruthy();
    }
  });
});

// --- each factory against the embedded plant --------------------------------------------------------

let plant: RunningPlant;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  plant = await startPlant({
    opcua: { port: 0, historyBackfillMs: 0, pkiDir: tempDir('registry-server-pki') },
    modbus: { port: 0 },
    mqtt: { port: 0 },
    updateIntervalMs: 200,
  });
  env = { IIOT_PKI_DIR: tempDir('registry-client-pki') };
}, 60_000);

afterAll(async () => {
  await plant?.stop();
  removeTempDirs();
});

const modbusUrl = () => `${plant.endpoints.modbus!}?unit=1`;

/** Where each protocol's factories are tried: a device of the plant, and the options to ask it with. */
const SMOKE: Record<string, { url: () => string; record?: () => RecordSpec; replay?: () => ReplaySpec }> = {
  opcua: {
    url: () => plant.endpoints.opcua!,
    record: () => ({
      protocol: 'opcua',
      options: {
        id: 'plc',
        connect: {
          target: parseTarget(plant.endpoints.opcua!) as OpcUaTarget,
          securityMode: 'None',
          identity: { kind: 'anonymous' },
          trustOnFirstUse: false,
          timeoutMs: 10_000,
        },
        nodes: [plant.opcua!.nodeId('pump1.vibration')],
        subtrees: [],
        tagLists: [],
        samplingMs: 100,
        publishingMs: 100,
        queueSize: 10,
      },
    }),
    replay: () => ({
      kind: 'opcua',
      host: '127.0.0.1',
      port: 0,
      pkiDir: tempDir('registry-replay-pki'),
      acceptAnyClientCert: false,
      profile: 'default',
      trustLocalClient: false,
    }),
  },
  modbus: {
    url: modbusUrl,
    record: () => ({
      protocol: 'modbus',
      options: {
        id: 'meter',
        target: parseTarget(modbusUrl()) as Extract<Target, { protocol: 'modbus' }>,
        map: 'sdm630',
        registers: ['frequency'],
        intervalMs: 100,
        timeoutMs: 2000,
        maxGap: 10,
        maxRegisters: 125,
      },
    }),
    replay: () => ({ kind: 'modbus', host: '127.0.0.1', port: 0, map: 'sdm630', unit: 1 }),
  },
  mqtt: {
    url: () => plant.endpoints.mqtt!,
    record: () => ({
      protocol: 'mqtt',
      options: {
        id: 'broker',
        connect: { target: parseTarget(plant.endpoints.mqtt!) as MqttTarget, passwordEnv: 'IIOT_PASSWORD', timeoutMs: 5000 },
        topics: ['plant/#'],
        decoder: 'auto',
        jsonPaths: [],
        raw: false,
        qos: 0,
      },
    }),
    replay: () => ({ kind: 'mqtt', host: '127.0.0.1', port: 0, qos: 0, retain: false, topicPrefix: 'replayed', payload: 'json' }),
  },
  // a bare port: the plant's Modbus server
  tcp: { url: () => `tcp://127.0.0.1:${(parseTarget(plant.endpoints.modbus!) as { port: number }).port}` },
};

const smokeOf = (name: string) => {
  const s = SMOKE[name];
  if (!s) throw new Error(`protocol ${name} has no smoke case: add one to test/protocols/registry.test.ts`);
  return s;
};

const checkContext = (): CheckTargetContext => ({ io: captureIO({}, env).io, audit: () => undefined, pace: async () => undefined });

/** A TCP connection to host:port is accepted. */
function accepts(url: string): Promise<boolean> {
  const t = parseTarget(url) as { host: string; port: number };
  return new Promise((resolve) => {
    const s = connect(t.port, t.host, () => {
      s.destroy();
      resolve(true);
    }).on('error', () => resolve(false));
  });
}

describe('each factory works against the embedded plant', () => {
  it('record: a source of each protocol delivers samples', async () => {
    for (const p of PROTOCOLS.filter((x) => x.record)) {
      const spec = smokeOf(p.name).record?.();
      expect(spec, `a record smoke case for ${p.name}`).toBeDefined();
      expect(recordFactory(spec!).endpoint(spec!.options)).toBe(parseTarget(smokeOf(p.name).url()).url);
      const samples: string[] = [];
      const hooks: SourceHooks = {
        info: () => undefined,
        warn: () => undefined,
        debug: () => undefined,
        tagError: () => undefined,
        state: () => undefined,
        tagName: (r) => r.name,
      };
      const sink: SampleSink = {
        sample: (tag) => void samples.push(tag),
        event: () => undefined,
        addTags: () => undefined,
        write: () => undefined,
      };
      const source = await recordFactory(spec!).create(spec!.options, { io: captureIO({}, env).io, reconnectMaxMs: 500, hooks });
      try {
        await source.prepare();
        await source.start(sink);
        await waitFor(() => samples.length > 0);
      } finally {
        await source.stop();
      }
      expect(source.info.protocol.startsWith(p.name), `${source.info.protocol} from ${p.name}`).toBe(true);
    }
  });

  it('replay: a sink of each protocol serves a capture where a client can connect', async () => {
    const t = new Date().toISOString();
    const tags: TagInfo[] = [{ name: 'frequency', unit: 'Hz' }];
    const header: CaptureHeader = {
      type: 'header',
      format: CAPTURE_FORMAT,
      version: 1,
      created: t,
      tool: 'iiot test',
      sources: [],
      tags,
      metadata: {},
    };
    const records = [{ t, tag: 'frequency', v: 50 }] as CaptureRecord[];
    for (const p of PROTOCOLS.filter((x) => x.replay)) {
      const spec = smokeOf(p.name).replay?.();
      expect(spec, `a replay smoke case for ${p.name}`).toBeDefined();
      const { sink } = await replayFactory(spec!).create(spec!, {
        io: captureIO({}, env).io,
        warn: () => undefined,
        firstValue: new Map([['frequency', 50]]),
        rawSources: new Set(),
      });
      try {
        await sink.prepare(header, tags);
        await sink.apply(records);
        expect(protocolFor(parseTarget(sink.endpoint)).name, sink.endpoint).toBe(p.name);
        expect(await accepts(sink.endpoint), sink.endpoint).toBe(true);
      } finally {
        await sink.close();
      }
    }
  });

  it('latency: each protocol times a round trip of its own (tcp://: TCP connect only)', async () => {
    for (const p of PROTOCOLS.filter((x) => x.latency)) {
      const target = parseTarget(smokeOf(p.name).url());
      const o = parseLatencyOptions([target.url], { securityMode: 'None', registerType: 'input', register: '0', qos: '1' });
      const plans = await latencyFactory(target)!.plans(target, o, checkContext());
      if (p.latency!.connectIsRoundTrip) {
        expect(plans).toEqual([]);
        continue;
      }
      expect(plans.length, p.name).toBeGreaterThan(0);
      const probe = await plans[0]!.make();
      try {
        await probe.open();
        const rt = await probe.roundTrip();
        expect(rt.ms).toBeGreaterThanOrEqual(0);
      } finally {
        await probe.close();
      }
    }
  });

  it('security: each protocol audits a device and judges by its own rules', async () => {
    for (const p of PROTOCOLS.filter((x) => x.security)) {
      const target = parseTarget(smokeOf(p.name).url());
      const factory = securityFactory(target)!;
      const result: SecurityAssessment = { status: 'assessed', findings: [], rulesEvaluated: [], facts: {} };
      await factory.assess(
        target,
        parseSecurityOptions([target.url], {}),
        { ...checkContext(), now: Date.now(), tlsOnSameHost: false, certificate: () => undefined },
        result,
      );
      expect(result.status, `${p.name}: ${result.reason ?? ''}`).toBe('assessed');
      expect(Object.keys(result.facts).length, p.name).toBeGreaterThan(0);
      expect(result.findings.length, p.name).toBeGreaterThan(0);
      for (const f of result.findings) expect(f.ruleId.startsWith(`${factory.rules}-`), f.ruleId).toBe(true);
    }
  });

  it('discovery: each protocol finds its device of the plant, and describes it', async () => {
    const urls = DISCOVERABLE.map((p) => smokeOf(p.name).url());
    const options = parseDiscoverOptions(urls, { listen: '0s' });
    const { inventory } = await runScan(options, {}, new AbortController().signal);
    for (const p of DISCOVERABLE) {
      const found = inventory.devices.filter((d) => Object.hasOwn(p.discovery.kinds, d.protocol));
      expect(found.length, `${p.name} found in ${JSON.stringify(inventory.noAnswer)}`).toBeGreaterThan(0);
      for (const d of found) {
        const describe = discoveryFor(d.protocol);
        expect(typeof describe.details(d)).toBe('string');
        expect(describe.csv(d, describe.details(d))[0]![0]).toBe(d.url);
      }
    }
  });
});

it('the smoke cases name only registered protocols', () => {
  expect(Object.keys(SMOKE).sort()).toEqual(PROTOCOLS.map((p) => p.name).sort());
  for (const p of PROTOCOLS)
    for (const f of FACTORIES)
      if (p[f] && (f === 'record' || f === 'replay')) expect(SMOKE[p.name]![f], `${f} smoke case for ${p.name}`).toBeDefined();
});
