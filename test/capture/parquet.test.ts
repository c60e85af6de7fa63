/**
 * `iiot capture convert --to parquet`, read back by DuckDB (another implementation of Parquet,
 * through its npm package): types as documented, every sample with its value, quality and times,
 * the header in the file metadata, and the same per-tag figures as DuckDB reading the capture
 * itself as JSON.
 */
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeEnergyCapture } from '../helpers/analysis-captures.js';
import { runCli } from '../helpers/cli.js';

let dir: string;
let db: DuckDBConnection;
const rows = async (sql: string) => (await db.runAndReadAll(sql)).getRowObjectsJson();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iiot-parquet-'));
  db = await (await DuckDBInstance.create(':memory:')).connect();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Written by hand, line by line, as docs/capture-format.md describes the format.
const header = {
  type: 'header',
  format: 'iiot-capture',
  version: 1,
  created: '2026-11-25T10:00:00.000Z',
  tool: 'hand',
  sources: [
    { id: 'plc1', protocol: 'opcua' },
    { id: 'mqtt', protocol: 'mqtt' },
  ],
  tags: [
    { name: 'a', source: 'plc1', unit: 'kW', dataType: 'double' },
    { name: 'run', source: 'plc1', dataType: 'bool' },
    { name: 'state', source: 'plc1', dataType: 'string' },
  ],
  metadata: { site: 'Plant 7', timezone: 'Europe/Madrid' },
};
const lines = [
  header,
  { t: '2026-11-25T10:00:00.000Z', tag: 'a', v: 12.5 },
  { t: '2026-11-25T10:00:01.000Z', tag: 'a', v: 12.75, q: 'UncertainLastUsableValue' },
  { t: '2026-11-25T10:00:01.000150Z', tag: 'a', v: -0.1, st: '2026-11-25T10:00:00.999Z', svt: '2026-11-25T10:00:01.000100Z' },
  { t: '2026-11-25T10:00:01.0000001Z', tag: 'a', v: 3 },
  { t: '2026-11-25T10:00:02.000Z', tag: 'a', v: null, q: 'NaN' },
  { t: '2026-11-25T10:00:02.000Z', tag: 'run', v: true },
  { t: '2026-11-25T10:00:03.000Z', tag: 'run', v: false },
  { t: '2026-11-25T10:00:03.000Z', tag: 'state', v: 'Running' },
  { t: '2026-11-25T10:00:04.500Z', event: 'gap', source: 'plc1', from: '2026-11-25T10:00:04.000Z', to: '2026-11-25T10:00:10.000Z' },
  { t: '2026-11-25T10:00:10.000Z', raw: 'mqtt', topic: 'plant/a', payload: '{"A":1}', enc: 'utf8' },
  { t: '2026-11-25T10:00:11.000Z', event: 'config', source: 'mqtt', tags: [{ name: 'wave', source: 'mqtt', unit: 'g' }] },
  { t: '2026-11-25T10:00:12.000Z', tag: 'wave', v: [0.1, -0.2, 0.3], 'x-rate': 1000 },
];

