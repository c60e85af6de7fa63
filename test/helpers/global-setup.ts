import { execFileSync } from 'node:child_process';
import { ROOT } from './cli.js';

/** CLI tests run the built program: build once before any test. */
export default function setup(): void {
  execFileSync(process.execPath, ['--import', 'tsx', 'build.ts'], { cwd: ROOT, stdio: 'inherit' });
}
