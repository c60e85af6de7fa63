// Small shared helpers for the benchmark scripts: timing child processes and printing tables.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const BIN = fileURLToPath(new URL('../bin/iiot.js', import.meta.url));

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Wall time in ms of each run of each command, interleaved so that drift hits all alike. */
export function timeCommands(commands: Record<string, string[]>, runs: number, warmup = 3): Record<string, number[]> {
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
  for (let i = 0; i < warmup + runs; i++) {
    for (const [name, argv] of Object.entries(commands)) {
      const t0 = performance.now();
      const r = spawnSync(argv[0]!, argv.slice(1), { stdio: 'ignore', cwd: ROOT });
      const dt = performance.now() - t0;
      if (r.status !== 0) throw new Error(`${name}: exit ${r.status}`);
      if (i >= warmup) times[name]!.push(dt);
    }
  }
  return times;
}

export function markdownTable(header: string[], rows: Array<Array<string | number>>): string {
  const line = (cells: Array<string | number>) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const fmt = (x: number, d = 1) => x.toFixed(d);
