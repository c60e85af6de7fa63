import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { connectAsync } from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { isEvent, isSample } from '../../src/capture/types.js';
import { parseTarget, type MqttTarget } from '../../src/core/targets.js';
import { freePort } from '../../src/protocols/listen.js';
import type { MqttSourceOptions } from '../../src/protocols/mqtt/source.js';
import type { RecordOptions } from '../../src/record/types.js';
import { record } from '../../src/record/run.js';
import { startPlant } from '../../src/sim/plant.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor } from '../helpers/record-io.js';

const dir = tempDir('rec-mqtt');
afterAll(removeTempDirs);

type Src = Partial<Omit<MqttSourceOptions, 'reconnectMaxMs' | 'env' | 'connect'>>;

function options(output: string, url: string, src: Src, extra: Partial<RecordOptions> = {}): RecordOptions {
  return {
    output,
    force: false,
    flushIntervalMs: 50,
    metadata: {},
    reconnectMaxMs: 400,
    live: false,
    sources: [
      {
        protocol: 'mqtt',
        options: {
          id: 'mqtt',
          connect: { target: parseTarget(url) as MqttTarget, passwordEnv: 'IIOT_PASSWORD', timeoutMs: 5000 },
          topics: ['#'],
          decoder: 'auto',
          jsonPaths: [],
          raw: false,
          qos: 1,
          ...src,
        },
      },
    ],
    ...extra,
  };
}

/** Splits an MQTT byte stream into packets: (type, flags, body after the fixed header). */
function packetSplitter(onPacket: (type: number, flags: number, body: Buffer) => void): (chunk: Buffer) => void {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    for (;;) {
      if (buf.length < 2) return;
      let len = 0;
      let mult = 1;
      let i = 1;
      for (;;) {
        if (i >= buf.length) return;
        const b = buf[i++]!;
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) break;
      }
      if (buf.length < i + len) return;
      onPacket(buf[0]! >> 4, buf[0]! & 0x0f, buf.subarray(i, i + len));
      buf = buf.subarray(i + len);
    }
  };
}

function fileLines(path: string): Array<Record<string, unknown>> {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  } catch {
    return [];
  }
}

