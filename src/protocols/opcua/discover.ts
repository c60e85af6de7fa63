/**
 * OPC UA's part of `iiot discover`: a Hello and GetEndpoints on each port (probe.ts), the server
 * in the inventory, and the servers it leads to: those registered with a discovery server
 * (FindServers, FindServersOnNetwork) and those announced over mDNS (with --mdns), contacted only
 * when their host was named and their port was not probed already.
 */
import { formatHost, parseTarget, type Target } from '../../core/targets.js';
import type { Ask, ProtocolScan, ScanContext, Via } from '../discovery.js';
import type { ProbeIO } from '../probe-io.js';
import type { MdnsSection, OpcUaDevice } from './inventory.js';
import type { OpcUaProbeResult } from './probe.js';

interface OpcUaAsk extends Ask {
  /** canonical opc.tcp:// URL of the port (with the path of a discovery URL when one was given) */
  url: string;
}

interface Found {
  url: string;
  result: OpcUaProbeResult;
}

const canonical = (url: string) => parseTarget(url).url;
const hostPort = (host: string, port: number) => `${formatHost(host)}:${port}`;

export function createOpcUaScan(ctx: ScanContext): ProtocolScan {
  const { settings: options, signal } = ctx;
  let mdnsResult: MdnsSection | undefined;
  let mdnsWork: Promise<void> = Promise.resolve();
  const opcuaDevices = () => ctx.devices().filter((d): d is OpcUaDevice => d.protocol === 'opcua');

  const runMdns = async () => {
    const { browseOpcUaMdns } = await import('./mdns.js');
    const r = await browseOpcUaMdns({ durationMs: Math.max(1000, options.timeoutMs), signal });
    mdnsResult = { servers: r.servers.map((s) => ({ ...s, contacted: false })), ...(r.error ? { error: r.error } : {}) };
  };

  // Servers an LDS (FindServers, FindServersOnNetwork) or mDNS told us about: contacted only when
  // their host was named, and only when that host and port was not probed already.
  const follow = async () => {
    for (let round = 0; round < 3; round++) {
      const seen = new Set(opcuaDevices().map((d) => `${d.host.toLowerCase()}:${d.port}`));
      const next = new Map<string, 'lds' | 'mdns'>();
      const consider = (url: string, via: 'lds' | 'mdns'): boolean => {
        let t;
        try {
          t = parseTarget(url);
        } catch {
          return false; // an announcement we cannot use
        }
        if (t.protocol !== 'opcua' || !ctx.named(t.host)) return false;
        if (!seen.has(`${t.host.toLowerCase()}:${t.port}`) && !ctx.probed.has(t.url) && !next.has(t.url)) next.set(t.url, via);
        return true;
      };
      for (const d of opcuaDevices()) {
        for (const s of d.registeredServers ?? []) for (const u of s.discoveryUrls) if (consider(u, 'lds')) s.contacted = true;
        for (const s of d.serversOnNetwork ?? []) if (consider(s.discoveryUrl, 'lds')) s.contacted = true;
      }
      if (mdnsResult && round === 0) {
        for (const s of mdnsResult.servers) {
          // the announced name may not resolve here: use the address when the answer had one
          if (consider(s.url, 'mdns') || consider(`opc.tcp://${formatHost(s.host)}:${s.port}${s.path}`, 'mdns')) s.contacted = true;
        }
      }
      if (next.size === 0 || signal.aborted || !options.probe) break;
      ctx.plan(next.size);
      await Promise.all([...next].map(([u, via]) => ctx.probeUrl(u, via)));
    }
  };

  return {
    start() {
      if (options.mdns) mdnsWork = runMdns();
    },
    ask: (mark: string, host: string, port: number): OpcUaAsk => ({ mark, url: canonical(`opc.tcp://${hostPort(host, port)}`) }),
    askUrl: (t: Target): OpcUaAsk => ({ mark: 'opcua', url: t.url }),
    async probe(io: ProbeIO, ask: Ask): Promise<Found> {
      const { url } = ask as OpcUaAsk;
      const { probeOpcUa } = await import('./probe.js');
      return { url, result: await probeOpcUa(io, { url, onNetwork: options.onNetwork }) };
    },
    spoke: () => ({ protocol: 'opcua' }),
    record(found: unknown, host: string, port: number, via: Via) {
      const f = found as Found;
      const r = f.result;
      ctx.probed.add(f.url);
      const app = r.application;
      const isLds = app?.applicationType === 'DiscoveryServer';
      const device: OpcUaDevice = {
        url: f.url,
        name: app?.applicationName ? `${app.applicationName}${isLds ? ' (discovery server)' : ''}` : 'OPC UA server',
        via,
        host,
        port,
        protocol: 'opcua',
        identity: app ? { ...app } : {},
        endpoints: r.endpoints,
        ...(r.certificate ? { certificate: r.certificate } : {}),
        ...(r.registeredServers ? { registeredServers: r.registeredServers.map((s) => ({ ...s, contacted: false })) } : {}),
        ...(r.serversOnNetwork ? { serversOnNetwork: r.serversOnNetwork.map((x) => ({ ...x, contacted: false })) } : {}),
        ...(r.errors.length ? { notes: [...r.errors] } : {}),
      };
      ctx.push(device);
    },
    async afterScan() {
      await mdnsWork;
      if (!signal.aborted) await follow();
    },
    sections: () => (mdnsResult ? { mdns: mdnsResult } : {}),
  };
}
