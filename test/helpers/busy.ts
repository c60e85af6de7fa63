import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const cell = new Int32Array(new SharedArrayBuffer(4));

/**
 * Blocks this thread's event loop the way iiot's own work does (a library import, a long parse):
 * nothing is read, no timer runs. For at least `ms`, and on until `until()` holds (checked every
 * few milliseconds), so a test can wait until a peer's answer is surely in the socket buffer.
 */
export function blockLoop(ms: number, until: () => boolean = () => true): void {
  const end = performance.now() + ms;
  while (performance.now() < end || !until()) Atomics.wait(cell, 0, 0, 5);
}

/** True once `file` exists (a peer process touches it after it has written its answer). */
export function fileAppears(file: string): () => boolean {
  return () => existsSync(file);
}

/**
 * Busy loops (`while :; do :; done`) pinned with taskset to `cpu`, as a slow laptop or a CI box
 * shared with other jobs. stop() ends exactly these processes.
 */
export function busyLoops(count: number, cpu: number): { pids: number[]; stop(): void } {
  const children: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    children.push(spawn('taskset', ['-c', String(cpu), 'sh', '-c', 'while :; do :; done'], { stdio: 'ignore' }));
  }
  return {
    pids: children.map((c) => c.pid!),
    stop() {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    },
  };
}
