/**
 * The inventory feeds `iiot browse` and `iiot record` (issue 7): a real inventory, written by
 * `iiot discover` against two embedded plants on loopback addresses of their own, then browsed and
 * recorded from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseRecordArguments, parseRecordProtocols } from '../../src/record/options.js';
import { scopeArguments } from '../../src/record/scope.js';
import { buildProgram } from '../../src/cli.js';
import type { IiotError } from '../../src/core/errors.js';
import { inventoryCounts, opcuaServersOf, recordSourcesOf } from '../../src/discovery/feed.js';
import { readInventory } from '../../src/discovery/inventory.js';
import { suggestBuiltinMap } from '../../src/protocols/modbus/map-suggest.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { BIN, ROOT, runCli, type CliResult } from '../helpers/cli.js';
import { readCapture, removeTempDirs, tempDir, waitFor } from '../helpers/record-io.js';
import { loopbackBlock, portFreeOn } from '../helpers/discovery-peers.js';

const block = loopbackBlock();
const A = block.host(2);
const B = block.host(3);
const env = { IIOT_PKI_DIR: tempDir('feed-client-pki') };
const children: ChildProcess[] = [];
let dir: string;
let plantA: RunningPlant;
let plantB: RunningPlant;
let ports: { opcua: number; modbus: number; mqtt: number };
/** OPC UA on A and B, Modbus units 1-3 and MQTT on A */
let inventory: string;
/** the same network without OPC UA */
let noOpcua: string;

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Every failure is one line and a hint, never a stack trace. */
function clean(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
}

beforeAll(async () => {
  dir = tempDir('feed');
  const hosts = [A, B];
  ports = { opcua: await portFreeOn(hosts), modbus: await portFreeOn(hosts), mqtt: await portFreeOn(hosts) };
  [plantA, plantB] = await Promise.all([
    startPlant({
      host: A,
      opcua: { port: ports.opcua, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'pki-a') },
      modbus: { port: ports.modbus },
      mqtt: { port: ports.mqtt },
      updateIntervalMs: 200,
    }),
    startPlant({
      host: B,
      opcua: { port: ports.opcua, nodesets: ['standard'], historyBackfillMs: 0, pkiDir: join(dir, 'pki-b') },
      modbus: false,
      mqtt: false,
      updateIntervalMs: 200,
    }),
  ]);
  inventory = join(dir, 'inventory.json');
  noOpcua = join(dir, 'no-opcua.json');
  const common = [block.cidr, '--no-default-ports', '--unit-ids', '1-3', '--timeout', '3s', '--json'];
  const all = await runCli(
    [
      'discover',
      ...common,
      '--protocols',
      'opcua,modbus,mqtt',
      '--ports',
      `${ports.opcua}:opcua,${ports.modbus}:modbus,${ports.mqtt}:mqtt`,
      '-o',
      inventory,
    ],
    { env, timeoutMs: 120_000 },
  );
  expect(all.code, all.stderr).toBe(0);
  const some = await runCli(
    ['discover', ...common, '--protocols', 'modbus,mqtt', '--ports', `${ports.modbus}:modbus,${ports.mqtt}:mqtt`, '-o', noOpcua],
    { env, timeoutMs: 120_000 },
  );
  expect(some.code, some.stderr).toBe(0);
});
afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});
afterAll(async () => {
  await plantA?.stop();
  await plantB?.stop();
  removeTempDirs();
});

