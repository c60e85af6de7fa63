// Start-up: `iiot --help` (and the offline commands' help, and one real command on a small file)
// against `node -e 0` with the same Node, medians of interleaved runs, as ratios. Target: --help
// at most 1.5x bare node.
import { BIN, fmt, markdownTable, median, timeCommands } from './lib.js';

const node = process.execPath;
const runs = Number(process.env.BENCH_RUNS ?? 30);
const times = timeCommands(
  {
    'node -e 0': [node, '-e', '0'],
    'iiot --help': [node, BIN, '--help'],
    'iiot capture --help': [node, BIN, 'capture', '--help'],
    'iiot analyze energy --help': [node, BIN, 'analyze', 'energy', '--help'],
    'iiot browse --help': [node, BIN, 'browse', '--help'],
    // a real command: the command table, the capture reader, a small file
    'iiot capture validate basic.jsonl': [node, BIN, 'capture', 'validate', 'fixtures/captures/golden/basic.jsonl', '--quiet'],
  },
  runs,
);
const base = median(times['node -e 0']!);
console.log(`### Start-up (${runs} interleaved runs each, median wall time, Node ${process.version})\n`);
console.log(
  markdownTable(
    ['command', 'median ms', 'ratio to node -e 0'],
    Object.entries(times).map(([name, xs]) => [`\`${name}\``, fmt(median(xs)), `${fmt(median(xs) / base, 2)}x`]),
  ),
);
