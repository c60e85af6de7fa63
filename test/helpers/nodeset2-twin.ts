/**
 * Helpers of the twin tests: a plain node-opcua server loaded with NodeSet2 files (the "PLC" a
 * twin is made of, and the check that an exported file loads into node-opcua), xmllint against
 * the OPC Foundation's schema, and a crawl that reads, for every node of the given namespaces,
 * what a twin must reproduce: browse name, class, type definition, every reference both ways,
 * data type, value rank, access level, unit, range and property values. That crawl uses
 * node-opcua's browse and read one node at a time, not the crawler the export uses.
 */
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { OPCUAServer, nodesets, OPCUACertificateManager } from 'node-opcua';
import type { ClientSession, DataValue, ReferenceDescription } from 'node-opcua-client';
import { AttributeIds, BrowseDirection, resolveNodeId } from 'node-opcua-client';
import { tempDir } from './opcua-plant.js';

export const XSD = fileURLToPath(new URL('../protocols/opcua/fixtures/UANodeSet.xsd', import.meta.url));
export const LINE_TYPES = fileURLToPath(new URL('../protocols/opcua/fixtures/line-types.NodeSet2.xml', import.meta.url));

/** xmllint's verdict on a file: '' when it validates, its messages otherwise. */
export function schemaErrors(file: string): string {
  try {
    execFileSync('xmllint', ['--noout', '--schema', XSD, file], { stdio: ['ignore', 'pipe', 'pipe'] });
    return '';
  } catch (err) {
    return String((err as { stderr?: Buffer }).stderr ?? err);
  }
}

export interface PlainServer {
  url: string;
  server: OPCUAServer;
  stop(): Promise<void>;
}

/** node-opcua's own server with these nodesets, on loopback and a free port, mode None. */
export async function startPlainServer(files: string[]): Promise<PlainServer> {
  const cm = new OPCUACertificateManager({ rootFolder: tempDir('plain-server-pki'), automaticallyAcceptUnknownCertificate: true });
  await cm.initialize();
  const server = new OPCUAServer({
    port: 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard, ...files],
    serverCertificateManager: cm,
    isAuditing: false,
  });
  await server.initialize();
  await server.start();
  return {
    url: server.getEndpointUrl(),
    server,
    stop: async () => {
      await server.shutdown(0);
      await cm.dispose();
    },
  };
}

export interface NodeFacts {
  browseName: string;
  nodeClass: number;
  references: string[];
  attributes: Record<string, string>;
}

const ATTRS: Array<[string, number]> = [
  ['DisplayName', AttributeIds.DisplayName],
  ['Description', AttributeIds.Description],
  ['DataType', AttributeIds.DataType],
  ['ValueRank', AttributeIds.ValueRank],
  ['ArrayDimensions', AttributeIds.ArrayDimensions],
  ['AccessLevel', AttributeIds.AccessLevel],
  ['MinimumSamplingInterval', AttributeIds.MinimumSamplingInterval],
  ['IsAbstract', AttributeIds.IsAbstract],
  ['Symmetric', AttributeIds.Symmetric],
  ['InverseName', AttributeIds.InverseName],
  ['EventNotifier', AttributeIds.EventNotifier],
  ['DataTypeDefinition', AttributeIds.DataTypeDefinition],
];

