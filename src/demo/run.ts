/**
 * `iiot demo`: the commissioning workflow of the README, end to end, against the embedded plant
 * started in-process on 127.0.0.1 and free ports. Each step uses the same library code as the
 * command it stands for, and the summary ends with the commands to try next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../core/exit-codes.js';
import { createIO, emitJson, out, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import type { RunningPlant } from '../sim/plant.js';
import { analyse } from './analysis-step.js';
import { browsePlant, checkSecurity, discover, RECORD_SECONDS, recordPlant, trustEachOther } from './plant-steps.js';
import { nextCommands, render } from './render.js';
import { StepRunner } from './steps.js';

export interface DemoOptions {
  /** keep the files the demo writes (capture, reports) in this folder instead of a temp one */
  keep?: string;
  /** days of plant history generated for the offline analyses */
  days: number;
}

const TOTAL_STEPS = 8;

export async function runDemo(io: IO, opts: DemoOptions): Promise<number> {
  const started = performance.now();
  const dir = opts.keep ?? mkdtempSync(join(tmpdir(), 'iiot-demo-'));
  const steps = new StepRunner(io, TOTAL_STEPS);
  const { startPlant } = await import('../sim/plant.js');

  let plant: RunningPlant | undefined;
  const summary: Record<string, unknown> = { dir: opts.keep ?? null };
  try {
    plant = await steps.run('Starting the simulated plant (OPC UA, Modbus TCP, MQTT) on 127.0.0.1', async () => {
      const p = await startPlant({
        opcua: { port: 0, pkiDir: join(dir, 'plant-pki') },
        modbus: { port: 0 },
        mqtt: { port: 0 },
      });
      return { value: p, summary: `${p.tags.length} signals on 3 protocols, up in ${formatDuration(p.startupMs.total)}` };
    });
    if (plant) summary.plant = describePlant(plant);

    // Sub-steps run quietly, with a PKI of the demo's own: nothing is written to the user's store.
    const pkiDir = join(dir, 'iiot-pki');
    const quiet = createIO({ quiet: true, color: false }, { env: { ...io.env, IIOT_PKI_DIR: pkiDir } });
    if (plant?.opcua) await trustEachOther(plant, pkiDir);

    const inventory = plant
      ? await steps.run('Discovering what answers on 127.0.0.1 (iiot discover)', async () => {
          const rows = await discover(plant!);
          return { value: rows, summary: `${rows.length} devices: ${rows.map((r) => r.what).join('; ')}` };
        })
      : undefined;

    const glimpse = plant?.endpoints.opcua
      ? await steps.run('Browsing the OPC UA address space (Plant folder)', async () => {
          const g = await browsePlant(plant!, pkiDir, io);
          return {
            value: g,
            summary: `${g.nodes} nodes under /Objects/Plant in ${g.requests} requests over ${g.security}; ${g.variables.length} variables with units`,
          };
        })
      : undefined;

    const recording = plant
      ? await steps.run(`Recording ${RECORD_SECONDS} s from OPC UA, Modbus and MQTT into one capture (iiot record)`, async () => {
          const r = await recordPlant(plant!, join(dir, 'recording.jsonl'), quiet);
          return { value: r, summary: `${r.samples} samples of ${r.tags.length} tags from ${r.sources.length} sources` };
        })
      : undefined;

    const security = inventory
      ? await steps.run('Checking security posture, passively (iiot check security)', async () => {
          const c = await checkSecurity(
            inventory!.map((d) => d.url),
            quiet,
          );
          return {
            value: c,
            summary: `${c.findings.length} findings: ${
              Object.entries(c.counts)
                .filter(([, n]) => n > 0)
                .map(([k, n]) => `${n} ${k}`)
                .join(', ') || 'none'
            }`,
          };
        })
      : undefined;

    const capture = join(dir, 'plant-history.jsonl.gz');
    const generated = await steps.run(`Generating ${opts.days} days of plant history (accelerated clock)`, async () => {
      const { generateCapture } = await import('../sim/generate.js');
      const { loadPlantFile, defaultPlantPath } = await import('../sim/plant-file.js');
      const r = await generateCapture({
        plant: loadPlantFile(),
        plantFile: defaultPlantPath(),
        durationMs: opts.days * 86_400_000,
        intervalMs: 60_000,
        output: capture,
      });
      return {
        value: r,
        summary: `${r.samples.toLocaleString('en-US')} samples of ${r.tags} tags written to ${opts.keep ? capture : 'a temporary capture'}`,
      };
    });

    const analysis = generated
      ? await steps.run('Analysing degradation and energy offline', async () => {
          const a = await analyse(capture, generated.groundTruth);
          return { value: a, summary: a.degradation[0] ?? 'no degradation statement' };
        })
      : undefined;

    const commission = plant
      ? await steps.run('Running the site acceptance test and writing the handover (iiot commission run)', async () => {
          const { commissionPlant } = await import('./commission-step.js');
          const c = await commissionPlant(plant!, dir, quiet);
          if (!c.verified) throw new Error(`the handover in ${c.handover} does not verify`);
          return {
            value: c,
            summary: `${c.accepted ? 'ACCEPTED' : 'NOT ACCEPTED'}: ${c.counts.pass} passed, ${c.counts.fail} failed, ${c.counts.waived} waived; handover signed and verified`,
          };
        })
      : undefined;

    const body = {
      ...summary,
      inventory: inventory ?? [],
      addressSpace: glimpse ?? null,
      recording: recording ?? null,
      security: security ?? null,
      analysis: analysis ?? null,
      commission: commission ? { ...commission, handover: opts.keep ? commission.handover : null } : null,
      steps: steps.results.map((s) => ({ ...s, ms: Math.round(s.ms) })),
      next: nextCommands(),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
    if (io.json) emitJson(io, 'iiot.demo/1', body);
    else out(io, render(io, { inventory: body.inventory, glimpse, recording, security, analysis, commission }, body.seconds));
  } finally {
    await plant?.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
  return steps.results.every((s) => s.ok) ? ExitCode.Ok : ExitCode.Internal;
}

function describePlant(p: RunningPlant) {
  return { endpoints: p.endpoints, signals: p.tags.length, opcuaNodes: p.opcua?.nodeCount, startupMs: Math.round(p.startupMs.total) };
}
