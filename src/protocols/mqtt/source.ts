/**
 * Recording from an MQTT broker: topic filters, payload decoders (decoders.ts), byte-exact raw
 * lines with --raw, and reconnection with backoff (mqtt.js's own reconnect runs at a fixed
 * period; ours grows and jitters, and resubscribes itself). Every message the broker delivers is
 * handed to the capture writer before mqtt.js acknowledges it (QoS 1 and 2).
 */
import { isUtf8 } from 'node:buffer';
import type { IClientOptions, ISubscriptionGrant, MqttClient } from 'mqtt';
import type { RawLine, SourceInfo, TagInfo } from '../../capture/types.js';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { Backoff } from '../reconnect.js';
import { Outages, type RecorderSource, type SourceHooks } from '../source-base.js';
import type { SampleSink } from '../types.js';
import { brokerUrl, connectMqttClient, explainMqttError, mqttClientOptions, type MqttConnectOptions } from './connect.js';
import {
  decodeAuto,
  decodeJson,
  decodeNumber,
  decodeText,
  parseJsonPath,
  SparkplugHost,
  topicMatches,
  type DecodeResult,
  type DecoderName,
  type JsonPath,
} from './decoders.js';
import { describeTopicNaming, topicRoot, topicTagName } from './tag-names.js';

export interface MqttSourceOptions {
  id: string;
  connect: MqttConnectOptions;
  /** topic filters; default ["#"] */
  topics: string[];
  decoder: DecoderName;
  /** JSON paths, optionally per topic filter ("plant/+/temp=$.v") */
  jsonPaths: Array<{ filter?: string | undefined; path: string }>;
  /** keep every payload byte-exact as a raw line */
  raw: boolean;
  qos: 0 | 1 | 2;
  /** put before every tag name ("mqtt-2."): several brokers of an inventory recorded together */
  tagPrefix?: string | undefined;
  reconnectMaxMs: number;
  env?: NodeJS.ProcessEnv;
}

export function createMqttSource(o: MqttSourceOptions, hooks: SourceHooks): RecorderSource {
  return new MqttSource(o, hooks);
}

const SPARKPLUG = /^spBv1\.0\//;

class MqttSource implements RecorderSource {
  readonly info: SourceInfo;
  readonly tags: TagInfo[] = [];
  private client: MqttClient | undefined;
  private clientOptions: IClientOptions | undefined;
  private sink: SampleSink | undefined;
  private readonly outages: Outages;
  private readonly backoff: Backoff;
  private readonly paths: Array<{ filter?: string | undefined; path: JsonPath }>;
  private readonly host = new SparkplugHost();
  /** the topic levels stripped from every tag name (tag-names.ts), decided from the filters */
  private readonly root: string[];
  /** signal (topic and JSON field, Sparkplug address) -> its tag name, granted once */
  private readonly granted = new Map<string, string>();
  /** per topic: its tag name and JSON path, and the names of its JSON fields (topics repeat; filters need matching once) */
  private readonly routes = new Map<string, { base: string; path: JsonPath | undefined; names: Map<string, string> }>();
  private readonly warned = new Set<string>();
  private stopping = false;
  private timer: NodeJS.Timeout | undefined;
  private everConnected = false;
  private counters = { messages: 0, bytes: 0, samples: 0, decodeErrors: 0, reconnects: 0 };
  private readonly url: string;

  constructor(
    private readonly o: MqttSourceOptions,
    private readonly hooks: SourceHooks,
  ) {
    this.url = o.connect.target.url;
    this.root = topicRoot(o.topics, { sparkplug: o.decoder === 'auto' || o.decoder === 'sparkplug' });
    this.info = {
      id: o.id,
      protocol: 'mqtt',
      endpoint: this.url,
      options: {
        topics: o.topics,
        decoder: o.decoder,
        ...(o.jsonPaths.length ? { jsonPaths: o.jsonPaths.map((p) => (p.filter ? `${p.filter}=${p.path}` : p.path)) } : {}),
        raw: o.raw,
        qos: o.qos,
        // how tags are named: the topic below tagRoot/, after tagPrefix (docs/recording.md)
        tagRoot: this.root.join('/'),
        ...(o.tagPrefix ? { tagPrefix: o.tagPrefix } : {}),
        ...(o.connect.user === undefined ? {} : { user: o.connect.user }),
      },
    };
    this.outages = new Outages(o.id, () => this.sink, hooks);
    this.backoff = new Backoff({ maxMs: o.reconnectMaxMs });
    this.paths = o.jsonPaths.map((p) => ({ filter: p.filter, path: parseJsonPath(p.path) }));
  }

