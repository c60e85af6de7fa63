import { describe, expect, it } from 'vitest';
import { parseRecordArguments } from '../../src/record/options.js';
import { scopeArguments } from '../../src/record/scope.js';
import { parseReplayFlags } from '../../src/replay/options.js';
import { buildProgram } from '../../src/cli.js';
import type { IiotError } from '../../src/core/errors.js';

const recordCmd = buildProgram().commands.find((c) => c.name() === 'record')!;
const parse = (line: string[]) => parseRecordArguments(scopeArguments(line, recordCmd.options), Date.parse('2026-11-25T12:00:00Z'));

function usage(fn: () => unknown): IiotError {
  try {
    fn();
  } catch (err) {
    expect((err as IiotError).exitCode).toBe(2);
    return err as IiotError;
  }
  throw new Error('expected a usage error');
}

describe('record: options after a source belong to it', () => {
  it("Priya's command: --tags goes to the PLC, --map to the meter, -o and --duration to the recording", () => {
    const o = parse([
      'opc.tcp://127.0.0.1:4840',
      '--tags',
      'line3.tags',
      'modbus-rtu:///dev/ttyUSB0?unit=3',
      '--map',
      'sdm630',
      '-o',
      'sat.jsonl.gz',
      '--duration',
      '2h',
    ]);
    expect(o.output).toBe('sat.jsonl.gz');
    expect(o.durationMs).toBe(7_200_000);
    expect(o.sources.map((s) => s.protocol)).toEqual(['opcua', 'modbus']);
    const [plc, meter] = o.sources;
    expect(plc!.protocol === 'opcua' && plc!.options.tagLists).toEqual(['line3.tags']);
    expect(meter!.protocol === 'modbus' && [meter!.options.id, meter!.options.map, meter!.options.target.url]).toEqual([
      'sdm630',
      'sdm630',
      'modbus-rtu:///dev/ttyUSB0?baud=9600&parity=none&unit=3',
    ]);
  });

  it('options before the first source apply to every source they fit', () => {
    const o = parse([
      '--interval',
      '500ms',
      '--map',
      'sdm630',
      'modbus://127.0.0.1:5020?unit=1',
      'modbus://127.0.0.1:5020?unit=2',
      '--map',
      'pm5000',
      '-o',
      'x.jsonl',
    ]);
    expect(o.sources.map((s) => s.protocol === 'modbus' && [s.options.id, s.options.map, s.options.intervalMs])).toEqual([
      ['sdm630', 'sdm630', 500],
      ['pm5000', 'pm5000', 500],
    ]);
  });

  it('repeatable options collect; each source keeps its own', () => {
    const o = parse([
      'mqtt://127.0.0.1:1883',
      '--topic',
      'plant/#',
      '--topic',
      'spBv1.0/#',
      '--raw',
      '--json-path',
      'plant/+/x=$.v',
      'opc.tcp://127.0.0.1:4840',
      '--node',
      'ns=2;s=a',
      '--node',
      '/Objects/2:Plant/2:B',
      '-o',
      'x.jsonl',
    ]);
    const [mqtt, opc] = o.sources;
    expect(mqtt!.protocol === 'mqtt' && [mqtt!.options.topics, mqtt!.options.raw, mqtt!.options.jsonPaths, mqtt!.options.qos]).toEqual([
      ['plant/#', 'spBv1.0/#'],
      true,
      [{ filter: 'plant/+/x', path: '$.v' }],
      1,
    ]);
    expect(opc!.protocol === 'opcua' && opc!.options.nodes).toEqual(['ns=2;s=a', '/Objects/2:Plant/2:B']);
  });

  it('OPC UA settings, deadband and history range become typed values', () => {
    const o = parse([
      'opc.tcp://127.0.0.1:4840',
      '--node',
      'i=2258',
      '--sampling-interval',
      '250ms',
      '--deadband',
      '2%',
      '--queue-size',
      '5',
      '--history',
      '--from',
      'now-1h',
      '--security-mode',
      'none',
      '-o',
      'x.jsonl',
    ]);
    const s = o.sources[0]!;
    expect(
      s.protocol === 'opcua' && [
        s.options.samplingMs,
        s.options.publishingMs,
        s.options.deadband,
        s.options.queueSize,
        s.options.history,
        s.options.connect.securityMode,
      ],
    ).toEqual([250, 250, { kind: 'percent', value: 2 }, 5, { from: Date.parse('2026-11-25T11:00:00Z') }, 'None']);
  });

  it('refuses options that do not fit the source they follow, in one line', () => {
    expect(usage(() => parse(['mqtt://127.0.0.1', '--map', 'sdm630', '-o', 'x.jsonl'])).message).toBe(
      '--map is for Modbus sources, not for MQTT source mqtt://127.0.0.1:1883',
    );
    expect(usage(() => parse(['--topic', 'a/#', 'opc.tcp://127.0.0.1', '--node', 'i=85', '-o', 'x.jsonl'])).message).toBe(
      '--topic is for MQTT sources, and none is given',
    );
  });

  it('bad input: no map, unknown decoder, bad topic filter, a password in argv, wrong output name', () => {
    expect(usage(() => parse(['modbus://127.0.0.1', '-o', 'x.jsonl'])).hint).toMatch(/--map NAME/);
    expect(usage(() => parse(['mqtt://127.0.0.1', '--decoder', 'protobuf', '-o', 'x.jsonl'])).message).toMatch(
      /unknown decoder "protobuf"/,
    );
    expect(usage(() => parse(['mqtt://127.0.0.1', '--topic', 'a/#/b', '-o', 'x.jsonl'])).message).toMatch(
      /# must be a whole level, and the last/,
    );
    expect(usage(() => parse(['mqtt://127.0.0.1', '--user', 'u', '--password', 'secret', '-o', 'x.jsonl'])).message).toMatch(
      /--password is refused/,
    );
    expect(usage(() => parse(['mqtt://127.0.0.1', '-o', 'x.csv'])).message).toMatch(/ends in \.jsonl or \.jsonl\.gz/);
    expect(usage(() => parse(['opc.tcp://127.0.0.1', '-o', 'x.jsonl'])).message).toBe('opc.tcp://127.0.0.1:4840: what should be recorded?');
    expect(usage(() => parse(['mqtt://127.0.0.1', '--decoder', 'none', '-o', 'x.jsonl'])).hint).toMatch(/--raw/);
  });

  it('sources of one protocol get distinct ids; two --id alike are refused', () => {
    const o = parse(['mqtt://127.0.0.1:1883', 'mqtt://127.0.0.2:1883', '-o', 'x.jsonl']);
    expect(o.sources.map((s) => s.options.id)).toEqual(['mqtt', 'mqtt-2']);
    expect(usage(() => parse(['mqtt://127.0.0.1', '--id', 'a', 'mqtt://127.0.0.2', '--id', 'a', '-o', 'x.jsonl'])).message).toMatch(
      /used by two sources/,
    );
  });
});

