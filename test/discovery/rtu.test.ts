/**
 * Modbus RTU discovery on a serial line: the plant's RTU meter (unit 5, 19200 baud, even parity)
 * behind a "strict line" (helpers.ts): two socat pseudo-terminal pairs joined by a relay that
 * passes the master's bytes only when the baud rate it set on its end is the meter's, as a real
 * RS-485 line does. So the scan must find the meter at its speed and at no other. Parity is not
 * enforced (Linux clears it on pseudo-terminals): at the right speed the meter answers both
 * parities tried, and the inventory says so (alsoAnswersAt) rather than pretending to know.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SerialPort } from 'serialport';
import type { Inventory, ModbusRtuDevice } from '../../src/discovery/inventory.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { strictLine, type StrictLine } from '../helpers/discovery-peers.js';

let line: StrictLine;
let plant: RunningPlant;

beforeAll(async () => {
  const dir = tempDir('rtu');
  line = await strictLine(dir, 19200);
  plant = await startPlant({
    opcua: false,
    modbus: false,
    mqtt: false,
    rtu: { path: line.device, baudRate: 19200, parity: 'even', unitId: 5 },
  });
});

afterAll(async () => {
  await plant?.stop();
  await line?.stop();
  removeTempDirs();
});

describe('iiot discover on a serial port', () => {
  it('finds the meter at its unit id and baud rate, and at no other speed', async () => {
    // a generous per-unit timeout: the relay runs stty for every frame, and the machine is shared
    const r = await runCli([
      'discover',
      line.client,
      '--baud',
      '9600,19200',
      '--parity',
      'even,none',
      '--unit-ids',
      '4-6',
      '--unit-timeout',
      '800ms',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.complete).toBe(true);
    expect(inv.devices).toHaveLength(1);
    const d = inv.devices[0] as ModbusRtuDevice;
    expect(d.url).toBe(`modbus-rtu://${line.client}?baud=19200&parity=even&unit=5`);
    expect(d.serial).toEqual({ baud: 19200, parity: 'even', dataBits: 8, stopBits: 1 });
    // the pseudo-terminal cannot refuse the wrong parity; the inventory reports it, at the same speed only
    expect(d.alsoAnswersAt).toEqual([{ baud: 19200, parity: 'none', dataBits: 8, stopBits: 1 }]);
    expect(d.identity).toMatchObject({ vendor: 'Eastron', productName: 'SDM630' });
    expect(d.modbus.identification).toBe('ok');
    // at 9600 nothing; at 19200 only unit 5
    const none = inv.noAnswer.filter((n) => n.result === 'no-device');
    expect(none.map((n) => `${n.setting!.baud}/${n.setting!.parity}:${n.units}`).sort()).toEqual([
      '19200/even:4,6',
      '19200/none:4,6',
      '9600/even:4-6',
      '9600/none:4-6',
    ]);
    expect(line.dropped()).toBeGreaterThan(0);
  });

  it('takes fixed settings from a modbus-rtu URL and prints the table', async () => {
    const r = await runCli(['discover', `modbus-rtu://${line.client}?baud=19200&parity=even`, '--unit-ids', '5', '--unit-timeout', '1s']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(
        `^modbus-rtu://${line.client}\\?baud=19200&parity=even&unit=5\\s+modbus-rtu\\s+Eastron SDM630 v2.0\\s+19200 8E1; read`,
        'm',
      ),
    );
    expect(r.stderr).toContain('Scanned 1 serial port');
  });

  it('says a busy port is busy (exit 2), and a missing one missing', async () => {
    const holder = new SerialPort({ path: line.client, baudRate: 19200, autoOpen: false });
    await new Promise<void>((resolve, reject) => holder.open((err) => (err ? reject(err) : resolve())));
    try {
      const r = await runCli(['discover', line.client, '--unit-ids', '5', '--json']);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`iiot: error: serial port ${line.client} is busy: another program holds it`);
      expect(r.stderr).toContain('hint: find it with `fuser');
      expect(r.stderr).not.toMatch(/\n\s+at /);
      const inv = JSON.parse(r.stdout) as Inventory;
      expect(inv.complete).toBe(false);
      expect(inv.noAnswer[0]).toMatchObject({ path: line.client, result: 'error' });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
    const missing = await runCli(['discover', '/dev/ttyIIOT-none', '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stdout).toBe('');
    expect(missing.stderr.split('\n')[0]).toBe('iiot: error: serial port /dev/ttyIIOT-none does not exist');
  });
});
