/**
 * `iiot demo`: the commissioning workflow of the README, end to end, against the embedded plant
 * started in-process on 127.0.0.1 and free ports. Each step uses the same library code as the
 * command it stands for, and the summary ends with the commands to try next.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, out, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { renderTable } from '../ui/table.js';
import { StepRunner } from './steps.js';
import type { GroundTruth } from '../sim/ground-truth.js';
import type { RunningPlant } from '../sim/plant.js';

export interface DemoOptions {
  /** keep the files the demo writes (capture, reports) in this folder instead of a temp one */
  keep?: string;
  /** days of plant history generated for the offline analyses */
  days: number;
}

const TOTAL_STEPS = 5;

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
        opcua: { port: 0, pkiDir: join(dir, 'plant-pki'), autoAcceptClientCertificates: true },
        modbus: { port: 0 },
        mqtt: { port: 0 },
      });
      return { value: p, summary: `${p.tags.length} signals on 3 protocols, up in ${formatDuration(p.startupMs.total)}` };
    });
    if (plant) summary.plant = describePlant(plant);

    const inventory = plant
      ? await steps.run('Listing what is there', async () => {
          const rows = inventoryRows(plant!);
          return { value: rows, summary: `${rows.length} devices: ${rows.map((r) => r.what).join('; ')}` };
        })
      : undefined;

    const glimpse = plant?.endpoints.opcua
      ? await steps.run('Browsing the OPC UA address space (Plant folder)', async () => {
          const g = await browsePlant(plant!, join(dir, 'iiot-pki'), io);
          return { value: g, summary: `${g.nodes} nodes under /Objects/Plant in ${g.requests} requests over ${g.security}; ${g.variables.length} variables with units` };
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
      return { value: r, summary: `${r.samples.toLocaleString('en-US')} samples of ${r.tags} tags written to ${opts.keep ? capture : 'a temporary capture'}` };
    });

    const analysis = generated
      ? await steps.run('Analysing degradation and energy offline', async () => {
          const a = await analyse(capture, generated.groundTruth);
          return { value: a, summary: a.degradation[0] ?? 'no degradation statement' };
        })
      : undefined;

    const body = {
      ...summary,
      inventory: inventory ?? [],
      addressSpace: glimpse ?? null,
      analysis: analysis ?? null,
      steps: steps.results.map((s) => ({ ...s, ms: Math.round(s.ms) })),
      next: nextCommands(),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
    if (io.json) emitJson(io, 'iiot.demo/1', body);
    else out(io, render(io, body.inventory, glimpse, analysis, body.seconds));
  } finally {
    await plant?.stop();
    if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  }
  return steps.results.every((s) => s.ok) ? ExitCode.Ok : ExitCode.Internal;
}

interface InventoryRow {
  protocol: string;
  url: string;
  what: string;
}

function describePlant(p: RunningPlant) {
  return { endpoints: p.endpoints, signals: p.tags.length, opcuaNodes: p.opcua?.nodeCount, startupMs: Math.round(p.startupMs.total) };
}

function inventoryRows(p: RunningPlant): InventoryRow[] {
  const rows: InventoryRow[] = [];
  if (p.endpoints.opcua) rows.push({ protocol: 'OPC UA', url: p.endpoints.opcua, what: `OPC UA server, ${p.opcua?.nodeCount.toLocaleString('en-US')} nodes (DI, IA, Machinery + plant)` });
  if (p.endpoints.modbus) {
    for (const u of p.modbus?.units ?? []) rows.push({ protocol: 'Modbus TCP', url: `${p.endpoints.modbus.replace(/\?unit=\d+$/, '')}?unit=${u.unitId}`, what: `${u.description} (${u.map})` });
  }
  if (p.endpoints.mqtt) {
    const sp = p.mqtt?.sparkplug;
    rows.push({ protocol: 'MQTT', url: p.endpoints.mqtt, what: `broker: JSON on ${p.mqtt?.topicPrefix ?? 'plant'}/#${sp ? `, Sparkplug B node ${sp.groupId}/${sp.edgeNodeId} with ${sp.devices.length} devices` : ''}` });
  }
  return rows;
}

interface DemoAnalysis {
  degradation: string[];
  energy: string[];
  /** what the simulator knows really happened, to compare with */
  truth: string[];
}

