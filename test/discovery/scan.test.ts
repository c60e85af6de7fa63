/**
 * One discovery run against a small plant network on loopback: two embedded plants (OPC UA,
 * Modbus TCP, an aedes broker with a Sparkplug B edge node, and the RTU meter on a serial line that
 * passes bytes only at 19200 baud), Debian's mosquitto with a plain and a TLS listener, a host that
 * answers garbage and one that resets connections, and empty addresses.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  readInventory,
  type Inventory,
  type ModbusDevice,
  type ModbusRtuDevice,
  type MqttDevice,
  type OpcUaDevice,
} from '../../src/discovery/inventory.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, runCli } from '../helpers/cli.js';
import { opensslCert } from '../helpers/certs.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { garbageServer, loopbackBlock, portFreeOn, resetServer, strictLine, type StrictLine } from '../helpers/discovery-peers.js';

const block = loopbackBlock();
const A = block.host(2);
const B = block.host(3);
const M = block.host(4);
const X = block.host(5);
const stops: Array<() => Promise<void>> = [];
let plantA: RunningPlant;
let plantB: RunningPlant;
let mosquitto: Mosquitto;
let line: StrictLine;
let ports: { opcua: number; modbus: number; mqtt: number; mqtts: number };
let portsFlag: string;
let dir: string;

beforeAll(async () => {
  dir = tempDir('scan');
  const all = [A, B, M, X];
  const opcua = await portFreeOn(all);
  const modbus = await portFreeOn(all);
  const mqtt = await portFreeOn(all);
  const mqtts = await portFreeOn(all);
  ports = { opcua, modbus, mqtt, mqtts };
  // OPC UA and Modbus marked; the plain MQTT port left unmarked, so it is fingerprinted
  portsFlag = `${opcua}:opcua,${modbus}:modbus,${mqtt},${mqtts}:mqtts`;
  const cert = opensslCert(dir, 'broker', { cn: 'broker.test', days: 30 });
  line = await strictLine(dir, 19200);
  stops.push(() => line.stop());
  [plantA, plantB, mosquitto] = await Promise.all([
    startPlant({
      host: A,
      opcua: { port: opcua, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'pki-a') },
      modbus: { port: modbus },
      mqtt: { port: mqtt },
      rtu: { path: line.device, baudRate: 19200, parity: 'even', unitId: 5 },
      updateIntervalMs: 500,
    }),
    startPlant({
      host: B,
      opcua: { port: opcua, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'pki-b') },
      modbus: { port: modbus, units: { meter: 7 } },
      mqtt: false,
    }),
    startMosquitto({ host: M, port: mqtt, tls: { port: mqtts, ...cert } }),
  ]);
  stops.push(
    () => plantA.stop(),
    () => plantB.stop(),
    () => mosquitto.stop(),
  );
  const g = await garbageServer(X, mqtt);
  const r = await resetServer(X, modbus);
  stops.push(
    () => g.stop(),
    () => r.stop(),
  );
});

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  removeTempDirs();
});

describe('iiot discover on a loopback plant network', () => {
  let inv: Inventory;
  let stderr: string;
  let file: string;

  beforeAll(async () => {
    file = join(dir, 'inventory.json');
    // the serial line: unit 5 only (a full 1-247 sweep is rtu.test.ts's and the benchmark's), both speeds
    const serial = `modbus-rtu://${line.client}?unit=5`;
    const r = await runCli(
      [
        'discover',
        block.cidr,
        serial,
        '--no-default-ports',
        '--ports',
        portsFlag,
        '--baud',
        '9600,19200',
        '--parity',
        'even',
        '--unit-timeout',
        '1s',
        '--listen',
        '2s',
        '--timeout',
        '3s',
        '--json',
        '-o',
        file,
      ],
      { timeoutMs: 120_000 },
    );
    stderr = r.stderr;
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
    expect(r.code, r.stderr).toBe(0);
    inv = JSON.parse(r.stdout) as Inventory;
  });

  const device = <T>(url: string): T => {
    const d = inv.devices.find((x) => x.url === url);
    expect(d, `${url} in ${inv.devices.map((x) => x.url).join(', ')}`).toBeDefined();
    return d as T;
  };

  it('writes a complete inventory that readInventory accepts, to stdout and to -o', () => {
    expect(inv.schema).toBe('iiot.discover/1');
    expect(inv.complete).toBe(true);
    const read = readInventory(file);
    expect(read.devices.map((d) => d.device.url)).toEqual(inv.devices.map((d) => d.url));
    const lines = readFileSync(file, 'utf8').split('\n');
    for (const d of read.devices) expect(lines[d.line - 1]).toContain(d.device.url);
    expect(inv.scope).toMatchObject({ hosts: 6, rate: 20, concurrency: 1, probe: true, serial: [line.client] });
  });

  it('lists every OPC UA server with its identity and every endpoint', () => {
    for (const [host, plant] of [
      [A, plantA],
      [B, plantB],
    ] as const) {
      const d = device<OpcUaDevice>(`opc.tcp://${host}:${ports.opcua}`);
      expect(d.identity.applicationUri).toBe(`urn:iiot:sim:${host}`);
      expect(d.identity.applicationType).toBe('Server');
      expect(d.identity.productUri).toBeTruthy();
      expect(d.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`).sort()).toEqual([
        'None/None',
        'Sign/Basic256Sha256',
        'SignAndEncrypt/Basic256Sha256',
      ]);
      for (const e of d.endpoints) expect(e.userTokens.map((t) => t.type)).toContain('Anonymous');
      expect(d.certificate?.applicationUri).toBe(`urn:iiot:sim:${host}`);
      expect(plant.opcua?.namespaceUri).toBeTruthy();
    }
  });

  it('lists Modbus devices with their identification, and a gateway whose default unit ids are empty', () => {
    const meter = device<ModbusDevice>(`modbus://${A}:${ports.modbus}?unit=1`);
    expect(meter.identity).toMatchObject({ vendor: 'Eastron', productCode: 'SDM630-Modbus V2', revision: '2.0' });
    expect(meter.modbus.identification).toBe('ok');
    expect(meter.name).toBe('Eastron SDM630 v2.0');
    const gw = device<ModbusDevice>(`modbus://${B}:${ports.modbus}?unit=1`);
    expect(gw.modbus.gateway).toBe(true);
    expect(gw.modbus.read.exception).toBe(11);
    expect(gw.notes?.join(' ')).toContain('--unit-ids 1-247');
  });

  it('lists both brokers: aedes with the Sparkplug node and its devices, mosquitto with MQTT 5 and TLS', () => {
    const aedes = device<MqttDevice>(`mqtt://${A}:${ports.mqtt}`);
    expect(aedes.identity).toMatchObject({ protocolVersion: '3.1.1', anonymous: 'accepted' });
    const sp = plantA.mqtt!.sparkplug!;
    const group = aedes.sparkplug!.groups.find((g) => g.groupId === sp.groupId)!;
    const node = group.nodes.find((n) => n.edgeNodeId === sp.edgeNodeId)!;
    expect(node.online).toBe(true);
    expect(node.devices.map((d) => d.deviceId)).toEqual([...sp.devices].sort());
    for (const dev of node.devices) {
      // a DBIRTH declares one metric per signal of the asset
      expect(dev.metrics).toBe(plantA.tags.filter((t) => t.asset === dev.deviceId).length);
    }
    const mq = device<MqttDevice>(`mqtt://${M}:${ports.mqtt}`);
    expect(mq.identity).toMatchObject({ protocolVersion: '5.0', anonymous: 'accepted' });
    expect(mq.sparkplug?.groups).toEqual([]);
    const tls = device<MqttDevice>(`mqtts://${M}:${ports.mqtts}`);
    expect(tls.identity.anonymous).toBe('accepted');
    expect(tls.tls).toMatchObject({ authorized: false });
    expect(tls.tls?.certificate).toMatchObject({ commonName: 'broker.test', selfSigned: true, expired: false });
    expect(tls.tls!.certificate!.daysLeft).toBeGreaterThan(27);
    expect(inv.openPorts.find((p) => p.host === M && p.port === ports.mqtts)).toMatchObject({ protocol: 'mqtt', tls: true });
  });

  it('lists the RTU meter with the settings it answers at', () => {
    const meter = device<ModbusRtuDevice>(`modbus-rtu://${line.client}?baud=19200&parity=even&unit=5`);
    expect(meter.identity).toMatchObject({ vendor: 'Eastron', productName: 'SDM630' });
    expect(meter.serial).toEqual({ baud: 19200, parity: 'even', dataBits: 8, stopBits: 1 });
    expect(meter.alsoAnswersAt).toBeUndefined();
    expect(inv.noAnswer.find((n) => n.path === line.client)).toMatchObject({ result: 'no-device', units: '5', setting: { baud: 9600 } });
  });

  it('says what did not answer: garbage, resets and closed ports, each host once', () => {
    const garbage = inv.noAnswer.find((n) => n.host === X && n.port === ports.mqtt);
    expect(garbage).toMatchObject({ result: 'garbage' });
    expect(garbage!.detail).toContain('HTTP/1.0 400');
    const reset = inv.noAnswer.find((n) => n.host === X && n.port === ports.modbus);
    expect(reset).toMatchObject({ result: 'reset', protocol: 'modbus' });
    for (const host of [block.host(1), block.host(6)]) {
      const closed = inv.noAnswer.filter((n) => n.host === host);
      expect(closed).toHaveLength(1);
      expect(closed[0]).toMatchObject({
        result: 'closed',
        ports: [ports.opcua, ports.modbus, ports.mqtt, ports.mqtts].sort((a, b) => a - b),
      });
    }
    // every address of the block is somewhere: a device or a no-answer
    for (let i = 1; i <= 6; i++) {
      const h = block.host(i);
      expect(inv.devices.some((d) => 'host' in d && d.host === h) || inv.noAnswer.some((n) => n.host === h)).toBe(true);
    }
    expect(stderr).toMatch(
      new RegExp(
        `warning: ${X.replace(/\./g, '\\.')}:${ports.mqtt} answered, but not in (Modbus|OPC UA|MQTT), (Modbus|OPC UA|MQTT), (Modbus|OPC UA|MQTT):`,
      ),
    );
    expect(stderr).toContain(`warning: ${X}:${ports.modbus} accepts connections and resets them`);
  });

  it('counts what it found', () => {
    expect(inv.summary).toMatchObject({
      devices: inv.devices.length,
      byProtocol: { opcua: 2, modbus: 2, 'modbus-rtu': 1, mqtt: 3 },
      sparkplugNodes: 1,
      sparkplugDevices: plantA.mqtt!.sparkplug!.devices.length,
      hostsScanned: 6,
      hostsAnswering: 4,
    });
    expect(inv.summary.connections).toBeGreaterThanOrEqual(6 * 4);
  });
});

describe('other outputs and targets', () => {
  it('prints a table with the Sparkplug node under its broker, and a summary on stderr', async () => {
    const r = await runCli(['discover', A, '--no-default-ports', '--ports', `${ports.mqtt}:mqtt,${ports.opcua}:opcua`, '--listen', '1s']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^DEVICE\s+PROTOCOL\s+NAME\s+DETAILS$/);
    const broker = lines.findIndex((l) => l.startsWith(`mqtt://${A}:${ports.mqtt}`));
    expect(lines[broker + 1]).toMatch(/^ {2}IIoT\/SimPlant\s+sparkplug\s+edge node SimPlant\s+online/);
    expect(r.stdout).toContain(`opc.tcp://${A}:${ports.opcua}`);
    expect(r.stderr).toMatch(
      /Scanned 1 host × 2 ports in .*: 2 devices \(1 OPC UA, 1 MQTT, 1 Sparkplug node with 4 devices\); \d+ connections opened; complete\./,
    );
  });

  it('writes CSV, one row per device and per Sparkplug node', async () => {
    const r = await runCli([
      'discover',
      A,
      '--no-default-ports',
      '--ports',
      `${ports.mqtt}:mqtt,${ports.modbus}:modbus`,
      '--listen',
      '1s',
      '--csv',
      '-q',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const rows = r.stdout.trim().split('\n');
    expect(rows[0]).toBe('url,protocol,name,host,port,path,unit,vendor,product,revision,security,anonymous,details');
    expect(rows.filter((x) => x.includes(',sparkplug,IIoT/SimPlant,'))).toHaveLength(1);
    expect(
      rows.find((x) =>
        x.startsWith(`modbus://${A}:${ports.modbus}?unit=1,modbus,Eastron SDM630 v2.0,${A},${ports.modbus},,1,Eastron,SDM630,2.0`),
      ),
    ).toBeDefined();
    expect(r.stderr).toBe('');
  });

  it('sweeps the unit ids of a gateway named by URL', async () => {
    const r = await runCli(['discover', `modbus://${B}:${ports.modbus}`, '--unit-ids', '1-10', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.devices.map((d) => d.url)).toEqual([2, 3, 7].map((u) => `modbus://${B}:${ports.modbus}?unit=${u}`));
    expect(inv.devices.every((d) => d.via === 'url')).toBe(true);
    const none = inv.noAnswer.find((n) => n.result === 'no-device');
    expect(none).toMatchObject({ units: '1,4-6,8-10' });
  });

  it('lists a device once when a range and a URL both name it', async () => {
    const r = await runCli([
      'discover',
      A,
      `opc.tcp://${A}:${ports.opcua}`,
      '--no-default-ports',
      '--ports',
      `${ports.opcua}:opcua`,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.devices.map((d) => d.url)).toEqual([`opc.tcp://${A}:${ports.opcua}`]);
  });

  it('lists open ports only with --no-probe', async () => {
    const r = await runCli([
      'discover',
      `${A}-${block.host(3).split('.').pop()}`,
      '--no-default-ports',
      '--ports',
      `${ports.opcua},${ports.mqtt}`,
      '--no-probe',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.devices).toEqual([]);
    expect(inv.openPorts.map((p) => `${p.host}:${p.port}`)).toEqual([
      `${A}:${Math.min(ports.opcua, ports.mqtt)}`,
      `${A}:${Math.max(ports.opcua, ports.mqtt)}`,
      `${B}:${ports.opcua}`,
    ]);
    expect(inv.openPorts.every((p) => p.protocol === undefined)).toBe(true);
  });

  it('exits 3 when nothing answers, with the inventory still on stdout', async () => {
    const r = await runCli(['discover', block.host(6), '--no-default-ports', '--ports', String(ports.opcua), '--json']);
    expect(r.code).toBe(3);
    const inv = JSON.parse(r.stdout) as Inventory;
    expect(inv.devices).toEqual([]);
    expect(inv.noAnswer).toEqual([
      { target: block.host(6), host: block.host(6), ports: [ports.opcua], result: 'closed', detail: 'connection refused' },
    ]);
    expect(r.stderr).toContain('iiot: error: no device answered: no port open on any target');
    expect(r.stderr).toContain('  hint: ');
  });

  it('stops on Ctrl-C with the inventory so far, marked incomplete (exit 130)', async () => {
    const child = spawn(process.execPath, [BIN, 'discover', `mqtt://${A}:${ports.mqtt}`, '--listen', '10m', '--json', '--debug'], {
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const closed = once(child, 'close');
    await waitFor(() => stderr.includes('sparkplug: subscribed on'));
    child.kill('SIGINT');
    const [code] = (await closed) as [number];
    expect(code).toBe(130);
    const inv = JSON.parse(stdout) as Inventory;
    expect(inv.complete).toBe(false);
    expect(inv.incomplete?.[0]).toContain('interrupted');
    const broker = inv.devices.find((d) => d.url === `mqtt://${A}:${ports.mqtt}`) as MqttDevice;
    // the listen was cut short, and what it heard is kept
    expect(broker.sparkplug).toBeDefined();
    expect(broker.identity.anonymous).toBe('accepted');
    expect(stderr).toContain('INCOMPLETE');
  });
});
