// Recording: MQTT throughput with zero loss beside `mosquitto_sub -v` (same broker, same publisher,
// same run); OPC UA values per second from 1,000 and 10,000 monitored items; Modbus requests per
// scan with the read planner against one request per tag, and time per request against mbpoll.
//   node --import tsx bench/record.ts [--messages N] [--items 1000,10000] [--only mqtt,opcua,modbus]
// The recorder runs as the CLI (node bin/iiot.js record ... --json), as users run it. Brokers and
// servers run in their own processes: Debian's mosquitto, and `iiot replay` as a changing OPC UA
// server. Tables go to stdout as Markdown; progress to stderr.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createCaptureWriter } from '../src/capture/writer.js';
import { parseTarget, type ModbusRtuTarget, type ModbusTcpTarget } from '../src/core/targets.js';
import { freePort } from '../src/protocols/listen.js';
import { openModbusLink } from '../src/protocols/modbus/client.js';
import { planPerEntry, planReads } from '../src/protocols/modbus/planner.js';
import { loadRegisterMap } from '../src/protocols/modbus/register-map.js';
import { startPlant } from '../src/sim/plant.js';
import { plcMapPath } from '../src/sim/modbus-units.js';
import { BIN, fmt, markdownTable, median, ROOT } from './lib.js';

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const MESSAGES = Number(arg('--messages', '200000'));
const ITEMS = arg('--items', '1000,10000').split(',').map(Number);
const dir = mkdtempSync(join(tmpdir(), 'iiot-bench-record-'));
const env = { ...process.env, NO_COLOR: '1', IIOT_PKI_DIR: join(dir, 'pki') };
const log = (s: string) => process.stderr.write(`${s}\n`);
const T0 = Date.UTC(2026, 10, 25, 10);

