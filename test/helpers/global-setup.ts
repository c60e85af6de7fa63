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
    // A worker or a CLI child that is still exiting may write its compile cache while the folder is
    // removed (ENOTEMPTY): retry, and never fail a finished run over a temporary folder.
    for (const dir of [pkiDir, cacheDir]) {
      if (dir === undefined) continue;
      try {
        rmSync(dir, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
      } catch (err) {
        console.warn(`could not remove ${dir}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  };
}
