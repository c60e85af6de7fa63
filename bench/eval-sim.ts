/**
 * Evaluation on the simulator's captures, whose header carries the ground truth (docs/sim.md):
 * the plant's true kWh per day, idle mean power, 15-minute peak, base load (the pump bearing's
 * degradation: bench/eval-sim-degradation.ts, through the CLI at several time scales). Generates
 * captures with `iiot sim --generate` (the built CLI: run `npm run build` first) for a few seeds and analyses them
 * through the same path as `iiot analyze` (reader -> accumulators -> analysis).
 *
 *   node --import tsx bench/eval-sim.ts [--seeds 1,2,3] [--days 30]
 */

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openCapture, timeMs } from '../src/capture/reader.js';
import { analyzeEnergy } from '../src/analysis/energy.js';
import { collectEnergy } from '../src/analysis/source.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : def;
};
const seeds = arg('--seeds', '1,2,3').split(',').map(Number);
const days = Number(arg('--days', '30'));

interface Truth {
  timezone: string;
  bearings: {
    tag: string;
    onset: string;
    failure: string;
    thresholdMmS: number;
    baselineMmS: number;
    amplitudeMmS: number;
    growthPerDay: number;
    isoGroup: 1 | 2 | 3 | 4;
    foundation: 'rigid' | 'flexible';
  }[];
  energy: {
    energyTag: string;
    powerTag: string;
    totalKwh: number;
    perDay: { date: string; kwh: number }[];
    baseLoadKw: number;
    idleMeanKw: number;
    peakDemand15MinKw: number;
    peakDemandAt: string;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'iiot-eval-sim-'));
const energyRows: string[] = [];
try {
  for (const seed of seeds) {
    const file = join(dir, `sim-${seed}.jsonl.gz`);
    const gen = () =>
      execFileSync(
        process.execPath,
        [join(ROOT, 'bin/iiot.js'), 'sim', '--generate', '--days', String(days), '--seed', String(seed), '-o', file, '--quiet'],
        { stdio: 'ignore' },
      );
    try {
      gen();
    } catch {
      gen(); // once more: dist/ may have been rebuilt under us
    }
    const head = await openCapture(file);
    const truth = (head.header.metadata as { groundTruth: Truth }).groundTruth;
    await head.close();
    const tz = truth.timezone;

    // Energy
    const cap = await openCapture(file);
    const data = await collectEnergy(cap, timeMs, { meter: truth.energy.powerTag });
    const r = analyzeEnergy(
      {
        main: data.main,
        subs: data.subs,
        checks: data.checks,
        ...(data.producing ? { producing: data.producing } : {}),
        ...(data.reactive ? { reactive: data.reactive } : {}),
      },
      { tz },
    );
    const perDay = new Map(r.totals.days.map((d) => [d.day, d.kwh]));
    let worstDay = 0;
    for (const d of truth.energy.perDay) worstDay = Math.max(worstDay, Math.abs((perDay.get(d.date) ?? 0) / d.kwh - 1));
    const pct = (a: number, b: number) => `${(((a - b) / b) * 100).toFixed(2)}%`;
    const counter = r.reconciliation?.find((x) => x.tag === truth.energy.energyTag);
    energyRows.push(
      `| ${seed} | ${truth.energy.totalKwh.toFixed(0)} / ${r.totals.kwh.toFixed(0)} (${pct(r.totals.kwh, truth.energy.totalKwh)}) | ${(worstDay * 100).toFixed(2)}% | ${truth.energy.idleMeanKw.toFixed(1)} / ${r.idle?.meanKw.toFixed(1) ?? '-'} | ${truth.energy.peakDemand15MinKw.toFixed(2)} / ${r.demand.peak!.kw.toFixed(2)} | ${truth.energy.baseLoadKw.toFixed(1)} / ${r.baseLoad.estimators.map((e) => `${e.name} ${e.kw.toFixed(1)}`).join(', ')} | ${counter ? `${(counter.difference * 100).toFixed(2)}%` : '-'} |`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

console.log(`Simulator captures (${days} days each, iiot sim --generate --seed N); truth / iiot\n`);
console.log(
  '| seed | total kWh | worst day error | idle mean kW | 15-min peak kW | base load kW (truth: the always-on auxiliary load / estimators of the metered base) | counter vs integrated power |',
);
console.log('| --- | --- | ---: | --- | --- | --- | ---: |');
for (const r of energyRows) console.log(r);
