// OPC UA twin (issue 15): the NodeSet2 export of the simulated plant with 100 000 extra nodes
// against the CSV export of the same server (the same crawler reading the tree only), and the
// twin's start-up (`iiot sim --nodeset`, loading the exported file) against the plant's own
// (`iiot sim`, building the same nodes through node-opcua's API), all in this run. Every command
// is the real CLI in its own process; the plant being exported runs in one more.
//   node --import tsx bench/nodeset2.ts           (BENCH_EXTRA_NODES=20000 for a quick run)
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, markdownTable, median, ROOT } from './lib.js';

const EXTRA = Number(process.env.BENCH_EXTRA_NODES ?? 100_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 2);
const work = mkdtempSync(join(tmpdir(), 'iiot-bench-nodeset2-'));
const env = { ...process.env, NO_COLOR: '1', IIOT_PKI_DIR: join(work, 'client-pki') };
// a generous request timeout: on a busy machine one Browse of 500 nodes' every reference can take
// longer than the default 10 s, and both exports get the same
const CONNECT = ['--security-mode', 'None', '--timeout', '120s'];

/** Starts `iiot sim` (OPC UA only) and resolves once its ready file is there, with the wall time. */
async function startSim(args: string[], tag: string): Promise<{ child: ChildProcess; url: string; ms: number }> {
  const ready = join(work, `ready-${tag}.json`);
  rmSync(ready, { force: true });
  const t0 = performance.now();
  const child = spawn(
    process.execPath,
    [
      BIN,
      'sim',
      '--no-modbus',
      '--no-mqtt',
      '--opcua-port',
      '0',
      '--pki-dir',
      join(work, `server-pki-${tag}`),
      '--ready-file',
      ready,
      ...args,
    ],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  let exited: number | null | undefined;
  child.once('exit', (code) => (exited = code));
  while (!existsSync(ready)) {
    if (exited !== undefined) throw new Error(`iiot sim ${args.join(' ')} exited with ${exited}: ${stderr}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  const ms = performance.now() - t0;
  const url = (JSON.parse(readFileSync(ready, 'utf8')) as { endpoints: { opcua: string } }).endpoints.opcua;
  return { child, url, ms };
}

async function stop(child: ChildProcess): Promise<void> {
  const done = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await done;
}

function run(args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(performance.now() - t0) : reject(new Error(`iiot ${args.join(' ')}: exit ${code}: ${stderr}`)),
    );
  });
}

process.stderr.write(`nodeset2: starting the plant with ${EXTRA} extra nodes...\n`);
const plant = await startSim(['--extra-nodes', String(EXTRA)], 'plant');
const csv = join(work, 'plant.csv');
const xml = join(work, 'plant.NodeSet2.xml');
const times = { csv: [] as number[], xml: [] as number[] };
try {
  for (let i = 0; i < RUNS; i++) {
    process.stderr.write(`nodeset2: export run ${i + 1} of ${RUNS}...\n`);
    times.csv.push(await run(['browse', plant.url, '--all', '--csv', '-o', csv, ...CONNECT]));
    times.xml.push(await run(['browse', plant.url, '--all', '--nodeset2', '-o', xml, '--force', ...CONNECT]));
  }
} finally {
  await stop(plant.child);
}
const csvBytes = statSync(csv).size;
const xmlBytes = statSync(xml).size;
const nodes = (readFileSync(xml, 'utf8').match(/<UA(Object|Variable|Method|View|ObjectType|VariableType|DataType|ReferenceType) /g) ?? [])
  .length;

// Start-up: the plant (nodes built through the API) and its twin (nodes loaded from the file),
// interleaved; each stopped before the next starts.
const startup = { plant: [] as number[], twin: [] as number[] };
for (let i = 0; i < RUNS + 1; i++) {
  process.stderr.write(`nodeset2: start-up run ${i + 1} of ${RUNS + 1}...\n`);
  const p = await startSim(['--extra-nodes', String(EXTRA)], 'plant');
  await stop(p.child);
  const t = await startSim(['--nodeset', xml], 'twin');
  await stop(t.child);
  // the first pair creates the servers' certificates: not counted
  if (i > 0) {
    startup.plant.push(p.ms);
    startup.twin.push(t.ms);
  }
}
rmSync(work, { recursive: true, force: true });

const mb = (b: number) => `${fmt(b / 1e6)} MB`;
const s = (ms: number) => `${fmt(ms / 1000, 2)} s`;
const [tc, tx, sp, st] = [median(times.csv), median(times.xml), median(startup.plant), median(startup.twin)];
process.stdout.write(
  `The simulated plant (standard, DI, IA, Machinery nodesets, the Plant folder) with ${EXTRA.toLocaleString('en-US')} extra variables; ` +
    `the export holds ${nodes.toLocaleString('en-US')} nodes of the plant's own namespaces. Medians of ${RUNS} runs (wall time of the whole command).\n\n` +
    markdownTable(
      ['what', 'baseline', 'NodeSet2', 'ratio'],
      [
        ['export time (`browse --all`)', `${s(tc)} (--csv)`, s(tx), `${fmt(tx / tc, 2)}×`],
        ['file size', `${mb(csvBytes)} (--csv)`, `${mb(xmlBytes)} (${fmt(xmlBytes / nodes, 0)} B/node)`, `${fmt(xmlBytes / csvBytes, 2)}×`],
        [
          'server start-up to ready',
          `${s(sp)} (\`iiot sim\`, nodes built by API)`,
          `${s(st)} (\`iiot sim --nodeset\`)`,
          `${fmt(st / sp, 2)}×`,
        ],
      ],
    ) +
    `\n\nLoad average (1 min) at the end of the run: ${fmt(loadavg()[0]!)} on ${availableParallelism()} cores (the ratios compare runs made under the same load).` +
    "\n\nThe NodeSet2 export reads every reference of each own node in both directions and every attribute of its class, on top of the tree the CSV export reads; both use the same batches under the server's operation limits.\n",
);
