/**
 * Every Modbus and MQTT example of `iiot read --help` runs, verbatim but for the ports and the
 * serial device, against the simulated plant (TCP, RTU on a socat pseudo-terminal pair, MQTT).
 * The OPC UA examples are the ones test/browse/cli.test.ts runs with its own plant.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { runCli } from '../helpers/cli.js';
import { ptyPair } from '../helpers/pty.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), age: 3 * 86_400_000, timeScale: 1e-9 };

/** A help example as a shell would split it: double quotes group, a # after a space starts a comment. */
function words(line: string): string[] {
  const out: string[] = [];
  let cur: string | undefined;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '"') {
      quoted = !quoted;
      cur ??= '';
    } else if (!quoted && ch === '#' && cur === undefined) break;
    else if (!quoted && /\s/.test(ch)) {
      if (cur !== undefined) out.push(cur);
      cur = undefined;
    } else cur = (cur ?? '') + ch;
  }
  if (cur !== undefined) out.push(cur);
  return out;
}

let plant: RunningPlant;
let line: Awaited<ReturnType<typeof ptyPair>>;
let examples: string[][];

beforeAll(async () => {
  line = await ptyPair(tempDir('read-help'));
  plant = await startPlant({
    ...FROZEN,
    opcua: false,
    modbus: { port: 0 },
    mqtt: { port: 0 },
    rtu: { path: line.b, baudRate: 19200, parity: 'even', unitId: 5 },
  });
  const help = await runCli(['read', '--help']);
  examples = [...help.stdout.matchAll(/^ {2}\$ (iiot read .*)$/gm)].map((m) => words(m[1]!));
});
afterAll(async () => {
  await plant?.stop();
  await line?.stop();
  removeTempDirs();
});

describe('iiot read --help', () => {
  it('shows examples for every protocol', () => {
    const urls = examples.map((e) => e[2]!);
    for (const scheme of ['opc.tcp://', 'modbus://', 'modbus-rtu://', 'mqtt://'])
      expect(
        urls.some((u) => u.startsWith(scheme)),
        scheme,
      ).toBe(true);
  });

  it('every Modbus and MQTT example runs against the plant', async () => {
    const port = (url: string) => new URL(url.replace(/^\w+:/, 'http:')).port;
    const local = (arg: string) =>
      arg
        .replace('127.0.0.1:5020', `127.0.0.1:${port(plant.endpoints.modbus!)}`)
        .replace('127.0.0.1:1883', `127.0.0.1:${port(plant.endpoints.mqtt!)}`)
        .replace('/dev/ttyUSB0', line.a);
    const run = examples.filter((e) => !e[2]!.startsWith('opc.tcp://'));
    expect(run.length).toBeGreaterThanOrEqual(7);
    for (const example of run) {
      const r = await runCli(example.slice(1).map(local));
      expect(r.code, `${example.join(' ')}\n${r.stderr}`).toBe(0);
      expect(r.stdout.trim(), example.join(' ')).not.toBe('');
    }
  });
});
