/**
 * `iiot read modbus://...` against the simulated plant's Modbus TCP server and its RTU meter on a
 * socat pseudo-terminal pair, checked against Debian's mbpoll reading the same registers: the
 * values must be the ones an independent client sees. Model time is frozen (time scale 1e-9), so
 * both tools read the same instant.
 *
 * mbpoll, for the record: -t 0 coils, -t 1 discrete inputs, -t 3 input and -t 4 holding registers
 * (16-bit: unsigned, then the signed value in parentheses when the top bit is set), :int a signed
 * 32-bit integer, :float a float32, :hex the raw words; 32-bit values are little-endian word order
 * (CDAB) unless -B (ABCD); -r is 1-based unless -0; -c counts values of the type; floats are
 * printed with %g (six significant digits).
 */
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli } from '../helpers/cli.js';
import { tcpServer } from '../helpers/net.js';
import { runProcess } from '../helpers/process.js';
import { ptyPair } from '../helpers/pty.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

// Monday 10:00 in Madrid, three days after the epoch: the line produces and the counters have counted.
const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), age: 3 * 86_400_000, timeScale: 1e-9 };

interface Value {
  item: string;
  address: string;
  register: string;
  value: number | boolean | string | null;
  registers?: number[];
  status: string;
  exception?: number;
  name?: string;
  unit?: string;
}

/** mbpoll's value lines: "[30]: \t230.075", "[36]: \t38042 (-27494)", "[34]: \t0x3845" */
function mbpollLines(stdout: string): Array<{ ref: number; text: string; signed?: number }> {
  return [...stdout.matchAll(/^\[(\d+)\]:\s+(\S+)(?: \((-?\d+)\))?\s*$/gm)].map((m) => ({
    ref: Number(m[1]),
    text: m[2]!,
    ...(m[3] === undefined ? {} : { signed: Number(m[3]) }),
  }));
}

/** A float as mbpoll shows it (%g, six significant digits) matches ours when ours rounds to it. */
function sameAsG(ours: number, shown: string): boolean {
  const m = Number(shown);
  if (m === 0) return ours === 0;
  const halfUnit = 0.5 * 10 ** (Math.floor(Math.log10(Math.abs(m))) - 5);
  return Math.abs(ours - m) <= halfUnit * (1 + 1e-9);
}

let plant: RunningPlant;
let port: number;
const modbus = (unit: number) => `modbus://127.0.0.1:${port}?unit=${unit}`;

// Generous timeouts for both tools: the machine may be busy, and a late answer is not what these tests are about.
async function iiot(args: string[]): Promise<{ code: number | null; values: Value[]; stderr: string; doc: Record<string, unknown> }> {
  const r = await runCli(['read', ...args, '--json', ...(args.includes('--timeout') ? [] : ['--timeout', '5s'])]);
  expect(r.stderr).not.toMatch(/\n\s+at /);
  const doc = JSON.parse(r.stdout) as { schema: string; values: Value[] };
  expect(doc.schema).toBe('iiot.read/1');
  return { code: r.code, values: doc.values, stderr: r.stderr, doc };
}

async function mbpoll(unit: number, args: string[]) {
  const r = await runProcess('mbpoll', ['-m', 'tcp', '-p', String(port), '-a', String(unit), '-o', '5', ...args, '-1', '127.0.0.1'], {
    timeoutMs: 20_000,
  });
  expect(r.code, r.stderr).toBe(0);
  const lines = mbpollLines(r.stdout);
  expect(lines.length, r.stdout).toBeGreaterThan(0);
  return lines;
}

beforeAll(async () => {
  plant = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port: 0 } });
  port = Number(new URL(plant.endpoints.modbus!.replace('modbus:', 'http:')).port);
});
afterAll(async () => {
  await plant?.stop();
  removeTempDirs();
});

