import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { usageError } from '../core/errors.js';

/** Writes a whole file under a temporary name and renames it into place; refuses to replace one unless `force`. */
export function writeFileAtomic(path: string, data: string | Buffer, force: boolean): void {
  if (!force && existsSync(path)) throw usageError(`${path} already exists`, 'choose another file name, or add --force to replace it');
  const tmp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, data);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw usageError(`${path}: cannot write: ${(err as Error).message.split('\n')[0]}`, 'check that the folder exists and may be written');
  }
}
