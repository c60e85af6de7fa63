/**
 * The demo's offline step says what the meter shows beside the simulator's truth of the same
 * quantity: the plant's idle (base) load, not one component of it beside a metered figure.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { analyse } from '../../src/demo/analysis-step.js';
import { generateCapture } from '../../src/sim/generate.js';
import { defaultPlantPath, loadPlantFile } from '../../src/sim/plant-file.js';

const dir = mkdtempSync(join(tmpdir(), 'iiot-demo-analysis-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('demo analysis step', () => {
  it('compares the metered idle load with the true idle load, and says what the 18 kW auxiliary load is', async () => {
    const capture = join(dir, 'history.jsonl.gz');
    const g = await generateCapture({
      plant: loadPlantFile(),
      plantFile: defaultPlantPath(),
      durationMs: 7 * 86_400_000,
      intervalMs: 60_000,
      output: capture,
    });
    const a = await analyse(capture, g.groundTruth);
    const truth = g.groundTruth.energy;
    const idle = a.energy.find((l) => /while nothing was produced/.test(l));
    expect(idle).toBeDefined();
    const kw = Number(/at ([\d.]+) kW on average/.exec(idle!)![1]);
    expect(Math.abs(kw - truth.idleMeanKw)).toBeLessThan(0.5);
    // the auxiliary load is named as a part of the base load, and the truth states the comparable figure
    expect(a.truth.join('\n')).toMatch(
      new RegExp(
        `while not producing it drew ${truth.idleMeanKw.toFixed(1)} kW on average \\(its base load: ${truth.baseLoadKw} kW of always-on auxiliaries plus the machines that run day and night\\)`,
      ),
    );
    expect(a.energy[0]).toMatch(/MWh over 7\.00 days/);
  });
});
