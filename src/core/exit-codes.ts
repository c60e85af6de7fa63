/** The one exit code table of every command (docs/exit-codes.md). */
export const ExitCode = {
  /** Everything worked, every check passed. */
  Ok: 0,
  /** The command ran, but a check or threshold failed (findings at or above --fail-on, p99 over --max-p99...). */
  CheckFailed: 1,
  /** Usage error or bad input: unknown option, malformed URL, invalid file. Nothing was attempted. */
  Usage: 2,
  /** A device or broker could not be reached, or spoke the protocol wrongly. */
  Unreachable: 3,
  /** A bug in iiot. Run again with --debug and report the stack trace. */
  Internal: 4,
  /** Stopped by Ctrl-C (SIGINT): 128 + 2, as a shell reports it. What was written stays. */
  Interrupted: 130,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
