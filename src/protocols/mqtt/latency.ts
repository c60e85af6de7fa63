/**
 * MQTT latency: publish-to-receive through the broker at QoS 0, 1 or 2, on one connection that is
 * both publisher and subscriber of a private topic (`iiot/latency/<random client id>`), so nobody
 * else receives what we publish and nothing of the plant's is touched. Per sample:
 *   ms        PUBLISH written -> the same message delivered back to us;
 *   ackMs     QoS 1: PUBLISH -> PUBACK; QoS 2: PUBLISH -> PUBCOMP (the whole 4-packet handshake).
 * The next sample starts when both have arrived (or the timeout passed), so samples never overlap.
 * With publisher and subscriber on one connection the broker writes two small packets to the same
 * socket per QoS 1 message (the PUBLISH to the subscriber and the PUBACK to the publisher): a
 * broker that leaves Nagle's algorithm on holds the second until our delayed ACK, about 40 ms on
 * Linux. The check reports that distribution instead of hiding it (docs/latency.md).
 */
import { withDeadline } from '../../core/deadline.js';
import type { MqttTarget } from '../../core/targets.js';
import type { LatencyProbe } from '../types.js';
import { connectMqtt, type MqttProbeConnection, type MqttProbeOptions } from './probe-client.js';

export interface MqttLatencyOptions extends MqttProbeOptions {
  qos: 0 | 1 | 2;
  /** payload size in bytes (at least the sequence number) */
  payloadBytes?: number | undefined;
}

export class MqttSampleTimeout extends Error {
  constructor(what: string) {
    super(what);
    this.name = 'MqttSampleTimeout';
  }
}

export function mqttLatencyProbe(target: MqttTarget, o: MqttLatencyOptions): LatencyProbe {
  let conn: MqttProbeConnection | undefined;
  let topic = '';
  let seq = 0;
  let waiting: { seq: number; resolve: (t: number) => void } | undefined;
  return {
    async open() {
      conn = await connectMqtt(target, { ...o, clientIdPrefix: 'iiot-latency' });
      topic = `iiot/latency/${conn.clientId}`;
      conn.client.on('message', (t: string, payload: Buffer) => {
        const now = performance.now();
        if (t !== topic || !waiting) return;
        const n = Number(payload.subarray(0, 12).toString('latin1').trim());
        // a late copy of an earlier sample that timed out: not this one
        if (n !== waiting.seq) return;
        const w = waiting;
        waiting = undefined;
        w.resolve(now);
      });
      const t0 = performance.now();
      await conn.client.subscribeAsync(topic, { qos: o.qos });
      const subackMs = performance.now() - t0;
      return {
        tcpConnectMs: conn.tcpConnectMs,
        setupMs: conn.connackMs,
        details: { topic, qos: o.qos, subackMs, ...(conn.tlsHandshakeMs === undefined ? {} : { tlsHandshakeMs: conn.tlsHandshakeMs }) },
      };
    },
    async roundTrip() {
      const c = conn!;
      const lost = c.lost();
      if (lost !== undefined) throw new Error(lost);
      const n = ++seq;
      const payload = Buffer.alloc(Math.max(12, o.payloadBytes ?? 12), 0x20);
      payload.write(String(n), 'latin1');
      const received = new Promise<number>((resolve) => {
        waiting = { seq: n, resolve };
      });
      const t0 = performance.now();
      const acked = o.qos === 0 ? Promise.resolve(t0) : c.client.publishAsync(topic, payload, { qos: o.qos }).then(() => performance.now());
      if (o.qos === 0) c.client.publish(topic, payload, { qos: 0 });
      // from the publish on; time iiot was busy is not the broker's (src/core/deadline.ts)
      const [tReceived, tAcked] = await withDeadline(
        Promise.all([received, acked]),
        o.timeoutMs,
        () => (waiting = undefined),
        () => new MqttSampleTimeout(`no ${o.qos === 0 ? 'message' : 'message and acknowledgement'} within the timeout`),
      );
      return { ms: tReceived - t0, ...(o.qos === 0 ? {} : { details: { ackMs: tAcked - t0 } }) };
    },
    async close() {
      const c = conn;
      conn = undefined;
      if (!c) return;
      if (c.lost() === undefined) await c.client.unsubscribeAsync(topic).catch(() => undefined);
      await c.close();
    },
  };
}