describe('replay: --to is the sink, and a time there ends the range', () => {
  const base = { host: '127.0.0.1', timestamps: 'recorded' as const, payload: 'json' as const };
  const now = Date.parse('2026-11-25T12:00:00Z');

  it('sinks and defaults', () => {
    // as `iiot sim`: the default security profile, and this machine's iiot client trusted
    expect(parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua'] }, now).sink).toEqual({
      kind: 'opcua',
      host: '127.0.0.1',
      port: 4840,
      pkiDir: undefined,
      acceptAnyClientCert: false,
      profile: 'default',
      trustLocalClient: true,
    });
    expect(
      parseReplayFlags(
        ['a.jsonl'],
        { ...base, to: ['opcua'], nodeset: 'plc.xml', profile: 'hardened', user: 'operator', passwordFile: 'pw', trustLocalClient: false },
        now,
      ).sink,
    ).toEqual({
      kind: 'opcua',
      host: '127.0.0.1',
      port: 4840,
      pkiDir: undefined,
      acceptAnyClientCert: false,
      nodeset: 'plc.xml',
      profile: 'hardened',
      user: { name: 'operator', passwordEnv: 'IIOT_PASSWORD', passwordFile: 'pw' },
      trustLocalClient: false,
    });
    expect(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['modbus'], trustLocalClient: false }, now)).toThrow(
      '--no-trust-local-client is for --to opcua',
    );
    expect(parseReplayFlags(['a.jsonl'], { ...base, to: ['modbus'], port: '0' }, now).sink).toEqual({
      kind: 'modbus',
      host: '127.0.0.1',
      port: 0,
      map: undefined,
      unit: 1,
    });
    const mqtt = parseReplayFlags(['a.jsonl'], { ...base, to: ['mqtt://127.0.0.1:1884'], qos: '1', retain: true }, now).sink;
    expect(mqtt.kind === 'mqtt' && [mqtt.broker?.target.url, mqtt.qos, mqtt.retain]).toEqual(['mqtt://127.0.0.1:1884', 1, true]);
  });

  it('--to TIME (or --until) with --from cut the range', () => {
    const o = parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua', '2026-11-25T11:00:00Z'], from: 'now-2h' }, now);
    expect([o.from, o.to]).toEqual([Date.parse('2026-11-25T10:00:00Z'), Date.parse('2026-11-25T11:00:00Z')]);
    expect(
      usage(() =>
        parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua'], from: '2026-11-25T11:00:00Z', until: '2026-11-25T10:00:00Z' }, now),
      ).message,
    ).toMatch(/is not before/);
  });

  it('refuses what cannot be', () => {
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base }, now)).message).toMatch(/where to\?/);
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua', 'mqtt'] }, now)).message).toMatch(/two sinks/);
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['opc.tcp://127.0.0.1:4840'] }, now)).message).toMatch(
      /serves OPC UA and Modbus itself/,
    );
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['mqtt'], map: 'x.yaml' }, now)).message).toBe(
      '--map is for --to modbus',
    );
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua'], speed: '0' }, now)).message).toMatch(/--speed 0/);
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['modbus'], nodeset: 'plc.xml' }, now)).message).toBe(
      '--nodeset is for --to opcua',
    );
    expect(usage(() => parseReplayFlags(['a.jsonl'], { ...base, to: ['opcua'], passwordFile: 'pw' }, now)).message).toMatch(
      /go with --user/,
    );
  });
});
