import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * CLI tests run the built program: build once before any test. iiot's own OPC UA certificate store
 * and its compile cache go to temporary folders for the whole run, so tests never touch the user's
 * (~/.config/iiot, ~/.cache/iiot).
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['--import', 'tsx', 'build.ts'], { cwd: ROOT, stdio: 'inherit' });
  let pkiDir: string | undefined;
  if (process.env.IIOT_PKI_DIR === undefined) {
    pkiDir = mkdtempSync(join(tmpdir(), 'iiot-test-pki-'));
    process.env.IIOT_PKI_DIR = pkiDir;
  }
  // The compile cache too (bin/iiot.js keeps it in ~/.cache/iiot): NODE_COMPILE_CACHE chooses another.
  let cacheDir: string | undefined;
  if (process.env.NODE_COMPILE_CACHE === undefined) {
    cacheDir = mkdtempSync(join(tmpdir(), 'iiot-test-compile-cache-'));
    process.env.NODE_COMPILE_CACHE = cacheDir;
  }
  return () => {
    if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
    if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
  };
}
