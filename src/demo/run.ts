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
import { renderTable } from '../ui/table.js';
import { StepRunner } from './steps.js';
import type { InventoryDevice } from '../discovery/inventory.js';
import type { SourceSpec } from '../record/options.js';
import type { GroundTruth } from '../sim/ground-truth.js';
import type { RunningPlant } from '../sim/plant.js';

export interface DemoOptions {
  /** keep the files the demo writes (capture, reports) in this folder instead of a temp one */
  keep?: string;
  /** days of plant history generated for the offline analyses */
  days: number;
}

const TOTAL_STEPS = 7;

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

    // Sub-steps run quietly, with a PKI of the demo's own: nothing is written to the user's store.
    const pkiDir = join(dir, 'iiot-pki');
    const quiet = createIO({ quiet: true, color: false }, { env: { ...io.env, IIOT_PKI_DIR: pkiDir } });
    if (plant?.opcua) await trustPlant(plant, pkiDir);

    const inventory = plant
      ? await steps.run('Discovering what answers on 127.0.0.1 (iiot discover)', async () => {
          const rows = await discover(plant!);
          return { value: rows, summary: `${rows.length} devices: ${rows.map((r) => r.what).join('; ')}` };
        })
      : undefined;

    const glimpse = plant?.endpoints.opcua
      ? await steps.run('Browsing the OPC UA address space (Plant folder)', async () => {
          const g = await browsePlant(plant!, pkiDir, io);
          return { value: g, summary: `${g.nodes} nodes under /Objects/Plant in ${g.requests} requests over ${g.security}; ${g.variables.length} variables with units` };
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
          const c = await checkSecurity(inventory!.map((d) => d.url), quiet);
          return { value: c, summary: `${c.findings.length} findings: ${Object.entries(c.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}` };
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
      recording: recording ?? null,
      security: security ?? null,
      analysis: analysis ?? null,
      steps: steps.results.map((s) => ({ ...s, ms: Math.round(s.ms) })),
      next: nextCommands(),
      seconds: Number(((performance.now() - started) / 1000).toFixed(1)),
    };
    if (io.json) emitJson(io, 'iiot.demo/1', body);
    else out(io, render(io, { inventory: body.inventory, glimpse, recording, security, analysis }, body.seconds));
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

/** What `iiot discover 127.0.0.1 --ports ...` finds: the plant's ports only, gently, read-only. */
async function discover(p: RunningPlant): Promise<InventoryRow[]> {
  const [{ parseDiscoverOptions }, { runScan }] = await Promise.all([import('../discovery/options.js'), import('../discovery/scan.js')]);
  const port = (url: string | undefined) => (url ? new URL(url.replace(/^[a-z.-]+:/, 'http:')).port : undefined);
  const ports = [
    [port(p.endpoints.opcua), 'opcua'],
    [port(p.endpoints.modbus), 'modbus'],
    [port(p.endpoints.mqtt), 'mqtt'],
  ]
    .filter(([n]) => n !== undefined)
    .map(([n, proto]) => `${n}:${proto}`)
    .join(',');
  const options = parseDiscoverOptions([p.host], { ports, defaultPorts: false, listen: '2s', unitIds: '1-3', json: true });
  const { inventory } = await runScan(options, {}, new AbortController().signal);
  return inventory.devices.map((d) => ({ protocol: PROTOCOL_NAMES[d.protocol] ?? d.protocol, url: d.url, what: describeDevice(d) }));
}

const PROTOCOL_NAMES: Record<string, string> = { opcua: 'OPC UA', modbus: 'Modbus TCP', 'modbus-rtu': 'Modbus RTU', mqtt: 'MQTT' };

function describeDevice(d: InventoryDevice): string {
  if (d.protocol === 'opcua') {
    const modes = [...new Set(d.endpoints.map((e) => `${e.securityMode}${e.securityPolicy === 'None' ? '' : `/${e.securityPolicy}`}`))];
    return `${d.name}: ${d.endpoints.length} endpoints (${modes.join(', ')})`;
  }
  if (d.protocol === 'mqtt') {
    const sp = d.sparkplug;
    const nodes = sp ? sp.groups.reduce((n, g) => n + g.nodes.length, 0) : 0;
    const devices = sp ? sp.groups.reduce((n, g) => n + g.nodes.reduce((m, node) => m + node.devices.length, 0), 0) : 0;
    return `${d.name}${sp ? `, Sparkplug B: ${nodes} edge node${nodes === 1 ? '' : 's'} with ${devices} devices` : ''}`;
  }
  return d.name;
}

/** The demo trusts the plant it started, explicitly, as `iiot pki trust FILE` would. */
async function trustPlant(p: RunningPlant, pkiDir: string): Promise<void> {
  const { Pki } = await import('../protocols/opcua/pki.js');
  const pki = new Pki(pkiDir);
  pki.trust(p.opcua!.certificateFile, 'pki trust', p.endpoints.opcua);
  await pki.close();
}

const RECORD_SECONDS = 4;

interface DemoRecording {
  file: string;
  sources: Array<{ id: string; protocol: string; tags: number; samples: number; example?: string }>;
  tags: Array<{ name: string; source?: string; count: number }>;
  samples: number;
}

/**
 * `iiot record opc.tcp://... --subtree /Objects/5:Plant/5:Pump1 modbus://...?unit=1 --map sdm630
 * mqtt://... --topic "plant/#" -o recording.jsonl --duration 4s`, then `iiot capture info`.
 */
async function recordPlant(p: RunningPlant, file: string, io: IO): Promise<DemoRecording> {
  const [{ record }, { parseTarget }, { captureInfo }] = await Promise.all([import('../record/run.js'), import('../core/targets.js'), import('../capture/info.js')]);
  const sources: SourceSpec[] = [];
  const opcua = p.endpoints.opcua ? parseTarget(p.endpoints.opcua) : undefined;
  if (opcua?.protocol === 'opcua') {
    sources.push({
      protocol: 'opcua',
      options: {
        id: 'plc',
        connect: { target: opcua, identity: { kind: 'anonymous' }, trustOnFirstUse: false, timeoutMs: 10_000 },
        nodes: [],
        subtrees: ['/Objects/5:Plant/5:Pump1'],
        tagLists: [],
        samplingMs: 250,
        publishingMs: 500,
        queueSize: 10,
      },
    });
  }
  const modbus = p.endpoints.modbus ? parseTarget(`${p.endpoints.modbus}?unit=1`) : undefined;
  if (modbus?.protocol === 'modbus') {
    sources.push({ protocol: 'modbus', options: { id: 'meter', target: modbus, map: 'sdm630', registers: ['voltage*', 'total*', 'power*', 'frequency'], intervalMs: 1000, timeoutMs: 1000, maxGap: 10, maxRegisters: 125 } });
  }
  const mqtt = p.endpoints.mqtt ? parseTarget(p.endpoints.mqtt) : undefined;
  if (mqtt?.protocol === 'mqtt') {
    sources.push({
      protocol: 'mqtt',
      options: { id: 'broker', connect: { target: mqtt, passwordEnv: 'IIOT_PASSWORD', timeoutMs: 5000 }, topics: ['plant/+/vibration', 'plant/+/power'], decoder: 'auto', jsonPaths: [], raw: false, qos: 1 },
    });
  }
  await record(io, { output: file, force: true, durationMs: RECORD_SECONDS * 1000, flushIntervalMs: 1000, metadata: { note: 'iiot demo' }, reconnectMaxMs: 5000, live: false, sources }, { handleSignals: false });
  const summary = await captureInfo([file]);
  const tags = summary.tags.map((t) => ({ name: t.name, count: t.count, ...(t.source ? { source: t.source } : {}) }));
  return {
    file,
    sources: sources.map((s) => {
      const own = tags.filter((t) => t.source === s.options.id);
      const example = own.find((t) => /vibration|power|voltage/i.test(t.name)) ?? own[0];
      return { id: s.options.id, protocol: s.protocol, tags: own.length, samples: own.reduce((n, t) => n + t.count, 0), ...(example ? { example: example.name } : {}) };
    }),
    tags,
    samples: tags.reduce((n, t) => n + t.count, 0),
  };
}

interface DemoSecurity {
  counts: Record<string, number>;
  findings: Array<{ severity: string; target: string; title: string }>;
}

/** `iiot check security <the inventory's devices>`: passive, what a normal client sees. */
async function checkSecurity(urls: string[], io: IO): Promise<DemoSecurity> {
  const [{ parseSecurityOptions }, { runSecurityCheck }] = await Promise.all([import('../checks/options.js'), import('../checks/security/run.js')]);
  const result = await runSecurityCheck(io, parseSecurityOptions(urls, { failOn: 'none' }));
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  const findings = result.targets
    .flatMap((t) => t.findings)
    .sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity))
    .map((f) => ({ severity: f.severity, target: f.target, title: f.title }));
  return { counts: Object.fromEntries(order.map((sev) => [sev, findings.filter((f) => f.severity === sev).length])), findings };
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
 * What `iiot browse URL /Objects/Plant --depth 3` does, with the demo's own PKI in which the
 * plant's certificate was trusted explicitly (trustPlant): nothing is trusted silently.
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
    'iiot discover 127.0.0.1 --ports 5020:modbus --json -o inventory.json',
    'iiot browse opc.tcp://127.0.0.1:4840 /Objects/Plant --depth 2 --attributes --trust-on-first-use',
    'iiot record mqtt://127.0.0.1:1883 --topic "plant/#" -o plant.jsonl --duration 30s',
    'iiot check security --inventory inventory.json --sarif plant.sarif',
    'iiot sim --generate --days 21 -o plant.jsonl.gz',
    'iiot capture info plant.jsonl.gz',
    'iiot analyze degradation plant.jsonl.gz --tag pump1.vibration --threshold zone:C/D --report pump.html',
    'iiot analyze energy plant.jsonl.gz --report energy.html',
  ];
}

