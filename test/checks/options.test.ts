import { afterAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseLatencyOptions, parseSecurityOptions, parseSeverity, parseThreshold, parseUnitList } from '../../src/checks/options.js';
import { readInventory, resolveTargets } from '../../src/checks/targets.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { usageErrorOf } from '../helpers/errors.js';

afterAll(removeTempDirs);

describe('check options', () => {
  it('parses latency flags into typed options with defaults', () => {
    const o = parseLatencyOptions(['tcp://127.0.0.1:502'], {
      count: '100',
      interval: '10ms',
      maxP99: ['20ms', 'modbus://127.0.0.1:5020?unit=1=5ms'],
      maxLoss: ['0', '1.5%'],
      qos: '1,2',
    });
    expect(o.count).toBe(100);
    expect(o.intervalMs).toBe(10);
    expect(o.timeoutMs).toBe(2000);
    expect(o.qos).toEqual([1, 2]);
    expect(o.maxP99).toEqual([{ value: 20 }, { target: 'modbus://127.0.0.1:5020?unit=1', value: 5 }]);
    expect(o.maxLoss).toEqual([{ value: 0 }, { value: 1.5 }]);
    expect(o.politeness).toEqual({ concurrency: 4, ratePerSecond: 20 });
    expect(o.modbus).toEqual({ unit: undefined, table: 'holding', address: 0 });
    expect(o.identity).toEqual({ kind: 'anonymous' });
  });

  it('parses security flags; --fail-on defaults to high', () => {
    const o = parseSecurityOptions([], { inventory: 'inv.json', unitSweep: '1-3,7', session: true, certExpiry: '14d' });
    expect(o.failOn).toBe('high');
    expect(o.unitSweep).toEqual([1, 2, 3, 7]);
    expect(o.session).toBe(true);
    expect(o.certExpiryMs).toBe(14 * 86_400_000);
    expect(parseSeverity('CRITICAL')).toBe('critical');
    expect(parseSeverity('none')).toBe('none');
  });

  it('refuses bad input with one line naming the option', () => {
    expect(usageErrorOf(() => parseSeverity('hgh')).message).toBe('--fail-on: unknown severity "hgh"');
    expect(usageErrorOf(() => parseSecurityOptions([], { failOn: 'severe' })).hint).toContain('critical, high, medium, low, info');
    expect(usageErrorOf(() => parseLatencyOptions([], { count: '0' })).message).toContain('--count');
    expect(usageErrorOf(() => parseLatencyOptions([], { qos: '3' })).message).toContain('--qos');
    expect(usageErrorOf(() => parseLatencyOptions([], { maxLoss: ['150'] })).message).toContain('--max-loss');
    expect(usageErrorOf(() => parseLatencyOptions([], { maxP99: ['fast'] })).message).toContain('--max-p99');
    expect(usageErrorOf(() => parseLatencyOptions([], { password: 'x' })).message).toContain('--password is refused');
    expect(usageErrorOf(() => parseUnitList('5-2')).message).toContain('--unit-sweep');
    expect(usageErrorOf(() => parseSecurityOptions([], { maxNodes: '10' })).message).toBe('--max-nodes goes with --session');
    expect(usageErrorOf(() => parseThreshold('modbus://127.0.0.1:502', '--max-p99', Number)).message).toContain('<target>=<value>');
    expect(usageErrorOf(() => parseLatencyOptions([], { registerType: 'coil' })).message).toContain('--register-type');
  });
});

/** A complete inventory as `iiot discover --json` writes it (docs/inventory.md), spread over lines on purpose. */
function inventoryText(o: { complete?: boolean; devices?: Array<Record<string, unknown>> } = {}): string {
  const devices = o.devices ?? [
    {
      url: 'opc.tcp://127.0.0.1:4840',
      name: 'plant',
      via: 'scan',
      host: '127.0.0.1',
      port: 4840,
      protocol: 'opcua',
      identity: { applicationName: 'plant', applicationUri: 'urn:x', productUri: 'urn:p', applicationType: 'Server', discoveryUrls: [] },
      endpoints: [],
    },
    {
      url: 'modbus://127.0.0.1:5020?unit=1',
      name: 'meter',
      via: 'scan',
      host: '127.0.0.1',
      port: 5020,
      protocol: 'modbus',
      unit: 1,
      identity: { vendor: 'Acme' },
      modbus: { read: { function: 3, address: 0, answer: 'data', ms: 1 }, identification: 'ok' },
    },
    {
      url: 'mqtt://127.0.0.1:1883',
      name: 'broker',
      via: 'scan',
      host: '127.0.0.1',
      port: 1883,
      protocol: 'mqtt',
      identity: { protocolVersion: '3.1.1', anonymous: 'accepted', connack: { code: 0, reason: 'accepted' } },
    },
  ];
  return JSON.stringify(
    {
      schema: 'iiot.discover/1',
      tool: 'iiot 0.1.0',
      startedAt: '2026-01-01T00:00:00.000Z',
      finishedAt: '2026-01-01T00:00:01.000Z',
      durationMs: 1000,
      complete: o.complete ?? true,
      ...(o.complete === false ? { incomplete: ['interrupted'] } : {}),
      scope: {
        targets: ['127.0.0.1'],
        protocols: ['opcua', 'modbus', 'mqtt'],
        ports: [],
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
        devices: devices.length,
        byProtocol: {},
        sparkplugNodes: 0,
        sparkplugDevices: 0,
        hostsScanned: 1,
        hostsAnswering: 1,
        connections: 3,
        noAnswer: 0,
      },
      devices,
      openPorts: [],
      noAnswer: [],
    },
    null,
    2,
  );
}

