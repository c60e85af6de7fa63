import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('cli');
const BASIC = 'fixtures/captures/golden/basic.jsonl';
const MESSY = 'fixtures/captures/golden/messy.jsonl';
const STEEL = 'fixtures/csv/steel-2018-01-01-to-03.csv';

function json(stdout: string): Record<string, unknown> {
  return JSON.parse(stdout) as Record<string, unknown>;
}

/** Errors are one line and a hint, never a stack trace. */
function expectCleanError(stderr: string, first: RegExp): void {
  const lines = stderr.trimEnd().split('\n');
  expect(lines[0]).toMatch(first);
  expect(lines.length).toBeLessThanOrEqual(2);
  if (lines[1] !== undefined) expect(lines[1]).toMatch(/^ {2}hint: /);
  expect(stderr).not.toMatch(/\n\s+at /);
}

describe('iiot capture (CLI)', () => {
  it('help lists every subcommand with examples', async () => {
    const r = await runCli(['capture', '--help']);
    expect(r.code).toBe(0);
    for (const sub of ['info', 'validate', 'convert', 'slice', 'diff', 'import']) expect(r.stdout).toMatch(new RegExp(`^  ${sub} `, 'm'));
    const info = await runCli(['capture', 'diff', '--help']);
    expect(info.stdout).toContain('$ iiot capture diff expected.jsonl out.jsonl --tolerance 0.1% --time-tolerance 50ms');
  });

  it('info: a table for people, the documented shape with --json', async () => {
    const text = await runCli(['capture', 'info', BASIC]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^tag +unit +samples +min +max +mean +interval +gaps +not good$/m);
    expect(text.stdout).toMatch(/^line3\.motor\.current +A +7 +12 +15 +13\.14 +1\.00 s +1 \(6\.00 s\) +1$/m);
    expect(text.stdout).toContain('line3.motor.current: 2026-11-25T10:00:04.000Z .. 2026-11-25T10:00:10.000Z (6.00 s)');
    const r = await runCli(['capture', 'info', BASIC, '--json']);
    const body = json(r.stdout);
    expect(body.schema).toBe('iiot.capture.info/1');
    expect(body.records).toEqual({ samples: 13, events: 3, raw: 0 });
    expect(r.stderr).toBe('');
  });

  it('info on a damaged capture says the damage first and exits 2; --lenient exits 0; --strict stops at the first', async () => {
    const r = await runCli(['capture', 'info', MESSY]);
    expect(r.code).toBe(2);
    // the damage is the first thing said (stderr), before the summary
    expect(r.stderr.split('\n').slice(0, 3)).toEqual([
      `iiot: error: ${MESSY} is damaged: 4 bad lines, the end is cut (a crash or a copy cut short)`,
      `  ${MESSY}:5: not valid JSON: Unexpected token 'h'`,
      `  ${MESSY}:6: sample of "pump.temp" has no "v" (value; write null for no value)`,
    ]);
    expect(r.stderr).toMatch(/hint: .*--lenient accepts a damaged capture/);
    expect(r.stdout).toContain('4 issues (the last line is torn):');
    const lenient = await runCli(['capture', 'info', MESSY, '--lenient', '--json']);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr).toMatch(new RegExp(`^iiot: warning: ${MESSY} is damaged: 4 bad lines`));
    expect(json(lenient.stdout)).toMatchObject({ issues: { count: 4, torn: true } });
    const strict = await runCli(['capture', 'info', MESSY, '--strict']);
    expect(strict.code).toBe(2);
    expectCleanError(strict.stderr, new RegExp(`^iiot: error: ${MESSY}:5: not valid JSON`));
  });

  it('validate: exit 0 when valid, 2 with file:line errors', async () => {
    const ok = await runCli(['capture', 'validate', BASIC]);
    expect(ok.code).toBe(0);
    expect(ok.stdout.trim()).toBe(`${BASIC}: valid: 17 lines, 16 records, 0 errors, 0 warnings`);
    const bad = await runCli(['capture', 'validate', MESSY]);
    expect(bad.code).toBe(2);
    expect(bad.stdout.split('\n').slice(0, 5)).toEqual([
      `${MESSY}:5: error: not valid JSON: Unexpected token 'h'`,
      `${MESSY}:6: error: sample of "pump.temp" has no "v" (value; write null for no value)`,
      `${MESSY}:8: error: "t" is not an ISO 8601 time with a zone: "2026-11-25 10:00:03"`,
      `${MESSY}:15: warning: tag "pump.vibration" is not declared in the header or a config event (first sample of it; later ones not listed)`,
      `${MESSY}:17: error: the last line is cut short (no newline at the end: the writer was stopped mid-line)`,
    ]);
    // --lenient accepts the damage knowingly: listed as warnings, exit 0
    const lenient = await runCli(['capture', 'validate', MESSY, '--lenient', '--json']);
    expect(lenient.code).toBe(0);
    expect(json(lenient.stdout)).toMatchObject({ valid: true, errors: 0, warnings: 5 });
    const both = await runCli(['capture', 'validate', MESSY, '--lenient', '--strict']);
    expect(both.code).toBe(2);
    expectCleanError(both.stderr, /^iiot: error: --strict and --lenient contradict each other/);
    const j = await runCli(['capture', 'validate', MESSY, '--json', '--strict']);
    expect(j.code).toBe(2);
    expect(json(j.stdout)).toMatchObject({ schema: 'iiot.capture.validate/1', valid: false, errors: 5, warnings: 0 });
  });

  it('a missing file or a bad option is one line and a hint, exit 2', async () => {
    const missing = await runCli(['capture', 'info', 'no-such.jsonl']);
    expect(missing.code).toBe(2);
    expectCleanError(missing.stderr, /^iiot: error: cannot read no-such\.jsonl: no such file or directory \(ENOENT\)$/);
    const tol = await runCli(['capture', 'diff', BASIC, BASIC, '--tolerance', 'lots']);
    expect(tol.code).toBe(2);
    expectCleanError(tol.stderr, /^iiot: error: --tolerance: cannot read "lots" as a tolerance$/);
    const notCapture = await runCli(['capture', 'info', STEEL]);
    expect(notCapture.code).toBe(2);
    expectCleanError(notCapture.stderr, new RegExp(`^iiot: error: ${STEEL}:1: the first line is not JSON`));
  });

  it('diff: exit 0 when equal, 1 when they differ, with the shape documented', async () => {
    const same = await runCli(['capture', 'diff', BASIC, BASIC]);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^equal: 2 tags, 13 samples matched/);
    const a = 'fixtures/captures/golden/diff-a.jsonl';
    const b = 'fixtures/captures/golden/diff-b.jsonl';
    const differ = await runCli(['capture', 'diff', a, b, '--tolerance', '0.1%', '--time-tolerance', '50ms', '--json']);
    expect(differ.code).toBe(1);
    const body = json(differ.stdout);
    expect(body.schema).toBe('iiot.capture.diff/1');
    expect(body.totals).toEqual({ tags: 3, differingTags: 3, matched: 12, outOfTolerance: 1, qualityDiffers: 1, missing: 1, extra: 2 });
    const loose = await runCli([
      'capture',
      'diff',
      a,
      b,
      '--tolerance',
      '0.1%',
      '--time-tolerance',
      '50ms',
      '--tag-tolerance',
      'temp=2%',
      '--tags',
      'temp,state',
      '--ignore-quality',
    ]);
    expect(loose.code).toBe(1);
    expect(loose.stdout).toMatch(/^different: 1 of 2 tags differ/);
  });

  it('import the steel slice, convert it to wide CSV, slice it: the numbers survive every step', async () => {
    const cap = file('steel.jsonl.gz');
    const imp = await runCli([
      'capture',
      'import',
      STEEL,
      '-o',
      cap,
      '--midnight-ends-day',
      '--unit',
      'Usage_kWh=kWh',
      '--tz',
      'Asia/Seoul',
      '--json',
    ]);
    expect(imp.code).toBe(0);
    expect(json(imp.stdout)).toMatchObject({
      schema: 'iiot.capture.import/1',
      rows: 200,
      samples: 2000,
      timeFormat: 'D/M/YYYY H:mm',
      tz: 'Asia/Seoul',
      midnightEndsDay: true,
    });
    expect(imp.stderr).toMatch(/^warning: no day above 12 in column "date"/);
    const trap = await runCli(['capture', 'import', STEEL, '-o', file('trap.jsonl')]);
    expect(trap.code).toBe(2);
    expectCleanError(trap.stderr, /always at 00:00: this export labels midnight with the date of the day that ends$/);

    const csv = file('steel-wide.csv');
    const conv = await runCli([
      'capture',
      'convert',
      cap,
      '-o',
      csv,
      '--layout',
      'wide',
      '--tags',
      'Usage_kWh,CO2*',
      '--tz-out',
      'Asia/Seoul',
    ]);
    expect(conv.code).toBe(0);
    expect(conv.stdout.trim()).toBe(`wrote ${csv}: 400 samples, 200 rows`);
    const lines = readFileSync(csv, 'utf8').trimEnd().split('\n');
    expect(lines[0]).toBe('time,Usage_kWh,CO2(tCO2)');
    expect(lines[1]).toBe('2018-01-01T00:15:00.000+09:00,3.17,0');
    expect(lines[96]).toBe('2018-01-02T00:00:00.000+09:00,3.42,0');

    const day = file('jan2.jsonl');
    const sl = await runCli([
      'capture',
      'slice',
      cap,
      '-o',
      day,
      '--from',
      '2018-01-02 00:00',
      '--to',
      '2018-01-03 00:00',
      '--tz',
      'Asia/Seoul',
      '--tags',
      'Usage_kWh',
      '--json',
    ]);
    expect(sl.code).toBe(0);
    expect(json(sl.stdout)).toMatchObject({ schema: 'iiot.capture.slice/1', written: { samples: 96, events: 0, raw: 0 } });
    const back = await readAll(day, { strict: true });
    expect(back.records[0]).toEqual({ t: '2018-01-01T15:00:00.000Z', tag: 'Usage_kWh', v: 3.42 });
  });

  it('convert names an output format it cannot tell, and reads no Parquet', async () => {
    const unknown = await runCli(['capture', 'convert', BASIC, '-o', file('x.orc')]);
    expect(unknown.code).toBe(2);
    expectCleanError(unknown.stderr, /^iiot: error: cannot tell the output format of .*x\.orc$/);
    const pq = file('x.parquet');
    expect((await runCli(['capture', 'convert', BASIC, '-o', pq, '-q'])).code).toBe(0);
    const back = await runCli(['capture', 'convert', pq, '-o', file('y.jsonl')]);
    expect(back.code).toBe(2);
    expectCleanError(back.stderr, /^iiot: error: .*x\.parquet: iiot reads captures and CSV, not Parquet$/);
  });
});