describe('iiot read over Modbus TCP gives what mbpoll gives', () => {
  it('float32 ABCD: the SDM630 voltages, by Modicon number (30001) and by mbpoll -B -0', async () => {
    const [ours, theirs, words] = await Promise.all([
      iiot([modbus(1), '30001', '--type', 'float32', '--count', '3']),
      mbpoll(1, ['-t', '3:float', '-B', '-0', '-r', '0', '-c', '3']),
      mbpoll(1, ['-t', '3:hex', '-0', '-r', '0', '-c', '6']),
    ]);
    expect(ours.code).toBe(0);
    expect(ours.values.map((v) => v.address)).toEqual(['ir:0x0000', 'ir:0x0002', 'ir:0x0004']);
    expect(ours.values.map((v) => v.register)).toEqual(['30001', '30003', '30005']);
    expect(theirs.map((l) => l.ref)).toEqual([0, 2, 4]);
    ours.values.forEach((v, i) => {
      expect(v.value as number).toBeGreaterThan(200); // a mains voltage, not a swapped float
      expect(sameAsG(v.value as number, theirs[i]!.text), `${v.value} vs ${theirs[i]!.text}`).toBe(true);
    });
    // the raw words, exactly
    expect(ours.values.flatMap((v) => v.registers!)).toEqual(words.map((l) => Number(l.text)));
  });

  it('a 1-based register number reads what mbpoll -r reads without -0', async () => {
    const [ours, theirs] = await Promise.all([
      iiot([modbus(1), '30073', '--type', 'float32']),
      mbpoll(1, ['-t', '3:float', '-B', '-r', '73']),
    ]);
    expect(ours.values[0]!.address).toBe('ir:0x0048');
    expect(theirs[0]!.ref).toBe(73);
    expect(sameAsG(ours.values[0]!.value as number, theirs[0]!.text)).toBe(true);
  });

  it('float32 CDAB and ABCD: the PLC speeds, as mbpoll reads them with and without -B', async () => {
    const [cdab, abcd, mCdab, mAbcd] = await Promise.all([
      iiot([modbus(3), 'hr:30', '--type', 'float32', '--order', 'CDAB', '--count', '4']),
      iiot([modbus(3), 'hr:30', '--type', 'float32', '--count', '4']),
      mbpoll(3, ['-t', '4:float', '-0', '-r', '30', '-c', '4']),
      mbpoll(3, ['-t', '4:float', '-B', '-0', '-r', '30', '-c', '4']),
    ]);
    for (const [ours, theirs] of [
      [cdab, mCdab],
      [abcd, mAbcd],
    ] as const) {
      expect(ours.values).toHaveLength(4);
      ours.values.forEach((v, i) =>
        expect(sameAsG(v.value as number, theirs[i]!.text), `${v.address}: ${v.value} vs ${theirs[i]!.text}`).toBe(true),
      );
    }
    // conveyor2.speed is stored CDAB (fixtures/maps/plant-plc.yaml): a running motor's speed read right
    expect(cdab.values[1]!.value as number).toBeGreaterThan(100);
    expect(cdab.values[1]!.value as number).toBeLessThan(3000);
  });

  it('uint32 and int32 in both word orders: the PLC counters and speeds, as mbpoll -t 4:int reads them', async () => {
    const [counters, mCounters, asInt, asUint, mInt] = await Promise.all([
      iiot([modbus(3), 'hr:20', '--type', 'uint32', '--order', 'CDAB', '--count', '2']),
      mbpoll(3, ['-t', '4:int', '-0', '-r', '20', '-c', '2']),
      iiot([modbus(3), 'hr:30', '--type', 'int32', '--count', '4']),
      iiot([modbus(3), 'hr:30', '--type', 'uint32', '--count', '4']),
      mbpoll(3, ['-t', '4:int', '-B', '-0', '-r', '30', '-c', '4']),
    ]);
    expect(counters.values.map((v) => v.value)).toEqual(mCounters.map((l) => Number(l.text) >>> 0));
    expect(counters.values[0]!.value as number).toBeGreaterThan(0); // the conveyor has counted
    // mbpoll's 32-bit integers are signed: the same bits as our int32, and as our uint32 modulo 2^32
    expect(asInt.values.map((v) => v.value)).toEqual(mInt.map((l) => Number(l.text)));
    expect(asUint.values.map((v) => v.value)).toEqual(mInt.map((l) => Number(l.text) >>> 0));
  });

  it('int16 and uint16: a block of holding registers, negative ones included, as mbpoll -t 4 prints them', async () => {
    const [signed, unsigned, theirs] = await Promise.all([
      iiot([modbus(3), 'hr:0', '--type', 'int16', '--count', '64']),
      iiot([modbus(3), 'hr:0', '--count', '64']),
      mbpoll(3, ['-t', '4', '-0', '-r', '0', '-c', '64']),
    ]);
    expect(theirs).toHaveLength(64);
    expect(unsigned.values.map((v) => v.value)).toEqual(theirs.map((l) => Number(l.text)));
    expect(signed.values.map((v) => v.value)).toEqual(theirs.map((l) => l.signed ?? Number(l.text)));
    expect(signed.values.some((v) => (v.value as number) < 0)).toBe(true);
  });

  it('coils and discrete inputs, as mbpoll -t 0 and -t 1', async () => {
    const [coil, mCoil, inputs, mInputs] = await Promise.all([
      iiot([modbus(3), 'co:0']),
      mbpoll(3, ['-t', '0', '-0', '-r', '0']),
      iiot([modbus(3), '10001', '--count', '6']),
      mbpoll(3, ['-t', '1', '-r', '1', '-c', '6']),
    ]);
    expect(coil.values.map((v) => v.value)).toEqual(mCoil.map((l) => l.text === '1'));
    expect(coil.values[0]!.value).toBe(true); // line_enable starts on
    expect(inputs.values.map((v) => v.value)).toEqual(mInputs.map((l) => l.text === '1'));
    expect(inputs.values.map((v) => v.address)).toEqual(['di:0x0000', 'di:0x0001', 'di:0x0002', 'di:0x0003', 'di:0x0004', 'di:0x0005']);
    expect(inputs.values.some((v) => v.value === true)).toBe(true);
  });
});

