import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { CaptureRecord, RawLine, SampleLine } from '../../src/capture/types.js';
import { parseTarget, type ModbusTcpTarget } from '../../src/core/targets.js';
import { encodeSparkplug } from '../../src/protocols/mqtt/sparkplug-codec.js';
import { record } from '../../src/record/run.js';
import { replay, runReplay } from '../../src/replay/run.js';
import { virtualClock } from '../../src/replay/clock.js';
import type { ReplayOptions } from '../../src/replay/options.js';
import { startPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { mbpollValues, runTool } from '../helpers/peer-tools.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor } from '../helpers/record-io.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { watchOutput, writeCapture } from '../helpers/write-capture.js';

const dir = tempDir('replay');
const env = { IIOT_PKI_DIR: tempDir('replay-pki') };
const children: ChildProcess[] = [];
let mosquitto: Awaited<ReturnType<typeof startMosquitto>>;

beforeAll(async () => {
  mosquitto = await startMosquitto({ dir });
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await mosquitto?.stop();
  removeTempDirs();
});

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();

function replayOptions(files: string[], sink: ReplayOptions['sink'], extra: Partial<ReplayOptions> = {}): ReplayOptions {
  return { files, allParts: false, sink, speed: 1, maxSpeed: false, loop: false, tags: [], timestamps: 'recorded', ...extra };
}

function spawnCli(args: string[]): ChildProcess {
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.resume();
  children.push(child);
  return child;
}

describe('replay to OPC UA, read back with `iiot read`', () => {
  it('recorded node ids at their recorded namespace index, values, status codes and source timestamps', async () => {
    const file = join(dir, 'opcua.jsonl');
    const tags = [
      {
        name: 'Plant.Incomer.ActivePower',
        source: 'plc',
        address: 'ns=5;s=plant.power',
        namespaceUri: 'urn:iiot:sim:plant',
        dataType: 'float64',
        opcuaType: 'Double',
        unit: 'kW',
        range: [0, 125] as [number, number],
        path: '/Objects/5:Plant/5:Incomer/5:ActivePower',
      },
      {
        name: 'pump1.running',
        source: 'plc',
        address: 'ns=5;s=pump1.running',
        namespaceUri: 'urn:iiot:sim:plant',
        dataType: 'bool',
        opcuaType: 'Boolean',
      },
      {
        name: 'counter',
        source: 'plc',
        address: 'ns=5;i=4711',
        namespaceUri: 'urn:iiot:sim:plant',
        dataType: 'uint32',
        opcuaType: 'UInt32',
      },
      // 64-bit counters above 2^53 are recorded as decimal strings; served exactly, not rounded
      {
        name: 'energy.wh',
        source: 'plc',
        address: 'ns=5;i=4712',
        namespaceUri: 'urn:iiot:sim:plant',
        dataType: 'int64',
        opcuaType: 'Int64',
      },
      {
        name: 'energy.max',
        source: 'plc',
        address: 'ns=5;i=4713',
        namespaceUri: 'urn:iiot:sim:plant',
        dataType: 'uint64',
        opcuaType: 'UInt64',
      },
      {
        name: 'sdm630.frequency',
        source: 'sdm630',
        address: 'ir:0x0046',
        dataType: 'float32',
        modbus: { unit: 1, table: 'input', address: 70, type: 'float32', order: 'ABCD', length: 2, scale: 1, offset: 0 },
      },
    ];
    const records: CaptureRecord[] = [
      { t: iso(T0), tag: 'Plant.Incomer.ActivePower', v: 81.25, svt: iso(T0 + 3) },
      { t: iso(T0), tag: 'pump1.running', v: true },
      { t: iso(T0), tag: 'counter', v: 17, q: 'UncertainLastUsableValue' },
      { t: iso(T0), tag: 'sdm630.frequency', v: 50.02 },
      { t: iso(T0), tag: 'energy.wh', v: '9007199254740993' },
      { t: iso(T0), tag: 'energy.max', v: '18446744073709551615' },
      // a minute later: nothing a reader sees while the test reads
      { t: iso(T0 + 60_000), tag: 'Plant.Incomer.ActivePower', v: 99 },
    ];
    await writeCapture(
      file,
      [
        { id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840' },
        { id: 'sdm630', protocol: 'modbus' },
      ],
      tags,
      records,
      new Date(T0),
    );
    const ac = new AbortController();
    let read: { code: number | null; stdout: string; stderr: string } | undefined;
    const r = await replay(
      testIO().io,
      replayOptions([file], {
        kind: 'opcua',
        host: '127.0.0.1',
        port: 0,
        acceptAnyClientCert: false,
        trustLocalClient: false,
        pkiDir: tempDir('replay-server-pki'),
      }),
      {
        signal: ac.signal,
        handleSignals: false,
        onReady: (endpoint) => {
          void (async () => {
            // the first records are applied as soon as the replay starts; wait until they are
            for (;;) {
              read = await runCli(
                [
                  'read',
                  endpoint,
                  'ns=5;s=plant.power',
                  'ns=5;s=pump1.running',
                  'ns=5;i=4711',
                  '/Objects/5:Plant/5:Incomer/5:ActivePower',
                  '/Objects/Replay/sdm630/sdm630.frequency',
                  'ns=5;i=4712',
                  'ns=5;i=4713',
                  '--security-mode',
                  'None',
                  '--json',
                ],
                { env },
              );
              if (!read.stdout.includes('BadWaitingForInitialData')) break;
            }
            ac.abort();
          })();
        },
      },
    );
    expect(r.stats.stopped).toBe('signal');
    expect(read!.code, read!.stderr).toBe(0);
    const values = (
      JSON.parse(read!.stdout) as { values: Array<{ value: unknown; dataType: string; status: string; sourceTimestamp: string }> }
    ).values;
    expect(values.map((v) => [v.value, v.dataType, v.status, v.sourceTimestamp])).toEqual([
      [81.25, 'Double', 'Good', iso(T0)],
      [true, 'Boolean', 'Good', iso(T0)],
      // an Uncertain value is served and read with its status beside it
      [17, 'UInt32', 'UncertainLastUsableValue', iso(T0)],
      [81.25, 'Double', 'Good', iso(T0)],
      [expect.closeTo(50.02, 5), 'Float', 'Good', iso(T0)],
      // 2^53 + 1 and 2^64 - 1: Number() would have served 9007199254740992 and 18446744073709551616
      ['9007199254740993', 'Int64', 'Good', iso(T0)],
      ['18446744073709551615', 'UInt64', 'Good', iso(T0)],
    ]);
  });
});

describe("replay to OPC UA and this machine's iiot client", () => {
  it('trusts the local iiot client certificate as iiot sim does: record from the replay over SignAndEncrypt', async () => {
    const dir = tempDir('replay-trust');
    const file = join(dir, 'in.jsonl');
    const T0 = Date.parse('2026-01-05T09:00:00.000Z');
    const records: CaptureRecord[] = [];
    for (let i = 0; i < 50; i++) records.push({ t: new Date(T0 + i * 1000).toISOString(), tag: 'line.speed', v: 1000 + i });
    await writeCapture(
      file,
      [{ id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840' }],
      [{ name: 'line.speed', source: 'plc', address: 'ns=2;s=line.speed', dataType: 'float64' }],
      records,
      new Date(T0),
    );
    const clientEnv = { IIOT_PKI_DIR: join(dir, 'client-pki') };
    const ready = join(dir, 'ready.json');
    const child = spawn(
      process.execPath,
      [BIN, 'replay', file, '--to', 'opcua', '--port', '0', '--pki-dir', join(dir, 'server-pki'), '--ready-file', ready, '--loop'],
      {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1', ...clientEnv },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    try {
      await waitFor(() => existsSync(ready) || child.exitCode !== null);
      expect(child.exitCode, stderr).toBeNull();
      expect(stderr).toMatch(/the OPC UA server trusts this machine's iiot client certificate/);
      const endpoint = (JSON.parse(readFileSync(ready, 'utf8')) as { endpoint: string }).endpoint;
      const out = join(dir, 'out.jsonl');
      // a signed and encrypted session: the server must trust the client's certificate
      const r = await runCli(
        [
          'record',
          endpoint,
          '--node',
          '/Objects/Replay/plc/line.speed',
          '--security-mode',
          'SignAndEncrypt',
          '--trust-on-first-use',
          '--count',
          '3',
          '-o',
          out,
          '--json',
        ],
        { env: clientEnv },
      );
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).not.toContain('BadSecurityChecksFailed');
      const back = await readCapture(out);
      expect(back.header.sources[0]!.options).toMatchObject({ securityMode: 'SignAndEncrypt' });
      expect(back.samples.length).toBeGreaterThanOrEqual(3);
      expect(back.samples.every((x) => typeof x.v === 'number' && x.v >= 1000 && x.v < 1050)).toBe(true);
    } finally {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('close', resolve));
    }
  });
});

describe('replay to Modbus TCP, recorded by a poller, compared with capture diff', () => {
  it('--align hold: every read is the value the replay held; one to one calls it different', async () => {
    const dir = tempDir('replay-diff');
    const a = join(dir, 'meter.jsonl');
    const T0 = Date.parse('2026-01-05T09:00:00.000Z');
    const tag = {
      name: 'm.kw',
      source: 'm',
      address: 'hr:0',
      dataType: 'float32',
      modbus: { unit: 1, table: 'holding', address: 0, type: 'float32', order: 'ABCD', length: 2, scale: 1, offset: 0 },
    };
    // six values 1 s apart, exact in float32
    await writeCapture(
      a,
      [{ id: 'm', protocol: 'modbus' }],
      [tag],
      Array.from({ length: 6 }, (_, k) => ({ t: new Date(T0 + k * 1000).toISOString(), tag: 'm.kw', v: 40 + k * 1.25 })),
      new Date(T0),
    );
    const map = join(dir, 'map.yaml');
    writeFileSync(map, 'name: meter\nregisters:\n  - { name: kw, table: holding, address: 0, type: float32 }\n');
    const b = join(dir, 'polled.jsonl');
    const ac = new AbortController();
    let recorded: Promise<unknown> | undefined;
    let shiftMs = 0;
    await replay(testIO().io, replayOptions([a], { kind: 'modbus', host: '127.0.0.1', port: 0, unit: 1 }), {
      signal: ac.signal,
      handleSignals: false,
      onReady: (endpoint) => {
        // the replay plays the capture's first record now: the shift between A's times and B's
        shiftMs = Date.now() - T0;
        // a poller every 100 ms, from the moment the replay serves, for less than the replay lasts
        recorded = record(
          testIO().io,
          {
            output: b,
            force: false,
            flushIntervalMs: 50,
            metadata: {},
            reconnectMaxMs: 500,
            live: false,
            durationMs: 4500,
            sources: [
              {
                protocol: 'modbus',
                options: {
                  id: 'm',
                  target: parseTarget(`${endpoint}?unit=1`) as ModbusTcpTarget,
                  map,
                  registers: ['kw'],
                  intervalMs: 100,
                  timeoutMs: 1000,
                  maxGap: 10,
                  maxRegisters: 125,
                },
              },
            ],
          },
          { handleSignals: false },
        );
      },
    });
    await recorded;
    const polled = await readCapture(b);
    expect(polled.samples.length).toBeGreaterThan(20);
    // The poller stopped before the replay's last value (5 s): compare up to there. The shift is
    // the replay's own (--time-shift auto would take the first read's, late on a busy machine);
    // the tolerance covers a read's latency.
    const window = ['--time-shift', `${shiftMs}ms`, '--time-tolerance', '600ms', '--to', '2026-01-05T09:00:04.500Z', '--json'];
    const hold = await runCli(['capture', 'diff', a, b, '--align', 'hold', ...window]);
    const body = JSON.parse(hold.stdout) as { equal: boolean; totals: { matched: number; extra: number; outOfTolerance: number } };
    expect(hold.code, hold.stdout).toBe(0);
    // every read inside the window (a busy machine starts the poller late, so some reads fall after it)
    const inWindow = polled.samples.filter((x) => Date.parse(x.t) - shiftMs <= Date.parse('2026-01-05T09:00:04.500Z')).length;
    expect(inWindow).toBeGreaterThan(15);
    expect(body.totals.matched).toBe(inWindow);
    const pairs = await runCli(['capture', 'diff', a, b, ...window]);
    expect(pairs.code).toBe(1);
  });
});

describe('replay to Modbus TCP, read back with mbpoll', () => {
  it('the recorded register map serves the recorded values', async () => {
    const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), timeScale: 1e-9 };
    const plant = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port: 0 } });
    const file = join(dir, 'meter.jsonl');
    try {
      await record(testIO().io, {
        output: file,
        force: false,
        flushIntervalMs: 50,
        metadata: {},
        reconnectMaxMs: 500,
        live: false,
        count: 5,
        sources: [
          {
            protocol: 'modbus',
            options: {
              id: 'sdm630',
              target: parseTarget(`${plant.endpoints.modbus}?unit=1`) as ModbusTcpTarget,
              map: 'sdm630',
              registers: ['voltage_l1', 'voltage_l2', 'voltage_l3', 'frequency', 'import_kwh'],
              intervalMs: 100,
              timeoutMs: 1000,
              maxGap: 10,
              maxRegisters: 125,
            },
          },
        ],
      });
    } finally {
      await plant.stop();
    }
    const recorded = await readCapture(file);
    const want = new Map(recorded.samples.map((s) => [s.tag, s.v as number]));
    const ac = new AbortController();
    let polled: Awaited<ReturnType<typeof runTool>> | undefined;
    let kwh: Awaited<ReturnType<typeof runTool>> | undefined;
    await replay(testIO().io, replayOptions([file], { kind: 'modbus', host: '127.0.0.1', port: 0, unit: 1 }, { loop: true }), {
      signal: ac.signal,
      handleSignals: false,
      onReady: (endpoint) => {
        const port = new URL(endpoint).port;
        void (async () => {
          const args = ['-m', 'tcp', '-p', port, '-a', '1', '-t', '3:float', '-B', '-0', '-1'];
          polled = await runTool('mbpoll', [...args, '-r', '0', '-c', '6', '127.0.0.1']);
          kwh = await runTool('mbpoll', [...args, '-r', String(0x48), '127.0.0.1']);
          ac.abort();
        })();
      },
    });
    expect(polled!.code, polled!.stderr).toBe(0);
    const got = mbpollValues(polled!.stdout);
    // mbpoll prints six significant digits
    expect(got.get(0)).toBeCloseTo(want.get('sdm630.voltage_l1')!, 2);
    expect(got.get(2)).toBeCloseTo(want.get('sdm630.voltage_l2')!, 2);
    expect(got.get(4)).toBeCloseTo(want.get('sdm630.voltage_l3')!, 2);
    expect(mbpollValues(kwh!.stdout).get(0x48)! / want.get('sdm630.import_kwh')!).toBeCloseTo(1, 5);
  });

  it('a capture whose tags no Modbus server can serve: one line, exit 2', async () => {
    const file = join(dir, 'mqtt-only.jsonl');
    await writeCapture(
      file,
      [{ id: 'mqtt', protocol: 'mqtt' }],
      [{ name: 'pump1.speed', source: 'mqtt', address: 'plant/pump1/speed' }],
      [{ t: iso(T0), tag: 'pump1.speed', v: 1480 }],
    );
    const r = await runCli(['replay', file, '--to', 'modbus', '--port', '0'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^iiot: error: the capture has no Modbus registers to serve \(its tags come from mqtt\)\n {2}hint: .*--map FILE/,
    );
  });
});

