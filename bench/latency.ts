// `iiot check latency` and `iiot check security`: know what we measure.
//  1. Modbus/TCP on loopback: iiot's one-register round trip against mbpoll (C, libmodbus) talking
//     to the same server process in the same run. mbpoll reports no timing, so its round trips are
//     read from `strace -ttt -T` (send of the request to the end of the last recv of the answer;
//     strace adds its own cost per system call, so this is an upper bound) with the in-kernel wait
//     for the answer (pselect6) as a lower bound.
//  2. MQTT on loopback, publish -> receive at QoS 0 and 1: iiot (one connection, publisher =
//     subscriber) against mosquitto_pub -l | mosquitto_sub (two connections, C), through mosquitto
//     with its default (Nagle on) and with set_tcp_nodelay true, and through aedes.
//  3. The tool's own cost: statistics, histogram and mode detection for 10,000 samples, and the
//     per-sample bookkeeping of the measuring loop, against the Modbus round trip.
//  4. 50 targets (40 Modbus devices and 10 brokers, each on its own loopback address) checked with
//     the default politeness: wall time of `check security` and `check latency`.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { runLatencyCheck } from '../src/checks/latency/run.js';
import { parseLatencyOptions, parseSecurityOptions } from '../src/checks/options.js';
import { runSecurityCheck } from '../src/checks/security/run.js';
import { computeStats, detectDelayedAckMode, histogram, quantile } from '../src/checks/stats.js';
import { createIO } from '../src/core/io.js';
import { freePort } from '../src/protocols/listen.js';
import { startBroker } from '../src/protocols/mqtt/broker.js';
import { BIN, fmt, markdownTable, median } from './lib.js';
import { PassThrough } from 'node:stream';

