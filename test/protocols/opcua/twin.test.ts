/**
 * The OPC UA twin, end to end: a server is exported with `iiot browse --all --nodeset2`, the file
 * validates against the OPC Foundation's schema and loads into node-opcua's own server, the twin
 * (`iiot sim --nodeset`) serves it, and a crawl of the twin finds what a crawl of the original
 * found: the same node ids, browse names, classes, type definitions, references both ways, data
 * types, value ranks, access levels, units, ranges and property values. The original servers are
 * the simulated plant (DI, IA, Machinery and the Plant folder) and a hand-written PLC model
 * (test/protocols/opcua/fixtures/line-types.NodeSet2.xml: object and interface types, a structure with its
 * encodings, an enumeration, a custom reference type, a method). Also under tiny operation limits.
 */
import { copyFileSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { OPCUAClient, MessageSecurityMode, SecurityPolicy, AttributeIds, type ClientSession } from 'node-opcua-client';
import { nodesets } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../helpers/cli.js';
import {
  captureIO as captureSessionIO,
  clientPki,
  connect,
  removeTempDirs,
  startOpcUaPlant,
  tempDir,
  USER,
  type TestPlant,
} from '../../helpers/opcua-plant.js';
import { browseAll, factsOf, LINE_TYPES, schemaErrors, startPlainServer, type PlainServer } from '../../helpers/nodeset2-twin.js';
import { startPlant, type RunningPlant } from '../../../src/sim/plant.js';
import { replay } from '../../../src/replay/run.js';
import type { CaptureRecord } from '../../../src/capture/types.js';
import { writeCapture } from '../../helpers/write-capture.js';
import { captureIO } from '../../helpers/io.js';
import { makeBrowsePath, ClientSubscription, ClientMonitoredItem, TimestampsToReturn, type DataValue } from 'node-opcua-client';
import type { Pki } from '../../../src/protocols/opcua/pki.js';

afterAll(removeTempDirs);

const TINY = { maxNodesPerBrowse: 5, maxNodesPerRead: 5, maxBrowseContinuationPoints: 2, maxReferencesPerNode: 10 };
const PLANT = 'urn:iiot:sim:plant';

let pki: Pki;
let env: Record<string, string>;
beforeAll(async () => {
  pki = clientPki();
  env = { IIOT_PKI_DIR: pki.paths.root, NODEOPCUA_LOG_LEVEL: '3' };
});

async function open(url: string): Promise<{ session: ClientSession; close(): Promise<void> }> {
  const client = OPCUAClient.create({
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 1 },
    securityMode: MessageSecurityMode.None,
    securityPolicy: SecurityPolicy.None,
  });
  await client.connect(url);
  const session = await client.createSession();
  return { session, close: async () => (await session.close(), await client.disconnect()) };
}

async function exportTo(url: string, file: string, extra: string[] = []): Promise<string> {
  const r = await runCli(['browse', url, '--all', '--nodeset2', '-o', file, '--security-mode', 'None', ...extra], {
    env,
    timeoutMs: 300_000,
  });
  expect(r.stderr).toContain(`wrote ${file}`);
  expect(r.code).toBe(0);
  return r.stdout;
}

/** The twin of a file, served by `iiot sim --nodeset` in-process (OPC UA only). */
async function serveTwin(file: string, limits?: typeof TINY): Promise<RunningPlant> {
  return startPlant({
    modbus: false,
    mqtt: false,
    opcua: { port: 0, nodeset: file, pkiDir: tempDir('twin-pki'), ...(limits ? { limits } : {}) },
  });
}

const props = (name: string) =>
  ['EngineeringUnits', 'EURange', 'EnumStrings', 'InputArguments', 'OutputArguments', 'EnumValues'].includes(name);

function expectSameFacts(original: Map<string, { browseName: string }>, twin: Map<string, { browseName: string }>): void {
  expect(original.size).toBeGreaterThan(0);
  // node by node, so a difference names the node
  for (const [id, facts] of original) expect({ id, ...twin.get(id) }).toEqual({ id, ...facts });
  expect([...twin.keys()].sort()).toEqual([...original.keys()].sort());
}

