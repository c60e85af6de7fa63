/**
 * The OPC UA server of `iiot replay --to opcua`: the recorded variables under their recorded node
 * ids, in their recorded namespaces at their recorded indexes where possible (placeholder
 * namespaces fill the indexes in between, and namespace 1 takes the recorded URI when a tag lived
 * there), with any status code and the recorded source timestamps. Built on node-opcua's server
 * with the standard nodeset only (the companion nodesets would cost a second of start-up and hold
 * nothing a replay needs). The plant server (plant-server.ts) cannot do this: it serves string ids
 * in one namespace and three status codes.
 */
import type { Namespace, OPCUAServer, UAObject, UAVariable } from 'node-opcua';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { listenError } from '../listen.js';
import { euUnit } from './eu-units.js';
import { loadServerModule, offerCleartextPasswords } from './plant-server.js';
import { openServerStores, serverSecurityOptions, type ServerSecurity } from './server-security.js';
import { servedSample, setServedValue } from './server-value.js';

/** OPC UA built-in types a replayed variable may have. */
export const REPLAY_TYPES = [
  'Boolean',
  'SByte',
  'Byte',
  'Int16',
  'UInt16',
  'Int32',
  'UInt32',
  'Int64',
  'UInt64',
  'Float',
  'Double',
  'String',
  'DateTime',
] as const;
export type ReplayType = (typeof REPLAY_TYPES)[number];

export interface ReplayFolder {
  name: string;
  /** namespace URI of the browse name */
  uri: string;
}

export interface ReplayVariableDef {
  /** what set() is called with (the capture's tag name) */
  key: string;
  /** namespace URI of the node id */
  uri: string;
  /** the node id without its namespace: s=..., i=..., g=..., b=... */
  ident: string;
  browseName: string;
  /** namespace URI of the browse name (default: uri) */
  browseUri?: string | undefined;
  description?: string | undefined;
  /** folders from Objects down to the variable's parent */
  folders: ReplayFolder[];
  dataType: ReplayType;
  array: boolean;
  unit?: string | undefined;
  range?: readonly [number, number] | undefined;
}

export interface ReplayServerOptions {
  host: string;
  port: number;
  /** the server's application URI (becomes namespace 1) */
  applicationUri: string;
  /** namespaces from index 2 on, in order (placeholders included) */
  namespaces: string[];
  variables: ReplayVariableDef[];
  security: ServerSecurity;
  /** username identities the server accepts */
  users?: ReadonlyArray<{ username: string; password: string }> | undefined;
  pkiDir: string;
  autoAcceptClientCertificates: boolean;
  log?: (line: string) => void;
}

export interface RunningReplayServer {
  readonly endpointUrl: string;
  /** the server's NamespaceArray */
  readonly namespaceArray: readonly string[];
  /** "ns=<index>;<ident>" of a key */
  nodeIdOf(key: string): string | undefined;
  /** the value, a status name (any OPC UA status) and the source timestamp */
  set(key: string, value: unknown, status: string | undefined, sourceTimestamp: Date): void;
  stop(): Promise<void>;
}