async function waitPort(port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A tool run without blocking this process (the servers it talks to may live here); wall ms. */
async function timed(cmd: string, args: string[]): Promise<number> {
  const t = performance.now();
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const [code] = (await once(child, 'close')) as [number | null];
  if (code !== 0) throw new Error(`${cmd}: exit ${code}: ${err}`);
  return performance.now() - t;
}

function cli(args: string[]): ChildProcess {
  return spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
}

async function output(child: ChildProcess): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

// ------------------------------------------------------------------------------------------
// 1. MQTT

async function mqtt(): Promise<string> {
  const port = await freePort('127.0.0.1');
  const conf = join(dir, 'mosquitto.conf');
  // nothing queued or dropped by the broker's own limits: what is lost is lost by the subscriber
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\nmax_queued_bytes 0\n`);
  const broker = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  await waitPort(port);
  const lines = join(dir, 'payloads.txt');
  writeFileSync(lines, Array.from({ length: MESSAGES }, (_, i) => String(i)).join('\n') + '\n');
  const rows: Array<Array<string | number>> = [];
  let runNo = 0;
  /** One run of the publisher with mosquitto_sub -v and/or iiot record subscribed. */
  const run = async (withSub: boolean, rec: { label: string; extra: string[] } | undefined, note: string) => {
    const n = runNo++;
    log(`record bench: MQTT run ${n}: ${[withSub ? 'mosquitto_sub -v' : '', rec?.label ?? ''].filter(Boolean).join(' beside ')}...`);
    let subResult: Promise<{ lines: number; lastMs: number }> | undefined;
    if (withSub) {
      // mosquitto_sub -v straight into a file; it exits after the last message (-C)
      const subFile = join(dir, `mosquitto_sub-${n}.txt`);
      const sub = spawn('sh', ['-c', `exec mosquitto_sub -h 127.0.0.1 -p ${port} -t 'bench/#' -v -C ${MESSAGES} -W 600 > ${subFile}`], {
        stdio: 'ignore',
      });
      subResult = once(sub, 'close').then(() => ({
        lines: readFileSync(subFile, 'utf8').split('\n').filter(Boolean).length,
        lastMs: performance.now(),
      }));
    }
    const out = join(dir, `mqtt-${n}.jsonl`);
    const recDone = rec
      ? output(
          cli([
            'record',
            `mqtt://127.0.0.1:${port}`,
            '--topic',
            'bench/#',
            '--decoder',
            'number',
            ...rec.extra,
            '-o',
            out,
            '--count',
            String(MESSAGES),
            '--json',
          ]),
        )
      : undefined;
    // subscribed: the recorder writes its start event after subscribing; mosquitto_sub gets a moment
    if (rec) while (!existsSync(out) || !readFileSync(out, 'utf8').includes('"event":"start"')) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    const t0 = performance.now();
    const pub = spawnSync('sh', ['-c', `mosquitto_pub -h 127.0.0.1 -p ${port} -t bench/x -l < ${lines}`]);
    const pubMs = performance.now() - t0;
    if (pub.status !== 0) throw new Error('mosquitto_pub failed');
    const both = withSub && rec ? ' (both subscribed)' : ' (alone)';
    if (subResult) {
      const sr = await subResult;
      rows.push([
        `mosquitto_sub -v > file${both}`,
        sr.lines,
        MESSAGES - sr.lines,
        fmt((sr.lastMs - t0) / 1000, 2),
        Math.round(sr.lines / ((sr.lastMs - t0) / 1000)).toLocaleString('en'),
        `${note}; publisher done in ${fmt(pubMs / 1000, 2)} s`,
      ]);
    }
    if (rec && recDone) {
      const r = await recDone;
      const recMs = performance.now() - t0;
      if (r.code !== 0) throw new Error(`iiot record: ${r.stderr}`);
      const summary = JSON.parse(r.stdout) as { samples: number };
      // zero loss: every payload, once, in the file
      const seen = new Uint8Array(MESSAGES);
      let dup = 0;
      for (const line of readFileSync(out, 'utf8').split('\n')) {
        const m = /"tag":"x","v":(\d+)/.exec(line);
        if (!m) continue;
        const v = Number(m[1]);
        if (seen[v]) dup++;
        seen[v] = 1;
      }
      const missing = seen.reduce((k, x) => k + (x ? 0 : 1), 0);
      rows.push([
        `${rec.label}${both}`,
        summary.samples,
        missing + dup,
        fmt(recMs / 1000, 2),
        Math.round(summary.samples / (recMs / 1000)).toLocaleString('en'),
        `${note}; publisher done in ${fmt(pubMs / 1000, 2)} s`,
      ]);
    }
  };
  try {
    const plain = { label: 'iiot record --qos 0', extra: ['--qos', '0'] };
    const raw = { label: 'iiot record --qos 0 --raw', extra: ['--qos', '0', '--raw'] };
    await run(true, plain, 'run 1');
    await run(true, raw, 'run 2');
    await run(true, undefined, 'run 3');
    await run(false, plain, 'run 4');
    await run(false, raw, 'run 5');
  } finally {
    broker.kill('SIGTERM');
    await once(broker, 'exit');
  }
  return `### MQTT: recording throughput and loss (${MESSAGES.toLocaleString('en')} QoS 0 messages from mosquitto_pub -l to Debian mosquitto, per run; runs 1-2 with both subscribers on the same broker and publisher, 3-5 each alone)\n\n${markdownTable(['subscriber', 'received', 'lost or doubled', 'seconds to the last message', 'messages/s', 'note'], rows)}\n\nBoth times run from the moment the publisher starts until the subscriber's process exits: iiot's after closing the capture file, mosquitto_sub's after writing its last line (-C). Zero loss is checked payload by payload. With both subscribed, the broker's delivery is what limits both.\n`;
}

// ------------------------------------------------------------------------------------------
// 2. OPC UA

