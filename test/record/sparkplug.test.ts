/**
 * Sparkplug B recorded end to end through Debian's mosquitto: an edge node (payloads written by the
 * test-only protobuf writer, not by iiot) goes through NBIRTH, DBIRTH, NDATA, DDATA, an NDEATH sent
 * by the broker as its will, and a new session with a new bdSeq; `iiot record` (in-process, and the
 * built CLI at the same time) writes every value, quality and time as the edge node meant it.
 */
import { join } from 'node:path';
import { connectAsync, type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SampleLine, TagInfo } from '../../src/capture/types.js';
import { parseTarget, type MqttTarget } from '../../src/core/targets.js';
import type { RecordOptions } from '../../src/record/types.js';
import { record } from '../../src/record/run.js';
import { runCli } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import {
  bool,
  bytes,
  DATASET,
  DATASET_VALUE,
  engUnit,
  float,
  metric,
  METRIC,
  msg,
  payload,
  propertySet,
  quality,
  ROW,
  str,
  T,
  TEMPLATE,
  uint,
} from '../helpers/protobuf-writer.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor } from '../helpers/record-io.js';

const dir = tempDir('rec-sparkplug');
let broker: Mosquitto;

beforeAll(async () => {
  broker = await startMosquitto();
});

afterAll(async () => {
  await broker?.stop();
  removeTempDirs();
});

const G = 'Plant';
const N = 'Edge1';
const topic = (type: string, device?: string) => `spBv1.0/${G}/${type}/${N}${device ? `/${device}` : ''}`;
const T0 = Date.UTC(2026, 10, 25, 10, 0, 0);

const member = (name: string, datatype: number | undefined, value: number[]) =>
  msg(TEMPLATE.metrics, str(1, name), ...(datatype === undefined ? [] : [uint(4, datatype)]), value);

function nbirth(bdSeq: number, t: number): Buffer {
  return payload({
    timestamp: t,
    seq: 0,
    metrics: [
      metric({ name: 'bdSeq', timestamp: t, datatype: T.UInt64, value: uint(METRIC.long_value, bdSeq) }),
      metric({ name: 'Node Control/Rebirth', timestamp: t, datatype: T.Boolean, value: bool(METRIC.boolean_value, false) }),
      metric({ name: 'i8', alias: 1, timestamp: t, datatype: T.Int8, value: uint(METRIC.int_value, 128) }),
      metric({ name: 'u32', alias: 2, timestamp: t, datatype: T.UInt32, value: uint(METRIC.int_value, 2 ** 32 - 1) }),
      metric({ name: 'i64', alias: 3, timestamp: t, datatype: T.Int64, value: uint(METRIC.long_value, 2n ** 63n) }),
      metric({ name: 'u64', alias: 4, timestamp: t, datatype: T.UInt64, value: uint(METRIC.long_value, 2n ** 53n + 1n) }),
      metric({
        name: 'table',
        alias: 5,
        timestamp: t,
        datatype: T.DataSet,
        value: msg(
          METRIC.dataset_value,
          uint(DATASET.num_of_columns, 2),
          str(DATASET.columns, 'Int8s'),
          str(DATASET.columns, 'Int16s'),
          uint(DATASET.types, T.Int8),
          uint(DATASET.types, T.Int16),
          msg(DATASET.rows, msg(ROW.elements, uint(DATASET_VALUE.int_value, 255)), msg(ROW.elements, uint(DATASET_VALUE.int_value, 32768))),
        ),
      }),
      metric({
        name: '_types_/Motor',
        datatype: T.Template,
        value: msg(
          METRIC.template_value,
          member('RPM', T.Int16, uint(METRIC.int_value, 0)),
          member('Temp', T.Float, float(12, 0)),
          bool(TEMPLATE.is_definition, true),
        ),
      }),
      metric({
        name: 'Motor 1',
        alias: 6,
        timestamp: t,
        datatype: T.Template,
        value: msg(
          METRIC.template_value,
          member('RPM', T.Int16, uint(METRIC.int_value, 1500)),
          member('Temp', T.Float, float(12, 41.5)),
          str(TEMPLATE.template_ref, 'Motor'),
          bool(TEMPLATE.is_definition, false),
        ),
      }),
      metric({
        name: 'door',
        alias: 7,
        timestamp: t,
        datatype: T.Boolean,
        properties: propertySet([quality(500)]),
        value: bool(METRIC.boolean_value, true),
      }),
    ],
  });
}

