/**
 * Sparkplug B values at their edges, decoded from payloads written independently of the decoder:
 * bytes from the test-only writer (protobuf-writer.ts, from the protobuf encoding guide and the
 * Sparkplug 3.0 schema), a few written out byte by byte, and the array examples of the
 * specification itself.
 */
import { describe, expect, it } from 'vitest';
import { decodeSparkplug, encodeSparkplug, redecodeMetric, type SparkplugMetric } from '../../../src/protocols/mqtt/sparkplug-codec.js';
import {
  bool,
  bytes,
  DATASET,
  DATASET_VALUE,
  double,
  engUnit,
  float,
  le,
  METADATA,
  metric,
  METRIC,
  msg,
  PARAMETER,
  payload,
  PROPERTY_SET_LIST,
  PROPERTY_VALUE,
  propertySet,
  quality,
  ROW,
  str,
  T,
  TEMPLATE,
  uint,
  varint,
  type Bytes,
} from '../../helpers/protobuf-writer.js';

const U32 = 2 ** 32;
const U64 = 2n ** 64n;

/** One metric named x of the datatype, with the value field given; decoded. */
function one(datatype: number | undefined, value: Bytes, extra: Parameters<typeof metric>[0] = {}): SparkplugMetric {
  const p = decodeSparkplug(
    payload({ metrics: [metric({ name: 'x', ...(datatype === undefined ? {} : { datatype }), value, ...extra })] }),
  );
  expect(p.metrics).toHaveLength(1);
  return p.metrics[0]!;
}

const int = (v: number | bigint) => uint(METRIC.int_value, v);
const long = (v: bigint) => uint(METRIC.long_value, v);

describe('the test writer itself', () => {
  it('writes varints as the protobuf guide shows them', () => {
    expect(varint(1)).toEqual([0x01]);
    expect(varint(150)).toEqual([0x96, 0x01]);
    expect(varint(300)).toEqual([0xac, 0x02]);
    expect(varint(U64 - 1n)).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    // a metric "a", Int8, int_value 128: every byte by hand
    expect(metric({ name: 'a', datatype: T.Int8, value: int(128) })).toEqual([0x12, 0x08, 0x0a, 0x01, 0x61, 0x20, 0x01, 0x50, 0x80, 0x01]);
  });
});

