/**
 * The Sparkplug host as the recorder uses it: messages in, samples (value, quality, time) and tags
 * out. Payloads from Eclipse Tahu's Python edge node (fixtures/sparkplug/tahu-python.json: bytes
 * another implementation wrote) and from the test-only protobuf writer.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SparkplugHost, type SparkplugOutput } from '../../../src/protocols/mqtt/sparkplug-host.js';
import {
  bool,
  bytes,
  DATASET,
  DATASET_VALUE,
  double,
  engUnit,
  float,
  metric,
  METRIC,
  msg,
  PARAMETER,
  payload,
  propertySet,
  PROPERTY_VALUE,
  quality,
  ROW,
  str,
  T,
  TEMPLATE,
  uint,
} from '../../helpers/protobuf-writer.js';

interface Fixture {
  messages: Array<{ topic: string; hex: string; from: string }>;
}
const tahu = JSON.parse(readFileSync(new URL('../../../fixtures/sparkplug/tahu-python.json', import.meta.url), 'utf8')) as Fixture;

/** Every message through one host; the samples by tag (last value wins), all outputs kept. */
function run(host: SparkplugHost, messages: Array<{ topic: string; bytes: Buffer }>, arrival = 1) {
  const outs: SparkplugOutput[] = messages.map((m) => host.handle(m.topic, m.bytes, arrival));
  const samples = outs.flatMap((o) => o.samples);
  const last = new Map(samples.map((s) => [s.tag.name, s]));
  return { outs, samples, last, warnings: outs.flatMap((o) => o.warnings), events: outs.flatMap((o) => o.events) };
}

const fromFixture = (i: number) => ({ topic: tahu.messages[i]!.topic, bytes: Buffer.from(tahu.messages[i]!.hex, 'hex') });