describe('what an inventory feeds', () => {
  it('the discovered inventory lists both OPC UA servers, the three Modbus units and the broker', () => {
    const inv = readInventory(inventory);
    expect(inv.devices.map((d) => d.device.url).sort()).toEqual(
      [
        `opc.tcp://${A}:${ports.opcua}`,
        `opc.tcp://${B}:${ports.opcua}`,
        ...[1, 2, 3].map((u) => `modbus://${A}:${ports.modbus}?unit=${u}`),
        `mqtt://${A}:${ports.mqtt}`,
      ].sort(),
    );
    expect(inventoryCounts(inv.devices.map((d) => d.device))).toBe('2 OPC UA servers, 3 Modbus TCP devices and 1 MQTT broker');
  });

  it('OPC UA servers for browse; record sources with the built-in map of each meter that identifies itself', () => {
    const servers = opcuaServersOf(inventory);
    expect(servers.devices.map((d) => d.url).sort()).toEqual([`opc.tcp://${A}:${ports.opcua}`, `opc.tcp://${B}:${ports.opcua}`]);
    const lines = readFileSync(inventory, 'utf8').split('\n');
    for (const d of servers.devices) expect(lines[Number(d.where.split(':').pop()) - 1]).toContain(`"url": "${d.url}"`);
    const modbus = recordSourcesOf(inventory, new Set(['modbus']));
    expect(modbus.devices.map((d) => [d.url.replace(/.*\?/, ''), d.map?.name])).toEqual([
      ['unit=1', 'sdm630'],
      ['unit=2', 'pm5000'],
      ['unit=3', undefined], // the line PLC names no meter
    ]);
  });

  it('record options: arguments first, inventory devices after (each once), tag prefixes for several servers, --protocols checked', () => {
    const cmd = buildProgram().commands.find((c) => c.name() === 'record')!;
    const parse = (
      args: string[],
      inv = recordSourcesOf(inventory, parseRecordProtocols(scopeArguments(args, cmd.options).global.get('protocols'))),
    ) => parseRecordArguments(scopeArguments(args, cmd.options), Date.now(), inv);
    const meter = `modbus://${A}:${ports.modbus}?unit=1`;
    const o = parse([
      '--inventory',
      inventory,
      '--protocols',
      'opcua,mqtt',
      '--subtree',
      '/Objects/Plant',
      `opc.tcp://${B}:${ports.opcua}`,
      '--id',
      'line-b',
      '-o',
      'x.jsonl',
    ]);
    const summary = o.sources.map((src) => [src.protocol, src.options.id, 'tagPrefix' in src.options ? src.options.tagPrefix : undefined]);
    // named on the command line: first, its own id and names, and not again from the inventory
    expect(summary[0]).toEqual(['opcua', 'line-b', undefined]);
    // the inventory's other OPC UA server alone: its names as they are
    expect(summary.slice(1).sort()).toEqual([
      ['mqtt', 'mqtt', undefined],
      ['opcua', 'opcua', undefined],
    ]);
    expect(
      o.sources.some(
        (src) =>
          src.protocol === 'opcua' && src.options.id === 'opcua' && src.options.connect.target.url === `opc.tcp://${A}:${ports.opcua}`,
      ),
    ).toBe(true);
    const both = parse(['--inventory', inventory, '--protocols', 'opcua', '--subtree', '/Objects/Plant', '-o', 'x.jsonl']);
    expect(both.sources.map((src) => src.protocol === 'opcua' && src.options.tagPrefix)).toEqual(['opcua.', 'opcua-2.']);
    expect(both.notes).toContain(`${inventory}: 2 OPC UA servers: their tags are named <source id>.<name> (opcua., opcua-2.)`);
    const modbus = parse(['--inventory', inventory, '--protocols', 'modbus', '--map', 'fixtures/maps/plant-plc.yaml', '-o', 'x.jsonl']);
    expect(modbus.sources.map((src) => src.protocol === 'modbus' && [src.options.target.url, src.options.map])).toEqual([
      [meter, 'sdm630'],
      [`modbus://${A}:${ports.modbus}?unit=2`, 'pm5000'],
      [`modbus://${A}:${ports.modbus}?unit=3`, 'fixtures/maps/plant-plc.yaml'], // --map is for the devices that name no meter
    ]);
    const usage = (fn: () => unknown) => {
      try {
        fn();
      } catch (err) {
        expect((err as IiotError).exitCode).toBe(2);
        return (err as IiotError).message;
      }
      throw new Error('expected a usage error');
    };
    expect(
      usage(() => parseRecordArguments(scopeArguments(['--protocols', 'modbus', meter, '--map', 'sdm630', '-o', 'x.jsonl'], cmd.options))),
    ).toBe('--protocols chooses which devices of --inventory to record');
    expect(usage(() => parseRecordProtocols(['opcua,profinet']))).toBe('--protocols: iiot cannot record "profinet"');
    expect(usage(() => recordSourcesOf(noOpcua, new Set(['opcua'])))).toBe(
      `${noOpcua}: the inventory lists no opcua device to record (it lists 3 Modbus TCP devices and 1 MQTT broker)`,
    );
  });

  it('suggests a built-in map only for a meter it knows, and only when the vendor agrees', () => {
    expect(suggestBuiltinMap({ vendor: 'Eastron', productCode: 'SDM630-Modbus V2' })?.map).toBe('sdm630');
    expect(suggestBuiltinMap({ productName: 'SDM630MCT' })?.map).toBe('sdm630');
    expect(suggestBuiltinMap({ vendor: 'Schneider Electric', productCode: 'METSEPM5110' })?.map).toBe('pm5000');
    expect(suggestBuiltinMap({ vendor: 'Schneider Electric', productName: 'PowerLogic PM5340' })?.map).toBe('pm5000');
    expect(suggestBuiltinMap({ vendor: 'Acme', productCode: 'SDM630 clone' })).toBeUndefined();
    expect(suggestBuiltinMap({ vendor: 'Schneider Electric', productCode: 'M251 PLC' })).toBeUndefined();
    expect(suggestBuiltinMap({})).toBeUndefined();
  });
});