const N_MODBUS = Number(process.env.BENCH_MODBUS ?? 2000);
const N_MQTT = Number(process.env.BENCH_MQTT ?? 300);
const work = mkdtempSync(join(tmpdir(), 'iiot-bench-latency-'));
const children: ChildProcess[] = [];
const quiet = () => createIO({ quiet: true }, { stdout: new PassThrough(), stderr: new PassThrough(), env: { NO_COLOR: '1' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function p(xs: number[], q: number): number {
  return quantile(Float64Array.from(xs).sort(), q);
}

async function waitForFile(file: string): Promise<string> {
  for (;;) {
    try {
      const t = readFileSync(file, 'utf8');
      if (t.trim()) return t;
    } catch {
      // not yet
    }
    await sleep(50);
  }
}

async function startSimModbus(): Promise<string> {
  const ready = join(work, 'sim.json');
  const child = spawn(process.execPath, [BIN, 'sim', '--no-opcua', '--no-mqtt', '--modbus-port', '0', '--ready-file', ready, '--quiet'], {
    stdio: 'ignore',
  });
  children.push(child);
  return (JSON.parse(await waitForFile(ready)) as { endpoints: { modbus: string } }).endpoints.modbus;
}

async function startMosquitto(nodelay: boolean): Promise<number> {
  const port = await freePort('127.0.0.1');
  const conf = join(work, `mosquitto-${port}.conf`);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      'persistence false',
      `user ${userInfo().username}`,
      ...(nodelay ? ['set_tcp_nodelay true'] : []),
    ].join('\n') + '\n',
  );
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  children.push(child);
  await sleep(300);
  return port;
}

async function startAedesProcess(nagle = false): Promise<string> {
  const ready = join(work, `aedes${nagle ? '-nagle' : ''}.json`);
  const child = spawn(
    process.execPath,
    [
      BIN,
      'sim',
      '--no-opcua',
      '--no-modbus',
      '--no-json-topics',
      '--no-sparkplug',
      '--mqtt-port',
      '0',
      '--ready-file',
      ready,
      '--quiet',
      ...(nagle ? ['--mqtt-nagle'] : []),
    ],
    { stdio: 'ignore' },
  );
  children.push(child);
  return (JSON.parse(await waitForFile(ready)) as { endpoints: { mqtt: string } }).endpoints.mqtt;
}

/** mbpoll under strace: per request, send -> end of the answer, and the in-kernel wait. */
async function mbpollRoundTrips(port: number, n: number): Promise<{ rtt: number[]; wait: number[] }> {
  const trace = join(work, 'mbpoll.strace');
  // stdbuf: mbpoll's stdout is a pipe here, and block-buffered it would not show its polls.
  // Own process group: killing strace alone would detach and leave mbpoll polling.
  const child = spawn(
    'strace',
    [
      '-ttt',
      '-T',
      '-e',
      'trace=sendto,pselect6,recvfrom',
      '-o',
      trace,
      'stdbuf',
      '-oL',
      'mbpoll',
      '-m',
      'tcp',
      '-a',
      '3',
      '-t',
      '4',
      '-r',
      '1',
      '-c',
      '1',
      '-l',
      '11',
      '-o',
      '1',
      '-p',
      String(port),
      '127.0.0.1',
    ],
    { stdio: ['ignore', 'pipe', 'ignore'], detached: true },
  );
  let polls = 0;
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (polls += (d.match(/^\[1\]:/gm) ?? []).length));
  const deadline = performance.now() + n * 50 + 10_000;
  while (polls < n + 1 && performance.now() < deadline) await sleep(20);
  const exited = new Promise((r) => child.once('exit', r));
  process.kill(-child.pid!, 'SIGTERM');
  await exited;
  const rtt: number[] = [];
  const wait: number[] = [];
  let sendAt: number | undefined;
  let lastEnd = 0;
  let firstWait: number | undefined;
  for (const line of readFileSync(trace, 'utf8').split('\n')) {
    const m = /^(\d+\.\d+) (\w+)\(.*<(\d+\.\d+)>$/.exec(line);
    if (!m) continue;
    const t = Number(m[1]) * 1000;
    const d = Number(m[3]) * 1000;
    if (m[2] === 'sendto') {
      if (sendAt !== undefined && lastEnd > sendAt) {
        rtt.push(lastEnd - sendAt);
        if (firstWait !== undefined) wait.push(firstWait);
      }
      sendAt = t;
      firstWait = undefined;
    } else if (m[2] === 'pselect6' && sendAt !== undefined && firstWait === undefined) {
      firstWait = d;
    } else if (m[2] === 'recvfrom') {
      lastEnd = t + d;
    }
  }
  return { rtt: rtt.slice(1), wait: wait.slice(1) };
}

/** mosquitto_pub -l | broker | mosquitto_sub: write a line, time until it comes out of the subscriber. */
async function mosquittoClients(port: number, qos: 0 | 1, n: number): Promise<number[]> {
  const topic = `bench/${process.pid}/${qos}`;
  const sub = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-q', String(qos), '-t', topic], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const pub = spawn('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-q', String(qos), '-t', topic, '-l'], {
    stdio: ['pipe', 'ignore', 'ignore'],
  });
  children.push(sub, pub);
  await sleep(500);
  let waiting: ((t: number) => void) | undefined;
  let buf = '';
  sub.stdout!.setEncoding('utf8').on('data', (d: string) => {
    const now = performance.now();
    buf += d;
    if (buf.includes('\n')) {
      buf = buf.slice(buf.lastIndexOf('\n') + 1);
      waiting?.(now);
    }
  });
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const got = new Promise<number>((resolve) => (waiting = resolve));
    const t0 = performance.now();
    pub.stdin!.write(`${i}\n`);
    const t1 = await Promise.race([got, sleep(2000).then(() => Number.NaN)]);
    if (!Number.isNaN(t1)) out.push(t1 - t0);
  }
  pub.stdin!.end();
  sub.kill('SIGTERM');
  pub.kill('SIGTERM');
  return out;
}

async function iiotSeries(url: string, flags: Record<string, string>, count: number): Promise<Record<string, number[]>> {
  const r = await runLatencyCheck(
    quiet(),
    parseLatencyOptions([url], { count: String(count), interval: '0ms', connectCount: '0', ...flags }),
  );
  return Object.fromEntries(r.targets[0]!.series.map((s) => [s.name, s.samples]));
}

function row(name: string, xs: number[]): Array<string | number> {
  return [name, xs.length, fmt(p(xs, 0.5), 3), fmt(p(xs, 0.99), 3), fmt(xs.reduce((a, b) => a + b, 0) / xs.length, 3)];
}

