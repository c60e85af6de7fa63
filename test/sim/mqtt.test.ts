import { once } from 'node:events';
import { spawn } from 'node:child_process';
import { connect as tcpConnect, createServer, type Socket } from 'node:net';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../src/protocols/listen.js';
import { startBroker } from '../../src/protocols/mqtt/broker.js';
import { decodeSparkplug, encodeSparkplug, type SparkplugPayload } from '../../src/protocols/mqtt/sparkplug-codec.js';
import { startEdgeNode } from '../../src/protocols/mqtt/sparkplug-edge-node.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { waitFor } from '../helpers/wait.js';
import { runTool } from '../helpers/peer-tools.js';

let plant: RunningPlant;
let port: string;

beforeAll(async () => {
  // A fast update interval, so seq wraps past 255 within a few seconds.
  plant = await startPlant({ opcua: false, modbus: false, mqtt: { port: 0, qos: 1 }, updateIntervalMs: 40 });
  port = new URL(plant.endpoints.mqtt!).port;
});
afterAll(async () => {
  await plant?.stop();
});

interface Received {
  topic: string;
  payload: Buffer;
  qos: number;
}

async function subscriber(
  url: string,
  filter: string,
  opts: { qos?: 0 | 1; username?: string; password?: string } = {},
): Promise<{ client: MqttClient; messages: Received[] }> {
  const client = await connectAsync(url, {
    reconnectPeriod: 0,
    ...(opts.username ? { username: opts.username, password: opts.password } : {}),
  });
  const messages: Received[] = [];
  client.on('message', (topic, payload, packet) => messages.push({ topic, payload, qos: packet.qos }));
  await client.subscribeAsync(filter, { qos: opts.qos ?? 0 });
  return { client, messages };
}

