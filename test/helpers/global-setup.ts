import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * CLI tests run the built program: build once before any test. iiot's own OPC UA certificate store
 * goes to a temporary folder for the whole run, so tests never touch the user's (~/.config/iiot).
 */
export default function setup(): () => void {
  execFileSync(process.execPath, ['--import', 'tsx', 'build.ts'], { cwd: ROOT, stdio: 'inherit' });
  let pkiDir: string | undefined;
  if (process.env.IIOT_PKI_DIR === undefined) {
    pkiDir = mkdtempSync(join(tmpdir(), 'iiot-test-pki-'));
    process.env.IIOT_PKI_DIR = pkiDir;
  }
  return () => {
    if (pkiDir) rmSync(pkiDir, { recursive: true, force: true });
  };
}
