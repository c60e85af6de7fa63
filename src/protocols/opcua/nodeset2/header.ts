/**
 * The head of a NodeSet2 file, read before anything is loaded: its namespace table, the models
 * it defines and the models they require (URI, version, publication date), and what iiot's
 * export wrote about the server it came from. Only the text before the first node is read,
 * whatever the file's size. Pure (the caller reads the file).
 */
import { IIOT_EXTENSION_NS } from './writer.js';

export interface RequiredModelRef {
  uri: string;
  version?: string | undefined;
  publicationDate?: string | undefined;
}

export interface NodeSetHeader {
  namespaceUris: string[];
  models: Array<RequiredModelRef & { required: RequiredModelRef[] }>;
  /** written by `iiot browse --nodeset2`; absent in files from other tools */
  export?: {
    endpoint?: string | undefined;
    created?: string | undefined;
    complete: boolean;
    partialReason?: string | undefined;
    /** the exported server's NamespaceArray */
    serverNamespaces: string[];
  };
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

export function unescapeXml(s: string): string {
  return s.replace(/&(#x[0-9a-fA-F]+|#\d+|amp|lt|gt|quot|apos);/g, (_m, e: string) =>
    e.startsWith('#x')
      ? String.fromCodePoint(parseInt(e.slice(2), 16))
      : e.startsWith('#')
        ? String.fromCodePoint(Number(e.slice(1)))
        : ENTITIES[e]!,
  );
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of tag.matchAll(/([A-Za-z_:][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1]!] = unescapeXml(m[3] ?? m[4] ?? '');
  return out;
}

/** Where the header ends: the first node element (or the end of the document). */
export function headerEnd(text: string): number {
  const m = /<(?:[\w-]+:)?UA(?:Object|Variable|Method|View|ObjectType|VariableType|DataType|ReferenceType)\b/.exec(text);
  return m ? m.index : text.length;
}

export function parseNodeSetHeader(text: string): NodeSetHeader {
  const head = text.slice(0, headerEnd(text)).replace(/<!--[\s\S]*?-->/g, '');
  if (!/<(?:[\w-]+:)?UANodeSet\b/.test(head)) throw new Error('not a UANodeSet document (no <UANodeSet> element)');
  const section = (name: string) => new RegExp(`<(?:[\\w-]+:)?${name}\\b[^>]*>([\\s\\S]*?)</(?:[\\w-]+:)?${name}>`).exec(head)?.[1] ?? '';
  const uris = (block: string) =>
    [...block.matchAll(/<(?:[\w-]+:)?Uri\s*>([\s\S]*?)<\/(?:[\w-]+:)?Uri>/g)].map((m) => unescapeXml(m[1]!.trim()));
  const header: NodeSetHeader = { namespaceUris: uris(section('NamespaceUris')), models: [] };
  const models = section('Models');
  for (const m of models.matchAll(/<(?:[\w-]+:)?Model\b([^>]*?)(\/>|>([\s\S]*?)<\/(?:[\w-]+:)?Model>)/g)) {
    const a = attributes(m[1]!);
    const required = [...(m[3] ?? '').matchAll(/<(?:[\w-]+:)?RequiredModel\b([^>]*?)\/?>/g)].map((r) => ref(attributes(r[1]!)));
    header.models.push({ ...ref(a), required });
  }
  const exp = /<(?:[\w-]+:)?Export\b([^>]*)>([\s\S]*?)<\/(?:[\w-]+:)?Export>/.exec(section('Extensions'));
  if (exp && exp[1]!.includes(IIOT_EXTENSION_NS)) {
    const a = attributes(exp[1]!);
    header.export = {
      endpoint: a.Endpoint,
      created: a.Created,
      complete: a.Complete !== 'false',
      partialReason: a.PartialReason,
      serverNamespaces: uris(exp[2]!),
    };
  }
  return header;
}

function ref(a: Record<string, string>): RequiredModelRef {
  return {
    uri: a.ModelUri ?? '',
    ...(a.Version ? { version: a.Version } : {}),
    ...(a.PublicationDate ? { publicationDate: a.PublicationDate } : {}),
  };
}
