import { describe, expect, it } from 'vitest';
import { deviceUrlOffsets, readInventory } from '../../src/discovery/inventory.js';
import { usageErrorOf } from '../helpers/errors.js';

/** A small but complete inventory, as `iiot discover --json` writes it. */
export function sampleInventory(): Record<string, unknown> {
  return {
    schema: 'iiot.discover/1',
    tool: 'iiot 0.1.0',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
    durationMs: 1000,
    complete: true,
    scope: {
      targets: ['127.0.0.1'],
      protocols: ['opcua', 'modbus'],
      ports: [{ port: 4840, protocol: 'opcua' }],
      hosts: 1,
      serial: [],
      probe: true,
      rate: 20,
      concurrency: 1,
      timeoutMs: 2000,
      listenMs: 10000,
      rebirth: false,
      mdns: false,
      onNetwork: false,
    },
    summary: {
      devices: 2,
      byProtocol: { opcua: 1, modbus: 1 },
      sparkplugNodes: 0,
      sparkplugDevices: 0,
      hostsScanned: 1,
      hostsAnswering: 1,
      connections: 3,
      noAnswer: 0,
    },
    devices: [
      {
        url: 'opc.tcp://127.0.0.1:4840',
        name: 'plant',
        via: 'scan',
        host: '127.0.0.1',
        port: 4840,
        protocol: 'opcua',
        identity: { applicationName: 'plant', applicationUri: 'urn:x', productUri: 'urn:p', applicationType: 'Server', discoveryUrls: [] },
        endpoints: [
          {
            endpointUrl: 'opc.tcp://127.0.0.1:4840',
            securityMode: 'None',
            securityPolicy: 'None',
            securityLevel: 0,
            transport: 'opc.tcp',
            userTokens: [{ type: 'Anonymous', policyId: 'a' }],
          },
        ],
      },
      {
        url: 'modbus://127.0.0.1:502?unit=1',
        name: 'meter',
        via: 'scan',
        host: '127.0.0.1',
        port: 502,
        protocol: 'modbus',
        unit: 1,
        identity: { vendor: 'Acme' },
        modbus: { read: { function: 3, address: 0, answer: 'data', ms: 1 }, identification: 'ok' },
        futureField: { kept: 'or ignored, never refused' },
      },
    ],
    openPorts: [],
    noAnswer: [],
  };
}

describe('readInventory', () => {
  it('returns the devices with the line of each "url"', () => {
    const text = JSON.stringify(sampleInventory(), null, 2);
    const r = readInventory('inv.json', text);
    expect(r.complete).toBe(true);
    expect(r.devices.map((d) => d.device.url)).toEqual(['opc.tcp://127.0.0.1:4840', 'modbus://127.0.0.1:502?unit=1']);
    const lines = text.split('\n');
    for (const d of r.devices) expect(lines[d.line - 1]).toContain(`"url": "${d.device.url}"`);
  });

  it('finds the lines whatever the formatting', () => {
    const inv = sampleInventory();
    const text = JSON.stringify(inv).replace('"devices":[', '"devices":\n[\n').replace('},{"url"', '},\n\n{"url"');
    const r = readInventory('inv.json', text);
    expect(r.devices.map((d) => d.line)).toEqual([3, 5]);
    // a "url" inside a nested object (endpoints) is not the device's
    expect(deviceUrlOffsets('{"devices":[{"endpoints":[{"url":"x"}],"url":"y"}]}')).toEqual([39]);
  });

  it('names the file, line and field of every problem', () => {
    expect(usageErrorOf(() => readInventory('missing.json')).message).toBe('inventory missing.json: no such file');
    expect(usageErrorOf(() => readInventory('e.json', '')).message).toContain('empty');
    expect(usageErrorOf(() => readInventory('bad.json', '{\n  "schema": "iiot.discover/1",\n  "devices": [,]\n}')).message).toMatch(
      /^bad\.json:3: not valid JSON/,
    );
    expect(usageErrorOf(() => readInventory('c.json', JSON.stringify({ schema: 'iiot.capture.info/1' }))).message).toContain(
      'not an iiot discover inventory (schema "iiot.capture.info/1")',
    );
    const future = usageErrorOf(() => readInventory('f.json', JSON.stringify({ schema: 'iiot.discover/2' })));
    expect(future.hint).toContain('upgrade');

    const inv = sampleInventory();
    (inv.devices as Array<Record<string, unknown>>)[1]!.unit = 'one';
    const text = JSON.stringify(inv, null, 2);
    const err = usageErrorOf(() => readInventory('i.json', text));
    const line = Number(/^i\.json:(\d+): devices\[1\]\.unit:/.exec(err.message)?.[1]);
    expect(text.split('\n')[line - 1]).toContain('"url": "modbus://127.0.0.1:502?unit=1"');

    const inv2 = sampleInventory();
    (inv2.devices as Array<Record<string, unknown>>)[0]!.url = 'opc.tcp://127.0.0.1:99999';
    expect(usageErrorOf(() => readInventory('u.json', JSON.stringify(inv2, null, 2))).message).toMatch(
      /^u\.json:\d+: devices\[0\]\.url: bad device URL/,
    );
  });
});
