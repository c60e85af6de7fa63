/**
 * One signal, one tag: two signals never share a tag name in a capture, for every source kind,
 * against real servers (aedes, node-opcua, the simulator's Modbus server). Each test records from
 * a command line as a user writes it (parsed by commands/record.ts) and reads the capture back.
 */
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseRecordArguments } from '../../src/record/options.js';
import { scopeArguments } from '../../src/record/scope.js';
import { buildProgram } from '../../src/cli.js';
import type { SampleLine } from '../../src/capture/types.js';
import type { IiotError } from '../../src/core/errors.js';
import { topicRoot, topicTagName } from '../../src/protocols/mqtt/tag-names.js';
import { uniqueNodeNames, withNodeIds } from '../../src/protocols/opcua/tag-names.js';
import { record, type RecordDeps } from '../../src/record/run.js';
import { planPreparedNames, TagNameRegistry } from '../../src/record/tag-names.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor, type ReadBack } from '../helpers/record-io.js';

const dir = tempDir('tag-names');
const env = { IIOT_PKI_DIR: tempDir('tag-names-pki') };
afterAll(removeTempDirs);

const recordCmd = buildProgram().commands.find((c) => c.name() === 'record')!;
const parse = (line: string[]) => parseRecordArguments(scopeArguments(line, recordCmd.options));

/** Records a command line until `until` holds for what was written (or a count ends it). */
async function recordUntil(
  line: string[],
  act: () => Promise<void>,
  until: (back: ReadBack) => boolean,
): Promise<{ back: ReadBack; stderr: string }> {
  const o = parse(line);
  const io = testIO({}, env);
  const ac = new AbortController();
  let started!: () => void;
  const ready = new Promise<void>((r) => (started = r));
  const deps: RecordDeps = { signal: ac.signal, handleSignals: false, onStarted: () => started() };
  const run = record(io.io, { ...o, flushIntervalMs: 20, live: false }, deps);
  await Promise.race([ready, run]);
  await act();
  await waitFor(async () => {
    try {
      return until(await readCapture(o.output));
    } catch {
      return false; // not written yet
    }
  }, 50);
  ac.abort();
  await run;
  return { back: await readCapture(o.output), stderr: io.stderr() };
}

const values = (back: ReadBack, tag: string) => back.samples.filter((s: SampleLine) => s.tag === tag).map((s) => s.v);

