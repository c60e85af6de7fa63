import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { isSample } from '../../src/capture/types.js';
import { generateCapture } from '../../src/sim/generate.js';
import { PlantModel } from '../../src/sim/model.js';
import { loadPlantFile } from '../../src/sim/plant-file.js';
import { startPlant } from '../../src/sim/plant.js';
import { refused } from '../helpers/net.js';
import { ptyPair } from '../helpers/pty.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(removeTempDirs);

/** Handles that would keep a process alive (servers, sockets, timers, file watchers), by type. */
function liveHandles(): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of process.getActiveResourcesInfo()) {
    // (pipes are left out: the worker's own stdout/stderr are created lazily on first use)
    if (/TCP|UDP|Timeout|FSEvent|StatWatcher|Signal/.test(r)) counts.set(r, (counts.get(r) ?? 0) + 1);
  }
  return counts;
}

describe('startPlant', () => {
  it('starts every server on free loopback ports and leaves no handle behind when stopped', async () => {
    const dir = tempDir('plant');
    const pty = await ptyPair(dir);
    const before = liveHandles();
    const plant = await startPlant({
      opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'pki') },
      modbus: { port: 0 },
      mqtt: { port: 0 },
      rtu: { path: pty.b, baudRate: 9600 },
      updateIntervalMs: 100,
    });
    const urls = [plant.endpoints.opcua!, plant.endpoints.modbus!, plant.endpoints.mqtt!];
    try {
      expect(urls.map((u) => new URL(u).hostname)).toEqual(['127.0.0.1', '127.0.0.1', '127.0.0.1']);
      for (const u of urls) expect(await refused(u), u).toBe(false);
      expect(plant.endpoints.rtu).toBe(`modbus-rtu://${pty.b}?baud=9600&parity=none&unit=1`);
      expect(plant.tags.find((t) => t.name === 'pump1.vibration')).toMatchObject({
        unit: 'mm/s',
        opcua: `ns=${plant.opcua!.namespaceIndex};s=pump1.vibration`,
        mqtt: 'plant/pump1/vibration',
        sparkplug: 'spBv1.0/IIoT/SimPlant/pump1:vibration',
      });
    } finally {
      await plant.stop();
      await pty.stop();
    }
    for (const u of urls) expect(await refused(u), u).toBe(true);
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
    const after = liveHandles();
    for (const [type, n] of after) expect(n, `${type} handles left open`).toBeLessThanOrEqual(before.get(type) ?? 0);
  });

  it('binds another loopback address for discovery scans', async () => {
    const plant = await startPlant({
      host: '127.0.0.2',
      opcua: false,
      modbus: { port: 0 },
      mqtt: { port: 0, sparkplug: false, json: false },
    });
    try {
      expect(plant.endpoints.modbus).toMatch(/^modbus:\/\/127\.0\.0\.2:\d+$/);
      expect(plant.endpoints.mqtt).toMatch(/^mqtt:\/\/127\.0\.0\.2:\d+$/);
      expect(await refused(plant.endpoints.modbus!)).toBe(false);
      expect(await refused(plant.endpoints.modbus!.replace('127.0.0.2', '127.0.0.1'))).toBe(true);
    } finally {
      await plant.stop();
    }
  });

  it('runs the model on an accelerated clock from the given start', async () => {
    const start = Date.parse('2026-03-02T08:00:00Z');
    const plant = await startPlant({ start, timeScale: 3600, opcua: false, modbus: false, mqtt: false });
    try {
      const wall0 = Date.now();
      await new Promise((r) => setTimeout(r, 50));
      const elapsedWall = Date.now() - wall0;
      // at least 50 ms of wall time have passed: at least 3 minutes of model time
      expect(plant.clock.now() - start).toBeGreaterThanOrEqual(elapsedWall * 3600);
      expect(plant.model.start).toBe(start);
    } finally {
      await plant.stop();
    }
  });
  it('starts an aged plant: the epoch lies --age before the start, timestamps stay current', async () => {
    const start = Date.parse('2026-03-02T08:00:00Z');
    const plant = await startPlant({ start, age: 25 * 86_400_000, opcua: false, modbus: false, mqtt: false });
    try {
      expect(plant.model.start).toBe(start - 25 * 86_400_000);
      expect(plant.clock.modelStart).toBe(start);
      // the default plant's pump fails 26 days after the epoch: one day to go, well past the onset
      const [curve] = plant.model.bearingCurves();
      expect(curve!.failure - start).toBe(86_400_000);
      expect(plant.model.trendVibration('pump1', start)).toBeGreaterThan(3.5);
    } finally {
      await plant.stop();
    }
  });
});

describe('generateCapture', () => {
  it('writes the model values exactly (to 4 decimals) with tags and ground truth', async () => {
    const dir = tempDir('gen');
    const plant = loadPlantFile();
    const file = join(dir, 'g.jsonl');
    const result = await generateCapture({
      plant,
      plantFile: 'default.yaml',
      durationMs: 6 * 3_600_000,
      intervalMs: 300_000,
      output: file,
      tags: ['pump1.vibration', 'conveyor1.*'],
    });
    expect(result.tags).toBe(9);
    expect(result.samples).toBe(73 * 9);
    const model = new PlantModel(plant);
    const capture = await openCapture(file);
    expect(capture.header.sources[0]).toMatchObject({ id: 'sim', protocol: 'sim', options: { seed: 42, intervalMs: 300_000 } });
    expect(capture.header.tags.find((t) => t.name === 'pump1.vibration')).toMatchObject({
      unit: 'mm/s',
      dataType: 'float64',
      address: 'nsu=urn:iiot:sim:plant;s=pump1.vibration',
      range: [0, 25],
    });
    let checked = 0;
    for await (const rec of capture) {
      if (!isSample(rec)) continue;
      const want = model.value(rec.tag, Date.parse(rec.t));
      if (typeof want === 'number') expect(rec.v as number).toBeCloseTo(want, 4);
      else expect(rec.v).toBe(want);
      checked++;
    }
    await capture.close();
    expect(checked).toBe(result.samples);
  });
});
