import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import { createIO, type GlobalFlags, type IO } from './io.js';
import { removeTemporaryFiles } from './output-file.js';

/** The exit code of a command stopped by Ctrl-C (SIGINT), as a shell reports it: 128 + 2 (docs/exit-codes.md). */
export const INTERRUPTED = ExitCode.Interrupted;

/**
 * Wraps a command's run function as a commander action: builds the IO object from the global
 * flags, runs, and turns the returned exit code into the process exit code. Errors propagate to
 * main(), which prints them once.
 *
 * Ctrl-C is one behaviour everywhere: the command exits 130 and keeps what it wrote. A command
 * that handles SIGINT itself (record, replay, sim, discover, browse...) stops cleanly and returns;
 * its exit code then becomes 130 unless it failed otherwise. A command that does not (capture,
 * analyze...) is ended here: temporary files are removed, so a half-written output never appears
 * under its name and an existing file keeps its content.
 */
export function action<O extends object>(
  run: (io: IO, opts: O, args: string[], cmd: Command) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals<O & GlobalFlags>();
    const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [String(a)]));
    const io = createIO(opts);
    let interrupted = false;
    const onInterrupt = () => {
      interrupted = true;
      if (process.listenerCount('SIGINT') > 1) return; // the command stops itself
      removeTemporaryFiles();
      io.stderr.write('\niiot: interrupted\n');
      process.exit(INTERRUPTED);
    };
    process.on('SIGINT', onInterrupt);
    let code: number | void;
    try {
      code = await run(io, opts, positional, cmd);
    } finally {
      process.off('SIGINT', onInterrupt);
    }
    if (interrupted && (code === undefined || code === ExitCode.Ok)) code = INTERRUPTED;
    if (typeof code === 'number' && code !== ExitCode.Ok) process.exitCode = code;
  };
}

/** Help text: real invocations, shown after the options. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => (l.startsWith('#') ? `  ${l}` : `  $ ${l}`)).join('\n')}\n`;
}