describe('the rules, as functions', () => {
  it("MQTT: the filters' common literal levels are stripped, decided before any topic is seen", () => {
    const name = (filters: string[], topic: string) => topicTagName(topicRoot(filters), topic);
    expect(name(['plant/#'], 'plant/pump1/vibration')).toBe('pump1.vibration');
    expect(name(['plant/pump1/#', 'plant/conveyor1/#'], 'plant/pump1/vibration')).toBe('pump1.vibration');
    expect(name(['plant/pump1/#', 'plant/conveyor1/#'], 'plant/conveyor1/vibration')).toBe('conveyor1.vibration');
    expect(name(['plant/pump1/#'], 'plant/pump1/vibration')).toBe('vibration');
    expect(name(['plant/+/vibration'], 'plant/pump1/vibration')).toBe('pump1.vibration');
    expect(name(['plant/pump1/vibration'], 'plant/pump1/vibration')).toBe('vibration');
    expect(name(['plant/pump1/vibration', 'plant/pump2/vibration'], 'plant/pump2/vibration')).toBe('pump2.vibration');
    expect(name(['+/pump1/#'], 'site7/pump1/vibration')).toBe('site7.pump1.vibration');
    expect(name(['#'], 'a/b')).toBe('a.b');
    expect(name(['plant/#', 'site/#'], 'plant/pump1/vibration')).toBe('plant.pump1.vibration');
    // plant/# matches plant itself: its last level
    expect(name(['plant/#'], 'plant')).toBe('plant');
    // Sparkplug filters do not count when the decoder names their metrics itself
    expect(topicTagName(topicRoot(['plant/#', 'spBv1.0/#'], { sparkplug: true }), 'plant/pump1/vibration')).toBe('pump1.vibration');
    expect(topicTagName(topicRoot(['plant/#', 'spBv1.0/#']), 'plant/pump1/vibration')).toBe('plant.pump1.vibration');
  });

  it('a name once given stays with its signal; a second signal gets its own address', () => {
    const r = new TagNameRegistry();
    r.declare('opcua', 'ns=2;s=pump1.vibration', 'pump1.vibration');
    expect(r.claim('mqtt', { name: 'pump1.vibration', signal: 'plant/pump1/vibration', fallback: 'plant/pump1/vibration' })).toEqual({
      name: 'plant/pump1/vibration',
      holder: { source: 'opcua', signal: 'ns=2;s=pump1.vibration' },
    });
    // asked again (a topic seen again): the same answer, no second warning
    expect(r.claim('mqtt', { name: 'pump1.vibration', signal: 'plant/pump1/vibration', fallback: 'plant/pump1/vibration' })).toEqual({
      name: 'plant/pump1/vibration',
    });
    expect(r.claim('mqtt', { name: 'a.b.c', signal: 'x/a.b/c', fallback: 'x/a.b/c' }).name).toBe('a.b.c');
    expect(r.claim('mqtt', { name: 'a.b.c', signal: 'x/a/b.c', fallback: 'x/a/b.c' }).name).toBe('x/a/b.c');
    // even the fallback taken: ~2
    expect(r.claim('mqtt-2', { name: 'a.b.c', signal: 'x/a/b.c', fallback: 'x/a/b.c' }).name).toBe('x/a/b.c~2');
  });

  it("OPC UA: a tag list's name stays; names from the server get their browse path, then their node id", async () => {
    const paths: Record<string, string> = { 'ns=2;i=5': '/Objects/2:Plant/2:Line1/2:Temp', 'ns=2;i=6': '/Objects/2:Plant/2:Line2/2:Temp' };
    const { nodes, renamed } = await uniqueNodeNames(
      [
        { name: 'Temp', nodeId: 'ns=2;i=5', origin: { kind: 'browseName' } },
        { name: 'Temp', nodeId: 'ns=2;i=6', origin: { kind: 'browseName' } },
        { name: 'Temp', nodeId: 'ns=2;i=7', origin: { kind: 'list', file: 'line.tags' } },
        { name: 'Plant.Line1.Temp', nodeId: 'ns=3;i=5', origin: { kind: 'path' } },
      ],
      async (id) => paths[id],
    );
    expect(nodes.map((n) => n.name)).toEqual(['Plant.Line1.Temp~ns=2;i=5', 'Plant.Line2.Temp', 'Temp', 'Plant.Line1.Temp~ns=3;i=5']);
    expect(renamed.map((r) => `${r.from} -> ${r.to}`)).toEqual([
      'Temp -> Plant.Line1.Temp',
      'Temp -> Plant.Line2.Temp',
      'Plant.Line1.Temp -> Plant.Line1.Temp~ns=2;i=5',
      'Plant.Line1.Temp -> Plant.Line1.Temp~ns=3;i=5',
    ]);
    // what `iiot browse --tags` writes: the same second step
    expect(
      withNodeIds([
        { name: 'A.T', nodeId: 'ns=2;i=1' },
        { name: 'A.T', nodeId: 'ns=3;i=1' },
        { name: 'A.U', nodeId: 'ns=2;i=2' },
      ]).map((t) => t.name),
    ).toEqual(['A.T~ns=2;i=1', 'A.T~ns=3;i=1', 'A.U']);
  });

  it('tags known before the start: OPC UA sources that collide get <id>.; what cannot be told apart is refused', () => {
    const tag = (name: string, address: string) => ({ name, address });
    const plan = planPreparedNames([
      { id: 'opcua', protocol: 'opcua', prefixable: true, tags: [tag('Plant.T', 'ns=2;i=1'), tag('Plant.P', 'ns=2;i=2')] },
      { id: 'opcua-2', protocol: 'opcua', prefixable: true, tags: [tag('Plant.T', 'ns=2;i=1')] },
      { id: 'sdm630', protocol: 'modbus', prefixable: false, tags: [tag('sdm630.frequency', 'ir:0x0046')] },
    ]);
    expect([...plan.prefixes]).toEqual([
      ['opcua', 'opcua.'],
      ['opcua-2', 'opcua-2.'],
    ]);
    expect(plan.notes).toEqual([
      'tag "Plant.T" would name two signals (opcua ns=2;i=1 and opcua-2 ns=2;i=1): the tags of opcua and opcua-2 are named <source id>.<name> (opcua.Plant.T, opcua-2.Plant.T); --id after a source chooses its prefix',
    ]);
    // Modbus ids and entries with dots: a.b + c and a + b.c
    let err: IiotError | undefined;
    try {
      planPreparedNames([
        { id: 'a', protocol: 'modbus', prefixable: false, tags: [tag('a.b.c', 'hr:0x0000')] },
        { id: 'a.b', protocol: 'modbus', prefixable: false, tags: [tag('a.b.c', 'hr:0x0010')] },
      ]);
    } catch (e) {
      err = e as IiotError;
    }
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toBe('tag "a.b.c" would name two signals: a hr:0x0000 and a.b hr:0x0010');
    expect(err?.hint).toBe('give source a another name with --id after it (Modbus tags are named <id>.<register>)');
  });
});

