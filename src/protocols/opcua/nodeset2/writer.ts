/**
 * The UANodeSet document (OPC UA Part 6, Annex F) of the nodes a crawl read in full: the
 * server's own namespaces, each a Model that requires namespace 0 and the server's companion
 * specifications by URI, version and publication date as the server reported them; Aliases for
 * the standard reference and data types used; then ReferenceTypes, DataTypes (with their
 * Definition), ObjectTypes, VariableTypes, and the instances, each with its attributes and
 * references. A reference is written once, on its source node, unless the source is not in the
 * file (Objects Organizes Plant is written on Plant, inverse). Node ids use the file's namespace
 * table (index i = NamespaceUris[i-1]); the table keeps the server's order, so the twin can
 * serve the same indexes. An iiot Extension records the server's NamespaceArray, where and when
 * the export was made, and whether it is complete. Pure: node-opcua objects are read by shape.
 */
import type { CrawledNode } from '../crawler.js';
import { nsIndexOf } from '../export.js';
import { UA_NAMESPACE } from './scope.js';
import { localNodeIdText, ValueNotWritable, writeValue, type ValueContext } from './values.js';
import { XmlWriter, type Attributes } from './xml.js';

export const NODESET_XSD = 'http://opcfoundation.org/UA/2011/03/UANodeSet.xsd';
/** namespace of iiot's Extension element */
export const IIOT_EXTENSION_NS = 'urn:iiot:nodeset2:export';

export interface NamespaceMetadata {
  version?: string | undefined;
  /** ISO 8601 */
  publicationDate?: string | undefined;
}

export interface NodeSetInput {
  /** the nodes to write (read in full: `details` set) */
  nodes: readonly CrawledNode[];
  /** the server's NamespaceArray */
  namespaceArray: readonly string[];
  /** indexes of the namespaces copied; the rest of namespaceArray are required models */
  own: ReadonlySet<number>;
  /** what the server's Server/Namespaces object says of each namespace, by URI */
  metadata: ReadonlyMap<string, NamespaceMetadata>;
  /** standard node names for Aliases ("i=47" -> "HasComponent") */
  aliasNames: ReadonlyMap<string, string>;
  /** the DefaultXml encoding of data types (server ids), from the crawl */
  xmlEncodings: ReadonlyMap<string, string>;
  endpoint: string;
  created: Date;
  complete: boolean;
  partialReason?: string | undefined;
  /** current values of data variables were read (--values) */
  values: boolean;
}

export interface NodeSetStats {
  nodes: number;
  references: number;
  values: number;
  /** values left out, with why (a structure node-opcua could not decode, a matrix...) */
  valuesLeftOut: Array<{ nodeId: string; why: string }>;
  /** characters XML cannot hold, written as U+FFFD */
  replacedCharacters: number;
  namespaceUris: string[];
}

const A = {
  DisplayName: 4,
  Description: 5,
  WriteMask: 6,
  IsAbstract: 8,
  Symmetric: 9,
  InverseName: 10,
  ContainsNoLoops: 11,
  EventNotifier: 12,
  Value: 13,
  DataType: 14,
  ValueRank: 15,
  ArrayDimensions: 16,
  AccessLevel: 17,
  UserAccessLevel: 18,
  MinimumSamplingInterval: 19,
  Historizing: 20,
  Executable: 21,
  UserExecutable: 22,
  DataTypeDefinition: 23,
} as const;

const TYPE_ORDER: Record<string, number> = { ReferenceType: 0, DataType: 1, ObjectType: 2, VariableType: 3 };
const AGGREGATES = new Set(['i=47', 'i=46', 'i=49']);

interface LocalizedTextLike {
  locale?: string | null;
  text?: string | null;
}

