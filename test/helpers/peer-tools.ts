import { runProcess, type ProcessResult } from './process.js';

// Still taken from here by test files in another change's hands right now (test/sim/opcua.test.ts,
// test/record/*): they can move to test/helpers/ directly, then these lines go.
export { ptyPair } from './pty.js';
export { removeTempDirs, tempDir } from './temp.js';

/**
 * Runs an independent client (mbpoll, mosquitto_sub) without blocking the event loop: the
 * servers it talks to run in this process. The timeout only guards against a hang; it asserts
 * nothing.
 */
export function runTool(cmd: string, args: string[], timeoutMs = 20_000): Promise<ProcessResult> {
  return runProcess(cmd, args, { timeoutMs });
}

/** mbpoll's value lines "[343]: \t182340" -> { 343: 182340 } */
export function mbpollValues(stdout: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const m of stdout.matchAll(/^\[(\d+)\]:\s+(-?[\d.e+-]+)/gm)) out.set(Number(m[1]), Number(m[2]));
  return out;
}
