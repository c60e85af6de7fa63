import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

afterAll(removeTempDirs);

/** Starts iiot, waits for its ready file, sends a signal, and gives back the exit code. */
async function stopWith(
  signal: 'SIGINT' | 'SIGTERM',
  args: (ready: string) => string[],
): Promise<{ code: number | null; readyLeft: boolean; stderr: string }> {
  const dir = tempDir('interrupt');
  const ready = join(dir, 'ready.json');
  const child = spawn(process.execPath, [BIN, ...args(ready)], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', IIOT_PKI_DIR: join(dir, 'pki') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = once(child, 'exit');
  await waitFor(() => existsSync(ready) || child.exitCode !== null);
  expect(child.exitCode, stderr).toBeNull();
  child.kill(signal);
  const [code] = (await exited) as [number | null];
  return { code, readyLeft: existsSync(ready), stderr };
}

describe('Ctrl-C is one behaviour everywhere: the servers stop cleanly and exit 130', () => {
  it('iiot sim: 130 on Ctrl-C, 0 on SIGTERM (a service manager stopping it)', async () => {
    const args = (ready: string) => ['sim', '--no-opcua', '--modbus-port', '0', '--mqtt-port', '0', '--ready-file', ready];
    const int = await stopWith('SIGINT', args);
    expect(int.code, int.stderr).toBe(130);
    expect(int.readyLeft).toBe(false); // finished cleanly: the ready file is removed
    const term = await stopWith('SIGTERM', args);
    expect(term.code, term.stderr).toBe(0);
  });

  it('iiot replay: 130 on Ctrl-C', async () => {
    const capture = join(tempDir('interrupt-capture'), 'c.jsonl');
    const t = Date.parse('2026-01-05T09:00:00Z');
    const lines = [
      JSON.stringify({
        type: 'header',
        format: 'iiot-capture',
        version: 1,
        created: new Date(t).toISOString(),
        tool: 'hand-written',
        sources: [{ id: 'b', protocol: 'mqtt' }],
        tags: [{ name: 'x', source: 'b', address: 'x' }],
      }),
      ...Array.from({ length: 5 }, (_, i) => JSON.stringify({ t: new Date(t + i * 1000).toISOString(), tag: 'x', v: i })),
    ];
    writeFileSync(capture, `${lines.join('\n')}\n`);
    const int = await stopWith('SIGINT', (ready) => ['replay', capture, '--to', 'mqtt', '--port', '0', '--loop', '--ready-file', ready]);
    expect(int.code, int.stderr).toBe(130);
    expect(int.readyLeft).toBe(false);
  });
});
