/**
 * Sparkplug B through a broker that keeps no birth certificates (Debian's mosquitto): the plant's
 * edge node connects and publishes its births before discovery listens, so a listener hears only
 * data, until --rebirth asks the node (NCMD Node Control/Rebirth) to publish its births again.
 */
import { connectAsync } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, MqttDevice } from '../../src/discovery/inventory.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { PLANT_ASSET } from '../../src/sim/signals.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { removeTempDirs } from '../helpers/temp.js';
import { double, metric, METRIC, PAYLOAD, uint } from '../helpers/protobuf-writer.js';
import { loopbackBlock, portFreeOn } from '../helpers/discovery-peers.js';

const block = loopbackBlock();
const H = block.host(1);
let broker: Mosquitto;
let plant: RunningPlant;
let port: number;

beforeAll(async () => {
  port = await portFreeOn([H]);
  broker = await startMosquitto({ host: H, port });
  plant = await startPlant({
    opcua: false,
    modbus: false,
    mqtt: { brokerUrl: broker.url, json: false, groupId: 'Line3', edgeNodeId: 'Gateway7' },
    updateIntervalMs: 200,
  });
});

afterAll(async () => {
  await plant?.stop();
  await broker?.stop();
  removeTempDirs();
});

function node(inv: Inventory) {
  const b = inv.devices.find((d) => d.url === `mqtt://${H}:${port}`) as MqttDevice;
  expect(b).toBeDefined();
  return { broker: b, node: b.sparkplug!.groups.find((g) => g.groupId === 'Line3')!.nodes.find((n) => n.edgeNodeId === 'Gateway7')! };
}

