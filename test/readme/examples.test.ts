/**
 * Every command example in README.md, run as written against one `iiot sim` started here. The
 * examples are parsed from README.md's code blocks (./readme.ts), so an example added to the
 * README is run without touching this file; one this file cannot run, or whose command does not
 * exist yet, fails with the README line.
 *
 * What differs from the README, and only this:
 * - ports: the README's plant listens on 4840 (OPC UA), 5020 (Modbus) and 1883 (MQTT) and replays
 *   on 4841; here every one is a free port, substituted wherever it is written, and `iiot sim`
 *   (which uses those ports by default) gets --opcua-port/--modbus-port/--mqtt-port;
 * - files: the examples run in a temporary folder (with `fixtures` linked to the repository's),
 *   iiot's certificate store is a temporary one (IIOT_PKI_DIR); the inputs no earlier example
 *   makes come from fixtures (INPUTS below);
 * - long runs: the serving `iiot sim` is the plant of every other example and is stopped with
 *   SIGINT (Ctrl-C) after the last one; a command that serves (`iiot replay`), one with a
 *   --duration longer than 30 s (the record's 2h) or a --watch without --duration is stopped with
 *   SIGINT once it has shown that it works, and must then exit 130 (Ctrl-C, docs/exit-codes.md)
 *   and say it was stopped. `--watch --duration 10s` runs its 10 s.
 * - files: `datasets` is linked like `fixtures` (the evaluation data sets the fleet examples train on);
 * - the Install lines (`npm install -g …`) are not run here (they would install over this machine's
 *   tools): .ci/run runs scripts/check-install.sh, which packs, installs both tarballs with exactly
 *   those commands into a temporary prefix and runs iiot from another folder; this test checks that
 *   the script does what the README says.
 * - the Quick start's npm lines: `npm run demo` runs `iiot demo` (its build step is what the
 *   suite's global setup did); `npm ci`, `npm test` and `npm run test:busy` are not run (one would
 *   reinstall node_modules under the running suite, the others are this suite): the scripts they
 *   rely on are checked instead.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDuration } from '../../src/core/units.js';
import { freePort } from '../../src/protocols/listen.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { accepts } from '../helpers/net.js';
import { scaled } from '../helpers/time-scale.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { readCapture } from '../helpers/record-io.js';
import { parseExamples, type Example } from '../helpers/markdown-examples.js';

const README = join(ROOT, 'README.md');
let examples: Example[] = [];
let parseError: unknown;
try {
  examples = parseExamples(readFileSync(README, 'utf8'));
} catch (err) {
  parseError = err;
}
const isServingSim = (ex: Example) => ex.argv[0] === 'iiot' && ex.argv[1] === 'sim' && !ex.argv.includes('--generate');
/** The plant every example talks to: the README's own `iiot sim` (the first serving one). */
const plantExample = examples.find(isServingSim);

/** Inputs of README examples that no earlier example writes, from the repository's fixtures. */
const INPUTS: Record<string, string> = {
  // a reference and a candidate made for `capture diff` with exactly these tolerances
  'expected.jsonl': 'fixtures/captures/golden/diff-a.jsonl',
  'out.jsonl': 'fixtures/captures/golden/diff-b.jsonl',
  // a German historian's long export (delimiter ;, decimal comma, local time)
  'historian.csv': 'fixtures/csv/historian-long-de.csv',
};

/** The README's ports, and the role each plays. */
const README_PORTS = { 4840: 'opcua', 5020: 'modbus', 1883: 'mqtt', 4841: 'replay', 4842: 'twin', 4843: 'twinReplay' } as const;
type Role = (typeof README_PORTS)[keyof typeof README_PORTS];

/** Longest any one example may take before it counts as hung (a busy machine is slow). */
const HANG_MS = scaled(240_000);
/** A --duration longer than this is stopped with SIGINT once the command has shown it works. */
const LONG_MS = 30_000;

let cwd: string;
let env: NodeJS.ProcessEnv;
const ports = {} as Record<Role, number>;

interface Running {
  argv: string[];
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  done(): boolean;
  interrupt(): Promise<number | null>;
}

