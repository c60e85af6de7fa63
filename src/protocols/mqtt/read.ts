/**
 * Reading from a broker on demand (`iiot read mqtt://...`): subscribe, take what the broker holds
 * retained (or the first message within the timeout), decode it as the recorder does
 * (decoders.ts), and leave. Sparkplug B metrics are read by name: a host application's view of
 * one edge node (SparkplugHost), learnt from its birth (live, or retained by a Sparkplug Aware
 * broker) and its data messages. iiot writes nothing, except one NCMD rebirth request when the
 * user asks for it (--rebirth).
 */
import type { ISubscriptionGrant, MqttClient } from 'mqtt';
import { globToRegExp } from '../../capture/tag-match.js';
import type { SampleValue } from '../../capture/types.js';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { brokerUrl, connectMqttClient, explainMqttError, mqttClientOptions, type MqttConnectOptions } from './connect.js';
import {
  decodeAuto,
  decodeJson,
  decodeNumber,
  decodeText,
  parseJsonPath,
  parseSparkplugTopic,
  SparkplugHost,
  topicMatches,
  type DecodeResult,
  type DecoderName,
} from './decoders.js';
import { withDeadline } from '../opcua/deadline.js';
import { endClient } from './json-publisher.js';
import { decodeSparkplug } from './sparkplug-codec.js';
import { rebirthPayload, rebirthTopic } from './sparkplug-rebirth.js';

/** How the wait for messages ended. */
export type ReadEnd = 'done' | 'timeout' | 'duration' | 'interrupted' | { lost: string };

interface WaitOptions {
  /** the wait ends by itself when this is true */
  done?: () => boolean;
  /** performance.now() by which the wait ends ('timeout' or 'duration') */
  deadline?: number | undefined;
  deadlineIs: 'timeout' | 'duration';
  signal: AbortSignal;
  lost: () => string | undefined;
}

/** Lets the socket's pending data in before a decision is made on the clock (setImmediate runs after I/O). */
const afterIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * Waits, checking every 25 ms. A deadline counts only once pending I/O was handled: if iiot
 * itself was busy, the messages that arrived meanwhile are looked at before "timeout" is said.
 */
async function waitUntil(o: WaitOptions): Promise<ReadEnd> {
  for (;;) {
    if (o.signal.aborted) return 'interrupted';
    const lost = o.lost();
    if (lost !== undefined) return { lost };
    if (o.done?.()) return 'done';
    if (o.deadline !== undefined && performance.now() >= o.deadline) {
      await afterIo();
      if (o.done?.()) return 'done';
      return o.deadlineIs;
    }
    const left = o.deadline === undefined ? 25 : Math.max(1, Math.min(25, o.deadline - performance.now()));
    await new Promise<void>((resolve) => {
      const timer = setTimeout(finish, left);
      function finish() {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', finish);
        resolve();
      }
      o.signal.addEventListener('abort', finish, { once: true });
    });
  }
}

interface Subscriber {
  client: MqttClient;
  /** performance.now() when the broker granted the subscription */
  subscribedAt: number;
  /** how long the broker took to grant it (ms): how fast it answers right now */
  subackMs: number;
  lost(): string | undefined;
  close(): Promise<void>;
}

