/**
 * Connecting to a broker the way every iiot MQTT client does: a random client id unless told
 * otherwise (reusing a plant client's id would knock that client off the broker), the password
 * from the environment or a file (never argv, never logged), TLS files from options or the
 * environment, every connection attempt bounded by iiot's deadline, and errors explained in one
 * line.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect, type IClientOptions, type MqttClient } from 'mqtt';
import { behindOursMs, startDeadline, type Deadline } from '../../core/deadline.js';
import { IiotError, unreachableError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { MqttTarget } from '../../core/targets.js';

export const MQTT_PASSWORD_ENV = 'IIOT_PASSWORD';
/** TLS files when no option names them */
export const MQTT_TLS_ENV = { ca: 'IIOT_MQTT_CA', cert: 'IIOT_MQTT_CERT', key: 'IIOT_MQTT_KEY' } as const;

export interface MqttConnectOptions {
  target: MqttTarget;
  clientId?: string | undefined;
  user?: string | undefined;
  /** environment variable holding the password */
  passwordEnv: string;
  passwordFile?: string | undefined;
  /** PEM files (mqtts:// only) */
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
  /** longest wait for CONNACK */
  timeoutMs: number;
}

export function randomClientId(role: string): string {
  return `iiot-${role}-${randomBytes(5).toString('hex')}`;
}