/** `argv` (the first word is iiot) as a process in the examples' folder; killed after HANG_MS unless `longLived`. */
function start(argv: string[], extraEnv: Record<string, string>, longLived = false): Running {
  const child = spawn(process.execPath, [BIN, ...argv.slice(1)], { cwd, env: { ...env, ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  let finished = false;
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => ((finished = true), resolve(code))));
  if (!longLived) {
    const guard = setTimeout(() => child.kill('SIGKILL'), HANG_MS);
    void exited.then(() => clearTimeout(guard));
  }
  return {
    argv,
    stdout: () => out,
    stderr: () => err,
    exited,
    done: () => finished,
    interrupt: () => {
      if (!finished) child.kill('SIGINT');
      return exited;
    },
  };
}

/** The example as it is run here: README ports replaced by this run's. */
function localise(ex: Example): string[] {
  const argv = ex.argv.map((w) =>
    w.replace(
      /(^|:)(4840|5020|1883|4841|4842|4843)(?=$|[/?:,])/g,
      (_, pre: string, port: string) => `${pre}${ports[README_PORTS[Number(port) as keyof typeof README_PORTS]]}`,
    ),
  );
  if (isServingSim(ex)) {
    for (const [flag, role] of [
      ['--opcua-port', 'opcua'],
      ['--modbus-port', 'modbus'],
      ['--mqtt-port', 'mqtt'],
    ] as const) {
      if (!argv.includes(flag)) argv.push(flag, String(ports[role]));
    }
  }
  return argv;
}

const option = (argv: string[], name: string) => (argv.includes(name) ? argv[argv.indexOf(name) + 1] : undefined);
const outputOf = (argv: string[]) => option(argv, '-o') ?? option(argv, '--output');

function describeRun(ex: Example, argv: string[], r: { code: number | null; stdout: string; stderr: string }): string {
  return `README.md:${ex.line}: ${argv.join(' ')}\nexit ${r.code}\n--- stdout\n${r.stdout.slice(0, 3000)}\n--- stderr\n${r.stderr.slice(0, 3000)}`;
}

/** Samples from every source of the capture's header: the recording has shown it works. */
async function recordedFromEverySource(file: string): Promise<boolean> {
  if (!existsSync(file)) return false;
  try {
    const c = await readCapture(file);
    const sourceOf = new Map(c.tags.map((t) => [t.name, t.source]));
    const seen = new Set(c.samples.map((s) => sourceOf.get(s.tag)));
    return c.header.sources.length > 0 && c.header.sources.every((s) => seen.has(s.id));
  } catch {
    return false; // the last gzip member is still being written
  }
}

type Result = { code: number | null; stdout: string; stderr: string };

/**
 * Runs one example to its end, or, for the long-running kinds, until it has shown that it works
 * and then stops it with SIGINT. Returns the result and whether it was interrupted.
 */
async function run(ex: Example, argv: string[]): Promise<Result & { interrupted: boolean; ready?: { doc: string; accepting: boolean } }> {
  for (const [file, fixture] of Object.entries(INPUTS)) {
    if (argv.includes(file) && !existsSync(join(cwd, file))) copyFileSync(join(ROOT, fixture), join(cwd, file));
  }
  const p = start(argv, ex.env);
  const duration = option(argv, '--duration');
  const durationMs = duration === undefined ? undefined : parseDuration(duration);
  const serves = argv[1] === 'replay' || (argv.includes('--watch') && duration === undefined);
  const long = durationMs !== undefined && durationMs > LONG_MS;
  if (!serves && !long) {
    const code = await p.exited;
    return { code, stdout: p.stdout(), stderr: p.stderr(), interrupted: false };
  }
  // shown to work: a recording has samples from every source; a server is ready; anything else printed a result
  const output = outputOf(argv);
  const readyFile = option(argv, '--ready-file');
  await waitFor(async () => {
    if (p.done()) return true;
    if (argv[1] === 'record' && output !== undefined) return recordedFromEverySource(join(cwd, output));
    if (readyFile !== undefined) return existsSync(join(cwd, readyFile));
    if (argv[1] === 'replay') return /Ctrl-C to stop/.test(p.stderr());
    return p.stdout().trim().length > 0;
  }, 200);
  const finishedAlone = p.done();
  // a ready file is removed when the server stops: what it said, and whether its endpoint answered
  let ready: { doc: string; accepting: boolean } | undefined;
  if (readyFile !== undefined && existsSync(join(cwd, readyFile))) {
    const doc = readFileSync(join(cwd, readyFile), 'utf8');
    const endpoint = /"endpoint":\s*"[a-z.]+:\/\/([\d.]+):(\d+)/.exec(doc);
    ready = { doc, accepting: endpoint !== null && (await accepts(endpoint[1]!, Number(endpoint[2]))) };
  }
  const code = await p.interrupt();
  return { code, stdout: p.stdout(), stderr: p.stderr(), interrupted: !finishedAlone, ...(ready ? { ready } : {}) };
}

/** What each example must show beyond its exit code; by the command's words. */
async function check(ex: Example, argv: string[], r: Awaited<ReturnType<typeof run>>): Promise<void> {
  const why = describeRun(ex, argv, r);
  const words = argv.slice(1).join(' ');
  const file = (name: string | undefined) => {
    expect(name, `${why}\n(no -o file)`).toBeDefined();
    const path = join(cwd, name!);
    expect(existsSync(path) && statSync(path).size > 0, `${why}\n${name} was not written`).toBe(true);
    return path;
  };
  const has = (...w: string[]) => w.every((x) => argv.includes(x));
  const plantPath = (p: string) => argv.some((a) => a.startsWith(p));
  // What every example must do: exit 0 (or, for a check or a diff, 1 when it says FAIL or different)
  // and show a result, on stdout or in the file it was asked to write.
  const out = outputOf(argv);
  if (/^(check |capture diff )/.test(words)) expect([0, 1], why).toContain(r.code);
  else if (/^commission run /.test(words)) {
    // the README's plant is deliberately open: a drafted plan may well not be accepted (exit 1); the verdict says which
    expect([0, 1], why).toContain(r.code);
    expect(r.stdout, why).toMatch(r.code === 0 ? /^ACCEPTED {2}/ : /^NOT ACCEPTED {2}/);
  } else if (r.interrupted) expect(r.code, why).toBe(130);
  else expect(r.code, why).toBe(0);
  expect(r.stdout.trim().length > 0 || (out !== undefined && existsSync(join(cwd, out))), `${why}\n(no output)`).toBe(true);
  if (r.interrupted)
    expect(r.stdout + r.stderr, `${why}\n(stopped with Ctrl-C: it should say so)`).toMatch(/stopped by the user|interrupted/i);

  // What the examples of the README as it is now show, by the command's words.
  if (/^sim --generate/.test(words)) {
    expect(r.stdout, why).toMatch(/^ground truth: /m);
    const c = await readCapture(file(out));
    expect(c.samples.length, why).toBeGreaterThan(0);
    if (!argv.includes('--tags'))
      expect(
        c.tags.map((t) => t.name),
        why,
      ).toContain('pump1.vibration');
  } else if (/^discover /.test(words)) {
    const inventory = JSON.parse(out === undefined ? r.stdout : readFileSync(file(out), 'utf8')) as {
      devices: Array<{ url: string; name?: string }>;
    };
    expect(Array.isArray(inventory.devices), why).toBe(true);
    // the plant's meter when its Modbus port is named (the default ports also scanned may show other servers on this machine)
    if (argv.some((a) => a.startsWith(`${ports.modbus}:modbus`))) {
      expect(inventory.devices.find((d) => d.url === `modbus://127.0.0.1:${ports.modbus}?unit=1`)?.name, why).toMatch(/SDM630/);
    }
  } else if (/^browse .*--csv/.test(words)) {
    const csv = readFileSync(file(out), 'utf8');
    expect(csv.split('\n')[0], why).toMatch(/^node_id,browse_path,/);
    if (argv.includes('--all')) expect(csv, why).toContain('ns=5;s=pump1.vibration');
  } else if (/^browse /.test(words) && plantPath('/Objects/Plant')) {
    expect(r.stdout, why).toMatch(/ns=5;s=pump1\.vibration\s+Double\s+[\d.]+\s+mm\/s/);
  } else if (/^read opc\.tcp:.*pump1\.vibration.*--watch/.test(words)) {
    const values = r.stdout.split('\n').filter((l) => /pump1\.vibration\s+\d/.test(l));
    expect(values.length, why).toBeGreaterThan(1);
  } else if (/^record /.test(words)) {
    // every source delivered samples; the meter's voltage is a voltage
    const c = await readCapture(file(out));
    const sourceOf = new Map(c.tags.map((t) => [t.name, t.source]));
    const seen = new Set(c.samples.map((s) => sourceOf.get(s.tag)));
    expect(
      c.header.sources.map((s) => s.id).filter((id) => !seen.has(id)),
      `${why}\n(sources without samples)`,
    ).toEqual([]);
    if (has('--map', 'sdm630'))
      expect(
        c.samples.some((s) => /voltage_l1$/.test(s.tag) && (s.v as number) > 200),
        why,
      ).toBe(true);
  } else if (/^replay /.test(words)) {
    if (option(argv, '--ready-file') !== undefined) {
      expect(r.ready, `${why}\n(no ready file)`).toBeDefined();
      const doc = JSON.parse(r.ready!.doc) as { endpoint: string; tags: number };
      if (option(argv, '--port') !== undefined)
        expect(doc.endpoint, why).toMatch(new RegExp(`^[a-z.]+://127\\.0\\.0\\.1:${option(argv, '--port')}`));
      expect(doc.tags, why).toBeGreaterThan(0);
      expect(r.ready!.accepting, `${why}\n(${doc.endpoint} did not accept a connection while serving)`).toBe(true);
    }
    expect(r.stderr, why).toMatch(/replayed \d+ records/);
  } else if (/^capture diff expected\.jsonl out\.jsonl --tolerance 0\.1% --time-tolerance 50ms$/.test(words)) {
    // the fixtures differ on purpose: a value 1% off, a sample missing, extra samples, a quality
    expect(r.code, why).toBe(1);
    expect(r.stdout, why).toMatch(/^different: 3 of 3 tags differ \(value tolerance 0\.1%, time tolerance 50\.0 ms\)/i);
    expect(r.stdout, why).toMatch(/^temp\s+10\s+10\s+9\s+1\s/m);
  } else if (/^capture info /.test(words)) {
    expect(r.stdout, why).toMatch(/format\s+iiot-capture v1/);
  } else if (/^capture import historian\.csv /.test(words)) {
    expect(r.stdout + r.stderr, why).toMatch(/wrote \S+: 8 samples of 3 tags/);
    expect((await readCapture(file(out))).samples.length, why).toBe(8);
  } else if (/^analyze (degradation|energy) /.test(words)) {
    const tag = option(argv, '--tag');
    if (tag !== undefined) expect(r.stdout, why).toContain(tag);
    if (argv[2] === 'energy') expect(r.stdout, why).toMatch(/energy\s+[\d.]+ [kMG]?Wh/);
    const report = option(argv, '--report');
    if (report?.endsWith('.html')) expect(readFileSync(file(report), 'utf8'), why).toMatch(/<html/i);
  } else if (/^check latency /.test(words)) {
    // a p99 threshold on a real, perhaps busy, machine: either outcome, but the exit code must say which
    const targets = argv.filter((a) => a.includes('://')).length;
    expect(r.stdout, why).toContain(`${targets} target${targets === 1 ? '' : 's'}, ${targets} measured in full`);
    if (r.code === 0) expect(r.stdout, why).toMatch(/^passed: /m);
    else expect(r.stdout, why).toMatch(/^\s+FAIL\s+\S+: /m);
  } else if (/^check security /.test(words)) {
    const failOn = option(argv, '--fail-on');
    if (failOn === 'high') expect(r.code, why).toBe(/^\s+(HIGH|CRITICAL)\s/m.test(r.stdout) ? 1 : 0);
    if (argv.includes('inventory.json')) expect(r.stdout, why).toContain(`modbus://127.0.0.1:${ports.modbus}?unit=1`);
    const sarif = option(argv, '--sarif');
    if (sarif !== undefined) expect((JSON.parse(readFileSync(file(sarif), 'utf8')) as { version: string }).version, why).toBe('2.1.0');
    const junit = option(argv, '--junit');
    if (junit !== undefined) expect(readFileSync(file(junit), 'utf8'), why).toMatch(/<testsuites?[\s>]/);
  } else if (/^pki list$/.test(words)) {
    // trusted on first use by the browse example before it
    expect(r.stdout, why).toMatch(/^trusted\s+iiot simulated plant \(127\.0\.0\.1\)/m);
  } else if (/^demo$/.test(words)) {
    expect(r.stdout, why).toMatch(/Try next\n {2}\$ iiot sim/);
  }
}

let sim: { argv: string[]; process: Running } | undefined;

beforeAll(async () => {
  cwd = tempDir('readme');
  symlinkSync(join(ROOT, 'fixtures'), join(cwd, 'fixtures'));
  symlinkSync(join(ROOT, 'datasets'), join(cwd, 'datasets'));
  env = { ...process.env, NO_COLOR: '1', IIOT_PKI_DIR: join(tempDir('readme-pki'), 'pki') };
  for (const [, role] of Object.entries(README_PORTS)) ports[role] = await freePort('127.0.0.1');
  expect(plantExample, 'README.md has no `iiot sim` example to serve the others').toBeDefined();
  const argv = localise(plantExample!);
  const p = start(argv, plantExample!.env, true);
  await waitFor(() => p.done() || /Ctrl-C to stop/.test(p.stderr()), 100);
  expect(p.done(), `README.md:${plantExample!.line}: ${argv.join(' ')} ended:\n${p.stderr()}`).toBe(false);
  for (const role of ['opcua', 'modbus', 'mqtt'] as const) await waitFor(() => accepts('127.0.0.1', ports[role]), 100);
  sim = { argv, process: p };
}, HANG_MS);

afterAll(async () => {
  await sim?.process.interrupt();
  removeTempDirs();
});

describe("README.md examples, in order, against the README's own `iiot sim`", () => {
  it('README.md has command examples to run', () => {
    if (parseError !== undefined) throw parseError;
    expect(examples.filter((e) => e.argv[0] === 'iiot').length).toBeGreaterThan(10);
  });

  for (const ex of examples) {
    const title = `README.md:${ex.line}: ${ex.text}`;
    if (ex.argv[0] === 'npm') {
      it(
        title,
        async () => {
          const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
          const sub = ex.argv.slice(1).filter((w) => !w.startsWith('-'));
          if (sub[0] === 'install' && ex.argv.includes('-g')) {
            // not run here: .ci/run's scripts/check-install.sh installs both tarballs just so, into a temporary prefix
            const script = readFileSync(join(ROOT, 'scripts', 'check-install.sh'), 'utf8');
            expect(script).toMatch(/install_args=\(install -g --prefix/);
            if (ex.argv.includes('--offline')) expect(script).toMatch(/--offline/);
            const ci = readFileSync(join(ROOT, '.ci', 'run'), 'utf8');
            expect(ci).toContain('scripts/check-install.sh');
            if (ex.argv.includes('--offline')) expect(ci).toContain('scripts/check-install.sh --offline');
          } else if (sub[0] === 'ci') {
            // not run (it would reinstall node_modules under the running suite): what it relies on
            expect(existsSync(join(ROOT, 'package-lock.json'))).toBe(true);
            expect(pkg.scripts.prepare, 'npm ci builds dist/ through the prepare script').toMatch(/build/);
          } else if (sub[0] === 'test' || (sub[0] === 'run' && /vitest|test-busy\.sh|npm test/.test(pkg.scripts[sub[1] ?? ''] ?? ''))) {
            // not run: it is this suite (npm test), or this suite on a busy CPU (npm run test:busy)
            expect(pkg.scripts[sub[0] === 'test' ? 'test' : sub[1]!]).toMatch(/vitest|test-busy\.sh|npm test/);
          } else if (sub[0] === 'run' && sub[1] === 'demo') {
            // the script builds, then runs `iiot demo`; the suite's global setup has built dist/
            expect(pkg.scripts.demo).toMatch(/^npm run -s build && node bin\/iiot\.js demo$/);
            const argv = ['iiot', 'demo'];
            await check(ex, argv, await run(ex, argv));
          } else {
            throw new Error(
              `README.md:${ex.line}: \`${ex.text}\`: this test does not know how to run this npm command; teach test/readme/examples.test.ts`,
            );
          }
        },
        HANG_MS,
      );
    } else if (ex.argv[0] !== 'iiot') {
      it(title, () => {
        throw new Error(
          `README.md:${ex.line}: \`${ex.text}\` is not an iiot command; teach test/readme/examples.test.ts how to run it, or put it in prose`,
        );
      });
    } else if (ex === plantExample) {
      it(title, () => {
        // running since beforeAll: it printed its endpoints on the ports given
        const out = sim!.process.stdout();
        expect(out).toContain(`opc.tcp://127.0.0.1:${ports.opcua}`);
        expect(out).toContain(`modbus://127.0.0.1:${ports.modbus}`);
        expect(out).toContain(`mqtt://127.0.0.1:${ports.mqtt}`);
      });
    } else if (isServingSim(ex)) {
      it(
        title,
        async () => {
          // another serving example: it runs beside the plant on its own free ports, until Ctrl-C
          const argv = localise(ex);
          for (const flag of ['--opcua-port', '--modbus-port', '--mqtt-port'])
            if (!argv.includes(flag)) argv.push(flag, String(await freePort('127.0.0.1')));
          const p = start(argv, ex.env, true);
          await waitFor(() => p.done() || /Ctrl-C to stop/.test(p.stderr()), 100);
          const code = await p.interrupt();
          expect(code, describeRun(ex, argv, { code, stdout: p.stdout(), stderr: p.stderr() })).toBe(130);
        },
        HANG_MS,
      );
    } else {
      it(
        title,
        async () => {
          const argv = localise(ex);
          await check(ex, argv, await run(ex, argv));
        },
        HANG_MS,
      );
    }
  }

  it(
    "the README's `iiot sim` stops cleanly on Ctrl-C (exit 130)",
    async () => {
      const p = sim!.process;
      const code = await p.interrupt();
      expect(code, describeRun(plantExample!, sim!.argv, { code, stdout: p.stdout(), stderr: p.stderr() })).toBe(130);
      expect(p.stderr()).toMatch(/stopped/);
    },
    HANG_MS,
  );
});
