/**
 * The README's recording of all three protocols, on a slow or cold laptop (issue 10 §1). Before
 * src/core/deadline.ts it exited 3 ("no answer from 127.0.0.1:<modbus> (connection timed out)")
 * every time iiot ran on one core shared with two busy loops, and often right after the page
 * cache was dropped: loading node-opcua blocked the process past the 1 s Modbus connect timer.
 * These tests assert success, not speed. The plant runs on the other core (taskset -c 1, at a
 * higher priority): it is the device, and its own slowness is not what is tested here.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pki } from '../../src/protocols/opcua/pki.js';
import { busyLoops } from '../helpers/busy.js';
import { BIN, ROOT } from '../helpers/cli.js';
import { runProcess } from '../helpers/process.js';
import { startSim, type RunningSim } from '../helpers/sim.js';
import { scaled } from '../helpers/time-scale.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { readCapture } from '../helpers/record-io.js';

let sim: RunningSim;

beforeAll(async () => {
  // The plant is the device, not what is tested: a healthy device on a machine of its own. On the
  // other core, and ahead of whatever else runs there (npm run test:busy keeps that core busy too;
  // without root, nice only warns and the plant runs at normal priority).
  sim = await startSim([], ['nice', '-n', '-10', 'taskset', '-c', '1']);
  // the README trusts the plant's certificate with `iiot browse ... --trust-on-first-use` first;
  // here, directly in the store the CLI uses (the suite's IIOT_PKI_DIR)
  const certificate = sim.ready.opcua?.certificate;
  expect(certificate, 'iiot sim names its certificate file in the ready file').toBeDefined();
  const pki = new Pki(process.env.IIOT_PKI_DIR!);
  pki.trust(certificate!);
  await pki.close();
}, scaled(180_000));

afterAll(async () => {
  await sim?.stop();
  removeTempDirs();
});

/** The README's example (ports and file name aside; --duration 5s instead of 2h), optionally under a wrapper. */
function recordArgs(output: string): string[] {
  return [
    'record',
    `opc.tcp://127.0.0.1:${sim.ports.opcua}`,
    '--subtree',
    '/Objects/5:Plant/5:Pump1',
    `modbus://127.0.0.1:${sim.ports.modbus}?unit=1`,
    '--map',
    'sdm630',
    `mqtt://127.0.0.1:${sim.ports.mqtt}`,
    '--topic',
    'plant/#',
    '-o',
    output,
    '--duration',
    '5s',
  ];
}

async function expectAllThreeRecorded(r: { code: number | null; stdout: string; stderr: string }, output: string): Promise<void> {
  expect(r.stderr).not.toMatch(/timed out|no answer/);
  expect(r.code, r.stderr).toBe(0);
  const c = await readCapture(output);
  const sourceOf = new Map(c.tags.map((t) => [t.name, t.source]));
  const sources = new Set(c.samples.map((s) => sourceOf.get(s.tag)));
  expect([...sources].sort()).toEqual(['mqtt', 'opcua', 'sdm630']);
  // the pump's vibration over OPC UA and the meter's voltage over Modbus, with real values
  const vibration = c.samples.filter((s) => s.tag === 'Plant.Pump1.VibrationVelocityRms');
  expect(vibration.length).toBeGreaterThan(0);
  const volts = c.samples.filter((s) => s.tag === 'sdm630.voltage_l1').map((s) => s.v as number);
  expect(volts.length).toBeGreaterThan(0);
  for (const v of volts) expect(v).toBeGreaterThan(200);
  expect(c.events.filter((e) => e.event === 'error')).toEqual([]);
}

describe('the three-protocol recording of the README on a slow or cold machine', () => {
  it(
    'succeeds on one core shared with two busy loops (taskset -c 0 for iiot and both loops)',
    async () => {
      const output = join(tempDir('busy-record'), 'line3.jsonl.gz');
      const loops = busyLoops(2, 0);
      let r;
      try {
        r = await runProcess('taskset', ['-c', '0', process.execPath, BIN, ...recordArgs(output)], {
          cwd: ROOT,
          env: { ...process.env, NO_COLOR: '1' },
          timeoutMs: 280_000,
        });
      } finally {
        loops.stop();
      }
      await expectAllThreeRecorded(r, output);
    },
    scaled(300_000),
  );

  it(
    "succeeds right after the page cache was dropped (a laptop's first run of the day; needs root)",
    async () => {
      // Not skipped when not root: this case is part of the proof, so it says why it cannot run.
      expect(
        process.getuid?.(),
        'dropping the page cache needs root (sync; echo 3 > /proc/sys/vm/drop_caches): run the suite as root, as .ci/run does',
      ).toBe(0);
      const output = join(tempDir('cold-record'), 'line3.jsonl.gz');
      await runProcess('sync', []);
      writeFileSync('/proc/sys/vm/drop_caches', '3\n');
      const r = await runProcess(process.execPath, [BIN, ...recordArgs(output)], {
        cwd: ROOT,
        env: { ...process.env, NO_COLOR: '1' },
        timeoutMs: 280_000,
      });
      await expectAllThreeRecorded(r, output);
    },
    scaled(300_000),
  );
});
