import { mkdirSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import type { ModbusUnit } from '../protocols/modbus/register-image.js';
import type { RunningModbusServer } from '../protocols/modbus/server.js';
import type { RunningBroker } from '../protocols/mqtt/broker.js';
import type { RunningPublisher } from '../protocols/mqtt/json-publisher.js';
import type { RunningEdgeNode, SparkplugMetricDef, SparkplugDeviceDef } from '../protocols/mqtt/sparkplug-edge-node.js';
import type { SparkplugType } from '../protocols/mqtt/sparkplug-codec.js';
import type { NodesetName, OpcUaLimits, RunningOpcUaServer } from '../protocols/opcua/plant-server.js';
import type { SecurityProfileName } from '../protocols/opcua/server-security.js';
import { makeClock, type PlantClock } from './clock.js';
import { feederUnit, meterUnit, plcUnit, type Setpoints } from './modbus-units.js';
import { PlantModel } from './model.js';
import { PLANT_FOLDER_ID, PLANT_NAMESPACE_URI, plantAddressSpace } from './opcua-space.js';
import { loadPlantFile } from './plant-file.js';
import type { PlantConfig } from './plant-schema.js';
import { PLANT_ASSET, type SignalDataType, type SignalInfo } from './signals.js';

/**
 * The simulated plant, in-process: one model driving an OPC UA server, a Modbus TCP server (and
 * optionally Modbus RTU on a serial line) and an MQTT broker with JSON and Sparkplug B publishers.
 * Used by `iiot sim`, `iiot demo`, and every test and benchmark that needs a plant.
 *
 *   const plant = await startPlant({ opcua: { port: 0 }, modbus: { port: 0 }, mqtt: { port: 0 } });
 *   plant.endpoints.opcua  // opc.tcp://127.0.0.1:40123
 *   await plant.stop();
 */

export interface OpcUaPlantOptions {
  /** default 0 (a free port); `iiot sim` uses 4840 */
  port?: number;
  /** security profile (docs/sim.md); default "default" */
  profile?: SecurityProfileName;
  /** username/password identities (never from argv: `iiot sim` reads the password from the environment or a file) */
  users?: ReadonlyArray<{ username: string; password: string }>;
  /** the server's PKI folder; default <tmpdir>/iiot-sim-<uid>/pki-<profile>-<host> (defaultPkiDir) */
  pkiDir?: string;
  /** accept any client certificate; default false (unknown certificates land in <pkiDir>/rejected) */
  autoAcceptClientCertificates?: boolean;
  limits?: OpcUaLimits;
  /** synthetic variables under Objects/Synthetic (crawler tests, benchmarks) */
  extraNodes?: number;
  /** companion specifications; default standard, DI, IA, Machinery */
  nodesets?: NodesetName[];
  /** model time of history before the start (default 1 h, 0 for none) and its spacing (10 s) */
  historyBackfillMs?: number;
  historyStepMs?: number;
  /**
   * Serve this NodeSet2 file's address space (a twin, `iiot browse --all --nodeset2`) instead of
   * the plant's: the plant's signals drive the variables that carry their node ids, every other
   * numeric data variable gets simulated values (twin-signals.ts), the rest keep the file's values.
   */
  nodeset?: string;
}

export interface ModbusPlantOptions {
  /** default 0 (a free port); `iiot sim` uses 5020 (502 needs privileges) */
  port?: number;
  /** unit ids of the three devices; default meter 1, compressor feeder 2, PLC 3 */
  units?: { meter?: number; feeder?: number; plc?: number };
  /** unconfigured unit ids: exception 0x0B (default) or no answer */
  unknownUnit?: 'gateway-exception' | 'ignore';
}

export interface RtuPlantOptions {
  /** serial device (a socat pty in tests) */
  path: string;
  baudRate?: number;
  parity?: 'none' | 'even' | 'odd';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  /** unit id of the meter on the line; default 1 */
  unitId?: number;
  /** which device answers on the line: the SDM630 (default) or the PLC map */
  device?: 'meter' | 'plc';
}

export interface MqttPlantOptions {
  /** default 0 (a free port); `iiot sim` uses 1883 */
  port?: number;
  /** require this username and password on the embedded broker */
  auth?: { username: string; password: string };
  /** publish to this broker instead of embedding one (mqtt://host:port) */
  brokerUrl?: string;
  /** credentials for brokerUrl */
  brokerAuth?: { username: string; password: string };
  /** plain JSON topics <prefix>/<asset>/<signal>; default true, prefix "plant" */
  json?: boolean;
  topicPrefix?: string;
  /** the Sparkplug B edge node; default true, group "IIoT", node "SimPlant" */
  sparkplug?: boolean;
  groupId?: string;
  edgeNodeId?: string;
  qos?: 0 | 1;
  /** the embedded broker leaves Nagle's algorithm on (reproduces an unpatched broker's ~40 ms QoS 1 stall) */
  nagle?: boolean;
}

export interface PlantOptions {
  /** a validated model or the path of a plant file; default fixtures/plants/default.yaml */
  plant?: PlantConfig | string;
  seed?: number;
  /** model time at start (ms since 1970); default now */
  start?: number;
  /**
   * How long the plant has already been running at `start` (ms): the model's epoch, from which
   * counters and the bearing degradation count, is start − age. Default 0. With an age of 25 days
   * the default plant's pump is a day from failure, with real-time timestamps.
   */
  age?: number;
  /** model seconds per wall second; default 1 */
  timeScale?: number;
  /** address of every server; default 127.0.0.1 */
  host?: string;
  /** false leaves a server out */
  opcua?: OpcUaPlantOptions | false;
  modbus?: ModbusPlantOptions | false;
  mqtt?: MqttPlantOptions | false;
  /** Modbus RTU on a serial line: only when given */
  rtu?: RtuPlantOptions;
  /** how often values are pushed to OPC UA and published to MQTT (wall time); default 1000 ms */
  updateIntervalMs?: number;
  /** diagnostics (node-opcua warnings, reconnects); default dropped */
  log?: (line: string) => void;
  /** signals stuck at their value at start (a frozen transmitter, for acceptance tests) */
  frozen?: readonly string[];
}

export interface PlantEndpoints {
  opcua?: string;
  modbus?: string;
  mqtt?: string;
  rtu?: string;
}

/** One signal and where each protocol serves it. */
export interface PlantTag {
  name: string;
  asset: string;
  dataType: SignalDataType;
  unit?: string;
  range?: readonly [number, number];
  description: string;
  opcua?: string;
  mqtt?: string;
  sparkplug?: string;
}

export interface RunningPlant {
  readonly endpoints: PlantEndpoints;
  readonly model: PlantModel;
  readonly clock: PlantClock;
  readonly host: string;
  readonly opcua?: {
    namespaceUri: string;
    namespaceIndex: number;
    /** --nodeset: the file served, and how many of its variables the plant model drives or the simulation moves */
    twin?: { file: string; driven: number; simulated: number; moved: string[] };
    profile: SecurityProfileName;
    certificateFile: string;
    pkiDir: string;
    nodeCount: number;
    /** "ns=<index>;s=<tag>" */
    nodeId(tag: string): string;
  };
  readonly modbus?: { units: Array<{ unitId: number; map: string; description: string }> };
  readonly mqtt?: { topicPrefix?: string; sparkplug?: { groupId: string; edgeNodeId: string; devices: string[] }; auth: boolean };
  readonly tags: PlantTag[];
  /** wall-clock milliseconds each part took to start */
  readonly startupMs: { total: number; opcua?: number; modbus?: number; mqtt?: number; rtu?: number };
  /** values written by clients (OPC UA setpoint, Modbus holding registers and coils) */
  readonly setpoints: ReadonlyMap<string, number | boolean | string>;
  stop(): Promise<void>;
}

const SPARKPLUG_TYPES: Record<SignalDataType, SparkplugType> = { float64: 'Double', bool: 'Boolean', uint32: 'UInt32' };

export async function startPlant(options: PlantOptions = {}): Promise<RunningPlant> {
  const t0 = performance.now();
  const config = typeof options.plant === 'object' ? options.plant : loadPlantFile(options.plant);
  const wallNow = Date.now();
  const start = options.start ?? wallNow;
  const model = new PlantModel(config, {
    ...(options.seed === undefined ? {} : { seed: options.seed }),
    start: start - (options.age ?? 0),
    ...(options.frozen?.length ? { frozen: { ids: options.frozen, at: start } } : {}),
  });
  const clock = makeClock(start, options.timeScale ?? 1);
  const host = options.host ?? '127.0.0.1';
  const log = options.log ?? (() => {});
  const interval = options.updateIntervalMs ?? 1000;
  const setpoints: Setpoints = { values: new Map<string, number | boolean | string>([['line_enable', true]]) };
  const parts: PlantParts = { model, clock, host, log, interval, setpoints, stops: [], timers: [] };

  const endpoints: PlantEndpoints = {};
  const startupMs: RunningPlant['startupMs'] = { total: 0 };
  const stopAll = async () => {
    for (const t of parts.timers) clearInterval(t);
    // Publishers before the broker, servers in reverse order of starting.
    for (const stop of parts.stops.reverse()) await stop().catch((err: unknown) => log(`stop: ${(err as Error).message}`));
  };

  let opcuaInfo: RunningPlant['opcua'];
  let modbusInfo: RunningPlant['modbus'];
  let mqttInfo: RunningPlant['mqtt'];
  try {
    if (options.opcua !== false) {
      const ts = performance.now();
      const opcua = await startOpcUa(options.opcua ?? {}, parts);
      endpoints.opcua = opcua.endpoint;
      opcuaInfo = opcua.info;
      startupMs.opcua = performance.now() - ts;
    }
    if (options.modbus !== false) {
      const ts = performance.now();
      const modbus = await startModbus(options.modbus ?? {}, parts);
      endpoints.modbus = modbus.endpoint;
      modbusInfo = modbus.info;
      startupMs.modbus = performance.now() - ts;
    }
    if (options.rtu) {
      const ts = performance.now();
      endpoints.rtu = await startRtu(options.rtu, parts);
      startupMs.rtu = performance.now() - ts;
    }
    if (options.mqtt !== false) {
      const ts = performance.now();
      const mqtt = await startMqtt(options.mqtt ?? {}, parts);
      endpoints.mqtt = mqtt.endpoint;
      mqttInfo = mqtt.info;
      startupMs.mqtt = performance.now() - ts;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  startupMs.total = performance.now() - t0;
  let stopped: Promise<void> | undefined;
  return {
    endpoints,
    model,
    clock,
    host,
    ...(opcuaInfo ? { opcua: opcuaInfo } : {}),
    ...(modbusInfo ? { modbus: modbusInfo } : {}),
    ...(mqttInfo ? { mqtt: mqttInfo } : {}),
    tags: plantTags(model, opcuaInfo, mqttInfo),
    startupMs,
    setpoints: setpoints.values,
    stop: () => (stopped ??= stopAll()),
  };
}

/** What every part of the plant starts from, and where it leaves what must be stopped. */
interface PlantParts {
  model: PlantModel;
  clock: PlantClock;
  host: string;
  log: (line: string) => void;
  /** how often values are pushed and published (wall time) */
  interval: number;
  setpoints: Setpoints;
  /** stopped in reverse order */
  stops: Array<() => Promise<void>>;
  timers: NodeJS.Timeout[];
}

/** The OPC UA server of the plant's address space, its values pushed every interval; or the twin of a NodeSet2 file. */
async function startOpcUa(o: OpcUaPlantOptions, p: PlantParts): Promise<{ endpoint: string; info: NonNullable<RunningPlant['opcua']> }> {
  const { model, clock, host, log, interval, setpoints } = p;
  if (o.nodeset !== undefined) {
    const twin = await startTwin(o, o.nodeset, model, clock, host, interval, log, p.timers);
    p.stops.push(() => twin.stop());
    return { endpoint: twin.endpointUrl, info: twin.info };
  }
  const { startOpcUaServer } = await import('../protocols/opcua/plant-server.js');
  const { securityProfile } = await import('../protocols/opcua/server-security.js');
  const profile = o.profile ?? 'default';
  const space = plantAddressSpace(model, {
    now: clock.now(),
    backfillMs: o.historyBackfillMs ?? 3_600_000,
    backfillStepMs: o.historyStepMs ?? 10_000,
    setpoints,
  });
  const server: RunningOpcUaServer = await startOpcUaServer({
    host,
    port: o.port ?? 0,
    namespaceUri: PLANT_NAMESPACE_URI,
    applicationUri: `urn:iiot:sim:${host}`,
    applicationName: `iiot simulated plant (${host})`,
    objects: space.objects,
    variables: space.variables,
    security: securityProfile(profile),
    pkiDir: o.pkiDir ?? defaultPkiDir(profile, host),
    autoAcceptClientCertificates: o.autoAcceptClientCertificates ?? false,
    users: o.users ?? [],
    ...(o.limits === undefined ? {} : { limits: o.limits }),
    ...(o.nodesets === undefined ? {} : { nodesets: o.nodesets }),
    ...(o.extraNodes === undefined ? {} : { extraNodes: o.extraNodes }),
    log,
  });
  p.stops.push(() => server.stop());
  const ids = model.signals.map((s) => s.id);
  p.timers.push(
    setInterval(() => {
      const t = clock.now();
      const ts = new Date(t);
      try {
        for (const id of ids) server.set(id, model.value(id, t), ts);
      } catch (err) {
        // a timer callback must not take the whole plant down; say it and carry on
        log(`OPC UA update: ${(err as Error).message}`);
      }
    }, interval),
  );
  return {
    endpoint: server.endpointUrl,
    info: {
      namespaceUri: server.namespaceUri,
      namespaceIndex: server.namespaceIndex,
      profile,
      certificateFile: server.certificateFile,
      pkiDir: server.pkiDir,
      nodeCount: server.nodeCount(),
      nodeId: server.nodeId,
    },
  };
}

/** The Modbus TCP server: the meter, the feeder and the PLC, each at its unit id. */
async function startModbus(o: ModbusPlantOptions, p: PlantParts): Promise<{ endpoint: string; info: NonNullable<RunningPlant['modbus']> }> {
  const { startModbusTcpServer } = await import('../protocols/modbus/server.js');
  const units = plantUnits(p.model, p.clock, p.setpoints, o.units ?? {});
  const server = await startModbusTcpServer({ host: p.host, port: o.port ?? 0, units, unknownUnit: o.unknownUnit ?? 'gateway-exception' });
  p.stops.push(() => server.stop());
  return {
    endpoint: server.url,
    info: { units: units.map((u) => ({ unitId: u.unitId, map: u.map.name, description: u.map.description ?? u.map.name })) },
  };
}

/** A Modbus RTU device (the meter or the PLC) on a serial line; returns its URL. */
async function startRtu(r: RtuPlantOptions, p: PlantParts): Promise<string> {
  const { startModbusRtuServer } = await import('../protocols/modbus/server.js');
  const unitId = r.unitId ?? 1;
  const unit: ModbusUnit = r.device === 'plc' ? plcUnit(p.model, p.clock, p.setpoints, unitId) : meterUnit(p.model, p.clock, unitId);
  const server: RunningModbusServer = await startModbusRtuServer({
    path: r.path,
    baudRate: r.baudRate ?? 9600,
    parity: r.parity ?? 'none',
    dataBits: r.dataBits ?? 8,
    stopBits: r.stopBits ?? 1,
    unit,
  });
  p.stops.push(() => server.stop());
  return server.url;
}

/** An embedded broker (or the one given), the JSON publisher and the Sparkplug B edge node. */
async function startMqtt(o: MqttPlantOptions, p: PlantParts): Promise<{ endpoint: string; info: NonNullable<RunningPlant['mqtt']> }> {
  const { model, clock, host, interval } = p;
  let url = o.brokerUrl;
  let creds = o.brokerAuth;
  if (!url) {
    const { startBroker } = await import('../protocols/mqtt/broker.js');
    const broker: RunningBroker = await startBroker({
      host,
      port: o.port ?? 0,
      ...(o.auth ? { auth: o.auth } : {}),
      ...(o.nagle ? { nagle: true } : {}),
    });
    p.stops.push(() => broker.stop());
    url = broker.url;
    creds = o.auth;
  }
  const auth = creds ? { username: creds.username, password: creds.password } : {};
  const prefix = o.topicPrefix ?? 'plant';
  if (o.json !== false) {
    const { startJsonPublisher } = await import('../protocols/mqtt/json-publisher.js');
    const publisher: RunningPublisher = await startJsonPublisher({
      url,
      ...auth,
      items: model.signals.map((s) => ({
        topic: jsonTopic(prefix, s),
        ...(s.unit === undefined ? {} : { unit: s.unit }),
        read: () => model.value(s.id, clock.now()),
      })),
      intervalMs: interval,
      qos: o.qos ?? 0,
      now: clock.now,
    });
    p.stops.push(() => publisher.stop());
  }
  let sparkplug: { groupId: string; edgeNodeId: string; devices: string[] } | undefined;
  if (o.sparkplug !== false) {
    const { startEdgeNode } = await import('../protocols/mqtt/sparkplug-edge-node.js');
    const metric = (s: SignalInfo): SparkplugMetricDef => ({
      name: s.signal,
      type: SPARKPLUG_TYPES[s.dataType],
      ...(s.unit === undefined ? {} : { unit: s.unit }),
      read: () => model.value(s.id, clock.now()),
    });
    const devices: SparkplugDeviceDef[] = model.config.assets.map((a) => ({
      id: a.id,
      metrics: model.signals.filter((s) => s.asset === a.id).map(metric),
    }));
    const node: RunningEdgeNode = await startEdgeNode({
      url,
      ...auth,
      groupId: o.groupId ?? 'IIoT',
      edgeNodeId: o.edgeNodeId ?? 'SimPlant',
      nodeMetrics: model.signals.filter((s) => s.asset === PLANT_ASSET).map(metric),
      devices,
      intervalMs: interval,
      now: clock.now,
    });
    p.stops.push(() => node.stop());
    sparkplug = { groupId: node.groupId, edgeNodeId: node.edgeNodeId, devices: devices.map((d) => d.id) };
  }
  return {
    endpoint: url,
    info: { ...(o.json === false ? {} : { topicPrefix: prefix }), ...(sparkplug ? { sparkplug } : {}), auth: creds !== undefined },
  };
}

/** Every signal, and where each protocol serves it. */
function plantTags(model: PlantModel, opcuaInfo: RunningPlant['opcua'], mqttInfo: RunningPlant['mqtt']): PlantTag[] {
  return model.signals.map(
    (s): PlantTag => ({
      name: s.id,
      asset: s.asset,
      dataType: s.dataType,
      ...(s.unit === undefined ? {} : { unit: s.unit }),
      ...(s.range === undefined ? {} : { range: s.range }),
      description: s.description,
      ...(opcuaInfo && opcuaInfo.nodeId(s.id) !== '' ? { opcua: opcuaInfo.nodeId(s.id) } : {}),
      ...(mqttInfo?.topicPrefix ? { mqtt: jsonTopic(mqttInfo.topicPrefix, s) } : {}),
      ...(mqttInfo?.sparkplug ? { sparkplug: sparkplugMetricPath(mqttInfo.sparkplug.groupId, mqttInfo.sparkplug.edgeNodeId, s) } : {}),
    }),
  );
}

/** `iiot sim --nodeset`: the twin of a NodeSet2 file, moved by the plant model and the simulation. */
async function startTwin(
  o: OpcUaPlantOptions,
  file: string,
  model: PlantModel,
  clock: PlantClock,
  host: string,
  interval: number,
  log: (line: string) => void,
  timers: NodeJS.Timeout[],
): Promise<{ endpointUrl: string; info: NonNullable<RunningPlant['opcua']>; stop(): Promise<void> }> {
  const { startTwinServer, twinKey } = await import('../protocols/opcua/nodeset2/twin-server.js');
  const { securityProfile } = await import('../protocols/opcua/server-security.js');
  const { simulatedShapes, simulatedValue } = await import('./twin-signals.js');
  const profile = o.profile ?? 'default';
  const twin = await startTwinServer({
    nodesetFile: file,
    host,
    port: o.port ?? 0,
    security: securityProfile(profile),
    users: o.users ?? [],
    pkiDir: o.pkiDir ?? defaultPkiDir(profile, host),
    autoAcceptClientCertificates: o.autoAcceptClientCertificates ?? false,
    limits: o.limits,
    log,
  });
  // A twin of the plant itself: the model drives the variables with the plant's node ids.
  const driven = model.signals
    .map((sig) => ({ id: sig.id, key: twinKey(PLANT_NAMESPACE_URI, `s=${sig.id}`) }))
    .filter((d) => twin.variables.has(d.key));
  const drivenKeys = new Set(driven.map((d) => d.key));
  const shapes = simulatedShapes([...twin.variables.entries()].filter(([k]) => !drivenKeys.has(k)).map(([key, v]) => ({ key, ...v })));
  const tick = () => {
    const t = clock.now();
    const ts = new Date(t);
    try {
      for (const d of driven) twin.set(d.key, model.value(d.id, t), undefined, ts);
      for (const [key, shape] of shapes) twin.set(key, simulatedValue(shape, twin.variables.get(key)!.type, t, model.seed), undefined, ts);
    } catch (err) {
      log(`OPC UA twin update: ${(err as Error).message}`);
    }
  };
  tick();
  timers.push(setInterval(tick, interval));
  const plantIndex = twin.namespaceArray.indexOf(PLANT_NAMESPACE_URI);
  return {
    endpointUrl: twin.endpointUrl,
    stop: () => twin.stop(),
    info: {
      namespaceUri: plantIndex >= 0 ? PLANT_NAMESPACE_URI : (twin.header.models[0]?.uri ?? ''),
      namespaceIndex: plantIndex >= 0 ? plantIndex : twin.namespaceArray.indexOf(twin.header.models[0]?.uri ?? ''),
      twin: { file, driven: driven.length, simulated: shapes.size, moved: twin.moved },
      profile,
      certificateFile: twin.certificateFile,
      pkiDir: twin.pkiDir,
      nodeCount: twin.nodeCount(),
      nodeId: (tag) => (drivenKeys.has(twinKey(PLANT_NAMESPACE_URI, `s=${tag}`)) ? `ns=${plantIndex};s=${tag}` : ''),
    },
  };
}

/**
 * The server's certificate store when none is given: per user, profile and address, under the
 * temp directory, so a restarted plant keeps its certificate (clients that trusted it keep
 * working) and several plants on 127.0.0.2, 127.0.0.3... each have their own. Only its owner may
 * read it (it holds a private key).
 */
export function defaultPkiDir(profile: string, host: string): string {
  let uid = 'user';
  try {
    uid = String(userInfo().uid);
  } catch {
    // no passwd entry (some containers): one shared name is fine
  }
  const base = join(tmpdir(), `iiot-sim-${uid}`);
  mkdirSync(base, { recursive: true, mode: 0o700 });
  return join(base, `pki-${profile}-${host}`);
}

function plantUnits(
  model: PlantModel,
  clock: PlantClock,
  setpoints: Setpoints,
  ids: { meter?: number; feeder?: number; plc?: number },
): ModbusUnit[] {
  const compressor = model.config.assets.find((a) => a.kind === 'compressor');
  return [
    meterUnit(model, clock, ids.meter ?? 1),
    ...(compressor ? [feederUnit(model, clock, compressor.id, ids.feeder ?? 2)] : []),
    plcUnit(model, clock, setpoints, ids.plc ?? 3),
  ];
}

/** plant/<asset>/<signal> */
export function jsonTopic(prefix: string, s: Pick<SignalInfo, 'asset' | 'signal'>): string {
  return `${prefix}/${s.asset}/${s.signal}`;
}

/** "spBv1.0/<group>/<node>[/<device>]:<metric>": where a Sparkplug host finds the signal */
function sparkplugMetricPath(group: string, node: string, s: SignalInfo): string {
  return s.asset === PLANT_ASSET ? `spBv1.0/${group}/${node}:${s.signal}` : `spBv1.0/${group}/${node}/${s.asset}:${s.signal}`;
}

export { PLANT_FOLDER_ID, PLANT_NAMESPACE_URI };