const ndeath = (bdSeq: number) =>
  payload({ timestamp: T0, metrics: [metric({ name: 'bdSeq', datatype: T.UInt64, value: uint(METRIC.long_value, bdSeq) })] });

async function edgeNode(url: string, bdSeq: number): Promise<MqttClient> {
  return connectAsync(url, {
    clientId: `edge-${bdSeq}`,
    reconnectPeriod: 0,
    protocolVersion: 4,
    will: { topic: topic('NDEATH'), payload: ndeath(bdSeq), qos: 1, retain: false },
  });
}

function options(output: string, url: string, count: number): RecordOptions {
  return {
    output,
    force: false,
    flushIntervalMs: 50,
    metadata: {},
    reconnectMaxMs: 400,
    live: false,
    count,
    sources: [
      {
        protocol: 'mqtt',
        options: {
          id: 'mqtt',
          connect: { target: parseTarget(url) as MqttTarget, passwordEnv: 'IIOT_PASSWORD', timeoutMs: 5000 },
          topics: ['spBv1.0/#'],
          decoder: 'auto',
          jsonPaths: [],
          raw: false,
          qos: 1,
        },
      },
    ],
  };
}

/** samples by tag, in file order */
function byTag(samples: SampleLine[]): Map<string, SampleLine[]> {
  const m = new Map<string, SampleLine[]>();
  for (const s of samples) m.set(s.tag, [...(m.get(s.tag) ?? []), s]);
  return m;
}

