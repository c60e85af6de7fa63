/**
 * The twin: node-opcua's server loaded with namespace 0, the companion nodesets the file requires
 * (by URI, from those node-opcua ships) and the NodeSet2 file, so it serves the exported server's
 * node ids, browse names, types, references, units and ranges, and the values the file holds.
 * The owner drives variables by node id (a replayed capture, a simulation). Security as `iiot sim`:
 * a profile's policies and modes, username identities, and client certificates trusted or not.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import type { OPCUAServer, UAVariable } from 'node-opcua';
import { IiotError, usageError } from '../../../core/errors.js';
import { ExitCode } from '../../../core/exit-codes.js';
import { listenError } from '../../listen.js';
import { capReferencesPerNode, loadServerModule, offerCleartextPasswords, serverCapabilities, type OpcUaLimits } from '../plant-server.js';
import { openServerStores, serverSecurityOptions, type ServerSecurity } from '../server-security.js';
import { servedSample, setServedValue } from '../server-value.js';
import { shippedNodesets } from './catalog.js';
import { parseNodeSetHeader, type NodeSetHeader } from './header.js';
import { planTwin } from './plan.js';
import { BUILTIN } from './values.js';

export interface TwinServerOptions {
  nodesetFile: string;
  host: string;
  port: number;
  security: ServerSecurity;
  users: ReadonlyArray<{ username: string; password: string }>;
  pkiDir: string;
  autoAcceptClientCertificates: boolean;
  /** operation limits to announce and enforce (tests of clients under tight limits) */
  limits?: OpcUaLimits | undefined;
  log?: ((line: string) => void) | undefined;
}

export interface TwinVariable {
  /** as served: "ns=5;s=pump1.vibration" */
  nodeId: string;
  /** namespace URI and identifier ("s=pump1.vibration"): how a recorded node id finds it */
  uri: string;
  ident: string;
  browseName: string;
  /** built-in type of its DataType ("Double"; "ExtensionObject" for structures) */
  type: string;
  array: boolean;
  /** a property (EngineeringUnits, EURange...): part of the model, not a signal */
  property: boolean;
  /** clients may write it (AccessLevel CurrentWrite): a setpoint, not a measurement */
  writable: boolean;
  /** its DataType is an enumeration (the values are states, not measurements) */
  enumeration: boolean;
  /** an instance declaration of a type (it has a modelling rule): part of the model, not a signal */
  declaration: boolean;
  range?: [number, number] | undefined;
  /** the value the NodeSet gave a numeric variable (undefined: none, or not a number) */
  initial: unknown;
}

export interface RunningTwin {
  readonly endpointUrl: string;
  readonly namespaceArray: readonly string[];
  readonly applicationUri: string;
  readonly certificateFile: string;
  readonly pkiDir: string;
  readonly header: NodeSetHeader;
  /** the file's variables, by "uri|ident" */
  readonly variables: ReadonlyMap<string, TwinVariable>;
  /** namespaces served at another index than on the exported server */
  readonly moved: string[];
  nodeCount(): number;
  /** sets a variable's value (status name: any OPC UA status; the server timestamp is now) */
  set(key: string, value: unknown, status: string | undefined, sourceTimestamp: Date): void;
  stop(): Promise<void>;
}

export const twinKey = (uri: string, ident: string) => `${uri}|${ident}`;