const step = (t: string) => process.stderr.write(`bench latency: ${t}\n`);
try {
  // ---- 1. Modbus ----
  step('modbus');
  const modbus = await startSimModbus();
  const port = Number(modbus.slice(modbus.lastIndexOf(':') + 1));
  await iiotSeries(`${modbus}?unit=3`, {}, 100); // warm-up (JIT)
  const iiotModbus = (await iiotSeries(`${modbus}?unit=3`, {}, N_MODBUS)).read!;
  step('mbpoll');
  const mb = await mbpollRoundTrips(port, Math.min(N_MODBUS, 300));
  console.log(`### Modbus/TCP round trip on loopback (one holding register, the plant's server in its own process)\n`);
  console.log(
    markdownTable(
      ['client', 'samples', 'p50 ms', 'p99 ms', 'mean ms'],
      [
        row('iiot check latency (Node, one connection)', iiotModbus),
        row('mbpoll under strace: send -> answer read (upper bound)', mb.rtt),
        row('mbpoll: kernel wait for the answer (lower bound)', mb.wait),
      ],
    ),
  );
  const diff = p(iiotModbus, 0.5) - p(mb.rtt, 0.5);
  console.log(
    `\niiot p50 minus mbpoll p50 (strace): ${fmt(diff, 3)} ms; iiot p50 minus the kernel wait: ${fmt(p(iiotModbus, 0.5) - p(mb.wait, 0.5), 3)} ms. mbpoll's wait is what the network and server take; the rest is the client's own path (system calls, and for iiot the event loop).\n`,
  );

  // ---- 2. MQTT ----
  step('mqtt');
  const nagle = await startMosquitto(false);
  const nodelay = await startMosquitto(true);
  const aedes = await startAedesProcess();
  const aedesNagle = await startAedesProcess(true);
  const mqttRows: Array<Array<string | number>> = [];
  const flags: string[] = [];
  for (const [name, url, cport] of [
    ['mosquitto 2.0 (default)', `mqtt://127.0.0.1:${nagle}`, nagle],
    ['mosquitto 2.0, set_tcp_nodelay true', `mqtt://127.0.0.1:${nodelay}`, nodelay],
    ['aedes 1.2 (iiot sim)', aedes, undefined],
    ['aedes 1.2 (iiot sim --mqtt-nagle)', aedesNagle, undefined],
  ] as const) {
    await iiotSeries(url, { qos: '0,1' }, 30);
    const s = await iiotSeries(url, { qos: '0,1' }, N_MQTT);
    for (const [series, label] of [
      ['qos0', 'QoS 0'],
      ['qos1', 'QoS 1'],
      ['qos1-ack', 'QoS 1 PUBACK'],
    ] as const) {
      const xs = s[series]!;
      const mode = detectDelayedAckMode(xs);
      mqttRows.push([
        `${name}: iiot ${label}`,
        xs.length,
        fmt(p(xs, 0.5), 3),
        fmt(p(xs, 0.99), 3),
        fmt(xs.reduce((a, b) => a + b, 0) / xs.length, 3),
        mode ? `${fmt(mode.share * 100, 0)} % near ${fmt(mode.modeMs, 1)} ms` : '-',
      ]);
      if (mode) flags.push(`${name} ${label}`);
    }
    if (cport !== undefined) {
      for (const qos of [0, 1] as const) {
        const xs = await mosquittoClients(cport, qos, N_MQTT);
        const mode = detectDelayedAckMode(xs);
        mqttRows.push([
          `${name}: mosquitto_pub -l / mosquitto_sub QoS ${qos}`,
          xs.length,
          fmt(p(xs, 0.5), 3),
          fmt(p(xs, 0.99), 3),
          fmt(xs.reduce((a, b) => a + b, 0) / xs.length, 3),
          mode ? `${fmt(mode.share * 100, 0)} % near ${fmt(mode.modeMs, 1)} ms` : '-',
        ]);
      }
    }
  }
  console.log(`### MQTT publish -> receive on loopback\n`);
  console.log(markdownTable(['broker: client, series', 'samples', 'p50 ms', 'p99 ms', 'mean ms', '~40 ms mode'], mqttRows));
  console.log(
    `\niiot publishes and subscribes on one connection, so at QoS 1 the broker writes two small packets (PUBLISH to the subscriber, PUBACK to the publisher) to one socket: with Nagle's algorithm on, the second waits for the client's delayed ACK (~40 ms on Linux). The C clients use two connections and do not show it. Flagged by iiot: ${flags.length ? flags.join('; ') : 'none'}. The C clients' figures include two pipe hops between this script and the tools.\n`,
  );

  // ---- 3. The tool's own cost ----
  const samples = Array.from({ length: 10_000 }, (_, i) => p(iiotModbus, (i % 997) / 997));
  const statTimes: number[] = [];
  for (let i = 0; i < 25; i++) {
    const t0 = performance.now();
    computeStats(samples);
    histogram(samples);
    detectDelayedAckMode(samples);
    statTimes.push(performance.now() - t0);
  }
  const loop: number[] = [];
  for (let i = 0; i < 10_000; i++) {
    const t0 = performance.now();
    const t1 = await Promise.resolve(performance.now());
    loop.push(t1 - t0);
  }
  const rttTotal = 10_000 * p(iiotModbus, 0.5);
  console.log(`### The tool's own cost (10,000 samples)\n`);
  console.log(
    markdownTable(
      ['what', 'ms', 'share of 10,000 Modbus round trips'],
      [
        [
          'statistics + histogram + mode detection, once over 10,000 samples (median of 25)',
          fmt(median(statTimes), 2),
          `${fmt((median(statTimes) / rttTotal) * 100, 3)} %`,
        ],
        [
          'per-sample bookkeeping of the loop (two clock reads, one await), summed over 10,000',
          fmt(median(loop) * 10_000, 1),
          `${fmt(((median(loop) * 10_000) / rttTotal) * 100, 2)} %`,
        ],
        [`10,000 round trips at the measured p50 (${fmt(p(iiotModbus, 0.5), 3)} ms)`, fmt(rttTotal, 0), '100 %'],
      ],
    ),
  );

  // ---- 4. 50 targets with the default politeness ----
  step('50 targets');
  const servers: Server[] = [];
  const targets: string[] = [];
  for (let i = 0; i < 40; i++) {
    const host = `127.0.0.${i + 2}`;
    const srv = createServer((s) => {
      s.on('error', () => {});
      s.on('data', (f: Buffer) => {
        if (f.length < 8) return;
        const fc = f[7]!;
        const body =
          fc === 43
            ? Buffer.from([43, 0x0e, 0x02, 0x01, 0x00, 0x00, 0x03, 0, 4, 0x42, 0x65, 0x6e, 0x63, 1, 1, 0x31, 2, 1, 0x32])
            : Buffer.from([fc, 2, 0, 42]);
        const h = Buffer.from([f[0]!, f[1]!, 0, 0, 0, body.length + 1, f[6]!]);
        s.write(Buffer.concat([h, body]));
      });
    });
    await new Promise<void>((r) => srv.listen(502 + 10_000, host, r));
    servers.push(srv);
    targets.push(`modbus://${host}:10502?unit=1`);
  }
  const brokers = [];
  for (let i = 0; i < 10; i++) {
    const b = await startBroker({ host: `127.0.0.${i + 42}`, port: 0, sparkplugAware: false });
    brokers.push(b);
    targets.push(b.url);
  }
  const t0 = performance.now();
  const sec = await runSecurityCheck(quiet(), parseSecurityOptions(targets, { failOn: 'none' }));
  const secMs = performance.now() - t0;
  const t1 = performance.now();
  const lat = await runLatencyCheck(quiet(), parseLatencyOptions(targets, {}));
  const latMs = performance.now() - t1;
  console.log(`\n### 50 targets, default politeness (4 hosts at a time, one connection per host, 20 requests/s overall)\n`);
  console.log(
    markdownTable(
      ['check', 'targets assessed / measured', 'requests', 'wall time s'],
      [
        [
          'check security (passive)',
          `${sec.targets.filter((t) => t.status === 'assessed').length} / 50`,
          sec.requests,
          fmt(secMs / 1000, 1),
        ],
        [
          'check latency (20 round trips every 50 ms; MQTT QoS 0, 1, 2)',
          `${lat.targets.filter((t) => t.status === 'measured').length} / 50`,
          '-',
          fmt(latMs / 1000, 1),
        ],
      ],
    ),
  );
  console.log(
    `\n${sec.requests} requests were recorded (connections included). The security check is bound by the rate cap: every connection and every Modbus request waits for its 50 ms slot. The latency check is bound by --count × --interval per series (1 s for each Modbus read series and each MQTT QoS level) with 4 hosts at a time.`,
  );
  for (const s of servers) s.close();
  for (const b of brokers) await b.stop();
} finally {
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
process.exit(0);