describe('iiot browse --inventory', () => {
  it('lists the endpoints of every OPC UA server, each under its name, URL and inventory line', async () => {
    const r = await runCli(['browse', '--inventory', inventory, '--endpoints'], { env });
    clean(r);
    expect(r.code, r.stderr).toBe(0);
    for (const host of [A, B]) {
      expect(r.stdout).toMatch(
        new RegExp(
          `^iiot simulated plant \\(${escape(host)}\\) {2}opc\\.tcp://${escape(host)}:${ports.opcua} {2}\\(${escape(inventory)}:\\d+\\)$`,
          'm',
        ),
      );
    }
    expect(r.stdout.match(/SignAndEncrypt\s+Basic256Sha256/g)).toHaveLength(2);
    expect(r.stderr).toContain(`browsed 2 of 2 OPC UA servers of ${inventory}`);
  });

  it('prints the tree below a node of every server', async () => {
    const r = await runCli(['browse', '--inventory', inventory, '/Objects/Plant', '--depth', '1', '--security-mode', 'None'], { env });
    clean(r);
    expect(r.code, r.stderr).toBe(0);
    const parts = r.stdout.split(/^iiot simulated plant /m).slice(1);
    expect(parts.map((p) => p.slice(0, p.indexOf(')')))).toEqual(expect.arrayContaining([`(${A}`, `(${B}`]));
    for (const p of parts) expect(p).toMatch(/^├─ Main incomer {2}ns=\d+;s=plant {2}Object$/m);
  });

  it('exports every server into one JSON document', async () => {
    const out = join(dir, 'browse.json');
    const r = await runCli(['browse', '--inventory', inventory, '--depth', '1', '--security-mode', 'None', '--json', '-o', out], { env });
    clean(r);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const doc = JSON.parse(readFileSync(out, 'utf8')) as {
      schema: string;
      inventory: string;
      complete: boolean;
      servers: Array<{ endpoint: string; inventory: string; result: { schema: string; endpoint: string; nodes: unknown[] } }>;
    };
    expect(doc).toMatchObject({ schema: 'iiot.browse.inventory/1', inventory, complete: true });
    expect(doc.servers.map((s) => s.endpoint).sort()).toEqual([`opc.tcp://${A}:${ports.opcua}`, `opc.tcp://${B}:${ports.opcua}`]);
    for (const s of doc.servers) {
      expect(s.result).toMatchObject({ schema: 'iiot.browse/1', endpoint: s.endpoint });
      expect(JSON.stringify(s.result.nodes)).toContain('"browseName":');
      expect(JSON.stringify(s.result.nodes)).toContain('s=Plant');
    }
  });

  it('refuses what belongs to one server, an endpoint beside the inventory, and an inventory without OPC UA (exit 2)', async () => {
    const tags = await runCli(['browse', '--inventory', inventory, '--tags', join(dir, 'x.tags')], { env });
    expect(tags.code).toBe(2);
    expect(tags.stderr).toMatch(
      new RegExp(`^iiot: error: --tags is for one server, and ${escape(inventory)} lists 2 OPC UA servers$`, 'm'),
    );
    const both = await runCli(['browse', `opc.tcp://${A}:${ports.opcua}`, '--inventory', inventory], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('give an endpoint or --inventory, not both');
    const none = await runCli(['browse', '--inventory', noOpcua], { env });
    clean(none);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(
      new RegExp(
        `^iiot: error: ${escape(noOpcua)}: the inventory lists no OPC UA server to browse \\(it lists 3 Modbus TCP devices and 1 MQTT broker\\)$`,
        'm',
      ),
    );
    expect(none.stderr).toMatch(/^ {2}hint: run `iiot discover` where the OPC UA servers are/m);
    const neither = await runCli(['browse'], { env });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain('no endpoint given');
  });
});

describe('iiot record --inventory', () => {
  function spawnRecord(args: string[]) {
    const child = spawn(process.execPath, [BIN, 'record', ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    let err = '';
    let out = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
    const closed = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    return { child, stdout: () => out, stderr: () => err, closed };
  }

  it('asks for --map for a Modbus device that names no known meter, naming it and its inventory line; writes nothing', async () => {
    const out = join(dir, 'none.jsonl');
    const r = await runCli(['record', '--inventory', inventory, '--protocols', 'modbus', '-o', out], { env });
    clean(r);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(
        `^iiot: error: modbus://${escape(A)}:${ports.modbus}\\?unit=3 \\(iiot simulated line PLC v1\\.0, ${escape(inventory)}:\\d+\\): which register map\\?$`,
        'm',
      ),
    );
    expect(r.stderr).toMatch(/^ {2}hint: it names no meter iiot has a built-in map for \(sdm630, pm5000\): add --map/m);
    expect(existsSync(out)).toBe(false);
    const opcua = await runCli(['record', '--inventory', inventory, '--protocols', 'opcua', '-o', out], { env });
    expect(opcua.code).toBe(2);
    expect(opcua.stderr).toMatch(/: what should be recorded\?$/m);
    expect(opcua.stderr).toContain('or leave OPC UA out with --protocols modbus,mqtt');
  });

  it('records every device: OPC UA servers, meters with the built-in maps they name, the PLC named with its own map, the broker', async () => {
    const out = join(dir, 'site.jsonl');
    const plc = `modbus://${A}:${ports.modbus}?unit=3`;
    const rec = spawnRecord([
      '--inventory',
      inventory,
      '--subtree',
      '/Objects/Plant/Incomer',
      '--security-mode',
      'None',
      '--topic',
      'plant/#',
      '--registers',
      'frequency',
      plc,
      '--map',
      'fixtures/maps/plant-plc.yaml',
      '--registers',
      'pump1.vibration',
      '-o',
      out,
      '--flush-interval',
      '100ms',
      '--json',
    ]);
    const ids = ['plant-plc', 'opcua', 'opcua-2', 'sdm630', 'pm5000', 'mqtt'];
    // until every source has written a sample (a condition, not a time), then Ctrl-C
    await waitFor(async () => {
      if (rec.child.exitCode !== null) return true;
      const back = existsSync(out) ? await readCapture(out).catch(() => undefined) : undefined;
      if (!back) return false;
      // MQTT tags are declared when first seen (config events): all tags, not only the header's
      const sourceOf = new Map(back.tags.map((t) => [t.name, t.source]));
      const seen = new Set(back.samples.map((s) => sourceOf.get(s.tag)));
      return ids.every((id) => seen.has(id));
    }, 200);
    rec.child.kill('SIGINT');
    const code = await rec.closed;
    expect(code, rec.stderr()).toBe(130);
    const summary = JSON.parse(rec.stdout()) as { schema: string; sources: Array<{ id: string; endpoint: string }> };
    expect(summary.schema).toBe('iiot.record/1');
    expect(summary.sources.map((s) => s.id).sort()).toEqual([...ids].sort());
    expect(summary.sources[0]).toMatchObject({ id: 'plant-plc' }); // named on the command line: first, with its own map
    expect(rec.stderr()).toMatch(
      new RegExp(
        `modbus://${escape(A)}:${ports.modbus}\\?unit=1 \\(Eastron SDM630 v2\\.0, ${escape(inventory)}:\\d+\\): recorded with the built-in map sdm630 \\(the device identifies itself as Eastron SDM630\\)`,
      ),
    );
    expect(rec.stderr()).toMatch(
      /\?unit=2 \(.*\): recorded with the built-in map pm5000 \(the device identifies itself as Schneider Electric PM5000\)/,
    );
    const back = await readCapture(out);
    expect(back.issues).toEqual([]);
    expect(back.header.sources.map((s) => s.protocol).sort()).toEqual(['modbus', 'modbus', 'modbus', 'mqtt', 'opcua', 'opcua']);
    const tags = back.tags.map((t) => `${t.source}:${t.name}`);
    expect(tags).toContain('plant-plc:plant-plc.pump1.vibration');
    expect(tags).toContain('sdm630:sdm630.frequency');
    expect(tags).toContain('pm5000:pm5000.frequency');
    // two OPC UA servers of the inventory with the same address space: each source's tags carry its id
    expect(rec.stderr()).toContain(`${inventory}: 2 OPC UA servers: their tags are named <source id>.<name> (opcua., opcua-2.)`);
    expect(tags).toContain('opcua:opcua.Plant.Incomer.ActivePower');
    expect(tags).toContain('opcua-2:opcua-2.Plant.Incomer.ActivePower');
    // one broker: its tags keep their names
    expect(tags.filter((t) => t.startsWith('mqtt:')).length).toBeGreaterThan(0);
    expect(tags.filter((t) => t.startsWith('mqtt:mqtt.'))).toEqual([]);
  });
});

describe('iiot browse --inventory with a server down', () => {
  it('browses the others, reports the one that failed in one line, and exits 3', async () => {
    await plantB.stop();
    const r = await runCli(['browse', '--inventory', inventory, '--depth', '0', '--security-mode', 'None', '--timeout', '3s'], { env });
    clean(r);
    expect(r.code).toBe(3);
    expect(r.stdout).toContain(`opc.tcp://${A}:${ports.opcua}`);
    expect(r.stdout).toMatch(/^Objects {2}i=85/m);
    expect(r.stderr).toMatch(new RegExp(`^iiot: error: .*opc\\.tcp://${escape(B)}:${ports.opcua}`, 'm'));
    expect(r.stderr.match(/^iiot: error: /gm)).toHaveLength(1);
    expect(r.stderr).toContain(`browsed 1 of 2 OPC UA servers of ${inventory}`);
  });
});
