import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { convertCapture } from '../../src/capture/convert.js';
import { diffCaptures, parseTagTolerance, parseTolerance } from '../../src/capture/diff.js';
import { captureInfo } from '../../src/capture/info.js';
import { IntervalStats } from '../../src/capture/interval-stats.js';
import { sliceCapture } from '../../src/capture/slice.js';
import { tagMatcher } from '../../src/capture/tag-match.js';
import { createCaptureWriter } from '../../src/capture/writer.js';
import { ROOT } from '../helpers/cli.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('tools');
const BASIC = `${ROOT}fixtures/captures/golden/basic.jsonl`;
const MESSY = `${ROOT}fixtures/captures/golden/messy.jsonl`;
const T0 = Date.UTC(2026, 10, 25, 10);

describe('slice', () => {
  it('keeps the records of the range and tags, and says what was cut in the header', async () => {
    const out = file('slice.jsonl');
    const r = await sliceCapture([BASIC], {
      output: out,
      from: Date.parse('2026-11-25T10:00:02Z'),
      to: Date.parse('2026-11-25T10:00:10Z'),
      tags: ['line3.*'],
    });
    expect(r.written).toEqual({ samples: 3, events: 1, raw: 0 });
    const back = await readAll(out, { strict: true });
    expect(back.header.tags.map((t) => t.name)).toEqual(['line3.motor.current']);
    expect(back.header.sources).toHaveLength(2);
    expect(back.header.created).toBe('2026-11-25T10:00:00.000Z');
    expect(back.header.metadata).toEqual({
      site: 'Plant 7',
      asset: 'Line 3',
      slice: { of: ['basic.jsonl'], from: '2026-11-25T10:00:02.000Z', to: '2026-11-25T10:00:10.000Z', tags: ['line3.*'] },
    });
    expect(back.records.map((x) => [x.t, x.tag ?? x.event, x.v])).toEqual([
      ['2026-11-25T10:00:02.000Z', 'line3.motor.current', 13],
      ['2026-11-25T10:00:03.000Z', 'line3.motor.current', 12.25],
      ['2026-11-25T10:00:04.000Z', 'line3.motor.current', 12],
      ['2026-11-25T10:00:04.500Z', 'gap', undefined],
    ]);
    // the quality of the sample is copied with it
    expect(back.records[2]!.q).toBe('UncertainLastUsableValue');
  });

  it('keeps unknown fields, narrows config events, drops raw lines when tags are chosen (unless --keep-raw)', async () => {
    const a = file('messy-slice.jsonl');
    const r = await sliceCapture([MESSY], { output: a, excludeTags: ['pump.state'] });
    expect(r.written).toEqual({ samples: 7, events: 1, raw: 0 });
    const back = await readAll(a);
    expect(back.records[0]).toEqual({ t: '2026-11-25T10:00:00.000Z', tag: 'pump.temp', v: 40.125, 'x-extra': 'unknown fields are kept' });
    expect(back.header['x-vendor']).toBeUndefined(); // a new header: the writer's, with the old metadata
    const b = file('messy-raw.jsonl');
    expect((await sliceCapture([MESSY], { output: b, tags: ['pump.temp'], keepRaw: true })).written).toEqual({
      samples: 5,
      events: 0,
      raw: 1,
    });
  });
});

describe('convert', () => {
  it('capture -> long CSV -> capture gives the same samples, unknown fields and all', async () => {
    const csv = file('messy.csv');
    const back = file('messy-back.jsonl');
    const r1 = await convertCapture([MESSY], { output: csv });
    expect(r1).toMatchObject({ from: 'jsonl', to: 'csv', layout: 'long', samples: 9, leftOut: { events: 1, raw: 1 }, issues: 4 });
    await convertCapture([csv], { output: back });
    const original = (await readAll(MESSY)).records.filter((x) => x.tag !== undefined && x.tag !== 'pump.flow');
    const again = (await readAll(back, { strict: true })).records.filter((x) => x.tag !== 'pump.flow');
    expect(again).toEqual(original);
    // CSV has no types: the array comes back as its JSON text
    expect((await readAll(back)).records.find((x) => x.tag === 'pump.flow')!.v).toBe('[1,2,3]');
  });

  it('capture -> wide CSV -> capture is equal by diff; times in a zone and as epoch', async () => {
    const csv = file('basic-wide.csv');
    await convertCapture([BASIC], { output: csv, layout: 'wide', tz: 'Europe/Madrid' });
    expect(readFileSync(csv, 'utf8').split('\n')[1]).toBe('2026-11-25T11:00:00.000+01:00,12.5,1000');
    const back = file('basic-wide.jsonl');
    await convertCapture([csv], { output: back });
    const d = await diffCaptures([BASIC], [back], { ignoreQuality: true });
    expect(d.equal).toBe(true);
    expect(d.totals.matched).toBe(13);
    const epoch = file('basic-epoch.csv');
    await convertCapture([BASIC], { output: epoch, timeFormat: 'epoch-ms' });
    expect(readFileSync(epoch, 'utf8').split('\n')[1]).toBe(`${T0},line3.motor.current,12.5,,,`);
  });

  it('capture -> capture.gz keeps every record; Parquet is written, never read', async () => {
    const gz = file('basic.jsonl.gz');
    await convertCapture([BASIC], { output: gz });
    expect((await readAll(gz)).records).toEqual((await readAll(BASIC)).records);
    const pq = file('x.parquet');
    const r = await convertCapture([BASIC], { output: pq });
    expect(r).toMatchObject({ to: 'parquet', samples: 13, leftOut: { events: 3, raw: 0 } });
    const err = await convertCapture([pq], { output: file('back.jsonl') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).hint).toMatch(/^read Parquet with DuckDB, Spark or pandas/);
    await expect(convertCapture([BASIC], { output: BASIC })).rejects.toThrow('is also an input');
  });
});

