/**
 * `iiot analyze` throughput and memory on a large capture, beside a pandas script doing the same
 * aggregation and `wc -l` on the same file in the same run (bench/run.ts puts the section in
 * docs/benchmarks.md).
 *
 * The capture (written here, deterministic): 10 tags at 1 Hz for 1 000 000 s = 10 million samples:
 * plant.power (kW), plant.energy (kWh counter), and 8 bearing vibration tags (mm/s).
 * - energy: integrate plant.power into 1-minute buckets, then 15-minute demand and daily totals;
 * - degradation: per vibration tag, minute means then hourly medians (then baseline, onset, trends).
 * pandas does the same aggregation (chunked read_json, trapezoid integration, groupby/resample).
 * Then a ~1 GB capture (16 million samples) for peak memory only.
 *
 *   node --import tsx bench/analysis.ts [--samples 10000000] [--big 16000000] [--no-pandas]
 */

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, markdownTable } from './lib.js';
import { writeCapture } from './lib/synthetic-capture.js';

const arg = (name: string, def: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : def;
};
const SAMPLES = Number(arg('--samples', '10000000'));
const BIG = Number(arg('--big', '16000000'));
const PANDAS = !process.argv.includes('--no-pandas');
const PYTHON = '/usr/bin/python3'; // Debian's python3-pandas

const PANDAS_SCRIPT = `
import sys, pandas as pd, numpy as np
path, what = sys.argv[1], sys.argv[2]
rows = 0
if what == 'energy':
    # integrate plant.power (trapezoid, never across gaps > 5 min) into 1-minute buckets, then 15-min demand and daily kWh
    prev_t = prev_v = None
    parts = []
    for chunk in pd.read_json(path, lines=True, chunksize=1_000_000):
        rows += len(chunk)
        c = chunk[chunk['tag'] == 'plant.power']
        t = pd.to_datetime(c['t']).astype('int64').to_numpy() / 1e6
        v = c['v'].to_numpy(dtype=float)
        if prev_t is not None:
            t = np.concatenate(([prev_t], t)); v = np.concatenate(([prev_v], v))
        dt = np.diff(t); e = (v[1:] + v[:-1]) / 2 * dt / 3.6e6
        e[dt > 300_000] = 0
        parts.append(pd.Series(e, index=pd.to_datetime(t[1:], unit='ms')))
        prev_t, prev_v = t[-1], v[-1]
    e = pd.concat(parts)
    minute = e.resample('1min').sum()
    demand = minute.resample('15min').sum() * 4
    daily = minute.resample('1D').sum()
    print(rows, round(float(daily.sum()), 1), round(float(demand.max()), 2))
else:
    # per vibration tag: minute means, then hourly medians
    parts = []
    for chunk in pd.read_json(path, lines=True, chunksize=1_000_000):
        rows += len(chunk)
        c = chunk[chunk['tag'].str.endswith('.vibration', na=False)]
        parts.append(pd.DataFrame({'t': pd.to_datetime(c['t']), 'tag': c['tag'].astype('category'), 'v': c['v'].astype(float)}))
    d = pd.concat(parts)
    m = d.groupby(['tag', pd.Grouper(key='t', freq='1min')])['v'].mean().reset_index()
    h = m.groupby(['tag', pd.Grouper(key='t', freq='1h')])['v'].median()
    print(rows, len(h))
`;

interface Run {
  seconds: number;
  rssMb: number;
  out: string;
}

/** Wall time and peak RSS of a command (GNU time), its stdout. */
function timed(argv: string[]): Run {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...argv], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${argv.join(' ')}: exit ${r.status}\n${r.stderr}`);
  const m = /([\d.]+) (\d+)\s*$/.exec(r.stderr.trim())!;
  return { seconds: Number(m[1]), rssMb: Number(m[2]) / 1024, out: r.stdout };
}

const dir = mkdtempSync(join(tmpdir(), 'iiot-bench-analysis-'));
try {
  const file = join(dir, 'bench.jsonl');
  const t0 = performance.now();
  writeCapture(file, SAMPLES);
  process.stderr.write(`analysis: wrote ${SAMPLES} samples in ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
  const size = statSync(file).size;
  const pyFile = join(dir, 'agg.py');
  writeFileSync(pyFile, PANDAS_SCRIPT);
  const rows: Array<Array<string | number>> = [];
  const add = (what: string, r: Run) => rows.push([what, fmt(r.seconds, 2), fmt(SAMPLES / r.seconds / 1e6, 2), fmt(r.rssMb, 0)]);
  timed(['wc', '-l', file]); // warm the page cache
  const wc = timed(['wc', '-l', file]);
  add('`wc -l`', wc);
  const energy = timed([process.execPath, BIN, 'analyze', 'energy', file, '--json', '--quiet']);
  add('`iiot analyze energy`', energy);
  const deg = timed([process.execPath, BIN, 'analyze', 'degradation', file, '--json', '--quiet']);
  add('`iiot analyze degradation`', deg);
  let pe: Run | undefined;
  let pd: Run | undefined;
  if (PANDAS) {
    pe = timed([PYTHON, pyFile, file, 'energy']);
    add('pandas, energy aggregation', pe);
    pd = timed([PYTHON, pyFile, file, 'degradation']);
    add('pandas, degradation aggregation', pd);
  }
  // Cross-check: the same kWh as pandas.
  const ours = JSON.parse(energy.out) as { totals: { kwh: number }; demand: { peak: { kw: number } } };
  console.log(
    `Capture: ${(SAMPLES / 1e6).toFixed(0)} million samples (10 tags at 1 Hz), ${(size / 2 ** 20).toFixed(0)} MiB of JSON Lines, in the page cache.\n`,
  );
  console.log(markdownTable(['run', 'seconds', 'million samples/s', 'peak RSS MB'], rows));
  console.log('');
  const ratio = (a: Run, b: Run) => (b.seconds / a.seconds).toFixed(2);
  if (pe && pd) {
    console.log(
      `iiot vs pandas: energy ${ratio(energy, pe)}x faster, degradation ${ratio(deg, pd)}x faster (target: at least 2x). Same energy: iiot ${ours.totals.kwh.toFixed(1)} kWh, pandas ${pe.out.trim().split(' ')[1]} kWh; peak 15-min demand iiot ${ours.demand.peak.kw.toFixed(2)} kW, pandas ${pe.out.trim().split(' ')[2]} kW.`,
    );
  }
  console.log(
    `iiot vs wc -l: energy ${(energy.seconds / wc.seconds).toFixed(1)}x, degradation ${(deg.seconds / wc.seconds).toFixed(1)}x the time of wc -l (target: within 3x).`,
  );
  rmSync(file);
  if (BIG > 0) {
    const big = join(dir, 'big.jsonl');
    writeCapture(big, BIG);
    const bsize = statSync(big).size;
    const be = timed([process.execPath, BIN, 'analyze', 'energy', big, '--json', '--quiet']);
    const bd = timed([process.execPath, BIN, 'analyze', 'degradation', big, '--json', '--quiet']);
    console.log(
      `\nA ${(bsize / 2 ** 30).toFixed(2)} GiB capture (${(BIG / 1e6).toFixed(0)} million samples): energy ${fmt(be.seconds, 1)} s, peak RSS ${fmt(be.rssMb, 0)} MB; degradation ${fmt(bd.seconds, 1)} s, peak RSS ${fmt(bd.rssMb, 0)} MB (target: under 500 MB).`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
