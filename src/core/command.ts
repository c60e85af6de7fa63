import type { Command } from 'commander';
import { ExitCode } from './exit-codes.js';
import { createIO, type GlobalFlags, type IO } from './io.js';

/**
 * Wraps a command's run function as a commander action: builds the IO object from the global
 * flags, runs, and turns the returned exit code into the process exit code. Errors propagate to
 * main(), which prints them once.
 */
export function action<O extends object>(
  run: (io: IO, opts: O, args: string[], cmd: Command) => Promise<number | void>,
): (...args: unknown[]) => Promise<void> {
  return async (...args: unknown[]) => {
    const cmd = args[args.length - 1] as Command;
    const opts = cmd.optsWithGlobals<O & GlobalFlags>();
    const positional = args.slice(0, -2).flatMap((a) => (Array.isArray(a) ? (a as string[]) : a === undefined ? [] : [String(a)]));
    const io = createIO(opts);
    const code = await run(io, opts, positional, cmd);
    if (typeof code === 'number' && code !== ExitCode.Ok) process.exitCode = code;
  };
}

/** Help text: real invocations, shown after the options. */
export function examples(...lines: string[]): string {
  return `\nExamples:\n${lines.map((l) => (l.startsWith('#') ? `  ${l}` : `  $ ${l}`)).join('\n')}\n`;
}