describe('diff', () => {
  async function pair(a: Array<[number, unknown, string?]>, b: Array<[number, unknown, string?]>): Promise<[string, string]> {
    const paths: string[] = [];
    for (const [i, rows] of [a, b].entries()) {
      const p = file(`pair-${Math.random()}-${i}.jsonl`);
      const w = await createCaptureWriter(p, { sources: [], tags: [] });
      for (const [ms, v, q] of rows) w.sample('x', T0 + ms, v as number, q ? { q } : undefined);
      await w.close();
      paths.push(p);
    }
    return paths as [string, string];
  }

  it('reads tolerances as users write them', () => {
    expect(parseTolerance('0.1%')).toEqual({ rel: 0.001 });
    expect(parseTolerance('0.5')).toEqual({ abs: 0.5 });
    expect(parseTolerance('0.5+2%')).toEqual({ abs: 0.5, rel: 0.02 });
    expect(parseTagTolerance('line3.*=1%')).toEqual({ pattern: 'line3.*', tolerance: { rel: 0.01 } });
    expect(() => parseTolerance('a lot')).toThrow('--tolerance: cannot read "a lot" as a tolerance');
    expect(() => parseTagTolerance('0.5')).toThrow(IiotError);
  });

  it('absolute, relative (to A) and per-tag tolerances decide what is out of tolerance', async () => {
    const [a, b] = await pair(
      [
        [0, 100],
        [1000, 0],
        [2000, -50],
      ],
      [
        [0, 100.2],
        [1000, 0.0001],
        [2000, -50.2],
      ],
    );
    expect((await diffCaptures([a], [b])).totals.outOfTolerance).toBe(3);
    // 0 vs 0.0001: no relative room; -50.2 is 0.4 % off -50
    expect((await diffCaptures([a], [b], { tolerance: { rel: 0.002 } })).totals.outOfTolerance).toBe(2);
    expect((await diffCaptures([a], [b], { tolerance: { abs: 0.2 } })).equal).toBe(true);
    expect((await diffCaptures([a], [b], { tolerance: { abs: 0.001, rel: 0.004 } })).equal).toBe(true);
    expect((await diffCaptures([a], [b], { tagTolerances: [{ pattern: 'x', tolerance: { abs: 1 } }] })).equal).toBe(true);
  });

  it('matches samples within the time tolerance; outside it they are missing and extra', async () => {
    const [a, b] = await pair(
      [
        [0, 1],
        [1000, 2],
      ],
      [
        [30, 1],
        [1100, 2],
      ],
    );
    const tight = await diffCaptures([a], [b], { timeToleranceMs: 50 });
    expect(tight.tags[0]).toMatchObject({ matched: 1, missing: 1, extra: 1, maxTimeDiffMs: 30 });
    expect((await diffCaptures([a], [b], { timeToleranceMs: 100 })).equal).toBe(true);
  });

  it('out-of-order samples are compared in time order; qualities count unless ignored', async () => {
    const [a, b] = await pair(
      [
        [2000, 3],
        [0, 1],
        [1000, 2, 'Bad'],
      ],
      [
        [0, 1],
        [1000, 2],
        [2000, 3],
      ],
    );
    const d = await diffCaptures([a], [b]);
    expect(d.tags[0]).toMatchObject({ matched: 3, qualityDiffers: 1, equal: false });
    expect((await diffCaptures([a], [b], { ignoreQuality: true })).equal).toBe(true);
  });
});

describe('info details', () => {
  it('finds gaps by an absolute threshold too, and the largest ones', async () => {
    const info = await captureInfo([BASIC], { gapMs: 1500 });
    const motor = info.tags.find((t) => t.name === 'line3.motor.current')!;
    const meter = info.tags.find((t) => t.name === 'meter.kwh')!;
    expect(motor.gaps).toEqual({
      thresholdMs: 1500,
      count: 1,
      totalMs: 6000,
      largest: [{ from: '2026-11-25T10:00:04.000Z', to: '2026-11-25T10:00:10.000Z', ms: 6000 }],
    });
    expect(meter.gaps.count).toBe(5);
    expect(meter.gaps.largest).toHaveLength(3);
  });

  it('keeps an exact median while intervals repeat, and a close one when they do not', () => {
    const exact = new IntervalStats();
    for (let i = 0; i < 10_000; i++) exact.add(i % 3 === 0 ? 2000 : 1000, i);
    expect(exact.isExact).toBe(true);
    expect(exact.median()).toBe(1000);
    const spread = new IntervalStats();
    for (let i = 1; i <= 20_001; i++) spread.add(i * 0.37, i);
    expect(spread.isExact).toBe(false);
    expect(Math.abs(spread.median()! - 10_001 * 0.37) / (10_001 * 0.37)).toBeLessThan(0.01);
  });

  it('tag patterns: exact names, * and ?', () => {
    const m = tagMatcher(['line3.*', 'meter.k?h', 'exact']);
    expect(['line3.motor', 'meter.kwh', 'exact', 'exactly', 'line4.x', 'meter.kvarh'].filter(m)).toEqual([
      'line3.motor',
      'meter.kwh',
      'exact',
    ]);
    expect(tagMatcher([])('anything')).toBe(true);
  });
});
