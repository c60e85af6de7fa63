/**
 * What the MQTT security check learns about a broker, passively, one connection at a time:
 *   - for mqtts://, the TLS handshake (version, cipher, certificate chain, trust, host name);
 *   - whether an anonymous CONNECT is accepted (connect, then disconnect at once);
 *   - opt-in: whether `$SYS/#` and `#` may be subscribed, counting distinct topics for a few
 *     seconds. Payloads are never kept (only their count and up to five topic names as evidence).
 * Nothing is ever published. The judgement is in src/checks/security.
 */
import { listenWindow } from '../../core/deadline.js';
import type { MqttTarget } from '../../core/targets.js';
import { openTls } from '../tcp/connect.js';
import { describeTls, type TlsInfo } from '../tcp/tls-info.js';
import { ConnackRefused, connectMqtt, type MqttProbeConnection } from './probe-client.js';

export interface MqttAuditOptions {
  timeoutMs: number;
  ca?: Buffer | undefined;
  /** credentials to use for the opt-in subscriptions when anonymous access is refused */
  username?: string | undefined;
  password?: string | undefined;
  /** opt-in: subscribe to $SYS/# */
  sys: boolean;
  /** opt-in: subscribe to # */
  wildcard: boolean;
  /** how long to count topics (ms) */
  listenMs: number;
  pace: () => Promise<void>;
  onPacket?: ((name: string, detail: Record<string, unknown>) => void) | undefined;
}

export interface SubscriptionProbe {
  filter: string;
  /** the broker granted the subscription (SUBACK not 0x80) */
  granted: boolean;
  /** distinct topics received while listening */
  topics: number;
  messages: number;
  examples: string[];
  listenedMs: number;
  /** which identity subscribed */
  as: 'anonymous' | 'user';
}

export interface MqttAuditFacts {
  tls?: TlsInfo | undefined;
  connectMs: number;
  anonymous: { accepted: true } | { accepted: false; returnCode: number; reason: string };
  /** the given credentials were accepted (only when --user was given) */
  user?: { accepted: boolean; reason?: string | undefined } | undefined;
  subscriptions: SubscriptionProbe[];
}

async function listen(conn: MqttProbeConnection, filter: string, ms: number, as: SubscriptionProbe['as']): Promise<SubscriptionProbe> {
  const topics = new Set<string>();
  let messages = 0;
  const onMessage = (topic: string) => {
    messages++;
    topics.add(topic);
  };
  conn.client.on('message', onMessage);
  const granted = await conn.client.subscribeAsync(filter, { qos: 0 }).then(
    (g) => g.length > 0 && g.every((x) => x.qos !== 128),
    () => false,
  );
  const t0 = performance.now();
  // messages that came while iiot was busy are counted before the window closes (src/core/deadline.ts)
  if (granted) await listenWindow(ms);
  conn.client.removeListener('message', onMessage);
  if (granted && conn.lost() === undefined) await conn.client.unsubscribeAsync(filter).catch(() => undefined);
  return {
    filter,
    granted,
    topics: topics.size,
    messages,
    examples: [...topics].sort().slice(0, 5),
    listenedMs: performance.now() - t0,
    as,
  };
}

export async function auditMqtt(target: MqttTarget, o: MqttAuditOptions): Promise<MqttAuditFacts> {
  const common = { timeoutMs: o.timeoutMs, ca: o.ca, onPacket: o.onPacket, clientIdPrefix: 'iiot-check' };
  await o.pace();
  let anon: MqttProbeConnection | undefined;
  let facts: MqttAuditFacts;
  try {
    anon = await connectMqtt(target, common);
    facts = {
      connectMs: anon.tcpConnectMs,
      ...(anon.tls ? { tls: describeTls(anon.tls.socket, target.host, anon.tls.authorizationError, anon.tlsHandshakeMs) } : {}),
      anonymous: { accepted: true },
      subscriptions: [],
    };
  } catch (err) {
    // Only a CONNACK with a refusal code proves an MQTT broker that refuses anonymous clients. A
    // connection closed without CONNACK may be a broker refusing rudely or no broker at all: the
    // target is then not assessed (the caller says why), never counted as "authentication required".
    if (!(err instanceof ConnackRefused)) throw err;
    // Refused: the TLS facts are still wanted, and connectMqtt closed the socket with the
    // refusal, so a second look, TLS handshake only, without MQTT.
    facts = {
      connectMs: 0,
      anonymous: { accepted: false, returnCode: err.returnCode, reason: err.message },
      subscriptions: [],
    };
    if (target.tls) {
      await o.pace();
      o.onPacket?.('TCP connect + TLS handshake', {
        host: target.host,
        port: target.port,
        note: 'TLS only, no MQTT: to inspect the certificate',
      });
      const t = await openTls(target.host, target.port, o.timeoutMs, o.ca ? { ca: o.ca } : {});
      facts.tls = describeTls(t.socket, target.host, t.authorizationError, t.handshakeMs);
      facts.connectMs = t.connectMs;
      t.socket.destroy();
    }
  }
  let subscriber = anon;
  let as: SubscriptionProbe['as'] = 'anonymous';
  try {
    if ((o.sys || o.wildcard || o.username !== undefined) && !facts.anonymous.accepted && o.username !== undefined) {
      await o.pace();
      try {
        subscriber = await connectMqtt(target, { ...common, username: o.username, password: o.password });
        facts.user = { accepted: true };
        as = 'user';
      } catch (err) {
        if (!(err instanceof ConnackRefused)) throw err;
        facts.user = { accepted: false, reason: err.message };
      }
    }
    if (subscriber) {
      if (o.sys) {
        await o.pace();
        facts.subscriptions.push(await listen(subscriber, '$SYS/#', o.listenMs, as));
      }
      if (o.wildcard) {
        await o.pace();
        facts.subscriptions.push(await listen(subscriber, '#', o.listenMs, as));
      }
    }
  } finally {
    await anon?.close();
    if (subscriber && subscriber !== anon) await subscriber.close();
  }
  return facts;
}