describe('integers: sign extension by width, both forms publishers use', () => {
  it('Int8 -128, -1, 127 from int_value, 8-bit form (Tahu Python) and 32-bit form (Tahu Java)', () => {
    // bytes written out: metric "x", datatype 1, int_value 128 / 0xFFFFFF80
    const python = Buffer.from([0x12, 0x08, 0x0a, 0x01, 0x78, 0x20, 0x01, 0x50, 0x80, 0x01]);
    const java = Buffer.from([0x12, 0x0b, 0x0a, 0x01, 0x78, 0x20, 0x01, 0x50, 0x80, 0xff, 0xff, 0xff, 0x0f]);
    expect(decodeSparkplug(python).metrics[0]).toMatchObject({ name: 'x', type: 'Int8', value: -128 });
    expect(decodeSparkplug(java).metrics[0]).toMatchObject({ name: 'x', type: 'Int8', value: -128 });
    expect(one(T.Int8, int(255)).value).toBe(-1);
    expect(one(T.Int8, int(U32 - 1)).value).toBe(-1);
    expect(one(T.Int8, int(127)).value).toBe(127);
    expect(one(T.Int8, int(0)).value).toBe(0);
  });

  it('Int16 -32768 and 32767; Int32 -2147483648, -1 and 2147483647', () => {
    expect(one(T.Int16, int(32768)).value).toBe(-32768);
    expect(one(T.Int16, int(U32 - 32768)).value).toBe(-32768);
    expect(one(T.Int16, int(32767)).value).toBe(32767);
    expect(one(T.Int32, int(2 ** 31)).value).toBe(-2147483648);
    expect(one(T.Int32, int(U32 - 1)).value).toBe(-1);
    expect(one(T.Int32, int(2 ** 31 - 1)).value).toBe(2147483647);
  });

  it('a value outside the type is bad, with the reason, never wrapped', () => {
    const m = one(T.Int8, int(300));
    expect(m.value).toBeNull();
    expect(m.bad).toBe('Int8 value 300 in int_value is out of range');
    expect(one(T.Int8, int(U32 - 129)).bad).toMatch(/out of range/); // -129 sign-extended
    expect(one(T.UInt8, int(256)).bad).toMatch(/UInt8 value 256 in int_value is out of range/);
    expect(one(T.UInt16, int(65536)).bad).toMatch(/out of range/);
  });

  it('UInt8, UInt16 at their edges; UInt32 0 and 4294967295 from int_value (the specification) and long_value (older publishers)', () => {
    expect(one(T.UInt8, int(255)).value).toBe(255);
    expect(one(T.UInt16, int(65535)).value).toBe(65535);
    expect(one(T.UInt32, int(0))).toMatchObject({ value: 0 });
    expect(one(T.UInt32, int(0)).bad).toBeUndefined();
    expect(one(T.UInt32, int(U32 - 1)).value).toBe(4294967295);
    expect(one(T.UInt32, long(4294967295n)).value).toBe(4294967295);
    expect(one(T.UInt32, long(2n ** 32n)).bad).toMatch(/UInt32 value 4294967296 in long_value is out of range/);
  });

  it('Int64 and UInt64 exact: a number up to 2^53 - 1, decimal digits beyond', () => {
    expect(one(T.Int64, long(2n ** 63n)).value).toBe('-9223372036854775808');
    expect(one(T.Int64, long(2n ** 63n - 1n)).value).toBe('9223372036854775807');
    expect(one(T.Int64, long(U64 - 1n)).value).toBe(-1);
    expect(one(T.Int64, long(2n ** 53n - 1n)).value).toBe(9007199254740991);
    expect(one(T.Int64, long(2n ** 53n)).value).toBe('9007199254740992');
    expect(one(T.Int64, long(U64 - (2n ** 53n - 1n))).value).toBe(-9007199254740991);
    expect(one(T.Int64, long(U64 - 2n ** 53n - 1n)).value).toBe('-9007199254740993');
    expect(one(T.UInt64, long(0n)).value).toBe(0);
    expect(one(T.UInt64, long(U64 - 1n)).value).toBe('18446744073709551615');
    expect(one(T.UInt64, long(2n ** 53n + 1n)).value).toBe('9007199254740993');
    // Int64 in the 32-bit field: a small positive value is unambiguous, a large one is not
    expect(one(T.Int64, int(42)).value).toBe(42);
    expect(one(T.Int64, int(U32 - 1)).bad).toMatch(/ambiguous/);
  });

  it('an integer type in a field that cannot hold it is bad', () => {
    expect(one(T.Int32, str(METRIC.string_value, '5')).bad).toBe('Int32 value in string_value, where the specification has int_value');
    expect(one(T.Int32, []).bad).toBe('Int32 metric without a value');
  });
});

