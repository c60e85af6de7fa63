import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  DataChangeFilter,
  DataChangeTrigger,
  DataType,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  TimestampsToReturn,
  UserTokenType,
  type ClientSession,
  type DataValue,
  type UserIdentityInfo,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { scaled } from '../helpers/time-scale.js';
import { removeTempDirs, tempDir } from '../helpers/peer-tools.js';

afterAll(removeTempDirs);

const USER = { username: 'operator', password: 's3cret-for-tests' };
const tmp = tempDir('opcua');

/** A client with its own PKI under the test's temp dir (never the user's config folder). */
async function withSession<T>(
  url: string,
  fn: (session: ClientSession, client: OPCUAClient) => Promise<T>,
  opts: { mode?: MessageSecurityMode; policy?: SecurityPolicy; user?: UserIdentityInfo; pki?: string } = {},
): Promise<T> {
  const cm = new OPCUACertificateManager({ rootFolder: opts.pki ?? join(tmp, 'client-pki'), automaticallyAcceptUnknownCertificate: true });
  await cm.initialize();
  const client = OPCUAClient.create({
    applicationName: 'iiot-sim-test',
    endpointMustExist: false,
    connectionStrategy: { maxRetry: 0, initialDelay: 50, maxDelay: 100 },
    securityMode: opts.mode ?? MessageSecurityMode.None,
    securityPolicy: opts.policy ?? SecurityPolicy.None,
    clientCertificateManager: cm,
  });
  try {
    await client.connect(url);
    const session = await client.createSession(opts.user);
    try {
      return await fn(session, client);
    } finally {
      await session.close().catch(() => {});
    }
  } finally {
    await client.disconnect();
    await cm.dispose();
  }
}

const userToken = (password = USER.password): UserIdentityInfo => ({ type: UserTokenType.UserName, userName: USER.username, password });

