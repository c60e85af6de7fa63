import { closeSync, fsyncSync, linkSync, lstatSync, openSync, renameSync, rmSync, statSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { isIiotError, usageError, type IiotError } from './errors.js';
import { errorCode, fileError } from './file-errors.js';

/**
 * The one rule for every file iiot writes for the user (exports, reports, inventories, captures
 * made in one go): an existing file is replaced only with --force, and the content goes to a
 * temporary name in the same folder that is renamed into place when complete, so a crash, a full
 * disk or Ctrl-C never leaves half a file under the name asked for. `iiot record` is the exception
 * by design: a recording streams into its final name so that what was recorded survives a crash
 * (src/capture/writer.ts), and it refuses an existing name up front the same way.
 */

export interface ReplaceOptions {
  /** --force: replace an existing file */
  force?: boolean | undefined;
}

/** The error for an existing file the user did not ask to replace (exit 2). */
export function existsError(path: string): IiotError {
  return usageError(`${path} already exists`, 'choose another file name, or add --force to replace it');
}

/** Whether err is the refusal of existsError (for a prompt that offers to replace). */
export function isExistsError(err: unknown): boolean {
  return isIiotError(err) && err.hint === 'choose another file name, or add --force to replace it';
}

/**
 * Throws when `path` names something other than a regular file: a folder, or a device, pipe or
 * socket (/dev/null, /dev/stdout). Writing aside and renaming would put a plain file in its place
 * (as root, /dev/null itself), so iiot refuses, with or without --force. Returns whether a regular
 * file is there.
 */
export function checkOutputTarget(path: string, option?: string): boolean {
  const what = option === undefined ? path : `${option} ${path}`;
  const st = statSync(path, { throwIfNoEntry: false });
  if (st === undefined) {
    // a dangling symbolic link: renaming over it would replace the link, not write where it points
    if (lstatSync(path, { throwIfNoEntry: false })?.isSymbolicLink())
      throw usageError(`${what}: a symbolic link to nothing`, 'give the path of a file');
    return false;
  }
  if (st.isDirectory()) throw usageError(`${what}: is a folder`, 'give the path of a file in it');
  if (!st.isFile())
    throw usageError(
      `${what}: not a regular file (a device, pipe or socket)`,
      'give the path of a file; to see the output, leave out -o or use --json',
    );
  return true;
}

/** Throws unless the file is absent or --force was given. Call it before any work starts. */
export function refuseToReplace(path: string, opts: ReplaceOptions): void {
  if (checkOutputTarget(path) && !opts.force) throw existsError(path);
}

let counter = 0;

/** Temporary files being written now: an interrupted command removes them (removeTemporaryFiles). */
const pending = new Set<string>();

/**
 * Removes every temporary file not yet committed. Called when Ctrl-C ends a command (core/command.ts):
 * the final names keep what they had (nothing, or the file that was there before).
 */
export function removeTemporaryFiles(): void {
  for (const tmp of pending) rmSync(tmp, { force: true });
  pending.clear();
}

/** A name beside `path` for writing it: hidden, in the same folder (so the rename is atomic), unique. */
export function temporaryPath(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${++counter}`);
}

/**
 * Moves a complete temporary file to its final name. Without --force it never replaces a file that
 * appeared meanwhile: a hard link fails if the name exists (on file systems without hard links, such
 * as FAT on a USB stick, a check and a rename). The temporary file is gone afterwards either way.
 */
export function commitFile(tmp: string, path: string, opts: ReplaceOptions): void {
  pending.delete(tmp);
  try {
    // again at the end: what is at the final name may have changed while the file was written
    checkOutputTarget(path);
    if (opts.force) {
      renameSync(tmp, path);
      return;
    }
    try {
      linkSync(tmp, path);
      rmSync(tmp, { force: true });
      return;
    } catch (err) {
      if (errorCode(err) === 'EEXIST') throw existsError(path);
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'ENOSYS', 'EXDEV', 'EMLINK'].includes(errorCode(err) ?? '')) throw err;
    }
    refuseToReplace(path, opts);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    if (isIiotError(err)) throw err;
    throw fileError('write', path, err);
  }
}

/** Writes a whole file by the rule above: refuse an existing name, write aside, sync, rename. */
export function writeFileSafely(path: string, data: string | Uint8Array, opts: ReplaceOptions): void {
  refuseToReplace(path, opts);
  const tmp = temporaryPath(path);
  pending.add(tmp);
  let fd: number | undefined;
  try {
    fd = openSync(tmp, 'wx');
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.length) off += writeSync(fd, bytes, off, bytes.length - off);
    fsyncSync(fd);
  } catch (err) {
    if (fd !== undefined) closeSync(fd);
    rmSync(tmp, { force: true });
    pending.delete(tmp);
    throw fileError('write', path, err);
  }
  closeSync(fd);
  commitFile(tmp, path, opts);
}

/**
 * A file written in pieces (a stream, a report built as it goes) by the same rule: write to
 * `tmp`, then commit() to rename it into place, or discard() to remove it (a failure, Ctrl-C).
 */
export interface StagedFile {
  readonly path: string;
  readonly tmp: string;
  commit(): void;
  discard(): void;
}

export function stageFile(path: string, opts: ReplaceOptions): StagedFile {
  refuseToReplace(path, opts);
  const tmp = temporaryPath(path);
  pending.add(tmp);
  let done = false;
  return {
    path,
    tmp,
    commit() {
      if (done) return;
      done = true;
      commitFile(tmp, path, opts);
    },
    discard() {
      if (done) return;
      done = true;
      pending.delete(tmp);
      rmSync(tmp, { force: true });
    },
  };
}