describe('the other simple types', () => {
  it('Float is the float32 exactly; Double at its extremes', () => {
    expect(one(T.Float, float(METRIC.float_value, 1.1)).value).toBe(Math.fround(1.1));
    expect(one(T.Float, float(METRIC.float_value, 3.4028234663852886e38)).value).toBe(3.4028234663852886e38);
    expect(Number.isNaN(one(T.Float, float(METRIC.float_value, NaN)).value)).toBe(true);
    expect(one(T.Double, double(METRIC.double_value, Number.MAX_VALUE)).value).toBe(Number.MAX_VALUE);
    expect(one(T.Double, double(METRIC.double_value, 5e-324)).value).toBe(5e-324);
    expect(Object.is(one(T.Double, double(METRIC.double_value, -0)).value, -0)).toBe(true);
  });

  it('Boolean false is a value, not an absence; String, Text, UUID as UTF-8', () => {
    expect(one(T.Boolean, bool(METRIC.boolean_value, false))).toMatchObject({ value: false });
    expect(one(T.Boolean, bool(METRIC.boolean_value, true)).value).toBe(true);
    expect(one(T.String, str(METRIC.string_value, 'Grüße ✓')).value).toBe('Grüße ✓');
    expect(one(T.String, str(METRIC.string_value, '')).value).toBe('');
    expect(one(T.Text, str(METRIC.string_value, 'line 1\nline 2')).value).toBe('line 1\nline 2');
    expect(one(T.UUID, str(METRIC.string_value, '0b3e1c0e-5a2f-4c55-9d0a-0f4cbb2c9c31')).value).toBe(
      '0b3e1c0e-5a2f-4c55-9d0a-0f4cbb2c9c31',
    );
  });

  it("DateTime as ISO 8601 UTC, before 1970 too (Java sends it as two's complement)", () => {
    expect(one(T.DateTime, long(1700000000123n)).value).toBe('2023-11-14T22:13:20.123Z');
    expect(one(T.DateTime, long(0n)).value).toBe('1970-01-01T00:00:00.000Z');
    expect(one(T.DateTime, long(U64 - 1000n)).value).toBe('1969-12-31T23:59:59.000Z');
    expect(one(T.DateTime, long(2n ** 62n)).bad).toMatch(/is not a date/);
  });

  it('Bytes and File as base64; a File keeps its metadata', () => {
    expect(one(T.Bytes, bytes(METRIC.bytes_value, [0, 255, 1])).value).toBe('AP8B');
    const f = one(T.File, bytes(METRIC.bytes_value, [...Buffer.from('hello')]), {
      metadata: [str(METADATA.file_name, 'a.txt'), uint(METADATA.size, 5), str(METADATA.md5, '5d41402abc4b2a76b9719d911017c592')],
    });
    expect(f).toMatchObject({
      type: 'File',
      value: 'aGVsbG8=',
      metadata: { fileName: 'a.txt', size: 5, md5: '5d41402abc4b2a76b9719d911017c592' },
    });
  });

  it('is_null is null without a complaint; the metric timestamp is kept', () => {
    const m = one(T.Int32, [], { isNull: true, timestamp: 1700000000999 });
    expect(m).toMatchObject({ value: null, isNull: true, timestamp: 1700000000999 });
    expect(m.bad).toBeUndefined();
  });

  it('a datatype the specification does not define, two value fields (protobuf: the last wins), an absent datatype', () => {
    expect(one(99, int(1))).toMatchObject({ type: 'Unknown', datatype: 99, value: null, bad: 'unknown datatype 99' });
    expect(one(T.Int32, [...int(1), ...str(METRIC.string_value, 'a')]).bad).toBe(
      'Int32 value in string_value, where the specification has int_value',
    );
    expect(one(T.Int32, [...str(METRIC.string_value, 'a'), ...int(1)]).value).toBe(1);
    // data messages should leave the datatype out: exact where the field says it all, else decoded once the birth's type is known
    expect(one(undefined, double(METRIC.double_value, 2.5))).toMatchObject({ type: 'Unknown', value: 2.5 });
    const untyped = one(undefined, int(255));
    expect(untyped).toMatchObject({ type: 'Unknown', value: null });
    expect(untyped.bad).toMatch(/comes from the birth/);
    expect(redecodeMetric(untyped, 'Int8')).toMatchObject({ type: 'Int8', value: -1 });
    expect(redecodeMetric(untyped, 'Int8').bad).toBeUndefined();
    expect(redecodeMetric(untyped, 'UInt8').value).toBe(255);
  });

  it('payload timestamp, seq, and several metrics in order', () => {
    const p = decodeSparkplug(
      payload({
        timestamp: 1700000000000,
        seq: 255,
        metrics: [metric({ name: 'a', alias: 7, datatype: T.Int16, value: int(65535) }), metric({ alias: 7, value: int(1) })],
      }),
    );
    expect(p.timestamp).toBe(1700000000000);
    expect(p.seq).toBe(255);
    expect(p.metrics.map((m) => [m.name, m.alias, m.type, m.value])).toEqual([
      ['a', 7, 'Int16', -1],
      [undefined, 7, 'Unknown', null],
    ]);
  });

  it('a payload that is not protobuf throws (the host reports it)', () => {
    expect(() => decodeSparkplug(Buffer.from([0x12, 0x20, 0x0a]))).toThrow();
    expect(() => decodeSparkplug(Buffer.from([0xff, 0xff, 0xff]))).toThrow();
  });

  it('metrics and payloads are plain JSON (no bigints leak out)', () => {
    const p = decodeSparkplug(payload({ metrics: [metric({ name: 'u', datatype: T.UInt64, value: long(U64 - 1n) })] }));
    expect(JSON.parse(JSON.stringify(p))).toEqual({ metrics: [{ name: 'u', type: 'UInt64', value: '18446744073709551615' }] });
  });
});