describe('OPC UA: the default profile with the full address space', () => {
  let plant: RunningPlant;
  let url: string;
  const ns = () => plant.opcua!.namespaceIndex;

  beforeAll(async () => {
    plant = await startPlant({
      modbus: false,
      mqtt: false,
      opcua: { port: 0, users: [USER], pkiDir: join(tmp, 'server-default'), autoAcceptClientCertificates: true, extraNodes: 2500 },
      updateIntervalMs: 100,
    });
    url = plant.endpoints.opcua!;
  });
  afterAll(async () => {
    await plant?.stop();
  });

  it('loads the companion nodesets: thousands of real nodes, DI and Machinery namespaces', async () => {
    expect(plant.opcua!.nodeCount).toBeGreaterThan(6000 + 2500);
    await withSession(url, async (session) => {
      const dv = await session.read({ nodeId: 'ns=0;i=2255', attributeId: AttributeIds.Value });
      const uris = dv.value.value as string[];
      expect(uris).toEqual(
        expect.arrayContaining([
          'http://opcfoundation.org/UA/DI/',
          'http://opcfoundation.org/UA/IA/',
          'http://opcfoundation.org/UA/Machinery/',
          'urn:iiot:sim:plant',
        ]),
      );
      expect(uris.indexOf('urn:iiot:sim:plant')).toBe(ns());
    });
  });

  it('has a Plant folder with the incomer and every asset', async () => {
    await withSession(url, async (session) => {
      const objects = await session.browse({ nodeId: 'ns=0;i=85', browseDirection: BrowseDirection.Forward, resultMask: 63 });
      expect(objects.references!.map((r) => r.browseName.name)).toEqual(
        expect.arrayContaining(['Plant', 'DeviceSet', 'Machines', 'Synthetic']),
      );
      const plantFolder = await session.browse({ nodeId: `ns=${ns()};s=Plant`, browseDirection: BrowseDirection.Forward, resultMask: 63 });
      const children = plantFolder.references!.filter((r) => r.nodeClass === NodeClass.Object).map((r) => r.browseName.name);
      expect(children).toEqual(['Incomer', 'Conveyor1', 'Conveyor2', 'Pump1', 'Compressor1']);
      const pump = await session.browse({ nodeId: `ns=${ns()};s=pump1`, browseDirection: BrowseDirection.Forward, resultMask: 63 });
      expect(pump.references!.filter((r) => r.nodeClass === NodeClass.Variable).map((r) => r.browseName.name)).toEqual([
        'Running',
        'Speed',
        'MotorCurrent',
        'ActivePower',
        'ActiveEnergy',
        'VibrationVelocityRms',
        'BearingTemperature',
        'SpeedSetpoint',
      ]);
    });
  });

  it('serves a variable with DataType, EngineeringUnits, EURange and read-only access', async () => {
    await withSession(url, async (session) => {
      const nodeId = `ns=${ns()};s=pump1.vibration`;
      const [value, dataType, access, userAccess, historizing] = await session.read([
        { nodeId, attributeId: AttributeIds.Value },
        { nodeId, attributeId: AttributeIds.DataType },
        { nodeId, attributeId: AttributeIds.AccessLevel },
        { nodeId, attributeId: AttributeIds.UserAccessLevel },
        { nodeId, attributeId: AttributeIds.Historizing },
      ]);
      expect(value!.statusCode).toBe(StatusCodes.Good);
      expect(value!.value.dataType).toBe(DataType.Double);
      expect(value!.value.value).toBeGreaterThan(0);
      expect(dataType!.value.value.value).toBe(DataType.Double);
      // CurrentRead | HistoryRead, no CurrentWrite
      expect(access!.value.value & 0b10).toBe(0);
      expect(access!.value.value & 0b1).toBe(1);
      expect(userAccess!.value.value & 0b10).toBe(0);
      expect(historizing!.value.value).toBe(true);
      const props = await session.browse({ nodeId, browseDirection: BrowseDirection.Forward, resultMask: 63 });
      const prop = (name: string) => props.references!.find((r) => r.browseName.name === name)!.nodeId;
      const [eu, range] = await session.read([
        { nodeId: prop('EngineeringUnits'), attributeId: AttributeIds.Value },
        { nodeId: prop('EURange'), attributeId: AttributeIds.Value },
      ]);
      expect(eu!.value.value.displayName.text).toBe('mm/s');
      expect(eu!.value.value.unitId).toBe(0x433136); // UNECE "C16"
      expect(eu!.value.value.namespaceUri).toBe('http://www.opcfoundation.org/UA/units/un/cefact');
      expect(range!.value.value).toMatchObject({ low: 0, high: 25 });
      // the engineering range is configuration: nobody may write it
      const [rangeAccess, rangeUserAccess] = await session.read([
        { nodeId: prop('EURange'), attributeId: AttributeIds.AccessLevel },
        { nodeId: prop('EURange'), attributeId: AttributeIds.UserAccessLevel },
      ]);
      expect(rangeAccess!.value.value & 0b10).toBe(0);
      expect(rangeUserAccess!.value.value & 0b10).toBe(0);
    });
  });

  it('changes values with model time as source timestamp', async () => {
    await withSession(url, async (session) => {
      const nodeId = `ns=${ns()};s=plant.power`;
      const first = await session.read({ nodeId, attributeId: AttributeIds.Value }, 0);
      let next = first;
      while (next.sourceTimestamp!.getTime() === first.sourceTimestamp!.getTime()) {
        await new Promise((r) => setTimeout(r, 50));
        next = await session.read({ nodeId, attributeId: AttributeIds.Value }, 0);
      }
      expect(next.sourceTimestamp!.getTime()).toBeGreaterThan(first.sourceTimestamp!.getTime());
      expect(next.value.value).toBe(plant.model.value('plant.power', next.sourceTimestamp!.getTime()));
    });
  });

  it('keeps an hour of history before the start (HistoryRead raw)', async () => {
    await withSession(url, async (session) => {
      const end = new Date(plant.clock.now());
      const h = await session.readHistoryValue({ nodeId: `ns=${ns()};s=pump1.vibration` }, new Date(end.getTime() - 3_600_000), end);
      expect(h.statusCode.isGood()).toBe(true);
      const values = (h.historyData as unknown as { dataValues: Array<{ value: { value: unknown }; sourceTimestamp: Date | null }> })
        .dataValues;
      expect(values.length).toBeGreaterThanOrEqual(360);
      const v = values[10]!;
      expect(v.value.value).toBe(plant.model.value('pump1.vibration', v.sourceTimestamp!.getTime()));
    });
  });

  it('has one writable setpoint, shared with the Modbus PLC', async () => {
    await withSession(url, async (session) => {
      const nodeId = `ns=${ns()};s=pump1.speedSetpoint`;
      const status = await session.write({
        nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Double, value: 2800 } },
      });
      expect(status).toBe(StatusCodes.Good);
      expect(plant.setpoints.get('pump1.speed_setpoint')).toBe(2800);
      const refused = await session.write({
        nodeId,
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Double, value: 99999 } },
      });
      expect(refused).toBe(StatusCodes.BadOutOfRange);
      const readOnly = await session.write({
        nodeId: `ns=${ns()};s=pump1.speed`,
        attributeId: AttributeIds.Value,
        value: { value: { dataType: DataType.Double, value: 1 } },
      });
      expect(readOnly.isGood()).toBe(false);
    });
  });

  it('accepts Basic256Sha256 SignAndEncrypt with username and password, and refuses a wrong password', async () => {
    const who = await withSession(
      url,
      async (session) =>
        (await session.read({ nodeId: `ns=${ns()};s=plant.energy`, attributeId: AttributeIds.Value })).value.value as number,
      { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256, user: userToken() },
    );
    expect(who).toBeGreaterThan(182340);
    await expect(withSession(url, async () => 0, { user: userToken('wrong') })).rejects.toThrow(
      /BadUserAccessDenied|BadIdentityTokenRejected|BadIdentityTokenInvalid/,
    );
  });

  it('offers None and Basic256Sha256 (Sign, SignAndEncrypt), anonymous and username', async () => {
    await withSession(url, async (_s, client) => {
      const eps = await client.getEndpoints();
      const pairs = eps.map((e) => `${MessageSecurityMode[e.securityMode]}/${e.securityPolicyUri!.split('#')[1]}`).sort();
      expect(pairs).toEqual(['None/None', 'Sign/Basic256Sha256', 'SignAndEncrypt/Basic256Sha256']);
      const none = eps.find((e) => e.securityMode === MessageSecurityMode.None)!;
      expect(none.userIdentityTokens!.map((t) => t.tokenType)).toEqual(
        expect.arrayContaining([UserTokenType.Anonymous, UserTokenType.UserName]),
      );
    });
  });

  it('adds the synthetic address space in groups of 1000', async () => {
    await withSession(url, async (session) => {
      const groups = await session.browse({
        nodeId: `ns=${ns()};s=synthetic`,
        browseDirection: BrowseDirection.Forward,
        nodeClassMask: NodeClass.Object,
        resultMask: 63,
      });
      expect(groups.references!.map((r) => r.browseName.name)).toEqual(['Group0001', 'Group0002', 'Group0003']);
      const last = await session.browse({
        nodeId: `ns=${ns()};s=synthetic.g0003`,
        browseDirection: BrowseDirection.Forward,
        nodeClassMask: NodeClass.Variable,
        resultMask: 63,
      });
      expect(last.references).toHaveLength(500);
    });
  });
});