describe('MQTT: plain JSON topics', () => {
  it('reach mosquitto_sub as retained JSON with time, value and unit', async () => {
    const r = await runTool('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      'plant/pump1/vibration',
      '-t',
      'plant/conveyor1/running',
      '-v',
      '-C',
      '2',
      '-W',
      '15',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n');
    const byTopic = new Map(
      lines.map((l) => [l.slice(0, l.indexOf(' ')), JSON.parse(l.slice(l.indexOf(' ') + 1)) as { t: string; v: unknown; unit?: string }]),
    );
    const vib = byTopic.get('plant/pump1/vibration')!;
    expect(vib.unit).toBe('mm/s');
    expect(typeof vib.v).toBe('number');
    expect(vib.v as number).toBeGreaterThan(0);
    expect(Date.parse(vib.t)).not.toBeNaN();
    expect(typeof byTopic.get('plant/conveyor1/running')!.v).toBe('boolean');
  });

  it('publishes every signal of the model, at QoS 1 when asked', async () => {
    const { client, messages } = await subscriber(plant.endpoints.mqtt!, 'plant/#', { qos: 1 });
    try {
      await waitFor(() => new Set(messages.map((m) => m.topic)).size >= plant.model.signals.length);
      expect(new Set(messages.map((m) => m.topic))).toEqual(new Set(plant.tags.map((t) => t.mqtt)));
      expect(messages.some((m) => m.qos === 1)).toBe(true);
    } finally {
      await client.endAsync();
    }
  });
});

describe('MQTT: the Sparkplug B edge node', () => {
  it('rebirths on NCMD with NBIRTH seq 0 and bdSeq, then DBIRTHs, then aliased NDATA/DDATA with seq wrapping at 255', async () => {
    const { client, messages } = await subscriber(plant.endpoints.mqtt!, 'spBv1.0/IIoT/#');
    try {
      const cmd = encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: 'Node Control/Rebirth', type: 'Boolean', value: true }] });
      await client.publishAsync('spBv1.0/IIoT/NCMD/SimPlant', cmd);
      const decoded = () => messages.map((m) => ({ topic: m.topic, p: decodeSparkplug(m.payload) }));
      await waitFor(() => {
        const d = decoded();
        const birth = d.findIndex((x) => x.topic === 'spBv1.0/IIoT/NBIRTH/SimPlant');
        return birth >= 0 && d.slice(birth).some((x, i, all) => i > 0 && x.p.seq === 0 && all[i - 1]!.p.seq === 255);
      });
      const all = decoded();
      const from = all.findIndex((x) => x.topic === 'spBv1.0/IIoT/NBIRTH/SimPlant');
      const seq = all.slice(from);
      const nbirth = seq[0]!.p;
      expect(nbirth.seq).toBe(0);
      const bdSeq = nbirth.metrics.find((m) => m.name === 'bdSeq');
      expect(bdSeq).toMatchObject({ type: 'UInt64', value: 0 });
      expect(nbirth.metrics.find((m) => m.name === 'Node Control/Rebirth')?.value).toBe(false);
      expect(seq.slice(1, 5).map((x) => x.topic)).toEqual(
        ['conveyor1', 'conveyor2', 'pump1', 'compressor1'].map((d) => `spBv1.0/IIoT/DBIRTH/SimPlant/${d}`),
      );
      // seq counts every message of the node, 0..255 then 0 again
      for (let i = 1; i < seq.length; i++) expect(seq[i]!.p.seq, `message ${i}`).toBe(i % 256);
      // births name every metric with an alias and a unit; data messages carry aliases only
      const aliases = new Map<number | string, string>();
      for (const x of seq.slice(0, 5))
        for (const m of x.p.metrics) if (m.alias !== undefined) aliases.set(m.alias, `${x.topic.split('/').pop()}:${m.name}`);
      expect(aliases.size).toBe(plant.model.signals.length);
      expect(seq[3]!.p.metrics.find((m) => m.name === 'vibration')?.properties?.engUnit?.value).toBe('mm/s');
      const ddata = seq.find((x) => x.topic === 'spBv1.0/IIoT/DDATA/SimPlant/pump1')!.p;
      expect(ddata.metrics.every((m) => m.name === undefined && aliases.get(m.alias!)?.startsWith('pump1:'))).toBe(true);
      const vib = ddata.metrics.find((m) => aliases.get(m.alias!) === 'pump1:vibration')!;
      expect(vib.type).toBe('Double');
      expect(vib.value as number).toBeGreaterThan(0);
    } finally {
      await client.endAsync();
    }
  });

  it('keeps the births retained under $sparkplug/certificates/ for hosts that subscribe late (Sparkplug Aware broker)', async () => {
    const { client, messages } = await subscriber(plant.endpoints.mqtt!, '$sparkplug/certificates/#');
    try {
      await waitFor(() => messages.length >= 5);
      const topics = messages.map((m) => m.topic);
      expect(topics).toEqual(
        expect.arrayContaining([
          '$sparkplug/certificates/spBv1.0/IIoT/NBIRTH/SimPlant',
          ...['conveyor1', 'conveyor2', 'pump1', 'compressor1'].map((d) => `$sparkplug/certificates/spBv1.0/IIoT/DBIRTH/SimPlant/${d}`),
        ]),
      );
      const nbirth = decodeSparkplug(messages.find((m) => m.topic.endsWith('/NBIRTH/SimPlant'))!.payload);
      expect(nbirth.metrics.find((m) => m.name === 'bdSeq')).toBeDefined();
      expect(nbirth.metrics.filter((m) => m.alias !== undefined)).toHaveLength(8);
    } finally {
      await client.endAsync();
    }
  });

  it('has NDEATH with the session bdSeq as its will, and births again with bdSeq + 1 after reconnecting', async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0 });
    // A TCP proxy in front of the broker: cutting it is a connection lost without DISCONNECT.
    const links = new Set<Socket>();
    const proxy = createServer((inbound) => {
      const outbound = tcpConnect(broker.port, '127.0.0.1');
      links.add(inbound).add(outbound);
      inbound.pipe(outbound).pipe(inbound);
      const cut = () => {
        inbound.destroy();
        outbound.destroy();
      };
      inbound.on('error', cut).on('close', cut);
      outbound.on('error', cut).on('close', cut);
    });
    proxy.listen(0, '127.0.0.1');
    await once(proxy, 'listening');
    const proxyPort = (proxy.address() as { port: number }).port;
    const { client, messages } = await subscriber(broker.url, 'spBv1.0/G/#');
    const node = await startEdgeNode({
      url: `mqtt://127.0.0.1:${proxyPort}`,
      groupId: 'G',
      edgeNodeId: 'E',
      nodeMetrics: [{ name: 'power', type: 'Double', unit: 'kW', read: () => 42.5 }],
      devices: [{ id: 'd1', metrics: [{ name: 'running', type: 'Boolean', read: () => true }] }],
      intervalMs: 50,
      now: Date.now,
    });
    try {
      const births = () => messages.filter((m) => m.topic === 'spBv1.0/G/NBIRTH/E').map((m) => decodeSparkplug(m.payload));
      const bd = (p: SparkplugPayload) => p.metrics.find((m) => m.name === 'bdSeq')?.value;
      await waitFor(() => births().length >= 1);
      expect(bd(births()[0]!)).toBe(0);
      for (const s of links) s.destroy();
      await waitFor(() => messages.some((m) => m.topic === 'spBv1.0/G/NDEATH/E'));
      const death = decodeSparkplug(messages.find((m) => m.topic === 'spBv1.0/G/NDEATH/E')!.payload);
      expect(bd(death)).toBe(0);
      expect(death.seq).toBeUndefined();
      await waitFor(() => births().length >= 2);
      expect(bd(births()[1]!)).toBe(1);
      expect(node.bdSeq()).toBe(1);
      // a clean stop publishes NDEATH with the current bdSeq itself
      const deaths = () => messages.filter((m) => m.topic === 'spBv1.0/G/NDEATH/E').length;
      await node.stop();
      await waitFor(() => deaths() >= 2);
      expect(bd(decodeSparkplug(messages.filter((m) => m.topic === 'spBv1.0/G/NDEATH/E')[1]!.payload))).toBe(1);
    } finally {
      await node.stop();
      await client.endAsync();
      proxy.close();
      await broker.stop();
    }
  });
});

