import { describe, expect, it } from 'vitest';
import { groundTruth } from '../../src/sim/ground-truth.js';
import { PlantModel, SLOT_MS } from '../../src/sim/model.js';
import { loadPlantFile } from '../../src/sim/plant-file.js';

const config = loadPlantFile();
const DAY = 86_400_000;
const start = Date.parse(config.start); // Monday 2026-01-05 00:00 Europe/Madrid

describe('plant model', () => {
  it('gives the same value for the same signal and instant, whatever was asked before', () => {
    const a = new PlantModel(config);
    const b = new PlantModel(config);
    const instants = [start + 3 * DAY + 12_345, start + 17.3 * DAY, start + 0.5 * DAY + 999];
    // b is asked far in the future and in the past first, and in reverse order
    b.value('plant.energy', start + 40 * DAY);
    b.value('pump1.bearingTemp', start - 2 * DAY);
    for (const s of [...a.signals].reverse()) for (const t of [...instants].reverse()) b.value(s.id, t);
    for (const s of a.signals) for (const t of instants) expect(a.value(s.id, t), `${s.id} @ ${t}`).toBe(b.value(s.id, t));
  });

  it('changes its noise with the seed, not its trend', () => {
    const a = new PlantModel(config, { seed: 1 });
    const b = new PlantModel(config, { seed: 2 });
    const t = start + 2 * DAY + 10 * 3_600_000;
    expect(a.value('pump1.vibration', t)).not.toBe(b.value('pump1.vibration', t));
    expect(a.trendVibration('pump1', t)).toBe(b.trendVibration('pump1', t));
  });

  it('degrades the pump bearing on the documented curve and trips it at the failure time', () => {
    const m = new PlantModel(config);
    const [curve] = m.bearingCurves();
    expect(curve!.asset).toBe('pump1');
    // fixtures/plants/default.yaml: onset 8 d, failure 26 d after the start, threshold 4.5 mm/s
    expect(curve!.onset).toBe(start + 8 * DAY);
    expect(curve!.failure).toBe(start + 26 * DAY);
    expect(m.trendVibration('pump1', curve!.onset)).toBe(1.4);
    expect(m.trendVibration('pump1', curve!.failure)).toBeCloseTo(4.5, 9);
    expect(m.trendVibration('pump1', curve!.failure - 3_600_000)).toBeLessThan(4.5);
    expect(m.trendVibration('pump1', start + 20 * DAY)).toBeGreaterThan(m.trendVibration('pump1', start + 16 * DAY));
    expect(m.value('pump1.running', curve!.failure - SLOT_MS)).toBe(true);
    expect(m.value('pump1.running', curve!.failure + 1)).toBe(false);
    expect(m.value('pump1.current', curve!.failure + 1)).toBe(0);
  });

  it('measures vibration around the trend: a week of running samples averages to it within 1 %', () => {
    const m = new PlantModel(config);
    let sum = 0;
    let trend = 0;
    for (let t = start; t < start + 7 * DAY; t += 60_000) {
      sum += m.value('pump1.vibration', t) as number;
      trend += m.trendVibration('pump1', t);
    }
    expect(Math.abs(sum / trend - 1)).toBeLessThan(0.01);
  });

  it('follows the shifts in local time: conveyors run Monday 10:00, not Saturday, not at night', () => {
    const m = new PlantModel(config);
    const h = 3_600_000;
    expect(m.producing(start + 10 * h)).toBe(true);
    expect(m.producing(start + 3 * h)).toBe(false);
    expect(m.producing(start + 5 * DAY + 10 * h)).toBe(false); // Saturday
    expect(m.producing(start + 21 * h + 59 * 60_000)).toBe(true);
    expect(m.producing(start + 22 * h)).toBe(false);
    let running = 0;
    for (let t = start + 6 * h; t < start + 22 * h; t += SLOT_MS) if (m.value('conveyor1.running', t)) running++;
    // 3 % micro-stops: most of the 960 production minutes run, not all
    expect(running).toBeGreaterThan(900);
    expect(running).toBeLessThan(960);
    expect(m.value('conveyor1.running', start + 5 * DAY + 10 * h)).toBe(false);
    expect(m.value('pump1.running', start + 5 * DAY + 10 * h)).toBe(true);
  });

  it('integrates power exactly into the energy counter', () => {
    const m = new PlantModel(config);
    const from = start + DAY + 1234;
    const to = start + 3 * DAY + 5678;
    let kwh = 0;
    // power is constant within a slot: sum slot powers (noise-free) over the span
    for (let t = from; t < to; ) {
      const next = Math.min(to, Math.floor((t - m.start) / SLOT_MS + 1) * SLOT_MS + m.start);
      kwh += (m.feeder('plant', t).powerKw * (next - t)) / 3_600_000;
      t = next;
    }
    const counter = (m.value('plant.energy', to) as number) - (m.value('plant.energy', from) as number);
    expect(counter).toBeCloseTo(kwh, 6);
    expect(m.value('plant.energy', start)).toBe(config.energy.initialKwh);
  });

  it('counts production only while a conveyor runs', () => {
    const m = new PlantModel(config);
    const h = 3_600_000;
    const night = m.value('conveyor1.count', start + 3 * h);
    expect(night).toBe(0);
    const noon = m.value('conveyor1.count', start + 12 * h) as number;
    const evening = m.value('conveyor1.count', start + 23 * h) as number;
    expect(noon).toBeGreaterThan(42 * 60 * 5); // 6 h at 42/min less micro-stops
    expect(evening).toBeGreaterThan(noon);
    expect(m.value('conveyor1.count', start + 23.5 * h)).toBe(evening);
  });

  it('writes ground truth whose kWh per day add up to the total', () => {
    const m = new PlantModel(config);
    const gt = groundTruth(m, start, start + 7 * DAY);
    expect(gt.energy.perDay).toHaveLength(7);
    const sum = gt.energy.perDay.reduce((s, d) => s + d.kwh, 0);
    expect(sum).toBeCloseTo(gt.energy.totalKwh, 1);
    expect(gt.energy.perDay[0]!.date).toBe('2026-01-05');
    expect(gt.energy.perDay[0]!.productionHours).toBe(16);
    expect(gt.energy.perDay[5]!.productionHours).toBe(0);
    // nights and weekends draw more than the configured base load (pump, compressor leaks), less than production
    expect(gt.energy.idleMeanKw).toBeGreaterThan(config.energy.baseLoadKw);
    expect(gt.energy.productionMeanKw).toBeGreaterThan(gt.energy.idleMeanKw);
    expect(gt.bearings[0]!.failureInSpan).toBe(false);
    expect(gt.energy.assets.compressor1!.idleKwh).toBeGreaterThan(0);
  });
});
