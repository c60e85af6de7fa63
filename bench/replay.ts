// Replay: timing error at 1x (target p99 < 2 ms) to each sink, and samples per second flat out to
// MQTT (target >= 100,000), beside mosquitto_pub publishing the same messages to the same broker.
//   node --import tsx bench/replay.ts [--samples N]
// Every replay runs as the CLI (node bin/iiot.js replay ... --json), as users run it; the timing
// error is the replay's own measure: how late each group of records went to the sink relative to
// its due time. The broker is Debian's mosquitto in its own process.
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaptureWriter } from '../src/capture/writer.js';
import { freePort } from '../src/protocols/listen.js';
import { BIN, fmt, markdownTable, ROOT } from './lib.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const SAMPLES = arg('--samples', 1_000_000);
const dir = mkdtempSync(join(tmpdir(), 'iiot-bench-replay-'));
const T0 = Date.UTC(2026, 10, 25, 10);
const log = (s: string) => process.stderr.write(`${s}\n`);

/** Deterministic pseudo-random numbers (mulberry32). */
function rng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function startMosquitto(): Promise<{ port: number; stop(): Promise<void> }> {
  const port = await freePort('127.0.0.1');
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_queued_bytes 0\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

interface ReplayJson {
  records: number;
  samples: number;
  wallMs: number;
  timing?: { groups: number; p50Ms: number; p99Ms: number; maxMs: number };
}

function replayCli(args: string[]): ReplayJson {
  const r = spawnSync(process.execPath, [BIN, 'replay', ...args, '--json'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 16 << 20 });
  if (r.status !== 0) throw new Error(`replay ${args.join(' ')}: exit ${r.status}: ${r.stderr}`);
  return JSON.parse(r.stdout) as ReplayJson;
}

// 1. Timing at 1x: 20 tags changing at irregular times, 25 s of record, about 60 groups a second.
async function timingCapture(): Promise<string> {
  const path = join(dir, 'timing.jsonl');
  const tags = Array.from({ length: 20 }, (_, i) => ({
    name: `line3.m${i}`,
    dataType: 'float64',
    unit: 'A',
    modbus: { unit: 1, table: 'input', address: i * 2, type: 'float32', order: 'ABCD', length: 2, scale: 1, offset: 0 },
  }));
  const w = await createCaptureWriter(path, { sources: [{ id: 'bench', protocol: 'sim' }], tags, created: new Date(T0) });
  const r = rng(7);
  let t = T0;
  while (t < T0 + 25_000) {
    t += Math.round(1 + r() * 31);
    const k = Math.floor(r() * tags.length);
    w.sample(tags[k]!.name, t, Math.round(r() * 10_000) / 100);
  }
  await w.close();
  return path;
}

// 2. Flat out: SAMPLES samples of 100 tags.
async function bigCapture(): Promise<string> {
  const path = join(dir, 'big.jsonl');
  const tags = Array.from({ length: 100 }, (_, i) => ({ name: `plant.t${String(i).padStart(3, '0')}` }));
  const w = await createCaptureWriter(path, { sources: [{ id: 'bench', protocol: 'sim' }], tags, created: new Date(T0) });
  for (let i = 0; i < SAMPLES; i++) {
    w.sample(tags[i % 100]!.name, T0 + Math.floor(i / 100) * 100, Math.round(Math.sin(i / 1000) * 1e5) / 1e3);
    if (i % 65_536 === 65_535) await w.flush();
  }
  await w.close();
  return path;
}

function countOnSubscriber(port: number, n: number): { done: Promise<{ received: number; ms: number }> } {
  const t0 = performance.now();
  const sub = spawn('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-t', '#', '-C', String(n), '-W', '300'], {
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  let lines = 0;
  let last = t0;
  sub.stdout.on('data', (d: Buffer) => {
    for (const b of d) if (b === 10) lines++;
    last = performance.now();
  });
  return { done: once(sub, 'close').then(() => ({ received: lines, ms: last - t0 })) };
}

async function main(): Promise<void> {
  log('replay bench: writing captures...');
  const timing = await timingCapture();
  const big = await bigCapture();
  const mq = await startMosquitto();
  try {
    log('replay bench: timing at 1x...');
    const rows: Array<Array<string | number>> = [];
    for (const [label, args] of [
      ['MQTT (Debian mosquitto)', ['--to', `mqtt://127.0.0.1:${mq.port}`]],
      ['MQTT (embedded broker)', ['--to', 'mqtt', '--port', '0']],
      ['Modbus TCP server', ['--to', 'modbus', '--port', '0']],
      ['OPC UA server', ['--to', 'opcua', '--port', '0']],
    ] as const) {
      const r = replayCli([timing, ...args]);
      rows.push([
        label,
        r.samples,
        r.timing!.groups,
        fmt(r.timing!.p50Ms, 3),
        fmt(r.timing!.p99Ms, 3),
        fmt(r.timing!.maxMs, 2),
        r.timing!.p99Ms < 2 ? 'met' : 'missed',
      ]);
    }
    process.stdout.write(
      `### Timing error at 1x (25 s of record, 20 tags at irregular times)\n\nHow late each group of records went to the sink after its due time.\n\n${markdownTable(['sink', 'samples', 'groups', 'p50 ms', 'p99 ms', 'max ms', 'p99 < 2 ms'], rows)}\n\n`,
    );

    log('replay bench: flat out...');
    const flat: Array<Array<string | number>> = [];
    // the baseline: mosquitto_pub sending the same number of messages from a file, to the same broker
    const lines = join(dir, 'lines.txt');
    writeFileSync(
      lines,
      Array.from({ length: SAMPLES }, (_, i) => `{"t":"2026-11-25T10:00:00.000Z","v":${Math.round(Math.sin(i / 1000) * 1e5) / 1e3}}`).join(
        '\n',
      ) + '\n',
    );
    {
      const sub = countOnSubscriber(mq.port, SAMPLES);
      await new Promise((r) => setTimeout(r, 300));
      const t0 = performance.now();
      const pub = spawnSync('sh', ['-c', `mosquitto_pub -h 127.0.0.1 -p ${mq.port} -t bench/pub -l < ${lines}`]);
      const ms = performance.now() - t0;
      if (pub.status !== 0) throw new Error(`mosquitto_pub: exit ${pub.status}`);
      const got = await sub.done;
      flat.push([
        'mosquitto_pub -l (baseline)',
        SAMPLES,
        fmt(ms / 1000, 2),
        Math.round(SAMPLES / (ms / 1000)).toLocaleString('en'),
        got.received.toLocaleString('en'),
      ]);
    }
    {
      const sub = countOnSubscriber(mq.port, SAMPLES);
      await new Promise((r) => setTimeout(r, 300));
      const r = replayCli([big, '--to', `mqtt://127.0.0.1:${mq.port}`, '--max-speed']);
      const got = await sub.done;
      const rate = r.samples / (r.wallMs / 1000);
      flat.push([
        'iiot replay --max-speed, QoS 0',
        r.samples,
        fmt(r.wallMs / 1000, 2),
        Math.round(rate).toLocaleString('en'),
        got.received.toLocaleString('en'),
      ]);
    }
    {
      const r = replayCli([big, '--to', 'mqtt', '--port', '0', '--max-speed']);
      flat.push([
        'iiot replay --max-speed, embedded broker, no subscriber',
        r.samples,
        fmt(r.wallMs / 1000, 2),
        Math.round(r.samples / (r.wallMs / 1000)).toLocaleString('en'),
        '-',
      ]);
    }
    process.stdout.write(
      `### Flat out to MQTT (${SAMPLES.toLocaleString('en')} samples, 100 tags, JSON payloads; one mosquitto_sub counts what the broker delivered)\n\n${markdownTable(['publisher', 'messages', 'seconds', 'messages/s', 'received by mosquitto_sub'], flat)}\n\nTarget: at least 100,000 samples/s to MQTT. The replay's seconds start when it begins publishing (the capture survey and broker connection before are not counted).\n`,
    );
  } finally {
    await mq.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