async function analyse(capture: string, truth: GroundTruth): Promise<DemoAnalysis> {
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

interface Glimpse {
  security: string;
  nodes: number;
  requests: number;
  variables: Array<{ path: string; nodeId: string; unit?: string }>;
}

/**
 * What `iiot browse URL /Objects/Plant --depth 3` does, with a PKI of the demo's own in which the
 * plant's certificate is trusted explicitly (as `iiot pki trust FILE` would): nothing is trusted
 * silently, even in the demo.
 */
async function browsePlant(plant: RunningPlant, pkiDir: string, io: IO): Promise<Glimpse> {
  const [{ Pki }, { openSession }, { crawl, browsePath }, { resolveNode }, { sessionIO }, { parseTarget }] = await Promise.all([
    import('../protocols/opcua/pki.js'),
    import('../protocols/opcua/session.js'),
    import('../protocols/opcua/crawler.js'),
    import('../protocols/opcua/browse-path.js'),
    import('../protocols/opcua/cli-io.js'),
    import('../core/targets.js'),
  ]);
  const pki = new Pki(pkiDir);
  const url = plant.endpoints.opcua!;
  pki.trust(plant.opcua!.certificateFile, 'pki trust', url);
  const target = parseTarget(url);
  if (target.protocol !== 'opcua') throw new Error(`not an OPC UA endpoint: ${url}`);
  const s = await openSession({
    connect: { target, identity: { kind: 'anonymous' }, trustOnFirstUse: false, timeoutMs: 10_000 },
    pki,
    io: { ...sessionIO(io), info: () => {} },
  });
  try {
    const root = (await resolveNode(s.session, '/Objects/Plant')).nodeId;
    const result = await crawl(s.session, { roots: [root], maxDepth: 3, attributes: true });
    const variables = result.nodes
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => n.nodeClass === 'Variable' && n.unit !== undefined)
      .map(({ n, i }) => ({ path: `/Objects${browsePath(result.nodes, i)}`, nodeId: n.nodeId, ...(n.unit ? { unit: n.unit } : {}) }));
    return { security: `${s.endpoint.securityMode}/${s.endpoint.securityPolicy}`, nodes: result.nodes.length, requests: result.stats.requests, variables };
  } finally {
    await s.close();
    await pki.close();
  }
}

function nextCommands(): string[] {
  return [
    'iiot sim                                        # keep the plant running (ports 4840, 5020, 1883)',
    'iiot browse opc.tcp://127.0.0.1:4840 /Objects/Plant --depth 2 --attributes --trust-on-first-use',
    'iiot sim --generate --days 21 -o plant.jsonl.gz',
    'iiot capture info plant.jsonl.gz',
    'iiot analyze degradation plant.jsonl.gz --tag pump1.vibration --threshold zone:C/D --report pump.html',
    'iiot analyze energy plant.jsonl.gz --report energy.html',
  ];
}

function render(io: IO, inventory: InventoryRow[], glimpse: Glimpse | undefined, analysis: DemoAnalysis | undefined, seconds: number): string {
  const s = io.style;
  const lines: string[] = ['', s.bold('What is there')];
  lines.push(renderTable(inventory, [
    { header: 'protocol', value: (r) => r.protocol },
    { header: 'endpoint', value: (r) => r.url },
    { header: 'device', value: (r) => r.what },
  ], { indent: '  ' }));
  if (glimpse) {
    lines.push('', s.bold(`A glimpse of the address space (${glimpse.security}, ${glimpse.requests} requests for ${glimpse.nodes} nodes)`));
    lines.push(
      renderTable(glimpse.variables.slice(0, 8), [
        { header: 'browse path', value: (v) => v.path },
        { header: 'node id', value: (v) => v.nodeId },
        { header: 'unit', value: (v) => v.unit ?? '' },
      ], { indent: '  ' }),
    );
    if (glimpse.variables.length > 8) lines.push(s.dim(`  ... and ${glimpse.variables.length - 8} more variables`));
  }
  if (analysis) {
    lines.push('', s.bold('Degradation (pump 1 bearing)'));
    for (const d of analysis.degradation) lines.push(`  ${d}`);
    lines.push('', s.bold('Energy'));
    for (const e of analysis.energy) lines.push(`  ${e}`);
    lines.push('', s.bold('Ground truth (the simulator knows)'));
    for (const t of analysis.truth) lines.push(`  ${t}`);
  }
  lines.push('', s.bold('Try next'), ...nextCommands().map((c) => `  $ ${c}`), '', s.dim(`demo finished in ${seconds.toFixed(1)} s`));
  return lines.join('\n');
}