async function opcua(): Promise<string> {
  const rows: Array<Array<string | number>> = [];
  for (const n of ITEMS) {
    log(`record bench: OPC UA, ${n} monitored items...`);
    // the server: `iiot replay` of a capture in which every tag changes every second, looping
    const capture = join(dir, `opcua-${n}.jsonl`);
    const tags = Array.from({ length: n }, (_, i) => ({ name: `v${String(i).padStart(5, '0')}`, dataType: 'float64' }));
    const w = await createCaptureWriter(capture, { sources: [{ id: 'bench', protocol: 'sim' }], tags, created: new Date(T0) });
    for (let s = 0; s < 60; s++) {
      for (let i = 0; i < n; i++) w.sample(tags[i]!.name, T0 + s * 1000 + (i % 1000) / 4, s + i / 1e5);
      await w.flush();
    }
    await w.close();
    const ready = join(dir, `ready-${n}.json`);
    const server = cli(['replay', capture, '--to', 'opcua', '--port', '0', '--loop', '--ready-file', ready]);
    server.stdout!.resume();
    server.stderr!.resume();
    try {
      while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 100));
      const endpoint = (JSON.parse(readFileSync(ready, 'utf8')) as { endpoint: string }).endpoint;
      const out = join(dir, `opcua-${n}-rec.jsonl`);
      const seconds = 30;
      const t0 = performance.now();
      const r = await output(
        cli([
          'record',
          endpoint,
          '--security-mode',
          'None',
          '--subtree',
          '/Objects/Replay',
          '--sampling-interval',
          '250ms',
          '--publishing-interval',
          '500ms',
          '--queue-size',
          '4',
          '-o',
          out,
          '--duration',
          `${seconds}s`,
          '--json',
        ]),
      );
      const wall = performance.now() - t0;
      if (r.code !== 0) throw new Error(`record: ${r.stderr}`);
      const summary = JSON.parse(r.stdout) as { samples: number; sources: Array<{ stats: Record<string, number> }> };
      // steady state: values whose server timestamp falls in the last 20 s of the recording
      const lines = readFileSync(out, 'utf8').split('\n');
      const start = lines.find((l) => l.includes('"event":"start"'));
      const stop = lines.find((l) => l.includes('"event":"stop"'));
      const startMs = Date.parse((JSON.parse(start!) as { t: string }).t);
      const stopMs = Date.parse((JSON.parse(stop!) as { t: string }).t);
      let firstValue = Infinity;
      let inWindow = 0;
      const from = stopMs - 21_000;
      const to = stopMs - 1_000;
      for (const l of lines) {
        const m = /"svt":"([^"]+)"/.exec(l);
        if (!m) continue;
        const svt = Date.parse(m[1]!);
        if (svt >= startMs && svt < firstValue) firstValue = svt;
        if (svt >= from && svt < to) inWindow++;
      }
      const stats = summary.sources[0]!.stats;
      rows.push([
        n.toLocaleString('en'),
        stats.itemsCreated!,
        stats.createCalls!,
        fmt((firstValue - startMs) / 1000, 2),
        n.toLocaleString('en'),
        Math.round(inWindow / 20).toLocaleString('en'),
        summary.samples.toLocaleString('en'),
        fmt(wall / 1000, 1),
      ]);
    } finally {
      server.kill('SIGTERM');
      await once(server, 'close');
    }
  }
  return `### OPC UA: values recorded per second (server: \`iiot replay --to opcua\` in its own process, every variable changing once a second; sampling 250 ms, publishing 500 ms)\n\n${markdownTable(['monitored items', 'created', 'CreateMonitoredItems calls', 's from start to first value', 'values/s offered', 'values/s recorded (steady, 20 s window)', 'values in 30 s', 'wall s (incl. crawl)'], rows)}\n\nItems are created in calls of at most the server's MaxMonitoredItemsPerCall (here the node-opcua server's own limit; a server that states none gets calls of 500). Recorded rates count values by their server timestamp.\n`;
}

// ------------------------------------------------------------------------------------------
// 3. Modbus

