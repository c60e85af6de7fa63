// `npm run bench`: runs every benchmark script in the same invocation and writes their Markdown
// sections into docs/benchmarks.md. Each script is standalone (node --import tsx bench/<name>.ts)
// and prints one section; baselines (bare node, wc -l, mosquitto_sub, pandas, nmap...) run inside
// the same script, so every figure is a ratio measured on the same machine at the same time.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ROOT } from './lib.js';

const ALL = [
  'startup',
  'capture',
  'sim',
  'opcua-crawl',
  'nodeset2',
  'record',
  'replay',
  'read',
  'latency',
  'discover',
  'analysis',
  'sparkplug',
  'arquero',
  'parquet',
];
const only = process.argv.slice(2);
const names = (only.length ? only : ALL).filter((n) => existsSync(`${ROOT}/bench/${n}.ts`));

const sections: string[] = [];
for (const name of names) {
  process.stderr.write(`bench: ${name}...\n`);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', `bench/${name}.ts`], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    maxBuffer: 64 * 1024 * 1024,
  });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  if (r.status !== 0) {
    sections.push(`## ${name}\n\nFAILED (exit ${r.status}) after ${secs} s; see the run's stderr.\n`);
    process.stderr.write(`bench: ${name} failed (exit ${r.status})\n`);
  } else {
    sections.push(`## ${name}\n\n${r.stdout.trim()}\n\n_(${secs} s)_\n`);
  }
}

const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}`;
const target = `${ROOT}/docs/benchmarks.md`;
const intro = `# Benchmarks

Produced by \`npm run bench\` (bench/run.ts); each section comes from one script in bench/ and
compares against a baseline run in the same invocation. Re-run a single one with
\`npm run bench -- <name>\` (the other sections are kept).

Machine: ${machine}.
`;
// Keep sections of benchmarks not re-run this time.
const previous = existsSync(target) ? readFileSync(target, 'utf8') : '';
const kept = new Map<string, string>();
for (const m of previous.matchAll(/^## (\S+)\n([\s\S]*?)(?=^## |(?![\s\S]))/gm)) kept.set(m[1]!, `## ${m[1]}\n${m[2]}`);
for (const s of sections) kept.set(/^## (\S+)/.exec(s)![1]!, s);
const ordered = ALL.filter((n) => kept.has(n)).map((n) => kept.get(n)!.trimEnd() + '\n');
writeFileSync(target, `${intro}\n${ordered.join('\n')}`);
process.stderr.write(`bench: wrote ${target}\n`);
