// Start-up: help requests and the offline commands on a small file (`capture info`, `capture
// validate`) against `node -e 0` with the same Node, as ratios measured in the same run. Targets:
// --help at most 1.5x bare node, an offline command at most 2x (issue 13).
//
// Wall time: interleaved runs (the compile cache warm, as from the second run on), minimum and
// median; on a machine other work keeps busy the minimum is the steadier figure. Instructions:
// valgrind's callgrind counts the instructions a run executes, whatever else the machine does
// (ASLR off through setarch, so that runs repeat within about 1%); skipped without valgrind, or
// with BENCH_CALLGRIND=0.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, markdownTable, median, ROOT, timeCommands } from './lib.js';

const node = process.execPath;
const runs = Number(process.env.BENCH_RUNS ?? 30);
const small = 'fixtures/captures/golden/basic.jsonl';
const scratch = mkdtempSync(join(tmpdir(), 'iiot-bench-startup-'));
const generated = join(scratch, 'minute.jsonl');
process.on('exit', () => rmSync(scratch, { recursive: true, force: true }));
const commands: Record<string, string[]> = {
  'node -e 0': [node, '-e', '0'],
  'iiot --help': [node, BIN, '--help'],
  'iiot capture --help': [node, BIN, 'capture', '--help'],
  'iiot analyze energy --help': [node, BIN, 'analyze', 'energy', '--help'],
  'iiot browse --help': [node, BIN, 'browse', '--help'],
  'iiot capture info basic.jsonl': [node, BIN, 'capture', 'info', small],
  'iiot capture validate basic.jsonl': [node, BIN, 'capture', 'validate', small, '--quiet'],
  // offline commands outside the fast path, their (small) work included: an upper bound of their start
  'iiot analyze energy basic.jsonl --json': [node, BIN, 'analyze', 'energy', small, '--json'],
  'iiot sim --generate --span 1m': [
    node,
    BIN,
    'sim',
    '--generate',
    '--span',
    '1m',
    '--interval',
    '10s',
    '-o',
    generated,
    '--force',
    '--quiet',
  ],
};

const loadBefore = loadavg()[0]!;
const times = timeCommands(commands, runs);
// the first run after an install or upgrade: nothing in the compile cache
process.env.NODE_DISABLE_COMPILE_CACHE = '1';
const cold = timeCommands(
  { 'iiot capture validate basic.jsonl, no compile cache': commands['iiot capture validate basic.jsonl']! },
  Math.ceil(runs / 3),
  1,
);
delete process.env.NODE_DISABLE_COMPILE_CACHE;
const loadAfter = loadavg()[0]!;

const min = (xs: number[]) => Math.min(...xs);
const base = times['node -e 0']!;
const rows = Object.entries({ ...times, ...cold }).map(([name, xs]) => [
  `\`${name}\``,
  fmt(min(xs)),
  `${fmt(min(xs) / min(base), 2)}x`,
  fmt(median(xs)),
  `${fmt(median(xs) / median(base), 2)}x`,
]);
console.log(
  `### Start-up, wall time (${runs} interleaved runs each, Node ${process.version}, load average ${fmt(loadBefore, 2)} before, ${fmt(loadAfter, 2)} after)\n`,
);
console.log(markdownTable(['command', 'min ms', 'min ratio', 'median ms', 'median ratio'], rows));

/** Instructions executed by one run (the least of `repeat` runs), or undefined without valgrind. */
function instructions(argv: string[], repeat: number): number | undefined {
  const setarch = spawnSync('setarch', ['-R', 'true']).status === 0;
  let best: number | undefined;
  for (let i = 0; i < repeat; i++) {
    const valgrind = ['valgrind', '--tool=callgrind', '--callgrind-out-file=/dev/null', ...argv];
    const r = setarch
      ? spawnSync('setarch', ['-R', ...valgrind], { cwd: ROOT, encoding: 'utf8' })
      : spawnSync(valgrind[0]!, valgrind.slice(1), { cwd: ROOT, encoding: 'utf8' });
    const m = /Collected\s*:\s*(\d+)/.exec(r.stderr ?? '');
    if (r.status !== 0 || m === null) return undefined;
    best = Math.min(best ?? Infinity, Number(m[1]));
  }
  return best;
}

if (process.env.BENCH_CALLGRIND !== '0' && spawnSync('valgrind', ['--version']).status === 0) {
  const repeat = Number(process.env.BENCH_CALLGRIND_RUNS ?? 2);
  const counted = ['node -e 0', 'iiot --help', 'iiot capture info basic.jsonl', 'iiot capture validate basic.jsonl'];
  const counts = Object.fromEntries(counted.map((name) => [name, instructions(commands[name]!, repeat)]));
  const nodeCount = counts['node -e 0'];
  if (nodeCount !== undefined && Object.values(counts).every((c) => c !== undefined)) {
    console.log(`\n### Start-up, instructions (valgrind callgrind, least of ${repeat} runs, compile cache warm)\n`);
    console.log(
      markdownTable(
        ['command', 'million instructions', 'ratio to node -e 0'],
        counted.map((name) => [`\`${name}\``, fmt(counts[name]! / 1e6), `${fmt(counts[name]! / nodeCount, 2)}x`]),
      ),
    );
  } else {
    console.log('\n(instruction counts: valgrind failed; none reported)');
  }
}