describe('the twin of the simulated plant (DI, IA, Machinery and the Plant folder)', () => {
  let plant: TestPlant;
  let dir: string;
  beforeAll(async () => {
    dir = tempDir('twin-plant');
    plant = await startOpcUaPlant({ nodesets: ['standard', 'di', 'ia', 'machinery'], limits: TINY });
  }, 120_000);
  afterAll(async () => plant?.stop());

  it('exports a file that validates against UANodeSet.xsd and names the companions as required models, with the versions the server reports', async () => {
    const file = join(dir, 'plant.NodeSet2.xml');
    const summary = JSON.parse(await exportTo(plant.url, file, ['--json'])) as {
      schema: string;
      complete: boolean;
      nodes: number;
      namespaces: string[];
      requiredModels: Array<{ uri: string; version?: string }>;
    };
    expect(summary).toMatchObject({
      schema: 'iiot.browse.nodeset2/1',
      complete: true,
      namespaces: expect.arrayContaining([PLANT]) as unknown,
    });
    expect(summary.requiredModels.map((m) => m.uri)).toEqual([
      'http://opcfoundation.org/UA/',
      'http://opcfoundation.org/UA/DI/',
      'http://opcfoundation.org/UA/IA/',
      'http://opcfoundation.org/UA/Machinery/',
    ]);
    expect(schemaErrors(file)).toBe('');
    const xml = readFileSync(file, 'utf8');
    expect((xml.match(/<UA(Object|Variable|Method) /g) ?? []).length).toBe(summary.nodes);
    // the versions and dates come from the server's Server/Namespaces object; read them independently
    const c = await open(plant.url);
    try {
      const refs = await browseAll(c.session, 'i=11715');
      for (const uri of ['http://opcfoundation.org/UA/', 'http://opcfoundation.org/UA/DI/', 'http://opcfoundation.org/UA/Machinery/']) {
        const meta = refs.find((r) => r.browseName.name === uri)!;
        const kids = await browseAll(c.session, meta.nodeId.toString());
        const id = (n: string) => kids.find((k) => k.browseName.name === n)!.nodeId;
        const dvs = await c.session.read([
          { nodeId: id('NamespaceVersion'), attributeId: AttributeIds.Value },
          { nodeId: id('NamespacePublicationDate'), attributeId: AttributeIds.Value },
        ]);
        const version = dvs[0]!.value.value as string;
        const date = (dvs[1]!.value.value as Date).toISOString();
        expect(xml).toContain(`<RequiredModel ModelUri="${uri}" Version="${version}" PublicationDate="${date}" />`);
      }
    } finally {
      await c.close();
    }
    expect(xml).toContain(`<Model ModelUri="${PLANT}">`);
    expect(xml).toContain('Complete="true"');
    // namespace 0 and the companions are referenced, not copied
    expect(xml).not.toMatch(/<UAObject NodeId="i=85"/);
    expect(xml).not.toMatch(/NodeId="ns=2;i=5001"/); // DI's DeviceSet
  }, 300_000);

  it("loads into node-opcua's own server, with the companion nodesets it requires", async () => {
    const file = join(dir, 'plant.NodeSet2.xml');
    const s = await startPlainServer([nodesets.di, nodesets.ia, nodesets.machinery, file]);
    try {
      const as = s.server.engine.addressSpace!;
      const ns = as.getNamespaceIndex(PLANT);
      expect(ns).toBeGreaterThan(0);
      const vib = as.findNode(`ns=${ns};s=pump1.vibration`) as unknown as {
        browseName: { name: string };
        dataType: { toString(): string };
      };
      expect(vib.browseName.name).toBe('VibrationVelocityRms');
      expect(vib.dataType.toString()).toBe('ns=0;i=11');
    } finally {
      await s.stop();
    }
  }, 120_000);

  it('serves a twin a crawl cannot tell from the plant, also under tiny operation limits', async () => {
    const file = join(dir, 'plant.NodeSet2.xml');
    const twin = await serveTwin(file, TINY);
    try {
      const a = await open(plant.url);
      const b = await open(twin.endpoints.opcua!);
      try {
        const nsA = (await a.session.read({ nodeId: 'i=2255', attributeId: AttributeIds.Value })).value.value as string[];
        const nsB = (await b.session.read({ nodeId: 'i=2255', attributeId: AttributeIds.Value })).value.value as string[];
        expect(nsB).toEqual(nsA);
        const original = await factsOf(a.session, [PLANT], props);
        const copy = await factsOf(b.session, [PLANT], props);
        expect(original.get(`${PLANT}|s=pump1.speedSetpoint`)?.attributes.AccessLevel).toBe('3');
        expectSameFacts(original, copy);
      } finally {
        await a.close();
        await b.close();
      }
      // exported again from the twin under the same tiny limits: the same document
      const again = join(dir, 'twin.NodeSet2.xml');
      await exportTo(twin.endpoints.opcua!, again);
      const strip = (f: string) =>
        readFileSync(f, 'utf8').replace(/(LastModified|Created|Endpoint)="[^"]*"|<!-- Exported by [^>]*-->/g, '');
      expect(strip(again)).toBe(strip(file));
    } finally {
      await twin.stop();
    }
  }, 300_000);

  it('replays a capture on the twin: a client that reads and subscribes by browse path gets the recorded values and times', async () => {
    const file = join(dir, 'plant.NodeSet2.xml');
    const capture = join(dir, 'line3.jsonl');
    const T0 = Date.parse('2026-11-25T10:00:00.000Z');
    const iso = (ms: number) => new Date(ms).toISOString();
    const euRange = async (url: string) => {
      const c = await open(url);
      try {
        const [range] = await c.session.translateBrowsePath([makeBrowsePath('i=85', `${path}.EURange`)]);
        const dv = await c.session.read({ nodeId: range!.targets![0]!.targetId, attributeId: AttributeIds.Value });
        return [dv.value.value.low, dv.value.value.high];
      } finally {
        await c.close();
      }
    };
    await writeCapture(
      capture,
      [{ id: 'opcua', protocol: 'opcua', endpoint: plant.url }],
      [
        {
          name: 'Plant.Pump1.VibrationVelocityRms',
          source: 'opcua',
          address: `ns=${plant.plant.opcua!.namespaceIndex};s=pump1.vibration`,
          namespaceUri: PLANT,
          dataType: 'float64',
          opcuaType: 'Double',
        },
        { name: 'Plant.Gone', source: 'opcua', address: 'ns=5;s=not.in.the.plant', namespaceUri: PLANT, dataType: 'float64' },
      ],
      [
        { t: iso(T0), tag: 'Plant.Pump1.VibrationVelocityRms', v: 4.25 },
        { t: iso(T0 + 1000), tag: 'Plant.Pump1.VibrationVelocityRms', v: 4.5, q: 'UncertainLastUsableValue' },
        { t: iso(T0 + 2000), tag: 'Plant.Pump1.VibrationVelocityRms', v: 4.75 },
        // ten minutes later: keeps the twin serving while the test looks (it stops it)
        { t: iso(T0 + 600_000), tag: 'Plant.Pump1.VibrationVelocityRms', v: 9 },
      ] as CaptureRecord[],
      new Date(T0),
    );
    const ns = plant.plant.opcua!.namespaceIndex;
    const path = `/${ns}:Plant/${ns}:Pump1/${ns}:VibrationVelocityRms`;
    // the connector against the original first
    const seenOriginal: DataValue[] = [];
    const onOriginal = await connectorByPath(plant.url, path, (dv) => seenOriginal.push(dv));
    await onOriginal.close();

    const io = captureIO();
    const seen: DataValue[] = [];
    let connector: Awaited<ReturnType<typeof connectorByPath>> | undefined;
    let finished = false;
    const stop = new AbortController();
    const ready = new Promise<string>((resolve, reject) => {
      void replay(
        io.io,
        {
          files: [capture],
          allParts: false,
          sink: {
            kind: 'opcua',
            host: '127.0.0.1',
            port: 0,
            acceptAnyClientCert: false,
            pkiDir: tempDir('replay-twin-pki'),
            nodeset: file,
          },
          speed: 1,
          maxSpeed: false,
          loop: false,
          tags: [],
          timestamps: 'recorded',
        },
        { handleSignals: false, signal: stop.signal, onReady: (endpoint) => resolve(endpoint) },
      ).then(
        () => (finished = true),
        (err: unknown) => ((finished = true), reject(err)),
      );
    });
    const endpoint = await ready;
    try {
      connector = await connectorByPath(endpoint, path, (dv) => seen.push(dv));
      expect(connector.nodeId).toBe(onOriginal.nodeId);
      expect(connector.dataType).toBe(onOriginal.dataType);
      while (!seen.some((dv) => dv.value.value === 4.75) && !finished) await new Promise((r) => setTimeout(r, 50));
      const values = seen.map((dv) => [dv.value.value, dv.statusCode.name, dv.sourceTimestamp?.toISOString()]);
      expect(values).toContainEqual([4.5, 'UncertainLastUsableValue', iso(T0 + 1000)]);
      expect(values).toContainEqual([4.75, 'Good', iso(T0 + 2000)]);
      // the tag the NodeSet has no variable for is named, not silently dropped
      expect(io.stderr()).toContain('not served: Plant.Gone');
      // a variable no tag drives keeps the NodeSet's value: the plant's EURange property
      expect(await euRange(endpoint)).toEqual(await euRange(plant.url));
    } finally {
      await connector?.close();
      stop.abort();
    }
  }, 300_000);
});

