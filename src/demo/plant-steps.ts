/**
 * The demo's steps against the running plant, each doing what the command it is named after does
 * (discover, browse, record, check security), with the library code those commands use.
 */
import type { InventoryDevice } from '../discovery/inventory.js';
import type { IO } from '../core/io.js';
import type { SourceSpec } from '../record/types.js';
import type { RunningPlant } from '../sim/plant.js';

export interface InventoryRow {
  protocol: string;
  url: string;
  what: string;
}

/** What `iiot discover 127.0.0.1 --ports ...` finds: the plant's ports only, gently, read-only. */
export async function discover(p: RunningPlant): Promise<InventoryRow[]> {
  const [{ parseDiscoverOptions }, { runScan }] = await Promise.all([import('../discovery/options.js'), import('../discovery/scan.js')]);
  const port = (url: string | undefined) => (url ? new URL(url.replace(/^[a-z.-]+:/, 'http:')).port : undefined);
  const ports = [
    [port(p.endpoints.opcua), 'opcua'],
    [port(p.endpoints.modbus), 'modbus'],
    [port(p.endpoints.mqtt), 'mqtt'],
  ]
    .filter(([n]) => n !== undefined)
    .map(([n, proto]) => `${n}:${proto}`)
    .join(',');
  const options = parseDiscoverOptions([p.host], { ports, defaultPorts: false, listen: '2s', unitIds: '1-3', json: true });
  const { inventory } = await runScan(options, {}, new AbortController().signal);
  return inventory.devices.map((d) => ({ protocol: PROTOCOL_NAMES[d.protocol] ?? d.protocol, url: d.url, what: describeDevice(d) }));
}

const PROTOCOL_NAMES: Record<string, string> = { opcua: 'OPC UA', modbus: 'Modbus TCP', 'modbus-rtu': 'Modbus RTU', mqtt: 'MQTT' };

function describeDevice(d: InventoryDevice): string {
  if (d.protocol === 'opcua') {
    const modes = [...new Set(d.endpoints.map((e) => `${e.securityMode}${e.securityPolicy === 'None' ? '' : `/${e.securityPolicy}`}`))];
    return `${d.name}: ${d.endpoints.length} endpoints (${modes.join(', ')})`;
  }
  if (d.protocol === 'mqtt') {
    const sp = d.sparkplug;
    const nodes = sp ? sp.groups.reduce((n, g) => n + g.nodes.length, 0) : 0;
    const devices = sp ? sp.groups.reduce((n, g) => n + g.nodes.reduce((m, node) => m + node.devices.length, 0), 0) : 0;
    return `${d.name}${sp ? `, Sparkplug B: ${nodes} edge node${nodes === 1 ? '' : 's'} with ${devices} devices` : ''}`;
  }
  return d.name;
}

/**
 * The demo's client and the plant it started trust each other explicitly, as `iiot pki trust FILE`
 * and `iiot sim` (which trusts the local iiot client) would: neither side accepts an unknown
 * certificate, even here.
 */
export async function trustEachOther(p: RunningPlant, pkiDir: string): Promise<void> {
  const [{ Pki }, { trustLocalClient }] = await Promise.all([import('../protocols/opcua/pki.js'), import('../sim/local-client-trust.js')]);
  const pki = new Pki(pkiDir);
  try {
    pki.trust(p.opcua!.certificateFile, 'pki trust', p.endpoints.opcua);
  } finally {
    await pki.close();
  }
  await trustLocalClient(p.opcua!.pkiDir, { IIOT_PKI_DIR: pkiDir });
}

export const RECORD_SECONDS = 4;

export interface DemoRecording {
  file: string;
  sources: Array<{ id: string; protocol: string; tags: number; samples: number; example?: string }>;
  tags: Array<{ name: string; source?: string; count: number }>;
  samples: number;
}

/**
 * `iiot record opc.tcp://... --subtree /Objects/5:Plant/5:Pump1 modbus://...?unit=1 --map sdm630
 * mqtt://... --topic "plant/#" -o recording.jsonl --duration 4s`, then `iiot capture info`.
 */
