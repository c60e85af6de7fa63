import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isIiotError } from '../../src/core/errors.js';
import { commitFile, refuseToReplace, removeTemporaryFiles, stageFile, writeFileSafely } from '../../src/core/output-file.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

afterAll(removeTempDirs);

function thrown(fn: () => void): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('core/output-file: never replace unasked, never half a file under its name', () => {
  it('writeFileSafely refuses an existing file (exit 2, the same words as record) and replaces it with force', () => {
    const dir = tempDir('out');
    const path = join(dir, 'report.md');
    writeFileSync(path, 'keep me');
    const err = thrown(() => writeFileSafely(path, 'new', {}));
    expect(isIiotError(err) && err.exitCode).toBe(2);
    expect((err as Error).message).toBe(`${path} already exists`);
    expect(readFileSync(path, 'utf8')).toBe('keep me');
    writeFileSafely(path, 'new', { force: true });
    expect(readFileSync(path, 'utf8')).toBe('new');
    expect(readdirSync(dir)).toEqual(['report.md']); // no temporary file left behind
  });

  it('a staged file is invisible under its name until committed; discard leaves nothing', () => {
    const dir = tempDir('out');
    const path = join(dir, 'export.csv');
    const stage = stageFile(path, {});
    writeFileSync(stage.tmp, 'a,b\n1,2\n');
    expect(existsSync(path)).toBe(false);
    expect(stage.tmp.startsWith(join(dir, '.export.csv.tmp-'))).toBe(true); // same folder: the rename is atomic
    stage.commit();
    expect(readFileSync(path, 'utf8')).toBe('a,b\n1,2\n');
    const other = stageFile(join(dir, 'other.csv'), {});
    writeFileSync(other.tmp, 'half');
    other.discard();
    expect(readdirSync(dir)).toEqual(['export.csv']);
  });

  it('commit does not replace a file that appeared while the temporary one was written', () => {
    const dir = tempDir('out');
    const path = join(dir, 'inventory.json');
    const stage = stageFile(path, {});
    writeFileSync(stage.tmp, '{"new":true}');
    writeFileSync(path, '{"theirs":true}'); // another program, meanwhile
    const err = thrown(() => stage.commit());
    expect((err as Error).message).toBe(`${path} already exists`);
    expect(readFileSync(path, 'utf8')).toBe('{"theirs":true}');
    expect(readdirSync(dir)).toEqual(['inventory.json']);
    expect(() => refuseToReplace(join(dir, 'absent'), {})).not.toThrow();
  });

  it('removeTemporaryFiles (Ctrl-C) removes what was not committed', () => {
    const dir = tempDir('out');
    const a = stageFile(join(dir, 'a.jsonl'), {});
    writeFileSync(a.tmp, 'x');
    const b = stageFile(join(dir, 'b.jsonl'), {});
    writeFileSync(b.tmp, 'y');
    commitFile(b.tmp, b.path, {});
    removeTemporaryFiles();
    expect(readdirSync(dir)).toEqual(['b.jsonl']);
  });
});