describe('Sparkplug B discovery', () => {
  it('lists a node heard only through data, says its births were missed, and writes nothing', async () => {
    const r = await runCli(['discover', `mqtt://${H}:${port}`, '--listen', '1500ms', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    const { broker: b, node: n } = node(inv);
    expect(b.identity.protocolVersion).toBe('5.0');
    expect(b.identity.version).toMatch(/^mosquitto version \d/);
    expect(b.sparkplug!.certificates).toBe(false);
    expect(n).toMatchObject({ birth: 'not-seen', metrics: null, online: true, rebirthRequested: false });
    expect(b.sparkplug!.rebirthsSent).toBe(0);
    expect(n.dataMessages).toBeGreaterThan(0);
    expect(n.devices.map((d) => d.deviceId).sort()).toEqual([...plant.mqtt!.sparkplug!.devices].sort());
    expect(b.notes?.join(' ')).toContain('Line3/Gateway7: seen in data only, births not seen; --rebirth');
  });

  it('keeps the progress line moving while it listens: a countdown, not one still line', async () => {
    const { parseDiscoverOptions } = await import('../../src/discovery/options.js');
    const { runScan } = await import('../../src/discovery/scan.js');
    const seen: string[] = [];
    const o = parseDiscoverOptions([`mqtt://${H}:${port}`], { listen: '3s' });
    await runScan(o, { progress: (p) => seen.push(p.current) }, new AbortController().signal);
    const prefix = `listening for Sparkplug births on mqtt://${H}:${port}: `;
    const countdown = seen.filter((c) => c.startsWith(prefix)).map((c) => c.slice(prefix.length));
    // each second of the listen says so; the count only goes down
    expect(countdown[0]).toBe('3 s left');
    expect(countdown).toContain('2 s left');
    const left = countdown.map((c) => Number.parseInt(c, 10));
    expect(left).toEqual([...left].sort((a, b) => b - a));
  });

  it('asks for a rebirth with --rebirth and then knows every metric', async () => {
    const r = await runCli(['discover', `mqtt://${H}:${port}`, '--listen', '1500ms', '--rebirth', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    const { broker: b, node: n } = node(inv);
    expect(n.rebirthRequested).toBe(true);
    expect(b.sparkplug!.rebirthsSent).toBe(1);
    expect(n.birth).toBe('live');
    expect(n.bdSeq).toBe(0);
    // NBIRTH: bdSeq, Node Control/Rebirth and the plant-level signals
    expect(n.metrics).toBe(2 + plant.tags.filter((t) => t.asset === PLANT_ASSET).length);
    for (const d of n.devices) {
      expect(d.birth).toBe('live');
      expect(d.metrics).toBe(plant.tags.filter((t) => t.asset === d.deviceId).length);
    }
  });
});

/** A stand-in edge node that publishes what it is given every 150 ms until stopped (and ignores commands). */
async function publisher(messages: Array<{ topic: string; payload: Buffer }>): Promise<{ stop(): Promise<void> }> {
  const client = await connectAsync(`mqtt://${H}:${port}`, {
    clientId: `fake-node-${messages.length}`,
    reconnectPeriod: 0,
    protocolVersion: 4,
  });
  const timer = setInterval(() => {
    for (const m of messages) client.publish(m.topic, m.payload, { qos: 0 });
  }, 150);
  return {
    stop: async () => {
      clearInterval(timer);
      await client.endAsync();
    },
  };
}

const ndata = (seq: number) => Buffer.from([...uint(PAYLOAD.seq, seq), ...metric({ alias: 1, value: double(METRIC.double_value, 1.5) })]);

describe('Sparkplug B discovery says what it could not learn', () => {
  it('births that came but did not decode: said in the table and the notes, and no rebirth is asked for them', async () => {
    // a truncated protobuf (a metric of 32 bytes announced, 1 there)
    const damaged = Buffer.from([0x12, 0x20, 0x0a]);
    const node = await publisher([
      { topic: 'spBv1.0/Broken/NBIRTH/Gw1', payload: damaged },
      { topic: 'spBv1.0/Broken/DBIRTH/Gw1/plc', payload: damaged },
      { topic: 'spBv1.0/Broken/NDATA/Gw1', payload: ndata(1) },
    ]);
    try {
      const r = await runCli(['discover', `mqtt://${H}:${port}`, '--listen', '1500ms', '--rebirth']);
      expect(r.code, r.stderr).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.includes('Broken/Gw1') && l.includes('edge node'))!;
      expect(line).toMatch(/births seen but not decodable \(.+\)/);
      expect(line).not.toMatch(/births not seen|rebirth asked/);
      expect(r.stdout.split('\n').find((l) => l.includes('Broken/Gw1/plc'))).toMatch(/births seen but not decodable/);
      expect(r.stdout).toMatch(
        /Broken\/Gw1, Broken\/Gw1\/plc: births seen but not decodable as Sparkplug B \(.+\); a rebirth would bring the same/,
      );

      const j = await runCli(['discover', `mqtt://${H}:${port}`, '--listen', '1500ms', '--json']);
      const inv = JSON.parse(j.stdout) as Inventory;
      const b = inv.devices.find((d) => d.url === `mqtt://${H}:${port}`) as MqttDevice;
      const n = b.sparkplug!.groups.find((g) => g.groupId === 'Broken')!.nodes[0]!;
      expect(n).toMatchObject({ birth: 'not-seen', rebirthRequested: false, birthError: expect.any(String) });
      expect(n.undecodableBirths).toBeGreaterThan(0);
      expect(n.devices[0]).toMatchObject({ deviceId: 'plc', birth: 'not-seen', undecodableBirths: expect.any(Number) });
      expect(b.sparkplug!.undecodable).toBeGreaterThan(0);
    } finally {
      await node.stop();
    }
  });

  it('after --rebirth, a node that sends no birth back is said to have been asked and not answered', async () => {
    const node = await publisher([{ topic: 'spBv1.0/Deaf/NDATA/Gw2', payload: ndata(1) }]);
    try {
      const r = await runCli(['discover', `mqtt://${H}:${port}`, '--listen', '1500ms', '--rebirth']);
      expect(r.code, r.stderr).toBe(0);
      const line = r.stdout.split('\n').find((l) => l.includes('Deaf/Gw2'))!;
      expect(line).toMatch(/rebirth asked: no birth came back within the \d+(\.\d+)? s listen/);
      expect(r.stdout).toMatch(/Deaf\/Gw2: asked to rebirth, but no birth came back within the \d+(\.\d+)? s listen/);
      // the plant's node answered its rebirth
      expect(r.stdout.split('\n').find((l) => l.includes('Line3/Gateway7'))).toMatch(/rebirth asked and answered/);
    } finally {
      await node.stop();
    }
  });
});
