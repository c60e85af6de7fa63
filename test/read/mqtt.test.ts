/**
 * `iiot read mqtt://...` against Debian's mosquitto (messages published with mosquitto_pub, the
 * answer checked against mosquitto_sub's) and against the simulated plant's broker (aedes, Sparkplug
 * Aware) and edge node, with model time frozen so that every client sees the same values.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeSparkplug } from '../../src/protocols/mqtt/sparkplug-codec.js';
import { REBIRTH_METRIC, rebirthPayload, rebirthTopic } from '../../src/protocols/mqtt/sparkplug-rebirth.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { runProcess } from '../helpers/process.js';
import { removeTempDirs } from '../helpers/temp.js';

const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), age: 3 * 86_400_000, timeScale: 1e-9 };

interface TopicValue {
  item: string;
  topic: string;
  value: unknown;
  unit?: string;
  sourceTimestamp?: string;
  fields?: Array<{ key: string; value: unknown }>;
  status: string;
  retained: boolean;
  payload: string;
  encoding: string;
}

interface MetricValue {
  metric: string;
  value: unknown;
  dataType: string;
  unit?: string;
  message: string;
  sourceTimestamp: string;
}

async function readJson<T>(
  args: string[],
): Promise<{ code: number | null; doc: { schema: string; values: T[] } & Record<string, unknown>; stderr: string }> {
  const r = await runCli(['read', ...args, '--json']);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const doc = JSON.parse(r.stdout) as { schema: string; values: T[] };
  expect(doc.schema).toBe('iiot.read/1');
  return { code: r.code, doc, stderr: r.stderr };
}

/** mosquitto_sub -v: "topic payload" lines -> topic -> payload */
async function mosquittoSub(port: number, filter: string, count: number): Promise<Map<string, string>> {
  // -W bounds a hang only (the machine may be busy); -C ends it as soon as every topic is in
  const r = await runProcess(
    'mosquitto_sub',
    ['-h', '127.0.0.1', '-p', String(port), '-t', filter, '-v', '--retained-only', '-C', String(count), '-W', '40'],
    { timeoutMs: 50_000 },
  );
  const out = new Map<string, string>();
  for (const line of r.stdout.split('\n').filter(Boolean)) {
    const i = line.indexOf(' ');
    out.set(line.slice(0, i), line.slice(i + 1));
  }
  return out;
}

const pub = (port: number, topic: string, payload: string, retain: boolean) =>
  runProcess('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-t', topic, '-m', payload, ...(retain ? ['-r'] : [])], {
    timeoutMs: 10_000,
  });

afterAll(removeTempDirs);

