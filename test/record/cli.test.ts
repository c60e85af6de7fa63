import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { ptyPair } from '../helpers/peer-tools.js';
import { readCapture, removeTempDirs, tempDir, waitFor } from '../helpers/record-io.js';

const dir = tempDir('rec-cli');
const env = { IIOT_PKI_DIR: tempDir('rec-cli-pki') };
let plant: RunningPlant;
let pty: Awaited<ReturnType<typeof ptyPair>>;
const children: ChildProcess[] = [];

beforeAll(async () => {
  pty = await ptyPair(tempDir('rec-cli-pty'));
  plant = await startPlant({
    opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0 },
    modbus: { port: 0 },
    mqtt: { port: 0 },
    rtu: { path: pty.b, baudRate: 38400, unitId: 7 },
    updateIntervalMs: 200,
  });
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await plant?.stop();
  await pty?.stop();
  removeTempDirs();
});

function spawnRecord(args: string[]): { child: ChildProcess; stdout: () => string; stderr: () => string; closed: Promise<number | null> } {
  const child = spawn(process.execPath, [BIN, 'record', ...args], {
    cwd: ROOT,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let err = '';
  let out = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, closed };
}

function samplesIn(path: string): number {
  try {
    return readFileSync(path, 'utf8')
      .split('\n')
      .filter((l) => l.includes('"tag":')).length;
  } catch {
    return 0;
  }
}

describe('iiot record (the command)', () => {
  it('every protocol of the plant into one capture: OPC UA, Modbus TCP, Modbus RTU over socat, MQTT JSON and Sparkplug B', async () => {
    const out = join(dir, 'all.jsonl.gz');
    const rec = spawnRecord([
      plant.endpoints.opcua!,
      '--security-mode',
      'None',
      '--node',
      plant.opcua!.nodeId('pump1.vibration'),
      '--node',
      '/Objects/Plant/Incomer/ActivePower',
      `${plant.endpoints.modbus!}?unit=1`,
      '--map',
      'sdm630',
      '--registers',
      'frequency,power_total',
      `modbus-rtu://${pty.a}?baud=38400&unit=7`,
      '--map',
      'sdm630',
      '--id',
      'rtu-meter',
      '--registers',
      'voltage_l1',
      plant.endpoints.mqtt!,
      '--topic',
      'plant/pump1/#',
      '--topic',
      'spBv1.0/#',
      '--raw',
      '-o',
      out,
      '--flush-interval',
      '100ms',
      '--json',
    ]);
    const expected = [
      'pump1.vibration',
      'Plant.Incomer.ActivePower',
      'sdm630.frequency',
      'sdm630.power_total',
      'rtu-meter.voltage_l1',
      'vibration',
      'IIoT.SimPlant.pump1.vibration',
    ];
    // until every tag of every source has a value (a condition, not a time), then Ctrl-C
    await waitFor(async () => {
      const back = existsSync(out) ? await readCapture(out).catch(() => undefined) : undefined;
      const seen = new Set(back?.samples.map((s) => s.tag));
      return expected.every((t) => seen.has(t));
    }, 200);
    rec.child.kill('SIGINT');
    expect(await rec.closed, rec.stderr()).toBe(130);
    const summary = JSON.parse(rec.stdout()) as { schema: string; stopped: string; silentTags: string[]; sources: Array<{ id: string }> };
    expect(summary.schema).toBe('iiot.record/1');
    expect(summary.stopped).toBe('signal');
    expect(summary.sources.map((s) => s.id)).toEqual(['opcua', 'sdm630', 'rtu-meter', 'mqtt']);
    expect(summary.silentTags).toEqual([]);
    const back = await readCapture(out);
    expect(back.issues).toEqual([]);
    expect(back.header.sources.map((s) => s.protocol)).toEqual(['opcua', 'modbus', 'modbus-rtu', 'mqtt']);
    const tags = new Set(back.samples.map((s) => s.tag));
    for (const t of expected) expect(tags).toContain(t);
    expect(back.raw.length).toBeGreaterThan(0);
    expect(back.events.at(-1)).toMatchObject({ event: 'stop', message: 'stopped by the user (Ctrl-C or SIGTERM)' });
  });

  // Ctrl-C exits 130 as every command does (docs/exit-codes.md); SIGTERM is how a service manager
  // or a script stops a recorder on purpose: 0. Both keep what was recorded.
  for (const [signal, exitCode] of [
    ['SIGTERM', 0],
    ['SIGINT', 130],
  ] as const) {
    it(`${signal} finishes the file cleanly: exit ${exitCode}, a stop event, nothing torn`, async () => {
      const out = join(dir, `${signal}.jsonl`);
      const rec = spawnRecord([plant.endpoints.mqtt!, '--topic', 'plant/#', '-o', out, '--flush-interval', '100ms']);
      await waitFor(() => samplesIn(out) >= 20);
      rec.child.kill(signal);
      expect(await rec.closed).toBe(exitCode);
      const back = await readCapture(out);
      expect(back.issues).toEqual([]);
      expect(back.events.at(-1)).toMatchObject({ event: 'stop', message: 'stopped by the user (Ctrl-C or SIGTERM)' });
      expect(rec.stdout()).toMatch(/samples of \d+ tags .*\(stopped by the user/);
    });
  }

  it('SIGKILL: the capture reads back up to the last flush, a torn last line at most, reported not fatal', async () => {
    const out = join(dir, 'kill.jsonl.gz');
    const rec = spawnRecord([plant.endpoints.mqtt!, '--topic', '#', '--raw', '-o', out, '--flush-interval', '50ms']);
    await waitFor(async () => (existsSync(out) ? ((await readCapture(out).catch(() => undefined))?.samples.length ?? 0) >= 100 : false));
    const before = (await readCapture(out)).samples.length;
    rec.child.kill('SIGKILL');
    await rec.closed;
    const back = await readCapture(out);
    expect(back.samples.length).toBeGreaterThanOrEqual(before);
    expect(back.issues.length).toBeLessThanOrEqual(1);
    expect(back.issues.every((i) => i.torn === true)).toBe(true);
    // the tools agree: the capture is valid apart from a torn tail, which capture info says first
    // (exit 2) unless accepted knowingly with --lenient
    const info = await runCli(['capture', 'info', out, '--json', '--lenient'], { env });
    expect(info.code).toBe(0);
    if (back.issues.length > 0) expect(info.stderr).toMatch(/^iiot: warning: .* is damaged: 1 bad line, the end is cut/);
    else expect(info.stderr).toBe('');
    expect((JSON.parse(info.stdout) as { records: { samples: number } }).records.samples).toBe(back.samples.length);
  });

  it('disk full: one clear error (exit 2), and what was written stays readable', async () => {
    const small = join(dir, 'small');
    mkdirSync(small, { recursive: true });
    // A small tmpfs when we may mount one (root); otherwise a file size limit does the same to the writer.
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=96k', 'tmpfs', small]).status === 0;
    try {
      const out = join(small, 'full.jsonl');
      const args = ['record', plant.endpoints.mqtt!, '--topic', '#', '--raw', '-o', out, '--flush-interval', '20ms', '--duration', '60s'];
      const r = mounted
        ? await runCli(args, { env })
        : await new Promise<{ code: number | null; stderr: string }>((resolve) => {
            const c = spawn('bash', ['-c', `ulimit -f 96; exec "${process.execPath}" "${BIN}" "$@"`, 'bash', ...args], {
              cwd: ROOT,
              env: { ...process.env, NO_COLOR: '1', ...env },
            });
            let stderr = '';
            c.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
            c.on('close', (code) => resolve({ code, stderr }));
          });
      expect(r.code).toBe(2);
      const lines = r.stderr.trim().split('\n');
      const err = lines.find((l) => l.startsWith('iiot: error:'))!;
      expect(err).toMatch(
        mounted ? /cannot write .*full\.jsonl: no space left on the device \(ENOSPC\)/ : /cannot write .*full\.jsonl: file too large/,
      );
      expect(r.stderr).toMatch(/hint: the \d+ records written before stay readable/);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const back = await readCapture(out);
      expect(back.issues).toEqual([]);
      expect(back.samples.length).toBeGreaterThan(0);
    } finally {
      if (mounted) spawnSync('umount', [small]);
    }
  });

  it('bad input: one line and a hint, the right exit code, no stack trace, no file', async () => {
    const map = join(dir, 'overlap.yaml');
    writeFileSync(
      map,
      'name: overlap\ndefaults: { table: input, type: float32 }\nregisters:\n  - { name: a, address: 0 }\n  - { name: b, address: 1 }\n',
    );
    const cases: Array<[string[], number, RegExp]> = [
      [
        [`${plant.endpoints.modbus!}?unit=1`, '--map', map],
        2,
        /overlap\.yaml:5: registers\[1\]: b \(ir:0x0001\) overlaps a \(ir:0x0000, 2 registers\)/,
      ],
      [[plant.endpoints.mqtt!, '--decoder', 'xml'], 2, /--decoder: unknown decoder "xml"/],
      [['modbus-rtu:///dev/ttyIIOT-MISSING?unit=1', '--map', 'sdm630'], 2, /serial port \/dev\/ttyIIOT-MISSING does not exist/],
      [[`${plant.endpoints.modbus!}?unit=1`, '--map', 'sdm999'], 2, /unknown register map "sdm999"/],
      [['mqtt://127.0.0.1:1'], 3, /nothing is listening at mqtt:\/\/127\.0\.0\.1:1 \(connection refused\)/],
    ];
    for (const [args, code, message] of cases) {
      const out = join(dir, `bad-${code}-${Math.random().toString(36).slice(2)}.jsonl`);
      const r = await runCli(['record', ...args, '-o', out, '--duration', '2s'], { env });
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('iiot:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(message);
      expect(r.stderr).toMatch(/\n {2}hint: /);
      expect(r.stderr).not.toMatch(/\n\s+at /);
      expect(existsSync(out)).toBe(false);
    }
  });

  it('refuses to overwrite a capture unless --force', async () => {
    const out = join(dir, 'exists.jsonl');
    writeFileSync(out, 'precious evidence\n');
    const r = await runCli(['record', plant.endpoints.mqtt!, '-o', out, '--duration', '1s'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
    expect(readFileSync(out, 'utf8')).toBe('precious evidence\n');
  });
});