describe('every command that writes a file refuses an existing one unless --force', () => {
  const CAPTURE = 'fixtures/captures/golden/basic.jsonl';
  const cases: Array<{ what: string; args: (out: string) => string[] }> = [
    { what: 'sim --generate -o', args: (o) => ['sim', '--generate', '--days', '1', '--interval', '1h', '-o', o] },
    { what: 'capture slice -o', args: (o) => ['capture', 'slice', CAPTURE, '-o', o] },
    { what: 'capture convert -o (CSV)', args: (o) => ['capture', 'convert', CAPTURE, '-o', o] },
    { what: 'capture convert -o (capture)', args: (o) => ['capture', 'convert', CAPTURE, '-o', o] },
    {
      what: 'capture import -o',
      args: (o) => ['capture', 'import', 'fixtures/csv/historian-long-de.csv', '--tz', 'Europe/Berlin', '-o', o],
    },
    { what: 'analyze --report', args: (o) => ['analyze', 'energy', 'fixtures/captures/plant-7d-15min.jsonl.gz', '--report', o] },
  ];
  const ext: Record<string, string> = { 'capture convert -o (CSV)': '.csv', 'analyze --report': '.md' };

  for (const c of cases) {
    it(c.what, async () => {
      const dir = tempDir('clobber');
      const out = join(dir, `out${ext[c.what] ?? '.jsonl'}`);
      writeFileSync(out, 'precious');
      const refused = await runCli(c.args(out));
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(`iiot: error: ${out} already exists\n  hint: choose another file name, or add --force to replace it\n`);
      expect(readFileSync(out, 'utf8')).toBe('precious');
      const forced = await runCli([...c.args(out), '--force']);
      expect(forced.code, forced.stderr).toBe(0);
      expect(readFileSync(out, 'utf8')).not.toBe('precious');
      expect(readdirSync(dir)).toEqual([`out${ext[c.what] ?? '.jsonl'}`]);
    });
  }

  // These refuse before connecting to anything: the refusal is the whole point here.
  for (const [what, args] of [
    ['discover -o', (o: string) => ['discover', '127.0.0.1', '--ports', '9', '-o', o]],
    ['browse -o', (o: string) => ['browse', 'opc.tcp://127.0.0.1:9', '-o', o]],
    ['browse --tags', (o: string) => ['browse', 'opc.tcp://127.0.0.1:9', '--all', '--tags', o]],
    ['check security --sarif', (o: string) => ['check', 'security', 'opc.tcp://127.0.0.1:9', '--sarif', o]],
    ['check security --junit', (o: string) => ['check', 'security', 'opc.tcp://127.0.0.1:9', '--junit', o]],
  ] as const) {
    it(`${what} (before any connection)`, async () => {
      const out = join(tempDir('clobber'), 'existing');
      writeFileSync(out, 'precious');
      const r = await runCli(args(out));
      expect(r.code).toBe(2);
      expect(r.stderr).toBe(`iiot: error: ${out} already exists\n  hint: choose another file name, or add --force to replace it\n`);
      expect(readFileSync(out, 'utf8')).toBe('precious');
    });
  }
});

describe('a device, pipe or folder at the output name is never replaced, even with --force', () => {
  // A named pipe stands in for /dev/null and /dev/stdout: writing aside and renaming would put a
  // plain file in its place (as root, /dev/null itself went once).
  it('writeFileSafely refuses a pipe and a folder, with or without force, and leaves them as they were', () => {
    const dir = tempDir('special');
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    for (const force of [false, true]) {
      const err = thrown(() => writeFileSafely(fifo, 'x', { force }));
      expect(isIiotError(err) && err.exitCode).toBe(2);
      expect((err as Error).message).toBe(`${fifo}: not a regular file (a device, pipe or socket)`);
      expect(lstatSync(fifo).isFIFO()).toBe(true);
    }
    const folder = join(dir, 'reports');
    mkdirSync(folder);
    expect((thrown(() => writeFileSafely(folder, 'x', { force: true })) as Error).message).toBe(`${folder}: is a folder`);
    expect(readdirSync(dir).sort()).toEqual(['pipe', 'reports']);
  });

  it('sim --generate -o <pipe> --force: one line, exit 2, the pipe still a pipe', async () => {
    const dir = tempDir('special-cli');
    const fifo = join(dir, 'null');
    execFileSync('mkfifo', [fifo]);
    const r = await runCli(['sim', '--generate', '--span', '1m', '--interval', '10s', '-o', fifo, '--force']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      `iiot: error: ${fifo}: not a regular file (a device, pipe or socket)\n  hint: give the path of a file; to see the output, leave out -o or use --json\n`,
    );
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(dir)).toEqual(['null']);
  });
});

describe('Ctrl-C during a command that writes a file in one go', () => {
  it('exits 130, leaves the existing file as it was and no temporary file', async () => {
    const dir = tempDir('ctrl-c');
    const out = join(dir, 'plant.jsonl.gz');
    writeFileSync(out, 'the capture from yesterday');
    const child = spawn(process.execPath, [BIN, 'sim', '--generate', '--days', '60', '-o', out, '--force'], {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = once(child, 'exit');
    // until the temporary file beside it has data (a condition, not a time), then Ctrl-C
    await waitFor(() => readdirSync(dir).some((f) => f.startsWith('.plant.jsonl.gz.tmp-')) || child.exitCode !== null, 50);
    expect(child.exitCode, stderr).toBeNull();
    child.kill('SIGINT');
    const [code] = await exited;
    expect(code).toBe(130);
    expect(stderr).toMatch(/iiot: interrupted\n$/);
    expect(readFileSync(out, 'utf8')).toBe('the capture from yesterday');
    expect(readdirSync(dir)).toEqual(['plant.jsonl.gz']);
  });
});