/**
 * What a connector does: find a variable by its browse path, read it, subscribe to it. Written
 * once, run against the original and the twin.
 */
async function connectorByPath(
  url: string,
  path: string,
  onValue: (dv: DataValue) => void,
): Promise<{ nodeId: string; dataType: string; first: DataValue; close(): Promise<void> }> {
  const c = await open(url);
  const [t] = await c.session.translateBrowsePath([makeBrowsePath('i=85', path)]);
  const nodeId = t!.targets![0]!.targetId.toString();
  const [first, dt] = await c.session.read([
    { nodeId, attributeId: AttributeIds.Value },
    { nodeId, attributeId: AttributeIds.DataType },
  ]);
  const sub = ClientSubscription.create(c.session, {
    requestedPublishingInterval: 100,
    requestedMaxKeepAliveCount: 10,
    publishingEnabled: true,
  });
  const item = ClientMonitoredItem.create(
    sub,
    { nodeId, attributeId: AttributeIds.Value },
    { samplingInterval: 50, queueSize: 10, discardOldest: true },
    TimestampsToReturn.Both,
  );
  item.on('changed', onValue);
  return { nodeId, dataType: dt!.value.value.toString(), first: first!, close: async () => (await sub.terminate(), await c.close()) };
}

describe('the twin of a PLC model with its own types (hand-written NodeSet)', () => {
  let plc: PlainServer;
  let dir: string;
  const LINE = 'urn:test:line';
  beforeAll(async () => {
    dir = tempDir('twin-line');
    plc = await startPlainServer([LINE_TYPES]);
  }, 120_000);
  afterAll(async () => plc?.stop());

  it('exports types with their Definitions, the interface, the custom reference type and the structure value; the twin serves them', async () => {
    const file = join(dir, 'line.NodeSet2.xml');
    await exportTo(plc.url, file, ['--values']);
    expect(schemaErrors(file)).toBe('');
    const xml = readFileSync(file, 'utf8');
    expect(xml).toMatch(
      /<Definition Name="\d+:BatchInfo">\s*<Field Name="BatchId" DataType="String" \/>\s*<Field Name="Quantity" DataType="Int32" \/>\s*<Field Name="Density" DataType="Double">/,
    );
    expect(xml).toMatch(/<Field Name="Faulted" Value="2" \/>/);
    expect(xml).toMatch(/<Reference ReferenceType="HasInterface">ns=\d+;i=1001<\/Reference>/);
    expect(xml).toContain('<BatchId>B-2026-0042 &lt;rush&gt;</BatchId>');
    const twin = await serveTwin(file);
    try {
      const a = await open(plc.url);
      const b = await open(twin.endpoints.opcua!);
      try {
        const all = () => true;
        expectSameFacts(await factsOf(a.session, [LINE], all), await factsOf(b.session, [LINE], all));
      } finally {
        await a.close();
        await b.close();
      }
    } finally {
      await twin.stop();
    }
  }, 300_000);
});