describe('OPC UA: a plant at a time scale serves model time as source timestamp, wall time as server timestamp', () => {
  // Model time starts long ago and runs 1000 times faster than the wall clock: every source
  // timestamp is model time (after START, before the model's now), every server timestamp is when
  // the server took the value (wall time while the test runs). node-opcua's Read stamps the server
  // time itself; subscriptions and history hand out the stored one, so a subscription shows it.
  const START = Date.parse('2020-03-02T06:00:00.000Z');
  let plant: RunningPlant;
  let wallBefore: number;

  beforeAll(async () => {
    wallBefore = Date.now();
    plant = await startPlant({
      start: START,
      timeScale: 1000,
      age: 25 * 86_400_000,
      modbus: false,
      mqtt: false,
      opcua: {
        port: 0,
        nodesets: ['standard'],
        historyBackfillMs: 0,
        pkiDir: join(tmp, 'server-scaled'),
        autoAcceptClientCertificates: true,
      },
      updateIntervalMs: 50,
    });
  });
  afterAll(async () => {
    await plant?.stop();
  });

  it('in subscriptions: the initial value and every update', async () => {
    const got: DataValue[] = [];
    await withSession(plant.endpoints.opcua!, async (session) => {
      const sub = await session.createSubscription2({
        requestedPublishingInterval: 50,
        requestedLifetimeCount: 100,
        requestedMaxKeepAliveCount: 10,
        publishingEnabled: true,
      });
      const item = await sub.monitor(
        { nodeId: plant.opcua!.nodeId('plant.power'), attributeId: AttributeIds.Value },
        // every new source timestamp is a notification, whether the value changed or not
        {
          samplingInterval: 0,
          queueSize: 100,
          discardOldest: true,
          filter: new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp }),
        },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => void got.push(dv));
      while (got.length < 3) await new Promise((r) => setTimeout(r, 20));
      await sub.terminate();
    });
    const wallAfter = Date.now();
    const modelAfter = plant.clock.now();
    for (const dv of got) {
      const source = dv.sourceTimestamp!.getTime();
      const server = dv.serverTimestamp!.getTime();
      expect(source).toBeGreaterThanOrEqual(START);
      expect(source).toBeLessThanOrEqual(modelAfter);
      expect(server).toBeGreaterThanOrEqual(wallBefore);
      expect(server).toBeLessThanOrEqual(wallAfter);
      expect(dv.value.value).toBe(plant.model.value('plant.power', source));
    }
  });
});

