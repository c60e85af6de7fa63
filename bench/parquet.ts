/**
 * Parquet against JSON Lines on the synthetic 10-million-sample capture (bench/lib/synthetic-capture.ts):
 *
 * - baseline: reading the capture with iiot's reader (the path every analysis takes), a fresh process;
 * - writing Parquet: `iiot capture convert --to parquet`, a fresh process (wall time, peak RSS);
 * - scanning: DuckDB (through @duckdb/node-api, in this process) answering one query, counts,
 *   means and time range per tag, over the Parquet file and over the JSON Lines file;
 * - file sizes: JSON Lines, the same gzip-compressed (gzip -6, what `.jsonl.gz` captures are), Parquet.
 *
 * The two DuckDB answers are compared (same counts, sums and time ranges per tag) before any
 * figure is printed. Page cache warm for every file (each is read once before it is timed).
 * Each run gives wall time and CPU time (user + system, all threads): on a shared machine the
 * CPU time is the steadier figure, and the load average at the start and end is printed with them.
 *
 *   node --import tsx bench/parquet.ts [--samples 10000000]
 */

import { DuckDBInstance } from '@duckdb/node-api';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, ROOT, fmt, markdownTable, median } from './lib.js';
import { writeCapture } from './lib/synthetic-capture.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : def;
};
const SAMPLES = Number(arg('--samples', '10000000'));

interface Run {
  seconds: number;
  cpu: number;
  rssMb: number;
  out: string;
}

function timed(argv: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...argv], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const m = /([\d.]+) ([\d.]+) ([\d.]+) (\d+)\s*$/.exec(r.stderr.trim())!;
  return { seconds: Number(m[1]), cpu: Number(m[2]) + Number(m[3]), rssMb: Number(m[4]) / 1024, out: r.stdout };
}
const load0 = loadavg()[0]!;

