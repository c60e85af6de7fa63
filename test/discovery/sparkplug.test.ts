/**
 * Sparkplug B through a broker that keeps no birth certificates (Debian's mosquitto): the plant's
 * edge node connects and publishes its births before discovery listens, so a listener hears only
 * data, until --rebirth asks the node (NCMD Node Control/Rebirth) to publish its births again.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, MqttDevice } from '../../src/discovery/inventory.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { PLANT_ASSET } from '../../src/sim/signals.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { removeTempDirs } from '../helpers/temp.js';
import { loopbackBlock, portFreeOn } from './helpers.js';

const block = loopbackBlock();
const H = block.host(1);
let broker: Mosquitto;
let plant: RunningPlant;
let port: number;

beforeAll(async () => {
  port = await portFreeOn([H]);
  broker = await startMosquitto({ host: H, port });
  plant = await startPlant({ opcua: false, modbus: false, mqtt: { brokerUrl: broker.url, json: false, groupId: 'Line3', edgeNodeId: 'Gateway7' }, updateIntervalMs: 200 });
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
