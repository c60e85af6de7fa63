/**
 * `iiot check latency` against real servers on loopback: the plant's Modbus TCP server and OPC UA
 * server, plain TCP, and servers that misbehave (drop the connection mid-check, never answer,
 * nothing listening). No latency value is asserted against a time: only counts, structure, and
 * thresholds that cannot pass (0 ms) or cannot fail (10 s).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { runLatencyCheck } from '../../src/checks/latency/run.js';
import { latencyJson, renderLatency } from '../../src/checks/latency/render.js';
import { parseLatencyOptions, type LatencyFlags } from '../../src/checks/options.js';
import { makeStyler } from '../../src/render/color.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { captureIO } from '../helpers/io.js';
import { closedPort, tcpServer } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let plant: RunningPlant;
let pkiEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  plant = await startPlant({
    opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: tempDir('server-pki') },
    modbus: { port: 0, unknownUnit: 'ignore' },
    mqtt: false,
  });
  pkiEnv = { IIOT_PKI_DIR: tempDir('client-pki') };
}, 60_000);

afterAll(async () => {
  await plant?.stop();
  removeTempDirs();
});

async function run(args: string[], flags: LatencyFlags, env: NodeJS.ProcessEnv = {}) {
  const { io } = captureIO({}, env);
  return runLatencyCheck(io, parseLatencyOptions(args, { interval: '2ms', ...flags }));
}

describe('latency: Modbus', () => {
  it('measures TCP connect and one-register reads, with statistics, histogram and JSON', async () => {
    const url = `${plant.endpoints.modbus!}?unit=1`;
    const r = await run([url], { count: '30', connectCount: '3', registerType: 'input', register: '0' });
    const t = r.targets[0]!;
    expect(t.status).toBe('measured');
    expect(t.series.map((s) => [s.name, s.label, s.sent, s.received])).toEqual([
      ['tcp-connect', 'TCP connect', 3, 3],
      ['read', 'read FC4 @0', 30, 30],
    ]);
    const s = t.series[1]!;
    expect(s.notes).toEqual([]);
    expect(s.stats!.count).toBe(30);
    expect(s.stats!.min).toBeLessThanOrEqual(s.stats!.p50);
    expect(s.stats!.p50).toBeLessThanOrEqual(s.stats!.p95);
    expect(s.stats!.p95).toBeLessThanOrEqual(s.stats!.p99);
    expect(s.stats!.p99).toBeLessThanOrEqual(s.stats!.max);
    expect(s.histogram!.reduce((a, b) => a + b.count, 0)).toBe(30);
    const json = latencyJson(r) as { targets: Array<{ series: Array<{ samplesMs: number[]; stats: Record<string, number> }> }> };
    expect(json.targets[0]!.series[1]!.samplesMs).toHaveLength(30);
    const text = renderLatency(r, makeStyler(false), true);
    expect(text).toContain('read FC4 @0');
    expect(text).toMatch(/TARGET\s+SERIES\s+SENT\s+LOST\s+MIN\s+P50\s+P95\s+P99\s+MAX\s+MEAN\s+STDDEV\s+JITTER/);
    expect(text).toContain('█');
  });

  it('an exception answer is a round trip, reported with a note', async () => {
    const r = await run([`${plant.endpoints.modbus!}?unit=1`], { count: '3', register: '65000' });
    const s = r.targets[0]!.series[1]!;
    expect(s.received).toBe(3);
    expect(s.notes[0]).toContain('exception 02 (illegal data address)');
  });

  it('thresholds: --max-p99 0ms fails (exit 1), 10s passes; per-target values override the global one', async () => {
    const url = `${plant.endpoints.modbus!}?unit=1`;
    const fail = await run([url], { count: '5', maxP99: ['0ms'] });
    expect(fail.failed).toBe(true);
    expect(fail.exitCode).toBe(ExitCode.CheckFailed);
    expect(fail.targets[0]!.thresholds).toEqual([{ kind: 'p99', series: 'read', limit: 0, value: expect.any(Number), ok: false }]);
    const pass = await run([url], { count: '5', maxP99: ['10s'], maxLoss: ['0'] });
    expect(pass.exitCode).toBe(ExitCode.Ok);
    expect(pass.targets[0]!.thresholds.map((t) => t.ok)).toEqual([true, true]);
    const override = await run([url], { count: '5', maxP99: ['0ms', `${url}=10s`] });
    expect(override.exitCode).toBe(ExitCode.Ok);
  });

  it('a unit that never answers: timeouts counted as losses; --max-loss 0 fails', async () => {
    const r = await run([`${plant.endpoints.modbus!}?unit=77`], { count: '3', timeout: '100ms', maxLoss: ['0'], connectCount: '1' });
    const s = r.targets[0]!.series[1]!;
    expect([s.sent, s.received, s.timeouts, s.lossPercent]).toEqual([3, 0, 3, 100]);
    expect(s.stats).toBeUndefined();
    expect(r.targets[0]!.thresholds).toEqual([{ kind: 'loss', series: 'read', limit: 0, value: 100, ok: false }]);
    expect(r.exitCode).toBe(ExitCode.CheckFailed);
  });

  it('a device that drops the connection mid-check: the rest counted lost, target measured in part', async () => {
    let answered = 0;
    const server = await tcpServer((sock) => {
      sock.on('data', (frame: Buffer) => {
        if (answered >= 4) return void sock.destroy();
        answered++;
        // echo the MBAP header, answer FC3 with one register
        const reply = Buffer.from([frame[0]!, frame[1]!, 0, 0, 0, 5, frame[6]!, 3, 2, 0, 42]);
        sock.write(reply);
      });
    });
    try {
      const r = await run([`modbus://127.0.0.1:${server.port}?unit=1`], { count: '10', connectCount: '0' });
      const t = r.targets[0]!;
      expect(t.status).toBe('partial');
      const s = t.series.find((x) => x.name === 'read')!;
      expect([s.sent, s.received]).toEqual([10, 4]);
      expect(s.notes.join(' ')).toContain('the connection was lost after 4 round trips');
      expect(t.reason).toContain('lost after 4 of 10');
      expect(r.exitCode).toBe(ExitCode.Unreachable);
    } finally {
      await server.stop();
    }
  });
});

describe('latency: OPC UA, TCP, unreachable', () => {
  it('OPC UA: session set-up, Read of CurrentTime, clock offset', async () => {
    const r = await run([plant.endpoints.opcua!], { count: '10', securityMode: 'None', connectCount: '2' }, pkiEnv);
    const t = r.targets[0]!;
    expect(t.status).toBe('measured');
    expect(t.series.map((s) => [s.name, s.received])).toEqual([
      ['tcp-connect', 2],
      ['read-current-time', 10],
    ]);
    expect(t.setup[0]!.name).toBe('read-current-time set-up');
    expect(t.details['read-current-time']).toMatchObject({ securityMode: 'None', securityPolicy: 'None', identity: 'anonymous' });
    expect(t.clockOffset!.samples).toBe(10);
    // same machine, same clock: the offset is within the round trip plus the server's clock resolution
    expect(Math.abs(t.clockOffset!.medianMs)).toBeLessThan(1000);
    expect(renderLatency(r, makeStyler(false), false)).toMatch(/clock offset: server (ahead|behind) by/);
  });

  it('OPC UA with an untrusted server certificate: not measured, and the hint says how to trust it', async () => {
    const r = await run(
      [plant.endpoints.opcua!],
      { count: '2', connectCount: '1', securityMode: 'SignAndEncrypt' },
      { IIOT_PKI_DIR: tempDir('fresh-pki') },
    );
    const t = r.targets[0]!;
    expect(t.status).toBe('partial');
    expect(t.reason).toContain("the server's certificate is not trusted");
    expect(t.hint).toContain('iiot pki trust');
    expect(r.exitCode).toBe(ExitCode.Unreachable);
  });

  it('tcp:// targets measure connect times; a closed port is "not measured" in one line', async () => {
    const port = Number(new URL(plant.endpoints.modbus!.replace('modbus:', 'http:')).port);
    const dead = await closedPort();
    const r = await run([`tcp://127.0.0.1:${port}`, `tcp://127.0.0.1:${dead}`], { count: '4', maxP99: ['10s'] });
    expect(r.targets[0]!.series.map((s) => [s.name, s.kind, s.received])).toEqual([['tcp-connect', 'round-trip', 4]]);
    expect(r.targets[1]!.status).toBe('unreachable');
    expect(r.targets[1]!.reason).toBe(`nothing is listening at 127.0.0.1:${dead} (connection refused)`);
    // the threshold of the unmeasured target is not judged, and not counted as passed or failed
    expect(r.targets[1]!.thresholds).toEqual([{ kind: 'p99', series: 'tcp-connect', limit: 10_000, value: null, ok: true }]);
    expect(r.exitCode).toBe(ExitCode.Unreachable);
    expect(renderLatency(r, makeStyler(false), false)).toContain('not judged');
  });
});

describe('latency: Modbus RTU over a serial line', () => {
  it('measures one-register reads through a pseudo-terminal pair (no TCP connect)', async () => {
    const { ptyPair } = await import('../helpers/pty.js');
    const pair = await ptyPair(tempDir('pty'));
    const rtu = await startPlant({
      opcua: false,
      modbus: false,
      mqtt: false,
      rtu: { path: pair.b, baudRate: 19200, parity: 'even', unitId: 5 },
    });
    try {
      const r = await run([`modbus-rtu://${pair.a}?baud=19200&parity=even&unit=5`], { count: '4', registerType: 'input', timeout: '1s' });
      const t = r.targets[0]!;
      expect(t.status).toBe('measured');
      expect(t.series.map((s) => [s.name, s.received])).toEqual([['read', 4]]);
      expect(t.setup.map((s) => s.name)).toEqual(['read set-up']);
      expect(t.details.read).toMatchObject({ unit: 5, function: 4, baud: 19200 });
    } finally {
      await rtu.stop();
      await pair.stop();
    }
  });
});
