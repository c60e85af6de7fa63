/**
 * `iiot replay --to mqtt`: publishes a capture to a broker, or to an embedded one (aedes) when
 * none is given. Raw lines (recorded with --raw) are published byte-exact with their recorded
 * QoS and retain flag, and the samples decoded from them are not published a second time; other
 * samples go to a topic per tag as a small JSON document ({"t":...,"v":...}) or as the bare value.
 */
import type { MqttClient } from 'mqtt';
import type { CaptureHeader, CaptureRecord, RawLine, SampleLine, TagInfo } from '../../capture/types.js';
import { usageError } from '../../core/errors.js';
import type { ReplaySink } from '../types.js';
import { startBroker, type RunningBroker } from './broker.js';
import { brokerUrl, connectMqttClient, explainMqttError, mqttClientOptions, type MqttConnectOptions } from './connect.js';

export interface MqttSinkOptions {
  /** publish to this broker; absent: an embedded broker on host:port */
  broker?: MqttConnectOptions | undefined;
  host: string;
  port: number;
  /** QoS and retain of published samples (raw lines keep their own) */
  qos: 0 | 1 | 2;
  retain: boolean;
  /** topic of a tag without a recorded topic: <prefix>/<tag name with / for .> */
  topicPrefix: string;
  payload: 'json' | 'value';
  /** sources whose samples are replayed from their raw lines */
  rawSources: ReadonlySet<string>;
  env?: NodeJS.ProcessEnv;
}

export interface MqttReplaySink extends ReplaySink {
  published(): number;
}

export function createMqttSink(o: MqttSinkOptions): MqttReplaySink {
  return new MqttSink(o);
}

/** The topic a sample of this tag is published on. */
export function topicForTag(tag: TagInfo | undefined, name: string, prefix: string): string {
  const mqtt = tag?.mqtt as { topic?: unknown; path?: unknown } | undefined;
  if (mqtt && typeof mqtt.topic === 'string' && mqtt.path === undefined) return mqtt.topic;
  const rel = name.replace(/\./g, '/');
  return prefix === '' ? rel : `${prefix.replace(/\/+$/, '')}/${rel}`;
}

class MqttSink implements MqttReplaySink {
  endpoint = '';
  private broker: RunningBroker | undefined;
  private client: MqttClient | undefined;
  private readonly topics = new Map<string, string>();
  private readonly skip = new Set<string>();
  private count = 0;

  constructor(private readonly o: MqttSinkOptions) {}

  async prepare(_header: CaptureHeader, tags: readonly TagInfo[]): Promise<void> {
    const o = this.o;
    for (const t of tags) {
      if (t.source !== undefined && o.rawSources.has(t.source)) this.skip.add(t.name);
      else this.topics.set(t.name, topicForTag(t, t.name, o.topicPrefix));
    }
    if (o.broker) {
      this.endpoint = o.broker.target.url;
      try {
        this.client = await connectMqttClient(brokerUrl(o.broker.target), mqttClientOptions(o.broker, 'replay', o.env), o.broker.timeoutMs);
      } catch (err) {
        throw explainMqttError(err, this.endpoint, o.broker.user);
      }
    } else {
      this.broker = await startBroker({ host: o.host, port: o.port });
      this.endpoint = this.broker.url;
      // our own broker, in this process: 10 s is only against a bug
      this.client = await connectMqttClient(
        this.broker.url,
        { clientId: `iiot-replay-${process.pid}`, reconnectPeriod: 0, protocolVersion: 4 },
        10_000,
      );
    }
    this.client.on('error', () => undefined);
  }

  private payloadOf(s: SampleLine): string {
    if (this.o.payload === 'value') return typeof s.v === 'string' ? s.v : JSON.stringify(s.v);
    return JSON.stringify(s.q === undefined ? { t: s.t, v: s.v } : { t: s.t, v: s.v, q: s.q });
  }

  apply(records: readonly CaptureRecord[]): Promise<void> {
    const client = this.client;
    if (!client) throw usageError('the MQTT replay is not connected');
    // Messages go out in order; only the last one of the call is waited for.
    let pending: { topic: string; payload: string | Buffer; qos: 0 | 1 | 2; retain: boolean } | undefined;
    const send = (m: NonNullable<typeof pending>, done?: () => void) => {
      this.count++;
      if (done) client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain }, done);
      else client.publish(m.topic, m.payload, { qos: m.qos, retain: m.retain });
    };
    const publish = (topic: string, payload: string | Buffer, qos: 0 | 1 | 2, retain: boolean) => {
      if (pending) send(pending);
      pending = { topic, payload, qos, retain };
    };
    for (const r of records) {
      if ('raw' in r) {
        const raw = r as RawLine;
        if (raw.raw !== 'mqtt') continue;
        publish(
          raw.topic,
          raw.enc === 'base64' ? Buffer.from(raw.payload, 'base64') : Buffer.from(raw.payload, 'utf8'),
          raw.qos ?? 0,
          raw.retain ?? false,
        );
      } else if ('tag' in r) {
        const s = r as SampleLine;
        if (this.skip.has(s.tag)) continue;
        let topic = this.topics.get(s.tag);
        if (topic === undefined) {
          topic = topicForTag(undefined, s.tag, this.o.topicPrefix);
          this.topics.set(s.tag, topic);
        }
        publish(topic, this.payloadOf(s), this.o.qos, this.o.retain);
      }
    }
    // Each call waits until its last message is written (QoS 0) or acknowledged (QoS 1, 2):
    // the replay never runs ahead of the socket.
    const last = pending;
    if (!last) return Promise.resolve();
    return new Promise<void>((resolve) => send(last, () => resolve()));
  }

  published(): number {
    return this.count;
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      await Promise.race([client.endAsync(false), new Promise((r) => setTimeout(r, 3000).unref())]).catch(() => undefined);
      if (!client.disconnected) await client.endAsync(true).catch(() => undefined);
    }
    await this.broker?.stop();
  }
}