describe('a long capture', () => {
  it('--json reports the timing of a replay of more than 200 000 groups (no stack overflow at the end)', async () => {
    const file = join(dir, 'long.jsonl');
    const n = 250_000;
    const records: CaptureRecord[] = Array.from({ length: n }, (_, i) => ({ t: iso(T0 + i * 10), tag: 'm.v', v: i }));
    await writeCapture(
      file,
      [{ id: 'm', protocol: 'modbus' }],
      [
        {
          name: 'm.v',
          source: 'm',
          address: 'hr:0x0000',
          dataType: 'uint16',
          modbus: { unit: 1, table: 'holding', address: 0, type: 'uint16', order: 'ABCD', length: 1, scale: 1, offset: 0 },
        },
      ],
      records,
      new Date(T0),
    );
    const t = testIO({ json: true });
    const code = await runReplay(t.io, replayOptions([file], { kind: 'modbus', host: '127.0.0.1', port: 0, unit: 1 }), {
      clock: virtualClock(0),
      handleSignals: false,
    });
    expect(code).toBe(0);
    const doc = JSON.parse(t.stdout()) as { records: number; timing: { groups: number; p50Ms: number; p99Ms: number; maxMs: number } };
    expect(doc.records).toBe(n);
    // every record is a group of its own, each on time (virtual clock)
    expect(doc.timing).toEqual({ groups: n, p50Ms: 0, p99Ms: 0, maxMs: 0 });
  });
});

