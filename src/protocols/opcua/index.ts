/**
 * OPC UA, as the registry (../registry.ts) knows it. Cheap to load: node-opcua and every module
 * that loads it are reached only through the `await import` inside a factory.
 */
import type { OpcUaTarget } from '../../core/targets.js';
import type { DiscoveryFactory } from '../discovery.js';
import type { LatencyFactory, ProtocolEntry, RecordFactory, ReplayFactory, SecurityFactory } from '../protocol.js';
import { opcuaCsv, opcuaDetails } from './describe.js';
import type { OpcUaDevice } from './inventory.js';
import type { OpcUaReplaySpec } from './replay.js';
import type { OpcUaSourceOptions } from './source.js';

/** A source as `iiot record` parses it; the recorder adds the PKI, the session IO and the reconnect ceiling. */
export type OpcUaRecordOptions = Omit<OpcUaSourceOptions, 'pki' | 'sessionIO' | 'reconnectMaxMs'>;

const record: RecordFactory<OpcUaRecordOptions> = {
  tagsKnownAtStart: true,
  endpoint: (o) => o.connect.target.url,
  async create(options, { io, reconnectMaxMs, hooks }) {
    const { createOpcUaSource } = await import('./source.js');
    const { pkiFor } = await import('./session-io.js');
    const { preloadOpcUa, setOpcUaLogSink } = await import('./load.js');
    setOpcUaLogSink(io.debug ? (t) => hooks.debug(t) : undefined);
    // node-opcua and its certificate manager load now, while the recorder creates its sources and
    // before any source connects: no device's timer runs while they block (docs/development.md, "Timeouts")
    await preloadOpcUa();
    return createOpcUaSource(
      {
        ...options,
        reconnectMaxMs,
        pki: pkiFor(io),
        sessionIO: {
          env: io.env,
          stdin: io.stdin as never,
          stderr: io.stderr,
          info: (t) => hooks.info(t),
          warn: (t) => hooks.warn(t),
          debug: io.debug ? (t) => hooks.debug(t) : undefined,
        },
      },
      hooks,
    );
  },
};

const replay: ReplayFactory<OpcUaReplaySpec> = {
  async create(spec, context) {
    const { createOpcUaReplaySink } = await import('./replay.js');
    return createOpcUaReplaySink(spec, context);
  },
};

const latency: LatencyFactory<OpcUaTarget> = {
  async plans(t, o, { io, audit }) {
    const { opcuaLatencyProbe } = await import('./latency.js');
    const { pkiFor, sessionIO } = await import('./session-io.js');
    return [
      {
        name: 'read-current-time',
        label: 'Read CurrentTime',
        make: async () =>
          opcuaLatencyProbe({
            connect: {
              target: t,
              securityMode: o.securityMode,
              securityPolicy: o.securityPolicy,
              identity: o.identity,
              trustOnFirstUse: o.trustOnFirstUse,
              timeoutMs: Math.max(o.timeoutMs, 100),
            },
            pki: pkiFor(io),
            io: sessionIO(io),
            onRequest: (name) => audit(name),
          }),
      },
    ];
  },
};

const security: SecurityFactory<OpcUaTarget> = {
  rules: 'opcua',
  kinds: ['opcua'],
  async assess(target, settings, context, result) {
    const { assessOpcUa } = await import('./security-check.js');
    return assessOpcUa(target, settings, context, result);
  },
  async judgeAcross(certificates) {
    const { judgeSharedCertificates } = await import('./security-judge.js');
    return judgeSharedCertificates(certificates);
  },
};

const discovery: DiscoveryFactory<OpcUaDevice> = {
  selectors: ['opcua'],
  aliases: ['opc-ua', 'opc.tcp'],
  marks: { opcua: 'OPC UA' },
  markAliases: { 'opc.tcp': 'opcua' },
  defaultPorts: [
    { port: 4840, protocol: 'opcua' },
    { port: 4843, protocol: 'opcua' },
  ],
  rank: 1,
  looksLike: /484\d/,
  kinds: { opcua: { one: 'OPC UA server', many: 'OPC UA servers', summary: 'OPC UA' } },
  details: opcuaDetails,
  csv: opcuaCsv,
  // A discovery server (LDS) has no plant data: the servers registered with it are listed on their own.
  isDirectory: (d) => d.identity.applicationType === 'DiscoveryServer',
  async scan(context) {
    const { createOpcUaScan } = await import('./discover.js');
    return createOpcUaScan(context);
  },
};

export const opcua = {
  name: 'opcua',
  title: 'OPC UA',
  schemes: [{ scheme: 'opc.tcp', kind: 'opcua', defaultPort: 4840 }],
  record,
  replay,
  latency,
  security,
  discovery,
} as const satisfies ProtocolEntry;