const dir = mkdtempSync(join(tmpdir(), 'iiot-bench-parquet-'));
try {
  const jsonl = join(dir, 'bench.jsonl');
  const gz = join(dir, 'bench.jsonl.gz');
  const parquet = join(dir, 'bench.parquet');
  writeCapture(jsonl, SAMPLES);
  const gzip = spawnSync('sh', ['-c', `gzip -6 -c '${jsonl}' > '${gz}'`]);
  if (gzip.status !== 0) throw new Error('gzip failed');
  readFileSync(jsonl); // page cache

  // Baseline: iiot's reader over the JSON Lines, every record.
  const readScript = join(dir, 'read.mjs');
  writeFileSync(
    readScript,
    `import { readRecords } from ${JSON.stringify(join(ROOT, 'dist/lib/index.js'))};\nlet n = 0;\nfor await (const r of readRecords(process.argv[2])) if (typeof r.tag === 'string') n++;\nconsole.log(n);\n`,
  );
  const read = timed([process.execPath, readScript, jsonl]);
  if (Number(read.out.trim()) !== SAMPLES) throw new Error(`the reader counted ${read.out.trim()} samples, not ${SAMPLES}`);
  const readGz = timed([process.execPath, readScript, gz]);

  const write = timed([process.execPath, BIN, 'capture', 'convert', jsonl, '--to', 'parquet', '-o', parquet, '--json', '--quiet']);
  const conv = JSON.parse(write.out) as { samples: number; rowGroups: number };
  if (conv.samples !== SAMPLES) throw new Error(`convert wrote ${conv.samples} samples`);

  // DuckDB: the same question of both files.
  const db = await (await DuckDBInstance.create(':memory:')).connect();
  const ask = async (from: string, value: string, time: string) => {
    const sql = `SELECT tag, count(*)::BIGINT AS n, round(sum(${value}), 3) AS s, min(${time})::VARCHAR AS a, max(${time})::VARCHAR AS b FROM ${from} WHERE tag IS NOT NULL GROUP BY tag ORDER BY tag`;
    const times: number[] = [];
    const cpus: number[] = [];
    let rows: unknown[] = [];
    for (let k = 0; k < 4; k++) {
      const t0 = performance.now();
      const c0 = process.cpuUsage();
      rows = (await db.runAndReadAll(sql)).getRowObjectsJson();
      const c = process.cpuUsage(c0);
      if (k > 0) {
        // the first run warms the cache
        times.push(performance.now() - t0);
        cpus.push((c.user + c.system) / 1000);
      }
    }
    return { seconds: median(times) / 1000, cpu: median(cpus) / 1000, rows };
  };
  const scanParquet = await ask(`'${parquet}'`, 'value', 'time');
  const scanJson = await ask(
    `read_json('${jsonl}', format = 'newline_delimited', columns = {t: 'VARCHAR', tag: 'VARCHAR', v: 'DOUBLE'})`,
    'v',
    't::TIMESTAMPTZ',
  );
  type Row = { tag: string; n: string; s: number; a: string; b: string };
  const pRows = scanParquet.rows as Row[];
  const jRows = scanJson.rows as Row[];
  // parallel sums may add in another order: equal to 1e-12 relative, not bit for bit
  const agree =
    pRows.length === jRows.length &&
    pRows.every((p, i) => {
      const j = jRows[i]!;
      return p.tag === j.tag && p.n === j.n && p.a === j.a && p.b === j.b && Math.abs(p.s - j.s) <= 1e-12 * Math.abs(j.s) + 1e-3;
    });
  if (!agree)
    throw new Error(`DuckDB answers differently from Parquet and JSON Lines:\n${JSON.stringify(pRows)}\n${JSON.stringify(jRows)}`);

  const size = (p: string) => statSync(p).size / 2 ** 20;
  const rate = (s: number) => fmt(SAMPLES / s / 1e6, 2);
  const row = (name: string, r: { seconds: number; cpu: number; rssMb?: number }, d = 2) => [
    name,
    fmt(r.seconds, d),
    rate(r.seconds),
    fmt(r.cpu, d),
    rate(r.cpu),
    `${fmt(read.cpu / r.cpu, 2)}x`,
    r.rssMb !== undefined ? fmt(r.rssMb, 0) : '',
  ];
  console.log(
    `Capture: ${(SAMPLES / 1e6).toFixed(0)} million samples (10 tags at 1 Hz, bench/lib/synthetic-capture.ts); page cache warm; load average ${fmt(load0, 1)} at the start, ${fmt(loadavg()[0]!, 1)} at the end (2 cores).\n`,
  );
  console.log(
    markdownTable(
      [
        'run',
        'wall s',
        'million samples/s (wall)',
        'CPU s',
        'million samples per CPU s',
        'speed against the baseline (CPU)',
        'peak RSS MB',
      ],
      [
        row('read the JSON Lines with iiot (baseline: every analysis starts so)', read),
        row('read the gzip JSON Lines with iiot', readGz),
        row(`write Parquet (\`iiot capture convert --to parquet\`, ${conv.rowGroups} row groups)`, write),
        row('DuckDB scan of the Parquet file (count, sum, time range per tag)', scanParquet, 3),
        row('DuckDB scan of the JSON Lines file, same query', scanJson),
      ],
    ),
  );
  console.log('');
  console.log(
    markdownTable(
      ['file', 'MiB', 'bytes per sample', 'against JSON Lines'],
      [
        ['JSON Lines (.jsonl)', fmt(size(jsonl), 1), fmt((size(jsonl) * 2 ** 20) / SAMPLES, 1), '1.00'],
        ['JSON Lines, gzip -6 (.jsonl.gz)', fmt(size(gz), 1), fmt((size(gz) * 2 ** 20) / SAMPLES, 1), fmt(size(gz) / size(jsonl), 3)],
        [
          'Parquet (Snappy, hyparquet-writer)',
          fmt(size(parquet), 1),
          fmt((size(parquet) * 2 ** 20) / SAMPLES, 1),
          fmt(size(parquet) / size(jsonl), 3),
        ],
      ],
    ),
  );
  console.log('');
  console.log(
    'DuckDB gave the same counts, sums and time ranges per tag from both files. The machine is shared (2 cores, other work running): wall times swing with the load; the CPU times (all threads; DuckDB uses both cores) and their ratios are the steadier figures.',
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
