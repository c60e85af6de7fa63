import { createServer } from 'node:net';
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { formatHost } from '../core/targets.js';

/**
 * What every server of iiot (simulated plant, replay) needs around listening: a free port, and
 * one clear line when the port cannot be had. No protocol library here.
 */

/**
 * A port the OS says is free on `host` right now. modbus-serial's ServerTCP cannot listen on
 * port 0 (it turns 0 into 502), so we ask the OS first; the caller retries if another process
 * takes the port in between.
 */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host, exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

/** EADDRINUSE / EACCES / EADDRNOTAVAIL as one line a user can act on (exit 2: bad input). */
export function listenError(err: unknown, what: string, host: string, port: number): IiotError {
  const code = (err as NodeJS.ErrnoException).code;
  const where = `${formatHost(host)}:${port}`;
  if (code === 'EADDRINUSE') {
    return usageError(
      `${what}: port ${port} on ${host} is already in use`,
      `stop what listens there (ss -ltnp 'sport = :${port}'), or choose another port (0 picks a free one)`,
    );
  }
  if (code === 'EACCES')
    return usageError(`${what}: not allowed to listen on ${where}`, 'ports below 1024 need privileges: choose a port above 1024');
  if (code === 'EADDRNOTAVAIL' || code === 'EINVAL') {
    return usageError(
      `${what}: cannot listen on ${host}: not an address of this machine`,
      'use an address of this machine: 127.0.0.1, another loopback address (127.0.0.2, ...) or a local interface',
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN')
    return usageError(`${what}: cannot resolve host "${host}"`, 'give an IP address such as 127.0.0.1');
  return new IiotError(ExitCode.Usage, `${what}: cannot listen on ${where}: ${(err as Error).message}`, { cause: err });
}
