import { expect } from 'vitest';
import { IiotError } from '../../src/core/errors.js';

/** The error `fn` throws, asserted to be a one-line usage error (exit code 2, docs/development.md). */
export function usageErrorOf(fn: () => unknown): IiotError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).exitCode).toBe(2);
    expect((err as IiotError).message).not.toContain('\n');
    return err as IiotError;
  }
  throw new Error('expected a usage error');
}

/** The same for a function that returns a promise: the rejection, asserted to be a one-line usage error. */
export async function usageErrorOfAsync(fn: () => Promise<unknown>): Promise<IiotError> {
  try {
    await fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).exitCode).toBe(2);
    expect((err as IiotError).message).not.toContain('\n');
    return err as IiotError;
  }
  throw new Error('expected a usage error');
}
