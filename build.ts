// Builds what bin/iiot.js runs: one ESM entry (dist/cli.js) and lazily loaded chunks, so that
// `iiot --help` parses only the command table. Heavy or path-sensitive packages stay external
// (node-opcua's server reads its nodesets relative to its own files: bundled, it would not find them).
import { build, type Plugin } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';

const external = [
  'node-opcua',
  'node-opcua-*',
  'modbus-serial',
  'serialport',
  '@serialport/*',
  'mqtt',
  'aedes',
  'ink',
  'react',
  'react/*',
  'arquero',
  'protobufjs',
  'protobufjs/*',
  'fast-check',
];

// commander imports node:child_process for executable subcommands, which iiot has none of; loading
// it (with net, dgram and the spawn machinery) cost every command's start-up. Commander gets a
// stand-in that loads it on first use.
const lazyChildProcess: Plugin = {
  name: 'commander-lazy-child-process',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents:
        "import { createRequire } from 'node:module';\n" +
        "const load = () => createRequire(import.meta.url)('node:child_process');\n" +
        'export default { spawn: (...args) => load().spawn(...args) };\n',
      loader: 'js',
    }));
  },
};

// Modules of the main build that the fast path's bundles (below) import when they need them, by
// output name: they import packages, which a fast bundle may not (zod words a bad capture header,
// hyparquet-writer writes Parquet).
const FAST_PATH_IMPORTS: Record<string, string> = {
  'capture-header-schema': 'src/capture/header-schema.ts',
  'capture-parquet': 'src/capture/parquet.ts', // hyparquet-writer, for `capture convert --to parquet`
};

// Some bundled CommonJS code calls require(); give it one.
const BANNER = "import { createRequire as __iiotCreateRequire } from 'node:module'; const require = __iiotCreateRequire(import.meta.url);";

// Build into a fresh folder and swap it in at the end, so a program started while a build runs
// (a test, a second terminal) never sees a half-written dist/.
const out = `dist.tmp-${process.pid}`;
rmSync(out, { recursive: true, force: true });
await build({
  // cli: what bin/iiot.js runs; lib/index: the library API (package.json "exports", docs/scripting.md);
  // FAST_PATH_IMPORTS: modules the fast path's bundles import by name
  entryPoints: { cli: 'src/entry.ts', 'lib/index': 'src/lib/index.ts', ...FAST_PATH_IMPORTS },
  outdir: out,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external,
  plugins: [lazyChildProcess],
  chunkNames: 'chunks/[name]-[hash]',
  sourcemap: 'linked',
  jsx: 'automatic',
  logLevel: 'warning',
  define: { 'process.env.NODE_ENV': '"production"' },
  banner: { js: BANNER },
});

// Only the chunks that use require keep the banner: in the others it costs a module's start
// (import.meta, a require function) for nothing, and a short command loads some twenty chunks.
// The line stays, empty, so that the source maps still match.
for (const file of readdirSync(out, { recursive: true, encoding: 'utf8' })) {
  if (!file.endsWith('.js')) continue;
  const text = readFileSync(`${out}/${file}`, 'utf8');
  if (!text.startsWith(BANNER)) throw new Error(`${file}: no banner`);
  if (!/(?<![\w$.])require(?![\w$])/.test(text.slice(BANNER.length))) writeFileSync(`${out}/${file}`, text.slice(BANNER.length));
}

// The fast path's bundles (src/fast-path/): for each offline command one file, not chunks, with the
// command's module, its work and the fast path. A short command that loads twenty chunks spends
// more on loading them than on its work (docs/benchmarks.md). Without chunks, esbuild hoists the
// imports of every module it inlines to the top of the file, so a package imported anywhere in the
// command's code would be loaded at every start: the bundle may import only Node's modules and
// FAST_PATH_IMPORTS, and the build fails otherwise.
const { FAST_COMMANDS } = await import('./src/fast-path/table.js');
const fromMainBuild: Plugin = {
  name: 'fast-path-imports',
  setup(b) {
    const byPath = new Map(Object.entries(FAST_PATH_IMPORTS).map(([name, path]) => [resolve(path), name]));
    b.onResolve({ filter: /^\./ }, (args) => {
      const name = byPath.get(resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')));
      return name === undefined ? undefined : { path: `../${name}.js`, external: true };
    });
  },
};
// And Node's modules from process.getBuiltinModule, when a module first needs them: as imports they
// would all be loaded at start (zlib for `capture convert` in `capture info` too), and importing one
// as ESM reads every export, which for node:util loads worker_threads and more.
const builtinsOnDemand: Plugin = {
  name: 'builtins-on-demand',
  setup(b) {
    b.onResolve({ filter: /^node:/ }, (args) => ({ path: args.path, namespace: 'node-builtin' }));
    b.onLoad({ filter: /.*/, namespace: 'node-builtin' }, (args) => ({
      contents: `module.exports = process.getBuiltinModule(${JSON.stringify(args.path)});`,
      loader: 'js',
    }));
  },
};
for (const name of FAST_COMMANDS) {
  const file = `${out}/fast/${name}.js`;
  await build({
    stdin: {
      contents: `export { register } from './commands/${name}.js';\nexport { runFast } from './src/fast-path/run.js';\n`,
      resolveDir: '.',
      sourcefile: `fast-path-${name}.ts`,
      loader: 'ts',
    },
    outfile: file,
    bundle: true,
    format: 'esm',
    platform: 'node',
    target: 'node22',
    plugins: [fromMainBuild, builtinsOnDemand],
    sourcemap: 'linked',
    logLevel: 'warning',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const text = readFileSync(file, 'utf8');
  const allowed = new Set(Object.keys(FAST_PATH_IMPORTS).map((n) => `../${n}.js`));
  const loaded = [...text.matchAll(/^import\b[^;]*?from\s*"([^"]+)";?$/gm)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith('node:') && !allowed.has(s));
  if (loaded.length > 0 || text.includes('Dynamic require of')) {
    throw new Error(
      `dist/fast/${name}.js would load ${loaded.join(', ') || 'CommonJS code'} at every start of \`iiot ${name}\`: ` +
        'import it through a module listed in FAST_PATH_IMPORTS (build.ts), or take the command out of FAST_COMMANDS (src/fast-path/table.ts)',
    );
  }
}

// Type declarations of the library API (dist/types/src/lib/index.d.ts), for scripts in TypeScript.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.lib.json', '--outDir', `${out}/types`], {
  stdio: 'inherit',
});

// Help text for every command, rendered now so that help requests need not load the command table.
const { buildProgram } = await import('./src/cli.js');
const { describeCommands } = await import('./src/fast-path/table.js');
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
// What commander knows of the offline commands' options, for the fast path (src/fast-path/).
writeFileSync(`${out}/argv.json`, JSON.stringify(describeCommands(buildProgram())));

const old = `dist.old-${process.pid}`;
try {
  renameSync('dist', old);
} catch {
  // first build
}
renameSync(out, 'dist');
rmSync(old, { recursive: true, force: true });