export function writeNodeSet(input: NodeSetInput, sink: (chunk: string) => void): NodeSetStats {
  const w = new XmlWriter(sink);
  const exported = new Set(input.nodes.map((n) => n.nodeId));

  // The file's namespace table: the server's namespaces in the server's order, less 0 and less
  // own namespaces with nothing in the file (node-opcua's ns=1 holds only session diagnostics).
  const used = new Set<number>(input.nodes.map((n) => nsIndexOf(n.nodeId)));
  const table: string[] = [];
  const localIndex = new Map<number, number>();
  input.namespaceArray.forEach((uri, i) => {
    if (i === 0 || (input.own.has(i) && !used.has(i))) return;
    table.push(uri);
    localIndex.set(i, table.length);
  });
  const ctx: ValueContext = {
    ns: (i) => (i === 0 ? 0 : localIndex.get(i)),
    xmlEncodingOf: (id) => input.xmlEncodings.get(id),
  };
  const id = (serverId: string) => localNodeIdText(serverId, ctx);
  const qualified = (ns: number, name: string) => (ns === 0 ? name : `${ctx.ns(ns) ?? ns}:${name}`);
  const stats: NodeSetStats = { nodes: 0, references: 0, values: 0, valuesLeftOut: [], replacedCharacters: 0, namespaceUris: table };

  w.raw('<?xml version="1.0" encoding="utf-8"?>\n');
  if (!input.complete) w.comment(`PARTIAL EXPORT: ${input.partialReason ?? 'the crawl stopped early'}. Nodes are missing from this file.`);
  w.comment(`Exported by iiot from ${input.endpoint} at ${input.created.toISOString()}`);
  w.open('UANodeSet', [
    ['xmlns:xsi', 'http://www.w3.org/2001/XMLSchema-instance'],
    ['xmlns:uax', 'http://opcfoundation.org/UA/2008/02/Types.xsd'],
    ['xmlns', NODESET_XSD],
    ['LastModified', input.created.toISOString()],
  ]);
  w.open('NamespaceUris');
  for (const uri of table) w.leaf('Uri', [], uri);
  w.close();

  const meta = (uri: string): Attributes => {
    const m = input.metadata.get(uri);
    return [
      ['ModelUri', uri],
      ['Version', m?.version],
      ['PublicationDate', m?.publicationDate],
    ];
  };
  const required = input.namespaceArray.filter((_uri, i) => !input.own.has(i));
  w.open('Models');
  for (const [i, uri] of input.namespaceArray.entries()) {
    if (!input.own.has(i) || !used.has(i)) continue;
    w.open('Model', meta(uri));
    for (const r of required) w.leaf('RequiredModel', meta(r));
    w.close();
  }
  w.close();

  // Aliases for the standard reference and data types the file uses.
  const aliasIds = new Set<string>();
  for (const n of input.nodes) {
    for (const r of n.details!.references) if (!r.type.startsWith('ns=')) aliasIds.add(r.type);
    const dt = n.details!.attributes[A.DataType];
    if (dt !== undefined) aliasIds.add(serverIdText(dt));
    const def = n.details!.attributes[A.DataTypeDefinition] as { fields?: Array<{ dataType?: unknown }> | null } | undefined;
    for (const f of def?.fields ?? []) if (f.dataType !== undefined && f.dataType !== null) aliasIds.add(serverIdText(f.dataType));
  }
  const aliases = [...aliasIds].flatMap((x) => {
    const name = input.aliasNames.get(x);
    return name ? [[name, x] as const] : [];
  });
  const aliasOf = new Map(aliases.map(([name, x]) => [x, name]));
  if (aliases.length > 0) {
    w.open('Aliases');
    for (const [name, x] of aliases.sort((a, b) => a[0].localeCompare(b[0]))) w.leaf('Alias', [['Alias', name]], x);
    w.close();
  }
  const ref = (serverId: string) => aliasOf.get(serverId) ?? id(serverId);

  w.open('Extensions').open('Extension');
  w.open('Export', [
    ['xmlns', IIOT_EXTENSION_NS],
    ['Endpoint', input.endpoint],
    ['Created', input.created.toISOString()],
    ['Complete', input.complete],
    ['PartialReason', input.complete ? undefined : (input.partialReason ?? 'the crawl stopped early')],
    ['Values', input.values],
  ]);
  w.open('ServerNamespaces');
  for (const uri of input.namespaceArray) w.leaf('Uri', [], uri);
  w.close().close().close().close();

  const order = input.nodes.map((n, k) => ({ n, k, rank: TYPE_ORDER[n.nodeClass] ?? 9 })).sort((a, b) => a.rank - b.rank || a.k - b.k);
  for (const { n } of order) {
    const d = n.details!;
    const at = d.attributes;
    const common: Array<[string, string | number | boolean | undefined]> = [
      ['NodeId', id(n.nodeId)],
      ['BrowseName', qualified(n.ns, n.browseName)],
    ];
    const writeMask = at[A.WriteMask] as number | undefined;
    if (writeMask) common.push(['WriteMask', writeMask]);
    const parent = d.references.find((r) => !r.forward && AGGREGATES.has(r.type));
    const instance = n.nodeClass === 'Object' || n.nodeClass === 'Variable' || n.nodeClass === 'Method' || n.nodeClass === 'View';
    if (instance && parent) common.push(['ParentNodeId', id(parent.target)]);
    let attrs: Attributes = common;
    switch (n.nodeClass) {
      case 'Object':
        attrs = [...common, ['EventNotifier', nonZero(at[A.EventNotifier])]];
        break;
      case 'Variable':
        attrs = [
          ...common,
          ['DataType', dataTypeAttr(at[A.DataType], ref)],
          ['ValueRank', at[A.ValueRank] === undefined || at[A.ValueRank] === -1 ? undefined : (at[A.ValueRank] as number)],
          ['ArrayDimensions', dims(at[A.ArrayDimensions])],
          ['AccessLevel', at[A.AccessLevel] === undefined || at[A.AccessLevel] === 1 ? undefined : (at[A.AccessLevel] as number)],
          [
            'UserAccessLevel',
            at[A.UserAccessLevel] === undefined || at[A.UserAccessLevel] === 1 ? undefined : (at[A.UserAccessLevel] as number),
          ],
          ['MinimumSamplingInterval', at[A.MinimumSamplingInterval] ? (at[A.MinimumSamplingInterval] as number) : undefined],
          ['Historizing', at[A.Historizing] ? true : undefined],
        ];
        break;
      case 'Method':
        attrs = [
          ...common,
          ['Executable', at[A.Executable] === false ? false : undefined],
          ['UserExecutable', at[A.UserExecutable] === false ? false : undefined],
        ];
        break;
      case 'ObjectType':
      case 'DataType':
        attrs = [...common, ['IsAbstract', at[A.IsAbstract] ? true : undefined]];
        break;
      case 'VariableType':
        attrs = [
          ...common,
          ['IsAbstract', at[A.IsAbstract] ? true : undefined],
          ['DataType', dataTypeAttr(at[A.DataType], ref)],
          ['ValueRank', at[A.ValueRank] === undefined || at[A.ValueRank] === -1 ? undefined : (at[A.ValueRank] as number)],
          ['ArrayDimensions', dims(at[A.ArrayDimensions])],
        ];
        break;
      case 'ReferenceType':
        attrs = [...common, ['IsAbstract', at[A.IsAbstract] ? true : undefined], ['Symmetric', at[A.Symmetric] ? true : undefined]];
        break;
      case 'View':
        attrs = [...common, ['ContainsNoLoops', at[A.ContainsNoLoops] ? true : undefined], ['EventNotifier', nonZero(at[A.EventNotifier])]];
        break;
      default:
        continue; // Unspecified: nothing a NodeSet can hold
    }
    w.open(`UA${n.nodeClass}`, attrs);
    localized(w, 'DisplayName', (at[A.DisplayName] as LocalizedTextLike | undefined) ?? { text: n.displayName });
    const description = at[A.Description] as LocalizedTextLike | undefined;
    if (description?.text) localized(w, 'Description', description);
    const refs = d.references.filter((r) => r.forward || !exported.has(r.target));
    let writtenRefs = 0;
    const refLines: Array<[string, boolean, string]> = [];
    for (const r of refs) {
      if (r.target.startsWith('svr=') || r.target.includes('svr=')) continue; // a node on another server
      try {
        refLines.push([ref(r.type), r.forward, id(r.target)]);
      } catch {
        // the other end is in a namespace the file does not hold (an own namespace with nothing exported)
      }
    }
    if (refLines.length > 0) {
      w.open('References');
      for (const [type, forward, target] of refLines) {
        w.leaf(
          'Reference',
          [
            ['ReferenceType', type],
            ['IsForward', forward ? undefined : false],
          ],
          target,
        );
        writtenRefs++;
      }
      w.close();
    }
    stats.references += writtenRefs;
    if (n.nodeClass === 'Variable' || n.nodeClass === 'VariableType') {
      const v = at[A.Value] as { dataType: number; arrayType?: number; value: unknown } | undefined;
      if (v && v.dataType !== 0) {
        try {
          writeValue(w, v, ctx);
          stats.values++;
        } catch (err) {
          if (!(err instanceof ValueNotWritable)) throw err;
          stats.valuesLeftOut.push({ nodeId: n.nodeId, why: err.message });
        }
      }
    }
    if (n.nodeClass === 'ReferenceType') {
      const inverse = at[A.InverseName] as LocalizedTextLike | undefined;
      if (inverse?.text) localized(w, 'InverseName', inverse);
    }
    if (n.nodeClass === 'DataType') definition(w, at[A.DataTypeDefinition], qualified(n.ns, n.browseName), ref);
    w.close();
    stats.nodes++;
  }
  w.close();
  w.end();
  stats.replacedCharacters = w.counter.replaced;
  return stats;
}

