import { describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { isLoopback, parseTarget } from '../../src/core/targets.js';

describe('device URLs', () => {
  it('reads an OPC UA endpoint with and without a path, filling the default port', () => {
    expect(parseTarget('opc.tcp://127.0.0.1:4840/UA/Plant')).toEqual({
      protocol: 'opcua',
      url: 'opc.tcp://127.0.0.1:4840/UA/Plant',
      host: '127.0.0.1',
      port: 4840,
      path: '/UA/Plant',
    });
    expect(parseTarget('opc.tcp://localhost').url).toBe('opc.tcp://localhost:4840');
  });

  it('reads Modbus TCP with a unit id, defaulting to port 502 and unit 1', () => {
    expect(parseTarget('modbus://127.0.0.1?unit=3')).toMatchObject({
      protocol: 'modbus',
      port: 502,
      unit: 3,
      url: 'modbus://127.0.0.1:502?unit=3',
    });
    expect(parseTarget('modbus://127.0.0.1:1502')).toMatchObject({ unit: 1, port: 1502 });
  });

  it('reads a Modbus RTU serial line with its settings', () => {
    const t = parseTarget('modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=5');
    expect(t).toMatchObject({
      protocol: 'modbus-rtu',
      path: '/dev/ttyUSB0',
      baud: 19200,
      parity: 'even',
      unit: 5,
      dataBits: 8,
      stopBits: 1,
    });
    expect(t.url).toBe('modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=5');
  });

  it('reads MQTT with and without TLS, and IPv6 loopback', () => {
    expect(parseTarget('mqtt://127.0.0.1')).toMatchObject({ protocol: 'mqtt', port: 1883, tls: false });
    expect(parseTarget('mqtts://127.0.0.1')).toMatchObject({ protocol: 'mqtt', port: 8883, tls: true, url: 'mqtts://127.0.0.1:8883' });
    expect(parseTarget('mqtt://[::1]:1884')).toMatchObject({ host: '::1', port: 1884, url: 'mqtt://[::1]:1884' });
  });

  it.each([
    ['127.0.0.1:4840', /no scheme/],
    ['/dev/ttyUSB0', /modbus-rtu scheme/],
    ['http://127.0.0.1', /unknown scheme/],
    ['opc.tcp://127.0.0.1:70000', /port "70000"/],
    ['modbus://127.0.0.1?unit=300', /unit id "300"/],
    ['modbus://127.0.0.1?slave=3', /unknown parameter "slave"/],
    ['mqtt://user:secret@127.0.0.1', /credentials do not belong/],
    ['modbus-rtu:///dev/ttyUSB0?parity=weird', /parity "weird"/],
    ['tcp://127.0.0.1', /needs a port/],
  ])('refuses %s with a usage error that says why', (text, why) => {
    let err: unknown;
    try {
      parseTarget(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(IiotError);
    expect((err as IiotError).exitCode).toBe(2);
    expect((err as IiotError).message).toMatch(why);
    expect((err as IiotError).hint).toBeTruthy();
  });

  it('knows loopback addresses', () => {
    expect(isLoopback('127.0.0.5')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('128.0.0.1')).toBe(false);
  });
});