describe('inventory', () => {
  it('reads devices[].url with the line of each device', () => {
    const text = inventoryText();
    const r = readInventory('inv.json', text);
    const lines = text.split('\n');
    expect(r.targets.map((t) => t.target.url)).toEqual([
      'opc.tcp://127.0.0.1:4840',
      'modbus://127.0.0.1:5020?unit=1',
      'mqtt://127.0.0.1:1883',
    ]);
    for (const t of r.targets) {
      expect(t.origin.kind).toBe('inventory');
      if (t.origin.kind === 'inventory') expect(lines[t.origin.line - 1]).toContain(`"url": "${t.target.url}"`);
    }
    expect(r.incomplete).toBeUndefined();
    expect(readInventory('inv.json', inventoryText({ complete: false })).incomplete).toEqual(['interrupted']);
  });

  it('merges arguments and inventory, each device once', () => {
    const dir = tempDir('inv');
    const file = join(dir, 'inventory.json');
    writeFileSync(file, inventoryText());
    const r = resolveTargets(['opc.tcp://127.0.0.1:4840/', 'tcp://127.0.0.1:22'], file);
    expect(r.targets.map((t) => t.target.url)).toEqual([
      'opc.tcp://127.0.0.1:4840',
      'tcp://127.0.0.1:22',
      'modbus://127.0.0.1:5020?unit=1',
      'mqtt://127.0.0.1:1883',
    ]);
    expect(r.targets[0]!.origin.kind).toBe('argument');
  });

  it('names file, line and field for malformed inventories', () => {
    expect(
      usageErrorOf(() => readInventory('inv.json', '{\n  "schema": "iiot.discover/1",\n  "devices": [\n    { "url": "x" },,\n  ]\n}'))
        .message,
    ).toMatch(/^inv\.json:4: not valid JSON/);
    expect(usageErrorOf(() => readInventory('inv.json', '')).message).toContain('empty');
    expect(usageErrorOf(() => readInventory('inv.json', '{"schema":"iiot.capture.info/1","devices":[]}')).message).toContain(
      'not an iiot discover inventory (schema "iiot.capture.info/1")',
    );
    const noUrl = inventoryText({
      devices: [
        {
          name: 'x',
          via: 'scan',
          host: '127.0.0.1',
          port: 1,
          protocol: 'mqtt',
          identity: { protocolVersion: '3.1.1', anonymous: 'accepted', connack: { code: 0, reason: 'ok' } },
        },
      ],
    });
    expect(usageErrorOf(() => readInventory('inv.json', noUrl)).message).toMatch(/^inv\.json:\d+: devices\[0\]\.url: /);
    const badUrl = inventoryText({
      devices: [
        {
          url: 'ftp://127.0.0.1',
          name: 'x',
          via: 'scan',
          host: '127.0.0.1',
          port: 1,
          protocol: 'mqtt',
          identity: { protocolVersion: '3.1.1', anonymous: 'accepted', connack: { code: 0, reason: 'ok' } },
        },
      ],
    });
    expect(usageErrorOf(() => readInventory('inv.json', badUrl)).message).toMatch(
      /^inv\.json:\d+: devices\[0\]\.url: bad device URL "ftp:\/\/127\.0\.0\.1"/,
    );
    expect(usageErrorOf(() => readInventory('/nonexistent/inv.json')).message).toContain('/nonexistent/inv.json: no such file');
    expect(usageErrorOf(() => resolveTargets([], undefined)).message).toBe('no target given');
  });
});
