import { IiotError } from './errors.js';
import { ExitCode } from './exit-codes.js';

const WORDS: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  EROFS: 'read-only file system',
  EEXIST: 'the file already exists',
  EMFILE: 'too many open files',
  EIO: 'input/output error (failing disk or removed drive?)',
  EFBIG: 'file too large for this file system',
};

const HINTS: Record<string, string> = {
  ENOSPC: 'free some space or write to another disk',
  EDQUOT: 'free some space or write to another disk',
  EACCES: 'check the permissions of the file and its folder',
  EPERM: 'check the permissions of the file and its folder',
  ENOENT: 'check the path; the folder must exist',
  EISDIR: 'give a file name, not a folder',
  ENOTDIR: 'check the path',
  EROFS: 'write to a writable disk',
  EEXIST: 'choose another name or remove the file first',
  EFBIG: 'rotate the capture (smaller parts) or use another file system',
};

export function errorCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * A failed file operation as users read it: "cannot write x.jsonl: no space left on the device
 * (ENOSPC)" plus a hint. Bad files and a full disk are the user's to fix: exit code 2.
 */
export function fileError(verb: string, path: string, err: unknown, extra?: string): IiotError {
  const code = errorCode(err);
  const words = (code && WORDS[code]) ?? (err instanceof Error ? err.message.split('\n')[0] : String(err));
  const hint = [extra, code ? HINTS[code] : undefined].filter(Boolean).join('; ');
  return new IiotError(ExitCode.Usage, `cannot ${verb} ${path}: ${words}${code ? ` (${code})` : ''}`, {
    ...(hint ? { hint } : {}),
    cause: err,
  });
}