function readPem(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (err) {
    throw usageError(
      `${what}: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      'give the path of a PEM file',
    );
  }
}

function readPassword(o: MqttConnectOptions, env: NodeJS.ProcessEnv): string {
  if (o.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(o.passwordFile, 'utf8');
    } catch (err) {
      throw usageError(`--password-file: cannot read ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    return text.split(/\r?\n/)[0] ?? '';
  }
  const v = env[o.passwordEnv];
  if (v === undefined) {
    throw usageError(
      `--user ${o.user}: no password: $${o.passwordEnv} is not set`,
      `export ${o.passwordEnv}=... (or --password-env VAR, or --password-file FILE); passwords never go on the command line`,
    );
  }
  return v;
}

/** mqtt.js options; reads the password and TLS files now, so problems show before connecting. */
export function mqttClientOptions(o: MqttConnectOptions, role: string, env: NodeJS.ProcessEnv = process.env): IClientOptions {
  const tls = o.target.tls;
  const ca = o.ca ?? env[MQTT_TLS_ENV.ca];
  const cert = o.cert ?? env[MQTT_TLS_ENV.cert];
  const key = o.key ?? env[MQTT_TLS_ENV.key];
  if (!tls && (o.ca !== undefined || o.cert !== undefined || o.key !== undefined)) {
    throw usageError(`--ca, --cert and --key are for TLS: ${o.target.url} is plain MQTT`, `write mqtts://${o.target.host}:8883 for TLS`);
  }
  if ((cert === undefined) !== (key === undefined) && tls) throw usageError('a client certificate needs both --cert and --key');
  return {
    clientId: o.clientId ?? randomClientId(role),
    protocolVersion: 4,
    clean: true,
    // connectMqttClient replaces this by its own deadline (mqtt.js's timer as a safety net)
    connectTimeout: o.timeoutMs,
    reconnectPeriod: 0,
    // mqtt.js logs every packet through `debug` unless given a logger: a tenth of its time
    log: () => undefined,
    ...(o.user === undefined ? {} : { username: o.user, password: readPassword(o, env) }),
    ...(tls
      ? {
          protocol: 'mqtts' as const,
          rejectUnauthorized: true,
          ...(ca ? { ca: readPem(ca, '--ca') } : {}),
          ...(cert ? { cert: readPem(cert, '--cert') } : {}),
          ...(key ? { key: readPem(key, '--key') } : {}),
        }
      : {}),
  };
}

/**
 * An mqtt.js client, connected: resolves on CONNACK, rejects on a refusal, an error, or (without
 * mqtt.js reconnects, reconnectPeriod 0) a closed connection. Every connection attempt, the first
 * and each reconnect, is bounded by `timeoutMs` (guardConnectAttempts).
 */
export function connectMqttClient(url: string, options: IClientOptions, timeoutMs: number): Promise<MqttClient> {
  const client = connect(url, { ...options, manualConnect: true });
  guardConnectAttempts(client, timeoutMs);
  return new Promise((resolve, reject) => {
    const fail = (err: Error) => {
      cleanup();
      client.end(true);
      reject(err);
    };
    const onConnect = () => {
      cleanup();
      resolve(client);
    };
    const onClose = () => fail(new Error("Couldn't connect to server"));
    const cleanup = () => {
      client.removeListener('connect', onConnect);
      client.removeListener('error', fail);
      client.removeListener('close', onClose);
    };
    client.once('connect', onConnect);
    client.once('error', fail);
    if (options.reconnectPeriod === 0) client.once('close', onClose);
    client.connect();
  });
}

/**
 * Bounds every connection attempt of an mqtt.js client (TCP, TLS, CONNECT to CONNACK) by iiot's
 * deadline (src/core/deadline.ts) instead of mqtt.js's `connectTimeout`. That one is a plain
 * timer: while iiot is busy (loading node-opcua for another source, a CPU shared with other
 * programs) it fires before the CONNACK waiting in the socket is read, and a healthy broker is
 * dropped. Here each attempt (client.connect(), which reconnect() calls too) arms a deadline as
 * the CONNECT is written; when it expires, mqtt.js's own timeout handling runs (the connection is
 * dropped, 'error' "connack timeout"). mqtt.js's timer stays only as a safety net behind ours.
 * Create the client with `manualConnect: true` and call client.connect() after this.
 */
export function guardConnectAttempts(client: MqttClient, timeoutMs: number): void {
  client.options.connectTimeout = behindOursMs(timeoutMs);
  const original = client.connect.bind(client);
  let deadline: Deadline | undefined;
  client.connect = () => {
    deadline?.cancel();
    const r = original();
    const stream = client.stream;
    const d = startDeadline(timeoutMs, () => {
      // a later attempt, or connected after all
      if (client.connected || client.stream !== stream) return;
      const lib = client as unknown as { _onConnackTimeout?: () => void };
      if (typeof lib._onConnackTimeout === 'function') lib._onConnackTimeout();
      else {
        client.end(true);
        client.emit('error', new Error('connack timeout'));
      }
    });
    deadline = d;
    stream?.once('close', () => d.cancel());
    return r;
  };
  client.on('connect', () => deadline?.cancel());
}

/** The broker URL mqtt.js connects to (the options carry the rest). */
export function brokerUrl(target: MqttTarget): string {
  const host = target.host.includes(':') ? `[${target.host}]` : target.host;
  return `${target.tls ? 'mqtts' : 'mqtt'}://${host}:${target.port}`;
}

/** A failed connection in one line: refused, wrong password, TLS, timeout. */
export function explainMqttError(err: unknown, url: string, user?: string): IiotError {
  if (err instanceof IiotError) return err;
  const e = err as { message?: string; code?: string | number };
  const text = `${e.message ?? String(err)} ${e.code ?? ''}`;
  if (/ECONNREFUSED/.test(text))
    return unreachableError(
      `nothing is listening at ${url} (connection refused)`,
      'is the broker running, and is this its port? (MQTT 1883, MQTT over TLS 8883)',
      err,
    );
  if (/Bad username or password|bad user name or password|code 4\b/i.test(text) || e.code === 4) {
    return new IiotError(ExitCode.Unreachable, `${url} refused the user name or password${user ? ` of "${user}"` : ''} (CONNACK 4)`, {
      hint: 'check the user and the password ($IIOT_PASSWORD, --password-env or --password-file)',
      cause: err,
    });
  }
  if (/Not authorized|code 5\b/i.test(text) || e.code === 5) {
    return new IiotError(ExitCode.Unreachable, `${url} refused the connection: not authorized (CONNACK 5)`, {
      hint: user
        ? "this user may not connect; check the broker's access control"
        : 'the broker wants a user name and password: give --user, and the password in $IIOT_PASSWORD',
      cause: err,
    });
  }
  if (/Identifier rejected|code 2\b/i.test(text))
    return unreachableError(`${url} rejected the client id (CONNACK 2)`, 'leave --client-id out for a random one, or choose another', err);
  if (/unacceptable protocol version/i.test(text))
    return unreachableError(
      `${url} does not speak MQTT 3.1.1 (CONNACK 1)`,
      'iiot speaks MQTT 3.1.1, which every broker accepts; check the port',
      err,
    );
  if (/certificate|self.signed|CERT_|SSL|TLS|wrong version number/i.test(text)) {
    return unreachableError(
      `${url}: TLS failed: ${(e.message ?? '').split('\n')[0]}`,
      "give the broker's CA with --ca (or $IIOT_MQTT_CA); check the host name matches the certificate",
      err,
    );
  }
  if (/connack timeout|timed? ?out/i.test(text))
    return unreachableError(
      `${url} did not answer the MQTT connect in time`,
      'is this an MQTT port? a firewall may drop the traffic; give more time with --timeout',
      err,
    );
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return unreachableError(`cannot resolve the host of ${url}`, 'check the spelling, or use the IP address', err);
  return unreachableError(
    `cannot connect to ${url}: ${(e.message ?? String(err)).split('\n')[0]}`,
    'run again with --debug for details',
    err,
  );
}
