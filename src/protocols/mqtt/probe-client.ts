/**
 * One MQTT 3.1.1 connection for the checks, on a socket we open ourselves (src/protocols/tcp):
 * so the TCP connect time, the TLS handshake and the CONNACK are timed separately, Nagle is off
 * on our side (a 40 ms stall the check reports is the broker's, not ours), the peer certificate
 * can be inspected, and every control packet we send is seen (`onPacket`, for --audit-log).
 * mqtt.js reconnects by default; here never (reconnectPeriod 0): a refused or dropped connection
 * is a result, not something to hide. The client id is random per connection.
 */
import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { MqttClient, type IClientOptions, type Packet } from 'mqtt';
import { behindOursMs, startDeadline } from '../../core/deadline.js';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { MqttTarget } from '../../core/targets.js';
import { formatDuration } from '../../core/units.js';
import { openTcp, openTls } from '../tcp/connect.js';

/** CONNACK return codes of MQTT 3.1.1 (3.2.2.3). */
export const CONNACK_CODES: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

export class ConnackRefused extends IiotError {
  constructor(
    readonly returnCode: number,
    where: string,
  ) {
    super(ExitCode.Unreachable, `${where} refused the connection: CONNACK ${returnCode} (${CONNACK_CODES[returnCode] ?? 'unknown'})`, {
      hint:
        returnCode === 4 || returnCode === 5
          ? 'give a user with --user and the password in $IIOT_PASSWORD or --password-file'
          : 'run again with --debug',
    });
    this.name = 'ConnackRefused';
  }
}

export interface MqttProbeOptions {
  timeoutMs: number;
  username?: string | undefined;
  password?: string | undefined;
  /** extra CA certificates (PEM) to verify an mqtts:// broker against */
  ca?: Buffer | undefined;
  /** each control packet we send (passwords are removed before this sees a CONNECT) */
  onPacket?: ((name: string, detail: Record<string, unknown>) => void) | undefined;
  /** a prefix for the random client id */
  clientIdPrefix?: string | undefined;
}

export interface MqttProbeConnection {
  client: MqttClient;
  clientId: string;
  tcpConnectMs: number;
  tlsHandshakeMs?: number | undefined;
  /** CONNECT sent to CONNACK received */
  connackMs: number;
  tls?: { socket: TLSSocket; authorizationError: string | undefined } | undefined;
  /** the socket closed (by the broker or the network), with the reason once known */
  lost(): string | undefined;
  close(): Promise<void>;
}

export function randomClientId(prefix = 'iiot-check'): string {
  return `${prefix}-${randomBytes(6).toString('hex')}`;
}

function describePacket(p: Packet): Record<string, unknown> {
  switch (p.cmd) {
    case 'connect':
      return {
        clientId: p.clientId,
        protocolVersion: p.protocolVersion,
        clean: p.clean,
        keepalive: p.keepalive,
        username: p.username !== undefined,
        password: p.password !== undefined,
      };
    case 'publish':
      return {
        topic: p.topic,
        qos: p.qos,
        retain: p.retain,
        bytes: typeof p.payload === 'string' ? Buffer.byteLength(p.payload) : p.payload.length,
      };
    case 'subscribe':
      return { topics: p.subscriptions.map((s) => ({ topic: s.topic, qos: s.qos })) };
    case 'unsubscribe':
      return { topics: p.unsubscriptions };
    case 'puback':
    case 'pubrec':
    case 'pubrel':
    case 'pubcomp':
      return { messageId: p.messageId };
    default:
      return {};
  }
}