describe("arrays: the specification's examples (where they are right)", () => {
  const arr = (datatype: number, b: Bytes) => one(datatype, bytes(METRIC.bytes_value, b));
  it('integer arrays, little-endian', () => {
    // The specification's Int8Array example shows 0xEF for -23; -23 is 0xE9.
    expect(arr(T.Int8Array, [0xe9, 0x7b]).value).toEqual([-23, 123]);
    expect(arr(T.Int16Array, [0xd0, 0x8a, 0x30, 0x75]).value).toEqual([-30000, 30000]);
    expect(arr(T.Int32Array, [0xff, 0xff, 0xff, 0xff, 0xfa, 0xaf, 0xcb, 0x12]).value).toEqual([-1, 315338746]);
    expect(
      arr(T.Int64Array, [0xce, 0x06, 0x72, 0xac, 0x18, 0x9c, 0xba, 0xc4, 0xc4, 0xba, 0x9c, 0x18, 0xac, 0x72, 0x06, 0xce]).value,
    ).toEqual(['-4270929666821191986', '-3601064768563266876']);
    expect(arr(T.UInt8Array, [0x17, 0xfa]).value).toEqual([23, 250]);
    expect(arr(T.UInt16Array, [0x1e, 0x00, 0x88, 0xcc]).value).toEqual([30, 52360]);
    expect(arr(T.UInt32Array, [0x34, 0x00, 0x00, 0x00, 0x49, 0xfb, 0x55, 0xc4]).value).toEqual([52, 3293969225]);
    expect(arr(T.UInt64Array, [0x34, 0, 0, 0, 0, 0, 0, 0, 0xd9, 0x9e, 0x02, 0xd1, 0xb2, 0x76, 0x37, 0xe4]).value).toEqual([
      52,
      '16444743074749521625',
    ]);
    expect(arr(T.Int16Array, [1, 2, 3]).bad).toMatch(/not a whole number of 2-byte values/);
    expect(arr(T.Int32Array, []).value).toEqual([]);
  });

  it("FloatArray and DoubleArray little-endian (the specification's examples print them big-endian)", () => {
    expect(arr(T.FloatArray, [0xa4, 0x70, 0x9d, 0x3f, 0x98, 0xae, 0xb2, 0x42]).value).toEqual([Math.fround(1.23), Math.fround(89.341)]);
    expect(arr(T.DoubleArray, [...le(0x4028b55b6805a2d7n, 8), ...le(0x408ff74c6f1c178en, 8)]).value).toEqual([12.354213, 1022.9123213]);
    const nan = arr(T.DoubleArray, [...le(0x7ff8000000000000n, 8), ...le(0x3ff0000000000000n, 8)]);
    expect(nan.value).toEqual([null, 1]);
    expect(nan.bad).toMatch(/1 NaN or infinite value, written as null/);
  });

  it('BooleanArray: a 4-byte count, then bits most significant first', () => {
    expect(arr(T.BooleanArray, [0x0c, 0x00, 0x00, 0x00, 0x34, 0xd0]).value).toEqual([
      false,
      false,
      true,
      true,
      false,
      true,
      false,
      false,
      true,
      true,
      false,
      true,
    ]);
    expect(arr(T.BooleanArray, [0, 0, 0, 0]).value).toEqual([]);
    expect(arr(T.BooleanArray, [0x0c, 0x00, 0x00, 0x00, 0x34]).bad).toMatch(/needs 2 bytes after the count, not 1/);
  });

  it('StringArray: NUL-terminated UTF-8', () => {
    expect(arr(T.StringArray, [0x41, 0x42, 0x43, 0x00, 0x68, 0x65, 0x6c, 0x6c, 0x6f, 0x00]).value).toEqual(['ABC', 'hello']);
    expect(arr(T.StringArray, [...Buffer.from('ü'), 0, 0]).value).toEqual(['ü', '']);
    expect(arr(T.StringArray, [0x41, 0x42]).bad).toMatch(/no terminating NUL/);
    expect(arr(T.StringArray, [0xff, 0x00]).bad).toMatch(/not UTF-8/);
  });

  it('DateTimeArray: 8-byte little-endian milliseconds', () => {
    expect(arr(T.DateTimeArray, [...le(1256102875335n, 8), ...le(1656107875000n, 8)]).value).toEqual([
      '2009-10-21T05:27:55.335Z',
      '2022-06-24T21:57:55.000Z',
    ]);
  });
});

