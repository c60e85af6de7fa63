/**
 * `iiot read` flags -> typed options (src/read/options.ts), before anything is sent: the register
 * notations engineers type, the options of each protocol, and one clear line for every mistake.
 */
import { describe, expect, it } from 'vitest';
import { parseRegisterItem } from '../../src/read/modbus-options.js';
import { parseSparkplugScope } from '../../src/read/mqtt-options.js';
import { parseReadOptions } from '../../src/read/options.js';
import type { ModbusReadOptions, MqttReadOptions } from '../../src/read/types.js';
import { usageErrorOf, usageErrorOfAsync } from '../helpers/errors.js';

const MB = 'modbus://127.0.0.1:5020?unit=1';
const MQ = 'mqtt://127.0.0.1:1883';

describe('a register as the engineer types it', () => {
  it('reads Modicon numbers as manuals print them, the table from the first digit', () => {
    expect(parseRegisterItem('30001', undefined, false)).toEqual({ table: 'input', address: 0 });
    expect(parseRegisterItem('30343', undefined, false)).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterItem('3x0343', undefined, false)).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterItem('400101', undefined, false)).toEqual({ table: 'holding', address: 100 });
    expect(parseRegisterItem('10006', undefined, false)).toEqual({ table: 'discrete', address: 5 });
  });

  it('reads other decimal numbers as 1-based in --table (default holding, as mbpoll -r), or as addresses with --zero-based (mbpoll -0)', () => {
    expect(parseRegisterItem('3000', undefined, false)).toEqual({ table: 'holding', address: 2999 });
    expect(parseRegisterItem('1', 'coil', false)).toEqual({ table: 'coil', address: 0 });
    expect(parseRegisterItem('342', 'input', true)).toEqual({ table: 'input', address: 342 });
    // with --zero-based a number is an address, never Modicon
    expect(parseRegisterItem('30001', 'holding', true)).toEqual({ table: 'holding', address: 30001 });
  });

  it('reads hex and table prefixes as 0-based wire addresses, as iiot prints registers', () => {
    expect(parseRegisterItem('0x0156', 'input', false)).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterItem('ir:0x0156', undefined, false)).toEqual({ table: 'input', address: 342 });
    expect(parseRegisterItem('hr:99', undefined, false)).toEqual({ table: 'holding', address: 99 });
    expect(parseRegisterItem('co:0', undefined, false)).toEqual({ table: 'coil', address: 0 });
    expect(parseRegisterItem('DI:5', undefined, false)).toEqual({ table: 'discrete', address: 5 });
  });

  it('refuses what it cannot read, and contradictions, with a hint', () => {
    expect(usageErrorOf(() => parseRegisterItem('30001', 'holding', false)).message).toBe(
      'register 30001 is Modicon notation for the input table, but --table says holding',
    );
    expect(usageErrorOf(() => parseRegisterItem('ir:0x10', 'holding', false)).message).toBe(
      'register "ir:0x10" is in the input table, but --table says holding',
    );
    expect(usageErrorOf(() => parseRegisterItem('xx:1', undefined, false)).message).toContain('unknown table prefix');
    expect(usageErrorOf(() => parseRegisterItem('hr:70000', undefined, false)).message).toContain('0 to 65535');
    expect(usageErrorOf(() => parseRegisterItem('0', undefined, false)).message).toContain('1-based register numbers run from 1 to 65536');
    expect(usageErrorOf(() => parseRegisterItem('voltage', undefined, false)).hint).toContain('30001');
  });
});

describe('Modbus options', () => {
  const modbus = async (items: string[], flags: object = {}) => (await parseReadOptions(MB, items, flags)) as ModbusReadOptions;

  it('takes type, order, count and a 1 s timeout by default, like mbpoll', async () => {
    const o = await modbus(['30001'], { type: 'float', count: '3' });
    expect(o.select).toEqual({
      kind: 'address',
      starts: [{ item: '30001', table: 'input', address: 0 }],
      type: 'float32',
      order: 'ABCD',
      count: 3,
      length: undefined,
    });
    expect(o.timeoutMs).toBe(1000);
    expect(o.mode).toBe('once');
    expect((await modbus(['hr:20'], { type: 'uint32', order: 'cdab' })).select).toMatchObject({ type: 'uint32', order: 'CDAB' });
    expect((await modbus(['co:0'], { count: '8' })).select).toMatchObject({ type: 'bool', count: 8 });
  });

  it('takes map entries by name, every entry when none is named', async () => {
    expect((await modbus(['voltage_l1', 'import_*'], { map: 'sdm630' })).select).toEqual({
      kind: 'map',
      map: 'sdm630',
      names: ['voltage_l1', 'import_*'],
    });
    expect(await modbus([], { map: 'sdm630', watch: true, interval: '250ms', duration: '1m' })).toMatchObject({
      mode: 'watch',
      intervalMs: 250,
      durationMs: 60_000,
      select: { names: [] },
    });
  });

  it('refuses options that do not fit, naming them', async () => {
    expect((await usageErrorOfAsync(() => modbus(['voltage_l1'], { map: 'sdm630', type: 'float32' }))).message).toBe(
      '--type goes with registers given by address, not with --map',
    );
    expect((await usageErrorOfAsync(() => modbus([]))).message).toBe('name the registers to read, or a register map with --map');
    expect((await usageErrorOfAsync(() => modbus(['co:0'], { type: 'float32' }))).message).toContain(
      'coils and discrete inputs hold single bits',
    );
    expect((await usageErrorOfAsync(() => modbus(['co:0', 'hr:0']))).message).toContain('one read takes one kind');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { type: 'string' }))).message).toBe('--type string needs --length');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { type: 'float16' }))).hint).toContain('float32');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { order: 'ACBD' }))).hint).toContain('CDAB');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { count: '126' }))).message).toContain('from 1 to 125');
    expect((await usageErrorOfAsync(() => modbus(['hr:0xFFFF'], { type: 'float32' }))).message).toContain('runs past the last address');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { duration: '1m' }))).message).toBe('--duration goes with --watch');
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { topic: 'x', decoder: 'json' }))).message).toBe(
      `--decoder is for MQTT endpoints; ${MB} is Modbus`,
    );
    expect((await usageErrorOfAsync(() => modbus(['hr:0'], { history: true }))).message).toBe(
      `--history is for OPC UA endpoints; ${MB} is Modbus`,
    );
  });
});

