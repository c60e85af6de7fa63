import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessResult } from './process.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const BIN = fileURLToPath(new URL('../../bin/iiot.js', import.meta.url));

export type CliResult = ProcessResult;

/**
 * Runs the built CLI (dist/ must be built: the global setup does it) as a user would, with the
 * same Node as the tests, no TTY, and NO_COLOR unless overridden.
 */
export function runCli(
  args: string[],
  opts: { env?: Record<string, string | undefined>; input?: string; cwd?: string; timeoutMs?: number } = {},
): Promise<CliResult> {
  return runProcess(process.execPath, [BIN, ...args], {
    cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env },
    input: opts.input ?? '',
    timeoutMs: opts.timeoutMs ?? 60_000,
  });
}
