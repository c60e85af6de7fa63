import { colorWanted, makeStyler, type Styler } from '../render/color.js';

/** What every command needs to talk to the user; injected so tests can run commands in-process. */
export interface IO {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  readonly stdin: NodeJS.ReadableStream;
  /** stdout is a terminal: tables and charts may be drawn for humans. */
  readonly stdoutIsTTY: boolean;
  /** stderr is a terminal: progress bars and live views may be drawn. */
  readonly stderrIsTTY: boolean;
  readonly env: NodeJS.ProcessEnv;
  /** --json: results as one JSON document on stdout, nothing else there. */
  readonly json: boolean;
  /** --quiet: no diagnostics except warnings and errors. */
  readonly quiet: boolean;
  /** --debug: stack traces and protocol details on stderr. */
  readonly debug: boolean;
  /** Styling for stdout (results). */
  readonly style: Styler;
  /** Styling for stderr (diagnostics). */
  readonly errStyle: Styler;
  /** Animation (spinners, progress bars, live views) is allowed: stderr is a TTY, not quiet, not CI. */
  readonly animate: boolean;
}

export interface GlobalFlags {
  json?: boolean;
  quiet?: boolean;
  color?: boolean;
  debug?: boolean;
}

export function createIO(
  flags: GlobalFlags,
  streams: {
    stdout?: NodeJS.WritableStream & { isTTY?: boolean };
    stderr?: NodeJS.WritableStream & { isTTY?: boolean };
    stdin?: NodeJS.ReadableStream;
    env?: NodeJS.ProcessEnv;
  } = {},
): IO {
  const stdout = streams.stdout ?? process.stdout;
  const stderr = streams.stderr ?? process.stderr;
  const env = streams.env ?? process.env;
  const stdoutIsTTY = Boolean(stdout.isTTY);
  const stderrIsTTY = Boolean(stderr.isTTY);
  const noColor = flags.color === false;
  const inCI = env.CI !== undefined && env.CI !== '' && env.CI !== 'false' && env.CI !== '0';
  return {
    stdout,
    stderr,
    stdin: streams.stdin ?? process.stdin,
    stdoutIsTTY,
    stderrIsTTY,
    env,
    json: Boolean(flags.json),
    quiet: Boolean(flags.quiet),
    debug: Boolean(flags.debug),
    style: makeStyler(colorWanted(stdoutIsTTY, env, noColor)),
    errStyle: makeStyler(colorWanted(stderrIsTTY, env, noColor)),
    animate: stderrIsTTY && !flags.quiet && !inCI && env.TERM !== 'dumb',
  };
}

/** A result line for humans on stdout (suppressed with --json, where the JSON is the result). */
export function out(io: IO, text: string): void {
  if (io.json) return;
  io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** A diagnostic on stderr (suppressed by --quiet). */
export function info(io: IO, text: string): void {
  if (io.quiet) return;
  io.stderr.write(`${text}\n`);
}

/** A warning on stderr (never suppressed: a warning means something the user must know). */
export function warn(io: IO, text: string): void {
  io.stderr.write(`${io.errStyle.yellow('warning:')} ${text}\n`);
}

/** Detail for --debug only. */
export function debug(io: IO, text: string): void {
  if (io.debug) io.stderr.write(`${io.errStyle.dim(`debug: ${text}`)}\n`);
}

/**
 * The JSON result of a command: one document on stdout, with `schema` naming its documented
 * shape (docs/json-output.md) so scripts can check what they parse.
 */
export function emitJson(io: IO, schema: string, body: object): void {
  io.stdout.write(`${JSON.stringify({ schema, ...body }, null, 2)}\n`);
}