describe('capture convert --to parquet', () => {
  it('writes typed columns that DuckDB reads back exactly, with the header in the file metadata', async () => {
    const cap = join(dir, 'hand.jsonl');
    const out = join(dir, 'hand.parquet');
    writeFileSync(cap, `${lines.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const r = await runCli(['capture', 'convert', cap, '-o', out, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const res = JSON.parse(r.stdout);
    expect(res).toMatchObject({
      from: 'jsonl',
      to: 'parquet',
      samples: 9,
      rowGroups: 1,
      subMicrosecond: 1,
      leftOut: { events: 2, raw: 1 },
    });

    const types = Object.fromEntries((await rows(`DESCRIBE SELECT * FROM '${out}'`)).map((c) => [c.column_name, c.column_type]));
    expect(types).toEqual({
      time: 'TIMESTAMP WITH TIME ZONE',
      tag: 'VARCHAR',
      value: 'DOUBLE',
      value_text: 'VARCHAR',
      quality: 'VARCHAR',
      source: 'VARCHAR',
      source_time: 'TIMESTAMP WITH TIME ZONE',
      server_time: 'TIMESTAMP WITH TIME ZONE',
      extra: 'VARCHAR',
    });
    // the Parquet logical types as Spark and Trino see them: microsecond timestamps adjusted to UTC, UTF-8 strings
    const schema = await rows(
      `SELECT name, type, logical_type, repetition_type FROM parquet_schema('${out}') WHERE name IN ('time', 'tag', 'server_time')`,
    );
    expect(schema.find((s) => s.name === 'time')).toMatchObject({ type: 'INT64', repetition_type: 'REQUIRED' });
    expect(String(schema.find((s) => s.name === 'time')!.logical_type)).toMatch(
      /TimestampType\(isAdjustedToUTC=1, unit=TimeUnit\(MILLIS=<null>, MICROS=MicroSeconds\(\), NANOS=<null>\)/,
    );
    expect(String(schema.find((s) => s.name === 'tag')!.logical_type)).toMatch(/StringType/);

    const got = await rows(
      `SELECT epoch_us(time)::VARCHAR AS us, tag, value, value_text, quality, source, epoch_us(source_time)::VARCHAR AS st, epoch_us(server_time)::VARCHAR AS svt, extra FROM '${out}'`,
    );
    const us = (iso: string) => String(Date.parse(iso) * 1000);
    expect(got).toEqual([
      {
        us: us('2026-11-25T10:00:00Z'),
        tag: 'a',
        value: 12.5,
        value_text: null,
        quality: null,
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: us('2026-11-25T10:00:01Z'),
        tag: 'a',
        value: 12.75,
        value_text: null,
        quality: 'UncertainLastUsableValue',
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: String(Date.parse('2026-11-25T10:00:01Z') * 1000 + 150),
        tag: 'a',
        value: -0.1,
        value_text: null,
        quality: null,
        source: 'plc1',
        st: us('2026-11-25T10:00:00.999Z'),
        svt: String(Date.parse('2026-11-25T10:00:01Z') * 1000 + 100),
        extra: null,
      },
      // 100 ns past the second: rounded to the microsecond, and counted
      {
        us: us('2026-11-25T10:00:01Z'),
        tag: 'a',
        value: 3,
        value_text: null,
        quality: null,
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: us('2026-11-25T10:00:02Z'),
        tag: 'a',
        value: null,
        value_text: null,
        quality: 'NaN',
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: us('2026-11-25T10:00:02Z'),
        tag: 'run',
        value: 1,
        value_text: null,
        quality: null,
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: us('2026-11-25T10:00:03Z'),
        tag: 'run',
        value: 0,
        value_text: null,
        quality: null,
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      {
        us: us('2026-11-25T10:00:03Z'),
        tag: 'state',
        value: null,
        value_text: 'Running',
        quality: null,
        source: 'plc1',
        st: null,
        svt: null,
        extra: null,
      },
      // a tag first declared by a config event, with its source; an array value as JSON text; an unknown field kept
      {
        us: us('2026-11-25T10:00:12Z'),
        tag: 'wave',
        value: null,
        value_text: '[0.1,-0.2,0.3]',
        quality: null,
        source: 'mqtt',
        st: null,
        svt: null,
        extra: '{"x-rate":1000}',
      },
    ]);
    const kv = Object.fromEntries(
      (await rows(`SELECT decode(key) AS k, decode(value) AS v FROM parquet_kv_metadata('${out}')`)).map((x) => [x.k, x.v]),
    );
    expect(kv['iiot.parquet']).toBe('iiot-capture-parquet/1');
    expect(kv['iiot.timezone']).toBe('Europe/Madrid');
    expect(JSON.parse(String(kv['iiot.header']))).toMatchObject({ format: 'iiot-capture', metadata: header.metadata, tags: header.tags });
  });

  it('agrees with DuckDB reading the capture itself, tag by tag; --tags narrows it; a bad --to is refused', async () => {
    const cap = join(dir, 'plant.jsonl');
    writeEnergyCapture(cap);
    const out = join(dir, 'plant.parquet');
    expect((await runCli(['capture', 'convert', cap, '-o', out, '-q'])).code).toBe(0);
    const fromJson = await rows(
      `SELECT tag, count(*)::INT AS n, round(sum(TRY_CAST(v AS DOUBLE)), 6) AS s, min(t::TIMESTAMPTZ)::VARCHAR AS a, max(t::TIMESTAMPTZ)::VARCHAR AS b
       FROM read_json('${cap}', format = 'newline_delimited', columns = {t: 'VARCHAR', tag: 'VARCHAR', v: 'JSON'}) WHERE tag IS NOT NULL GROUP BY tag ORDER BY tag`,
    );
    const fromParquet = await rows(
      `SELECT tag, count(*)::INT AS n, round(sum(coalesce(value, TRY_CAST(value_text AS DOUBLE))), 6) AS s, min(time)::VARCHAR AS a, max(time)::VARCHAR AS b FROM '${out}' GROUP BY tag ORDER BY tag`,
    );
    // DuckDB reads JSON booleans as 1/0 through TRY_CAST too; the one "n/a" power reading is null in both
    expect(fromParquet).toEqual(fromJson);
    expect(fromParquet).toHaveLength(6);

    const some = join(dir, 'some');
    expect((await runCli(['capture', 'convert', cap, '--to', 'parquet', '-o', some, '--tags', 'plant.*', '-q'])).code).toBe(0);
    expect((await rows(`SELECT DISTINCT tag FROM read_parquet('${some}') ORDER BY tag`)).map((x) => x.tag)).toEqual([
      'plant.energy',
      'plant.power',
      'plant.producing',
      'plant.reactiveEnergy',
    ]);
    const bad = await runCli(['capture', 'convert', cap, '--to', 'orc', '-o', join(dir, 'x.orc')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--to: "orc" is not jsonl, csv or parquet/);
    const back = await runCli(['capture', 'convert', out, '-o', join(dir, 'back.jsonl')]);
    expect(back.code).toBe(2);
    expect(back.stderr).toMatch(/iiot reads captures and CSV, not Parquet/);
    expect(readFileSync(out).subarray(0, 4).toString()).toBe('PAR1');
  });
});
