import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// One list per test file: vitest loads this module afresh in each file's worker.
const created: string[] = [];

/** A fresh folder under the OS temp dir; removeTempDirs() (in afterAll) deletes every one made. */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-test-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}