function serverIdText(x: unknown): string {
  const s = String((x as { toString(): string }).toString());
  return s.startsWith('ns=0;') ? s.slice(5) : s;
}

function dataTypeAttr(x: unknown, ref: (id: string) => string): string | undefined {
  if (x === undefined) return undefined;
  const s = serverIdText(x);
  return s === 'i=24' ? undefined : ref(s);
}

function nonZero(x: unknown): number | undefined {
  return typeof x === 'number' && x !== 0 ? x : undefined;
}

function dims(x: unknown): string | undefined {
  if (x === null || x === undefined) return undefined;
  const list = Array.from(x as ArrayLike<number>);
  return list.length === 0 ? undefined : list.join(',');
}

function localized(w: XmlWriter, name: string, t: LocalizedTextLike): void {
  w.leaf(name, t.locale ? [['Locale', t.locale]] : [], t.text ?? '');
}

interface StructureDefinitionLike {
  structureType?: number;
  fields?: Array<{
    name?: string | null;
    description?: LocalizedTextLike | null;
    dataType?: unknown;
    valueRank?: number;
    arrayDimensions?: number[] | null;
    maxStringLength?: number;
    isOptional?: boolean;
  }> | null;
}
interface EnumDefinitionLike {
  fields?: Array<{
    name?: string | null;
    value?: unknown;
    displayName?: LocalizedTextLike | null;
    description?: LocalizedTextLike | null;
  }> | null;
}

