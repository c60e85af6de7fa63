/**
 * Writing a file the way every iiot command should: never over an existing file unless --force,
 * and whole or not at all (written under a temporary name in the same folder, then renamed), so
 * a crash or Ctrl-C never leaves half a NodeSet where a good one was.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { usageError } from '../../../core/errors.js';
import { checkOutputTarget } from '../../../core/output-file.js';

export interface OutputFile {
  write(chunk: string): void;
  /** renames the finished file into place; returns its size in bytes */
  commit(): number;
  /** removes the temporary file (after a failure) */
  abandon(): void;
}

/** Refuses an existing file unless --force (called before any work, and again when writing). */
export function refuseExisting(path: string, force: boolean, option = '-o'): void {
  if (checkOutputTarget(path, option) && !force)
    throw usageError(`${option} ${path}: the file exists`, 'choose another name, or add --force to replace it');
}

export function openOutputFile(path: string, force: boolean, option = '-o'): OutputFile {
  refuseExisting(path, force, option);
  const tmp = `${path}.tmp-${process.pid}`;
  let fd: number;
  try {
    fd = openSync(tmp, 'w');
  } catch (err) {
    throw usageError(
      `${option} ${path}: cannot write it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'give a path in a writable folder',
    );
  }
  let bytes = 0;
  let open = true;
  return {
    write(chunk) {
      const b = Buffer.from(chunk, 'utf8');
      writeSync(fd, b);
      bytes += b.length;
    },
    commit() {
      closeSync(fd);
      open = false;
      renameSync(tmp, path);
      return bytes;
    },
    abandon() {
      if (open) closeSync(fd);
      open = false;
      rmSync(tmp, { force: true });
    },
  };
}
