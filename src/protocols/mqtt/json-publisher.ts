import type { MqttClient } from 'mqtt';
import { randomBytes } from 'node:crypto';
import { connectMqttClient } from './connect.js';

/**
 * Publishes plain-JSON sensor topics, one topic per signal, on a fixed interval:
 *   <topic>  {"t":"2026-01-05T06:00:00.000Z","v":2.31,"unit":"mm/s"}
 * Retained by default, so a client that subscribes late (or `iiot read mqtt://...`) gets the
 * latest value at once, as with most plant gateways.
 */

export interface JsonItem {
  topic: string;
  unit?: string;
  read(): number | boolean | string;
}

export interface JsonPublisherOptions {
  /** mqtt://host:port */
  url: string;
  username?: string;
  password?: string;
  clientId?: string;
  items: JsonItem[];
  intervalMs: number;
  qos?: 0 | 1;
  retain?: boolean;
  /** the timestamp written into each payload (the plant's clock) */
  now: () => number;
}

export interface RunningPublisher {
  /** messages published so far */
  published(): number;
  stop(): Promise<void>;
}

export async function startJsonPublisher(options: JsonPublisherOptions): Promise<RunningPublisher> {
  // mqtt.js reconnects by itself here (reconnectPeriod); every attempt bounded by iiot's deadline
  const client = await connectMqttClient(
    options.url,
    {
      clientId: options.clientId ?? `iiot-sim-json-${randomBytes(4).toString('hex')}`,
      ...(options.username === undefined ? {} : { username: options.username }),
      ...(options.password === undefined ? {} : { password: options.password }),
      reconnectPeriod: 1000,
    },
    5000,
  );
  // Reconnects are mqtt.js's job; an error event without a listener would crash the process.
  client.on('error', () => {});
  let count = 0;
  const qos = options.qos ?? 0;
  const retain = options.retain ?? true;
  const publishAll = () => {
    if (!client.connected) return;
    const t = new Date(options.now()).toISOString();
    for (const item of options.items) {
      const body = item.unit === undefined ? { t, v: item.read() } : { t, v: item.read(), unit: item.unit };
      client.publish(item.topic, JSON.stringify(body), { qos, retain }, () => {});
      count++;
    }
  };
  publishAll();
  const timer = setInterval(publishAll, options.intervalMs);
  return {
    published: () => count,
    stop: async () => {
      clearInterval(timer);
      await endClient(client);
    },
  };
}

/** Ends a client, waiting for in-flight QoS 1 messages but never forever. */
export async function endClient(client: MqttClient): Promise<void> {
  await Promise.race([client.endAsync(false), new Promise((r) => setTimeout(r, 2000).unref())]);
  if (!client.disconnected) await client.endAsync(true).catch(() => {});
}