/** <Definition> of a DataType from its DataTypeDefinition attribute (StructureDefinition or EnumDefinition). */
function definition(w: XmlWriter, def: unknown, name: string, ref: (id: string) => string): void {
  if (def === null || def === undefined || typeof def !== 'object') return;
  const fields = (def as { fields?: unknown[] | null }).fields;
  if (!Array.isArray(fields)) return;
  const isStructure = 'structureType' in def || 'baseDataType' in def || 'defaultEncodingId' in def;
  if (isStructure) {
    const s = def as StructureDefinitionLike;
    // StructureType: 0 Structure, 1 WithOptionalFields, 2 Union, 3/4 the same with subtyped values
    const union = s.structureType === 2 || s.structureType === 4;
    const allowSubTypes = s.structureType === 3 || s.structureType === 4;
    w.open('Definition', [
      ['Name', name],
      ['IsUnion', union ? true : undefined],
    ]);
    for (const f of s.fields ?? []) {
      const attrs: Attributes = [
        ['Name', f.name ?? ''],
        ['DataType', f.dataType === undefined ? undefined : ref(serverIdText(f.dataType))],
        ['ValueRank', f.valueRank === undefined || f.valueRank === -1 ? undefined : f.valueRank],
        ['ArrayDimensions', dims(f.arrayDimensions)],
        ['MaxStringLength', f.maxStringLength ? f.maxStringLength : undefined],
        ['IsOptional', f.isOptional ? true : undefined],
        ['AllowSubTypes', allowSubTypes ? true : undefined],
      ];
      if (f.description?.text) {
        w.open('Field', attrs);
        localized(w, 'Description', f.description);
        w.close();
      } else w.leaf('Field', attrs);
    }
    w.close();
    return;
  }
  const e = def as EnumDefinitionLike;
  w.open('Definition', [['Name', name]]);
  for (const f of e.fields ?? []) {
    const attrs: Attributes = [
      ['Name', f.name ?? ''],
      ['Value', enumValue(f.value)],
    ];
    const dn = f.displayName?.text && f.displayName.text !== f.name ? f.displayName : undefined;
    if (dn || f.description?.text) {
      w.open('Field', attrs);
      if (dn) localized(w, 'DisplayName', dn);
      if (f.description?.text) localized(w, 'Description', f.description);
      w.close();
    } else w.leaf('Field', attrs);
  }
  w.close();
}

function enumValue(v: unknown): number {
  if (typeof v === 'number') return v;
  if (Array.isArray(v) && v.length === 2)
    return Number(BigInt.asIntN(64, (BigInt((v[0] as number) >>> 0) << 32n) | BigInt((v[1] as number) >>> 0)));
  return Number(v);
}

/** For the twin: namespace 0's URI, so callers need not import scope. */
export { UA_NAMESPACE };
