import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { connectMqttClient } from './connect.js';
import { endClient } from './json-publisher.js';
import { encodeSparkplug, sparkplugTopic, decodeSparkplug, type SparkplugMetricInput, type SparkplugType } from './sparkplug-codec.js';

/**
 * A Sparkplug B edge node with devices (Sparkplug 3.0 behaviour of an edge node):
 * - the MQTT will is NDEATH carrying bdSeq; NBIRTH carries the same bdSeq; bdSeq goes up by one
 *   for every new MQTT session (wrapping at 256);
 * - NBIRTH (seq 0), then one DBIRTH per device, declare every metric with its name, alias,
 *   type and engUnit property; NDATA/DDATA then carry aliases only;
 * - seq counts every NBIRTH/DBIRTH/NDATA/DDATA of the node, 0-255, wrapping;
 * - an NCMD "Node Control/Rebirth" = true makes the node publish its births again (same bdSeq);
 * - a clean stop publishes NDEATH itself before disconnecting.
 */

export interface SparkplugMetricDef {
  name: string;
  type: SparkplugType;
  unit?: string;
  read(): number | boolean | string;
}

export interface SparkplugDeviceDef {
  id: string;
  metrics: SparkplugMetricDef[];
}

export interface EdgeNodeOptions {
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  groupId: string;
  edgeNodeId: string;
  nodeMetrics: SparkplugMetricDef[];
  devices: SparkplugDeviceDef[];
  /** NDATA/DDATA period */
  intervalMs: number;
  /** the timestamp of payloads and metrics (the plant's clock), ms */
  now: () => number;
  /** first bdSeq (default 0) */
  bdSeq?: number;
}

export interface RunningEdgeNode {
  readonly groupId: string;
  readonly edgeNodeId: string;
  /** bdSeq of the current MQTT session */
  bdSeq(): number;
  /** seq of the last message published */
  seq(): number;
  /** births published (NBIRTH count), to observe rebirths */
  births(): number;
  stop(): Promise<void>;
}

const REBIRTH = 'Node Control/Rebirth';

export async function startEdgeNode(options: EdgeNodeOptions): Promise<RunningEdgeNode> {
  const { groupId, edgeNodeId } = options;
  let bdSeq = (options.bdSeq ?? 0) % 256;
  let seq = -1;
  let births = 0;
  let stopping = false;
  // no data before the births of the current session
  let born = false;
  const nextSeq = () => (seq = (seq + 1) % 256);

  // Aliases are unique across the whole edge node (node metrics first, then devices in order).
  let alias = 1;
  const nodeAliases = options.nodeMetrics.map(() => alias++);
  const deviceAliases = options.devices.map((d) => d.metrics.map(() => alias++));

  const deathPayload = () => encodeSparkplug({ timestamp: options.now(), metrics: [{ name: 'bdSeq', type: 'UInt64', value: bdSeq }] });
  const clientOptions: IClientOptions = {
    clientId: options.clientId ?? `iiot-sim-sparkplug-${randomBytes(4).toString('hex')}`,
    ...(options.username === undefined ? {} : { username: options.username }),
    ...(options.password === undefined ? {} : { password: options.password }),
    reconnectPeriod: 1000,
    clean: true,
    will: { topic: sparkplugTopic(groupId, 'NDEATH', edgeNodeId), payload: deathPayload(), qos: 1, retain: false },
  };
  // mqtt.js reconnects by itself here (reconnectPeriod); every attempt bounded by iiot's deadline
  const client: MqttClient = await connectMqttClient(options.url, clientOptions, 5000);
  client.on('error', () => {});

  const withUnit = (def: SparkplugMetricDef): Pick<SparkplugMetricInput, 'properties'> =>
    def.unit === undefined ? {} : { properties: { engUnit: { type: 'String', value: def.unit } } };

  const publishBirths = () => {
    const t = options.now();
    seq = -1;
    births++;
    born = true;
    const nbirth = encodeSparkplug({
      timestamp: t,
      seq: nextSeq(),
      metrics: [
        { name: 'bdSeq', type: 'UInt64', value: bdSeq, timestamp: t },
        { name: REBIRTH, type: 'Boolean', value: false, timestamp: t },
        ...options.nodeMetrics.map((m, i) => ({
          name: m.name,
          alias: nodeAliases[i]!,
          type: m.type,
          value: m.read(),
          timestamp: t,
          ...withUnit(m),
        })),
      ],
    });
    client.publish(sparkplugTopic(groupId, 'NBIRTH', edgeNodeId), nbirth, { qos: 0, retain: false });
    options.devices.forEach((d, di) => {
      const dbirth = encodeSparkplug({
        timestamp: t,
        seq: nextSeq(),
        metrics: d.metrics.map((m, i) => ({
          name: m.name,
          alias: deviceAliases[di]![i]!,
          type: m.type,
          value: m.read(),
          timestamp: t,
          ...withUnit(m),
        })),
      });
      client.publish(sparkplugTopic(groupId, 'DBIRTH', edgeNodeId, d.id), dbirth, { qos: 0, retain: false });
    });
  };

  const publishData = () => {
    if (!client.connected || stopping || !born) return;
    const t = options.now();
    if (options.nodeMetrics.length > 0) {
      const ndata = encodeSparkplug({
        timestamp: t,
        seq: nextSeq(),
        metrics: options.nodeMetrics.map((m, i) => ({ alias: nodeAliases[i]!, type: m.type, value: m.read(), timestamp: t })),
      });
      client.publish(sparkplugTopic(groupId, 'NDATA', edgeNodeId), ndata, { qos: 0 });
    }
    options.devices.forEach((d, di) => {
      const ddata = encodeSparkplug({
        timestamp: t,
        seq: nextSeq(),
        metrics: d.metrics.map((m, i) => ({ alias: deviceAliases[di]![i]!, type: m.type, value: m.read(), timestamp: t })),
      });
      client.publish(sparkplugTopic(groupId, 'DDATA', edgeNodeId, d.id), ddata, { qos: 0 });
    });
  };

  const ncmd = sparkplugTopic(groupId, 'NCMD', edgeNodeId);
  client.on('message', (topic, payload) => {
    if (topic !== ncmd) return;
    let rebirth = false;
    try {
      rebirth = decodeSparkplug(payload).metrics.some((m) => m.name === REBIRTH && m.value === true);
    } catch {
      return; // a malformed command is ignored, as a real edge node would
    }
    if (rebirth) publishBirths();
  });
  // Every (re)connection is a new session: births first, then data. The will of the next session
  // must carry the next bdSeq, so it is rewritten when this one closes.
  const onConnect = () => {
    client.subscribe(ncmd, { qos: 0 }, () => publishBirths());
  };
  client.on('connect', onConnect);
  client.on('close', () => {
    born = false;
    if (stopping) return;
    bdSeq = (bdSeq + 1) % 256;
    if (client.options.will) client.options.will.payload = deathPayload();
  });
  onConnect();

  const timer = setInterval(publishData, options.intervalMs);
  return {
    groupId,
    edgeNodeId,
    bdSeq: () => bdSeq,
    seq: () => seq,
    births: () => births,
    stop: async () => {
      stopping = true;
      clearInterval(timer);
      if (client.connected) {
        await client.publishAsync(sparkplugTopic(groupId, 'NDEATH', edgeNodeId), deathPayload(), { qos: 1, retain: false }).catch(() => {});
      }
      await endClient(client);
    },
  };
}
