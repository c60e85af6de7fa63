import Modbus from 'modbus-serial';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeValue } from '../../src/protocols/modbus/codec.js';
import { loadRegisterMap, type RegisterEntry } from '../../src/protocols/modbus/register-map.js';
import { plcMapPath } from '../../src/sim/modbus-units.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { ptyPair } from '../helpers/pty.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { mbpollValues, runTool } from '../helpers/peer-tools.js';

afterAll(removeTempDirs);

// Model time frozen at Monday 10:00 in Madrid (producing): every read sees the same instant, so
// values read over the wire can be compared exactly with the model's.
const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), timeScale: 1e-9 };
const ModbusRTU = Modbus.default;

let plant: RunningPlant;
let port: number;

beforeAll(async () => {
  plant = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port: 0 } });
  port = Number(new URL(plant.endpoints.modbus!).port);
});
afterAll(async () => {
  await plant?.stop();
});

const at = () => FROZEN.start;
const f32 = (x: number) => Math.fround(x);

/** mbpoll prints floats with %g: six significant digits. */
function expectSixDigits(got: number | undefined, want: number): void {
  expect(got).toBeDefined();
  const unit = 10 ** (Math.floor(Math.log10(Math.abs(want))) - 5);
  expect(Math.abs(got! - want), `${got} vs ${want}`).toBeLessThanOrEqual(unit / 2 + 1e-9 * unit);
}

async function client(unit: number): Promise<InstanceType<typeof ModbusRTU>> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setID(unit);
  c.setTimeout(2000);
  return c;
}

describe('Modbus TCP: the SDM630 on unit 1, read by mbpoll', () => {
  it('serves voltage L1 at 0x0000 and total kWh at 0x0156 as big-endian float32', async () => {
    const args = ['-m', 'tcp', '-p', String(port), '-a', '1', '-t', '3:float', '-B', '-0', '-1', '-o', '2'];
    const volts = await runTool('mbpoll', [...args, '-r', '0', '-c', '3', '127.0.0.1']);
    expect(volts.code, volts.stderr).toBe(0);
    const v = mbpollValues(volts.stdout);
    const vAvg = plant.model.value('plant.voltage', at()) as number;
    // mbpoll prints 6 significant digits
    expectSixDigits(v.get(0), f32(vAvg * 1.004));
    expectSixDigits(v.get(2), f32(vAvg * 0.997));
    expectSixDigits(v.get(4), f32(vAvg * 0.999));

    const kwh = await runTool('mbpoll', [...args, '-r', String(0x0156), '127.0.0.1']);
    expect(kwh.code, kwh.stderr).toBe(0);
    expectSixDigits(mbpollValues(kwh.stdout).get(0x0156), f32(plant.model.value('plant.energy', at()) as number));
  });

  it('serves total power equal to the plant.power tag (W)', async () => {
    const r = await runTool('mbpoll', [
      '-m',
      'tcp',
      '-p',
      String(port),
      '-a',
      '1',
      '-t',
      '3:float',
      '-B',
      '-0',
      '-1',
      '-r',
      String(0x0034),
      '127.0.0.1',
    ]);
    expectSixDigits(mbpollValues(r.stdout).get(0x0034), f32((plant.model.value('plant.power', at()) as number) * 1000));
  });
});