describe('OPC UA: the weak profile, with tiny operation limits', () => {
  let plant: RunningPlant;
  let url: string;
  const ns = () => plant.opcua!.namespaceIndex;

  beforeAll(async () => {
    plant = await startPlant({
      modbus: false,
      mqtt: false,
      opcua: {
        port: 0,
        profile: 'weak',
        nodesets: ['standard'],
        users: [USER],
        pkiDir: join(tmp, 'server-weak'),
        autoAcceptClientCertificates: true,
        historyBackfillMs: 0,
        limits: {
          maxNodesPerBrowse: 5,
          maxNodesPerRead: 7,
          maxBrowseContinuationPoints: 2,
          maxReferencesPerNode: 3,
          maxMonitoredItemsPerCall: 4,
        },
      },
    });
    url = plant.endpoints.opcua!;
  });
  afterAll(async () => {
    await plant?.stop();
  });

  it('announces mode None, anonymous access, the deprecated Basic128Rsa15 and Basic256, and a certificate expiring within two days', async () => {
    await withSession(url, async (_s, client) => {
      const eps = await client.getEndpoints();
      const policies = new Set(eps.map((e) => e.securityPolicyUri!.split('#')[1]));
      expect([...policies].sort()).toEqual(['Basic128Rsa15', 'Basic256', 'Basic256Sha256', 'None']);
      expect(
        eps.some(
          (e) => e.securityMode === MessageSecurityMode.None && e.userIdentityTokens!.some((t) => t.tokenType === UserTokenType.Anonymous),
        ),
      ).toBe(true);
      const cert = new X509Certificate(eps[0]!.serverCertificate!);
      const left = Date.parse(cert.validTo) - Date.now();
      expect(left).toBeGreaterThan(0);
      expect(left).toBeLessThanOrEqual(2 * 86_400_000);
    });
  });

  it('takes username and password in clear on the None endpoint', async () => {
    await withSession(url, async (_s, client) => {
      const none = (await client.getEndpoints()).find((e) => e.securityMode === MessageSecurityMode.None)!;
      const userTokens = none.userIdentityTokens!.filter((t) => t.tokenType === UserTokenType.UserName);
      expect(userTokens.map((t) => [t.policyId, t.securityPolicyUri ?? null])).toEqual([['username_cleartext', null]]);
    });
    // the client has no choice but to send the password unencrypted; the server accepts it
    const state = await withSession(
      url,
      async (s) => (await s.read({ nodeId: 'ns=0;i=2259', attributeId: AttributeIds.Value })).value.value,
      { user: userToken() },
    );
    expect(state).toBe(0);
  });

  it('enforces MaxNodesPerBrowse and MaxNodesPerRead with BadTooManyOperations', async () => {
    await withSession(url, async (session) => {
      const six = ['conveyor1', 'conveyor2', 'pump1', 'compressor1', 'plant', 'Plant'].map((id) => ({ nodeId: `ns=${ns()};s=${id}` }));
      await expect(session.browse(six)).rejects.toThrow(/BadTooManyOperations/);
      expect(await session.browse(six.slice(0, 5))).toHaveLength(5);
      const eight = plant.model.signals.slice(0, 8).map((s) => ({ nodeId: `ns=${ns()};s=${s.id}`, attributeId: AttributeIds.Value }));
      await expect(session.read(eight)).rejects.toThrow(/BadTooManyOperations/);
      expect(await session.read(eight.slice(0, 7))).toHaveLength(7);
    });
  });

  it('returns at most MaxReferencesPerNode references with a continuation point, and BrowseNext gives the rest', async () => {
    await withSession(url, async (session) => {
      const first = await session.browse({ nodeId: `ns=${ns()};s=Plant`, browseDirection: BrowseDirection.Forward, resultMask: 63 });
      expect(first.references).toHaveLength(3);
      expect(first.continuationPoint).toBeTruthy();
      const names = first.references!.map((r) => r.browseName.name);
      let cp = first.continuationPoint;
      while (cp && cp.length > 0) {
        const next = await session.browseNext(cp, false);
        names.push(...next.references!.map((r) => r.browseName.name));
        cp = next.continuationPoint;
      }
      expect(names.filter((n) => n !== 'FolderType').sort()).toEqual(['Compressor1', 'Conveyor1', 'Conveyor2', 'Incomer', 'Pump1']);
    });
  });

  it('runs out of browse continuation points at MaxBrowseContinuationPoints', async () => {
    await withSession(url, async (session) => {
      const results = await session.browse(
        ['conveyor1', 'conveyor2', 'pump1', 'compressor1'].map((id) => ({ nodeId: `ns=${ns()};s=${id}`, resultMask: 63 })),
      );
      expect(results.slice(0, 2).every((r) => r.statusCode === StatusCodes.Good && r.continuationPoint)).toBe(true);
      expect(results.slice(2).map((r) => r.statusCode)).toEqual([StatusCodes.BadNoContinuationPoints, StatusCodes.BadNoContinuationPoints]);
    });
  });

  it('enforces MaxMonitoredItemsPerCall', async () => {
    await withSession(url, async (session) => {
      const sub = await session.createSubscription2({ requestedPublishingInterval: 100, publishingEnabled: true });
      const items = (n: number) =>
        plant.model.signals.slice(0, n).map((s) => ({ nodeId: `ns=${ns()};s=${s.id}`, attributeId: AttributeIds.Value }));
      await expect(sub.monitorItems(items(5), { samplingInterval: 100, queueSize: 1 }, TimestampsToReturn.Both)).rejects.toThrow(
        /BadTooManyOperations/,
      );
      const ok = await sub.monitorItems(items(4), { samplingInterval: 100, queueSize: 1 }, TimestampsToReturn.Both);
      expect(ok.monitoredItems).toHaveLength(4);
      await sub.terminate();
    });
  });
});

