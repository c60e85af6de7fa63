import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

afterAll(removeTempDirs);

async function startSim(dir: string, extra: string[]): Promise<{ url: string; stop: () => Promise<void>; stderr: () => string }> {
  const ready = join(dir, 'ready.json');
  const env = { ...process.env, NO_COLOR: '1', IIOT_PKI_DIR: join(dir, 'client-pki') };
  const child = spawn(
    process.execPath,
    [BIN, 'sim', '--opcua-port', '0', '--no-modbus', '--no-mqtt', '--pki-dir', join(dir, 'server-pki'), '--ready-file', ready, ...extra],
    { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  await waitFor(() => existsSync(ready) || child.exitCode !== null);
  expect(child.exitCode, stderr).toBeNull();
  const url = (JSON.parse(readFileSync(ready, 'utf8')) as { endpoints: { opcua: string } }).endpoints.opcua;
  return {
    url,
    stderr: () => stderr,
    stop: async () => {
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

describe("iiot sim and this machine's iiot client", () => {
  it('trusts the local iiot client certificate, so browse over SignAndEncrypt works out of the box', async () => {
    const dir = tempDir('sim-trust');
    const sim = await startSim(dir, []);
    try {
      expect(sim.stderr()).toMatch(/trusts this machine's iiot client certificate/);
      const r = await runCli(['browse', sim.url, '/Objects/Plant', '--depth', '1', '--trust-on-first-use', '--json'], {
        env: { IIOT_PKI_DIR: join(dir, 'client-pki') },
      });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('SignAndEncrypt');
    } finally {
      await sim.stop();
    }
  });

  it('still refuses it with --no-trust-local-client, and the error says which file to copy', async () => {
    const dir = tempDir('sim-notrust');
    const sim = await startSim(dir, ['--no-trust-local-client']);
    try {
      const r = await runCli(['browse', sim.url, '--trust-on-first-use'], { env: { IIOT_PKI_DIR: join(dir, 'client-pki') } });
      expect(r.code).toBe(3);
      expect(r.stderr).toMatch(/refused iiot's application certificate \(BadSecurityChecksFailed\)/);
      expect(r.stderr).toContain(join(dir, 'client-pki', 'own', 'certs'));
    } finally {
      await sim.stop();
    }
  });
});
