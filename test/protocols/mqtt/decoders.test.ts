import { describe, expect, it } from 'vitest';
import {
  atPath,
  decodeAuto,
  decodeJson,
  decodeNumber,
  parseDecoder,
  parseJsonPath,
  payloadTime,
  SparkplugHost,
  topicMatches,
} from '../../../src/protocols/mqtt/decoders.js';
import { encodeSparkplug, type SparkplugPayloadInput as SparkplugPayload } from '../../../src/protocols/mqtt/sparkplug-codec.js';

const b = (s: string) => Buffer.from(s, 'utf8');

describe('JSON paths', () => {
  it('reads keys, indexes and quoted keys, with or without $', () => {
    const doc = { data: { temp: 21.5, 'a b': [1, { x: true }] }, v: 3 };
    expect(atPath(doc, parseJsonPath('$.data.temp'))).toEqual({ found: true, value: 21.5 });
    expect(atPath(doc, parseJsonPath('data.temp'))).toEqual({ found: true, value: 21.5 });
    expect(atPath(doc, parseJsonPath('$.data["a b"][1].x'))).toEqual({ found: true, value: true });
    expect(atPath(doc, parseJsonPath("$['v']"))).toEqual({ found: true, value: 3 });
    expect(atPath(doc, parseJsonPath('$.data.nope')).found).toBe(false);
    expect(atPath(doc, parseJsonPath('$.data.temp[0]')).found).toBe(false);
  });

  it('refuses what it cannot read, naming the option', () => {
    expect(() => parseJsonPath('$..temp')).toThrow(/--json-path: cannot read "\$\.\.temp"/);
    expect(() => parseJsonPath('')).toThrow(/empty/);
  });
});

describe('payload decoders', () => {
  it('json: {"v", "t", "unit"} documents give the value, its time and unit', () => {
    const r = decodeJson(b('{"t":"2026-01-05T09:00:00.000Z","v":1.42,"unit":"mm/s"}'));
    expect(r).toEqual({ ok: true, values: [{ key: '', value: 1.42, t: Date.parse('2026-01-05T09:00:00.000Z'), unit: 'mm/s' }] });
  });

  it('json: an object of readings gives one value per field (nested fields dotted)', () => {
    const r = decodeJson(b('{"ts":1767603600,"temp":21.5,"hum":40,"status":{"ok":true}}'));
    expect(r.ok && r.values.map((v) => [v.key, v.value, v.t])).toEqual([
      ['temp', 21.5, 1767603600000],
      ['hum', 40, 1767603600000],
      ['status.ok', true, 1767603600000],
    ]);
  });

  it('json with a path: the value there, or an error naming the path', () => {
    expect(decodeJson(b('{"d":{"x":7}}'), parseJsonPath('$.d.x'))).toEqual({ ok: true, values: [{ key: '', value: 7 }] });
    expect(decodeJson(b('{"d":{}}'), parseJsonPath('$.d.x'))).toEqual({ ok: false, error: '$.d.x is not in the payload' });
    expect(decodeJson(b('not json'))).toEqual({ ok: false, error: 'the payload is not JSON' });
  });

  it('number and auto', () => {
    expect(decodeNumber(b(' 21.5\n'))).toEqual({ ok: true, values: [{ key: '', value: 21.5 }] });
    expect(decodeNumber(b('21,5')).ok).toBe(false);
    expect(decodeAuto(b('42'))).toEqual({ ok: true, values: [{ key: '', value: 42 }] });
    expect(decodeAuto(b('ON'))).toEqual({ ok: true, values: [{ key: '', value: 'ON' }] });
    expect(decodeAuto(b('[1,2]'))).toEqual({ ok: true, values: [{ key: '', value: [1, 2] }] });
  });

  it('payload times: epoch seconds, milliseconds, ISO with a zone; not bare numbers or zoneless text', () => {
    expect(payloadTime(1767603600)).toBe(1767603600000);
    expect(payloadTime(1767603600123)).toBe(1767603600123);
    expect(payloadTime('2026-01-05T09:00:00+01:00')).toBe(Date.parse('2026-01-05T08:00:00Z'));
    expect(payloadTime(42)).toBeUndefined();
    expect(payloadTime('2026-01-05 09:00')).toBeUndefined();
  });

  it('an unknown decoder is one line with the list', () => {
    expect(() => parseDecoder('protobuf')).toThrow(/unknown decoder "protobuf"/);
    expect(parseDecoder('Sparkplug')).toBe('sparkplug');
  });
});

describe('topics', () => {
  it('matches MQTT filters (+, #, $ topics only by $ filters)', () => {
    expect(topicMatches('plant/+/temp', 'plant/p1/temp')).toBe(true);
    expect(topicMatches('plant/+/temp', 'plant/p1/x/temp')).toBe(false);
    expect(topicMatches('plant/#', 'plant')).toBe(true);
    expect(topicMatches('#', '$SYS/broker/uptime')).toBe(false);
    expect(topicMatches('$SYS/#', '$SYS/broker/uptime')).toBe(true);
  });
});