/** Connects and subscribes, each bounded by the timeout; mqtt.js is loaded before any timer runs. */
async function subscribe(
  connect: MqttConnectOptions,
  filters: string[],
  optional: (filter: string) => boolean,
  env: NodeJS.ProcessEnv,
  onMessage: (topic: string, payload: Buffer, retain: boolean) => void,
): Promise<Subscriber> {
  const options = mqttClientOptions(connect, 'read', env);
  let client: MqttClient;
  try {
    client = await connectMqttClient(brokerUrl(connect.target), options, connect.timeoutMs);
  } catch (err) {
    throw explainMqttError(err, connect.target.url, connect.user);
  }
  let lost: string | undefined;
  let closing = false;
  client.on('error', () => undefined);
  client.on('close', () => {
    if (!closing) lost ??= `${connect.target.url} closed the connection`;
  });
  client.on('message', (topic, payload, packet) => onMessage(topic, payload, packet.retain));
  const close = async () => {
    closing = true;
    await endClient(client).catch(() => undefined);
  };
  const sent = performance.now();
  try {
    const granted = await withDeadline(
      client.subscribeAsync(Object.fromEntries(filters.map((f) => [f, { qos: 1 as const }]))),
      connect.timeoutMs,
      () => undefined,
      `${connect.target.url} did not grant the subscription within`,
    );
    const refused = (granted as ISubscriptionGrant[]).filter((g) => g.qos === 128 && !optional(g.topic));
    if (refused.length > 0) {
      throw new IiotError(
        ExitCode.Unreachable,
        `${connect.target.url} refused the subscription to ${refused.map((g) => g.topic).join(', ')}`,
        {
          hint: "the broker's access control does not allow this user to read these topics",
        },
      );
    }
  } catch (err) {
    await close();
    if (err instanceof IiotError) throw err;
    throw explainMqttError(err, connect.target.url, connect.user);
  }
  const subscribedAt = performance.now();
  return { client, subscribedAt, subackMs: subscribedAt - sent, lost: () => lost, close };
}

// ---------------------------------------------------------------------------------------------
// Topics

export interface TopicMessage {
  topic: string;
  /** the filters (as given) this topic matches */
  filters: string[];
  payload: Buffer;
  /** the broker held it retained (sent because we subscribed) */
  retained: boolean;
  /** ms since 1970 */
  receivedAt: number;
  decoded: DecodeResult;
}

export interface TopicReadOptions {
  connect: MqttConnectOptions;
  filters: string[];
  decoder: Exclude<DecoderName, 'sparkplug' | 'none'>;
  jsonPath?: string | undefined;
  /** true: every message until the signal or the duration; false: until each filter has its answer */
  watch: boolean;
  /** after the subscription: how long to wait for a first message */
  timeoutMs: number;
  /**
   * under a wildcard filter, retained messages are over once this long passes without one (at
   * least; four times the broker's SUBACK time when it answers slowly)
   */
  settleMs: number;
  durationMs?: number | undefined;
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onMessage(m: TopicMessage): void;
}

export interface TopicReadResult {
  ended: ReadEnd;
  /** filters on which nothing arrived */
  silent: string[];
  messages: number;
}

export const SETTLE_MS = 500;

function decodeTopic(
  decoder: TopicReadOptions['decoder'],
  topic: string,
  payload: Buffer,
  path: ReturnType<typeof parseJsonPath> | undefined,
): DecodeResult {
  if (parseSparkplugTopic(topic))
    return { ok: false, error: 'a Sparkplug B payload: read its metrics with --sparkplug <group>/<edge node>' };
  switch (decoder) {
    case 'json':
      return decodeJson(payload, path);
    case 'number':
      return decodeNumber(payload);
    case 'text':
      return decodeText(payload);
    default:
      return decodeAuto(payload, path);
  }
}

/**
 * The retained messages under each filter, or the first message published on it within the
 * timeout; with `watch`, every message until stopped. A filter without wildcards has its answer
 * with its first message; under a wildcard, retained messages keep coming after the SUBACK
 * (MQTT has no end marker), so the answer is complete once `settleMs` passes without one.
 * Every message is handed to onMessage as it comes.
 */