async function modbus(): Promise<string> {
  log('record bench: Modbus...');
  const maps = [
    ['sdm630', loadRegisterMap('sdm630')],
    ['pm5000', loadRegisterMap('pm5000')],
    ['plant-plc', loadRegisterMap(plcMapPath())],
  ] as const;
  const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), timeScale: 1e-9 };
  const plant = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port: 0 } });
  const planRows: Array<Array<string | number>> = [];
  const timeRows: Array<Array<string | number>> = [];
  try {
    const port = Number(new URL(plant.endpoints.modbus!).port);
    for (const [name, map] of maps) {
      const unit = name === 'sdm630' ? 1 : name === 'pm5000' ? 2 : 3;
      const link = await openModbusLink(parseTarget(`modbus://127.0.0.1:${port}?unit=${unit}`) as ModbusTcpTarget, { timeoutMs: 2000 });
      const scan = async (plan: ReturnType<typeof planReads>) => {
        const t = performance.now();
        for (const req of plan) await link.read(req);
        return performance.now() - t;
      };
      const planned = planReads(map.entries);
      const naive = planPerEntry(map.entries);
      const a: number[] = [];
      const b: number[] = [];
      for (let i = 0; i < 30; i++) {
        a.push(await scan(planned));
        b.push(await scan(naive));
      }
      await link.close();
      planRows.push([
        name,
        map.entries.length,
        planned.length,
        naive.length,
        fmt(median(a), 2),
        fmt(median(b), 2),
        `${fmt(median(b) / median(a), 1)}x`,
      ]);
    }
    // time per request: 80 input registers of the SDM630, iiot (a persistent connection) beside mbpoll
    const req = planReads(loadRegisterMap('sdm630').entries.filter((e) => e.table === 'input' && e.address < 80))[0]!;
    const link = await openModbusLink(parseTarget(`modbus://127.0.0.1:${port}?unit=1`) as ModbusTcpTarget, { timeoutMs: 2000 });
    const times: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const t = performance.now();
      await link.read(req);
      times.push(performance.now() - t);
    }
    await link.close();
    const mb: number[] = [];
    for (let i = 0; i < 20; i++) {
      mb.push(
        await timed('mbpoll', [
          '-m',
          'tcp',
          '-p',
          String(port),
          '-a',
          '1',
          '-t',
          '3:hex',
          '-0',
          '-r',
          String(req.address),
          '-c',
          String(req.length),
          '-1',
          '-q',
          '127.0.0.1',
        ]),
      );
    }
    timeRows.push([
      'TCP, loopback',
      `FC04 ${req.length} registers`,
      fmt(median(times), 3),
      fmt(times.sort((x, y) => x - y)[Math.floor(times.length * 0.99)]!, 3),
      fmt(median(mb), 2),
    ]);
  } finally {
    await plant.stop();
  }
  // RTU over a socat pseudo-terminal pair at 19200 baud, even parity: the line dominates
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  const socat = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  while (!existsSync(a) || !existsSync(b)) await new Promise((r) => setTimeout(r, 20));
  const rtu = await startPlant({
    ...FROZEN,
    opcua: false,
    mqtt: false,
    modbus: false,
    rtu: { path: b, baudRate: 19200, parity: 'even', unitId: 5 },
  });
  try {
    const req = planReads(loadRegisterMap('sdm630').entries.filter((e) => e.table === 'input' && e.address < 10))[0]!;
    const link = await openModbusLink(parseTarget(`modbus-rtu://${a}?baud=19200&parity=even&unit=5`) as ModbusRtuTarget, {
      timeoutMs: 2000,
    });
    const times: number[] = [];
    for (let i = 0; i < 100; i++) {
      const t = performance.now();
      await link.read(req);
      times.push(performance.now() - t);
    }
    await link.close();
    const mb: number[] = [];
    for (let i = 0; i < 10; i++) {
      mb.push(
        await timed('mbpoll', [
          '-m',
          'rtu',
          '-b',
          '19200',
          '-P',
          'even',
          '-a',
          '5',
          '-t',
          '3:hex',
          '-0',
          '-r',
          String(req.address),
          '-c',
          String(req.length),
          '-1',
          '-q',
          a,
        ]),
      );
    }
    timeRows.push([
      'RTU 19200 8E1, socat pty',
      `FC04 ${req.length} registers`,
      fmt(median(times), 2),
      fmt(times.sort((x, y) => x - y)[Math.floor(times.length * 0.99)]!, 2),
      fmt(median(mb), 2),
    ]);
  } finally {
    await rtu.stop();
    socat.kill('SIGTERM');
  }
  return (
    `### Modbus: requests per scan, read planner against one request per tag (the plant's Modbus TCP server, loopback)\n\n${markdownTable(['map', 'entries', 'requests per scan (planner)', 'requests per scan (one per tag)', 'scan ms (planner)', 'scan ms (one per tag)', 'faster'], planRows)}\n\n` +
    `### Modbus: time per request\n\n${markdownTable(['line', 'request', 'iiot ms (median)', 'iiot ms (p99)', 'mbpoll ms per run (median)'], timeRows)}\n\n` +
    'iiot reuses one connection, one request at a time; mbpoll -1 connects, sends one request and exits, so its figure includes process start and connect (and, on RTU, opening the port). On RTU the line itself dominates both.\n'
  );
}

const ONLY = arg('--only', 'mqtt,opcua,modbus').split(',');
try {
  // each section as soon as it is measured
  let first = true;
  const emit = (text: string) => {
    process.stdout.write(`${first ? '' : '\n'}${text}`);
    first = false;
  };
  if (ONLY.includes('mqtt')) emit(await mqtt());
  if (ONLY.includes('opcua')) emit(await opcua());
  if (ONLY.includes('modbus')) emit(await modbus());
} finally {
  rmSync(dir, { recursive: true, force: true });
}
