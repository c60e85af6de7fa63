/**
 * The demo's offline step: what `iiot analyze degradation` and `iiot analyze energy` say about
 * generated plant history, beside the ground truth the simulator wrote into the capture header.
 */
import type { GroundTruth } from '../sim/ground-truth.js';

export interface DemoAnalysis {
  degradation: string[];
  energy: string[];
  /** what the simulator knows really happened, to compare with */
  truth: string[];
}

export async function analyse(capture: string, truth: GroundTruth): Promise<DemoAnalysis> {
  const [{ openCapture, timeMs }, source, degradation, energy] = await Promise.all([
    import('../capture/reader.js'),
    import('../analysis/source.js'),
    import('../analysis/degradation.js'),
    import('../analysis/energy.js'),
  ]);
  let cap = await openCapture(capture);
  const d = await source.collectDegradation(cap, timeMs, { tags: ['pump1.vibration'] });
  await cap.close();
  const deg = d.inputs.map((i) => degradation.analyzeIndicator(i, { threshold: { kind: 'zone', boundary: 'C/D' }, iso: { group: 2, foundation: 'rigid' } }));
  cap = await openCapture(capture);
  const e = await source.collectEnergy(cap, timeMs, {}, {});
  await cap.close();
  const en = energy.analyzeEnergy({ main: e.main, subs: e.subs, checks: e.checks, ...(e.production ? { production: e.production } : {}) }, {});
  const bearing = truth.bearings.find((b) => b.tag === 'pump1.vibration');
  const truthLines: string[] = [];
  if (bearing) {
    const days = (Date.parse(bearing.failure) - Date.parse(truth.to)) / 86_400_000;
    truthLines.push(`the simulated bearing reaches ${bearing.thresholdMmS} mm/s at ${bearing.failure.slice(0, 16).replace('T', ' ')} UTC, ${days >= 0 ? `${days.toFixed(1)} days after the end of the data` : 'inside the data'}; degradation began ${bearing.onset.slice(0, 16).replace('T', ' ')} UTC`);
  }
  truthLines.push(`the simulated plant drew ${(truth.energy.totalKwh / 1000).toFixed(1)} MWh; its base load is ${truth.energy.baseLoadKw} kW`);
  return { degradation: deg.map((r) => r.statement), energy: en.statements.slice(0, 3), truth: truthLines };
}