describe('iiot read over Modbus TCP', () => {
  it('reads map entries by name, with units, in map order', async () => {
    const r = await iiot([modbus(1), '--map', 'sdm630', 'frequency', 'voltage_l?']);
    expect(r.code).toBe(0);
    expect(r.doc).toMatchObject({ endpoint: modbus(1), mode: 'once', unit: 1, map: 'sdm630' });
    expect(r.values.map((v) => [v.name, v.address, v.unit])).toEqual([
      ['voltage_l1', 'ir:0x0000', 'V'],
      ['voltage_l2', 'ir:0x0002', 'V'],
      ['voltage_l3', 'ir:0x0004', 'V'],
      ['frequency', 'ir:0x0046', 'Hz'],
    ]);
    expect(r.values[3]!.value as number).toBeCloseTo(50, 0);
    // the same registers by address
    const byAddress = await iiot([modbus(1), 'ir:0x0000', '--type', 'float32', '--count', '3']);
    expect(byAddress.values.map((v) => v.value)).toEqual(r.values.slice(0, 3).map((v) => v.value));
  });

  it('names a register the device refuses by its exception, and still reads the others (exit 2)', async () => {
    // the PLC serves holding registers up to its setpoint at 100: one request for 95-104 draws exception 2
    const r = await iiot([modbus(3), 'hr:95', '--count', '10']);
    expect(r.code).toBe(2);
    expect(r.values.map((v) => v.status)).toEqual([...Array(6).fill('Good'), ...Array(4).fill('exception 2 (illegal data address)')]);
    expect(r.values.slice(6).every((v) => v.value === null && v.exception === 2)).toBe(true);
    const theirs = await mbpoll(3, ['-t', '4', '-0', '-r', '95', '-c', '6']);
    expect(r.values.slice(0, 6).map((v) => v.value)).toEqual(theirs.map((l) => Number(l.text)));
    expect(r.stderr).toContain(
      `iiot: error: ${modbus(3)}: 4 of 10 registers could not be read: hr:0x0065, hr:0x0066, hr:0x0067, hr:0x0068: exception 2 (illegal data address)\n`,
    );
    expect(r.stderr).toContain(
      "hint: the device does not have these registers (or this function): check the table, address and length in the device's manual",
    );
  });

  it("prints a table for people, with the manual's register number and the raw words", async () => {
    const r = await runCli(['read', modbus(3), 'hr:0x50', '--type', 'string', '--length', '8', '--timeout', '5s']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^address\s+value\s+type\s+registers$/);
    expect(r.stdout).toMatch(/^hr:0x0050 \(40081\)\s+LINE-3\s+string\s+4C49 4E45 2D33 0000 0000 0000 0000 0000$/m);
    expect(r.stderr).toMatch(/^modbus:\/\/127\.0\.0\.1:\d+\?unit=3: 1 value in 1 request/m);
  });

  it('says when a unit id has no device behind the gateway (exception 11, exit 3)', async () => {
    const r = await runCli(['read', modbus(9), '30001']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('exception 11 (gateway target device failed to respond)');
    expect(r.stderr).toContain('hint: the gateway has no answer from unit 9');
  });

  it('gives up on a device that never answers after --timeout, and on a closed port at once (exit 3)', async () => {
    const silent = await tcpServer(() => {});
    try {
      const r = await runCli(['read', `modbus://127.0.0.1:${silent.port}?unit=1`, '30001', '--timeout', '300ms']);
      expect(r.code).toBe(3);
      expect(r.stderr).toContain(`iiot: error: no answer from modbus://127.0.0.1:${silent.port}?unit=1 (unit 1) within 300 ms\n`);
      expect(r.stdout).toContain('no answer (timed out)');
    } finally {
      await silent.stop();
    }
    const closed = await runCli(['read', `modbus://127.0.0.1:${silent.port}?unit=1`, '30001']);
    expect(closed.code).toBe(3);
    expect(closed.stderr).toContain('(connection refused)');
  });

  it('refuses an unknown map entry before connecting (exit 2)', async () => {
    const r = await runCli(['read', 'modbus://127.0.0.1:1?unit=1', '--map', 'sdm630', 'voltage_l9']);
    expect(r.code).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('iiot: error: map sdm630 has no entry "voltage_l9"');
  });

  it('--watch prints each value once while it does not change, and ends after --duration (exit 0)', async () => {
    const r = await runCli([
      'read',
      modbus(1),
      '--map',
      'sdm630',
      'voltage_l1',
      'frequency',
      '--watch',
      '--interval',
      '200ms',
      '--duration',
      '1500ms',
      '--timeout',
      '5s',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Value & { schema: string });
    // frozen model time: the values never change, so each is printed once
    expect(lines.map((l) => [l.schema, l.name])).toEqual([
      ['iiot.read.change/1', 'voltage_l1'],
      ['iiot.read.change/1', 'frequency'],
    ]);
    const polls = Number(/(\d+) polls, 2 changes/.exec(r.stderr)?.[1]);
    expect(polls).toBeGreaterThan(1);
  });

  it('--watch ends cleanly on Ctrl-C with exit 130', async () => {
    const child = spawn(process.execPath, [BIN, 'read', modbus(1), '30001', '--type', 'float32', '--watch', '--interval', '100ms'], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
    });
    let stdout = '';
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (d: string) => {
        stdout += d;
        if (stdout.includes('\n')) child.kill('SIGINT');
      });
      child.on('close', resolve);
    });
    expect(code).toBe(130);
    expect(stdout).toMatch(/ir:0x0000 {2}2\d\d\.\d+\n$/);
    expect(stderr).toMatch(/\d+ polls?, 1 change\n$/);
  });

  it('sends nothing but reads: every request on the wire is function 1, 2, 3 or 4', async () => {
    const codes: number[] = [];
    // a relay between iiot and the plant that notes the function code of every request frame
    const relay = await tcpServer((client: Socket) => {
      const upstream = connect({ host: '127.0.0.1', port });
      let buf = Buffer.alloc(0);
      client.on('data', (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        while (buf.length >= 8 && buf.length >= 6 + buf.readUInt16BE(4)) {
          codes.push(buf[7]!);
          buf = buf.subarray(6 + buf.readUInt16BE(4));
        }
        upstream.write(d);
      });
      upstream.on('data', (d) => client.write(d));
      upstream.on('error', () => client.destroy());
      client.on('close', () => upstream.destroy());
    });
    try {
      const at = (unit: number) => `modbus://127.0.0.1:${relay.port}?unit=${unit}`;
      for (const args of [
        [at(1), '--map', 'sdm630'],
        [at(2), '--map', 'pm5000'],
        [at(3), '--map', 'fixtures/maps/plant-plc.yaml'],
        [at(3), 'co:0', '--count', '4'],
        [at(3), 'hr:95', '--count', '10'],
        [at(1), '30001', '--watch', '--interval', '100ms', '--duration', '500ms'],
      ]) {
        const r = await runCli(['read', ...args, '--timeout', '5s']);
        expect(r.code === 0 || r.code === 2, `${args.join(' ')}: ${r.stderr}`).toBe(true);
      }
    } finally {
      await relay.stop();
    }
    expect(new Set(codes)).toEqual(new Set([1, 2, 3, 4]));
  });
});