export async function readTopics(o: TopicReadOptions): Promise<TopicReadResult> {
  const path = o.jsonPath === undefined ? undefined : parseJsonPath(o.jsonPath);
  const counts = new Map(o.filters.map((f) => [f, 0]));
  const wildcard = (f: string) => f.includes('+') || f.includes('#');
  let lastRetained = 0;
  let messages = 0;
  const sub = await subscribe(
    o.connect,
    o.filters,
    () => false,
    o.env ?? process.env,
    (topic, payload, retain) => {
      const filters = o.filters.filter((f) => topicMatches(f, topic));
      if (filters.length === 0) return;
      messages++;
      for (const f of filters) counts.set(f, counts.get(f)! + 1);
      if (retain) lastRetained = performance.now();
      o.onMessage({
        topic,
        filters,
        payload,
        retained: retain,
        receivedAt: Date.now(),
        decoded: decodeTopic(o.decoder, topic, payload, path),
      });
    },
  );
  try {
    // A broker that is slow to grant is slow to stream what it holds, too.
    const settleMs = Math.max(o.settleMs, 4 * sub.subackMs);
    const settled = () => performance.now() - Math.max(sub.subscribedAt, lastRetained) >= settleMs;
    const ended = await waitUntil({
      signal: o.signal,
      lost: sub.lost,
      ...(o.watch
        ? { deadline: o.durationMs === undefined ? undefined : sub.subscribedAt + o.durationMs, deadlineIs: 'duration' as const }
        : {
            deadline: sub.subscribedAt + o.timeoutMs,
            deadlineIs: 'timeout' as const,
            done: () => o.filters.every((f) => counts.get(f)! > 0 && (!wildcard(f) || settled())),
          }),
    });
    return { ended, silent: o.filters.filter((f) => counts.get(f) === 0), messages };
  } finally {
    await sub.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Sparkplug B

export interface SparkplugReadOptions {
  connect: MqttConnectOptions;
  groupId: string;
  edgeNodeId: string;
  deviceId?: string | undefined;
  /** metric names, `*` wildcards; none: every metric of the birth */
  metrics: string[];
  /** send NCMD Node Control/Rebirth once subscribed (a write: only when the user asked) */
  rebirth: boolean;
  watch: boolean;
  timeoutMs: number;
  durationMs?: number | undefined;
  signal: AbortSignal;
  env?: NodeJS.ProcessEnv;
  onValue(v: SparkplugValue): void;
  onWarning(text: string): void;
}

export interface SparkplugValue {
  metric: string;
  value: SampleValue;
  /** the Sparkplug datatype ("Double", "UInt32") */
  type: string;
  unit?: string | undefined;
  /** quality, when the edge node says it is not good */
  q?: string | undefined;
  /** the metric's timestamp (or the payload's), ms since 1970 */
  timestamp: number;
  /** the message that carried it */
  message: 'NBIRTH' | 'DBIRTH' | 'NDATA' | 'DDATA';
  receivedAt: number;
}

export interface SparkplugReadResult {
  ended: ReadEnd;
  /** where the metric names came from: a birth seen live, the broker's retained copy, or none */
  birth: 'live' | 'certificate' | 'none';
  /** the metrics the birth declared (empty without a birth) */
  declared: string[];
  /** metric patterns that match nothing in the birth */
  unknown: string[];
  /** metrics asked for (or declared, when none were named) that got no value */
  missing: string[];
  rebirthSent: boolean;
  messages: number;
}

/** Metrics a host does not report as values: the birth/death sequence and the node's commands. */
const CONTROL_METRIC = /^(bdSeq$|Node Control\/|Device Control\/)/;

function globMatcher(pattern: string): (name: string) => boolean {
  if (!isPattern(pattern)) return (name) => name === pattern;
  const re = globToRegExp(pattern);
  return (name) => re.test(name);
}

const isPattern = (p: string) => /[*?]/.test(p);

/**
 * The current values of one edge node's (or device's) metrics, by name. Values come from a birth
 * seen live or from data messages, whose aliases the birth (live or retained by a Sparkplug Aware
 * broker) explains; a retained birth's own values are as old as the birth and are not reported.
 */
export async function readSparkplug(o: SparkplugReadOptions): Promise<SparkplugReadResult> {
  const { groupId, edgeNodeId, deviceId } = o;
  const host = new SparkplugHost();
  const values = new Map<string, SparkplugValue>();
  let declared: string[] | undefined;
  let birth: SparkplugReadResult['birth'] = 'none';
  let messages = 0;
  const warned = new Set<string>();
  const warnOnce = (text: string) => {
    if (warned.has(text)) return;
    warned.add(text);
    o.onWarning(text);
  };
  const live = [`spBv1.0/${groupId}/+/${edgeNodeId}`, `spBv1.0/${groupId}/+/${edgeNodeId}/+`];
  const certificates = live.map((f) => `$sparkplug/certificates/${f}`);
  const onMessage = (topic: string, payload: Buffer) => {
    const certificate = topic.startsWith('$sparkplug/certificates/');
    const t = parseSparkplugTopic(certificate ? topic.slice('$sparkplug/certificates/'.length) : topic);
    if (!t || t.group !== groupId || t.node !== edgeNodeId) return;
    messages++;
    const ours = t.device === deviceId;
    const isBirth = t.type === (deviceId === undefined ? 'NBIRTH' : 'DBIRTH');
    if (ours && isBirth && !(certificate && birth === 'live')) {
      try {
        declared = decodeSparkplug(payload)
          .metrics.map((m) => m.name)
          .filter((n): n is string => n !== undefined && !CONTROL_METRIC.test(n));
        birth = certificate ? 'certificate' : 'live';
      } catch {
        // the host below says the payload is damaged
      }
    }
    const arrival = Date.now();
    const out = host.handle(topic, payload, arrival);
    if (out.error) warnOnce(`${topic}: ${out.error}`);
    for (const w of out.warnings) warnOnce(w);
    if (!ours || certificate) return;
    for (const s of out.samples) {
      if (CONTROL_METRIC.test(s.tag.metric)) continue;
      const v: SparkplugValue = {
        metric: s.tag.metric,
        value: s.value,
        type: s.tag.sparkplugType,
        ...(s.tag.unit === undefined ? {} : { unit: s.tag.unit }),
        ...((s as { q?: string }).q === undefined ? {} : { q: (s as { q?: string }).q }),
        timestamp: s.t,
        message: t.type as SparkplugValue['message'],
        receivedAt: arrival,
      };
      values.set(v.metric, v);
      if (wanted(v.metric)) o.onValue(v);
    }
  };
  const matchers = o.metrics.map((p) => ({ pattern: p, match: globMatcher(p) }));
  const wanted = (name: string) => matchers.length === 0 || matchers.some((m) => m.match(name));
  const unknown = () => (declared === undefined ? [] : matchers.filter((m) => !declared!.some(m.match)).map((m) => m.pattern));
  const missing = () => {
    if (declared === undefined)
      return matchers.length ? matchers.filter((m) => isPattern(m.pattern) || !values.has(m.pattern)).map((m) => m.pattern) : [];
    return declared.filter((n) => wanted(n) && !values.has(n));
  };
  // Without a birth, plain names are answered by data messages that carry names; patterns need the birth's list.
  const complete = () => (declared !== undefined || (matchers.length > 0 && !o.metrics.some(isPattern))) && missing().length === 0;

  const sub = await subscribe(
    o.connect,
    [...live, ...certificates],
    (f) => f.startsWith('$sparkplug/'),
    o.env ?? process.env,
    (topic, payload) => {
      try {
        onMessage(topic, payload);
      } catch (err) {
        warnOnce(`${topic}: ${(err as Error).message}`);
      }
    },
  );
  let rebirthSent = false;
  try {
    if (o.rebirth) {
      await sub.client.publishAsync(rebirthTopic(groupId, edgeNodeId), rebirthPayload(), { qos: 0 });
      rebirthSent = true;
    }
    const ended = await waitUntil({
      signal: o.signal,
      lost: sub.lost,
      ...(o.watch
        ? { deadline: o.durationMs === undefined ? undefined : sub.subscribedAt + o.durationMs, deadlineIs: 'duration' as const }
        : { deadline: sub.subscribedAt + o.timeoutMs, deadlineIs: 'timeout' as const, done: complete }),
    });
    return {
      ended,
      birth,
      declared: declared ?? [],
      unknown: unknown(),
      missing: missing().filter((m) => !unknown().includes(m)),
      rebirthSent,
      messages,
    };
  } finally {
    await sub.close();
  }
}
