/**
 * mDNS (multicast DNS, RFC 6762/6763) browsing for OPC UA servers on the local segment, the way
 * an LDS-ME finds them (OPC UA Part 12): one PTR query for _opcua-tcp._tcp.local, then the SRV
 * (host, port), TXT (path=, caps=) and A/AAAA records of each instance that answers. Only when the
 * user asks (--mdns): it is a multicast, so it reaches every host on the segment, not only the
 * targets named. Nothing here contacts the servers it learns about.
 * multicast-dns comes with node-opcua (its LDS uses it); loaded lazily.
 */
import type { Answer } from 'dns-packet';
import { listenWindow } from '../../core/deadline.js';

export const OPCUA_SERVICE = '_opcua-tcp._tcp.local';

export interface MdnsServer {
  /** the service instance name ("PLC1 [host]") */
  instance: string;
  host: string;
  port: number;
  /** from an A/AAAA record, when one came */
  address?: string;
  /** from TXT path=, "" when none */
  path: string;
  /** from TXT caps= (LDS, DA, HD, ...) */
  capabilities: string[];
  /** opc.tcp://address-or-host:port/path */
  url: string;
}

export interface MdnsBrowseOptions {
  durationMs: number;
  signal?: AbortSignal;
  /** where the query goes: default the mDNS group 224.0.0.251:5353 (tests use a unicast loopback address) */
  ip?: string;
  port?: number;
  /** the local address to bind */
  bind?: string;
  multicast?: boolean;
}

export interface MdnsBrowseResult {
  servers: MdnsServer[];
  /** why nothing could be sent or received (no multicast route, port 5353 not available...) */
  error?: string;
}

function txtStrings(data: unknown): string[] {
  const items = Array.isArray(data) ? data : [data];
  return items.map((d) => (Buffer.isBuffer(d) ? d.toString('utf8') : String(d)));
}

/** Folds the records of any number of responses into servers (pure, for tests). */
export function serversFromRecords(records: readonly Answer[]): MdnsServer[] {
  const instances = new Set<string>();
  const srv = new Map<string, { target: string; port: number }>();
  const txt = new Map<string, string[]>();
  const addr = new Map<string, string>();
  for (const r of records) {
    const name = r.name.toLowerCase();
    if (r.type === 'PTR' && name === OPCUA_SERVICE) instances.add(String(r.data));
    else if (r.type === 'SRV') {
      const d = r.data as { target: string; port: number };
      srv.set(name, { target: d.target, port: d.port });
      if (name.endsWith(`.${OPCUA_SERVICE}`)) instances.add(r.name);
    } else if (r.type === 'TXT') txt.set(name, txtStrings(r.data));
    else if ((r.type === 'A' || r.type === 'AAAA') && !addr.has(name)) addr.set(name, String(r.data));
  }
  const out: MdnsServer[] = [];
  for (const instance of instances) {
    const key = instance.toLowerCase();
    const s = srv.get(key);
    if (!s) continue;
    const kv = new Map((txt.get(key) ?? []).map((t) => [t.split('=')[0]!.toLowerCase(), t.slice(t.indexOf('=') + 1)] as const));
    const rawPath = kv.get('path') ?? '';
    const path = rawPath === '' || rawPath === '/' ? '' : rawPath.startsWith('/') ? rawPath : `/${rawPath}`;
    const address = addr.get(s.target.toLowerCase());
    const host = address ?? s.target.replace(/\.$/, '');
    out.push({
      instance: instance.endsWith(`.${OPCUA_SERVICE}`) ? instance.slice(0, -OPCUA_SERVICE.length - 1) : instance,
      host: s.target.replace(/\.$/, ''),
      port: s.port,
      ...(address ? { address } : {}),
      path,
      capabilities: (kv.get('caps') ?? '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean),
      url: `opc.tcp://${host.includes(':') ? `[${host}]` : host}:${s.port}${path}`,
    });
  }
  return out.sort((a, b) => a.url.localeCompare(b.url));
}

/** Sends one query and collects answers for `durationMs`. */
export async function browseOpcUaMdns(options: MdnsBrowseOptions): Promise<MdnsBrowseResult> {
  const { default: makeMdns } = await import('multicast-dns');
  const records: Answer[] = [];
  let error: string | undefined;
  const mdns = makeMdns({
    ...(options.ip === undefined ? {} : { ip: options.ip }),
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.bind === undefined ? {} : { bind: options.bind, interface: options.bind }),
    ...(options.multicast === false ? { multicast: false } : {}),
  });
  mdns.on('response', (packet) => {
    records.push(...(packet.answers ?? []), ...(packet.additionals ?? []));
  });
  mdns.on('error', (err: Error) => (error ??= err.message));
  mdns.on('warning', (err: Error) => (error ??= err.message));
  try {
    await new Promise<void>((resolve) => {
      mdns.query({ questions: [{ name: OPCUA_SERVICE, type: 'PTR' }] }, (err: Error | null) => {
        if (err) error ??= err.message;
        resolve();
      });
    });
    // answers that came while iiot was busy are read before the window closes (src/core/deadline.ts)
    await listenWindow(options.durationMs, options.signal);
  } finally {
    await new Promise<void>((resolve) => mdns.destroy(() => resolve()));
  }
  const servers = serversFromRecords(records);
  return { servers, ...(error !== undefined && servers.length === 0 ? { error } : {}) };
}
