import { spawn } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { openCaptureSet } from '../../src/capture/capture-set.js';
import { listCaptureParts, partPath } from '../../src/capture/parts.js';
import type { CaptureRecord } from '../../src/capture/types.js';
import { createCaptureWriter } from '../../src/capture/writer.js';
import { ROOT } from '../helpers/cli.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('writer');
const CHILD = fileURLToPath(new URL('../helpers/capture-writer-child.ts', import.meta.url));
const T0 = Date.UTC(2026, 10, 25, 10);
const init = { sources: [{ id: 'plc1', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840' }], tags: [{ name: 'a', unit: 'kW' }] };

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').trimEnd().split('\n');
}

async function readSet(paths: string[]): Promise<CaptureRecord[]> {
  const set = await openCaptureSet(paths, { strict: true });
  const out: CaptureRecord[] = [];
  for await (const b of set.batches()) out.push(...b);
  return out;
}

describe('the lines it writes', () => {
  it('writes the header first, then samples in the documented form', async () => {
    const path = file('form.jsonl');
    const w = await createCaptureWriter(path, { ...init, metadata: { site: 'x' }, created: new Date(T0) });
    // the header is on disk before the first flush
    expect(JSON.parse(lines(path)[0]!)).toEqual({
      type: 'header',
      format: 'iiot-capture',
      version: 1,
      created: '2026-11-25T10:00:00.000Z',
      tool: expect.stringMatching(/^iiot \d+\.\d+\.\d+/),
      sources: init.sources,
      tags: init.tags,
      metadata: { site: 'x' },
    });
    w.sample('a', T0, 0.1 + 0.2);
    w.sample('a', T0 + 1.5, Number.NaN);
    w.sample('a', T0, Number.POSITIVE_INFINITY, { q: 'BadSensorFailure' });
    w.sample('a', T0, Number.NEGATIVE_INFINITY);
    w.sample('a', T0, -0);
    w.sample('a', T0, 12345678901234567890n);
    w.sample('a "quoted"\n', '2026-11-25T10:00:00.123456789Z', 'x\\y', {
      q: 'Bad',
      st: '2026-11-25T09:59:59.999Z',
      svt: '2026-11-25T11:00:00+01:00',
    });
    w.event('gap', T0, { from: '2026-11-25T09:00:00.000Z', to: '2026-11-25T10:00:00.000Z', t: 'ignored', event: 'ignored' });
    w.addTags([{ name: 'b', unit: 'A' }], T0);
    await w.close();
    expect(lines(path).slice(1)).toEqual([
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":0.30000000000000004}',
      '{"t":"2026-11-25T10:00:00.001500Z","tag":"a","v":null,"q":"NaN"}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":null,"q":"BadSensorFailure"}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":null,"q":"-Infinity"}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":0}',
      '{"t":"2026-11-25T10:00:00.000Z","tag":"a","v":12345678901234567890}',
      '{"t":"2026-11-25T10:00:00.123456789Z","tag":"a \\"quoted\\"\\n","v":"x\\\\y","q":"Bad","st":"2026-11-25T09:59:59.999Z","svt":"2026-11-25T10:00:00.000Z"}',
      '{"t":"2026-11-25T10:00:00.000Z","event":"gap","from":"2026-11-25T09:00:00.000Z","to":"2026-11-25T10:00:00.000Z"}',
      '{"t":"2026-11-25T10:00:00.000Z","event":"config","tags":[{"name":"b","unit":"A"}]}',
    ]);
    const back = await readAll(path, { strict: true });
    expect(back.records).toHaveLength(9);
  });

  it('refuses records the reader would refuse, with an IiotError naming the problem', async () => {
    const w = await createCaptureWriter(file('refuse.jsonl'), init);
    expect(() => w.sample('a', 'yesterday', 1)).toThrow(IiotError);
    expect(() => w.sample('a', 'yesterday', 1)).toThrow('capture writer: "t" is not a time: yesterday');
    expect(() => w.sample('', T0, 1)).toThrow('tag must be a non-empty string');
    expect(() => w.write({ t: '2026-11-25T10:00:00Z', tag: 'a', event: 'x' } as unknown as CaptureRecord)).toThrow('more than one of');
    expect(() => w.write({ t: '2026-11-25T10:00:00Z', raw: 'mqtt', topic: 't', payload: 'p' } as unknown as CaptureRecord)).toThrow(
      '"enc" of a raw message',
    );
    await w.close();
    expect(await readAll(file('refuse.jsonl'))).toMatchObject({ records: [], issues: [] });
  });
});

describe('life cycle', () => {
  it('close() is idempotent; writing after it is a bug (exit code 4)', async () => {
    const w = await createCaptureWriter(file('closed.jsonl'), init);
    w.sample('a', T0, 1);
    const [a, b] = [w.close(), w.close()];
    expect(a).toBe(b);
    await a;
    await w.close();
    let err: unknown;
    try {
      w.sample('a', T0, 2);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).exitCode).toBe(4);
    expect(w.recordsWritten).toBe(1);
    expect((await readAll(file('closed.jsonl'))).records).toHaveLength(1);
  });

  it('with exclusive, refuses to replace a file', async () => {
    const path = file('exists.jsonl');
    writeFileSync(path, 'precious');
    await expect(createCaptureWriter(path, init, { exclusive: true })).rejects.toThrow(
      `cannot create (exclusive) ${path}: the file already exists (EEXIST)`,
    );
    expect(readFileSync(path, 'utf8')).toBe('precious');
  });

  it('flushes by itself once 1 MiB is pending, without waiting for the timer', async () => {
    const path = file('highwater.jsonl');
    const w = await createCaptureWriter(path, init, { flushIntervalMs: 3_600_000 });
    for (let i = 0; i < 30_000; i++) w.sample('a', T0 + i, i + 0.123456789);
    for (let k = 0; k < 500 && statSync(path).size < 1 << 20; k++) await new Promise((r) => setTimeout(r, 10));
    expect(statSync(path).size).toBeGreaterThanOrEqual(1 << 20);
    await w.close();
    expect((await readAll(path)).records).toHaveLength(30_000);
  });
});

describe('rotation', () => {
  it('by size: plain parts never exceed the limit, each is a self-describing capture', async () => {
    const path = file('rot.jsonl');
    const w = await createCaptureWriter(path, init, { rotateBytes: 4000 });
    for (let i = 0; i < 300; i++) {
      w.sample('a', T0 + i * 1000, i);
      if (i === 150) w.addTags([{ name: 'b' }], T0 + i * 1000);
    }
    await w.close();
    expect(w.files.length).toBeGreaterThan(3);
    expect(w.files[0]).toBe(path);
    expect(w.files[1]).toBe(file('rot.0002.jsonl'));
    expect(w.path).toBe(w.files.at(-1));
    for (const [i, p] of w.files.entries()) {
      expect(statSync(p).size).toBeLessThanOrEqual(4000);
      const header = JSON.parse(lines(p)[0]!) as { part: unknown; tags: Array<{ name: string }> };
      expect(header.part).toEqual({ index: i + 1, first: 'rot.jsonl' });
    }
    // parts after the config event declare its tag in their header
    const last = JSON.parse(lines(w.files.at(-1)!)[0]!) as { tags: Array<{ name: string }> };
    expect(last.tags.map((t) => t.name)).toEqual(['a', 'b']);
    expect(await listCaptureParts(path)).toEqual(w.files);
    expect(await listCaptureParts(w.files[2]!)).toEqual(w.files);
    const all = await readSet([...w.files]);
    expect(all.filter((r) => r.tag === 'a').map((r) => r.v)).toEqual(Array.from({ length: 300 }, (_, i) => i));
  });

  it('by record time: each part holds at most rotateMs of records', async () => {
    const path = file('hourly.jsonl.gz');
    const w = await createCaptureWriter(path, init, { rotateMs: 3_600_000 });
    for (let i = 0; i < 240; i++) w.sample('a', T0 + i * 60_000, i);
    await w.close();
    expect(w.files.map((p) => basename(p))).toEqual([
      'hourly.jsonl.gz',
      'hourly.0002.jsonl.gz',
      'hourly.0003.jsonl.gz',
      'hourly.0004.jsonl.gz',
    ]);
    for (const [k, p] of w.files.entries()) {
      const back = await readAll(p, { strict: true });
      expect(back.records.map((r) => r.v)).toEqual(Array.from({ length: 60 }, (_, i) => k * 60 + i));
    }
  });

  it('names parts before the extension', () => {
    expect(partPath('/d/x.jsonl.gz', 1)).toBe('/d/x.jsonl.gz');
    expect(partPath('/d/x.jsonl.gz', 2)).toBe('/d/x.0002.jsonl.gz');
    expect(partPath('x.jsonl', 12)).toBe('x.0012.jsonl');
    expect(partPath('x', 3)).toBe('x.0003');
    expect(partPath('a.b/x.json', 10000)).toBe('a.b/x.10000.json');
  });
});

describe('a full disk', () => {
  it('/dev/full: a clear IiotError naming the file and ENOSPC', async () => {
    const err = await createCaptureWriter('/dev/full', init).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).message).toBe('cannot write /dev/full: no space left on the device (ENOSPC)');
    expect((err as IiotError).hint).toBe('the 0 records written before stay readable; free some space or write to another disk');
  });

  it('a file size limit hit mid-recording: the error is clear and every flushed record stays readable', async () => {
    const path = file('limited.jsonl');
    // ulimit -f: the kernel refuses writes past 64 KiB, as a full disk refuses them past its end
    const child = spawn('bash', ['-c', `ulimit -f 64; exec "${process.execPath}" --import tsx "${CHILD}" "${path}" ack`], {
      cwd: ROOT,
      env: { ...process.env, TSX_DISABLE_CACHE: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(0);
    const lastFlushed = Math.max(...[...stdout.matchAll(/^flushed (\d+)$/gm)].map((m) => Number(m[1])));
    const error = JSON.parse(/^error (.*)$/m.exec(stdout)![1]!) as { name: string; message: string; hint: string; exitCode: number };
    expect(error.name).toBe('IiotError');
    expect(error.message).toBe(`cannot write ${path}: file too large for this file system (EFBIG)`);
    expect(error.hint).toBe(
      `the ${lastFlushed} records written before stay readable; rotate the capture (smaller parts) or use another file system`,
    );
    const back = await readAll(path, { strict: true });
    expect(back.records.map((r) => r.v)).toEqual(Array.from({ length: lastFlushed }, (_, i) => i));
  });
});
