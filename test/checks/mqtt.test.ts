/**
 * MQTT checks against real brokers on loopback: aedes (the plant's, MQTT 3.1.1) with and without
 * authentication, and Debian's mosquitto configured both ways, with TLS certificates the test
 * makes (SHA-1, wrong host, expired). Latency at QoS 0, 1 and 2 against both.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { runLatencyCheck } from '../../src/checks/latency/run.js';
import { parseLatencyOptions, parseSecurityOptions } from '../../src/checks/options.js';
import { runSecurityCheck } from '../../src/checks/security/run.js';
import { startBroker, type RunningBroker } from '../../src/protocols/mqtt/broker.js';
import { opensslCert, windowCert } from '../helpers/certs.js';
import { captureIO } from '../helpers/io.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { closedPort } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const USER = { username: 'integrator', password: 'not-in-argv' };
const ENV = { IIOT_PASSWORD: USER.password };

let open: RunningBroker;
let authed: RunningBroker;
let mosqOpen: Mosquitto;
let mosqAuth: Mosquitto;
let mosqTls: Mosquitto;
let mosqExpired: Mosquitto;

beforeAll(async () => {
  open = await startBroker({ host: '127.0.0.1', port: 0 });
  authed = await startBroker({ host: '127.0.0.1', port: 0, auth: USER });
  mosqOpen = await startMosquitto();
  mosqAuth = await startMosquitto({ users: { [USER.username]: USER.password } });
  const dir = tempDir('broker-certs');
  // SHA-1, self-signed, naming a host that is not the one we connect to
  mosqTls = await startMosquitto({ tls: opensslCert(dir, 'broker', { digest: 'sha1', san: 'DNS:broker.example', days: 365 }) });
  const now = Date.now();
  mosqExpired = await startMosquitto({
    tls: await windowCert(dir, 'expired', {
      notBefore: new Date(now - 400 * 86_400_000),
      notAfter: new Date(now - 86_400_000),
      ip: ['127.0.0.1'],
    }),
  });
}, 60_000);

afterAll(async () => {
  await Promise.all([open?.stop(), authed?.stop(), mosqOpen?.stop(), mosqAuth?.stop(), mosqTls?.stop(), mosqExpired?.stop()]);
  removeTempDirs();
});

const ids = (fs: Array<{ ruleId: string }>) => fs.map((f) => f.ruleId).sort();

describe('MQTT security', () => {
  it('aedes without authentication: anonymous accepted, # readable (topics counted, nothing published)', async () => {
    const pub = await mqtt.connectAsync(open.url);
    const timer = setInterval(() => void pub.publish('plant/line3/speed', '42'), 50);
    try {
      const audit = join(tempDir('audit'), 'a.jsonl');
      const { io } = captureIO();
      const r = await runSecurityCheck(
        io,
        parseSecurityOptions([open.url], { mqttWildcard: true, mqttSys: true, listen: '600ms', auditLog: audit }),
      );
      const t = r.targets[0]!;
      expect(t.status).toBe('assessed');
      expect(ids(t.findings)).toEqual(['mqtt-anonymous', 'mqtt-no-tls', 'mqtt-plaintext', 'mqtt-sys-readable', 'mqtt-wildcard-subscribe']);
      const w = t.findings.find((f) => f.ruleId === 'mqtt-wildcard-subscribe')!;
      expect((w.data as { examples: string[] }).examples).toContain('plant/line3/speed');
      expect(r.exitCode).toBe(ExitCode.CheckFailed);
      const sent = readFileSync(audit, 'utf8')
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { request: string }).request);
      expect(sent).not.toContain('PUBLISH');
      expect(sent.filter((s) => s === 'CONNECT')).toHaveLength(1);
      // the client id is random and says what it is
      expect(readFileSync(audit, 'utf8')).toMatch(/"clientId":"iiot-check-[0-9a-f]{12}"/);
    } finally {
      clearInterval(timer);
      await pub.endAsync();
    }
  });

  it('aedes with authentication: anonymous refused; with --user, what that user may read', async () => {
    const { io } = captureIO({}, ENV);
    const anonymous = await runSecurityCheck(io, parseSecurityOptions([authed.url], { mqttWildcard: true, listen: '200ms' }));
    expect(anonymous.targets[0]!.status).toBe('assessed');
    expect(ids(anonymous.targets[0]!.findings)).toEqual(['mqtt-no-tls', 'mqtt-plaintext']);
    expect(anonymous.exitCode).toBe(ExitCode.Ok);
    const user = await runSecurityCheck(
      io,
      parseSecurityOptions([authed.url], { mqttWildcard: true, listen: '200ms', user: USER.username }),
    );
    expect(ids(user.targets[0]!.findings)).toEqual(['mqtt-no-tls', 'mqtt-plaintext', 'mqtt-user-wildcard-subscribe']);
    const wrong = await runSecurityCheck(
      captureIO({}, { IIOT_PASSWORD: 'wrong' }).io,
      parseSecurityOptions([authed.url], { mqttWildcard: true, listen: '200ms', user: USER.username }),
    );
    expect(wrong.targets[0]!.status).toBe('partial');
    expect(wrong.targets[0]!.reason).toContain('CONNACK 4 (bad user name or password)');
    expect(wrong.exitCode).toBe(ExitCode.Unreachable);
  });

  it('mosquitto both ways: allow_anonymous true, and a password file', async () => {
    const { io } = captureIO({}, ENV);
    const r = await runSecurityCheck(
      io,
      parseSecurityOptions([mosqOpen.url, mosqAuth.url], { mqttSys: true, listen: '1200ms', user: USER.username }),
    );
    expect(ids(r.targets[0]!.findings)).toEqual(['mqtt-anonymous', 'mqtt-no-tls', 'mqtt-plaintext', 'mqtt-sys-readable']);
    // mosquitto publishes its $SYS tree every sys_interval (10 s) and retains it: the version topic is there at once
    expect((r.targets[0]!.findings.find((f) => f.ruleId === 'mqtt-sys-readable')!.data as { topics: number }).topics).toBeGreaterThan(0);
    expect(ids(r.targets[1]!.findings)).toEqual(['mqtt-no-tls', 'mqtt-plaintext', 'mqtt-sys-readable']);
    expect((r.targets[1]!.findings.find((f) => f.ruleId === 'mqtt-sys-readable')!.data as { as: string }).as).toBe('user');
  });

  it('mosquitto over TLS: SHA-1, a certificate for another host, untrusted; and an expired one', async () => {
    const { io } = captureIO();
    const r = await runSecurityCheck(io, parseSecurityOptions([mosqTls.url, mosqExpired.url], { failOn: 'critical' }));
    const [tls, expired] = r.targets;
    expect(tls!.status).toBe('assessed');
    expect(ids(tls!.findings)).toEqual([
      'mqtt-anonymous',
      'mqtt-tls-cert-host-mismatch',
      'mqtt-tls-cert-weak-signature',
      'mqtt-tls-untrusted',
    ]);
    expect(tls!.facts.tls).toMatchObject({ trusted: false });
    expect(ids(expired!.findings)).toEqual(['mqtt-anonymous', 'mqtt-tls-cert-expired', 'mqtt-tls-untrusted']);
    // plaintext rules do not apply to mqtts:// targets
    expect(tls!.rulesEvaluated).not.toContain('mqtt-plaintext');
    expect(r.exitCode).toBe(ExitCode.Ok);
  });

  it('a TLS handshake with a port that does not speak TLS, and a closed port: not assessed, one clear line each', async () => {
    const { io } = captureIO();
    const closed = `mqtt://127.0.0.1:${await closedPort()}`;
    const r = await runSecurityCheck(io, parseSecurityOptions([`mqtts://127.0.0.1:${mosqOpen.port}`, closed], { timeout: '2s' }));
    expect(r.targets.map((t) => t.status)).toEqual(['not-assessed', 'not-assessed']);
    expect(r.targets[0]!.reason).toMatch(/^TLS handshake with 127\.0\.0\.1:\d+ failed: the server does not speak TLS on this port$/);
    expect(r.targets[1]!.reason).toMatch(/^nothing is listening at 127\.0\.0\.1:\d+ \(connection refused\)$/);
    expect(r.targets.every((t) => t.findings.length === 0)).toBe(true);
    expect(r.exitCode).toBe(ExitCode.Unreachable);
  });
});

describe('MQTT latency', () => {
  it('QoS 0, 1 and 2 publish-to-receive and PUBACK/PUBCOMP through mosquitto and aedes', async () => {
    const { io } = captureIO();
    const r = await runLatencyCheck(io, parseLatencyOptions([mosqOpen.url, open.url], { count: '12', interval: '5ms', connectCount: '2' }));
    for (const t of r.targets) {
      expect(t.status).toBe('measured');
      expect(t.series.map((s) => s.name)).toEqual(['tcp-connect', 'qos0', 'qos1', 'qos1-ack', 'qos2', 'qos2-ack']);
      for (const s of t.series.filter((x) => x.kind !== 'connect')) {
        expect(s.received).toBe(12);
        expect(s.stats!.count).toBe(12);
        expect(s.stats!.min).toBeLessThanOrEqual(s.stats!.p50);
        expect(s.stats!.p99).toBeLessThanOrEqual(s.stats!.max);
      }
      expect(t.setup.map((s) => s.name)).toEqual(['qos0 set-up', 'qos1 set-up', 'qos2 set-up']);
    }
    expect(r.exitCode).toBe(ExitCode.Ok);
  });

  it('an authenticated mosquitto: measured with --user, refused without', async () => {
    const withUser = await runLatencyCheck(
      captureIO({}, ENV).io,
      parseLatencyOptions([mosqAuth.url], { count: '3', interval: '5ms', qos: '1', user: USER.username }),
    );
    expect(withUser.targets[0]!.status).toBe('measured');
    const without = await runLatencyCheck(captureIO().io, parseLatencyOptions([mosqAuth.url], { count: '3', interval: '5ms', qos: '1' }));
    expect(without.targets[0]!.status).toBe('partial');
    expect(without.targets[0]!.reason).toContain('CONNACK 5 (not authorized)');
    expect(without.exitCode).toBe(ExitCode.Unreachable);
  });
});