export function readHeaderOf(file: string): NodeSetHeader {
  let text: string;
  try {
    // the header is at the top (a few KiB even in the standard nodeset): read the first 4 MiB at most
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(1 << 22);
      const n = readSync(fd, buf, 0, buf.length, 0);
      text = buf.subarray(0, n).toString('utf8');
    } finally {
      closeSync(fd);
    }
  } catch (err) {
    throw usageError(
      `--nodeset ${file}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      'give the path of a NodeSet2 XML file (iiot browse <endpoint> --all --nodeset2 -o FILE makes one)',
    );
  }
  try {
    return parseNodeSetHeader(text);
  } catch (err) {
    throw usageError(
      `--nodeset ${file}: ${(err as Error).message}`,
      'give a NodeSet2 XML file (iiot browse <endpoint> --all --nodeset2 -o FILE makes one)',
    );
  }
}

export async function startTwinServer(o: TwinServerOptions): Promise<RunningTwin> {
  const header = readHeaderOf(o.nodesetFile);
  const shipped = await shippedNodesets();
  const plan = planTwin(o.nodesetFile, header, shipped, readHeaderOf, o.host);
  if (o.security.requiresUser && o.users.length === 0) {
    throw usageError(
      `OPC UA profile "${o.security.profile}" allows no anonymous access, and no user is configured`,
      'set the password in $IIOT_SIM_PASSWORD or give --password-file',
    );
  }
  const opc = await loadServerModule(o.log);
  const { OPCUAServer, DataType } = opc;
  const name = `iiot twin (${o.host})`;
  const stores = await openServerStores(opc, {
    pkiDir: o.pkiDir,
    autoAcceptClientCertificates: o.autoAcceptClientCertificates,
    certificate: {
      applicationUri: plan.applicationUri,
      applicationName: name,
      host: o.host,
      validityDays: o.security.certificateValidityDays,
    },
  });
  const dispose = stores.dispose;
  const server: OPCUAServer = new OPCUAServer({
    port: o.port,
    host: o.host,
    hostname: o.host,
    nodeset_filename: plan.files,
    ...serverSecurityOptions(opc, stores, o.security, o.users),
    serverInfo: { applicationUri: plan.applicationUri, productUri: 'urn:iiot:twin', applicationName: { text: name, locale: 'en' } },
    buildInfo: { productName: 'iiot twin', manufacturerName: 'iiot', softwareVersion: '1.0', productUri: 'urn:iiot:twin' },
    serverCapabilities: serverCapabilities(o.limits ?? {}),
    isAuditing: false,
  });
  capReferencesPerNode(server, o.limits?.maxReferencesPerNode);
  try {
    await server.initialize();
  } catch (err) {
    await dispose();
    const message = ((err as Error).message.split('\n')[0] ?? '').replace(/^generateAddressSpace: /, '');
    throw new IiotError(ExitCode.Usage, `--nodeset ${o.nodesetFile}: node-opcua cannot load it: ${message}`, {
      hint: "check the file with xmllint --schema UANodeSet.xsd; run with --debug for node-opcua's own messages",
      cause: err,
    });
  }
  if (o.security.cleartextPasswordOnNone) offerCleartextPasswords(opc, server);
  const addressSpace = server.engine.addressSpace!;
  const served = addressSpace.getNamespaceArray().map((n) => n.namespaceUri);
  const moved: string[] = [];
  plan.original.forEach((uri, i) => {
    const now = served.indexOf(uri);
    if (i > 0 && now >= 0 && now !== i) moved.push(`${uri} is served at namespace index ${now}, not ${i} as on the exported server`);
  });

  // The file's variables, and what each one is.
  const variables = new Map<string, TwinVariable & { node: UAVariable; dataType: number }>();
  const propertyType = addressSpace.findVariableType('PropertyType');
  const enumerationType = addressSpace.findDataType('Enumeration');
  for (const uri of plan.own) {
    const ns = addressSpace.getNamespace(uri);
    if (!ns) continue;
    for (const node of (ns as unknown as { nodeIterator(): Iterable<{ nodeClass: number }> }).nodeIterator()) {
      if (node.nodeClass !== opc.NodeClass.Variable) continue;
      const v = node as unknown as UAVariable;
      const nodeId = v.nodeId.toString();
      const ident = nodeId.replace(/^ns=\d+;/, '');
      const basic = addressSpace.findCorrespondingBasicDataType(v.dataType);
      const range = (v.getChildByName('EURange') as UAVariable | null)?.readValue().value.value as
        | { low?: number; high?: number }
        | null
        | undefined;
      // Only numbers need their initial value (the centre of a simulation). Reading a structure
      // here is not harmless: node-opcua then serves an empty array inside it as null.
      const numeric = basic >= DataType.SByte && basic <= DataType.Double;
      const dv = numeric ? v.readValue() : undefined;
      variables.set(twinKey(uri, ident), {
        node: v,
        dataType: basic,
        nodeId,
        uri,
        ident,
        browseName: v.browseName.name ?? '',
        type: BUILTIN[basic] ?? 'Variant',
        array: v.valueRank >= 1,
        property: propertyType !== null && v.typeDefinition.toString() === propertyType.nodeId.toString(),
        writable: (v.accessLevel & 2) !== 0,
        declaration: v.modellingRule !== undefined && v.modellingRule !== null,
        enumeration: enumerationType !== null && (addressSpace.findDataType(v.dataType)?.isSubtypeOf(enumerationType) ?? false),
        range: range && typeof range.low === 'number' && typeof range.high === 'number' ? [range.low, range.high] : undefined,
        initial: dv?.statusCode.isGood() ? dv.value.value : undefined,
      });
    }
  }

  try {
    await server.start();
  } catch (err) {
    await server.shutdown(0).catch(() => undefined);
    await dispose();
    throw listenError(err, 'OPC UA twin', o.host, o.port);
  }
  let stopped: Promise<void> | undefined;
  return {
    endpointUrl: server.getEndpointUrl(),
    namespaceArray: served,
    applicationUri: plan.applicationUri,
    certificateFile: stores.certificateFile,
    pkiDir: o.pkiDir,
    header,
    variables,
    moved,
    nodeCount: () => {
      let n = 0;
      for (const ns of addressSpace.getNamespaceArray())
        for (const _ of (ns as unknown as { nodeIterator(): Iterable<unknown> }).nodeIterator()) n++;
      return n;
    },
    set(key, value, status, sourceTimestamp) {
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
