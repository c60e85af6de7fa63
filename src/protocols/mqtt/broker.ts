import { timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { Aedes, type AuthenticateError } from 'aedes';
import { formatHost } from '../../core/targets.js';
import { listenError } from '../listen.js';

/**
 * An in-process MQTT 3.1.1 broker (aedes) on a TCP port, optionally with one username/password.
 * Used by the simulated plant and by `iiot replay --to mqtt` when no broker is given.
 */

export interface BrokerOptions {
  host: string;
  /** 0 = a free port */
  port: number;
  /** require this username and password; absent: anonymous clients are accepted */
  auth?: { username: string; password: string };
  /**
   * Behave as a Sparkplug Aware MQTT server (Sparkplug 3.0, 10.1.1): keep the last NBIRTH, DBIRTH,
   * NDEATH and DDEATH of every node retained under $sparkplug/certificates/<topic>, so a host
   * (or `iiot discover`) that subscribes late still learns every node and its metrics. Default true.
   */
  sparkplugAware?: boolean;
  /**
   * Leave Nagle's algorithm on for client sockets (default false: TCP_NODELAY, as a broker should).
   * With it on, a QoS 1 publisher that also subscribes waits ~40 ms for the delayed ACK: the stall
   * of an unpatched broker, which `iiot check latency` must make visible (iiot sim --mqtt-nagle).
   */
  nagle?: boolean;
}

const SPARKPLUG_CERTIFICATE = /^spBv1\.0\/[^/]+\/(NBIRTH|DBIRTH|NDEATH|DDEATH)\//;

export interface RunningBroker {
  /** mqtt://host:port */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** clients connected right now */
  connectedClients(): number;
  stop(): Promise<void>;
}

export async function startBroker(options: BrokerOptions): Promise<RunningBroker> {
  const broker = await Aedes.createBroker(options.auth ? { authenticate: authenticator(options.auth) } : {});
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.setNoDelay(options.nagle !== true);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  // A client that vanishes mid-packet is not the broker's problem.
  broker.on('clientError', () => {});
  broker.on('connectionError', () => {});
  if (options.sparkplugAware !== false) {
    broker.on('publish', (packet, client) => {
      // client is null for what the broker publishes itself (the copies below): no loop
      if (!client || !SPARKPLUG_CERTIFICATE.test(packet.topic)) return;
      broker.publish(
        { cmd: 'publish', topic: `$sparkplug/certificates/${packet.topic}`, payload: packet.payload, qos: 1, retain: true, dup: false },
        () => {},
      );
    });
  }
  try {
    server.listen({ port: options.port, host: options.host, exclusive: true });
    await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => Promise.reject(err))]);
  } catch (err) {
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw listenError(err, 'MQTT broker', options.host, options.port);
  }
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : options.port;
  let stopped: Promise<void> | undefined;
  return {
    url: `mqtt://${formatHost(options.host)}:${port}`,
    host: options.host,
    port,
    connectedClients: () => broker.connectedClients,
    stop: () =>
      (stopped ??= (async () => {
        await new Promise<void>((resolve) => broker.close(() => resolve()));
        // aedes closes its clients; sockets still half-open are cut so the port is free at once.
        for (const s of sockets) s.destroy();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      })()),
  };
}

function authenticator(auth: { username: string; password: string }) {
  const expectedUser = Buffer.from(auth.username);
  const expectedPass = Buffer.from(auth.password);
  return (
    _client: unknown,
    username: Readonly<string | undefined>,
    password: Readonly<Buffer | undefined>,
    done: (error: AuthenticateError | null, success: boolean | null) => void,
  ): void => {
    const ok =
      username !== undefined &&
      password !== undefined &&
      safeEqual(Buffer.from(username), expectedUser) &&
      safeEqual(password, expectedPass);
    if (ok) return done(null, true);
    // MQTT 3.1.1 CONNACK 4 "bad user name or password", 5 "not authorized" when none was given
    const err = new Error(username === undefined ? 'not authorized' : 'bad user name or password') as AuthenticateError;
    err.returnCode = username === undefined ? 5 : 4;
    done(err, null);
  };
}

function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
