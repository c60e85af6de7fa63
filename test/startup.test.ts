import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from './helpers/cli.js';
import { runProcess } from './helpers/process.js';
import { removeTempDirs, tempDir } from './helpers/temp.js';

/**
 * What a command loads on its way to its work, without timing anything: the built program runs
 * with a module hook that records every file loaded, and each file of dist/ is mapped back to the
 * sources and packages it was bundled from (its source map). A short offline command must not pay
 * for libraries it does not use (docs/benchmarks.md has the times).
 */

const dir = tempDir('startup');
afterAll(removeTempDirs);
const HOOK = `data:text/javascript,${encodeURIComponent(`
import { registerHooks } from 'node:module';
import { writeFileSync } from 'node:fs';
const urls = [];
registerHooks({ load(url, context, next) { urls.push(url); return next(url, context); } });
process.on('exit', () => writeFileSync(process.env.IIOT_TEST_TRACE, JSON.stringify({ urls, builtins: process.moduleLoadList })));
`)}`;

interface Loaded {
  /** packages, by name, bundled into or imported by what was loaded */
  packages: Set<string>;
  /** source files of the project (src/..., commands/...) */
  sources: Set<string>;
  /** dist files */
  dist: Set<string>;
  /** Node's own modules (process.moduleLoadList) */
  builtins: Set<string>;
}

const DIST = join(ROOT, 'dist/');
const packageOf = (path: string) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path)?.[1];

async function loadedBy(args: string[]): Promise<{ loaded: Loaded; code: number | null; stdout: string; stderr: string }> {
  const trace = join(dir, `trace-${Math.random()}.json`);
  const r = await runProcess(process.execPath, ['--import', HOOK, BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', IIOT_TEST_TRACE: trace },
    input: '',
    timeoutMs: 60_000,
  });
  const { urls, builtins } = JSON.parse(readFileSync(trace, 'utf8')) as { urls: string[]; builtins: string[] };
  const loaded: Loaded = {
    packages: new Set(),
    sources: new Set(),
    dist: new Set(),
    builtins: new Set(builtins.map((b) => b.replace(/^NativeModule /, ''))),
  };
  for (const url of urls.filter((u) => u.startsWith('file:'))) {
    const file = fileURLToPath(url);
    const pkg = packageOf(file);
    if (pkg !== undefined) loaded.packages.add(pkg);
    if (!file.startsWith(DIST)) continue;
    loaded.dist.add(file.slice(DIST.length));
    const map = JSON.parse(readFileSync(`${file}.map`, 'utf8')) as { sources: string[] };
    for (const source of map.sources) {
      const p = packageOf(source);
      if (p !== undefined) loaded.packages.add(p);
      else loaded.sources.add(source.replace(/^(\.\.\/)+/, ''));
    }
  }
  return { loaded, code: r.code, stdout: r.stdout, stderr: r.stderr };
}

/** Libraries no offline capture command needs. */
const HEAVY = [
  'zod',
  'commander',
  'yaml',
  'node-opcua',
  'modbus-serial',
  'serialport',
  'mqtt',
  'aedes',
  'ink',
  'react',
  'arquero',
  'protobufjs',
  'multicast-dns',
];

const capture = join(ROOT, 'fixtures/captures/golden/basic.jsonl');

describe('start-up: what a command loads', () => {
  for (const args of [
    ['capture', 'validate', capture],
    ['capture', 'info', capture, '--json'],
  ]) {
    it(`\`iiot ${args.slice(0, 2).join(' ')}\` on a small capture loads its own code and none of the libraries`, async () => {
      const { loaded, code } = await loadedBy(args);
      expect(code).toBe(0);
      expect([...loaded.packages].filter((p) => HEAVY.includes(p))).toEqual([]);
      expect(loaded.dist).toContain('fast/capture.js');
      expect([...loaded.sources].filter((s) => s.startsWith('commands/'))).toEqual(['commands/capture.ts']);
      expect(loaded.sources).toContain('src/capture/reader.ts');
      // nor Node's modules it has no use for: child processes, workers, zlib for a plain file
      for (const b of ['child_process', 'worker_threads', 'zlib']) expect(loaded.builtins, b).not.toContain(b);
    });
  }

  it('loads zod when a capture header is wrong, to word the error as before', async () => {
    const bad = join(dir, 'bad.jsonl');
    writeFileSync(
      bad,
      '{"type":"header","format":"iiot-capture","version":1,"created":"2026-11-25T10:00:00Z","tool":"x","tags":[{"name":7}]}\n',
    );
    const { loaded, code, stdout } = await loadedBy(['capture', 'validate', bad]);
    expect(code).toBe(2);
    expect(stdout).toContain(`${bad}:1: error: header field tags[0].name: Invalid input: expected string, received number`);
    expect(loaded.packages).toContain('zod');
  });

  it('parses with commander, registering only that command, a line the fast path leaves to it', async () => {
    const { loaded, code } = await loadedBy(['capture', 'validate', '--', capture]);
    expect(code).toBe(0);
    expect(loaded.packages).toContain('commander');
    expect(loaded.packages).not.toContain('zod');
    expect([...loaded.sources].filter((s) => s.startsWith('commands/'))).toEqual(['commands/capture.ts']);
    expect(loaded.sources).toContain('src/program.ts');
    expect(loaded.sources).not.toContain('src/cli.ts'); // not the whole command table
  });

  it('answers --help from the prerendered text', async () => {
    const { loaded, code } = await loadedBy(['capture', 'info', '--help']);
    expect(code).toBe(0);
    expect([...loaded.dist]).toEqual(expect.arrayContaining(['cli.js']));
    expect(loaded.packages.size).toBe(0);
    expect([...loaded.sources].filter((s) => s.startsWith('commands/'))).toEqual([]);
  });
});

describe('start-up: the compile cache', () => {
  const env = (home: string, extra: Record<string, string> = {}) => {
    const e: Record<string, string | undefined> = { ...process.env, HOME: home, NO_COLOR: '1' };
    delete e.NODE_COMPILE_CACHE;
    delete e.NODE_DISABLE_COMPILE_CACHE;
    delete e.XDG_CACHE_HOME;
    return { ...e, ...extra };
  };
  const run = (e: Record<string, string | undefined>) =>
    runProcess(process.execPath, [BIN, 'capture', 'validate', capture], { cwd: ROOT, env: e, input: '', timeoutMs: 60_000 });

  it("lives in the user's own cache directory, not in a shared one", async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    expect((await run(env(home))).code).toBe(0);
    expect(existsSync(join(home, '.cache/iiot/compile-cache'))).toBe(true);
    const xdg = mkdtempSync(join(dir, 'xdg-'));
    expect((await run(env(home, { XDG_CACHE_HOME: xdg }))).code).toBe(0);
    expect(existsSync(join(xdg, 'iiot/compile-cache'))).toBe(true);
  });

  it('is left out with NODE_DISABLE_COMPILE_CACHE, and follows NODE_COMPILE_CACHE', async () => {
    const home = mkdtempSync(join(dir, 'home-'));
    expect((await run(env(home, { NODE_DISABLE_COMPILE_CACHE: '1' }))).code).toBe(0);
    expect(existsSync(join(home, '.cache/iiot'))).toBe(false);
    const chosen = mkdtempSync(join(dir, 'chosen-'));
    expect((await run(env(home, { NODE_COMPILE_CACHE: chosen }))).code).toBe(0);
    expect(existsSync(join(home, '.cache/iiot'))).toBe(false);
    expect(readdirSync(chosen).length).toBeGreaterThan(0);
  });
});
