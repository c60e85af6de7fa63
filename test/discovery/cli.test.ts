/** Bad input: one clear line, a hint, exit 2, nothing sent and nothing on stdout. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

async function refused(args: string[], message: string, hint: string): Promise<void> {
  const r = await runCli(['discover', ...args]);
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines[0]).toBe(`iiot: error: ${message}`);
  expect(lines[1]).toContain(`hint: ${hint}`);
  expect(lines).toHaveLength(2);
}

describe('iiot discover: bad input', () => {
  it('refuses malformed ranges, unknown protocols and large scans without --yes', async () => {
    await refused(
      ['127.0.0.9-127.0.0.1'],
      'target "127.0.0.9-127.0.0.1": the range ends before it starts',
      'write the lower address first: 127.0.0.1-127.0.0.9',
    );
    await refused(['127.0.0.1/33'], 'target "127.0.0.1/33": prefix length /33 is not from 0 to 32', 'targets are addresses');
    await refused(
      ['127.0.0.1', '--protocols', 'opcua,s7'],
      '--protocols: unknown protocol "s7"',
      'choose from opcua, modbus, mqtt, sparkplug',
    );
    await refused(
      ['127.0.0.0/16'],
      'the targets cover 65,534 addresses (more than 1,024)',
      'a scan that large on a plant network should be deliberate',
    );
    await refused(
      ['127.0.0.1:502'],
      'target "127.0.0.1:502": a host with a port is ambiguous (which protocol?)',
      'write a device URL such as opc.tcp://127.0.0.1:502 or modbus://127.0.0.1:502',
    );
    await refused(
      ['127.0.0.1', '--ports', '502:bacnet'],
      '--ports: unknown protocol "bacnet" in "502:bacnet"',
      'a port may be marked opcua, modbus, mqtt, mqtts',
    );
    await refused(['127.0.0.1', '--rate', 'fast'], '--rate: "fast" is not a number of connections per second', 'for example --rate 20');
    await refused(['127.0.0.1', '--unit-ids', '0-300'], '--unit-ids: "0-300" is outside 0-255', 'Modbus unit ids are 1-247');
    await refused(
      [],
      'name what to scan: addresses, ranges, host names, device URLs or serial ports',
      'for example: iiot discover 127.0.0.1',
    );
  });

  it('shows examples in --help', async () => {
    const r = await runCli(['discover', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('iiot discover /dev/ttyUSB0 --baud 9600,19200 --parity none,even');
    expect(r.stdout).toContain('--rebirth');
  });
});