export async function connectMqtt(target: MqttTarget, o: MqttProbeOptions): Promise<MqttProbeConnection> {
  const where = target.url;
  let socket: Socket;
  let tcpConnectMs: number;
  let tlsHandshakeMs: number | undefined;
  let tls: MqttProbeConnection['tls'];
  /** what connect and handshake used of the timeout */
  let charged: number;
  o.onPacket?.(target.tls ? 'TCP connect + TLS handshake' : 'TCP connect', { host: target.host, port: target.port });
  if (target.tls) {
    const t = await openTls(target.host, target.port, o.timeoutMs, o.ca ? { ca: o.ca } : {});
    socket = t.socket;
    tcpConnectMs = t.connectMs;
    tlsHandshakeMs = t.handshakeMs;
    tls = { socket: t.socket, authorizationError: t.authorizationError };
    charged = t.chargedMs;
  } else {
    const t = await openTcp(target.host, target.port, o.timeoutMs);
    socket = t.socket;
    tcpConnectMs = t.connectMs;
    charged = t.chargedMs;
  }
  const left = Math.max(1, o.timeoutMs - charged);
  let lostReason: string | undefined;
  let closing = false;
  socket.on('close', () => {
    if (!closing) lostReason ??= `${where} closed the connection`;
  });
  const clientId = randomClientId(o.clientIdPrefix);
  const options: IClientOptions = {
    clientId,
    protocolVersion: 4,
    clean: true,
    keepalive: 60,
    reconnectPeriod: 0,
    // mqtt.js's CONNACK timer is a plain timer (it fires while iiot is busy even when the CONNACK
    // is waiting in the socket): only a safety net here, the deadline below decides
    connectTimeout: behindOursMs(left),
    manualConnect: true,
    ...(o.username === undefined ? {} : { username: o.username }),
    ...(o.password === undefined ? {} : { password: o.password }),
  };
  let built = false;
  const client = new MqttClient(() => {
    if (built) throw new Error('no reconnects');
    built = true;
    return socket as unknown as ReturnType<ConstructorParameters<typeof MqttClient>[0]>;
  }, options);
  client.on('packetsend', (p: Packet) => o.onPacket?.(p.cmd.toUpperCase(), describePacket(p)));
  client.on('error', () => {});
  const t0 = performance.now();
  const connackMs = await new Promise<number>((resolve, reject) => {
    // armed as CONNECT is written (client.connect() below writes it at once)
    const deadline = startDeadline(left, () => {
      cleanup();
      client.end(true);
      socket.destroy();
      reject(
        new IiotError(
          ExitCode.Unreachable,
          `${where} accepted the TCP connection but sent no CONNACK within ${formatDuration(o.timeoutMs)}`,
          { hint: 'is this an MQTT port? (plain MQTT is usually 1883, MQTT over TLS 8883)' },
        ),
      );
    });
    const onConnect = () => {
      cleanup();
      resolve(performance.now() - t0);
    };
    const onError = (err: Error & { code?: number | string }) => {
      cleanup();
      client.end(true);
      socket.destroy();
      if (typeof err.code === 'number') reject(new ConnackRefused(err.code, where));
      else
        reject(
          new IiotError(ExitCode.Unreachable, `${where}: ${err.message.split('\n')[0]}`, { hint: 'is this an MQTT broker?', cause: err }),
        );
    };
    const onClose = () => {
      cleanup();
      reject(
        new IiotError(ExitCode.Unreachable, `${where} closed the connection before CONNACK`, {
          hint: 'the broker refused this client (some brokers just close the connection), or this is not an MQTT port',
        }),
      );
    };
    const cleanup = () => {
      deadline.cancel();
      client.removeListener('connect', onConnect);
      client.removeListener('error', onError);
      client.removeListener('close', onClose);
    };
    client.once('connect', onConnect);
    client.once('error', onError);
    client.once('close', onClose);
    client.connect();
  });
  return {
    client,
    clientId,
    tcpConnectMs,
    tlsHandshakeMs,
    connackMs,
    tls,
    lost: () => lostReason,
    close: async () => {
      closing = true;
      if (lostReason !== undefined) {
        client.end(true);
        socket.destroy();
        return;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          () => {
            client.end(true);
            socket.destroy();
            resolve();
          },
          Math.min(o.timeoutMs, 2000),
        );
        client.end(false, {}, () => {
          clearTimeout(timer);
          resolve();
        });
      });
    },
  };
}
