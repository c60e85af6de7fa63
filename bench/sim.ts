// Simulator start-up: how long `iiot sim` takes from process start to "serving" (its --json
// document on stdout), and how that grows with the OPC UA address space (--extra-nodes 0, 10k,
// 100k on top of the ~6,400 nodes of the standard, DI, IA and Machinery nodesets). The Modbus +
// MQTT-only plant shows what is left without OPC UA. Standalone: node --import tsx bench/sim.ts
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { BIN, fmt, markdownTable, median, ROOT } from './lib.js';

interface Run {
  readyMs: number;
  /** CPU time (user + system) of the process until serving: less sensitive to a busy machine */
  cpuMs: number;
  opcuaMs: number | undefined;
  totalMs: number;
  nodes: number | undefined;
  rssMb: number;
}

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

/** One measured run; retried when another job is rebuilding dist/ under us (shared working tree). */
async function runSim(args: string[]): Promise<Run> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await runSimOnce(args);
    } catch (err) {
      if (attempt >= 5 || !/not built|Cannot find module/.test(String(err))) throw err;
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}

/** One `iiot sim` process: time to its JSON document, its own start-up figures, its RSS then. */
function runSimOnce(args: string[]): Promise<Run> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [BIN, 'sim', '--json', '--opcua-port', '0', '--modbus-port', '0', '--mqtt-port', '0', '--duration', '1s', ...args],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, NO_COLOR: '1' },
      },
    );
    let out = '';
    let err = '';
    let result: Run | undefined;
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      if (result) return;
      try {
        const doc = JSON.parse(out) as { startupMs: { total: number; opcua?: number }; opcua?: { nodes: number } };
        const readyMs = performance.now() - t0;
        const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
        const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
        // /proc/<pid>/stat fields 14 and 15: utime and stime in clock ticks (100 per second on Linux)
        const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
        const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
        const cpuMs = (Number(fields[11]) + Number(fields[12])) * 10;
        result = {
          readyMs,
          cpuMs,
          opcuaMs: doc.startupMs.opcua,
          totalMs: doc.startupMs.total,
          nodes: doc.opcua?.nodes,
          rssMb: rssKb / 1024,
        };
      } catch {
        // not the whole document yet
      }
    });
    child.on('exit', (code) => {
      if (code !== 0 || !result) reject(new Error(`iiot sim ${args.join(' ')}: exit ${code}\n${err}`));
      else resolve(result);
    });
  });
}

const configs: Array<{ name: string; args: string[] }> = [
  { name: 'Modbus + MQTT only (--no-opcua)', args: ['--no-opcua'] },
  { name: 'all three, nodesets only', args: [] },
  { name: 'all three, --extra-nodes 10000', args: ['--extra-nodes', '10000'] },
  { name: 'all three, --extra-nodes 100000', args: ['--extra-nodes', '100000'] },
];

// One throw-away run so the compile cache and the PKI (server certificate) exist: measured runs
// are the steady state a developer or CI job sees from the second run on.
await runSim([]);
const rows: Array<Array<string | number>> = [];
for (const c of configs) {
  const runs: Run[] = [];
  for (let i = 0; i < RUNS; i++) runs.push(await runSim(c.args));
  const opcua = runs.map((r) => r.opcuaMs).filter((x): x is number => x !== undefined);
  rows.push([
    c.name,
    runs[0]!.nodes === undefined ? '-' : runs[0]!.nodes.toLocaleString('en-US'),
    fmt(median(runs.map((r) => r.readyMs)) / 1000, 2),
    fmt(median(runs.map((r) => r.cpuMs)) / 1000, 2),
    fmt(median(runs.map((r) => r.totalMs)) / 1000, 2),
    opcua.length ? fmt(median(opcua) / 1000, 2) : '-',
    fmt(median(runs.map((r) => r.rssMb)), 0),
  ]);
  process.stderr.write(`bench sim: ${c.name} done\n`);
}

process.stdout.write(
  `\`iiot sim\` from process start to its \`--json\` document (serving), median of ${RUNS} runs; "in-process"\n` +
    'is the start-up the plant reports itself (loading node-opcua, building the address space, listening);\n' +
    'CPU is user + system time of the process until then (steadier than wall time on a shared machine);\n' +
    'RSS is measured once serving.\n\n' +
    markdownTable(
      [
        'configuration',
        'OPC UA nodes',
        'time to serving (s)',
        'CPU to serving (s)',
        'in-process start-up (s)',
        'of which OPC UA (s)',
        'RSS (MB)',
      ],
      rows,
    ) +
    '\n',
);
