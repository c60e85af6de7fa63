// Builds what bin/iiot.js runs: one ESM entry (dist/cli.js) and lazily loaded chunks, so that
// `iiot --help` parses only the command table. Heavy or path-sensitive packages stay external
// (node-opcua's server reads its nodesets relative to its own files: bundled, it would not find them).
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { renameSync, rmSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';

const external = [
  'node-opcua', 'node-opcua-*', 'modbus-serial', 'serialport', '@serialport/*',
  'mqtt', 'aedes', 'ink', 'react', 'react/*', 'arquero', 'protobufjs', 'protobufjs/*', 'fast-check',
];

// Build into a fresh folder and swap it in at the end, so a program started while a build runs
// (a test, a second terminal) never sees a half-written dist/.
const out = `dist.tmp-${process.pid}`;
rmSync(out, { recursive: true, force: true });
await build({
  // cli: what bin/iiot.js runs; lib/index: the library API (package.json "exports", docs/scripting.md)
  entryPoints: { cli: 'src/entry.ts', 'lib/index': 'src/lib/index.ts' },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  jsx: 'automatic',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: {
    // Some bundled CommonJS code calls require(); give it one.
    js: "import { createRequire as __iiotCreateRequire } from 'node:module'; const require = __iiotCreateRequire(import.meta.url);",
  },
});

// Type declarations of the library API (dist/types/src/lib/index.d.ts), for scripts in TypeScript.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json', '--outDir', `${out}/types`], { stdio: 'inherit' });

// Help text for every command, rendered now so that help requests need not load the command table.
const { buildProgram } = await import('./src/cli.js');
const help: Record<string, string> = {};
const collect = (cmd: Command, path: string[]) => {
  // outputHelp (not helpInformation) so that text added with addHelpText is included.
  let text = '';
  const saved = cmd.configureOutput();
  cmd.configureOutput({ ...saved, writeOut: (s: string) => void (text += s) });
  cmd.outputHelp();
  cmd.configureOutput(saved);
  help[path.join(' ')] = text;
  for (const sub of cmd.commands) collect(sub, [...path, sub.name()]);
};
collect(buildProgram(), []);
writeFileSync(`${out}/help.json`, JSON.stringify(help));

const old = `dist.old-${process.pid}`;
try {
  renameSync('dist', old);
} catch {
  // first build
}
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });
