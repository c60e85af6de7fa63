/**
 * Values as NodeSet2 writes them (OPC UA Part 6, 5.3 XML encoding, inside <Value>): a Variant as
 * node-opcua's client decoded it becomes <Double>1.5</Double>, <ListOfString>...</ListOfString>,
 * <ExtensionObject><TypeId>...</TypeId><Body><EUInformation>...</EUInformation></Body>, and so on.
 * Structures are written field by field from the schema node-opcua decoded them with (their
 * DataTypeDefinition), enumerations as Name_Value. Namespace indexes inside values (NodeIds,
 * QualifiedNames) are translated to the file's table like everything else. What cannot be
 * written exactly (a matrix, an undecoded structure) is left out and reported, never guessed.
 * No node-opcua import: values arrive as node-opcua objects and are read by shape.
 */
import { XmlWriter, type Attributes } from './xml.js';

export const TYPES_XSD = 'http://opcfoundation.org/UA/2008/02/Types.xsd';

/** Built-in types by DataType id (Part 6, 5.1.2). */
export const BUILTIN: Record<number, string> = {
  1: 'Boolean',
  2: 'SByte',
  3: 'Byte',
  4: 'Int16',
  5: 'UInt16',
  6: 'Int32',
  7: 'UInt32',
  8: 'Int64',
  9: 'UInt64',
  10: 'Float',
  11: 'Double',
  12: 'String',
  13: 'DateTime',
  14: 'Guid',
  15: 'ByteString',
  16: 'XmlElement',
  17: 'NodeId',
  18: 'ExpandedNodeId',
  19: 'StatusCode',
  20: 'QualifiedName',
  21: 'LocalizedText',
  22: 'ExtensionObject',
  23: 'DataValue',
  24: 'Variant',
  25: 'DiagnosticInfo',
};

export interface ValueContext {
  /** a server namespace index -> the file's; undefined when the file has no such namespace */
  ns(serverIndex: number): number | undefined;
  /** the DefaultXml encoding node id (server form, "i=888") of a structure's data type, when the crawl knows it */
  xmlEncodingOf(dataTypeId: string): string | undefined;
}

export class ValueNotWritable extends Error {}

interface VariantLike {
  dataType: number;
  arrayType?: number;
  value: unknown;
}

/** Writes <Value>…</Value> for a Variant, or throws ValueNotWritable (nothing written then). */
export function writeValue(w: XmlWriter, variant: VariantLike, ctx: ValueContext): void {
  const type = BUILTIN[variant.dataType];
  if (type === undefined || variant.dataType === 0 || variant.value === null || variant.value === undefined)
    throw new ValueNotWritable('no value');
  if (type === 'DataValue' || type === 'DiagnosticInfo') throw new ValueNotWritable(`${type} values are not written`);
  // Write into a scratch writer first: a value that fails halfway leaves nothing behind.
  const chunks: string[] = [];
  const scratch = new XmlWriter((c) => chunks.push(c), w.depth + 1);
  const arrayType = variant.arrayType ?? 0;
  if (arrayType === 2) throw new ValueNotWritable('matrix values are not written');
  if (arrayType === 1) {
    const items = Array.from(variant.value as ArrayLike<unknown>);
    scratch.open(`ListOf${type}`, [['xmlns', TYPES_XSD]]);
    for (const item of items) element(scratch, type, type, item, ctx);
    scratch.close();
  } else {
    element(scratch, type, type, variant.value, ctx, [['xmlns', TYPES_XSD]]);
  }
  scratch.end();
  w.counter.replaced += scratch.counter.replaced;
  w.open('Value');
  w.raw(chunks.join(''));
  w.close();
}

const SIMPLE = new Set([
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
  'ByteString',
  'XmlElement',
]);

/** <name>value of type</name>, with the structure of the type's XML encoding. */
function element(w: XmlWriter, name: string, type: string, value: unknown, ctx: ValueContext, rootAttrs: Attributes = []): void {
  if (SIMPLE.has(type)) {
    w.leaf(name, rootAttrs, simpleText(type, value));
    return;
  }
  switch (type) {
    case 'Guid':
      w.open(name, rootAttrs)
        .leaf('String', [], String(value ?? ''))
        .close();
      return;
    case 'NodeId':
    case 'ExpandedNodeId':
      w.open(name, rootAttrs).leaf('Identifier', [], nodeIdInValue(value, ctx)).close();
      return;
    case 'StatusCode': {
      const code = typeof value === 'number' ? value : ((value as { value?: number } | null)?.value ?? 0);
      w.open(name, rootAttrs)
        .leaf('Code', [], String(code >>> 0))
        .close();
      return;
    }
    case 'QualifiedName': {
      const q = value as { namespaceIndex?: number; name?: string | null } | null;
      const ns = q?.namespaceIndex ?? 0;
      w.open(name, rootAttrs)
        .leaf('NamespaceIndex', [], String(ns === 0 ? 0 : translate(ns, ctx)))
        .leaf('Name', [], q?.name ?? '')
        .close();
      return;
    }
    case 'LocalizedText': {
      const t = value as { locale?: string | null; text?: string | null } | null;
      w.open(name, rootAttrs);
      if (t?.locale) w.leaf('Locale', [], t.locale);
      w.leaf('Text', [], t?.text ?? '').close();
      return;
    }
    case 'ExtensionObject':
      extensionObject(w, name, value, ctx, rootAttrs);
      return;
    case 'Variant': {
      const v = value as VariantLike | null;
      const t = v ? BUILTIN[v.dataType] : undefined;
      if (!v || !t || (v.arrayType ?? 0) !== 0) throw new ValueNotWritable('a Variant field that is empty or an array');
      w.open(name, rootAttrs);
      element(w, t, t, v.value, ctx);
      w.close();
      return;
    }
    default:
      throw new ValueNotWritable(`values of type ${type}`);
  }
}

function translate(ns: number, ctx: ValueContext): number {
  const local = ctx.ns(ns);
  if (local === undefined) throw new ValueNotWritable(`a value refers to namespace ${ns}, which the file does not hold`);
  return local;
}

/** "ns=3;s=X" with the file's namespace index; "i=11" stays. */
function nodeIdInValue(value: unknown, ctx: ValueContext): string {
  const text = String((value as { toString(): string } | null)?.toString() ?? 'i=0');
  return localNodeIdText(text, ctx);
}

export function localNodeIdText(serverText: string, ctx: Pick<ValueContext, 'ns'>): string {
  const m = /^ns=(\d+);(.*)$/s.exec(serverText);
  if (!m) return serverText;
  const ns = Number(m[1]);
  if (ns === 0) return m[2]!;
  const local = ctx.ns(ns);
  if (local === undefined) throw new ValueNotWritable(`a value refers to namespace ${ns}, which the file does not hold`);
  return `ns=${local};${m[2]}`;
}

function int64Text(value: unknown, signed: boolean): string {
  if (typeof value === 'number' || typeof value === 'bigint') return String(value);
  if (Array.isArray(value) && value.length === 2) {
    const big = (BigInt((value[0] as number) >>> 0) << 32n) | BigInt((value[1] as number) >>> 0);
    return String(signed ? BigInt.asIntN(64, big) : BigInt.asUintN(64, big));
  }
  throw new ValueNotWritable('a 64-bit integer in an unknown form');
}

function floatText(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return 'INF';
  if (x === -Infinity) return '-INF';
  return String(x);
}

function simpleText(type: string, value: unknown): string {
  switch (type) {
    case 'Boolean':
      return value ? 'true' : 'false';
    case 'Int64':
      return int64Text(value, true);
    case 'UInt64':
      return int64Text(value, false);
    case 'Float':
    case 'Double':
      return floatText(Number(value));
    case 'DateTime': {
      const d = value instanceof Date ? value : new Date(String(value));
      if (Number.isNaN(d.getTime())) throw new ValueNotWritable('an invalid DateTime');
      return d.toISOString();
    }
    case 'ByteString':
      return value == null ? '' : Buffer.from(value as Uint8Array).toString('base64');
    case 'String':
    case 'XmlElement':
      return value == null ? '' : String(value);
    default:
      return String(Number(value));
  }
}

interface FieldLike {
  name: string;
  originalName?: string;
  fieldType: string;
  isArray?: boolean;
  category?: string;
  schema?: { enumValues?: Record<string, unknown>; name?: string } & SchemaLike;
}
interface SchemaLike {
  name?: string;
  fields?: FieldLike[];
  dataTypeNodeId?: { toString(): string; isEmpty?(): boolean };
  encodingDefaultXml?: { toString(): string; isEmpty?(): boolean } | null;
}

function extensionObject(w: XmlWriter, name: string, value: unknown, ctx: ValueContext, rootAttrs: Attributes): void {
  const obj = value as { schema?: SchemaLike } | null;
  const schema = obj?.schema;
  if (!obj || !schema?.fields || schema.name === 'OpaqueStructure') throw new ValueNotWritable('a structure node-opcua could not decode');
  const dataTypeId = schema.dataTypeNodeId && !schema.dataTypeNodeId.isEmpty?.() ? schema.dataTypeNodeId.toString() : undefined;
  const enc =
    schema.encodingDefaultXml && !schema.encodingDefaultXml.isEmpty?.()
      ? schema.encodingDefaultXml.toString()
      : dataTypeId
        ? ctx.xmlEncodingOf(shortId(dataTypeId))
        : undefined;
  if (enc === undefined) throw new ValueNotWritable(`structure ${schema.name}: no XML encoding known`);
  w.open(name, rootAttrs);
  w.open('TypeId')
    .leaf('Identifier', [], localNodeIdText(enc.startsWith('ns=') || enc.startsWith('i=') ? enc : shortId(enc), ctx))
    .close();
  w.open('Body');
  structure(w, schema.name ?? 'Structure', obj as Record<string, unknown> & { schema: SchemaLike }, ctx);
  w.close().close();
}

const shortId = (s: string) => (s.startsWith('ns=0;') ? s.slice(5) : s);

function structure(w: XmlWriter, name: string, obj: Record<string, unknown> & { schema?: SchemaLike }, ctx: ValueContext): void {
  w.open(name);
  for (const f of obj.schema?.fields ?? []) {
    const v = obj[f.name];
    const fieldName = f.originalName ?? f.name.charAt(0).toUpperCase() + f.name.slice(1);
    if (v === undefined) continue; // an optional field that is absent
    if (f.isArray) {
      if (v === null) continue;
      const items = Array.from(v as ArrayLike<unknown>);
      // an empty array is an empty element (node-opcua reads whitespace inside one as no array at all)
      if (items.length === 0) {
        w.leaf(fieldName);
        continue;
      }
      w.open(fieldName);
      for (const item of items) field(w, f.fieldType, f, item, ctx);
      w.close();
    } else {
      field(w, fieldName, f, v, ctx);
    }
  }
  w.close();
}

function field(w: XmlWriter, name: string, f: FieldLike, v: unknown, ctx: ValueContext): void {
  if (f.category === 'enumeration') {
    const names = f.schema?.enumValues ?? {};
    const label = Object.entries(names).find(([k, x]) => x === v && Number.isNaN(Number(k)))?.[0] ?? 'Value';
    w.leaf(name, [], `${label}_${Number(v)}`);
    return;
  }
  if (f.category === 'complex' && !BUILTIN_NAMES.has(f.fieldType)) {
    if (v === null) return;
    // a structure inside a structure: its fields, under the field's element
    structure(w, name, v as Record<string, unknown> & { schema?: SchemaLike }, ctx);
    return;
  }
  element(w, name, f.fieldType, v, ctx);
}

const BUILTIN_NAMES = new Set(Object.values(BUILTIN));
