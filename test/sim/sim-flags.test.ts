import { describe, expect, it } from 'vitest';
import { parseSimFlags } from '../../src/sim/options.js';

type Flags = Parameters<typeof parseSimFlags>[0];

const defaults: Flags = {
  timeScale: '1',
  host: '127.0.0.1',
  opcua: true,
  modbus: true,
  mqtt: true,
  opcuaPort: '4840',
  modbusPort: '5020',
  mqttPort: '1883',
  profile: 'default',
  user: 'operator',
  jsonTopics: true,
  sparkplug: true,
  unknownUnit: 'gateway-exception',
  rtuBaud: '9600',
  rtuParity: 'none',
  rtuUnit: '1',
  rtuDataBits: '8',
  rtuStopBits: '1',
  updateInterval: '1s',
  interval: '1m',
};

const parse = (f: Partial<Flags>) => parseSimFlags({ ...defaults, ...f });

describe('iiot sim flags', () => {
  it('turn into typed options', () => {
    const o = parse({
      opcuaPort: '0',
      maxNodesPerBrowse: '5',
      maxReferencesPerNode: '3',
      extraNodes: '100000',
      age: '25d',
      duration: '90s',
      rtu: '/tmp/ttyB',
      rtuBaud: '19200',
      rtuParity: 'even',
      rtuUnit: '5',
    });
    expect(o.opcua).toMatchObject({
      port: 0,
      profile: 'default',
      limits: { maxNodesPerBrowse: 5, maxReferencesPerNode: 3 },
      extraNodes: 100000,
      acceptAnyClientCert: false,
    });
    expect(o.modbus).toEqual({ port: 5020, unknownUnit: 'gateway-exception' });
    expect(o.mqtt).toEqual({ port: 1883, auth: false, json: true, sparkplug: true });
    expect(o.ageMs).toBe(25 * 86_400_000);
    expect(o.durationMs).toBe(90_000);
    expect(o.rtu).toEqual({ path: '/tmp/ttyB', baudRate: 19200, parity: 'even', unitId: 5, dataBits: 8, stopBits: 1 });
    expect(o.generate).toBeUndefined();
  });

  it('serve a NodeSet2 file as the OPC UA server (a twin)', () => {
    expect(parse({ opcuaPort: '0', nodeset: 'plc.NodeSet2.xml', maxNodesPerBrowse: '5' }).opcua).toMatchObject({
      port: 0,
      nodeset: 'plc.NodeSet2.xml',
      limits: { maxNodesPerBrowse: 5 },
    });
  });

  it('leave out the servers turned off', () => {
    const o = parse({ opcua: false, mqtt: false });
    expect(o.opcua).toBe(false);
    expect(o.mqtt).toBe(false);
    expect(o.modbus).not.toBe(false);
  });

  it('describe a --generate run', () => {
    const o = parse({ generate: true, days: '30', output: 'p.jsonl.gz', tags: ['pump1.*'] });
    expect(o.generate).toEqual({ durationMs: 30 * 86_400_000, intervalMs: 60_000, output: 'p.jsonl.gz', tags: ['pump1.*'], force: false });
    expect(parse({ generate: true, span: '12h', interval: '5s', output: 'x.jsonl' }).generate).toMatchObject({
      durationMs: 43_200_000,
      intervalMs: 5000,
    });
  });

  it('refuse bad values with the option named', () => {
    expect(() => parse({ opcuaPort: '70000' })).toThrow('--opcua-port 70000: give a whole number from 0 to 65535');
    expect(() => parse({ modbusPort: 'abc' })).toThrow(/--modbus-port abc/);
    expect(() => parse({ rtu: '/dev/x', rtuUnit: '0' })).toThrow(/--rtu-unit 0: give a whole number from 1 to 247/);
    expect(() => parse({ timeScale: '-2' })).toThrow(/--time-scale -2/);
    expect(() => parse({ nodeset: 'plc.xml', extraNodes: '10' })).toThrow(/--extra-nodes adds to the plant's own address space/);
    expect(() => parse({ nodeset: 'plc.xml', opcua: false })).toThrow(/--nodeset is for the OPC UA server/);
    expect(() => parse({ duration: 'soon' })).toThrow(/--duration: cannot read "soon" as a duration/);
    expect(() => parse({ generate: true, days: '3' })).toThrow('--generate needs -o, --output');
    expect(() => parse({ generate: true, days: '3', span: '1d', output: 'x' })).toThrow('give --days or --span, not both');
    expect(() => parse({ generate: true, output: 'x', age: '2d' })).toThrow(/--age is for live runs/);
    expect(() => parse({ output: 'x' })).toThrow(/belong to --generate/);
    expect(() => parse({ mqttBroker: 'localhost:1883' })).toThrow(/--mqtt-broker localhost:1883/);
    expect(() => parse({ start: 'yesterday' })).toThrow(/--start: cannot read "yesterday" as a time/);
  });
});
