import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeEnergyCapture, writeVibrationCapture } from './captures.js';

let dir: string;
let energyFile: string;
let vibFile: string;
let expectedKwh: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iiot-analyze-'));
  energyFile = join(dir, 'plant.jsonl');
  vibFile = join(dir, 'pumps.jsonl');
  expectedKwh = writeEnergyCapture(energyFile).kwh;
  writeVibrationCapture(vibFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iiot analyze energy', () => {
  it('--json: totals, demand, idle, power factor, energy per unit, documented schema', async () => {
    const r = await runCli(['analyze', 'energy', energyFile, '--json', '--tz', 'UTC']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.energy/1');
    expect(j.meter.tag).toBe('plant.power');
    expect(j.totals.kwh).toBeGreaterThan(expectedKwh * 0.995);
    expect(j.totals.kwh).toBeLessThan(expectedKwh * 1.005);
    expect(j.totals.days).toHaveLength(3); // the last sample (00:00 of day 4) closes day 3
    expect(j.demand.peak.kw).toBeCloseTo(100, 0);
    expect(j.demand.series).toBeUndefined();
    expect(j.idle.source).toBe('producing-tag');
    expect(j.idle.meanKw).toBeCloseTo(40, 0);
    expect(j.powerFactor.overall).toBeCloseTo(1 / Math.hypot(1, 0.5), 2);
    expect(j.production.tag).toBe('line.count');
    expect(j.production.kwhPerUnit).toBeGreaterThan(1);
    expect(j.subMeters[0].tag).toBe('compressor.power');
    expect(j.reconciliation[0].tag).toBe('plant.energy');
    expect(Math.abs(j.reconciliation[0].difference)).toBeLessThan(0.01);
    expect(j.notes.join('\n')).toMatch(/plant\.power: 1 non-numeric readings skipped/);
  });

  it('writes a Markdown and an HTML report', async () => {
    const md = join(dir, 'e.md');
    const html = join(dir, 'e.html');
    expect((await runCli(['analyze', 'energy', energyFile, '--report', md, '-q'])).code).toBe(0);
    expect((await runCli(['analyze', 'energy', energyFile, '--report', html, '-q'])).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/^# Energy: .*\n[\s\S]*## Load profile \(mean kW\)/);
    const h = readFileSync(html, 'utf8');
    expect(h.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3);
    expect(h).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('bad input: an unknown meter, a tariff with a wrong field, a report format, a time zone', async () => {
    const a = await runCli(['analyze', 'energy', energyFile, '--meter', 'plant.pwr']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--meter plant\.pwr: no such tag in the capture/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'currency: EUR\nenergy:\n  - name: day\n    price: "0.2 EUR"\n');
    const b = await runCli(['analyze', 'energy', energyFile, '--tariff', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${bad}:4: tariff field energy[0].price`);
    const c = await runCli(['analyze', 'energy', energyFile, '--report', join(dir, 'r.txt')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/FILE\.md or --report FILE\.html/);
    const d = await runCli(['analyze', 'energy', energyFile, '--tz', 'Mars/Olympus']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/unknown time zone/);
    const e = await runCli(['analyze', 'energy', energyFile, '--meter', 'plant.producing']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/plant\.producing: the capture header gives no unit/);
  });
});

describe('iiot analyze degradation', () => {
  it('--json: finds the degrading pump, leaves stopped periods out, gives the remaining life to zone C/D', async () => {
    const r = await runCli(['analyze', 'degradation', vibFile, '--json', '--threshold', 'zone:C/D', '--group', '2', '--foundation', 'rigid']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.degradation/1');
    const pump = j.indicators.find((i: { name: string }) => i.name === 'pump.vibration');
    const fan = j.indicators.find((i: { name: string }) => i.name === 'fan.vibration');
    expect(pump.status).toMatch(/degrading|above-threshold/);
    expect(Date.parse(pump.onset.startedAt)).toBeGreaterThan(Date.UTC(2026, 2, 14));
    expect(pump.points.t[0]).toMatch(/^2026-03-02T\d\d:00:00\.000Z$/);
    expect(pump.threshold.value).toBe(4.5);
    expect(pump.notes.join(' ')).toMatch(/taken while pump\.running was off were left out/);
    expect(fan.status).toBe('healthy');
    expect(fan.statement).toMatch(/no degradation trend/);
    expect(j.iso.boundaries['C/D']).toBe(4.5);
    expect(r.stderr).toMatch(/times, days and hours in Europe\/Madrid, the capture's time zone/);
  });

  it('--fail-on degrading exits 1; a capture without vibration tags is a clear usage error', async () => {
    const r = await runCli(['analyze', 'degradation', vibFile, '--fail-on', 'degrading', '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pump\.vibration .*DEGRADING/);
    const e = await runCli(['analyze', 'degradation', energyFile]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/no vibration or temperature tag in the capture/);
    const t = await runCli(['analyze', 'degradation', vibFile, '--threshold', '7.1 furlongs']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown unit "furlongs"/);
  });

  it('--fuse makes one health index; --report writes the charts', async () => {
    const html = join(dir, 'd.html');
    const r = await runCli(['analyze', 'degradation', vibFile, '--tag', 'pump.vibration', '--tag', 'fan.vibration', '--fuse', '--json', '--report', html]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.indicators).toHaveLength(1);
    expect(j.indicators[0].quantity).toBe('health-index');
    expect(j.fused.map((w: { name: string }) => w.name).sort()).toEqual(['fan.vibration', 'pump.vibration']);
    expect(existsSync(html)).toBe(true);
  });

  it('help shows both analyses with examples', async () => {
    const r = await runCli(['analyze', 'degradation', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--threshold <t>/);
    expect(r.stdout).toMatch(/\$ iiot analyze degradation pumps\.jsonl\.gz --threshold zone:C\/D/);
  });
});
