// Builds what bin/iiot.js runs: one ESM entry (dist/cli.js) and lazily loaded chunks, so that
// `iiot --help` parses only the command table. Heavy or path-sensitive packages stay external
// (node-opcua's server reads its nodesets relative to its own files; see DEPENDENCY-NOTES).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';

const external = [
  'node-opcua', 'node-opcua-*', 'modbus-serial', 'serialport', '@serialport/*',
  'mqtt', 'aedes', 'ink', 'react', 'react/*', 'arquero', 'sparkplug-payload', 'fast-check',
];

rmSync('dist', { recursive: true, force: true });
await build({
  entryPoints: { cli: 'src/cli.ts' },
  outdir: 'dist',
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
