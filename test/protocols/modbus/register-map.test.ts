import { describe, expect, it } from 'vitest';
import { isIiotError } from '../../../src/core/errors.js';
import {
  builtinMapNames,
  formatRegisterAddress,
  loadRegisterMap,
  parseRegisterMap,
  parseRegisterNumber,
} from '../../../src/protocols/modbus/register-map.js';
import { plcMapPath } from '../../../src/sim/modbus-units.js';

function mapError(text: string): string {
  try {
    parseRegisterMap({ file: 'm.yaml', text });
  } catch (err) {
    if (isIiotError(err)) return err.message;
    throw err;
  }
  throw new Error('expected the map to be refused');
}

const head = 'name: test\nregisters:\n';

describe('register maps', () => {
  it('ships the SDM630 and PM5000 maps, selectable by name', () => {
    expect(builtinMapNames()).toEqual(expect.arrayContaining(['pm5000', 'sdm630']));
    const sdm = loadRegisterMap('sdm630');
    const byName = new Map(sdm.entries.map((e) => [e.name, e]));
    expect(byName.get('voltage_l1')).toMatchObject({ table: 'input', address: 0x0000, type: 'float32', order: 'ABCD', unit: 'V' });
    expect(byName.get('import_kwh')).toMatchObject({ table: 'input', address: 0x0048, unit: 'kWh' });
    expect(byName.get('total_kwh')).toMatchObject({ table: 'input', address: 0x0156 });
    expect(byName.get('frequency')?.address).toBe(0x0046);
    expect(byName.get('serial_number')).toMatchObject({ table: 'holding', address: 0xfc00, type: 'uint32' });
    expect(sdm.identification?.vendor).toBe('Eastron');
    const pm = loadRegisterMap('pm5000');
    // Schneider's register 3000 (1-based) is wire address 2999, read with function 03
    expect(pm.entries.find((e) => e.name === 'current_a')).toMatchObject({ table: 'holding', address: 2999 });
    expect(pm.entries.find((e) => e.name === 'active_energy_delivered')).toMatchObject({
      type: 'int64',
      length: 4,
      scale: 0.001,
      unit: 'kWh',
    });
    expect(loadRegisterMap(plcMapPath()).entries.length).toBeGreaterThan(30);
  });

  it('reads register numbers as manuals print them', () => {
    expect(parseRegisterNumber(30001)).toEqual({ table: 'input', address: 0 });
    expect(parseRegisterNumber('30343')).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterNumber(40001)).toEqual({ table: 'holding', address: 0 });
    expect(parseRegisterNumber('400001')).toEqual({ table: 'holding', address: 0 });
    expect(parseRegisterNumber('365536')).toEqual({ table: 'input', address: 65535 });
    expect(parseRegisterNumber('3x0343')).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterNumber(10001)).toEqual({ table: 'discrete', address: 0 });
    expect(parseRegisterNumber(3000)).toEqual({ address: 2999 });
    expect(parseRegisterNumber(0)).toMatch(/1 to 65536/);
    expect(parseRegisterNumber('abc')).toMatch(/not a number/);
  });

  it('accepts the three notations for one register', () => {
    const map = parseRegisterMap({
      file: 'm.yaml',
      text: `${head}  - { name: a, table: input, address: 0x0156, type: float32 }\n  - { name: b, register: 30345, type: float32 }\n  - { name: c, table: input, register: 347, type: float32 }\n`,
    });
    expect(map.entries.map((e) => [e.table, e.address])).toEqual([
      ['input', 342],
      ['input', 344],
      ['input', 346],
    ]);
    expect(formatRegisterAddress('input', 342)).toBe('ir:0x0156');
  });

  it('names file, line and field of a bad entry', () => {
    expect(mapError(`${head}  - { name: a, table: input, address: 0, type: float33 }\n`)).toMatch(
      /^m\.yaml:3: registers\[0\]\.type: Invalid option: expected one of/,
    );
    expect(mapError(`${head}  - { name: a, table: input, address: 0, register: 30001 }\n`)).toBe(
      'm.yaml:3: registers[0]: give exactly one of address (0-based, as on the wire) or register (as printed in the manual)',
    );
    expect(mapError(`${head}  - { name: a, table: holding, register: 30001 }\n`)).toBe(
      'm.yaml:3: registers[0].register: register 30001 is Modicon notation for the input table, but table is holding',
    );
    expect(mapError(`${head}  - { name: a, table: coil, address: 0, type: int16 }\n`)).toMatch(
      /^m\.yaml:3: registers\[0\]\.type: a: coils hold single bits/,
    );
    expect(mapError(`${head}  - { name: s, table: holding, address: 0, type: string }\n`)).toMatch(
      /^m\.yaml:3: registers\[0\]\.length: s: a string needs length/,
    );
    expect(mapError(`${head}  - { name: w, table: input, address: 0, writable: true }\n`)).toMatch(
      /input registers are read-only by protocol/,
    );
    expect(mapError(`${head}  - { name: e, table: holding, address: 65534, type: float64 }\n`)).toMatch(/runs past the last address/);
  });

  it('refuses overlapping registers and duplicate names, naming the later entry', () => {
    const overlap = `${head}  - { name: a, table: input, address: 0, type: float32 }\n  - { name: b, table: input, address: 1, type: uint16 }\n`;
    expect(mapError(overlap)).toBe('m.yaml:4: registers[1]: b (ir:0x0001) overlaps a (ir:0x0000, 2 registers)');
    const dup = `${head}  - { name: a, table: input, address: 0 }\n  - { name: a, table: input, address: 5 }\n`;
    expect(mapError(dup)).toBe('m.yaml:4: registers[1]: duplicate name "a" (also registers[0])');
    // bools on different bits of one register do not overlap
    const bits = `${head}  - { name: x, table: holding, address: 7, type: bool, bit: 0 }\n  - { name: y, table: holding, address: 7, type: bool, bit: 1 }\n`;
    expect(parseRegisterMap({ file: 'm.yaml', text: bits }).entries).toHaveLength(2);
  });

  it('says which maps exist when a name is unknown', () => {
    try {
      loadRegisterMap('sdm120');
      throw new Error('expected an error');
    } catch (err) {
      expect(isIiotError(err) && err.message).toBe('unknown register map "sdm120"');
      expect(isIiotError(err) && err.hint).toMatch(/built-in maps: .*sdm630/);
    }
  });
});