interface DemoSections {
  inventory: InventoryRow[];
  glimpse: Glimpse | undefined;
  recording: DemoRecording | undefined;
  security: DemoSecurity | undefined;
  analysis: DemoAnalysis | undefined;
}

function render(io: IO, d: DemoSections, seconds: number): string {
  const s = io.style;
  const lines: string[] = ['', s.bold('What is there (iiot discover)')];
  lines.push(renderTable(d.inventory, [
    { header: 'protocol', value: (r) => r.protocol },
    { header: 'device', value: (r) => r.url },
    { header: 'identity', value: (r) => r.what },
  ], { indent: '  ' }));
  const { glimpse, recording, security, analysis } = d;
  if (glimpse) {
    lines.push('', s.bold(`A glimpse of the address space (iiot browse; ${glimpse.security}, ${glimpse.requests} requests for ${glimpse.nodes} nodes)`));
    lines.push(
      renderTable(glimpse.variables.slice(0, 8), [
        { header: 'browse path', value: (v) => v.path },
        { header: 'node id', value: (v) => v.nodeId },
        { header: 'unit', value: (v) => v.unit ?? '' },
      ], { indent: '  ' }),
    );
    if (glimpse.variables.length > 8) lines.push(s.dim(`  ... and ${glimpse.variables.length - 8} more variables`));
  }
  if (recording) {
    lines.push('', s.bold(`${RECORD_SECONDS} seconds of recording into one capture (iiot record; ${recording.samples} samples)`));
    lines.push(renderTable(recording.sources, [
      { header: 'source', value: (r) => `${r.id} (${r.protocol})` },
      { header: 'tags', value: (r) => String(r.tags), align: 'right' },
      { header: 'samples', value: (r) => String(r.samples), align: 'right' },
      { header: 'for example', value: (r) => r.example ?? '' },
    ], { indent: '  ' }));
  }
  if (security) {
    const summary = Object.entries(security.counts).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ');
    lines.push('', s.bold(`Security posture (iiot check security, passive): ${summary || 'no findings'}`));
    for (const f of security.findings.filter((x) => x.severity === 'critical' || x.severity === 'high').slice(0, 5)) {
      lines.push(`  ${f.severity === 'critical' ? s.red(f.severity) : s.yellow(f.severity)}  ${f.target}  ${f.title}`);
    }
    lines.push(s.dim('  (the default simulated plant is deliberately open; `iiot sim --profile hardened` passes with no high finding)'));
  }
  if (analysis) {
    lines.push('', s.bold('Degradation (pump 1 bearing, iiot analyze degradation)'));
    for (const x of analysis.degradation) lines.push(`  ${x}`);
    lines.push('', s.bold('Energy (iiot analyze energy)'));
    for (const e of analysis.energy) lines.push(`  ${e}`);
    lines.push('', s.bold('Ground truth (the simulator knows)'));
    for (const t of analysis.truth) lines.push(`  ${t}`);
  }
  lines.push('', s.bold('Try next'), ...nextCommands().map((c) => `  $ ${c}`), '', s.dim(`demo finished in ${seconds.toFixed(1)} s`));
  return lines.join('\n');
}
