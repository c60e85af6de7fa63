import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';

/**
 * Names of the parts of a rotated capture (docs/capture-format.md, "Rotation"): part 1 keeps the
 * name given (`plant.jsonl.gz`), later parts insert a 4-digit index before the extension
 * (`plant.0002.jsonl.gz`, ..., `plant.10000.jsonl.gz` past 9999), so the set sorts by name and
 * part 1 is what the user asked for.
 */

const KNOWN_EXTENSIONS = ['.jsonl.gz', '.ndjson.gz', '.json.gz', '.jsonl', '.ndjson', '.json', '.gz'];

export function splitCaptureName(path: string): { stem: string; ext: string } {
  const lower = path.toLowerCase();
  for (const ext of KNOWN_EXTENSIONS) {
    if (lower.endsWith(ext) && path.length > ext.length) return { stem: path.slice(0, -ext.length), ext: path.slice(-ext.length) };
  }
  const dot = path.lastIndexOf('.');
  const slash = path.lastIndexOf('/');
  return dot > slash + 1 ? { stem: path.slice(0, dot), ext: path.slice(dot) } : { stem: path, ext: '' };
}

/** The path of part `index` (1-based) of the set whose first part is `firstPath`. */
export function partPath(firstPath: string, index: number): string {
  if (index <= 1) return firstPath;
  const { stem, ext } = splitCaptureName(firstPath);
  return `${stem}.${String(index).padStart(4, '0')}${ext}`;
}

const PART_SUFFIX = /^(.*)\.(\d{4,})$/;

/** The first part of the set `path` belongs to (itself unless it is named like part 2 or later). */
export function firstPartOf(path: string): string {
  const { stem, ext } = splitCaptureName(path);
  const m = PART_SUFFIX.exec(stem);
  return m && Number(m[2]) >= 2 ? `${m[1]}${ext}` : path;
}

/**
 * Every part of the rotated set that `path` belongs to, in order, as they exist on disk: part 1
 * and then the numbered parts found next to it (stopping at the first missing number).
 */
export async function listCaptureParts(path: string): Promise<string[]> {
  const first = firstPartOf(path);
  const dir = dirname(first);
  let names: Set<string>;
  try {
    names = new Set(await readdir(dir));
  } catch {
    return [path];
  }
  const parts: string[] = [];
  if (names.has(basename(first))) parts.push(first);
  for (let i = 2; ; i++) {
    const p = partPath(first, i);
    if (!names.has(basename(p))) break;
    parts.push(p);
  }
  return parts.length ? parts : [path];
}
