import { writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

// Captures written by hand (docs/capture-format.md): A is the reference, B what a poller read.
const file = tmpFolder('diff-align');
const A0 = Date.parse('2026-01-05T09:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function capture(name: string, samples: Array<[number, number]>): string {
  const lines = [
    JSON.stringify({
      type: 'header',
      format: 'iiot-capture',
      version: 1,
      created: iso(samples[0]![0]),
      tool: 'hand-written',
      sources: [{ id: 'm', protocol: 'modbus' }],
      tags: [{ name: 'meter.kw', source: 'm', address: 'hr:0' }],
    }),
    ...samples.map(([t, v]) => JSON.stringify({ t: iso(t), tag: 'meter.kw', v })),
  ];
  const path = file(name);
  writeFileSync(path, `${lines.join('\n')}\n`);
  return path;
}

async function diff(a: string, b: string, extra: string[]) {
  const r = await runCli(['capture', 'diff', a, b, '--json', ...extra]);
  return {
    code: r.code,
    stderr: r.stderr,
    body: JSON.parse(r.stdout) as { equal: boolean; align?: string; timeShiftMs?: number; totals: Record<string, number> },
  };
}

describe('capture diff of a polled source stamped at read time', () => {
  // A: a value every second (10 changes). B: a poller of A's replay, ten minutes later, reading
  // every 250 ms from 130 ms after the replay started; each read sees the value that holds then.
  const a = capture(
    'a.jsonl',
    Array.from({ length: 10 }, (_, k) => [A0 + k * 1000, 100 + k] as [number, number]),
  );
  const W0 = A0 + 600_000;
  const reads: Array<[number, number]> = [];
  for (let j = 0; 130 + 250 * j < 10_000; j++) {
    const sinceStart = 130 + 250 * j;
    reads.push([W0 + sinceStart, 100 + Math.floor(sinceStart / 1000)]);
  }
  const b = capture('b-hold.jsonl', reads);

  it('--align hold --time-shift auto: every read is the value that held then; equal', async () => {
    const r = await diff(a, b, ['--align', 'hold', '--time-shift', 'auto', '--time-tolerance', '200ms']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.body.equal).toBe(true);
    expect(r.body.align).toBe('hold');
    expect(r.body.timeShiftMs).toBe(600_130);
    expect(r.body.totals).toMatchObject({ matched: reads.length, missing: 0, extra: 0, outOfTolerance: 0 });
  });

  it('one to one in time order (the default) calls the same data different', async () => {
    const r = await diff(a, b, ['--time-shift', 'auto', '--time-tolerance', '200ms']);
    expect(r.code).toBe(1);
    expect(r.body.equal).toBe(false);
    expect(r.body.totals.extra).toBeGreaterThan(0);
  });

  it('hold still finds a wrong read, and a change the poller never saw', async () => {
    const wrong = reads.map(([t, v], j) => [t, j === 17 ? v + 5 : v] as [number, number]);
    const r = await diff(a, capture('b-wrong.jsonl', wrong), ['--align', 'hold', '--time-shift', 'auto', '--time-tolerance', '200ms']);
    expect(r.code).toBe(1);
    expect(r.body.totals.outOfTolerance).toBe(1);
    // a poller every 3 s misses most changes of a value that changes every second
    const slow = capture(
      'b-slow.jsonl',
      reads.filter((_, j) => j % 12 === 0),
    );
    const s = await diff(a, slow, ['--align', 'hold', '--time-shift', 'auto', '--time-tolerance', '200ms']);
    // reads at 0.13 s, 3.13 s, 6.13 s and 9.13 s see values 0, 3, 6 and 9: six changes unseen
    expect(s.body.totals).toMatchObject({ matched: 4, missing: 6, outOfTolerance: 0 });
  });
});

describe('capture diff --align nearest', () => {
  // A: a slow temperature every second; B: the same sensor polled every 2.5 s at another phase.
  const temp = (ms: number) => 20 + (ms - A0) / 100_000;
  const a = capture(
    't-a.jsonl',
    Array.from({ length: 30 }, (_, k) => [A0 + k * 1000, temp(A0 + k * 1000)] as [number, number]),
  );
  const b = capture(
    't-b.jsonl',
    Array.from({ length: 12 }, (_, j) => [A0 + 400 + j * 2500, temp(A0 + 400 + j * 2500)] as [number, number]),
  );

  it('compares each sample of A with the nearest sample of B: equal within 0.1 %', async () => {
    const r = await diff(a, b, ['--align', 'nearest', '--time-tolerance', '1.3s', '--tolerance', '0.1%']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.body.totals).toMatchObject({ matched: 30, missing: 0, extra: 0 });
  });

  it('one to one, 18 of A have no partner', async () => {
    const r = await diff(a, b, ['--time-tolerance', '1.3s', '--tolerance', '0.1%']);
    expect(r.code).toBe(1);
    expect(r.body.totals.missing).toBe(18);
  });

  it('a sample of B far from every sample of A is extra; a bad --align is a usage error', async () => {
    const late = capture('t-late.jsonl', [
      [A0 + 400, temp(A0 + 400)],
      [A0 + 100_000, 99],
    ]);
    const r = await diff(a, late, ['--align', 'nearest', '--time-tolerance', '1.3s', '--tolerance', '0.1%']);
    expect(r.body.totals.extra).toBe(1);
    const bad = await runCli(['capture', 'diff', a, b, '--align', 'closest']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^iiot: error: --align closest: give pairs, nearest or hold/);
  });
});
