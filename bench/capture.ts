// Capture writer and reader throughput and peak memory on a 1-million-sample capture, plain and
// gzip, beside `wc -l` (and `gzip -dc | wc -l`) on the same files in the same run.
//   node --import tsx bench/capture.ts [--samples N] [--runs N]
// Each measured step runs in its own child process, which times itself (start-up excluded) and
// reports its peak RSS (process.resourceUsage().maxRSS); the table goes to stdout as Markdown.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

interface Measure {
  records: number;
  ms: number;
  /** user + system CPU time of the process (all threads): steadier than wall time on a busy machine */
  cpuMs: number;
  maxRssKb: number;
}

const SELF = fileURLToPath(import.meta.url);
const T0 = Date.UTC(2026, 10, 25);
const TAGS = Array.from({ length: 20 }, (_, i) => `line3.motor${Math.floor(i / 4)}.${['current', 'speed', 'temp', 'vibration'][i % 4]}`);

function cpuMs(since: NodeJS.CpuUsage): number {
  const d = process.cpuUsage(since);
  return (d.user + d.system) / 1000;
}

function report(m: Measure): never {
  process.stdout.write(`${JSON.stringify(m)}\n`);
  process.exit(0);
}

async function childWrite(path: string, n: number): Promise<void> {
  const { createCaptureWriter } = await import('../src/capture/writer.js');
  const start = performance.now();
  const cpu = process.cpuUsage();
  const w = await createCaptureWriter(path, { sources: [{ id: 'bench', protocol: 'sim' }], tags: TAGS.map((name) => ({ name })) });
  for (let i = 0; i < n; i++) {
    const k = i % TAGS.length;
    const x = Math.sin(i / 5000 + k) * 40 + 50;
    // half the tags as a PLC's float32 (17 significant digits as a double), half rounded to 3 decimals
    const v = k % 2 ? Math.fround(x) : Math.round(x * 1000) / 1000;
    w.sample(TAGS[k]!, T0 + Math.floor(i / TAGS.length) * 100, v);
    // awaiting flush() now and then is the writer's backpressure: memory stays flat
    if (i % 16_384 === 16_383) await w.flush();
  }
  await w.close();
  report({ records: n, ms: performance.now() - start, cpuMs: cpuMs(cpu), maxRssKb: process.resourceUsage().maxRSS });
}

async function childRead(path: string): Promise<void> {
  const { openCapture } = await import('../src/capture/reader.js');
  const start = performance.now();
  const cpu = process.cpuUsage();
  const reader = await openCapture(path);
  let records = 0;
  let sum = 0;
  for await (const batch of reader.batches()) {
    records += batch.length;
    // touch every record, as a consumer would
    for (const r of batch) if (typeof r.v === 'number') sum += r.v;
  }
  if (!(sum > 0)) throw new Error('no values read');
  report({ records, ms: performance.now() - start, cpuMs: cpuMs(cpu), maxRssKb: process.resourceUsage().maxRSS });
}

function runChild(args: string[]): Measure {
  const r = spawnSync(process.execPath, ['--import', 'tsx', SELF, '--child', ...args], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`child ${args.join(' ')} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Measure;
}

function timeShell(command: string): { ms: number; out: string } {
  const start = performance.now();
  const out = execFileSync('bash', ['-c', command], { encoding: 'utf8' });
  return { ms: performance.now() - start, out: out.trim() };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function best<T extends { ms: number }>(runs: T[]): T {
  const m = median(runs.map((r) => r.ms));
  return runs.find((r) => r.ms === m)!;
}

const fmt = (x: number, d = 0) => x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--child') {
    const [, kind, path, n] = argv;
    if (kind === 'write') return childWrite(path!, Number(n));
    if (kind === 'read') return childRead(path!);
    if (kind === 'noop') report({ records: 0, ms: 0, cpuMs: 0, maxRssKb: process.resourceUsage().maxRSS });
    throw new Error(`unknown child ${kind}`);
  }
  const opt = (name: string, fallback: number) => {
    const i = argv.indexOf(name);
    return i >= 0 ? Number(argv[i + 1]) : fallback;
  };
  const n = opt('--samples', 1_000_000);
  const runs = opt('--runs', 3);
  const dir = mkdtempSync(join(tmpdir(), 'iiot-bench-capture-'));
  const rows: string[] = [];
  const row = (step: string, file: string, records: number, ms: number, bytes: number, rssKb?: number, cpu?: number) =>
    rows.push(
      `| ${step} | ${file} | ${fmt(records)} | ${fmt(ms / 1000, 2)} | ${fmt(records / (ms / 1000))} | ${cpu === undefined ? '-' : fmt(records / (cpu / 1000))} | ${fmt(bytes / 1e6 / (ms / 1000), 1)} | ${rssKb === undefined ? '-' : fmt(rssKb / 1024)} |`,
    );
  try {
    const baseline = runChild(['noop']);
    for (const name of ['capture.jsonl', 'capture.jsonl.gz']) {
      const path = join(dir, name);
      const writes = Array.from({ length: runs }, () => runChild(['write', path, String(n)]));
      const size = statSync(path).size;
      const plainSize = name.endsWith('.gz') ? Number(timeShell(`gzip -dc '${path}' | wc -c`).out) : size;
      const w = best(writes);
      row('write (iiot)', `${name} (${fmt(size / 1e6, 1)} MB)`, w.records, w.ms, plainSize, w.maxRssKb, w.cpuMs);
      const reads = Array.from({ length: runs }, () => runChild(['read', path]));
      const r = best(reads);
      if (r.records !== n) throw new Error(`read ${r.records} records, wrote ${n}`);
      row('read (iiot)', name, r.records, r.ms, plainSize, r.maxRssKb, r.cpuMs);
      const command = name.endsWith('.gz') ? `gzip -dc '${path}' | wc -l` : `wc -l '${path}'`;
      const wc = Array.from({ length: runs }, () => timeShell(command));
      const lines = Number(/^\d+/.exec(wc[0]!.out)![0]);
      row(`\`${name.endsWith('.gz') ? 'gzip -dc \\| wc -l' : 'wc -l'}\``, name, lines, median(wc.map((x) => x.ms)), plainSize);
    }
    const load = (await import('node:os')).loadavg()[0]!;
    const header = [
      `Capture benchmark: ${fmt(n)} samples (20 tags; half float32 values, half rounded to 3 decimals), median of ${runs} runs.`,
      `Node ${process.version}, ${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores, load average ${load.toFixed(2)} at the end.`,
      'iiot steps are timed inside their own process (start-up excluded); records/CPU-s divides by the CPU time the process used (all threads), which other load on the machine disturbs less than wall time;',
      `wc is timed from outside (process start included). Peak RSS of an idle child with the same loader: ${fmt(baseline.maxRssKb / 1024)} MB.`,
      '',
      '| step | file | records (lines) | seconds | records/s | records/CPU-s | MB/s (uncompressed) | peak RSS (MB) |',
      '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ];
    process.stdout.write(`${[...header, ...rows].join('\n')}\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