describe('recording Sparkplug B through mosquitto', () => {
  it('births, data without datatypes, a death by will and a new session: exact values, qualities, times', async () => {
    // 8 + 2 samples of births, 3 + 1 of data, 8 of the second NBIRTH, 1 of its NDATA
    const COUNT = 23;
    const inProcess = join(dir, 'inprocess.jsonl');
    const cli = join(dir, 'cli.jsonl.gz');
    const started = (file: string) => async () =>
      (await readCapture(file).catch(() => undefined))?.events.some((e) => e.event === 'start') ?? false;
    const a = record(testIO().io, options(inProcess, broker.url, COUNT));
    const b = runCli(['record', broker.url, '--topic', 'spBv1.0/#', '-o', cli, '--count', String(COUNT), '--qos', '1']);
    await waitFor(started(inProcess));
    await waitFor(started(cli), 100);

    const first = await edgeNode(broker.url, 0);
    await first.publishAsync(topic('NBIRTH'), nbirth(0, T0), { qos: 1 });
    await first.publishAsync(
      topic('DBIRTH', 'd1'),
      payload({
        timestamp: T0,
        seq: 1,
        metrics: [
          metric({
            name: 'speed',
            alias: 8,
            timestamp: T0,
            datatype: T.Float,
            properties: propertySet([engUnit('m/s')]),
            value: float(METRIC.float_value, 1.5),
          }),
          metric({
            name: 'profile',
            alias: 9,
            timestamp: T0,
            datatype: T.Int16Array,
            value: bytes(METRIC.bytes_value, [0x00, 0x80, 0xff, 0x7f]),
          }),
        ],
      }),
      { qos: 1 },
    );
    // data: aliases only and no datatypes, as the specification wants them
    await first.publishAsync(
      topic('NDATA'),
      payload({
        timestamp: T0 + 1000,
        seq: 2,
        metrics: [
          metric({ alias: 1, timestamp: T0 + 1000, value: uint(METRIC.int_value, 2 ** 32 - 1) }),
          metric({ alias: 2, timestamp: T0 + 1000, value: uint(METRIC.int_value, 0) }),
          metric({
            alias: 6,
            timestamp: T0 + 1001,
            value: msg(METRIC.template_value, member('RPM', undefined, uint(METRIC.int_value, 65535)), str(TEMPLATE.template_ref, 'Motor')),
          }),
        ],
      }),
      { qos: 1 },
    );
    await first.publishAsync(
      topic('DDATA', 'd1'),
      payload({
        timestamp: T0 + 2000,
        seq: 3,
        metrics: [metric({ alias: 8, timestamp: T0 + 2000, properties: propertySet([quality(0)]), value: float(METRIC.float_value, 2.5) })],
      }),
      { qos: 1 },
    );
    // the edge node drops off: the broker publishes its will, NDEATH with bdSeq 0
    first.stream.destroy();
    // a new session: bdSeq 1, births again (a rebirth), then data
    const second = await edgeNode(broker.url, 1);
    await second.publishAsync(topic('NBIRTH'), nbirth(1, T0 + 5000), { qos: 1 });
    await second.publishAsync(
      topic('NDATA'),
      payload({ timestamp: T0 + 6000, seq: 1, metrics: [metric({ alias: 1, timestamp: T0 + 6000, value: uint(METRIC.int_value, 127) })] }),
      { qos: 1 },
    );

    const [ra, rb] = await Promise.all([a, b]);
    await second.endAsync();
    expect(rb.code, rb.stderr).toBe(0);
    expect(rb.stderr).not.toMatch(/damaged|BadDecoding|seq \d+ where/);
    expect(ra.sources[0]!.stats.sparkplugSeqErrors).toBe(0);

    for (const file of [inProcess, cli]) {
      const back = await readCapture(file);
      expect(back.issues).toEqual([]);
      const s = byTag(back.samples);
      const v = (name: string) => s.get(`${G}.${N}.${name}`)?.map((x) => x.v);
      const q = (name: string) => s.get(`${G}.${N}.${name}`)?.map((x) => x.q ?? 'good');
      const t = (name: string) => s.get(`${G}.${N}.${name}`)?.map((x) => x.t);
      expect(v('i8'), file).toEqual([-128, -1, -128, 127]);
      expect(t('i8')).toEqual([T0, T0 + 1000, T0 + 5000, T0 + 6000].map((x) => new Date(x).toISOString()));
      expect(v('u32')).toEqual([4294967295, 0, 4294967295]);
      expect(v('i64')).toEqual(['-9223372036854775808', '-9223372036854775808']);
      expect(v('u64')).toEqual(['9007199254740993', '9007199254740993']);
      expect(v('table')).toEqual([
        { columns: ['Int8s', 'Int16s'], types: ['Int8', 'Int16'], rows: [[-1, -32768]] },
        { columns: ['Int8s', 'Int16s'], types: ['Int8', 'Int16'], rows: [[-1, -32768]] },
      ]);
      expect(v('Motor 1/RPM')).toEqual([1500, -1, 1500]);
      expect(t('Motor 1/RPM')![1]).toBe(new Date(T0 + 1001).toISOString());
      expect(v('Motor 1/Temp')).toEqual([41.5, 41.5]);
      expect([v('door'), q('door')]).toEqual([
        [true, true],
        ['Stale', 'Stale'],
      ]);
      expect([v('d1.speed'), q('d1.speed')]).toEqual([
        [1.5, 2.5],
        ['good', 'Bad'],
      ]);
      expect(v('d1.profile')).toEqual([[-32768, 32767]]);
      expect([...s.keys()].some((k) => /bdSeq|Node Control|_types_/.test(k))).toBe(false);

      const tags = new Map(back.tags.map((x: TagInfo) => [x.name, x]));
      expect(tags.get(`${G}.${N}.i64`)).toMatchObject({ dataType: 'int64', sparkplug: { type: 'Int64', alias: 3 } });
      expect(tags.get(`${G}.${N}.d1.speed`)).toMatchObject({ dataType: 'float32', unit: 'm/s' });
      expect(tags.get(`${G}.${N}.Motor 1/RPM`)).toMatchObject({
        dataType: 'int16',
        address: `spBv1.0/${G}/${N}:Motor 1/RPM`,
        sparkplug: { type: 'Int16', member: { of: 'Motor 1', templateRef: 'Motor' } },
      });
      expect(tags.get(`${G}.${N}.table`)).toMatchObject({ dataType: 'json', sparkplug: { type: 'DataSet' } });

      const events = back.events.filter((e) => e.event.startsWith('sparkplug-'));
      expect(events.map((e) => [e.event, e.bdSeq ?? null, e.device ?? null])).toEqual([
        ['sparkplug-birth', 0, null],
        ['sparkplug-birth', null, 'd1'],
        ['sparkplug-death', 0, null],
        ['sparkplug-birth', 1, null],
      ]);
      expect(events[0]!.templates).toEqual({ '_types_/Motor': { parameters: {}, metrics: { RPM: 'Int16', Temp: 'Float' } } });
    }
  });
});