describe("the twin's security, as iiot sim's (a NodeSet from another tool, no iiot extension)", () => {
  it('hardened: SignAndEncrypt only, a username identity, trusted client certificates; no anonymous access', async () => {
    const client = clientPki();
    const serverPki = tempDir('twin-hardened-pki');
    mkdirSync(join(serverPki, 'trusted', 'certs'), { recursive: true });
    const own = await client.ownCertificate();
    copyFileSync(own.file, join(serverPki, 'trusted', 'certs', 'iiot-test-client.pem'));
    const twin = await startPlant({
      modbus: false,
      mqtt: false,
      opcua: { port: 0, nodeset: LINE_TYPES, profile: 'hardened', users: [USER], pkiDir: serverPki },
    });
    try {
      client.trust(twin.opcua!.certificateFile);
      const url = twin.endpoints.opcua!;
      const s = await connect(url, client, { user: USER.username }, captureSessionIO({ IIOT_PASSWORD: USER.password }));
      try {
        expect(s.endpoint.securityMode).toBe('SignAndEncrypt');
        expect(s.identity).toBe(`user "${USER.username}"`);
        const ns = ((await s.session.read({ nodeId: 'i=2255', attributeId: AttributeIds.Value })).value.value as string[]).indexOf(
          'urn:test:line',
        );
        const [t] = await s.session.translateBrowsePath([makeBrowsePath('i=85', `/${ns}:Line/${ns}:Pump1/${ns}:Speed`)]);
        const dv = await s.session.read({ nodeId: t!.targets![0]!.targetId, attributeId: AttributeIds.Value });
        // a writable variable keeps the file's value (a setpoint is not simulated)
        expect(dv.value.value).toBe(1480.5);
      } finally {
        await s.close();
      }
      const anonymous = await connect(url, client, { securityMode: 'SignAndEncrypt' }).then(
        async (x) => (await x.close(), undefined),
        (err: unknown) => err,
      );
      expect((anonymous as Error).message).toContain('does not accept anonymous sessions');
      const none = await connect(
        url,
        client,
        { securityMode: 'None', user: USER.username },
        captureSessionIO({ IIOT_PASSWORD: USER.password }),
      ).then(
        async (x) => (await x.close(), undefined),
        (err: unknown) => err,
      );
      expect((none as Error).message).toContain('offers no endpoint with mode None');
    } finally {
      await twin.stop();
    }
  }, 300_000);
});
