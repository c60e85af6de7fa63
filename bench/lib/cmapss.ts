/** Loading NASA C-MAPSS FD001 (datasets/cmapss): whitespace-separated, no header, trailing spaces. */
import type { FleetUnit } from '../../src/analysis/fleet-rul.js';
import { datasetText } from './datasets.js';

export function readUnits(file: string): FleetUnit[] {
  const text = datasetText(`cmapss/${file}`);
  const units = new Map<number, FleetUnit>();
  for (const line of text.split('\n')) {
    const f = line.trim().split(/\s+/).map(Number);
    if (f.length < 26) continue;
    const id = f[0]!;
    let u = units.get(id);
    if (!u) units.set(id, (u = { id, settings: [], sensors: [] }));
    u.settings.push(f.slice(2, 5));
    u.sensors.push(f.slice(5, 26));
  }
  return [...units.values()];
}

export function readRul(): number[] {
  return datasetText('cmapss/RUL_FD001.txt')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map(Number);
}

/** RMSE and the PHM08 asymmetric score (late predictions cost more): d = predicted - true. */
export function score(pred: number[], truth: number[]): { rmse: number; phm: number; mae: number } {
  let se = 0;
  let phm = 0;
  let ae = 0;
  for (let i = 0; i < pred.length; i++) {
    const d = pred[i]! - truth[i]!;
    se += d * d;
    ae += Math.abs(d);
    phm += d < 0 ? Math.exp(-d / 13) - 1 : Math.exp(d / 10) - 1;
  }
  return { rmse: Math.sqrt(se / pred.length), phm, mae: ae / pred.length };
}