  async prepare(): Promise<void> {
    this.clientOptions = mqttClientOptions(this.o.connect, 'record', this.o.env);
    this.hooks.state('connecting');
    let client: MqttClient;
    try {
      client = await connectMqttClient(brokerUrl(this.o.connect.target), this.clientOptions, this.o.connect.timeoutMs);
    } catch (err) {
      throw explainMqttError(err, this.url, this.o.connect.user);
    }
    this.client = client;
    this.everConnected = true;
    client.on('error', (err) => this.hooks.debug(`${this.o.id}: ${err.message}`));
    client.on('close', () => this.onClose());
    client.on('connect', () => void this.onReconnect());
    client.on('message', (topic, payload, packet) => this.onMessage(topic, payload, packet.qos, packet.retain));
    this.hooks.state('connected', this.url);
  }

  private filters(): string[] {
    const topics = this.o.topics.length ? this.o.topics : ['#'];
    // Births retained by a Sparkplug Aware broker teach the aliases of nodes born before we came.
    const certificates =
      this.o.decoder === 'auto' || this.o.decoder === 'sparkplug'
        ? topics.filter((f) => SPARKPLUG.test(f) || f === '#').map((f) => `$sparkplug/certificates/${f === '#' ? 'spBv1.0/#' : f}`)
        : [];
    return [...topics, ...certificates];
  }

