import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A fresh folder for one test file, removed when its tests are done. */
export function tmpFolder(prefix: string): (name: string) => string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-${prefix}-`));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (name: string) => join(dir, name);
}
