import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { waitFor } from './wait.js';

/** A socat pseudo-terminal pair in `dir`: what one end writes, the other reads, like a serial line. */
export async function ptyPair(
  dir: string,
  a = 'ttyA',
  b = 'ttyB',
): Promise<{ a: string; b: string; process: ChildProcess; stop(): Promise<void> }> {
  const pa = join(dir, a);
  const pb = join(dir, b);
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${pa}`, `pty,raw,echo=0,link=${pb}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(pa) && existsSync(pb));
  return {
    a: pa,
    b: pb,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