describe('iiot read of topics on mosquitto', () => {
  let broker: Mosquitto;
  const RETAINED: Record<string, string> = {
    'site/line1/pressure': '{"v":-3.25,"unit":"bar","t":"2026-01-05T09:00:00Z"}',
    'site/line1/count': '1234',
    'site/line1/state': 'RUNNING',
    'site/line1/env': '{"temp":21.5,"hum":40}',
    'site/line2/pressure': '{"v":1.5}',
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    for (const [topic, payload] of Object.entries(RETAINED)) {
      const r = await pub(broker.port, topic, payload, true);
      expect(r.code, r.stderr).toBe(0);
    }
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it('reads every retained topic under a filter: the same topics and payloads as mosquitto_sub, decoded as record decodes them', async () => {
    const [ours, theirs] = await Promise.all([readJson<TopicValue>([broker.url, 'site/#']), mosquittoSub(broker.port, 'site/#', 5)]);
    expect(ours.code).toBe(0);
    expect(theirs.size).toBe(5);
    expect(new Map(ours.doc.values.map((v) => [v.topic, v.payload]))).toEqual(theirs);
    expect(ours.doc.values.every((v) => v.retained && v.status === 'Good' && v.item === 'site/#' && v.encoding === 'utf8')).toBe(true);
    const by = new Map(ours.doc.values.map((v) => [v.topic, v]));
    expect(by.get('site/line1/pressure')).toMatchObject({ value: -3.25, unit: 'bar', sourceTimestamp: '2026-01-05T09:00:00.000Z' });
    expect(by.get('site/line1/count')!.value).toBe(1234);
    expect(by.get('site/line1/state')!.value).toBe('RUNNING');
    expect(by.get('site/line1/env')!.fields).toEqual([
      { key: 'temp', value: 21.5 },
      { key: 'hum', value: 40 },
    ]);
  });

  it('answers at once for a topic without wildcards, and prints a table', async () => {
    const r = await runCli(['read', broker.url, 'site/line1/pressure', 'site/line2/+']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^site\/line1\/pressure\s+-3\.25\s+bar\s+2026-01-05T09:00:00\.000Z\s+yes$/m);
    expect(r.stdout).toMatch(/^site\/line2\/pressure\s+1\.5\s+\S+\s+yes$/m);
    expect(r.stderr).toContain(`${broker.url}: 2 topics (2 retained)`);
  });

  it('waits for the first message published on a topic that holds nothing retained', async () => {
    const child = runCli(['read', broker.url, 'site/live/speed', '--timeout', '20s', '--json']);
    let done = false;
    void child.finally(() => (done = true));
    // publish until iiot has its answer: it must have subscribed before the first one it can see
    let n = 0;
    while (!done) {
      await pub(broker.port, 'site/live/speed', String(1450 + n++), false);
      await new Promise((r) => setTimeout(r, 100));
    }
    const r = await child;
    expect(r.code, r.stderr).toBe(0);
    const v = (JSON.parse(r.stdout) as { values: TopicValue[] }).values;
    expect(v).toHaveLength(1);
    expect(v[0]).toMatchObject({ topic: 'site/live/speed', retained: false, status: 'Good' });
    expect(v[0]!.value as number).toBeGreaterThanOrEqual(1450);
    expect(v[0]!.value as number).toBeLessThan(1450 + n);
  });

  it('says when nothing came on a topic within --timeout (exit 3), after what did come', async () => {
    const r = await readJson<TopicValue>([broker.url, 'site/line1/count', 'site/nothing/here', '--timeout', '700ms']);
    expect(r.code).toBe(3);
    expect(r.doc.values.map((v) => v.topic)).toEqual(['site/line1/count']);
    expect(r.doc.silent).toEqual(['site/nothing/here']);
    expect(r.stderr).toContain('iiot: error: no message on site/nothing/here within 700 ms: nothing retained there, nothing published');
  });

  it('marks a payload the chosen decoder cannot read and says so (exit 2); the payload is kept', async () => {
    const r = await readJson<TopicValue>([broker.url, 'site/line1/state', '--decoder', 'number']);
    expect(r.code).toBe(2);
    expect(r.doc.values[0]).toMatchObject({ value: null, status: 'the payload "RUNNING" is not a number', payload: 'RUNNING' });
    expect(r.stderr).toContain('iiot: error: could not decode site/line1/state');
  });

  it('--watch prints the retained messages, then every message, until --duration (exit 0)', async () => {
    const child = runCli(['read', broker.url, 'site/line2/#', '--watch', '--duration', '4s', '--json']);
    await new Promise((r) => setTimeout(r, 2000));
    await pub(broker.port, 'site/line2/pressure', '{"v":2.5}', false);
    const r = await child;
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as TopicValue & { schema: string });
    expect(lines[0]).toMatchObject({ schema: 'iiot.read.change/1', topic: 'site/line2/pressure', value: 1.5, retained: true });
    // the live message, if iiot was subscribed by then (the machine may be slow to start it)
    for (const l of lines.slice(1)) expect(l).toMatchObject({ topic: 'site/line2/pressure', value: 2.5, retained: false });
  });
});

