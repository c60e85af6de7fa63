import { isIiotError } from './errors.js';
import { ExitCode } from './exit-codes.js';

/**
 * Prints a failed command's error the way users see every error: one line, a hint, a stack only
 * with --debug; returns the exit code. (Commander's own usage errors are handled in
 * src/program.ts, which calls this for everything else.)
 */
export function reportFailure(err: unknown, debug: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (isIiotError(err)) {
    stderr.write(`iiot: error: ${err.message}\n`);
    if (err.hint) stderr.write(`  hint: ${err.hint}\n`);
    if (debug && err.cause !== undefined) stderr.write(`${formatCause(err.cause)}\n`);
    if (debug) stderr.write(`${err.stack ?? ''}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`iiot: internal error: ${message.split('\n')[0]}\n`);
  if (debug) stderr.write(`${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  else stderr.write('  hint: this is a bug in iiot; run again with --debug and report the output\n');
  return ExitCode.Internal;
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? `caused by: ${cause.stack ?? cause.message}` : `caused by: ${String(cause)}`;
}