describe('Sparkplug B host', () => {
  const nbirth = (seq: number, bdSeq: number): SparkplugPayload => ({
    timestamp: 1000,
    seq,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: bdSeq },
      { name: 'Node Control/Rebirth', type: 'Boolean', value: false },
      { name: 'power', alias: 1, type: 'Double', value: 80.5, properties: { engUnit: { type: 'String', value: 'kW' } } },
    ],
  });
  const dbirth: SparkplugPayload = {
    timestamp: 1000,
    seq: 1,
    metrics: [{ name: 'vibration', alias: 2, type: 'Double', value: 1.4, timestamp: 999 }],
  };

  it('names metrics from births, resolves aliases, and checks seq', () => {
    const host = new SparkplugHost();
    const a = host.handle('spBv1.0/G/NBIRTH/N', encodeSparkplug(nbirth(0, 3)), 5000);
    expect(a.samples.map((s) => [s.tag.name, s.tag.address, s.tag.unit, s.value, s.t])).toEqual([
      ['G.N.power', 'spBv1.0/G/N:power', 'kW', 80.5, 1000],
    ]);
    expect(a.events[0]).toMatchObject({ kind: 'sparkplug-birth', fields: { node: 'G/N', bdSeq: 3 } });
    const d = host.handle('spBv1.0/G/DBIRTH/N/pump1', encodeSparkplug(dbirth), 5000);
    expect(d.samples.map((s) => [s.tag.name, s.value, s.t])).toEqual([['G.N.pump1.vibration', 1.4, 999]]);
    const data = host.handle(
      'spBv1.0/G/DDATA/N/pump1',
      encodeSparkplug({ timestamp: 2000, seq: 2, metrics: [{ alias: 2, type: 'Double', value: 1.5 }] }),
      5000,
    );
    expect(data.samples.map((s) => [s.tag.name, s.value, s.t])).toEqual([['G.N.pump1.vibration', 1.5, 2000]]);
    expect(data.events).toEqual([]);
    // seq 3 is lost: the next message says so
    const gap = host.handle(
      'spBv1.0/G/NDATA/N',
      encodeSparkplug({ timestamp: 3000, seq: 4, metrics: [{ alias: 1, type: 'Double', value: 81 }] }),
      5000,
    );
    expect(gap.samples.map((s) => [s.tag.name, s.value])).toEqual([['G.N.power', 81]]);
    expect(gap.events).toEqual([
      expect.objectContaining({ kind: 'sparkplug-seq', fields: expect.objectContaining({ expected: 3, got: 4 }) }),
    ]);
    expect(host.seqErrors).toBe(1);
  });

  it('seq wraps at 255 without complaint', () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/N', encodeSparkplug(nbirth(0, 0)), 1);
    for (let seq = 1; seq <= 300; seq++)
      host.handle('spBv1.0/G/NDATA/N', encodeSparkplug({ seq: seq % 256, metrics: [{ alias: 1, type: 'Double', value: seq }] }), 1);
    expect(host.seqErrors).toBe(0);
  });

  it("data before any birth: left out with one warning; a Sparkplug Aware broker's retained birth teaches the aliases", () => {
    const host = new SparkplugHost();
    const lost = host.handle('spBv1.0/G/NDATA/N', encodeSparkplug({ seq: 5, metrics: [{ alias: 1, type: 'Double', value: 1 }] }), 1);
    expect(lost.samples).toEqual([]);
    expect(lost.warnings.join()).toMatch(/alias 1 without a birth/);
    const cert = host.handle('$sparkplug/certificates/spBv1.0/G/NBIRTH/N', encodeSparkplug(nbirth(0, 1)), 1);
    expect(cert.samples).toEqual([]); // a retained birth's values are old
    const ok = host.handle('spBv1.0/G/NDATA/N', encodeSparkplug({ seq: 6, metrics: [{ alias: 1, type: 'Double', value: 2 }] }), 1);
    expect(ok.samples.map((s) => [s.tag.name, s.value])).toEqual([['G.N.power', 2]]);
  });

  it('NDEATH of the current session marks the node offline; of an older session it is ignored', () => {
    const host = new SparkplugHost();
    host.handle('spBv1.0/G/NBIRTH/N', encodeSparkplug(nbirth(0, 7)), 1);
    const old = host.handle('spBv1.0/G/NDEATH/N', encodeSparkplug({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 6 }] }), 1);
    expect(String(old.events[0]?.fields.message)).toMatch(/older session/);
    const now = host.handle('spBv1.0/G/NDEATH/N', encodeSparkplug({ metrics: [{ name: 'bdSeq', type: 'UInt64', value: 7 }] }), 1);
    expect(now.events[0]?.fields.message).toBe('edge node offline');
  });

  it('a damaged payload is reported, not thrown', () => {
    const r = new SparkplugHost().handle('spBv1.0/G/NDATA/N', Buffer.from([0xff, 0xff, 0xff]), 1);
    expect(r.error).toMatch(/damaged Sparkplug payload/);
  });
});
