import { ExitCode } from './exit-codes.js';

/**
 * The one error type the program reports to users: what happened (message), what to do (hint),
 * and the exit code. Anything else that reaches the top is a bug and exits with code 4.
 */
export class IiotError extends Error {
  readonly exitCode: ExitCode;
  readonly hint: string | undefined;

  constructor(exitCode: ExitCode, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'IiotError';
    this.exitCode = exitCode;
    this.hint = options.hint;
  }
}

/** Usage or bad input (exit 2). */
export function usageError(message: string, hint?: string): IiotError {
  return new IiotError(ExitCode.Usage, message, hint === undefined ? {} : { hint });
}

/** A device could not be reached or misbehaved (exit 3). */
export function unreachableError(message: string, hint?: string, cause?: unknown): IiotError {
  return new IiotError(ExitCode.Unreachable, message, { ...(hint === undefined ? {} : { hint }), cause });
}

/** A command that exists in the command table but whose implementation has not landed (exit 2). */
export function notBuiltError(command: string): IiotError {
  return new IiotError(ExitCode.Usage, `\`iiot ${command}\` is not built yet in this version of iiot.`, {
    hint: 'See README.md for what works today; nothing was sent to any device.',
  });
}

export function isIiotError(err: unknown): err is IiotError {
  return err instanceof IiotError;
}

/** A one-line description of any thrown value, for messages. */
export function describeError(err: unknown): string {
  if (err instanceof Error) return err.message.split('\n')[0] ?? err.name;
  return String(err);
}
