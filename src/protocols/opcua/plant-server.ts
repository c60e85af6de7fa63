import { format } from 'node:util';
import type { Namespace, OPCUAServer, UAObject, UAVariable } from 'node-opcua';
import { IiotError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { listenError } from '../listen.js';
import { euUnit } from './eu-units.js';
import { addExtraNodes } from './extra-nodes.js';
import { openServerStores, serverSecurityOptions, type ServerSecurity } from './server-security.js';
import { setServedValue } from './server-value.js';

/**
 * An OPC UA server (node-opcua) built from plain definitions: folders and objects, and variables
 * with data type, unit, range and access. Values are pushed by the owner (`set`), so the same
 * server serves the simulated plant, a replayed capture, or anything else with timestamps.
 * node-opcua is loaded lazily: importing it costs over half a second.
 */

export type OpcUaDataType = 'Boolean' | 'Int16' | 'UInt16' | 'Int32' | 'UInt32' | 'Float' | 'Double' | 'String';
export type OpcUaValue = number | boolean | string;

export interface OpcUaObjectDef {
  /** string identifier of the NodeId (ns=<index>;s=<id>) */
  id: string;
  /** parent object id; absent: the Objects folder */
  parent?: string;
  browseName: string;
  displayName?: string;
  description?: string;
  kind: 'folder' | 'object';
}

export interface OpcUaVariableDef {
  id: string;
  parent: string;
  browseName: string;
  displayName?: string;
  description?: string;
  dataType: OpcUaDataType;
  /** engineering unit: the variable becomes an AnalogItemType with EngineeringUnits */
  unit?: string;
  /** EURange (AnalogItemType) */
  range?: readonly [number, number];
  initial: OpcUaValue;
  /** source timestamp of the initial value (ms since 1970; model time for the plant); default now */
  initialTimestamp?: number;
  /** keep a history of values (HistoryRead); `backfill` is pushed first, oldest first */
  historizing?: boolean;
  backfill?: ReadonlyArray<{ t: number; value: OpcUaValue }>;
  /**
   * A variable whose value lives elsewhere (a setpoint shared with another protocol): read with
   * get(), and writable by clients when set() is given (return false to refuse a value).
   */
  bind?: { get(): OpcUaValue; set?(value: OpcUaValue): boolean };
}

/** Operation limits announced in ServerCapabilities and enforced by the server. 0/absent: no limit. */
export interface OpcUaLimits {
  maxNodesPerBrowse?: number;
  maxNodesPerRead?: number;
  maxNodesPerWrite?: number;
  maxNodesPerHistoryReadData?: number;
  maxMonitoredItemsPerCall?: number;
  maxNodesPerTranslateBrowsePathsToNodeIds?: number;
  maxBrowseContinuationPoints?: number;
  maxHistoryContinuationPoints?: number;
  /**
   * References returned per node and Browse before a continuation point, whatever the client asks
   * (node-opcua only applies the client's requestedMaxReferencesPerNode; this caps it).
   */
  maxReferencesPerNode?: number;
}

export type NodesetName = 'standard' | 'di' | 'ia' | 'machinery';

export interface OpcUaServerOptions {
  /** address to listen on (and to put in the endpoint URL) */
  host: string;
  /** 0 = a free port */
  port: number;
  namespaceUri: string;
  applicationUri: string;
  applicationName: string;
  objects: OpcUaObjectDef[];
  variables: OpcUaVariableDef[];
  security: ServerSecurity;
  /** the server's own PKI folder (own/, trusted/, rejected/, issuers/) */
  pkiDir: string;
  /** accept any client certificate (and file it under trusted/); otherwise unknown ones are rejected */
  autoAcceptClientCertificates: boolean;
  /** username/password identities */
  users: ReadonlyArray<{ username: string; password: string }>;
  limits?: OpcUaLimits;
  /** companion specifications to load; default standard, DI, IA, Machinery */
  nodesets?: NodesetName[];
  /** synthetic variables in folders of 1000 under Objects/Synthetic */
  extraNodes?: number;
  /** values kept per historizing variable */
  historyValues?: number;
  /** node-opcua's own log lines (warnings, errors); default: dropped */
  log?: (line: string) => void;
}

export interface RunningOpcUaServer {
  readonly endpointUrl: string;
  readonly namespaceUri: string;
  readonly namespaceIndex: number;
  /** the server certificate (PEM file) */
  readonly certificateFile: string;
  readonly pkiDir: string;
  /** "ns=<index>;s=<id>" */
  nodeId(id: string): string;
  /** push a new value (sourceTimestamp: when it was measured, default now; the server timestamp is always now) */
  set(id: string, value: OpcUaValue, sourceTimestamp?: Date, status?: 'Good' | 'UncertainLastUsableValue' | 'BadCommunicationError'): void;
  /** nodes in the address space (all namespaces) */
  nodeCount(): number;
  stop(): Promise<void>;
}

type Opcua = typeof import('node-opcua');
let loaded: Promise<Opcua> | undefined;
let logSink: ((line: string) => void) | undefined;

/** node-opcua, loaded once, with its log lines routed away from stdout (results only there). */
export function loadServerModule(log?: (line: string) => void): Promise<Opcua> {
  if (log !== undefined) logSink = log;
  loaded ??= (async () => {
    const m = await import('node-opcua');
    const route =
      (level: string) =>
      (_context: unknown, ...args: unknown[]) =>
        logSink?.(`node-opcua ${level}: ${format(...args)}`);
    m.setWarningLogger(route('warning'));
    m.setErrorLogger(route('error'));
    m.setDebugLogger(route('debug'));
    return m;
  })();
  return loaded;
}

export async function startOpcUaServer(options: OpcUaServerOptions): Promise<RunningOpcUaServer> {
  const opc = await loadServerModule(options.log);
  const { OPCUAServer, nodesets, StatusCodes } = opc;

  if (options.security.requiresUser && options.users.length === 0) {
    throw usageError(
      `OPC UA profile "${options.security.profile}" allows no anonymous access, and no user is configured`,
      'configure a username and password (iiot sim: $IIOT_SIM_PASSWORD or --password-file), or use the default profile',
    );
  }
  const stores = await openServerStores(opc, {
    pkiDir: options.pkiDir,
    autoAcceptClientCertificates: options.autoAcceptClientCertificates,
    certificate: {
      applicationUri: options.applicationUri,
      applicationName: options.applicationName,
      host: options.host,
      validityDays: options.security.certificateValidityDays,
    },
  });
  const disposeStores = stores.dispose;

  const nodesetFiles = (options.nodesets ?? ['standard', 'di', 'ia', 'machinery']).map((n) => nodesets[n]);
  const limits = options.limits ?? {};
  const server: OPCUAServer = new OPCUAServer({
    port: options.port,
    host: options.host,
    hostname: options.host,
    nodeset_filename: nodesetFiles,
    ...serverSecurityOptions(opc, stores, options.security, options.users),
    serverInfo: {
      applicationUri: options.applicationUri,
      productUri: 'urn:iiot:sim',
      applicationName: { text: options.applicationName, locale: 'en' },
    },
    buildInfo: { productName: 'iiot simulated plant', manufacturerName: 'iiot', softwareVersion: '1.0', productUri: 'urn:iiot:sim' },
    serverCapabilities: serverCapabilities(limits),
    // Auditing events would only add noise to a simulator's event stream.
    isAuditing: false,
  });

  try {
    await server.initialize();
  } catch (err) {
    await disposeStores();
    throw new IiotError(ExitCode.Internal, `OPC UA server: cannot build the address space: ${(err as Error).message}`, { cause: err });
  }

  if (options.security.cleartextPasswordOnNone) offerCleartextPasswords(opc, server);

  let handles: { ns: Namespace; variables: Map<string, { node: UAVariable; dataType: number }> };
  try {
    handles = buildAddressSpace(opc, server, options);
  } catch (err) {
    await server.shutdown(0).catch(() => {});
    await disposeStores();
    throw err;
  }
  const { ns, variables } = handles;
  const addressSpace = server.engine.addressSpace!;

  capReferencesPerNode(server, limits.maxReferencesPerNode);

  try {
    await server.start();
  } catch (err) {
    await server.shutdown(0).catch(() => {});
    await disposeStores();
    throw listenError(err, 'OPC UA server', options.host, options.port);
  }

  const statusCodes = {
    Good: StatusCodes.Good,
    UncertainLastUsableValue: StatusCodes.UncertainLastUsableValue,
    BadCommunicationError: StatusCodes.BadCommunicationError,
  };
  let stopped: Promise<void> | undefined;
  return {
    endpointUrl: server.getEndpointUrl(),
    namespaceUri: options.namespaceUri,
    namespaceIndex: ns.index,
    certificateFile: stores.certificateFile,
    pkiDir: options.pkiDir,
    nodeId: (id) => `ns=${ns.index};s=${id}`,
    set: (id, value, sourceTimestamp, status = 'Good') => {
      const v = variables.get(id);
      if (!v) throw new Error(`no OPC UA variable "${id}"`);
      setServedValue(opc, v.node, { dataType: v.dataType, value }, statusCodes[status], sourceTimestamp ?? new Date());
    },
    nodeCount: () => countNodes(addressSpace.getNamespaceArray()),
    stop: () =>
      (stopped ??= (async () => {
        await server.shutdown(0);
        await disposeStores();
      })()),
  };
}

/** The caller's folders, objects and variables (and the synthetic nodes) in a namespace of their own. */
function buildAddressSpace(
  opc: Opcua,
  server: OPCUAServer,
  options: OpcUaServerOptions,
): { ns: Namespace; variables: Map<string, { node: UAVariable; dataType: number }> } {
  const addressSpace = server.engine.addressSpace!;
  const { DataType, StatusCodes, makeEUInformation, Variant } = opc;
  const ns: Namespace = addressSpace.registerNamespace(options.namespaceUri);
  const objectsFolder = addressSpace.rootFolder.objects;
  const parents = new Map<string, { node: UAObject; folder: boolean }>();
  for (const o of options.objects) {
    const parent = o.parent === undefined ? { node: objectsFolder, folder: true } : parents.get(o.parent);
    if (!parent) throw new Error(`OPC UA object ${o.id}: unknown parent ${o.parent}`);
    const common = {
      browseName: o.browseName,
      nodeId: `s=${o.id}`,
      ...(o.displayName === undefined ? {} : { displayName: o.displayName }),
      ...(o.description === undefined ? {} : { description: o.description }),
    };
    const node =
      o.kind === 'folder'
        ? ns.addFolder(parent.node, common)
        : ns.addObject({ ...common, ...(parent.folder ? { organizedBy: parent.node } : { componentOf: parent.node }) });
    parents.set(o.id, { node, folder: o.kind === 'folder' });
  }

  const variables = new Map<string, { node: UAVariable; dataType: number }>();
  const historyValues = options.historyValues ?? 10_000;
  for (const v of options.variables) {
    const parent = parents.get(v.parent);
    if (!parent) throw new Error(`OPC UA variable ${v.id}: unknown parent ${v.parent}`);
    const dataType = DataType[v.dataType];
    const bind = v.bind;
    const access = bind?.set ? 'CurrentRead | CurrentWrite' : v.historizing ? 'CurrentRead | HistoryRead' : 'CurrentRead';
    const common = {
      browseName: v.browseName,
      nodeId: `s=${v.id}`,
      ...(v.displayName === undefined ? {} : { displayName: v.displayName }),
      ...(v.description === undefined ? {} : { description: v.description }),
      ...(parent.folder ? { organizedBy: parent.node } : { componentOf: parent.node }),
      dataType: v.dataType,
      accessLevel: access,
      userAccessLevel: access,
      minimumSamplingInterval: 100,
      historizing: Boolean(v.historizing),
    } as const;
    const value = bind
      ? {
          get: () => new Variant({ dataType, value: bind.get() }),
          ...(bind.set
            ? {
                set: (variant: { value: unknown }) =>
                  bind.set!(variant.value as OpcUaValue) ? StatusCodes.Good : StatusCodes.BadOutOfRange,
              }
            : {}),
        }
      : undefined;
    const numeric = v.dataType !== 'Boolean' && v.dataType !== 'String';
    let node: UAVariable;
    if (numeric && (v.unit !== undefined || v.range !== undefined)) {
      const eu = v.unit === undefined ? undefined : euUnit(v.unit);
      node = ns.addAnalogDataItem({
        ...common,
        ...(eu === undefined ? {} : { engineeringUnits: withUnknownCode(makeEUInformation(eu.code, eu.symbol, eu.description), eu.code) }),
        ...(v.range === undefined ? {} : { engineeringUnitsRange: { low: v.range[0], high: v.range[1] } }),
        ...(value === undefined ? {} : { value }),
      });
      // node-opcua makes EURange writable; a plant's engineering range is configuration, not
      // something any client may change (a security check would rightly flag it).
      const range = (node as unknown as { euRange?: { accessLevel: number; userAccessLevel?: number } }).euRange;
      if (range) {
        range.accessLevel = opc.AccessLevelFlag.CurrentRead;
        range.userAccessLevel = opc.AccessLevelFlag.CurrentRead;
      }
    } else {
      node = ns.addVariable({ ...common, ...(value === undefined ? {} : { value }) });
    }
    if (v.historizing) {
      addressSpace.installHistoricalDataNode(node, { maxOnlineValues: historyValues });
      // history the server would have collected before it started: received when measured
      for (const b of v.backfill ?? []) node.setValueFromSource({ dataType, value: b.value }, StatusCodes.Good, new Date(b.t));
    }
    if (!bind) setServedValue(opc, node, { dataType, value: v.initial }, StatusCodes.Good, new Date(v.initialTimestamp ?? Date.now()));
    variables.set(v.id, { node, dataType });
  }
  if (options.extraNodes) addExtraNodes(opc, ns, objectsFolder, options.extraNodes);
  return { ns, variables };
}

/**
 * The weak profile's worst habit: on mode-None endpoints the only username token has no security
 * policy, so clients send the password in clear (node-opcua has an allowUnsecurePassword option
 * for this that OPCUAServer does not pass on). The endpoint descriptions are what GetEndpoints
 * returns and what ActivateSession checks tokens against, so editing them is enough.
 */
export function offerCleartextPasswords(opc: Opcua, server: OPCUAServer): void {
  const { MessageSecurityMode, UserTokenType, UserTokenPolicy } = opc;
  for (const endpoint of server.endpoints) {
    for (const d of endpoint.endpointDescriptions()) {
      if (d.securityMode !== MessageSecurityMode.None) continue;
      d.userIdentityTokens = [
        ...(d.userIdentityTokens ?? []).filter((t) => t.tokenType !== UserTokenType.UserName),
        new UserTokenPolicy({ policyId: 'username_cleartext', tokenType: UserTokenType.UserName, securityPolicyUri: null }),
      ];
    }
  }
}

/** The ServerCapabilities of OPCUAServer's options for these limits. */
export function serverCapabilities(limits: OpcUaLimits) {
  const operationLimits = Object.fromEntries(
    (
      [
        'maxNodesPerBrowse',
        'maxNodesPerRead',
        'maxNodesPerWrite',
        'maxNodesPerHistoryReadData',
        'maxMonitoredItemsPerCall',
        'maxNodesPerTranslateBrowsePathsToNodeIds',
      ] as const
    )
      .filter((k) => limits[k] !== undefined)
      .map((k) => [k, limits[k]]),
  );
  return {
    ...(limits.maxBrowseContinuationPoints === undefined ? {} : { maxBrowseContinuationPoints: limits.maxBrowseContinuationPoints }),
    ...(limits.maxHistoryContinuationPoints === undefined ? {} : { maxHistoryContinuationPoints: limits.maxHistoryContinuationPoints }),
    operationLimits,
  };
}

/**
 * The server-side cap on references per node: applied to the request before node-opcua handles
 * it (the "request" event fires synchronously just before the service handler).
 */
export function capReferencesPerNode(server: OPCUAServer, maxRefs: number | undefined): void {
  if (maxRefs === undefined || maxRefs <= 0) return;
  server.on('request', (request: { schema: { name: string }; requestedMaxReferencesPerNode?: number }) => {
    if (request.schema.name !== 'BrowseRequest') return;
    const asked = request.requestedMaxReferencesPerNode ?? 0;
    if (asked === 0 || asked > maxRefs) request.requestedMaxReferencesPerNode = maxRefs;
  });
}

/** Part 8: UnitId −1 means "no UNECE code" (makeEUInformation would make it 0). */
function withUnknownCode<T extends { unitId: number }>(eu: T, code: string): T {
  if (code === '') eu.unitId = -1;
  return eu;
}

function countNodes(namespaces: ReadonlyArray<unknown>): number {
  let n = 0;
  for (const ns of namespaces) {
    const it = (ns as { nodeIterator?: () => Iterable<unknown> }).nodeIterator?.();
    if (it) for (const _ of it) n++;
  }
  return n;
}