  private async subscribe(): Promise<void> {
    const client = this.client!;
    const filters = this.filters();
    const granted: ISubscriptionGrant[] = await client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: this.o.qos }])));
    const refused = granted.filter((g) => g.qos === 128 && !g.topic.startsWith('$sparkplug/'));
    if (refused.length > 0) {
      throw new IiotError(ExitCode.Unreachable, `${this.url} refused the subscription to ${refused.map((g) => g.topic).join(', ')}`, {
        hint: "the broker's access control does not allow this user to read these topics",
      });
    }
  }

  async start(sink: SampleSink): Promise<void> {
    this.sink = sink;
    try {
      await this.subscribe();
    } catch (err) {
      if (err instanceof IiotError) throw err;
      throw explainMqttError(err, this.url, this.o.connect.user);
    }
    // after the broker granted the subscription: messages may come before this line (retained ones)
    sink.event('start', Date.now(), {
      source: this.o.id,
      message: `subscribed to ${this.o.topics.join(', ') || '#'} at QoS ${this.o.qos}; ${describeTopicNaming(this.root)}${this.o.tagPrefix ? `, after ${this.o.tagPrefix}` : ''}`,
    });
  }

  private onClose(): void {
    if (this.stopping || !this.everConnected) return;
    this.outages.down(`${this.url} closed the connection`);
    this.hooks.state('disconnected');
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.stopping) return;
      this.hooks.debug(`${this.o.id}: reconnecting (attempt ${this.backoff.attempts})`);
      this.client?.reconnect();
    }, this.backoff.next());
  }

  private async onReconnect(): Promise<void> {
    if (this.stopping || !this.outages.isDown) return;
    const attempts = this.backoff.attempts;
    this.backoff.reset();
    this.counters.reconnects++;
    // the gap ends with the connection; what the new subscription brings comes after it in the file
    this.outages.up(`reconnected to ${this.url} after ${attempts} attempt${attempts === 1 ? '' : 's'}`);
    try {
      await this.subscribe();
    } catch (err) {
      this.hooks.warn(`${this.o.id}: ${(err as Error).message}`);
    }
  }

  private warnOnce(key: string, text: string): void {
    if (this.warned.has(key)) return;
    this.warned.add(key);
    this.hooks.warn(text);
  }

  private onMessage(topic: string, payload: Buffer, qos: 0 | 1 | 2, retain: boolean): void {
    const sink = this.sink;
    if (!sink || this.stopping) return;
    const arrival = Date.now();
    this.counters.messages++;
    this.counters.bytes += payload.length;
    this.outages.data(arrival);
    const certificate = topic.startsWith('$sparkplug/certificates/');
    if (this.o.raw && !certificate) {
      const utf8 = isUtf8(payload);
      const line: RawLine = {
        t: new Date(arrival).toISOString(),
        raw: 'mqtt',
        source: this.o.id,
        topic,
        payload: utf8 ? payload.toString('utf8') : payload.toString('base64'),
        enc: utf8 ? 'utf8' : 'base64',
        qos,
        retain,
      };
      sink.write(line);
    }
    if (this.o.decoder === 'none') return;
    if (certificate || (SPARKPLUG.test(topic) && (this.o.decoder === 'auto' || this.o.decoder === 'sparkplug'))) {
      this.sparkplug(topic, payload, arrival);
      return;
    }
    if (this.o.decoder === 'sparkplug') {
      this.warnOnce(`sp:${topic}`, `${topic}: not a Sparkplug B topic (decoder sparkplug); its messages are not decoded`);
      return;
    }
    let route = this.routes.get(topic);
    if (!route) {
      route = {
        base: `${this.o.tagPrefix ?? ''}${topicTagName(this.root, topic)}`,
        path: this.paths.find((p) => p.filter === undefined || topicMatches(p.filter, topic))?.path,
        names: new Map(),
      };
      if (this.routes.size < 100_000) this.routes.set(topic, route);
    }
    const { base, path } = route;
    let r: DecodeResult;
    switch (this.o.decoder) {
      case 'json':
        r = decodeJson(payload, path);
        break;
      case 'number':
        r = decodeNumber(payload);
        break;
      case 'text':
        r = decodeText(payload);
        break;
      default:
        r = decodeAuto(payload, path);
    }
    if (!r.ok) {
      this.counters.decodeErrors++;
      this.hooks.tagError(route.names.get('') ?? base, r.error);
      this.warnOnce(
        `dec:${topic}`,
        `${topic}: ${r.error} (decoder ${this.o.decoder}${path ? `, path ${path.text}` : ''})${this.o.raw ? '' : '; add --raw to keep such payloads byte-exact'}`,
      );
      return;
    }
    const fresh: TagInfo[] = [];
    const names: string[] = [];
    for (const d of r.values) {
      let name = route.names.get(d.key);
      if (name === undefined) {
        // topic#field: no topic name contains # (MQTT 3.1.1 §4.7.1), so this names one signal
        const signal = d.key === '' ? topic : `${topic}#${d.key}`;
        name = this.granted.get(signal);
        if (name === undefined) {
          name = this.hooks.tagName({
            name: d.key === '' ? base : `${base}.${d.key}`,
            signal,
            fallback: `${this.o.tagPrefix ?? ''}${signal}`,
          });
          this.granted.set(signal, name);
          const tag: TagInfo = {
            name,
            source: this.o.id,
            address: topic,
            dataType: dataTypeOf(d.value),
            ...(d.unit === undefined ? {} : { unit: d.unit }),
            mqtt: { topic, ...(path ? { path: path.text } : d.key !== '' ? { path: `$.${d.key}` } : {}), decoder: this.o.decoder },
          };
          this.tags.push(tag);
          fresh.push(tag);
        }
        if (route.names.size < 1000) route.names.set(d.key, name);
      }
      names.push(name);
    }
    // tags first seen in this message: one config event, before their first samples
    if (fresh.length) sink.addTags(fresh, arrival);
    r.values.forEach((d, i) => {
      this.counters.samples++;
      sink.sample(names[i]!, d.t ?? arrival, d.value);
    });
  }

  private sparkplug(topic: string, payload: Buffer, arrival: number): void {
    const sink = this.sink!;
    const out = this.host.handle(topic, payload, arrival);
    if (out.error) {
      this.counters.decodeErrors++;
      this.warnOnce(`sp:${topic}`, `${topic}: ${out.error}`);
      return;
    }
    for (const w of out.warnings) this.warnOnce(w, w);
    for (const e of out.events) sink.event(e.kind, arrival, { source: this.o.id, ...e.fields });
    const fresh: TagInfo[] = [];
    const prefix = this.o.tagPrefix ?? '';
    // a metric is its address (group, node, device, metric name): the dotted tag name alone could
    // be two metrics (a node metric "d1.temp" and device d1's "temp")
    const names = out.samples.map((s) => {
      const signal = s.tag.address;
      let name = this.granted.get(signal);
      if (name === undefined) {
        name = this.hooks.tagName({ name: `${prefix}${s.tag.name}`, signal, fallback: `${prefix}${signal}` });
        this.granted.set(signal, name);
        const { address, dataType, unit, range, sparkplugType, alias, info } = s.tag;
        const tag: TagInfo = {
          name,
          source: this.o.id,
          address,
          ...(dataType === undefined ? {} : { dataType }),
          ...(unit === undefined ? {} : { unit }),
          ...(range === undefined ? {} : { range }),
          sparkplug: { type: sparkplugType, ...(alias === undefined ? {} : { alias }), ...info },
        };
        this.tags.push(tag);
        fresh.push(tag);
      }
      return name;
    });
    if (fresh.length) sink.addTags(fresh, arrival);
    out.samples.forEach((s, i) => {
      this.counters.samples++;
      sink.sample(names[i]!, s.t, s.value, s.q === undefined ? undefined : { q: s.q });
    });
  }

  stats(): Record<string, number> {
    return { ...this.counters, sparkplugSeqErrors: this.host.seqErrors, outages: this.outages.outages };
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    const client = this.client;
    this.client = undefined;
    if (client) {
      // QoS 1/2 acknowledgements in flight go out before the disconnect; never wait forever
      await Promise.race([client.endAsync(false), new Promise((r) => setTimeout(r, 2000).unref())]).catch(() => undefined);
      if (!client.disconnected) await client.endAsync(true).catch(() => undefined);
    }
    this.sink = undefined;
    this.hooks.state('stopped');
  }
}

function dataTypeOf(v: unknown): string {
  if (typeof v === 'number') return 'number';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'string') return 'string';
  return 'json';
}