/** Every node of the namespace URIs reachable from the Root, with its facts, keyed "uri|ident". */
export async function factsOf(
  session: ClientSession,
  uris: string[],
  withValues: (browseName: string) => boolean,
): Promise<Map<string, NodeFacts>> {
  const nsArray = (await session.read({ nodeId: 'i=2255', attributeId: AttributeIds.Value })).value.value as string[];
  const wanted = new Set(uris.map((u) => nsArray.indexOf(u)).filter((i) => i > 0));
  const key = (id: string) => {
    const m = /^ns=(\d+);(.*)$/s.exec(id);
    return m ? `${nsArray[Number(m[1])]}|${m[2]}` : `http://opcfoundation.org/UA/|${id}`;
  };
  const seen = new Set<string>(['i=84']);
  const queue = ['i=84'];
  const out = new Map<string, NodeFacts>();
  while (queue.length > 0) {
    const id = queue.shift()!;
    const own = wanted.has(Number(/^ns=(\d+);/.exec(id)?.[1] ?? 0));
    const refs: string[] = [];
    let r = await session.browse({
      nodeId: id,
      browseDirection: own ? BrowseDirection.Both : BrowseDirection.Forward,
      referenceTypeId: own ? 'i=31' : 'i=33',
      includeSubtypes: true,
      resultMask: 63,
    });
    for (;;) {
      for (const ref of r.references ?? []) {
        const target = ref.nodeId.toString();
        refs.push(`${key(ref.referenceTypeId.toString())} ${ref.isForward ? '->' : '<-'} ${key(target)}`);
        const hierarchical = !own || (await isHierarchical(session, ref.referenceTypeId.toString()));
        if (ref.isForward && hierarchical && !seen.has(target)) {
          seen.add(target);
          queue.push(target);
        }
      }
      if (!r.continuationPoint || r.continuationPoint.length === 0) break;
      r = (await session.browseNext([r.continuationPoint], false))[0]!;
    }
    if (!own) continue;
    // five attributes per Read: the servers under test may allow no more
    const items = [AttributeIds.BrowseName, AttributeIds.NodeClass, ...ATTRS.map(([, a]) => a), AttributeIds.Value].map((attributeId) => ({
      nodeId: id,
      attributeId,
    }));
    const dvs: DataValue[] = [];
    for (let k = 0; k < items.length; k += 5) dvs.push(...(await session.read(items.slice(k, k + 5))));
    const qn = dvs[0]!.value.value as { namespaceIndex: number; name: string };
    const attributes: Record<string, string> = {};
    ATTRS.forEach(([name], k) => {
      const dv = dvs[k + 2]!;
      if (dv.statusCode.isGood() && dv.value.value !== null) attributes[name] = text(dv.value.value, key);
    });
    const value = dvs.at(-1)!;
    if (withValues(qn.name) && value.statusCode.isGood() && value.value.value !== null) attributes.Value = text(value.value.value, key);
    out.set(key(id), {
      browseName: `${nsArray[qn.namespaceIndex]}|${qn.name}`,
      nodeClass: dvs[1]!.value.value as number,
      references: refs.sort(),
      attributes,
    });
  }
  return out;
}

const hierarchicalCache = new Map<string, boolean>();
async function isHierarchical(session: ClientSession, refType: string): Promise<boolean> {
  const known = hierarchicalCache.get(refType);
  if (known !== undefined) return known;
  // walk up HasSubtype to HierarchicalReferences (i=33) or References (i=31)
  let cur = refType;
  for (let i = 0; i < 10; i++) {
    if (cur === 'ns=0;i=33' || cur === 'i=33') break;
    if (cur === 'ns=0;i=31' || cur === 'i=31' || cur === 'ns=0;i=32') {
      hierarchicalCache.set(refType, false);
      return false;
    }
    const r = await session.browse({
      nodeId: cur,
      browseDirection: BrowseDirection.Inverse,
      referenceTypeId: resolveNodeId('HasSubtype'),
      includeSubtypes: false,
      resultMask: 63,
    });
    const up = r.references?.[0]?.nodeId.toString();
    if (!up) break;
    cur = up;
  }
  const yes = cur === 'ns=0;i=33' || cur === 'i=33';
  hierarchicalCache.set(refType, yes);
  return yes;
}

/** Every reference a Browse lists, following continuation points. */
export async function browseAll(session: ClientSession, nodeId: string): Promise<ReferenceDescription[]> {
  let r = await session.browse({ nodeId, resultMask: 63 });
  const out = [...(r.references ?? [])];
  while (r.continuationPoint && r.continuationPoint.length > 0) {
    r = (await session.browseNext([r.continuationPoint], false))[0]!;
    out.push(...(r.references ?? []));
  }
  return out;
}

/** A value as text with node ids as "uri|ident", so two servers' answers compare by meaning. */
function text(v: unknown, key: (id: string) => string): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x && typeof x === 'object' && 'identifierType' in x && 'namespace' in x) return key(String(x));
    if (typeof x === 'string' && /^ns=\d+;[isgb]=/.test(x)) return key(x);
    if (typeof x === 'bigint') return String(x);
    return x;
  });
}