describe('iiot read over Modbus RTU gives what mbpoll gives', () => {
  let line: Awaited<ReturnType<typeof ptyPair>>;
  let rtu: RunningPlant;
  const url = () => `modbus-rtu://${line.a}?baud=19200&parity=even&unit=5`;
  const mbpollRtu = async (args: string[]) => {
    const r = await runProcess('mbpoll', ['-m', 'rtu', '-b', '19200', '-P', 'even', '-a', '5', '-o', '5', ...args, '-1', line.a], {
      timeoutMs: 20_000,
    });
    expect(r.code, r.stderr).toBe(0);
    return mbpollLines(r.stdout);
  };

  beforeAll(async () => {
    line = await ptyPair(tempDir('read-rtu'));
    rtu = await startPlant({
      ...FROZEN,
      opcua: false,
      modbus: false,
      mqtt: false,
      rtu: { path: line.b, baudRate: 19200, parity: 'even', unitId: 5, device: 'plc' },
    });
  });
  afterAll(async () => {
    await rtu?.stop();
    await line?.stop();
  });

  // one client at a time on a serial line: the reads run one after the other
  it('float32 CDAB, int16 and coils on the line PLC', async () => {
    const floats = await iiot([url(), 'hr:30', '--type', 'float32', '--order', 'CDAB', '--count', '4']);
    const mFloats = await mbpollRtu(['-t', '4:float', '-0', '-r', '30', '-c', '4']);
    expect(floats.code).toBe(0);
    floats.values.forEach((v, i) => expect(sameAsG(v.value as number, mFloats[i]!.text), `${v.value} vs ${mFloats[i]!.text}`).toBe(true));
    const words = await iiot([url(), 'hr:0', '--type', 'int16', '--count', '40']);
    const mWords = await mbpollRtu(['-t', '4', '-0', '-r', '0', '-c', '40']);
    expect(words.values.map((v) => v.value)).toEqual(mWords.map((l) => l.signed ?? Number(l.text)));
    const counters = await iiot([url(), 'hr:20', '--type', 'uint32', '--order', 'CDAB', '--count', '2']);
    const mCounters = await mbpollRtu(['-t', '4:int', '-0', '-r', '20', '-c', '2']);
    expect(counters.values.map((v) => v.value)).toEqual(mCounters.map((l) => Number(l.text) >>> 0));
    const coils = await iiot([url(), 'co:0']);
    const mCoils = await mbpollRtu(['-t', '0', '-0', '-r', '0']);
    expect(coils.values.map((v) => v.value)).toEqual(mCoils.map((l) => l.text === '1'));
  });

  it('a unit id nobody answers to is a timeout (exit 3) with the serial settings to check', async () => {
    const r = await runCli(['read', url().replace('unit=5', 'unit=6'), 'hr:0', '--timeout', '300ms']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('(unit 6) within 300 ms');
    expect(r.stderr).toContain('hint: check the unit id, baud rate, parity and the A/B wiring');
  });
});
