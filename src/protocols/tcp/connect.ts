/**
 * Plain TCP, node:net only: connection set-up time (SYN to SYN-ACK, as the kernel reports the
 * socket writable), and sockets opened with a deadline. Every protocol's latency check starts
 * here, so "TCP connect time" means the same thing for OPC UA, Modbus, MQTT and tcp:// targets.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { startDeadline } from '../../core/deadline.js';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatHost } from '../../core/targets.js';
import { formatDuration } from '../../core/units.js';

/** A failure to connect, with the errno code kept for "timeout" vs "refused" accounting. */
export class ConnectError extends IiotError {
  constructor(
    readonly code: string,
    message: string,
    hint: string,
  ) {
    super(ExitCode.Unreachable, message, { hint });
    this.name = 'ConnectError';
  }
}

export function connectErrorFor(err: unknown, host: string, port: number, timeoutMs: number): ConnectError {
  const where = `${formatHost(host)}:${port}`;
  const code = (err as NodeJS.ErrnoException)?.code ?? 'ERROR';
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectError(
        code,
        `nothing is listening at ${where} (connection refused)`,
        'is the device or service running, and is this its port?',
      );
    case 'ETIMEDOUT':
      return new ConnectError(
        code,
        `no answer from ${where} within ${formatDuration(timeoutMs)}`,
        'the host is down or a firewall drops the traffic; check the address, or give more time with --timeout',
      );
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectError(code, `no route to ${where}`, 'check the cable, VLAN and IP settings of this computer');
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectError(code, `cannot resolve the host name "${host}"`, 'check the spelling, or use the IP address');
    case 'ECONNRESET':
      return new ConnectError(code, `${where} reset the connection`, 'the service refused this client or restarted');
    default:
      return new ConnectError(
        code,
        `cannot connect to ${where}: ${(err as Error)?.message?.split('\n')[0] ?? String(err)}`,
        'run again with --debug for details',
      );
  }
}

export interface TimedSocket {
  socket: Socket;
  /** from connect() to the 'connect' event, ms */
  connectMs: number;
  /** the part of the timeout the connect used (time iiot was busy not counted), ms */
  chargedMs: number;
}

/**
 * Opens a TCP connection (Nagle off: our own requests are never held back), bounded by
 * `timeoutMs` of the peer's time (src/core/deadline.ts: time iiot was busy is not charged).
 */
export function openTcp(host: string, port: number, timeoutMs: number): Promise<TimedSocket> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const socket = netConnect({ host, port, noDelay: true });
    const deadline = startDeadline(timeoutMs, () => {
      socket.destroy();
      reject(connectErrorFor(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' }), host, port, timeoutMs));
    });
    socket.once('connect', () => {
      deadline.cancel();
      socket.removeAllListeners('error');
      resolve({ socket, connectMs: performance.now() - t0, chargedMs: deadline.charged() });
    });
    socket.once('error', (err) => {
      deadline.cancel();
      socket.destroy();
      reject(connectErrorFor(err, host, port, timeoutMs));
    });
  });
}

/** One TCP connect time: connect, then close at once (FIN, not RST). */
export async function tcpConnectTime(host: string, port: number, timeoutMs: number): Promise<number> {
  const { socket, connectMs } = await openTcp(host, port, timeoutMs);
  await new Promise<void>((resolve) => {
    socket.once('close', () => resolve());
    socket.on('error', () => {});
    socket.end();
    // a peer that never closes its side must not keep us waiting
    setTimeout(
      () => {
        socket.destroy();
        resolve();
      },
      Math.min(timeoutMs, 1000),
    ).unref();
  });
  return connectMs;
}

export interface TimedTlsSocket {
  socket: TLSSocket;
  connectMs: number;
  /** from TCP connected to the TLS handshake done, ms */
  handshakeMs: number;
  /** the chain did not verify against the trust store (the socket is open anyway, for inspection) */
  authorizationError: string | undefined;
  /** the part of the timeout connect and handshake used (time iiot was busy not counted), ms */
  chargedMs: number;
}

/**
 * TCP, then a TLS handshake over it, bounded by `timeoutMs` in total (of the peer's time, as
 * openTcp). The handshake never fails
 * on an untrusted certificate here (the security check wants to look at it; the caller decides
 * what to do with `authorizationError`); it fails on protocol errors (no TLS on that port, no
 * common cipher), which become one clear line.
 */
export async function openTls(
  host: string,
  port: number,
  timeoutMs: number,
  options: Omit<ConnectionOptions, 'socket' | 'host' | 'port'> = {},
): Promise<TimedTlsSocket> {
  const { socket: raw, connectMs, chargedMs } = await openTcp(host, port, timeoutMs);
  // what the connect used of the timeout is taken off the handshake's
  const left = Math.max(1, timeoutMs - chargedMs);
  const where = `${formatHost(host)}:${port}`;
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const isIp = /^[\d.]+$|:/.test(host);
    const socket = tlsConnect({ ...options, socket: raw, rejectUnauthorized: false, ...(isIp ? {} : { servername: host }) });
    const deadline = startDeadline(left, () => {
      socket.destroy();
      raw.destroy();
      reject(
        new ConnectError(
          'ETLSTIMEOUT',
          `${where} did not complete a TLS handshake within ${formatDuration(timeoutMs)}`,
          'is this a TLS port? (MQTT over TLS is usually 8883; plain MQTT 1883)',
        ),
      );
    });
    socket.once('secureConnect', () => {
      deadline.cancel();
      socket.removeAllListeners('error');
      const authorizationError = socket.authorized ? undefined : String(socket.authorizationError ?? 'not authorized');
      resolve({ socket, connectMs, handshakeMs: performance.now() - t0, authorizationError, chargedMs: chargedMs + deadline.charged() });
    });
    socket.once('error', (err: NodeJS.ErrnoException) => {
      deadline.cancel();
      socket.destroy();
      raw.destroy();
      const reason =
        err.code === 'ECONNRESET' || /wrong version number|packet length too long|unexpected eof/i.test(err.message)
          ? 'the server does not speak TLS on this port'
          : err.message.split('\n')[0];
      reject(
        new ConnectError(
          err.code ?? 'ETLS',
          `TLS handshake with ${where} failed: ${reason}`,
          "check that the port is a TLS port and that the server's TLS settings allow TLS 1.2 or later",
        ),
      );
    });
  });
}