describe("Eclipse Tahu's Python edge node (recorded payloads)", () => {
  const D = 'Sparkplug B Devices.Python Edge Node 1.Emulated Device.';
  const N = 'Sparkplug B Devices.Python Edge Node 1.';

  it('example_datatype.py: every integer type at its edges, exact', () => {
    const r = run(new SparkplugHost(), [0, 1, 2].map(fromFixture));
    expect(r.outs.every((o) => o.error === undefined)).toBe(true);
    const v = (n: string) => r.last.get(D + n)?.value;
    expect([v('Int8_Min'), v('Int8_Max'), v('Int16_Min'), v('Int16_Max'), v('Int32_Min'), v('Int32_Max')]).toEqual([
      -128, 127, -32768, 32767, -2147483648, 2147483647,
    ]);
    expect([v('Int64_Min'), v('Int64_Max')]).toEqual(['-9223372036854775808', '9223372036854775807']);
    expect([
      v('UInt8_Min'),
      v('UInt8_Max'),
      v('UInt16_Min'),
      v('UInt16_Max'),
      v('UInt32_Min'),
      v('UInt32_Max'),
      v('UInt64_Min'),
      v('UInt64_Max'),
    ]).toEqual([0, 255, 0, 64535, 0, 4294967295, 0, '18446744073709551615']);
    expect(r.samples.every((s) => s.q === undefined)).toBe(true);
    expect(r.last.get(D + 'Int8_Min')!.tag).toMatchObject({ dataType: 'int8', sparkplugType: 'Int8' });
    expect(r.events.map((e) => e.kind)).toEqual(['sparkplug-birth', 'sparkplug-birth', 'sparkplug-death']);
  });

  it('example.py: the NBIRTH DataSet, the template definition and instance, the null metric, Quality 500 (stale)', () => {
    const r = run(new SparkplugHost(), [3, 4, 5, 6, 7].map(fromFixture));
    expect(r.outs.every((o) => o.error === undefined)).toBe(true);
    expect(r.warnings).toEqual([]);
    expect(r.last.get(N + 'DataSet')!.value).toEqual({
      columns: ['Int8s', 'Int16s', 'Int32s'],
      types: ['Int8', 'Int16', 'Int32'],
      rows: [
        [0, 1, 2],
        [3, 4, 5],
      ],
    });
    expect(r.last.get(N + 'Node Metric2')!.tag.unit).toBe('MyCustomUnits');
    expect(r.last.get(N + 'Node Metric3')).toMatchObject({ value: null });
    expect(r.last.get(N + 'Node Metric3')!.q).toBeUndefined();
    // the definition is not a signal: the birth event lists it
    expect([...r.last.keys()].some((k) => k.includes('_types_'))).toBe(false);
    expect(r.events[0]!.fields.templates).toEqual({
      '_types_/Custom_Motor': { parameters: { Index: { type: 'String', value: '0' } }, metrics: { RPMs: 'Int32', AMPs: 'Int32' } },
    });
    // the instance: one tag per member, with the template and its parameters
    expect(r.last.get(D + 'My_Custom_Motor/RPMs')).toMatchObject({ value: 123 });
    expect(r.last.get(D + 'My_Custom_Motor/AMPs')).toMatchObject({ value: 456 });
    expect(r.last.get(D + 'My_Custom_Motor/RPMs')!.tag).toMatchObject({
      dataType: 'int32',
      info: { member: { of: 'My_Custom_Motor', templateRef: 'Custom_Motor', parameters: { Index: '1' } } },
    });
    // DDATA: Device Metric1 carries Quality 500
    const stale = r.samples.filter((s) => s.tag.name === D + 'input/Device Metric1');
    expect(stale.map((s) => s.q)).toEqual([undefined, 'Stale', 'Stale']);
    expect(r.samples.filter((s) => s.tag.name === D + 'input/Device Metric0').map((s) => typeof s.value)).toEqual([
      'string',
      'string',
      'string',
    ]);
  });

  it("Tahu's addMetric for the other types: floats, times, bytes and arrays (BooleanArray and StringArray as the specification reads them)", () => {
    const r = run(new SparkplugHost(), [8, 9].map(fromFixture));
    const v = (n: string) => r.last.get(`Sparkplug B Devices.Python Edge Node 3.Types Device.${n}`)?.value;
    expect(v('Float')).toBe(Math.fround(1.1));
    expect(v('Double')).toBe(1.1);
    expect(v('DateTime')).toBe('2023-11-14T22:13:20.123Z');
    expect(v('Text')).toBe('Grüße');
    expect(v('Bytes')).toBe('AP8B');
    expect(v('Int8Array')).toEqual([-128, 0, 127]);
    expect(v('Int64Array')).toEqual(['-9223372036854775808', '9223372036854775807']);
    expect(v('UInt64Array')).toEqual([0, '18446744073709551615']);
    expect(v('FloatArray')).toEqual([Math.fround(1.23), Math.fround(89.341)]);
    expect(v('DoubleArray')).toEqual([12.354213, 1022.9123213]);
    expect(v('DateTimeArray')).toEqual(['2009-10-21T05:27:55.335Z', '2022-06-24T21:57:55.000Z']);
    // Tahu's Python packs booleans least significant bit first and hex-encodes strings, against the
    // specification and Tahu's Java: read by the specification, its [F,F,T,T,F,T,F,F,T,T,F,T] and
    // ["ABC", "hello"] come out as below (docs/recording.md says so).
    expect(v('BooleanArray')).toEqual([false, false, true, false, true, true, false, false, false, false, false, false]);
    expect(v('StringArray')).toEqual(['414243', '68656c6c6f']);
  });
});