describe('Modbus TCP: every register of every unit, read with modbus-serial', () => {
  it('decodes all SDM630 input registers to finite, plausible values in one 80-register request', async () => {
    const c = await client(1);
    try {
      const map = loadRegisterMap('sdm630');
      const r = await c.readInputRegisters(0, 0x50);
      const get = (name: string) => {
        const e = map.entries.find((x) => x.name === name)!;
        return decodeValue(e, r.data.slice(e.address, e.address + e.length)) as number;
      };
      expect(get('frequency')).toBeCloseTo(plant.model.value('plant.frequency', at()) as number, 4);
      expect(get('power_total')).toBeCloseTo((plant.model.value('plant.power', at()) as number) * 1000, 0);
      expect(get('import_kwh')).toBe(f32(plant.model.value('plant.energy', at()) as number));
      // gaps between entries read as 0 so a planner may bridge them
      expect(r.data[0x2c]).toBe(0);
      const sum = get('power_l1') + get('power_l2') + get('power_l3');
      expect(sum / get('power_total')).toBeCloseTo(1, 5);
    } finally {
      c.close(() => {});
    }
  });

  it('serves the PLC map with every type and byte order decoding to the model values', async () => {
    const c = await client(3);
    try {
      const map = loadRegisterMap(plcMapPath());
      const read = async (e: RegisterEntry) => {
        if (e.table === 'coil') return (await c.readCoils(e.address, 1)).data[0];
        if (e.table === 'discrete') return (await c.readDiscreteInputs(e.address, 1)).data[0];
        const words =
          e.table === 'holding' ? await c.readHoldingRegisters(e.address, e.length) : await c.readInputRegisters(e.address, e.length);
        return decodeValue(e, words.data);
      };
      for (const e of map.entries) {
        const got = await read(e);
        if (plant.model.signal(e.name)) {
          const want = plant.model.value(e.name, at());
          if (typeof want === 'boolean') expect(got, e.name).toBe(want);
          else if (e.type === 'float32') expect(got, e.name).toBe(f32(want));
          else if (e.type === 'float64') expect(got, e.name).toBe(want);
          else expect(Math.abs((got as number) - want), `${e.name} ${e.type} ${e.order}`).toBeLessThanOrEqual(e.scale / 2 + 1e-9);
        }
      }
      expect(await read(map.entries.find((e) => e.name === 'line_name')!)).toBe('LINE-3');
      expect(await read(map.entries.find((e) => e.name === 'line_name_swapped')!)).toBe('LINE-3');
      expect(await read(map.entries.find((e) => e.name === 'status.producing')!)).toBe(true);
    } finally {
      c.close(() => {});
    }
  });

  it('takes a write to a writable holding register and refuses read-only ones', async () => {
    const c = await client(3);
    try {
      await c.writeRegister(100, 1480);
      expect((await c.readHoldingRegisters(100, 1)).data[0]).toBe(1480);
      expect(plant.setpoints.get('pump1.speed_setpoint')).toBe(1480);
      await expect(c.writeRegister(2, 5)).rejects.toMatchObject({ modbusCode: 2 });
      await c.writeCoil(0, false);
      expect((await c.readCoils(0, 1)).data[0]).toBe(false);
    } finally {
      c.close(() => {});
    }
  });

  it('answers exception 2 outside the map, 3 for more than 125 registers, 0x0B for a unit that is not there', async () => {
    const c = await client(1);
    try {
      await expect(c.readInputRegisters(0x2000, 2)).rejects.toMatchObject({ modbusCode: 2 });
      await expect(c.readInputRegisters(0, 126)).rejects.toMatchObject({ modbusCode: 3 });
      await expect(c.readCoils(0, 1)).rejects.toMatchObject({ modbusCode: 2 });
      c.setID(9);
      await expect(c.readInputRegisters(0, 2)).rejects.toMatchObject({ modbusCode: 0x0b });
    } finally {
      c.close(() => {});
    }
  });

  it('identifies each device with function 43/14', async () => {
    const c = await client(1);
    try {
      const sdm = await c.readDeviceIdentification(1, 0);
      expect(sdm.data).toMatchObject({ 0: 'Eastron', 1: 'SDM630-Modbus V2', 2: '2.0' });
      c.setID(2);
      const pm = await c.readDeviceIdentification(1, 0);
      expect(pm.data).toMatchObject({ 0: 'Schneider Electric', 1: 'METSEPM5560' });
    } finally {
      c.close(() => {});
    }
  });

  it('serves the PM5000 on unit 2 with 1-based Schneider registers and INT64 energy', async () => {
    const c = await client(2);
    try {
      const map = loadRegisterMap('pm5000');
      const e = map.entries.find((x) => x.name === 'active_energy_delivered')!;
      const words = await c.readHoldingRegisters(3203, 4);
      expect(decodeValue(e, words.data)).toBeCloseTo(plant.model.feeder('compressor1', at()).energyKwh, 3);
      const kw = map.entries.find((x) => x.name === 'active_power_total')!;
      expect(decodeValue(kw, (await c.readHoldingRegisters(3059, 2)).data)).toBe(
        f32(plant.model.value('compressor1.power', at()) as number),
      );
    } finally {
      c.close(() => {});
    }
  });
});

describe('Modbus RTU over a socat pseudo-terminal pair', () => {
  it('serves the meter at its unit id, baud rate and parity to mbpoll, and ignores other ids', async () => {
    const dir = tempDir('rtu');
    const pty = await ptyPair(dir);
    const rtu = await startPlant({
      ...FROZEN,
      opcua: false,
      mqtt: false,
      modbus: false,
      rtu: { path: pty.b, baudRate: 19200, parity: 'even', unitId: 5 },
    });
    try {
      expect(rtu.endpoints.rtu).toBe(`modbus-rtu://${pty.b}?baud=19200&parity=even&unit=5`);
      const args = ['-m', 'rtu', '-b', '19200', '-P', 'even', '-t', '3:float', '-B', '-0', '-1', '-o', '1', '-r', String(0x0156)];
      const ok = await runTool('mbpoll', [...args, '-a', '5', pty.a]);
      expect(ok.code, ok.stderr).toBe(0);
      expectSixDigits(mbpollValues(ok.stdout).get(0x0156), f32(rtu.model.value('plant.energy', at()) as number));
      const other = await runTool('mbpoll', [...args, '-a', '6', pty.a]);
      expect(other.code).not.toBe(0);
      expect(other.stdout + other.stderr).toMatch(/timed out/i);
    } finally {
      await rtu.stop();
      await pty.stop();
    }
  });
});