describe('iiot read of the simulated plant: JSON topics and Sparkplug B metrics', () => {
  let plant: RunningPlant;
  let url: string;
  let port: number;

  beforeAll(async () => {
    plant = await startPlant({ ...FROZEN, opcua: false, modbus: false, mqtt: { port: 0 } });
    url = plant.endpoints.mqtt!;
    port = Number(new URL(url.replace('mqtt:', 'http:')).port);
  });
  afterAll(async () => {
    await plant?.stop();
  });

  it('reads the plant topics as mosquitto_sub does', async () => {
    const [ours, theirs] = await Promise.all([readJson<TopicValue>([url, 'plant/pump1/#']), mosquittoSub(port, 'plant/pump1/#', 7)]);
    expect(ours.code).toBe(0);
    expect(new Map(ours.doc.values.map((v) => [v.topic, v.payload]))).toEqual(theirs);
  });

  it("reads Sparkplug metrics by name: the node's and a device's, equal to the plain JSON topics", async () => {
    const [node, device, plantTopics, pumpTopics] = await Promise.all([
      readJson<MetricValue>([url, '--sparkplug', 'IIoT/SimPlant', 'power', 'energy']),
      readJson<MetricValue>([url, '--sparkplug', 'IIoT/SimPlant/pump1', 'vibration', 'running']),
      mosquittoSub(port, 'plant/plant/+', 8),
      mosquittoSub(port, 'plant/pump1/+', 7),
    ]);
    const json = new Map([...plantTopics, ...pumpTopics]);
    expect(node.code, node.stderr).toBe(0);
    expect(device.code, device.stderr).toBe(0);
    // a late reader learns the aliases from the broker's retained births; the values come with data
    expect(node.doc.sparkplug).toEqual({ groupId: 'IIoT', edgeNodeId: 'SimPlant', birth: 'certificate', rebirthRequested: false });
    const v = (t: string) => (JSON.parse(json.get(t)!) as { v: unknown }).v;
    expect(node.doc.values.map((m) => [m.metric, m.value, m.dataType, m.unit])).toEqual([
      ['power', v('plant/plant/power'), 'Double', 'kW'],
      ['energy', v('plant/plant/energy'), 'Double', 'kWh'],
    ]);
    expect(device.doc.values.map((m) => [m.metric, m.value])).toEqual([
      ['running', v('plant/pump1/running')],
      ['vibration', v('plant/pump1/vibration')],
    ]);
    expect(device.doc.values[0]!.message).toBe('DDATA');
  });

  it('lists every metric when none is named, and names an unknown one with what the birth declares (exit 2)', async () => {
    const all = await runCli(['read', url, '--sparkplug', 'IIoT/SimPlant']);
    expect(all.code, all.stderr).toBe(0);
    expect(all.stdout).toMatch(/^power\s+[\d.]+\s+kW\s+Double\s+2026-01-05T09:00:00\.000Z\s+NDATA$/m);
    expect(all.stdout).not.toMatch(/bdSeq|Node Control/);
    const bad = await runCli(['read', url, '--sparkplug', 'IIoT/SimPlant', 'power', 'bogus']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('iiot: error: IIoT/SimPlant has no metric "bogus"');
    expect(bad.stderr).toContain('hint: its birth declares: producing, power, energy');
  });

  it('says when the edge node is not there (exit 3)', async () => {
    const r = await runCli(['read', url, '--sparkplug', 'IIoT/Elsewhere', 'power', '--timeout', '700ms']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`iiot: error: no Sparkplug message from IIoT/Elsewhere on ${url} within 700 ms`);
  });
});

describe('Sparkplug B through a broker that keeps no births (mosquitto): --rebirth', () => {
  let broker: Mosquitto;
  let plant: RunningPlant;

  beforeAll(async () => {
    broker = await startMosquitto();
    plant = await startPlant({ ...FROZEN, opcua: false, modbus: false, mqtt: { brokerUrl: broker.url, json: false } });
    // the births went out when the edge node connected, before any reader
    await new Promise((r) => setTimeout(r, 1500));
  });
  afterAll(async () => {
    await plant?.stop();
    await broker?.stop();
  });

  it('encodes the rebirth request as the specification says (decoded by the Sparkplug library)', () => {
    const at = Date.parse('2026-01-05T09:00:00Z');
    const p = decodeSparkplug(rebirthPayload(at));
    expect(Number(p.timestamp)).toBe(at);
    expect(p.metrics).toHaveLength(1);
    expect(p.metrics[0]).toMatchObject({ name: REBIRTH_METRIC, type: 'Boolean', value: true });
    expect(Number(p.metrics[0]!.timestamp)).toBe(at);
    expect(rebirthTopic('IIoT', 'SimPlant')).toBe('spBv1.0/IIoT/NCMD/SimPlant');
  });

  it('without --rebirth: the data cannot be named, and iiot says how to fix it (exit 3)', async () => {
    const r = await runCli(['read', broker.url, '--sparkplug', 'IIoT/SimPlant', 'power', '--timeout', '2500ms']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('iiot: error: IIoT/SimPlant sends data, but no birth was seen within 2.50 s: its metric names are unknown');
    expect(r.stderr).toContain('hint: add --rebirth to ask the edge node for its birth');
  });

  it('with --rebirth: the edge node publishes its births again and the values come from them', async () => {
    const r = await readJson<MetricValue>([broker.url, '--sparkplug', 'IIoT/SimPlant/pump1', 'vibration', '--rebirth', '--timeout', '10s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.doc.sparkplug).toMatchObject({ birth: 'live', rebirthRequested: true });
    expect(r.doc.values).toHaveLength(1);
    expect(r.doc.values[0]).toMatchObject({ metric: 'vibration', dataType: 'Double', unit: 'mm/s' });
    expect(['DBIRTH', 'DDATA']).toContain(r.doc.values[0]!.message);
    expect(r.stderr).toContain('asking IIoT/SimPlant to publish its births again (NCMD Node Control/Rebirth: a write to the edge node)');
  });

  it('--watch ends cleanly on Ctrl-C with exit 130', async () => {
    const child = spawn(process.execPath, [BIN, 'read', broker.url, '--sparkplug', 'IIoT/SimPlant', 'power', '--rebirth', '--watch'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('\n')) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(stdout).toMatch(/ power {9}[\d.]+ kW {2}(NBIRTH|NDATA)\n/);
  });
});