describe('DataSet', () => {
  const columns = ['i8', 'i16', 'i32', 'i64', 'u8', 'u16', 'u32', 'u64', 'f', 'd', 'b', 's', 'dt', 'txt'];
  const types = [
    T.Int8,
    T.Int16,
    T.Int32,
    T.Int64,
    T.UInt8,
    T.UInt16,
    T.UInt32,
    T.UInt64,
    T.Float,
    T.Double,
    T.Boolean,
    T.String,
    T.DateTime,
    T.Text,
  ];
  const cell = (...f: Bytes[]) => msg(ROW.elements, ...f);
  const row = (...cells: Bytes[]) => msg(DATASET.rows, ...cells);
  const ds = (rows: Bytes[], n = columns.length) =>
    msg(
      METRIC.dataset_value,
      uint(DATASET.num_of_columns, n),
      ...columns.map((c) => str(DATASET.columns, c)),
      ...types.map((t) => uint(DATASET.types, t)),
      ...rows,
    );
  const I = (v: number | bigint) => uint(DATASET_VALUE.int_value, v);
  const L = (v: bigint) => uint(DATASET_VALUE.long_value, v);

  it('every column type at its minimum and maximum', () => {
    const min = row(
      cell(I(128)),
      cell(I(U32 - 32768)),
      cell(I(2 ** 31)),
      cell(L(2n ** 63n)),
      cell(I(0)),
      cell(I(0)),
      cell(I(0)),
      cell(L(0n)),
      cell(float(DATASET_VALUE.float_value, -3.4028234663852886e38)),
      cell(double(DATASET_VALUE.double_value, -Number.MAX_VALUE)),
      cell(bool(DATASET_VALUE.boolean_value, false)),
      cell(str(DATASET_VALUE.string_value, '')),
      cell(L(0n)),
      cell(str(DATASET_VALUE.string_value, '')),
    );
    const max = row(
      cell(I(127)),
      cell(I(32767)),
      cell(I(2 ** 31 - 1)),
      cell(L(2n ** 63n - 1n)),
      cell(I(255)),
      cell(I(65535)),
      cell(I(U32 - 1)),
      cell(L(U64 - 1n)),
      cell(float(DATASET_VALUE.float_value, 1.5)),
      cell(double(DATASET_VALUE.double_value, Number.MAX_VALUE)),
      cell(bool(DATASET_VALUE.boolean_value, true)),
      cell(str(DATASET_VALUE.string_value, 'zß')),
      cell(L(1700000000123n)),
      cell(str(DATASET_VALUE.string_value, 'text')),
    );
    const m = one(T.DataSet, ds([min, max]));
    expect(m.bad).toBeUndefined();
    expect(m.value).toEqual({
      columns,
      types: [
        'Int8',
        'Int16',
        'Int32',
        'Int64',
        'UInt8',
        'UInt16',
        'UInt32',
        'UInt64',
        'Float',
        'Double',
        'Boolean',
        'String',
        'DateTime',
        'Text',
      ],
      rows: [
        [
          -128,
          -32768,
          -2147483648,
          '-9223372036854775808',
          0,
          0,
          0,
          0,
          -3.4028234663852886e38,
          -Number.MAX_VALUE,
          false,
          '',
          '1970-01-01T00:00:00.000Z',
          '',
        ],
        [
          127,
          32767,
          2147483647,
          '9223372036854775807',
          255,
          65535,
          4294967295,
          '18446744073709551615',
          1.5,
          Number.MAX_VALUE,
          true,
          'zß',
          '2023-11-14T22:13:20.123Z',
          'text',
        ],
      ],
    });
  });

  it('a cell that does not fit its column, or a short row: the rest is kept, the sample is bad and says where', () => {
    const good = [
      cell(I(1)),
      cell(I(2)),
      cell(I(3)),
      cell(L(4n)),
      cell(I(5)),
      cell(I(6)),
      cell(I(7)),
      cell(L(8n)),
      cell(float(3, 1)),
      cell(double(4, 2)),
      cell(bool(5, true)),
      cell(str(6, 'a')),
      cell(L(0n)),
      cell(str(6, 'b')),
    ];
    const wrong = [cell(I(300)), ...good.slice(1)];
    const m = one(T.DataSet, ds([row(...wrong), row(...good.slice(0, 3))]));
    expect(m.bad).toMatch(/^DataSet: row 1, column "i8": Int8 value 300 in int_value is out of range; row 2 has 3 values for 14 columns/);
    expect((m.value as { rows: unknown[][] }).rows[0]![0]).toBeNull();
    expect((m.value as { rows: unknown[][] }).rows[0]![1]).toBe(2);
    expect(one(T.DataSet, ds([], 3)).bad).toMatch(/num_of_columns 3 but 14 columns/);
  });
});

