import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/**
 * The iiot version from package.json (shown by --version, written into capture headers).
 * Found by walking up from this module, because it runs both from dist/ chunks and from src/.
 */
export function toolVersion(): string {
  if (cached !== undefined) return cached;
  cached = '0.0.0';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'iiot' && pkg.version) {
        cached = pkg.version;
        break;
      }
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return cached;
}

/**
 * The package root (where package.json is), for the run-time files shipped with the tool (plant
 * files, register maps): found from this module, never from the working directory, so an
 * installed `iiot` works from any folder.
 */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  let dir = here;
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'iiot') return dir;
    } catch {
      // go up
    }
    dir = dirname(dir);
  }
  // Not reached from dist/ (dist/chunks/x.js is two levels down) or src/ (src/core/x.ts): the
  // parent of dist/ or src/ is the best guess left, and still not the working directory.
  return dirname(dirname(here));
}