describe('MQTT options', () => {
  const mqtt = async (items: string[], flags: object = {}) => (await parseReadOptions(MQ, items, flags)) as MqttReadOptions;

  it("takes topic filters with the recorder's decoders, and a 5 s timeout", async () => {
    const o = await mqtt(['plant/+/vibration', 'plant/pump1/#'], { decoder: 'json', jsonPath: '$.v' });
    expect(o.select).toEqual({ kind: 'topics', filters: ['plant/+/vibration', 'plant/pump1/#'], decoder: 'json', jsonPath: '$.v' });
    expect(o.timeoutMs).toBe(5000);
    expect(o.connect.passwordEnv).toBe('IIOT_PASSWORD');
  });

  it('takes a Sparkplug node or device, as group/node[/device] or as a topic, and metric names', async () => {
    expect(parseSparkplugScope('IIoT/SimPlant')).toEqual({ groupId: 'IIoT', edgeNodeId: 'SimPlant' });
    expect(parseSparkplugScope('IIoT/SimPlant/pump1')).toEqual({ groupId: 'IIoT', edgeNodeId: 'SimPlant', deviceId: 'pump1' });
    expect(parseSparkplugScope('spBv1.0/IIoT/NBIRTH/SimPlant')).toEqual({ groupId: 'IIoT', edgeNodeId: 'SimPlant' });
    expect(parseSparkplugScope('spBv1.0/IIoT/DDATA/SimPlant/pump1')).toEqual({
      groupId: 'IIoT',
      edgeNodeId: 'SimPlant',
      deviceId: 'pump1',
    });
    expect((await mqtt(['power', 'energy'], { sparkplug: 'IIoT/SimPlant', rebirth: true })).select).toEqual({
      kind: 'sparkplug',
      groupId: 'IIoT',
      edgeNodeId: 'SimPlant',
      metrics: ['power', 'energy'],
      rebirth: true,
    });
    // asking for a rebirth is never implied
    expect((await mqtt([], { sparkplug: 'IIoT/SimPlant' })).select).toMatchObject({ rebirth: false });
  });

  it('refuses what does not fit', async () => {
    expect((await usageErrorOfAsync(() => mqtt(['plant/#'], { rebirth: true }))).message).toBe('--rebirth goes with --sparkplug');
    expect((await usageErrorOfAsync(() => mqtt(['spBv1.0/#']))).hint).toContain('--sparkplug');
    expect((await usageErrorOfAsync(() => mqtt(['plant/pump1/vib+']))).message).toBe(
      'topic filter "plant/pump1/vib+": + must be a whole level',
    );
    expect((await usageErrorOfAsync(() => mqtt([]))).message).toContain('name the topics to read');
    expect(usageErrorOf(() => parseSparkplugScope('IIoT')).hint).toContain('--sparkplug IIoT/SimPlant');
    expect((await usageErrorOfAsync(() => mqtt(['x'], { interval: '1s', watch: true }))).message).toBe(
      `--interval is for OPC UA and Modbus endpoints; ${MQ} is MQTT`,
    );
    expect((await usageErrorOfAsync(() => mqtt(['x'], { ca: 'ca.pem' }))).message).toContain('are for TLS');
    expect((await usageErrorOfAsync(() => mqtt(['x'], { password: 'secret' }))).message).toContain('--password is refused');
    expect((await usageErrorOfAsync(() => mqtt(['x'], { decoder: 'sparkplug' }))).hint).toContain('--sparkplug');
  });
});

describe('any endpoint', () => {
  it('refuses tcp:// targets and OPC UA reads without a node', async () => {
    expect((await usageErrorOfAsync(() => parseReadOptions('tcp://127.0.0.1:502', ['1'], {}))).message).toContain(
      'tcp:// targets are for latency checks',
    );
    expect((await usageErrorOfAsync(() => parseReadOptions('opc.tcp://127.0.0.1:4840', [], {}))).message).toBe(
      'name at least one node to read',
    );
    expect((await usageErrorOfAsync(() => parseReadOptions('opc.tcp://127.0.0.1:4840', ['i=2258'], { map: 'sdm630' }))).message).toBe(
      '--map is for Modbus endpoints; opc.tcp://127.0.0.1:4840 is OPC UA',
    );
  });

  it('keeps the OPC UA options as they were', async () => {
    const o = await parseReadOptions('opc.tcp://127.0.0.1:4840', ['i=2258'], { watch: true, interval: '250ms' });
    expect(o).toMatchObject({ protocol: 'opcua', mode: 'watch', intervalMs: 250, items: ['i=2258'] });
    expect(o.protocol === 'opcua' && o.connect.timeoutMs).toBe(10_000);
  });
});