describe('recording MQTT', () => {
  it('plain JSON topics and Sparkplug B from the plant: values, units, metric names from births, raw payloads', async () => {
    const plant = await startPlant({ opcua: false, modbus: false, mqtt: { port: 0 }, updateIntervalMs: 100 });
    try {
      const out = join(dir, 'plant.jsonl');
      const r = await record(
        testIO().io,
        options(out, plant.endpoints.mqtt!, { topics: ['plant/#', 'spBv1.0/#'], raw: true }, { count: 1500 }),
      );
      const back = await readCapture(out);
      expect(back.issues).toEqual([]);
      const tags = new Map(back.tags.map((t) => [t.name, t]));
      // JSON: tag names below the filter's fixed level, unit from the payload
      expect(tags.get('pump1.vibration')).toMatchObject({
        address: 'plant/pump1/vibration',
        unit: 'mm/s',
        dataType: 'number',
        source: 'mqtt',
      });
      expect(tags.get('plant.producing')).toMatchObject({ dataType: 'bool' });
      // Sparkplug: names and units from the births (the broker keeps them for late subscribers), data by alias
      expect(tags.get('IIoT.SimPlant.pump1.vibration')).toMatchObject({
        address: 'spBv1.0/IIoT/SimPlant/pump1:vibration',
        unit: 'mm/s',
        dataType: 'float64',
      });
      const spSamples = back.samples.filter((s) => s.tag === 'IIoT.SimPlant.pump1.vibration');
      expect(spSamples.length).toBeGreaterThan(0);
      expect(spSamples.every((s) => typeof s.v === 'number')).toBe(true);
      expect(r.sources[0]!.stats.sparkplugSeqErrors).toBe(0);
      // raw lines: the JSON text as it came, the protobuf as base64
      const json = back.raw.find((x) => x.topic === 'plant/pump1/vibration')!;
      expect(json.enc).toBe('utf8');
      expect(JSON.parse(json.payload)).toMatchObject({ unit: 'mm/s' });
      expect(back.raw.some((x) => x.topic.startsWith('spBv1.0/') && x.enc === 'base64')).toBe(true);
      // a config event declares each tag before its first sample
      const declared = new Set<string>();
      for (const rec of back.records) {
        if (isEvent(rec) && rec.event === 'config') for (const t of rec.tags ?? []) declared.add(t.name);
        if (isSample(rec)) expect(declared.has(rec.tag)).toBe(true);
      }
    } finally {
      await plant.stop();
    }
  });

  it('a JSON path per topic filter', async () => {
    const plant = await startPlant({ opcua: false, modbus: false, mqtt: { port: 0, sparkplug: false }, updateIntervalMs: 100 });
    try {
      const out = join(dir, 'paths.jsonl');
      await record(
        testIO().io,
        options(
          out,
          plant.endpoints.mqtt!,
          { topics: ['plant/pump1/+'], jsonPaths: [{ filter: 'plant/pump1/speed', path: '$.unit' }, { path: '$.v' }] },
          { count: 30 },
        ),
      );
      const back = await readCapture(out);
      expect(back.samples.filter((s) => s.tag === 'speed').every((s) => s.v === 'rpm')).toBe(true);
      expect(back.samples.filter((s) => s.tag === 'vibration').every((s) => typeof s.v === 'number')).toBe(true);
    } finally {
      await plant.stop();
    }
  });

  it('the broker restarted five times: five gaps marked, and every QoS 1 message the broker delivered is in the file', async () => {
    const port = await freePort('127.0.0.1');
    const acked: string[] = [];
    let broker: { stop(): Promise<void> } | undefined;
    const startTestBroker = async () => {
      const aedes = await Aedes.createBroker();
      const sockets = new Set<Socket>();
      const server: Server = createServer((s) => {
        sockets.add(s);
        s.once('close', () => sockets.delete(s));
        // What the broker delivered, as seen on the wire: each PUBLISH it writes (by message id),
        // then the subscriber's PUBACK for it. Only the recorder subscribes.
        const sent = new Map<number, string>();
        const write = s.write.bind(s) as (chunk: unknown, ...rest: unknown[]) => boolean;
        const outgoing = packetSplitter((type, flags, body) => {
          if (type !== 3 || ((flags >> 1) & 3) === 0) return;
          const tl = body.readUInt16BE(0);
          sent.set(body.readUInt16BE(2 + tl), body.subarray(4 + tl).toString());
        });
        s.write = ((chunk: unknown, ...rest: unknown[]) => {
          if (Buffer.isBuffer(chunk) || typeof chunk === 'string') outgoing(Buffer.from(chunk as Buffer));
          return write(chunk, ...rest);
        }) as typeof s.write;
        s.on(
          'data',
          packetSplitter((type, _flags, body) => {
            if (type !== 4) return;
            const payload = sent.get(body.readUInt16BE(0));
            if (payload !== undefined) acked.push(payload);
          }),
        );
        aedes.handle(s);
      });
      server.listen(port, '127.0.0.1');
      await once(server, 'listening');
      broker = {
        stop: async () => {
          await new Promise<void>((r) => aedes.close(() => r()));
          for (const s of sockets) s.destroy();
          await new Promise<void>((r) => server.close(() => r()));
        },
      };
    };
    await startTestBroker();
    const url = `mqtt://127.0.0.1:${port}`;
    // the plant side: a publisher at QoS 1 that reconnects by itself
    const pub = await connectAsync(url, { clientId: 'test-publisher', reconnectPeriod: 100, protocolVersion: 4 });
    pub.on('error', () => undefined);
    let seq = 0;
    const timer = setInterval(() => {
      if (pub.connected) pub.publish('line/counter', String(seq++), { qos: 1 });
    }, 10);
    const out = join(dir, 'restarts.jsonl');
    const ac = new AbortController();
    const done = record(testIO().io, options(out, url, { topics: ['line/#'], decoder: 'number' }), {
      signal: ac.signal,
      handleSignals: false,
    });
    const samples = () => fileLines(out).filter((l) => l.tag).length;
    const count = (kind: string) => fileLines(out).filter((l) => l.event === kind).length;
    try {
      await waitFor(() => samples() >= 50);
      for (let i = 1; i <= 5; i++) {
        await broker!.stop();
        await waitFor(() => count('disconnect') >= i);
        await startTestBroker();
        const before = samples();
        await waitFor(() => count('reconnect') >= i && samples() >= before + 50);
      }
    } finally {
      clearInterval(timer);
      ac.abort();
      await done;
      await pub.endAsync(true);
      await broker?.stop();
    }
    const back = await readCapture(out);
    expect(back.issues).toEqual([]);
    expect(back.events.filter((e) => e.event === 'gap')).toHaveLength(5);
    expect(back.events.filter((e) => e.event === 'reconnect')).toHaveLength(5);
    const inFile = new Set(back.samples.map((s) => String(s.v)));
    expect(acked.length).toBeGreaterThan(250);
    expect(acked.filter((p) => !inFile.has(p))).toEqual([]);
    for (const g of back.events.filter((e) => e.event === 'gap')) expect(Date.parse(g.from!)).toBeLessThanOrEqual(Date.parse(g.to!));
  });

  it('a user name with the password from the environment; the password reaches neither the header nor the output', async () => {
    const password = 'correct horse battery staple';
    const plant = await startPlant({
      opcua: false,
      modbus: false,
      mqtt: { port: 0, auth: { username: 'operator', password }, sparkplug: false },
      updateIntervalMs: 100,
    });
    try {
      const out = join(dir, 'auth.jsonl');
      const opts = (env: string) => {
        const o = options(out, plant.endpoints.mqtt!, { topics: ['plant/pump1/#'] }, { count: 5, force: true });
        const src = o.sources[0]!;
        if (src.protocol === 'mqtt') src.options.connect = { ...src.options.connect, user: 'operator', passwordEnv: env };
        return o;
      };
      const io = testIO({}, { MQTT_PW: password });
      await record(io.io, opts('MQTT_PW'));
      const text = readFileSync(out, 'utf8');
      expect(text).not.toContain(password);
      expect(JSON.parse(text.split('\n')[0]!).sources[0].options.user).toBe('operator');
      expect(io.stderr() + io.stdout()).not.toContain(password);
      const wrong = (await record(testIO({}, { MQTT_PW: 'nope' }).io, opts('MQTT_PW')).catch((e: unknown) => e)) as {
        exitCode: number;
        message: string;
      };
      expect(wrong.exitCode).toBe(3);
      expect(wrong.message).toMatch(/refused the user name or password of "operator" \(CONNACK 4\)/);
      const unset = (await record(testIO({}, {}).io, opts('MQTT_PW')).catch((e: unknown) => e)) as { exitCode: number; message: string };
      expect(unset.exitCode).toBe(2);
      expect(unset.message).toBe('--user operator: no password: $MQTT_PW is not set');
    } finally {
      await plant.stop();
    }
  });

  it("TLS (mqtts://) to Debian's mosquitto with the CA from --ca; without it, one line about the certificate", async () => {
    const tls = tempDir('rec-mqtt-tls');
    const ssl = (args: string[]) => expect(spawnSync('openssl', args, { cwd: tls, stdio: 'ignore' }).status).toBe(0);
    ssl([
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '2',
      '-subj',
      '/CN=iiot test CA',
      '-keyout',
      'ca.key',
      '-out',
      'ca.pem',
    ]);
    ssl(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
    writeFileSync(join(tls, 'san.ext'), 'subjectAltName=IP:127.0.0.1\n');
    ssl([
      'x509',
      '-req',
      '-in',
      'server.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '2',
      '-extfile',
      'san.ext',
      '-out',
      'server.pem',
    ]);
    const port = await freePort('127.0.0.1');
    // run as root, mosquitto would drop to its own user, which may not read the test's key (no effect otherwise)
    writeFileSync(
      join(tls, 'm.conf'),
      `user root\nlistener ${port} 127.0.0.1\nallow_anonymous true\ncafile ${join(tls, 'ca.pem')}\ncertfile ${join(tls, 'server.pem')}\nkeyfile ${join(tls, 'server.key')}\n`,
    );
    const broker = spawn('/usr/sbin/mosquitto', ['-c', join(tls, 'm.conf')], { stdio: 'ignore' });
    try {
      await waitFor(
        () =>
          new Promise<boolean>((resolve, reject) => {
            if (broker.exitCode !== null) reject(new Error(`mosquitto exited (${broker.exitCode})`));
            const s = tcpConnect(port, '127.0.0.1');
            s.once('connect', () => (s.destroy(), resolve(true)));
            s.once('error', () => resolve(false));
          }),
      );
      const url = `mqtts://127.0.0.1:${port}`;
      const pub = spawn(
        'sh',
        [
          '-c',
          `while true; do mosquitto_pub --cafile ${join(tls, 'ca.pem')} -h 127.0.0.1 -p ${port} -t secure/temp -m 21.5; sleep 0.1; done`,
        ],
        { stdio: 'ignore' },
      );
      try {
        const out = join(dir, 'tls.jsonl');
        const o = options(out, url, { topics: ['secure/#'] }, { count: 3 });
        const src = o.sources[0]!;
        if (src.protocol === 'mqtt') src.options.connect = { ...src.options.connect, ca: join(tls, 'ca.pem') };
        await record(testIO().io, o);
        expect((await readCapture(out)).samples.map((s) => [s.tag, s.v])).toEqual([
          ['temp', 21.5],
          ['temp', 21.5],
          ['temp', 21.5],
        ]);
        const bad = (await record(testIO().io, options(join(dir, 'tls-bad.jsonl'), url, {})).catch((e: unknown) => e)) as {
          exitCode: number;
          message: string;
          hint: string;
        };
        expect(bad.exitCode).toBe(3);
        expect(bad.message).toMatch(new RegExp(`^${url.replace(/[.]/g, '\\.')}: TLS failed: `));
        expect(bad.hint).toMatch(/--ca/);
      } finally {
        pub.kill('SIGKILL');
      }
    } finally {
      broker.kill('SIGTERM');
      await once(broker, 'exit');
    }
  });

  it('a broker that is not there: exit 3, no file', async () => {
    const port = await freePort('127.0.0.1');
    const out = join(dir, 'none.jsonl');
    const err = (await record(testIO().io, options(out, `mqtt://127.0.0.1:${port}`, {})).catch((e: unknown) => e)) as {
      exitCode: number;
      message: string;
    };
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`nothing is listening at mqtt://127.0.0.1:${port} (connection refused)`);
    expect(fileLines(out)).toEqual([]);
  });
});
