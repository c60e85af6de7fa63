// `iiot read`: what one read costs a person at a prompt, against the C tools engineers use for the
// same look (mbpoll for registers, mosquitto_sub for a retained topic) and a bare `node -e 0`, all
// against the same simulated plant (its own process, model time frozen) in the same invocation.
// Wall time from start to exit, interleaved runs after a warm-up, median.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, fmt, markdownTable, median, timeCommands } from './lib.js';

const RUNS = Number(process.env.BENCH_READ_RUNS ?? 15);
const work = mkdtempSync(join(tmpdir(), 'iiot-bench-read-'));
let sim: ChildProcess | undefined;

async function startSim(): Promise<{ modbus: string; mqtt: string }> {
  const ready = join(work, 'sim.json');
  sim = spawn(
    process.execPath,
    [BIN, 'sim', '--no-opcua', '--modbus-port', '0', '--mqtt-port', '0', '--time-scale', '1e-9', '--ready-file', ready, '--quiet'],
    { stdio: 'ignore' },
  );
  for (;;) {
    try {
      const t = readFileSync(ready, 'utf8');
      if (t.trim()) return (JSON.parse(t) as { endpoints: { modbus: string; mqtt: string } }).endpoints;
    } catch {
      // not yet
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

try {
  const { modbus, mqtt } = await startSim();
  const mbPort = new URL(modbus.replace('modbus:', 'http:')).port;
  const mqPort = new URL(mqtt.replace('mqtt:', 'http:')).port;
  const iiot = (...args: string[]) => [process.execPath, BIN, 'read', ...args, '-q'];
  const commands: Record<string, string[]> = {
    'node -e 0': [process.execPath, '-e', '0'],
    'mbpoll: 3 float32 (SDM630 voltages)': [
      'mbpoll',
      '-m',
      'tcp',
      '-p',
      mbPort,
      '-a',
      '1',
      '-t',
      '3:float',
      '-B',
      '-0',
      '-r',
      '0',
      '-c',
      '3',
      '-1',
      '127.0.0.1',
    ],
    'iiot read: 3 float32 (SDM630 voltages)': iiot(`${modbus}?unit=1`, '30001', '--type', 'float32', '--count', '3'),
    'iiot read --map sdm630 (79 entries, 9 requests)': iiot(`${modbus}?unit=1`, '--map', 'sdm630'),
    'mosquitto_sub: one retained topic': ['mosquitto_sub', '-h', '127.0.0.1', '-p', mqPort, '-t', 'plant/pump1/vibration', '-C', '1'],
    'iiot read: one retained topic': iiot(mqtt, 'plant/pump1/vibration'),
    'iiot read: plant/pump1/# (7 retained, 0.5 s settle)': iiot(mqtt, 'plant/pump1/#'),
    'iiot read --sparkplug: 2 node metrics': iiot(mqtt, '--sparkplug', 'IIoT/SimPlant', 'power', 'energy'),
  };
  const times = timeCommands(commands, RUNS);
  const base = median(times['node -e 0']!);
  const rows = Object.entries(times).map(([name, xs]) => [name, fmt(median(xs), 0), fmt(median(xs) / base, 1)]);
  console.log(
    `### One read, start to exit (${RUNS} interleaved runs each after 3 warm-up rounds, median; the plant's servers in their own process)\n`,
  );
  console.log(markdownTable(['command', 'ms', '× node -e 0'], rows));
  console.log(
    '\nA Modbus read loads modbus-serial and the register-map code; an MQTT read, mqtt.js and the Sparkplug codec. A retained topic without wildcards is answered with its message; under a wildcard iiot waits 0.5 s without a retained message (docs/read.md), mosquitto_sub -C 1 stops at the first.',
  );
} finally {
  sim?.kill('SIGTERM');
  rmSync(work, { recursive: true, force: true });
}
