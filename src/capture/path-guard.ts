import { resolve } from 'node:path';
import { usageError } from '../core/errors.js';

/** Refuses to write over an input while reading it (the output is truncated when it opens). */
export function assertNotAnInput(output: string, inputs: readonly string[]): void {
  const out = resolve(output);
  if (inputs.some((i) => resolve(i) === out)) {
    throw usageError(`the output ${output} is also an input`, 'write to a new file; the output is truncated when it is opened');
  }
}
