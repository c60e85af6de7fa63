import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openCapture } from '../../src/capture/reader.js';
import { isSample, type SampleLine } from '../../src/capture/types.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { refused } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

afterAll(removeTempDirs);

const FREE_PORTS = ['--opcua-port', '0', '--modbus-port', '0', '--mqtt-port', '0'];

describe('iiot sim', () => {
  it('prints its endpoints as one JSON document and stops after --duration', async () => {
    const secret = 'pw-never-printed';
    const r = await runCli(['sim', '--json', ...FREE_PORTS, '--no-opcua', '--mqtt-auth', '--duration', '1s'], {
      env: { IIOT_SIM_PASSWORD: secret },
    });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      schema: string;
      endpoints: Record<string, string>;
      modbus: { units: Array<{ unitId: number; map: string }> };
      mqtt: { auth: boolean; user: string };
      tags: unknown[];
    };
    expect(doc.schema).toBe('iiot.sim/1');
    expect(doc.endpoints.modbus).toMatch(/^modbus:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.endpoints.mqtt).toMatch(/^mqtt:\/\/127\.0\.0\.1:\d+$/);
    expect(doc.endpoints.opcua).toBeUndefined();
    expect(doc.modbus.units.map((u) => `${u.unitId}:${u.map}`)).toEqual(['1:sdm630', '2:pm5000', '3:plant-plc']);
    expect(doc.mqtt).toMatchObject({ auth: true, user: 'operator' });
    expect(doc.tags).toHaveLength(39);
    expect(r.stdout + r.stderr).not.toContain(secret);
    expect(await refused(doc.endpoints.modbus!)).toBe(true);
  });

  it('writes the ready file once serving, and on SIGTERM stops every server, removes it and exits 0', async () => {
    const dir = tempDir('sim-cli');
    const ready = join(dir, 'ready.json');
    const child = spawn(
      process.execPath,
      [BIN, 'sim', ...FREE_PORTS, '--ready-file', ready, '--accept-any-client-cert', '--pki-dir', join(dir, 'pki')],
      {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = once(child, 'exit');
    await waitFor(() => existsSync(ready) || child.exitCode !== null);
    expect(child.exitCode, stderr).toBeNull();
    const doc = JSON.parse(readFileSync(ready, 'utf8')) as { endpoints: { opcua: string; modbus: string; mqtt: string } };
    for (const url of Object.values(doc.endpoints)) expect(await refused(url), url).toBe(false);
    // the human table on stdout names each endpoint
    expect(stdout).toContain(doc.endpoints.opcua);
    expect(stdout).toMatch(/Modbus TCP\s+modbus:\/\/127\.0\.0\.1:\d+\s+unit 1 sdm630, unit 2 pm5000, unit 3 plant-plc/);
    expect(stderr).toMatch(/warning: the OPC UA server accepts any client certificate/);
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(stderr).toMatch(/terminated, stopping/);
    expect(existsSync(ready)).toBe(false);
    for (const url of Object.values(doc.endpoints)) expect(await refused(url), url).toBe(true);
  });

  it('names a port in use in one line and exits 2', async () => {
    const blocker = createServer().listen(0, '127.0.0.1');
    await once(blocker, 'listening');
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await runCli(['sim', '--no-opcua', '--modbus-port', '0', '--mqtt-port', String(port), '--duration', '1s']);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe('');
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('iiot: error:'));
      expect(errors).toEqual([`iiot: error: MQTT broker: port ${port} on 127.0.0.1 is already in use`]);
      expect(r.stderr).not.toMatch(/\n\s+at /);
    } finally {
      blocker.close();
    }
  });

  it('refuses a bad plant file with file, line and field, and exits 2', async () => {
    const dir = tempDir('sim-bad');
    const file = join(dir, 'plant.yaml');
    const good = readFileSync(join(ROOT, 'fixtures/plants/default.yaml'), 'utf8');
    writeFileSync(file, good.replace('thresholdMmS: 4.5', 'thresholdMmS: -4.5'));
    const r = await runCli(['sim', '--plant', file, '--duration', '1s']);
    expect(r.code).toBe(2);
    const line = good.split('\n').findIndex((l) => l.includes('thresholdMmS: 4.5')) + 1;
    expect(r.stderr).toContain(`iiot: error: ${file}:${line}: assets[2].bearing.thresholdMmS: Too small: expected number to be >0`);
  });

  it('needs a password for the hardened profile, and says where it comes from', async () => {
    const r = await runCli(['sim', '--profile', 'hardened', ...FREE_PORTS], { env: { IIOT_SIM_PASSWORD: undefined } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /iiot: error: --profile hardened offers no anonymous access and needs a user, but IIOT_SIM_PASSWORD is not set/,
    );
  });

  it('generates a capture with the ground truth in its header', async () => {
    const dir = tempDir('sim-gen');
    const file = join(dir, 'pump.jsonl.gz');
    const r = await runCli(['sim', '--generate', '--span', '2d', '--interval', '10m', '--tags', 'pump1.*,plant.energy', '-o', file]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/pump\.jsonl\.gz: 2312 samples of 8 tags/);
    const capture = await openCapture(file);
    const gt = capture.header.metadata.groundTruth as {
      bearings: Array<{ failure: string }>;
      energy: { perDay: Array<{ kwh: number }>; totalKwh: number };
    };
    expect(gt.bearings[0]!.failure).toBe('2026-01-30T23:00:00.000Z');
    expect(capture.header.tags.map((t) => t.name)).toEqual([
      'plant.energy',
      'pump1.running',
      'pump1.speed',
      'pump1.current',
      'pump1.power',
      'pump1.energy',
      'pump1.vibration',
      'pump1.bearingTemp',
    ]);
    const energy: SampleLine[] = [];
    for await (const rec of capture) if (isSample(rec) && rec.tag === 'plant.energy') energy.push(rec);
    await capture.close();
    expect(energy).toHaveLength(289);
    // the counter in the capture agrees with the ground truth's total
    const delta = (energy.at(-1)!.v as number) - (energy[0]!.v as number);
    expect(delta).toBeCloseTo(gt.energy.totalKwh, 2);
  });

  it('rejects generate-only options without --generate', async () => {
    const r = await runCli(['sim', '--days', '3']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--days, --span and -o belong to --generate/);
  });
});
