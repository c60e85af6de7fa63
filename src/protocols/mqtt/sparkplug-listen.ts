/**
 * Sparkplug B discovery: subscribe on a broker for a while and list what announces itself.
 * Births (NBIRTH/DBIRTH) carry every metric an edge node and its devices publish; a Sparkplug
 * Aware broker also keeps the last birth and death of every node retained under
 * $sparkplug/certificates/#, so a late listener learns them at once. Nodes seen only through data
 * (their birth was before we came) are listed with what is known; `rebirth` (opt-in: a write)
 * sends them NCMD "Node Control/Rebirth" so they publish their births again.
 * Payloads are decoded for births only and never stored; data messages are only counted.
 */
import { randomBytes } from 'node:crypto';
import type { IClientOptions, MqttClient } from 'mqtt';
import { listenWindow } from '../../core/deadline.js';
import { connectMqttClient } from './connect.js';
import { endClient } from './json-publisher.js';
import { decodeSparkplug, encodeSparkplug, sparkplugTopic, type SparkplugPayload } from './sparkplug-codec.js';

export type SparkplugDeviceSeen = {
  deviceId: string;
  /** null: unknown */
  online: boolean | null;
  /** metrics declared in the DBIRTH; null when no birth was seen */
  metrics: number | null;
  birth: BirthSource;
  dataMessages: number;
  /** DBIRTHs heard that did not decode as Sparkplug B (only when some were) */
  undecodableBirths?: number;
  /** why the first of them did not decode */
  birthError?: string;
};

/** Where the birth came from: live during the listen, the broker's retained certificates, or not seen. */
export type BirthSource = 'live' | 'certificate' | 'not-seen';

export type SparkplugNodeSeen = {
  groupId: string;
  edgeNodeId: string;
  online: boolean | null;
  bdSeq: number | null;
  metrics: number | null;
  birth: BirthSource;
  dataMessages: number;
  /** an NCMD rebirth was sent (only with the explicit flag) */
  rebirthRequested: boolean;
  /** NBIRTHs heard that did not decode as Sparkplug B (only when some were) */
  undecodableBirths?: number;
  /** why the first of them did not decode */
  birthError?: string;
  devices: SparkplugDeviceSeen[];
};

export type SparkplugHostSeen = {
  hostId: string;
  online: boolean | null;
  /** "3.0" (spBv1.0/STATE/<id>) or "2.2" (STATE/<id>) */
  spec: '3.0' | '2.2';
};

export type SparkplugListenResult = {
  listenedMs: number;
  messages: number;
  /** payloads that did not decode as Sparkplug B */
  undecodable: number;
  /** the broker keeps births under $sparkplug/certificates/ (Sparkplug Aware) */
  certificates: boolean;
  groups: Array<{ groupId: string; nodes: SparkplugNodeSeen[] }>;
  hosts: SparkplugHostSeen[];
  /** from $SYS/broker/version, when the broker publishes it */
  brokerVersion?: string;
  rebirthsSent: number;
};

export interface SparkplugListenOptions {
  /** mqtt://host:port or mqtts://host:port */
  url: string;
  listenMs: number;
  rebirth: boolean;
  timeoutMs: number;
  signal: AbortSignal;
  /** waits for a rate-limiter slot before connecting */
  slot(): Promise<void>;
  debug(line: string): void;
}

const REBIRTH = 'Node Control/Rebirth';
const TOPIC = /^spBv1\.0\/([^/]+)\/(NBIRTH|NDEATH|DBIRTH|DDEATH|NDATA|DDATA|NCMD|DCMD)\/([^/]+)(?:\/([^/]+))?$/;

interface NodeState extends SparkplugNodeSeen {
  birthTime: number | undefined;
  deathTime: number | undefined;
  deviceMap: Map<string, SparkplugDeviceSeen & { birthTime: number | undefined; deathTime: number | undefined }>;
}

