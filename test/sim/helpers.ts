import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface ToolResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs an independent client (mbpoll, mosquitto_sub) without blocking the event loop: the
 * servers it talks to run in this process. The timeout only guards against a hang; it asserts
 * nothing.
 */
export function runTool(cmd: string, args: string[], timeoutMs = 20_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const created: string[] = [];

/** A fresh directory under the OS temp dir; removeTempDirs() (in afterAll) deletes them. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-test-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Polls until `check` is true (no assertion on how long it takes; the test timeout bounds it). */
export async function waitFor(check: () => boolean, everyMs = 20): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, everyMs));
}

/** A socat pseudo-terminal pair: what one end writes, the other reads, like a serial line. */
export async function ptyPair(dir: string): Promise<{ a: string; b: string; process: ChildProcess; stop(): Promise<void> }> {
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  const child = spawn('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(a) && existsSync(b));
  return {
    a,
    b,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** mbpoll's value lines "[343]: \t182340" -> { 343: 182340 } */
export function mbpollValues(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.e+-]+)/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}