describe('OPC UA: the hardened profile and explicit client certificate trust', () => {
  let plant: RunningPlant;
  let url: string;
  const pkiDir = join(tmp, 'server-hardened');

  beforeAll(async () => {
    plant = await startPlant({
      modbus: false,
      mqtt: false,
      opcua: { port: 0, profile: 'hardened', nodesets: ['standard'], pkiDir, users: [USER], historyBackfillMs: 0 },
    });
    url = plant.endpoints.opcua!;
  });
  afterAll(async () => {
    await plant?.stop();
  });

  it('offers only SignAndEncrypt with current policies and no anonymous token', async () => {
    const cm = new OPCUACertificateManager({ rootFolder: join(tmp, 'probe-pki'), automaticallyAcceptUnknownCertificate: true });
    await cm.initialize();
    const client = OPCUAClient.create({ endpointMustExist: false, connectionStrategy: { maxRetry: 0 }, clientCertificateManager: cm });
    try {
      await client.connect(url);
      const eps = (await client.getEndpoints()).filter((e) => e.userIdentityTokens && e.userIdentityTokens.length > 0);
      expect(new Set(eps.map((e) => MessageSecurityMode[e.securityMode]))).toEqual(new Set(['SignAndEncrypt']));
      expect(new Set(eps.map((e) => e.securityPolicyUri!.split('#')[1]))).toEqual(
        new Set(['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']),
      );
      expect(eps.flatMap((e) => e.userIdentityTokens!).some((t) => t.tokenType === UserTokenType.Anonymous)).toBe(false);
    } finally {
      await client.disconnect();
      await cm.dispose();
    }
  });

  it(
    'rejects an unknown client certificate until it is moved to trusted/',
    async () => {
      const clientPki = join(tmp, 'client-untrusted');
      const secure = { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256, user: userToken(), pki: clientPki };
      await expect(withSession(url, async () => 0, secure)).rejects.toThrow();
      const rejected = join(pkiDir, 'rejected');
      expect(readdirSync(rejected).length).toBeGreaterThan(0);
      // trust it the way an operator would: move the file
      for (const f of readdirSync(rejected)) renameSync(join(rejected, f), join(pkiDir, 'trusted', 'certs', f));
      // the server notices the move through its folder watcher: on a busy machine that can take a while
      let value: unknown;
      const until = Date.now() + scaled(90_000);
      while (value === undefined && Date.now() < until) {
        value = await withSession(
          url,
          async (s) => (await s.read({ nodeId: 'ns=0;i=2259', attributeId: AttributeIds.Value })).value.value,
          secure,
        ).catch(() => undefined);
        if (value === undefined) await new Promise((r) => setTimeout(r, 200));
      }
      expect(value).toBe(0); // ServerState Running
      expect(existsSync(join(pkiDir, 'own', 'certs', 'certificate.pem'))).toBe(true);
    },
    scaled(180_000),
  );

  it('refuses an anonymous session', async () => {
    const secure = { mode: MessageSecurityMode.SignAndEncrypt, policy: SecurityPolicy.Basic256Sha256, pki: join(tmp, 'client-untrusted') };
    await expect(withSession(url, async () => 0, secure)).rejects.toThrow(
      /BadIdentityTokenInvalid|BadIdentityTokenRejected|BadUserAccessDenied|anonymous/i,
    );
  });
});