/** Listens and collects; resolves after listenMs (longer when a rebirth was asked late), or on abort. */
export async function listenSparkplug(options: SparkplugListenOptions): Promise<SparkplugListenResult> {
  await options.slot();
  const clientOptions: IClientOptions = {
    clientId: `iiot-discover-${randomBytes(4).toString('hex')}`,
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: options.timeoutMs,
    protocolVersion: 4,
    // discovery sends nothing secret; the certificate is described by the MQTT probe, not trusted
    rejectUnauthorized: false,
  };
  const client: MqttClient = await connectMqttClient(options.url, clientOptions, options.timeoutMs);
  client.on('error', (err) => options.debug(`sparkplug listen ${options.url}: ${err.message}`));
  const t0 = performance.now();
  const nodes = new Map<string, NodeState>();
  const hosts = new Map<string, SparkplugHostSeen>();
  const out: SparkplugListenResult = {
    listenedMs: 0,
    messages: 0,
    undecodable: 0,
    certificates: false,
    groups: [],
    hosts: [],
    rebirthsSent: 0,
  };
  let endAt = t0 + options.listenMs;

  const nodeOf = (groupId: string, edgeNodeId: string): NodeState => {
    const key = `${groupId}/${edgeNodeId}`;
    let n = nodes.get(key);
    if (!n) {
      n = {
        groupId,
        edgeNodeId,
        online: null,
        bdSeq: null,
        metrics: null,
        birth: 'not-seen',
        dataMessages: 0,
        rebirthRequested: false,
        devices: [],
        birthTime: undefined,
        deathTime: undefined,
        deviceMap: new Map(),
      };
      nodes.set(key, n);
    }
    return n;
  };
  const deviceOf = (n: NodeState, deviceId: string) => {
    let d = n.deviceMap.get(deviceId);
    if (!d) {
      d = { deviceId, online: null, metrics: null, birth: 'not-seen', dataMessages: 0, birthTime: undefined, deathTime: undefined };
      n.deviceMap.set(deviceId, d);
    }
    return d;
  };
  const decode = (payload: Buffer, birthOf?: { undecodableBirths?: number; birthError?: string }): SparkplugPayload | undefined => {
    try {
      return decodeSparkplug(payload);
    } catch (err) {
      out.undecodable++;
      if (birthOf) {
        birthOf.undecodableBirths = (birthOf.undecodableBirths ?? 0) + 1;
        birthOf.birthError ??= (err as Error).message
          .replace(/^not a Sparkplug B payload: /, '')
          .split('\n')[0]!
          .slice(0, 200);
      }
      return undefined;
    }
  };
  const requestRebirth = (n: NodeState) => {
    // a node whose births do not decode would send the same again: asking is a write for nothing
    if (!options.rebirth || n.rebirthRequested || n.birth !== 'not-seen' || n.undecodableBirths) return;
    n.rebirthRequested = true;
    out.rebirthsSent++;
    const payload = encodeSparkplug({ timestamp: Date.now(), metrics: [{ name: REBIRTH, type: 'Boolean', value: true }] });
    client.publish(sparkplugTopic(n.groupId, 'NCMD', n.edgeNodeId), payload, { qos: 0 });
    options.debug(`sparkplug: asked ${n.groupId}/${n.edgeNodeId} to rebirth`);
    // give the births time to come back
    endAt = Math.max(endAt, performance.now() + Math.max(2000, options.timeoutMs));
  };

  const handle = (topic: string, payload: Buffer) => {
    out.messages++;
    if (topic === '$SYS/broker/version') {
      out.brokerVersion = payload.toString('utf8').slice(0, 200);
      return;
    }
    let t = topic;
    let source: BirthSource = 'live';
    if (t.startsWith('$sparkplug/certificates/')) {
      t = t.slice('$sparkplug/certificates/'.length);
      source = 'certificate';
      out.certificates = true;
    }
    const state = /^(?:spBv1\.0\/STATE|STATE)\/([^/]+)$/.exec(t);
    if (state) {
      const text = payload.toString('utf8');
      let online: boolean | null;
      try {
        const j = JSON.parse(text) as { online?: unknown };
        online = typeof j.online === 'boolean' ? j.online : null;
      } catch {
        online = /^ONLINE$/i.test(text.trim()) ? true : /^OFFLINE$/i.test(text.trim()) ? false : null;
      }
      hosts.set(state[1]!, { hostId: state[1]!, online, spec: t.startsWith('spBv1.0/') ? '3.0' : '2.2' });
      return;
    }
    const m = TOPIC.exec(t);
    if (!m) return;
    const [, groupId, type, edgeNodeId, deviceId] = m as unknown as [string, string, string, string, string | undefined];
    const n = nodeOf(groupId, edgeNodeId);
    switch (type) {
      case 'NBIRTH': {
        const p = decode(payload, n);
        if (!p) return;
        const time = p.timestamp ?? 0;
        // a live birth wins over a retained one; among retained ones the newer
        if (source === 'certificate' && n.birth === 'live') return;
        n.birth = source;
        n.birthTime = time;
        n.metrics = p.metrics.length;
        const bd = p.metrics.find((x) => x.name === 'bdSeq');
        if (bd && typeof bd.value === 'number') n.bdSeq = bd.value;
        n.online = source === 'live' || n.deathTime === undefined || time >= n.deathTime;
        return;
      }
      case 'NDEATH': {
        if (source === 'certificate' && n.birth === 'live') return;
        const p = decode(payload);
        const time = p?.timestamp ?? 0;
        n.deathTime = time;
        if (source === 'live' || n.birthTime === undefined || time > n.birthTime) {
          n.online = false;
          for (const d of n.deviceMap.values()) d.online = false;
        }
        return;
      }
      case 'DBIRTH': {
        if (deviceId === undefined) return;
        const d = deviceOf(n, deviceId);
        const p = decode(payload, d);
        if (!p) return;
        if (source === 'certificate' && d.birth === 'live') return;
        d.birth = source;
        d.birthTime = p.timestamp ?? 0;
        d.metrics = p.metrics.length;
        d.online = source === 'live' || d.deathTime === undefined || d.birthTime >= d.deathTime;
        if (source === 'live') n.online = true;
        return;
      }
      case 'DDEATH': {
        if (deviceId === undefined) return;
        const d = deviceOf(n, deviceId);
        if (source === 'certificate' && d.birth === 'live') return;
        const p = decode(payload);
        d.deathTime = p?.timestamp ?? 0;
        if (source === 'live' || d.birthTime === undefined || d.deathTime > d.birthTime) d.online = false;
        return;
      }
      case 'NDATA':
      case 'DDATA': {
        n.dataMessages++;
        n.online = true;
        if (deviceId !== undefined) {
          const d = deviceOf(n, deviceId);
          d.dataMessages++;
          d.online = true;
        }
        requestRebirth(n);
        return;
      }
      default:
        // NCMD/DCMD: commands from a host application; they show the node exists
        return;
    }
  };
  client.on('message', (topic, payload) => {
    try {
      handle(topic, payload);
    } catch (err) {
      options.debug(`sparkplug: ${topic}: ${(err as Error).message}`);
    }
  });

  try {
    await client.subscribeAsync({
      'spBv1.0/#': { qos: 0 },
      '$sparkplug/certificates/#': { qos: 0 },
      'STATE/#': { qos: 0 },
      '$SYS/broker/version': { qos: 0 },
    });
    options.debug(`sparkplug: subscribed on ${options.url}`);
    // listen until the time is up (it moves when a rebirth is asked late), or until interrupted
    while (!options.signal.aborted) {
      const left = endAt - performance.now();
      if (left <= 0) break;
      // each step ends after a turn of the loop: what came while iiot was busy is read in the window
      await listenWindow(Math.min(left, 250), options.signal);
    }
  } finally {
    await endClient(client);
  }
  out.listenedMs = Math.round(performance.now() - t0);
  const groups = new Map<string, SparkplugNodeSeen[]>();
  for (const n of [...nodes.values()].sort((a, b) => a.groupId.localeCompare(b.groupId) || a.edgeNodeId.localeCompare(b.edgeNodeId))) {
    const { birthTime: _b, deathTime: _d, deviceMap, ...node } = n;
    node.devices = [...deviceMap.values()]
      .sort((a, b) => a.deviceId.localeCompare(b.deviceId))
      .map(({ birthTime: _bt, deathTime: _dt, ...d }) => d);
    const list = groups.get(n.groupId) ?? [];
    list.push(node);
    groups.set(n.groupId, list);
  }
  out.groups = [...groups.entries()].map(([groupId, list]) => ({ groupId, nodes: list }));
  out.hosts = [...hosts.values()].sort((a, b) => a.hostId.localeCompare(b.hostId));
  return out;
}