describe('Template', () => {
  const param = (name: string, type: number, value: Bytes) =>
    msg(TEMPLATE.parameters, str(PARAMETER.name, name), uint(PARAMETER.type, type), value);
  const member = (name: string, datatype: number | undefined, value: Bytes) =>
    msg(TEMPLATE.metrics, str(1, name), ...(datatype === undefined ? [] : [uint(4, datatype)]), value);

  it('a definition: members and parameter defaults', () => {
    const def = one(
      T.Template,
      msg(
        METRIC.template_value,
        str(TEMPLATE.version, 'v1'),
        member('RPM', T.Int16, int(0)),
        member('Amps', T.Float, float(12, 0)),
        param('Index', T.Int32, uint(PARAMETER.int_value, 0)),
        bool(TEMPLATE.is_definition, true),
      ),
    );
    expect(def.template).toMatchObject({ isDefinition: true, version: 'v1', parameters: [{ name: 'Index', type: 'Int32', value: 0 }] });
    expect(def.template!.metrics.map((m) => [m.name, m.type])).toEqual([
      ['RPM', 'Int16'],
      ['Amps', 'Float'],
    ]);
    expect(def.value).toEqual({ isDefinition: true, version: 'v1', parameters: { Index: 0 }, metrics: { RPM: 0, Amps: 0 } });
  });

  it('an instance: members decoded by their datatypes, parameters by theirs, nested templates too', () => {
    const inner = msg(
      TEMPLATE.metrics,
      str(1, 'Bearing'),
      uint(4, T.Template),
      msg(
        METRIC.template_value,
        member('Temp', T.Int8, int(U32 - 5)),
        str(TEMPLATE.template_ref, 'Bearing'),
        bool(TEMPLATE.is_definition, false),
      ),
    );
    const inst = one(
      T.Template,
      msg(
        METRIC.template_value,
        member('RPM', T.Int16, int(32768)),
        member('Amps', T.Float, float(12, 1.5)),
        inner,
        param('Index', T.Int32, uint(PARAMETER.int_value, U32 - 1)),
        str(TEMPLATE.template_ref, 'Motor'),
        bool(TEMPLATE.is_definition, false),
      ),
    );
    expect(inst.bad).toBeUndefined();
    expect(inst.value).toEqual({
      templateRef: 'Motor',
      parameters: { Index: -1 },
      metrics: { RPM: -32768, Amps: 1.5, Bearing: { templateRef: 'Bearing', parameters: {}, metrics: { Temp: -5 } } },
    });
    // a member that does not fit makes the instance bad and names the member
    const wrong = one(T.Template, msg(METRIC.template_value, member('RPM', T.Int16, int(70000)), str(TEMPLATE.template_ref, 'Motor')));
    expect(wrong.bad).toBe('RPM: Int16 value 70000 in int_value is out of range');
  });
});