// ---------------------------------------------------------------------------------------------
// MQTT: a broker of our own (aedes), publishers that come and go during the recording

async function startBroker(): Promise<{ url: string; stop(): Promise<void> }> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
    aedes.handle(s);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `mqtt://127.0.0.1:${(server.address() as { port: number }).port}`,
    stop: async () => {
      await new Promise<void>((r) => aedes.close(() => r()));
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** Sparkplug B protobuf written by hand from the specification's schema (field numbers, wire types). */
function sparkplugPayload(seq: number, metrics: Array<{ name: string; value: number }>): Buffer {
  const varint = (n: number | bigint): number[] => {
    let v = BigInt(n);
    const out: number[] = [];
    do {
      let b = Number(v & 0x7fn);
      v >>= 7n;
      if (v > 0n) b |= 0x80;
      out.push(b);
    } while (v > 0n);
    return out;
  };
  const ld = (field: number, bytes: Buffer) => Buffer.from([...varint((field << 3) | 2), ...varint(bytes.length), ...bytes]);
  const metric = (m: { name: string; value: number }) => {
    const d = Buffer.alloc(8);
    d.writeDoubleLE(m.value);
    // name (1, string), datatype (4, uint32: 10 = Double), double_value (13, fixed64)
    return Buffer.concat([ld(1, Buffer.from(m.name)), Buffer.from([(4 << 3) | 0, 10, (13 << 3) | 1]), d]);
  };
  // timestamp (1, uint64), metrics (2, repeated Metric), seq (3, uint64)
  return Buffer.concat([
    Buffer.from([(1 << 3) | 0, ...varint(Date.now())]),
    ...metrics.map((m) => ld(2, metric(m))),
    Buffer.from([(3 << 3) | 0, ...varint(seq)]),
  ]);
}

describe('MQTT topics', () => {
  let broker: { url: string; stop(): Promise<void> };
  let broker2: { url: string; stop(): Promise<void> };
  let pub: MqttClient;
  let pub2: MqttClient;
  beforeAll(async () => {
    broker = await startBroker();
    broker2 = await startBroker();
    pub = await connectAsync(broker.url, { clientId: 'names-pub', protocolVersion: 4 });
    pub2 = await connectAsync(broker2.url, { clientId: 'names-pub-2', protocolVersion: 4 });
  });
  afterAll(async () => {
    await pub?.endAsync();
    await pub2?.endAsync();
    await broker?.stop();
    await broker2?.stop();
  });

  it("the issue's two filters: the pump's and the conveyor's vibration are two tags, also when the conveyor first publishes mid-recording", async () => {
    const out = join(dir, 'two-filters.jsonl');
    const { back, stderr } = await recordUntil(
      [broker.url, '--topic', 'plant/pump1/#', '--topic', 'plant/conveyor1/#', '--qos', '1', '-o', out],
      async () => {
        await pub.publishAsync('plant/pump1/vibration', '{"v": 2.5, "unit": "mm/s"}', { qos: 1 });
        await new Promise((r) => setTimeout(r, 300));
        await pub.publishAsync('plant/conveyor1/vibration', '{"v": 7.25, "unit": "mm/s"}', { qos: 1 });
        await pub.publishAsync('plant/pump1/vibration', '{"v": 2.75, "unit": "mm/s"}', { qos: 1 });
      },
      (b) => b.samples.length >= 3,
    );
    expect(values(back, 'pump1.vibration')).toEqual([2.5, 2.75]);
    expect(values(back, 'conveyor1.vibration')).toEqual([7.25]);
    expect(values(back, 'vibration')).toEqual([]);
    const tags = new Map(back.tags.map((t) => [t.name, t]));
    expect(tags.get('pump1.vibration')).toMatchObject({ address: 'plant/pump1/vibration', source: 'mqtt' });
    expect(tags.get('conveyor1.vibration')).toMatchObject({ address: 'plant/conveyor1/vibration', source: 'mqtt' });
    // the rule is in the capture: the source's options and its start event
    expect(back.header.sources[0]!.options).toMatchObject({ tagRoot: 'plant' });
    expect(back.events.find((e) => e.event === 'start')!.message).toContain('tags named after the topic below plant/');
    expect(stderr).not.toContain('is recorded as tag');
    // the header names the recording computer
    expect((back.header.metadata as { recorder: { host: string } }).recorder.host).toBe(hostname());
  });

  it('a topic level with a dot, and a JSON field named like a sub-topic: the later signal gets its full topic, said once', async () => {
    const out = join(dir, 'dots.jsonl');
    const { back, stderr } = await recordUntil(
      [broker.url, '--topic', 'site/#', '--qos', '1', '-o', out],
      async () => {
        await pub.publishAsync('site/10.0.0.5/temp', '21.5', { qos: 1 });
        await pub.publishAsync('site/10/0.0.5/temp', '99', { qos: 1 });
        await pub.publishAsync('site/pump1', '{"vibration": 1.5, "temp": 40}', { qos: 1 });
        await pub.publishAsync('site/pump1/vibration', '2.5', { qos: 1 });
        await pub.publishAsync('site/10/0.0.5/temp', '98', { qos: 1 });
        // the other way round: the sub-topic first, then a JSON field of that name
        await pub.publishAsync('site/line/speed', '5', { qos: 1 });
        await pub.publishAsync('site/line', '{"speed": 6}', { qos: 1 });
      },
      (b) => b.samples.length >= 8,
    );
    expect(values(back, 'line.speed')).toEqual([5]);
    expect(values(back, 'site/line#speed')).toEqual([6]);
    expect(back.tags.find((t) => t.name === 'site/line#speed')).toMatchObject({
      address: 'site/line',
      mqtt: { topic: 'site/line', path: '$.speed' },
    });
    expect(values(back, '10.0.0.5.temp')).toEqual([21.5]);
    expect(values(back, 'site/10/0.0.5/temp')).toEqual([99, 98]);
    expect(values(back, 'pump1.vibration')).toEqual([1.5]);
    expect(values(back, 'pump1.temp')).toEqual([40]);
    expect(values(back, 'site/pump1/vibration')).toEqual([2.5]);
    expect(back.tags.find((t) => t.name === 'site/10/0.0.5/temp')).toMatchObject({ address: 'site/10/0.0.5/temp' });
    expect(
      stderr.match(
        /site\/10\/0\.0\.5\/temp is recorded as tag "site\/10\/0\.0\.5\/temp": "10\.0\.0\.5\.temp" is already mqtt site\/10\.0\.0\.5\/temp/g,
      ),
    ).toHaveLength(1);
    expect(stderr).toContain(
      'site/pump1/vibration is recorded as tag "site/pump1/vibration": "pump1.vibration" is already mqtt site/pump1#vibration',
    );
    expect(back.events.filter((e) => e.event === 'note').map((e) => e.message)).toHaveLength(3);
  });

  it('two brokers: each names its tags <source id>.<topic name>', async () => {
    const out = join(dir, 'two-brokers.jsonl');
    const { back, stderr } = await recordUntil(
      [broker.url, '--topic', 'plant/#', broker2.url, '--topic', 'plant/#', '--qos', '1', '-o', out],
      async () => {
        await pub.publishAsync('plant/pump1/vibration', '1', { qos: 1 });
        await pub2.publishAsync('plant/pump1/vibration', '2', { qos: 1 });
      },
      (b) => b.samples.length >= 2,
    );
    expect(values(back, 'mqtt.pump1.vibration')).toEqual([1]);
    expect(values(back, 'mqtt-2.pump1.vibration')).toEqual([2]);
    expect(stderr).toContain('2 MQTT sources: their tags are named <source id>.<topic name> (mqtt., mqtt-2.)');
  });

  it('Sparkplug B: a node metric "d1.temp" and device d1\'s "temp" stay two tags', async () => {
    const out = join(dir, 'sparkplug.jsonl');
    const { back, stderr } = await recordUntil(
      [broker.url, '--topic', 'spBv1.0/#', '--qos', '1', '-o', out],
      async () => {
        await pub.publishAsync('spBv1.0/Line/NBIRTH/edge1', sparkplugPayload(0, [{ name: 'd1.temp', value: 11.5 }]), { qos: 1 });
        await pub.publishAsync('spBv1.0/Line/DBIRTH/edge1/d1', sparkplugPayload(1, [{ name: 'temp', value: 22.5 }]), { qos: 1 });
        await pub.publishAsync('spBv1.0/Line/DDATA/edge1/d1', sparkplugPayload(2, [{ name: 'temp', value: 23.5 }]), { qos: 1 });
      },
      (b) => b.samples.length >= 3,
    );
    expect(values(back, 'Line.edge1.d1.temp')).toEqual([11.5]);
    expect(values(back, 'spBv1.0/Line/edge1/d1:temp')).toEqual([22.5, 23.5]);
    expect(stderr).toContain(
      'spBv1.0/Line/edge1/d1:temp is recorded as tag "spBv1.0/Line/edge1/d1:temp": "Line.edge1.d1.temp" is already mqtt spBv1.0/Line/edge1:d1.temp',
    );
  });
});

// ---------------------------------------------------------------------------------------------
// OPC UA: a server of our own with names that repeat

interface NamesServer {
  url: string;
  ns: number;
  ns2: number;
  stop(): Promise<void>;
}

/**
 * /Objects/Plant/Line1/Temperature (21) and /Objects/Plant/Line2/Temperature (22), numeric ids;
 * the same path Plant/Line1/Temperature again in a second namespace (31); string node ids
 * "pump1.vibration" (4.5) and "sdm630.frequency" (49.9).
 */
async function startNamesServer(): Promise<NamesServer> {
  const opc = await import('node-opcua');
  const cm = new opc.OPCUACertificateManager({
    rootFolder: join(tempDir('names-server'), 'pki'),
    automaticallyAcceptUnknownCertificate: false,
  });
  await cm.initialize();
  const s = new opc.OPCUAServer({
    port: 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [opc.nodesets.standard],
    serverCertificateManager: cm,
    securityPolicies: [opc.SecurityPolicy.None],
    securityModes: [opc.MessageSecurityMode.None],
    allowAnonymous: true,
  });
  await s.initialize();
  const space = s.engine.addressSpace!;
  const a = space.registerNamespace('urn:iiot:test:names:a');
  const b = space.registerNamespace('urn:iiot:test:names:b');
  const double = (
    ns: typeof a,
    parent: NonNullable<Parameters<typeof a.addVariable>[0]['organizedBy']>,
    browseName: string,
    nodeId: string,
    value: number,
  ) =>
    ns.addVariable({
      organizedBy: parent,
      browseName,
      nodeId,
      dataType: 'Double',
      minimumSamplingInterval: 100,
      value: { dataType: opc.DataType.Double, value },
    });
  const plant = a.addFolder(space.rootFolder.objects, { browseName: 'Plant', nodeId: 'i=100' });
  const line1 = a.addFolder(plant, { browseName: 'Line1', nodeId: 'i=101' });
  const line2 = a.addFolder(plant, { browseName: 'Line2', nodeId: 'i=102' });
  double(a, line1, 'Temperature', 'i=1001', 21);
  double(a, line2, 'Temperature', 'i=1002', 22);
  const otherLine1 = b.addFolder(plant, { browseName: 'Line1', nodeId: 'i=201' });
  double(b, otherLine1, 'Temperature', 'i=2001', 31);
  double(a, space.rootFolder.objects, 'Vibration', 's=pump1.vibration', 4.5);
  double(a, space.rootFolder.objects, 'Frequency', 's=sdm630.frequency', 49.9);
  await s.start();
  return {
    url: s.getEndpointUrl(),
    ns: a.index,
    ns2: b.index,
    stop: async () => {
      await s.shutdown(0);
      await cm.dispose();
    },
  };
}

describe('OPC UA nodes', () => {
  let one: NamesServer;
  let two: NamesServer;
  let plant: RunningPlant;
  let broker: { url: string; stop(): Promise<void> };
  beforeAll(async () => {
    [one, two, plant, broker] = await Promise.all([
      startNamesServer(),
      startNamesServer(),
      startPlant({ opcua: false, mqtt: false, modbus: { port: 0 } }),
      startBroker(),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([one?.stop(), two?.stop(), plant?.stop(), broker?.stop()]);
  });

  const opcua = (s: NamesServer) => [s.url, '--security-mode', 'None', '--sampling-interval', '100ms'];

  it('two nodes with one browse name in different folders (--node by numeric id): named by their browse paths', async () => {
    const out = join(dir, 'browse-names.jsonl');
    const { back, stderr } = await recordUntil(
      [...opcua(one), '--node', `ns=${one.ns};i=1001`, '--node', `ns=${one.ns};i=1002`, '-o', out],
      async () => undefined,
      (b) => b.samples.length >= 2,
    );
    expect(values(back, 'Plant.Line1.Temperature')[0]).toBe(21);
    expect(values(back, 'Plant.Line2.Temperature')[0]).toBe(22);
    expect(back.tags.find((t) => t.name === 'Plant.Line1.Temperature')).toMatchObject({
      address: `ns=${one.ns};i=1001`,
      path: expect.stringMatching(/Line1\/\d+:Temperature$/),
    });
    expect(stderr).toContain(
      `opcua: ns=${one.ns};i=1001 is recorded as "Plant.Line1.Temperature": another node of this source is also called "Temperature"`,
    );
  });

  it('--subtree with the same path in two namespaces: the node id after the name, printed', async () => {
    const out = join(dir, 'subtree.jsonl');
    const { back, stderr } = await recordUntil(
      [...opcua(one), '--subtree', `/Objects/${one.ns}:Plant`, '-o', out],
      async () => undefined,
      (b) => b.samples.length >= 3,
    );
    const a = `Plant.Line1.Temperature~ns=${one.ns};i=1001`;
    const b = `Plant.Line1.Temperature~ns=${one.ns2};i=2001`;
    expect(values(back, a)[0]).toBe(21);
    expect(values(back, b)[0]).toBe(31);
    expect(values(back, 'Plant.Line2.Temperature')[0]).toBe(22);
    expect(values(back, 'Plant.Line1.Temperature')).toEqual([]);
    expect(stderr).toContain(`is recorded as "${b}"`);
  });

  it('two tag lists giving one name to two nodes: refused before anything is written, naming both', async () => {
    const l1 = join(dir, 'a.tags');
    const l2 = join(dir, 'b.tags');
    writeFileSync(l1, `format: iiot-tags/1\ntags:\n  - name: Temp\n    nodeId: ns=${one.ns};i=1001\n`);
    writeFileSync(l2, `format: iiot-tags/1\ntags:\n  - name: Temp\n    nodeId: ns=${one.ns};i=1002\n`);
    const out = join(dir, 'lists.jsonl');
    let err: IiotError | undefined;
    await record(
      testIO({}, env).io,
      { ...parse([...opcua(one), '--tags', l1, '--tags', l2, '-o', out]), live: false },
      { handleSignals: false },
    ).catch((e: unknown) => (err = e as IiotError));
    expect(err?.exitCode).toBe(2);
    expect(err?.message).toBe(`tag "Temp" names two nodes: ns=${one.ns};i=1001 (${l1}) and ns=${one.ns};i=1002 (${l2})`);
    expect(err?.hint).toMatch(/edit its `name:` in the tag list/);
  });

  it('two servers naming their nodes alike: both get <source id>., said before recording', async () => {
    const out = join(dir, 'two-servers.jsonl');
    const { back, stderr } = await recordUntil(
      [
        ...opcua(one),
        '--node',
        `ns=${one.ns};s=pump1.vibration`,
        ...opcua(two),
        '--node',
        `ns=${two.ns};s=pump1.vibration`,
        '--id',
        'press2',
        '-o',
        out,
      ],
      async () => undefined,
      (b) => b.samples.length >= 2,
    );
    expect(back.tags.map((t) => t.name).sort()).toEqual(['opcua.pump1.vibration', 'press2.pump1.vibration']);
    expect(values(back, 'opcua.pump1.vibration')[0]).toBe(4.5);
    expect(values(back, 'press2.pump1.vibration')[0]).toBe(4.5);
    expect(stderr).toContain(
      `tag "pump1.vibration" would name two signals (opcua ns=${one.ns};s=pump1.vibration and press2 ns=${two.ns};s=pump1.vibration): the tags of opcua and press2 are named <source id>.<name>`,
    );
  });

  it('an OPC UA node named like a Modbus map entry: the OPC UA source gets its id, the meter keeps sdm630.frequency', async () => {
    const out = join(dir, 'opcua-modbus.jsonl');
    const { back } = await recordUntil(
      [
        ...opcua(one),
        '--node',
        `ns=${one.ns};s=sdm630.frequency`,
        `${plant.endpoints.modbus!}?unit=1`,
        '--map',
        'sdm630',
        '--registers',
        'frequency',
        '--interval',
        '100ms',
        '-o',
        out,
      ],
      async () => undefined,
      (b) => b.samples.length >= 3,
    );
    expect(values(back, 'opcua.sdm630.frequency')[0]).toBe(49.9);
    expect(back.tags.find((t) => t.name === 'sdm630.frequency')).toMatchObject({ source: 'sdm630', address: 'ir:0x0046' });
    // the meter's own frequency (float32 near 50 Hz), not the OPC UA node's 49.9
    expect(values(back, 'sdm630.frequency').every((v) => typeof v === 'number' && v > 45 && v < 55 && v !== 49.9)).toBe(true);
  });

  it('an MQTT topic named like an OPC UA node: the node keeps the name, the topic gets its full topic', async () => {
    const out = join(dir, 'opcua-mqtt.jsonl');
    const pub = await connectAsync(broker.url, { clientId: 'names-pub-3', protocolVersion: 4 });
    try {
      const { back, stderr } = await recordUntil(
        [...opcua(one), '--node', `ns=${one.ns};s=pump1.vibration`, broker.url, '--topic', 'plant/#', '-o', out],
        async () => {
          await pub.publishAsync('plant/pump1/vibration', '{"v": 3.25}', { qos: 1 });
        },
        (b) => values(b, 'plant/pump1/vibration').length >= 1 && values(b, 'pump1.vibration').length >= 1,
      );
      expect(values(back, 'pump1.vibration').every((v) => v === 4.5)).toBe(true);
      expect(values(back, 'plant/pump1/vibration')).toEqual([3.25]);
      expect(stderr).toContain(
        `mqtt: plant/pump1/vibration is recorded as tag "plant/pump1/vibration": "pump1.vibration" is already opcua ns=${one.ns};s=pump1.vibration`,
      );
    } finally {
      await pub.endAsync();
    }
  });
});

describe('Modbus units', () => {
  it('two meters with the same map: sdm630 and sdm630-2, each tag with its own device', async () => {
    const [a, b] = await Promise.all([
      startPlant({ opcua: false, mqtt: false, modbus: { port: 0 } }),
      startPlant({ opcua: false, mqtt: false, modbus: { port: 0 } }),
    ]);
    try {
      const out = join(dir, 'two-meters.jsonl');
      const { back } = await recordUntil(
        [
          '--map',
          'sdm630',
          '--registers',
          'frequency',
          '--interval',
          '100ms',
          `${a.endpoints.modbus!}?unit=1`,
          `${b.endpoints.modbus!}?unit=1`,
          '-o',
          out,
        ],
        async () => undefined,
        (r) => values(r, 'sdm630.frequency').length > 0 && values(r, 'sdm630-2.frequency').length > 0,
      );
      const tags = new Map(back.tags.map((t) => [t.name, t]));
      expect(tags.get('sdm630.frequency')).toMatchObject({ source: 'sdm630' });
      expect(tags.get('sdm630-2.frequency')).toMatchObject({ source: 'sdm630-2' });
      expect(back.header.sources.map((s) => s.endpoint)).toEqual([`${a.endpoints.modbus!}?unit=1`, `${b.endpoints.modbus!}?unit=1`]);
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  });
});