export async function recordPlant(p: RunningPlant, file: string, io: IO): Promise<DemoRecording> {
  const [{ record }, { parseTarget }, { captureInfo }] = await Promise.all([
    import('../record/run.js'),
    import('../core/targets.js'),
    import('../capture/info.js'),
  ]);
  const sources: SourceSpec[] = [];
  const opcua = p.endpoints.opcua ? parseTarget(p.endpoints.opcua) : undefined;
  if (opcua?.protocol === 'opcua') {
    sources.push({
      protocol: 'opcua',
      options: {
        id: 'plc',
        connect: { target: opcua, identity: { kind: 'anonymous' }, trustOnFirstUse: false, timeoutMs: 10_000 },
        nodes: [],
        subtrees: ['/Objects/5:Plant/5:Pump1'],
        tagLists: [],
        samplingMs: 250,
        publishingMs: 500,
        queueSize: 10,
      },
    });
  }
  const modbus = p.endpoints.modbus ? parseTarget(`${p.endpoints.modbus}?unit=1`) : undefined;
  if (modbus?.protocol === 'modbus') {
    sources.push({
      protocol: 'modbus',
      options: {
        id: 'meter',
        target: modbus,
        map: 'sdm630',
        registers: ['voltage*', 'total*', 'power*', 'frequency'],
        intervalMs: 1000,
        timeoutMs: 1000,
        maxGap: 10,
        maxRegisters: 125,
      },
    });
  }
  const mqtt = p.endpoints.mqtt ? parseTarget(p.endpoints.mqtt) : undefined;
  if (mqtt?.protocol === 'mqtt') {
    sources.push({
      protocol: 'mqtt',
      options: {
        id: 'broker',
        connect: { target: mqtt, passwordEnv: 'IIOT_PASSWORD', timeoutMs: 5000 },
        topics: ['plant/+/vibration', 'plant/+/power'],
        decoder: 'auto',
        jsonPaths: [],
        raw: false,
        qos: 1,
      },
    });
  }
  await record(
    io,
    {
      output: file,
      force: true,
      durationMs: RECORD_SECONDS * 1000,
      flushIntervalMs: 1000,
      metadata: { note: 'iiot demo' },
      reconnectMaxMs: 5000,
      live: false,
      sources,
    },
    { handleSignals: false },
  );
  const summary = await captureInfo([file]);
  const tags = summary.tags.map((t) => ({ name: t.name, count: t.count, ...(t.source ? { source: t.source } : {}) }));
  return {
    file,
    sources: sources.map((s) => {
      const own = tags.filter((t) => t.source === s.options.id);
      const example = own.find((t) => /vibration|power|voltage/i.test(t.name)) ?? own[0];
      return {
        id: s.options.id,
        protocol: s.protocol,
        tags: own.length,
        samples: own.reduce((n, t) => n + t.count, 0),
        ...(example ? { example: example.name } : {}),
      };
    }),
    tags,
    samples: tags.reduce((n, t) => n + t.count, 0),
  };
}

export interface DemoSecurity {
  counts: Record<string, number>;
  findings: Array<{ severity: string; target: string; title: string }>;
}

/** `iiot check security <the inventory's devices>`: passive, what a normal client sees. */
export async function checkSecurity(urls: string[], io: IO): Promise<DemoSecurity> {
  const [{ parseSecurityOptions }, { runSecurityCheck }] = await Promise.all([
    import('../checks/options.js'),
    import('../checks/security/run.js'),
  ]);
  const result = await runSecurityCheck(io, parseSecurityOptions(urls, { failOn: 'none' }));
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  const findings = result.targets
    .flatMap((t) => t.findings)
    .sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity))
    .map((f) => ({ severity: f.severity, target: f.target, title: f.title }));
  return { counts: Object.fromEntries(order.map((sev) => [sev, findings.filter((f) => f.severity === sev).length])), findings };
}

export interface Glimpse {
  security: string;
  nodes: number;
  requests: number;
  variables: Array<{ path: string; nodeId: string; unit?: string }>;
}

/**
 * What `iiot browse URL /Objects/Plant --depth 3` does, with the demo's own PKI in which the
 * plant's certificate was trusted explicitly (trustPlant): nothing is trusted silently.
 */
export async function browsePlant(plant: RunningPlant, pkiDir: string, io: IO): Promise<Glimpse> {
  const [{ Pki }, { openSession }, { crawl, browsePath }, { resolveNode }, { sessionIO }, { parseTarget }] = await Promise.all([
    import('../protocols/opcua/pki.js'),
    import('../protocols/opcua/session.js'),
    import('../protocols/opcua/crawler.js'),
    import('../protocols/opcua/browse-path.js'),
    import('../protocols/opcua/session-io.js'),
    import('../core/targets.js'),
  ]);
  const pki = new Pki(pkiDir);
  const url = plant.endpoints.opcua!;
  const target = parseTarget(url);
  if (target.protocol !== 'opcua') throw new Error(`not an OPC UA endpoint: ${url}`);
  const s = await openSession({
    connect: { target, identity: { kind: 'anonymous' }, trustOnFirstUse: false, timeoutMs: 10_000 },
    pki,
    io: { ...sessionIO(io), info: () => {} },
  });
  try {
    const root = (await resolveNode(s.session, '/Objects/Plant')).nodeId;
    const result = await crawl(s.session, { roots: [root], maxDepth: 3, attributes: true });
    const variables = result.nodes
      .map((n, i) => ({ n, i }))
      .filter(({ n }) => n.nodeClass === 'Variable' && n.unit !== undefined)
      .map(({ n, i }) => ({ path: `/Objects${browsePath(result.nodes, i)}`, nodeId: n.nodeId, ...(n.unit ? { unit: n.unit } : {}) }));
    return {
      security: `${s.endpoint.securityMode}/${s.endpoint.securityPolicy}`,
      nodes: result.nodes.length,
      requests: result.stats.requests,
      variables,
    };
  } finally {
    await s.close();
    await pki.close();
  }
}