describe('properties: PropertySet, PropertySetList, Quality, engUnit', () => {
  it('every property value type, nested sets included', () => {
    const nested: [string, Bytes[]] = [
      'limits',
      [
        uint(PROPERTY_VALUE.type, T.PropertySet),
        msg(
          PROPERTY_VALUE.propertyset_value,
          ...propertySet([
            ['low', [uint(1, T.Int8), uint(3, 156)]],
            ['high', [uint(1, T.Int64), uint(4, U64 - 1n)]],
          ]),
        ),
      ],
    ];
    const list: [string, Bytes[]] = [
      'alarms',
      [
        uint(PROPERTY_VALUE.type, T.PropertySetList),
        msg(
          PROPERTY_VALUE.propertysets_value,
          msg(PROPERTY_SET_LIST.propertyset, ...propertySet([['on', [uint(1, T.Boolean), bool(7, true)]]])),
          msg(PROPERTY_SET_LIST.propertyset, ...propertySet([['on', [uint(1, T.Boolean), bool(7, false)]]])),
        ),
      ],
    ];
    const m = one(T.Double, double(METRIC.double_value, 1), {
      properties: propertySet([
        engUnit('mm/s'),
        quality(500),
        nested,
        list,
        ['note', [uint(1, T.String), bool(PROPERTY_VALUE.is_null, true)]],
        ['gain', [uint(1, T.Float), float(5, 0.5)]],
      ]),
    });
    expect(m.properties).toEqual({
      engUnit: { type: 'String', value: 'mm/s' },
      Quality: { type: 'Int32', value: 500 },
      limits: { type: 'PropertySet', value: { low: -100, high: -1 } },
      alarms: { type: 'PropertySetList', value: [{ on: true }, { on: false }] },
      note: { type: 'String', value: null },
      gain: { type: 'Float', value: 0.5 },
    });
  });
});

describe("encoding (iiot's simulated edge node and replay), checked against bytes written by hand", () => {
  it("writes each datatype in its specification field, negatives as the 32-bit two's complement", () => {
    const ours = encodeSparkplug({
      timestamp: 1700000000000,
      seq: 0,
      metrics: [
        { name: 'a', alias: 1, timestamp: 1700000000001, type: 'Int8', value: -128 },
        { name: 'b', type: 'UInt32', value: 4294967295 },
        { name: 'c', type: 'Int64', value: -9223372036854775808n },
        { name: 'd', type: 'UInt64', value: '18446744073709551615' },
        { name: 'e', type: 'Float', value: 1.5, properties: { engUnit: { type: 'String', value: 'kW' } } },
        { name: 'f', type: 'Boolean', value: false },
        { name: 'g', type: 'Double', value: null },
      ],
    });
    const expected = payload({
      timestamp: 1700000000000,
      seq: 0,
      metrics: [
        metric({ name: 'a', alias: 1, timestamp: 1700000000001, datatype: T.Int8, value: int(U32 - 128) }),
        metric({ name: 'b', datatype: T.UInt32, value: int(U32 - 1) }),
        metric({ name: 'c', datatype: T.Int64, value: long(2n ** 63n) }),
        metric({ name: 'd', datatype: T.UInt64, value: long(U64 - 1n) }),
        metric({ name: 'e', datatype: T.Float, properties: propertySet([engUnit('kW')]), value: float(METRIC.float_value, 1.5) }),
        metric({ name: 'f', datatype: T.Boolean, value: bool(METRIC.boolean_value, false) }),
        metric({ name: 'g', datatype: T.Double, isNull: true }),
      ],
    });
    expect(ours.toString('hex')).toBe(expected.toString('hex'));
  });

  it('refuses a value its type cannot hold (a bug in the caller, not data to send)', () => {
    expect(() => encodeSparkplug({ metrics: [{ name: 'x', type: 'Int8', value: 128 }] })).toThrow(/Int8: 128 is out of range/);
    expect(() => encodeSparkplug({ metrics: [{ name: 'x', type: 'UInt32', value: -1 }] })).toThrow(/out of range/);
    expect(() => encodeSparkplug({ metrics: [{ name: 'x', type: 'Int32', value: 1.5 }] })).toThrow(/not an integer/);
  });
});
