import { connect, createServer, type Server, type Socket } from 'node:net';
import { freePort } from '../../src/protocols/listen.js';
import { waitFor } from './wait.js';

/** One TCP connection attempt: true when something accepts it (the socket is closed at once). */
export function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s: Socket = connect({ host, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** True when nothing accepts connections at a URL's host and port (a server that has stopped). */
export async function refused(url: string): Promise<boolean> {
  const u = new URL(url);
  return !(await accepts(u.hostname, Number(u.port)));
}

/** Resolves once something accepts TCP connections on host:port. */
export function waitForPort(host: string, port: number): Promise<void> {
  return waitFor(() => accepts(host, port), 50);
}

/** A port nothing listens on (asked of the OS, then released). */
export function closedPort(): Promise<number> {
  return freePort('127.0.0.1');
}

/**
 * A TCP server whose behaviour per connection the test decides, on host:port (default
 * 127.0.0.1 and a free port); stop() destroys the open connections and closes it.
 */
export async function tcpServer(
  onSocket: (s: Socket) => void,
  at: { host?: string; port?: number } = {},
): Promise<{ port: number; server: Server; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port: at.port ?? 0, host: at.host ?? '127.0.0.1', exclusive: true }, resolve);
  });
  return {
    port: (server.address() as { port: number }).port,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