describe('MQTT: broker authentication', () => {
  it('refuses anonymous clients and wrong passwords, accepts the configured user', async () => {
    const broker = await startBroker({ host: '127.0.0.1', port: 0, auth: { username: 'operator', password: 's3cret' } });
    try {
      await expect(connectAsync(broker.url, { reconnectPeriod: 0 })).rejects.toMatchObject({ code: 5 });
      await expect(connectAsync(broker.url, { reconnectPeriod: 0, username: 'operator', password: 'nope' })).rejects.toMatchObject({
        code: 4,
      });
      const ok = await connectAsync(broker.url, { reconnectPeriod: 0, username: 'operator', password: 's3cret' });
      expect(ok.connected).toBe(true);
      await ok.endAsync();
      const r = await runTool('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', '#', '-C', '1', '-W', '5']);
      expect(r.code).not.toBe(0);
      expect(r.stderr).toMatch(/not authori[sz]ed/i);
    } finally {
      await broker.stop();
    }
  });

  it('lets the plant publish to a broker that requires a password', async () => {
    const authed = await startPlant({
      opcua: false,
      modbus: false,
      mqtt: { port: 0, auth: { username: 'operator', password: 's3cret' }, sparkplug: false },
    });
    try {
      const r = await runTool('mosquitto_sub', [
        '-h',
        '127.0.0.1',
        '-p',
        new URL(authed.endpoints.mqtt!).port,
        '-u',
        'operator',
        '-P',
        's3cret',
        '-t',
        'plant/plant/power',
        '-C',
        '1',
        '-W',
        '10',
      ]);
      expect(r.code, r.stderr).toBe(0);
      expect(JSON.parse(r.stdout)).toMatchObject({ unit: 'kW' });
      expect(authed.mqtt?.auth).toBe(true);
    } finally {
      await authed.stop();
    }
  });
});

describe('MQTT: publishing to another broker', () => {
  it("publishes JSON and Sparkplug B to Debian's mosquitto with --mqtt-broker", async () => {
    const port = await freePort('127.0.0.1');
    const mosquitto = spawn('mosquitto', ['-p', String(port)], { stdio: 'ignore' });
    const exited = once(mosquitto, 'exit');
    try {
      // mosquitto is up when it accepts a connection
      let up = false;
      while (!up) {
        up = await new Promise<boolean>((resolve) => {
          const s = tcpConnect(port, '127.0.0.1');
          s.once('connect', () => (s.destroy(), resolve(true)));
          s.once('error', () => setTimeout(() => resolve(false), 50));
        });
      }
      const external = await startPlant({ opcua: false, modbus: false, mqtt: { brokerUrl: `mqtt://127.0.0.1:${port}` } });
      try {
        expect(external.endpoints.mqtt).toBe(`mqtt://127.0.0.1:${port}`);
        const json = await runTool('mosquitto_sub', [
          '-h',
          '127.0.0.1',
          '-p',
          String(port),
          '-t',
          'plant/pump1/speed',
          '-C',
          '1',
          '-W',
          '10',
        ]);
        expect(json.code, json.stderr).toBe(0);
        expect(JSON.parse(json.stdout)).toMatchObject({ unit: 'rpm' });
        const { client, messages } = await subscriber(`mqtt://127.0.0.1:${port}`, 'spBv1.0/IIoT/DDATA/SimPlant/pump1');
        await waitFor(() => messages.length > 0);
        await client.endAsync();
        expect(decodeSparkplug(messages[0]!.payload).metrics.length).toBe(7);
      } finally {
        await external.stop();
      }
    } finally {
      mosquitto.kill('SIGTERM');
      await exited;
    }
  });
});
