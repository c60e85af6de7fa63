/**
 * MQTT (and Sparkplug B over it), as the registry (../registry.ts) knows it. Cheap to load: mqtt,
 * aedes and protobufjs are reached only through the `await import` inside a factory.
 */
import type { MqttTarget } from '../../core/targets.js';
import type { DiscoveryFactory } from '../discovery.js';
import type { LatencyFactory, ProtocolEntry, RecordFactory, ReplayFactory, SecurityFactory } from '../protocol.js';
import { mqttCsv, mqttDetails, mqttRows } from './describe.js';
import type { MqttDevice } from './inventory.js';
import type { MqttConnectOptions } from './connect.js';
import type { MqttSourceOptions } from './source.js';

/** A source as `iiot record` parses it; the recorder adds the reconnect ceiling and the environment. */
export type MqttRecordOptions = Omit<MqttSourceOptions, 'reconnectMaxMs' | 'env'>;

/** `iiot replay --to mqtt`: publish to a broker, or to an embedded one on host:port. */
export interface MqttReplaySpec {
  kind: 'mqtt';
  /** an external broker; absent: an embedded one on host:port */
  broker?: MqttConnectOptions | undefined;
  host: string;
  port: number;
  qos: 0 | 1 | 2;
  retain: boolean;
  topicPrefix: string;
  payload: 'json' | 'value';
}

const record: RecordFactory<MqttRecordOptions> = {
  tagsKnownAtStart: false,
  lateTagWord: 'topic name',
  endpoint: (o) => o.connect.target.url,
  async create(options, { io, reconnectMaxMs, hooks }) {
    const { createMqttSource } = await import('./source.js');
    return createMqttSource({ ...options, reconnectMaxMs, env: io.env }, hooks);
  },
};

const replay: ReplayFactory<MqttReplaySpec> = {
  async create(s, { io, rawSources }) {
    const { createMqttSink } = await import('./sink.js');
    return {
      sink: createMqttSink({
        broker: s.broker,
        host: s.host,
        port: s.port,
        qos: s.qos,
        retain: s.retain,
        topicPrefix: s.topicPrefix,
        payload: s.payload,
        rawSources,
        env: io.env,
      }),
      holdsState: false,
    };
  },
};

const latency: LatencyFactory<MqttTarget> = {
  async plans(t, o, { audit, ca, credentials }) {
    const { mqttLatencyProbe } = await import('./latency.js');
    return o.qos.map((qos) => ({
      name: `qos${qos}`,
      label: `publish→receive QoS ${qos}`,
      ackLabel: qos === 1 ? 'PUBACK (QoS 1)' : qos === 2 ? 'PUBCOMP (QoS 2)' : undefined,
      make: async () =>
        mqttLatencyProbe(t, {
          qos,
          timeoutMs: o.timeoutMs,
          ca,
          username: credentials?.username,
          password: credentials?.password,
          onPacket: (name, detail) => audit(name, detail),
        }),
    }));
  },
};

const security: SecurityFactory<MqttTarget> = {
  rules: 'mqtt',
  kinds: ['mqtt'],
  async assess(target, settings, context, result) {
    const { assessMqtt } = await import('./security-check.js');
    return assessMqtt(target, settings, context, result);
  },
};

const discovery: DiscoveryFactory<MqttDevice> = {
  selectors: ['mqtt', 'sparkplug'],
  aliases: ['mqtts'],
  marks: { mqtt: 'MQTT', mqtts: 'MQTT over TLS' },
  defaultPorts: [
    { port: 1883, protocol: 'mqtt' },
    { port: 8883, protocol: 'mqtts' },
  ],
  rank: 2,
  looksLike: /883$/,
  kinds: { mqtt: { one: 'MQTT broker', many: 'MQTT brokers', summary: 'MQTT' } },
  details: mqttDetails,
  csv: mqttCsv,
  rows: mqttRows,
  async scan(context) {
    const { createMqttScan } = await import('./discover.js');
    return createMqttScan(context);
  },
};

export const mqtt = {
  name: 'mqtt',
  title: 'MQTT',
  schemes: [
    { scheme: 'mqtt', kind: 'mqtt', defaultPort: 1883 },
    { scheme: 'mqtts', kind: 'mqtt', defaultPort: 8883 },
  ],
  record,
  replay,
  latency,
  security,
  discovery,
} as const satisfies ProtocolEntry;
