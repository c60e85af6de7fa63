// House rules that a generic linter does not know (docs/development.md, docs/architecture.md).
// Exit 1 with one line per violation, file:line first, so editors can jump to it.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { circles, importGraph, layerOf, upward } from './import-graph.js';

const ROOT = new URL('..', import.meta.url).pathname;
const problems: string[] = [];

function walk(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const code = (dirs: string[]) => dirs.flatMap((d) => walk(join(ROOT, d))).filter((f) => /\.(ts|tsx|mjs|js)$/.test(f));

function eachLine(file: string, fn: (line: string, n: number) => void): void {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => fn(line, i + 1));
}

const rel = (f: string) => relative(ROOT, f);

// 1. Protocol libraries stay in their folder; node-opcua is only imported lazily.
const graph = importGraph();
const PROTOCOL_LIBS: Array<[RegExp, string]> = [
  [/^node-opcua/, 'opcua'],
  [/^modbus-serial$|^serialport$|^@serialport\//, 'modbus'],
  [/^mqtt$|^aedes$|^protobufjs(\/|$)/, 'mqtt'],
];
for (const e of graph.externals) {
  for (const [re, folder] of PROTOCOL_LIBS) {
    if (!re.test(e.to)) continue;
    if (!e.from.startsWith(`src/protocols/${folder}/`))
      problems.push(`${e.from}:${e.line}: "${e.to}" may only be imported inside src/protocols/${folder}/`);
    if (folder === 'opcua' && !e.lazy && !e.typeOnly)
      problems.push(`${e.from}:${e.line}: node-opcua must be imported lazily (await import) or as a type`);
  }
}

// 2. The walls between the layers (docs/architecture.md), on the import graph of
// scripts/import-graph.ts. Type imports count: a type ties two modules as surely as a value.
const where = (f: string) =>
  f
    .split('/')
    .slice(0, f.startsWith('commands/') ? 1 : 2)
    .join('/')
    .replace(/\.tsx?$/, '');
const LAYERS = [
  'the bottom (src/core, src/render, src/yaml)',
  'a library (src/protocols, src/capture, src/analysis)',
  'a workflow (src/<verb>/)',
  'the command table (commands/, src/cli.ts, src/entry.ts, src/program.ts, src/fast-path/)',
];
for (const e of upward(graph.edges)) {
  problems.push(
    `${e.from}:${e.line}: imports ${e.to}, a layer above it: ${where(e.from)} is ${LAYERS[layerOf(e.from)]}, ${where(e.to)} ${LAYERS[layerOf(e.to)]}; a layer imports only downward (move what both need down)`,
  );
}
for (const c of circles(graph.files, graph.edges)) {
  const first = graph.edges.find((e) => e.from === c[0] && c.includes(e.to))!;
  problems.push(
    `${first.from}:${first.line}: import circle: ${c.join(' <-> ')}; move what they share into a module of its own (types.ts, result.ts)`,
  );
}
// Protocols, capture and analysis are libraries: no terminal UI (ink, react) in them; their
// results are drawn by the command's render.ts.
const UI = /^(ink|react)(\/|$)/;
for (const e of graph.externals) {
  if (layerOf(e.from) <= 1 && UI.test(e.to))
    problems.push(
      `${e.from}:${e.line}: "${e.to}" is terminal UI; ${where(e.from)} is ${LAYERS[layerOf(e.from)]}: draw in the command's render.ts (src/<verb>/)`,
    );
}
// Analyses are pure functions of tables: no files, sockets or processes (node:*), no protocol,
// and of the capture only its types (the command's run.ts reads the capture and hands the data over).
for (const e of graph.edges) {
  if (!e.from.startsWith('src/analysis/')) continue;
  if (e.to.startsWith('src/protocols/'))
    problems.push(`${e.from}:${e.line}: src/analysis may not import a protocol (${e.to}): analyses take samples, wherever they came from`);
  if (e.to.startsWith('src/capture/') && !e.typeOnly)
    problems.push(
      `${e.from}:${e.line}: src/analysis may import only types from src/capture (${e.to}): reading files is the command's work (src/analyze/)`,
    );
}
for (const e of graph.externals) {
  if (e.from.startsWith('src/analysis/') && e.to.startsWith('node:'))
    problems.push(
      `${e.from}:${e.line}: src/analysis may not import "${e.to}": analyses are pure (no files, sockets or processes); the command's run.ts does the IO`,
    );
}
// Commands register options and help; their work is loaded lazily, so that building the command
// table (every command but help) loads no library. A command may statically import src/core,
// src/render and the light modules below; everything those load statically must be as light:
// src/core, src/render, these modules, Node built-ins and commander.
const LIGHT_FOR_COMMANDS = new Set([
  // the OPC UA connection flags browse, read and record register (an option list and its parsers)
  'src/protocols/opcua/flags.ts',
  // the interactive browser's keys, listed in `iiot browse --help` and on the browser's bottom line
  'src/browse/interactive/keys.ts',
]);
const light = (f: string) => f.startsWith('src/core/') || f.startsWith('src/render/') || LIGHT_FOR_COMMANDS.has(f);
const loaded = (e: { lazy: boolean; typeOnly: boolean }) => !e.lazy && !e.typeOnly;
const seen = new Set<string>();
const queue: Array<{ file: string; via: string }> = [];
for (const e of graph.edges) {
  // the command table: commands/, src/cli.ts (all of it) and src/program.ts (the root they register on)
  const table = (f: string) => f.startsWith('commands/') || f === 'src/cli.ts' || f === 'src/program.ts';
  if (!table(e.from) || !loaded(e) || table(e.to)) continue;
  if (!light(e.to))
    problems.push(
      `${e.from}:${e.line}: commands may statically import only src/core, src/render and the light modules scripts/lint.ts lists; load "${e.to}" with await import() in the action`,
    );
  else queue.push({ file: e.to, via: `${e.from}:${e.line}` });
}
for (let item = queue.shift(); item; item = queue.shift()) {
  if (seen.has(item.file)) continue;
  seen.add(item.file);
  for (const e of graph.edges.filter((x) => x.from === item!.file && loaded(x))) {
    if (!light(e.to))
      problems.push(
        `${e.from}:${e.line}: loads ${e.to} when the command table is built (${item.via}); keep what commands import statically to src/core, src/render and light modules`,
      );
    else queue.push({ file: e.to, via: item.via });
  }
  for (const e of graph.externals.filter((x) => x.from === item!.file && loaded(x))) {
    if (!e.to.startsWith('node:') && e.to !== 'commander')
      problems.push(
        `${e.from}:${e.line}: loads the package "${e.to}" when the command table is built (${item.via}); import it lazily where it is used`,
      );
  }
}
for (const f of LIGHT_FOR_COMMANDS)
  if (!graph.files.includes(f)) problems.push(`scripts/lint.ts: LIGHT_FOR_COMMANDS names ${f}, which does not exist`);

// 3. Tests: nothing focused or skipped; only loopback addresses in tests, benchmarks and fixtures.
const NON_LOOPBACK = /['"`](0\.0\.0\.0|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+)['"`/:]/;
for (const file of [...code(['test', 'bench']), ...walk(join(ROOT, 'fixtures'))]) {
  eachLine(file, (line, n) => {
    if (/\b(it|test|describe)\.(only|skip|todo)\(/.test(line) && file.includes(`${sep}test${sep}`)) {
      problems.push(`${rel(file)}:${n}: focused or skipped test`);
    }
    if (NON_LOOPBACK.test(line) && !line.includes('no-network-ok')) {
      problems.push(`${rel(file)}:${n}: address outside loopback (tests, benchmarks and fixtures use 127.0.0.0/8 or ::1)`);
    }
  });
}

// 3. Tests mirror src (docs/architecture.md#tests): a test sits in the folder of the src folder it
// mainly tests (test/protocols/opcua/ for src/protocols/opcua/, test/ itself for src/*.ts), its data
// in a fixtures/ folder beside it, shared helpers in test/helpers/. The suites that test no single
// folder are few and named here.
const CROSS_CUTTING = new Map([
  ['readme', "README.md's examples"],
  ['docs', "docs/'s examples"],
  ['package', 'the packed tarball and the test peers'],
  ['timeouts', 'deadlines across protocols on a busy machine'],
]);
const isTest = (f: string) => /\.test\.tsx?$/.test(f);
function mirror(dir: string): void {
  for (const name of readdirSync(join(ROOT, dir)).sort()) {
    const p = join(dir, name);
    if (name.startsWith('.') || name === 'fixtures' || p === join('test', 'helpers')) continue;
    if (statSync(join(ROOT, p)).isDirectory()) {
      if (dir === 'test' && CROSS_CUTTING.has(name)) continue;
      const src = join('src', relative('test', p));
      if (!existsSync(join(ROOT, src)) || !statSync(join(ROOT, src)).isDirectory()) {
        problems.push(
          `${p}/: there is no ${src}/ for it to mirror; move each test to the folder mirroring the src folder it mainly tests (test/protocols/opcua/ for src/protocols/opcua/), or name the suite in CROSS_CUTTING (scripts/lint.ts)`,
        );
      } else mirror(p);
    } else if (/\.(ts|tsx|js|mjs|cjs|mts|cts)$/.test(name) && !isTest(name)) {
      problems.push(`${p}: a helper outside test/helpers/; move it to test/helpers/, named for what it does`);
    } else if (!isTest(name)) {
      problems.push(`${p}: test data outside a fixtures/ folder; move it to fixtures/ beside the tests that use it`);
    }
  }
}
mirror('test');
for (const f of walk(join(ROOT, 'test', 'helpers')).filter(isTest))
  problems.push(`${rel(f)}: a test among the helpers; move it to the test/ folder mirroring the src folder it tests`);
for (const suite of CROSS_CUTTING.keys())
  if (!existsSync(join(ROOT, 'test', suite))) problems.push(`scripts/lint.ts: CROSS_CUTTING names test/${suite}/, which does not exist`);

// 4. Device waits go through iiot's deadline (src/core/deadline.ts, docs/development.md#timeouts),
// not a library's plain timer: mqtt.js clients connect through connectMqttClient (every attempt
// guarded), Modbus TCP sockets are opened by iiot and handed to modbus-serial (linkTCP).
for (const file of code(['src'])) {
  const r = rel(file);
  eachLine(file, (line, n) => {
    if (
      r !== join('src', 'protocols', 'mqtt', 'connect.ts') &&
      (/\bconnectAsync\s*\(/.test(line) || /^\s*import\s+\{[^}]*\bconnect(?:Async)?\b[^}]*\}\s+from\s+['"]mqtt['"]/.test(line))
    ) {
      problems.push(
        `${r}:${n}: connect MQTT clients with connectMqttClient (src/protocols/mqtt/connect.ts): mqtt.js's connectTimeout fires while iiot is busy`,
      );
    }
    if (/\.connectTCP\s*\(/.test(line)) {
      problems.push(
        `${r}:${n}: open the socket with openTcp (src/protocols/tcp/connect.ts) and hand it over with linkTCP: modbus-serial's connect timeout fires while iiot is busy`,
      );
    }
  });
}

if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('lint: ok');