export async function startReplayServer(o: ReplayServerOptions): Promise<RunningReplayServer> {
  const opc = await loadServerModule(o.log);
  const { OPCUAServer, nodesets, DataType, StatusCodes, makeEUInformation } = opc;
  const stores = await openServerStores(opc, {
    pkiDir: o.pkiDir,
    autoAcceptClientCertificates: o.autoAcceptClientCertificates,
    certificate: {
      applicationUri: o.applicationUri,
      applicationName: `iiot replay (${o.host})`,
      host: o.host,
      validityDays: o.security.certificateValidityDays,
    },
  });
  const dispose = stores.dispose;
  const server: OPCUAServer = new OPCUAServer({
    port: o.port,
    host: o.host,
    hostname: o.host,
    nodeset_filename: [nodesets.standard],
    ...serverSecurityOptions(opc, stores, o.security, o.users ?? []),
    serverInfo: {
      applicationUri: o.applicationUri,
      productUri: 'urn:iiot:replay',
      applicationName: { text: `iiot replay (${o.host})`, locale: 'en' },
    },
    buildInfo: { productName: 'iiot replay', manufacturerName: 'iiot', softwareVersion: '1.0', productUri: 'urn:iiot:replay' },
    isAuditing: false,
  });
  try {
    await server.initialize();
  } catch (err) {
    await dispose();
    throw new IiotError(ExitCode.Internal, `OPC UA replay server: ${(err as Error).message}`, { cause: err });
  }
  if (o.security.cleartextPasswordOnNone) offerCleartextPasswords(opc, server);
  const addressSpace = server.engine.addressSpace!;
  const byUri = new Map<string, Namespace>();
  byUri.set(o.applicationUri, addressSpace.getOwnNamespace());
  for (const uri of o.namespaces) if (!byUri.has(uri)) byUri.set(uri, addressSpace.registerNamespace(uri));
  const nsOf = (uri: string): Namespace => {
    let ns = byUri.get(uri);
    if (!ns) {
      ns = addressSpace.registerNamespace(uri);
      byUri.set(uri, ns);
    }
    return ns;
  };
  // Folders live in a namespace of their own, so their automatic numeric ids never collide with
  // a recorded numeric id; their browse names keep the recorded namespaces.
  const folderNs = nsOf('urn:iiot:replay:folders');
  const folders = new Map<string, UAObject>();
  const folderFor = (path: ReplayFolder[]): UAObject => {
    let parent: UAObject = addressSpace.rootFolder.objects;
    let key = '';
    for (const f of path) {
      key += `/${f.uri}|${f.name}`;
      let node = folders.get(key);
      if (!node) {
        node = folderNs.addFolder(parent, { browseName: { name: f.name, namespaceIndex: nsOf(f.uri).index } });
        folders.set(key, node);
      }
      parent = node;
    }
    return parent;
  };

  const variables = new Map<string, { node: UAVariable; dataType: number; type: ReplayType; array: boolean; nodeId: string }>();
  const units: Array<{ node: UAVariable; ns: Namespace; eu: { code: string; symbol: string; description: string } }> = [];
  try {
    for (const v of o.variables) {
      const ns = nsOf(v.uri);
      const parent = folderFor(v.folders);
      const common = {
        browseName: { name: v.browseName, namespaceIndex: nsOf(v.browseUri ?? v.uri).index },
        displayName: v.browseName,
        nodeId: v.ident,
        ...(v.description === undefined ? {} : { description: v.description }),
        componentOf: parent,
        dataType: v.dataType,
        ...(v.array ? { valueRank: 1, arrayDimensions: [0] } : {}),
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
        minimumSamplingInterval: 0,
      } as const;
      const numeric = v.dataType !== 'Boolean' && v.dataType !== 'String' && v.dataType !== 'DateTime';
      let node: UAVariable;
      const eu = v.unit === undefined ? undefined : euUnit(v.unit);
      if (numeric && !v.array && v.range !== undefined) {
        // AnalogItemType: EURange is mandatory, EngineeringUnits optional
        node = ns.addAnalogDataItem({
          ...common,
          ...(eu === undefined ? {} : { engineeringUnits: makeEUInformation(eu.code, eu.symbol, eu.description) }),
          engineeringUnitsRange: { low: v.range[0], high: v.range[1] },
        } as never);
      } else {
        node = ns.addVariable(common as never);
        if (eu !== undefined) units.push({ node, ns, eu });
      }
      node.setValueFromSource({ dataType: DataType.Null }, StatusCodes.BadWaitingForInitialData, new Date());
      variables.set(v.key, { node, dataType: DataType[v.dataType], type: v.dataType, array: v.array, nodeId: node.nodeId.toString() });
    }
    // A unit without a range: the EngineeringUnits property alone, added once every recorded
    // node id is taken (a numeric id node-opcua picks for it then cannot collide with one).
    for (const { node, ns, eu } of units) {
      ns.addVariable({
        propertyOf: node,
        browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
        typeDefinition: 'PropertyType',
        dataType: 'EUInformation',
        value: { dataType: DataType.ExtensionObject, value: makeEUInformation(eu.code, eu.symbol, eu.description) },
        accessLevel: 'CurrentRead',
        userAccessLevel: 'CurrentRead',
      } as never);
    }
  } catch (err) {
    await server.shutdown(0).catch(() => undefined);
    await dispose();
    const message = (err as Error).message.split('\n')[0] ?? '';
    throw new IiotError(ExitCode.Usage, `OPC UA replay server: cannot build the address space: ${message}`, {
      hint: /already|exist|nodeId/i.test(message)
        ? 'two tags of the capture map to the same node id; choose tags with --tags'
        : 'choose the tags to serve with --tags; run with --debug for details',
      cause: err,
    });
  }
  try {
    await server.start();
  } catch (err) {
    await server.shutdown(0).catch(() => undefined);
    await dispose();
    throw listenError(err, 'OPC UA replay server', o.host, o.port);
  }
  let stopped: Promise<void> | undefined;
  return {
    endpointUrl: server.getEndpointUrl(),
    namespaceArray: addressSpace.getNamespaceArray().map((n) => n.namespaceUri),
    nodeIdOf: (key) => variables.get(key)?.nodeId,
    set: (key, value, status, sourceTimestamp) => {
      const v = variables.get(key);
      if (!v) return;
      const { variant, statusCode } = servedSample(opc, v, value, status);
      // the recorded time as the source timestamp; the server timestamp is now
      setServedValue(opc, v.node, variant, statusCode, sourceTimestamp);
    },
    stop: () =>
      (stopped ??= (async () => {
        await server.shutdown(0);
        await dispose();
      })()),
  };
}