describe('replay to MQTT, read back with mosquitto_sub', () => {
  const node = 'spBv1.0/G/NBIRTH/N';
  const birth = encodeSparkplug({
    timestamp: T0,
    seq: 0,
    metrics: [
      { name: 'bdSeq', type: 'UInt64', value: 0 },
      { name: 'power', alias: 1, type: 'Double', value: 80.5 },
    ],
  });
  const raws: RawLine[] = [
    {
      t: iso(T0),
      raw: 'mqtt',
      source: 'mqtt',
      topic: 'plant/pump1/speed',
      payload: '{"t":"2026-11-25T10:00:00.000Z","v":1480.5,"unit":"rpm"}',
      enc: 'utf8',
      qos: 1,
      retain: true,
    },
    { t: iso(T0 + 100), raw: 'mqtt', source: 'mqtt', topic: node, payload: birth.toString('base64'), enc: 'base64', qos: 0, retain: false },
    { t: iso(T0 + 200), raw: 'mqtt', source: 'mqtt', topic: 'plant/odd', payload: '  21.5\r\n', enc: 'utf8', qos: 0, retain: false },
  ];

  it("byte-exact from raw lines, with their QoS and retain flag, to Debian's mosquitto", async () => {
    const file = join(dir, 'raw.jsonl');
    const decoded: SampleLine = { t: iso(T0), tag: 'pump1.speed', v: 1480.5 };
    await writeCapture(
      file,
      [{ id: 'mqtt', protocol: 'mqtt' }],
      [{ name: 'pump1.speed', source: 'mqtt', address: 'plant/pump1/speed' }],
      [raws[0]!, decoded, raws[1]!, raws[2]!],
    );
    // a subscriber before the replay starts: it sees every message once (the decoded sample is not published again)
    // mosquitto_sub says nothing when it has subscribed: it is ready once it prints a probe
    // message published to it (on a topic of its own), however slow the machine is
    const ready = `iiot-test/ready-${process.pid}`;
    const sub = spawn(
      'mosquitto_sub',
      [
        '-h',
        '127.0.0.1',
        '-p',
        String(mosquitto.port),
        '-t',
        'plant/#',
        '-t',
        'spBv1.0/#',
        '-t',
        ready,
        '-F',
        '%t|%q|%x',
        '-q',
        '1',
        '-W',
        '60',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.push(sub);
    const seen = watchOutput(sub);
    const isProbe = (l: string) => l.startsWith(`${ready}|`);
    for (let i = 0; !seen.lines.some(isProbe); i++) {
      if (sub.exitCode !== null) throw new Error(`mosquitto_sub ended (${sub.exitCode}) before it was ready`);
      // a probe sent before it subscribed is lost: send another every half second until one arrives
      if (i % 10 === 0) await runTool('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-t', ready, '-m', 'x']);
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await runCli(['replay', file, '--to', mosquitto.url, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema: 'iiot.replay/1', sink: 'mqtt', records: 4, raw: 3, samples: 1, stopped: 'end' });
    const messages = () => seen.lines.filter((l) => !isProbe(l));
    await waitFor(() => messages().length >= 3);
    sub.kill();
    const hex = (s: string) => Buffer.from(s, 'utf8').toString('hex');
    expect(messages()).toEqual([
      `plant/pump1/speed|1|${hex(raws[0]!.payload)}`,
      `${node}|0|${birth.toString('hex')}`,
      `plant/odd|0|${hex('  21.5\r\n')}`,
    ]);
    // the retained one is still there for a late subscriber, flagged as retained
    const late = await runTool('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(mosquitto.port),
      '-t',
      'plant/pump1/speed',
      '-F',
      '%r|%p',
      '-C',
      '1',
      '-W',
      '10',
    ]);
    expect(late.stdout.trim()).toBe(`1|${raws[0]!.payload}`);
  });

  it('to an embedded broker when none is given; samples as {"t","v"} on their recorded topics', async () => {
    const file = join(dir, 'samples.jsonl');
    const tags = [
      { name: 'pump1.speed', source: 'mqtt', address: 'plant/pump1/speed', mqtt: { topic: 'plant/pump1/speed' } },
      { name: 'Plant.Power', source: 'plc', address: 'ns=5;s=plant.power' },
    ];
    await writeCapture(
      file,
      [
        { id: 'mqtt', protocol: 'mqtt' },
        { id: 'plc', protocol: 'opcua' },
      ],
      tags,
      [
        { t: iso(T0), tag: 'pump1.speed', v: 1480 },
        { t: iso(T0), tag: 'Plant.Power', v: 81.5, q: 'UncertainLastUsableValue' },
        { t: iso(T0 + 400), tag: 'pump1.speed', v: 1490 },
      ],
    );
    const ready = join(dir, 'ready.json');
    const child = spawnCli([
      'replay',
      file,
      '--to',
      'mqtt',
      '--port',
      '0',
      '--ready-file',
      ready,
      '--loop',
      '--retain',
      '--topic-prefix',
      'replay',
    ]);
    await waitFor(() => existsSync(ready));
    const info = JSON.parse(readFileSync(ready, 'utf8')) as { schema: string; endpoint: string; sink: string };
    expect(info).toMatchObject({ schema: 'iiot.replay.ready/1', sink: 'mqtt' });
    const port = new URL(info.endpoint).port;
    const r = await runTool('mosquitto_sub', [
      '-h',
      '127.0.0.1',
      '-p',
      port,
      '-t',
      'plant/#',
      '-t',
      'replay/#',
      '-v',
      '-C',
      '4',
      '-W',
      '20',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const got = r.stdout
      .trim()
      .split('\n')
      .map((l) => [l.slice(0, l.indexOf(' ')), JSON.parse(l.slice(l.indexOf(' ') + 1)) as Record<string, unknown>] as const);
    expect(got.some(([topic, p]) => topic === 'replay/Plant/Power' && p.v === 81.5 && p.q === 'UncertainLastUsableValue')).toBe(true);
    expect(got.some(([topic, p]) => topic === 'plant/pump1/speed' && (p.v === 1480 || p.v === 1490))).toBe(true);
    child.kill('SIGTERM');
    await new Promise((resolve) => child.once('close', resolve));
    expect(child.exitCode).toBe(0);
    expect(existsSync(ready)).toBe(false);
  });

  it('the CI check: what a recorder gets from a replay equals the capture (iiot capture diff)', async () => {
    const a = join(dir, 'expected.jsonl');
    const records: CaptureRecord[] = [];
    for (let i = 0; i < 20; i++) {
      records.push({ t: iso(T0 + i * 100), tag: 'line.speed', v: 1000 + i });
      records.push({ t: iso(T0 + i * 100), tag: 'line.temp', v: 40 + i / 10 });
    }
    await writeCapture(
      a,
      [{ id: 'gw', protocol: 'mqtt' }],
      [
        { name: 'line.speed', source: 'gw', address: 'ci/line/speed', mqtt: { topic: 'ci/line/speed' } },
        { name: 'line.temp', source: 'gw', address: 'ci/line/temp', mqtt: { topic: 'ci/line/temp' } },
      ],
      records,
    );
    const b = join(dir, 'out.jsonl');
    // --duration only bounds a failure: the recorder stops at 40 samples when nothing is lost
    const rec = spawnCli([
      'record',
      mosquitto.url,
      '--topic',
      'ci/#',
      '-o',
      b,
      '--count',
      '40',
      '--duration',
      '40s',
      '--flush-interval',
      '50ms',
    ]);
    const recOut = watchOutput(rec);
    // the start event is written once the broker has granted the subscription
    await waitFor(() => existsSync(b) && readFileSync(b, 'utf8').includes('"event":"start"'));
    const r = await runCli(['replay', a, '--to', mosquitto.url, '--qos', '1'], { env });
    expect(r.code, r.stderr).toBe(0);
    await new Promise((resolve) => rec.once('close', resolve));
    expect(rec.exitCode).toBe(0);
    expect(recOut.lines.join('\n')).toMatch(/40 samples/);
    const diff = await runCli(['capture', 'diff', a, b, '--tolerance', '0.1%'], { env });
    expect(diff.code, diff.stdout + diff.stderr).toBe(0);
  });
});