describe('quality, datatypes from the birth, bad values', () => {
  const birth = payload({
    timestamp: 1000,
    seq: 0,
    metrics: [
      metric({ name: 'bdSeq', datatype: T.UInt64, value: uint(METRIC.long_value, 3) }),
      metric({
        name: 'good',
        alias: 1,
        timestamp: 900,
        datatype: T.Int8,
        properties: propertySet([
          engUnit('°C'),
          quality(192),
          ['engLow', [uint(1, T.Double), double(PROPERTY_VALUE.double_value, -40)]],
          ['engHigh', [uint(1, T.Double), double(PROPERTY_VALUE.double_value, 125)]],
          ['writable', [uint(1, T.Boolean), bool(PROPERTY_VALUE.boolean_value, true)]],
        ]),
        value: uint(METRIC.int_value, 255),
      }),
      metric({
        name: 'bad',
        alias: 2,
        timestamp: 900,
        datatype: T.Int16,
        properties: propertySet([quality(0)]),
        value: uint(METRIC.int_value, 1),
      }),
      metric({
        name: 'stale',
        alias: 3,
        timestamp: 900,
        datatype: T.UInt32,
        properties: propertySet([quality(500)]),
        value: uint(METRIC.int_value, 4294967295),
      }),
      metric({
        name: 'odd',
        alias: 4,
        timestamp: 900,
        datatype: T.Float,
        properties: propertySet([quality(17)]),
        value: float(METRIC.float_value, 0.5),
      }),
    ],
  });

  it('maps the Quality property: 192 good, 0 Bad, 500 Stale, others by their code; engUnit, engLow/engHigh and other properties on the tag', () => {
    const r = run(new SparkplugHost(), [{ topic: 'spBv1.0/G/NBIRTH/N', bytes: birth }]);
    expect(r.samples.map((s) => [s.tag.metric, s.value, s.q, s.t])).toEqual([
      ['good', -1, undefined, 900],
      ['bad', 1, 'Bad', 900],
      ['stale', 4294967295, 'Stale', 900],
      ['odd', 0.5, 'Quality 17', 900],
    ]);
    expect(r.last.get('G.N.good')!.tag).toMatchObject({
      unit: '°C',
      range: [-40, 125],
      info: { properties: { engLow: -40, engHigh: 125, writable: true } },
    });
    expect(r.events[0]).toMatchObject({ kind: 'sparkplug-birth', fields: { bdSeq: 3 } });
  });

  it("an NDEATH of an older session (its bdSeq not the birth's) is marked stale; the current session's is not", () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/N', birth, 1);
    const death = (bdSeq: number) =>
      payload({ timestamp: 3000, metrics: [metric({ name: 'bdSeq', datatype: T.UInt64, value: uint(METRIC.long_value, bdSeq) })] });
    expect(host.handle('spBv1.0/G/NDEATH/N', death(2), 9).events).toEqual([
      {
        kind: 'sparkplug-death',
        fields: { node: 'G/N', bdSeq: 2, stale: true, message: 'NDEATH of an older session (bdSeq 2, current 3): ignored' },
      },
    ]);
    expect(host.handle('spBv1.0/G/NDEATH/N', death(3), 10).events).toEqual([
      { kind: 'sparkplug-death', fields: { node: 'G/N', bdSeq: 3, message: 'edge node offline' } },
    ]);
  });

  it("data without datatypes (as the specification wants) is decoded by the birth's types; the payload time when a metric has none", () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/N', birth, 1);
    const data = payload({
      timestamp: 2000,
      seq: 1,
      metrics: [
        metric({ alias: 1, value: uint(METRIC.int_value, 128) }),
        metric({ alias: 2, value: uint(METRIC.int_value, 2 ** 32 - 2) }),
        metric({ alias: 3, timestamp: 1999, value: uint(METRIC.int_value, 0) }),
      ],
    });
    const r = host.handle('spBv1.0/G/NDATA/N', data, 5);
    expect(r.samples.map((s) => [s.tag.metric, s.value, s.q, s.t])).toEqual([
      ['good', -128, undefined, 2000],
      ['bad', -2, undefined, 2000],
      ['stale', 0, undefined, 1999],
    ]);
  });

  it('a value that does not fit its type: v null, q "BadDecodingError: why", one warning per tag', () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/N', birth, 1);
    const wrong = () => payload({ seq: 1, metrics: [metric({ alias: 1, value: uint(METRIC.int_value, 300) })] });
    const r = host.handle('spBv1.0/G/NDATA/N', wrong(), 7);
    expect(r.samples).toEqual([
      expect.objectContaining({ value: null, q: 'BadDecodingError: Int8 value 300 in int_value is out of range', t: 7 }),
    ]);
    expect(r.warnings).toEqual([
      'Sparkplug G/N: good (Int8): Int8 value 300 in int_value is out of range; recorded as bad (q "BadDecodingError")',
    ]);
    expect(host.handle('spBv1.0/G/NDATA/N', wrong(), 8).warnings).toEqual([expect.stringMatching(/seq 1 where 2 was expected/)]);
  });
});

