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
  const deg = d.inputs.map((i) =>
    degradation.analyzeIndicator(i, { threshold: { kind: 'zone', boundary: 'C/D' }, iso: { group: 2, foundation: 'rigid' } }),
  );
  cap = await openCapture(capture);
  const e = await source.collectEnergy(cap, timeMs, {}, {});
  await cap.close();
  // As `iiot analyze energy` runs it: local days in the site's zone, idle time from the producing flag.
  const en = energy.analyzeEnergy(
    {
      main: e.main,
      subs: e.subs,
      checks: e.checks,
      ...(e.production ? { production: e.production } : {}),
      ...(e.producing ? { producing: e.producing } : {}),
    },
    { tz: truth.timezone },
  );
  const bearing = truth.bearings.find((b) => b.tag === 'pump1.vibration');
  const truthLines: string[] = [];
  if (bearing) {
    const days = (Date.parse(bearing.failure) - Date.parse(truth.to)) / 86_400_000;
    truthLines.push(
      `the simulated bearing reaches ${bearing.thresholdMmS} mm/s at ${bearing.failure.slice(0, 16).replace('T', ' ')} UTC, ${days >= 0 ? `${days.toFixed(1)} days after the end of the data` : 'inside the data'}; degradation began ${bearing.onset.slice(0, 16).replace('T', ' ')} UTC`,
    );
  }
  // The simulator's baseLoadKw is one component (lighting, HVAC, IT), not the plant's base load: the
  // cooling pump and the compressor run day and night. What a meter can see, and what iiot's idle
  // figure is scored against, is the idle mean.
  const t = truth.energy;
  truthLines.push(
    `the simulated plant drew ${(t.totalKwh / 1000).toFixed(1)} MWh; while not producing it drew ${t.idleMeanKw.toFixed(1)} kW on average (its base load: ${t.baseLoadKw} kW of always-on auxiliaries plus the machines that run day and night), and its highest 15-minute demand was ${t.peakDemand15MinKw.toFixed(1)} kW`,
  );
  const pick = (re: RegExp) => en.statements.find((x) => re.test(x));
  const energyLines = [pick(/ over .* days /), pick(/peak .*demand/), pick(/while nothing was produced/), pick(/^base load/)].filter(
    (x): x is string => x !== undefined,
  );
  return { degradation: deg.map((r) => r.statement), energy: energyLines, truth: truthLines };
}