describe('templates and DataSets through births and data', () => {
  const member = (name: string, datatype: number | undefined, value: number[]) =>
    msg(TEMPLATE.metrics, str(1, name), ...(datatype === undefined ? [] : [uint(4, datatype)]), value);
  const definition = metric({
    name: '_types_/Motor',
    datatype: T.Template,
    value: msg(
      METRIC.template_value,
      member('RPM', T.Int16, uint(METRIC.int_value, 0)),
      member('Temp', T.Float, float(12, 0)),
      msg(TEMPLATE.parameters, str(PARAMETER.name, 'Line'), uint(PARAMETER.type, T.String), str(PARAMETER.string_value, 'L1')),
      bool(TEMPLATE.is_definition, true),
    ),
  });
  const instance = (rpm: number) =>
    metric({
      name: 'Motor 1',
      alias: 10,
      timestamp: 500,
      datatype: T.Template,
      value: msg(
        METRIC.template_value,
        member('RPM', T.Int16, uint(METRIC.int_value, rpm)),
        member('Temp', T.Float, float(12, 41.5)),
        str(TEMPLATE.template_ref, 'Motor'),
        bool(TEMPLATE.is_definition, false),
      ),
    });

  it("an instance becomes one tag per member; in data, members without datatypes take the birth's; parameters default from the definition", () => {
    const host = new SparkplugHost();
    const b = host.handle('spBv1.0/G/NBIRTH/N', payload({ seq: 0, metrics: [definition, instance(65535)] }), 1);
    expect(b.samples.map((s) => [s.tag.name, s.value, s.t])).toEqual([
      ['G.N.Motor 1/RPM', -1, 500],
      ['G.N.Motor 1/Temp', 41.5, 500],
    ]);
    expect(b.samples[0]!.tag).toMatchObject({
      address: 'spBv1.0/G/N:Motor 1/RPM',
      dataType: 'int16',
      sparkplugType: 'Int16',
      info: { member: { of: 'Motor 1', templateRef: 'Motor', parameters: { Line: 'L1' } } },
    });
    // NDATA: the instance by alias, one member, no datatypes
    const d = host.handle(
      'spBv1.0/G/NDATA/N',
      payload({
        seq: 1,
        metrics: [
          metric({
            alias: 10,
            timestamp: 600,
            value: msg(METRIC.template_value, member('RPM', undefined, uint(METRIC.int_value, 32768)), str(TEMPLATE.template_ref, 'Motor')),
          }),
        ],
      }),
      1,
    );
    expect(d.samples.map((s) => [s.tag.name, s.value, s.q, s.t])).toEqual([['G.N.Motor 1/RPM', -32768, undefined, 600]]);
  });

  it('a DataSet is one sample {columns, types, rows}; a cell that does not fit marks it bad', () => {
    const ds = (cell: number[]) =>
      msg(
        METRIC.dataset_value,
        uint(DATASET.num_of_columns, 2),
        str(DATASET.columns, 'a'),
        str(DATASET.columns, 'b'),
        uint(DATASET.types, T.Int8),
        uint(DATASET.types, T.String),
        msg(DATASET.rows, msg(ROW.elements, cell), msg(ROW.elements, str(DATASET_VALUE.string_value, 'x'))),
      );
    const host = new SparkplugHost();
    const r = host.handle(
      'spBv1.0/G/NBIRTH/N',
      payload({
        seq: 0,
        metrics: [metric({ name: 'table', alias: 1, datatype: T.DataSet, value: ds(uint(DATASET_VALUE.int_value, 200)) })],
      }),
      1,
    );
    expect(r.samples[0]).toMatchObject({ value: { columns: ['a', 'b'], types: ['Int8', 'String'], rows: [[-56, 'x']] } });
    expect(r.samples[0]!.tag.dataType).toBe('json');
    const bad = host.handle(
      'spBv1.0/G/NDATA/N',
      payload({ seq: 1, metrics: [metric({ alias: 1, value: ds(uint(DATASET_VALUE.int_value, 256)) })] }),
      1,
    );
    expect(bad.samples[0]).toMatchObject({
      value: { rows: [[null, 'x']] },
      q: 'BadDecodingError: DataSet: row 1, column "a": Int8 value 256 in int_value is out of range',
    });
  });

  it('arrays and bytes get a capture dataType of their own', () => {
    const r = new SparkplugHost().handle(
      'spBv1.0/G/NBIRTH/N',
      payload({
        seq: 0,
        metrics: [
          metric({ name: 'arr', datatype: T.Int16Array, value: bytes(METRIC.bytes_value, [0xff, 0xff]) }),
          metric({ name: 'blob', datatype: T.Bytes, value: bytes(METRIC.bytes_value, [1]) }),
          metric({ name: 'when', datatype: T.DateTime, value: uint(METRIC.long_value, 0) }),
        ],
      }),
      1,
    );
    expect(r.samples.map((s) => [s.tag.metric, s.tag.dataType, s.value])).toEqual([
      ['arr', 'json', [-1]],
      ['blob', 'bytes', 'AQ=='],
      ['when', 'datetime', '1970-01-01T00:00:00.000Z'],
    ]);
  });
});
