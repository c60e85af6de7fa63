/**
 * How users name a node: a node id (ns=2;s=Plant.Pump1, i=85, nsu=urn:plant;s=Pump1), a browse
 * path from the root (/Objects/2:Plant/Pump1) or a well-known name (Objects, Server). Parsed and
 * checked before any connection, so a typo costs nothing; browse paths are resolved on the server
 * by browse-path.ts. No node-opcua import.
 */
import { usageError } from '../../core/errors.js';

export interface PathSegment {
  /** namespace index when written ("2:Plant"); undefined matches any namespace */
  ns?: number | undefined;
  name: string;
}

export type NodeRef =
  | {
      kind: 'id';
      text: string /** namespace URI of an nsu= id, resolved against the server's NamespaceArray */;
      namespaceUri?: string | undefined;
    }
  | { kind: 'path'; text: string; segments: PathSegment[] };

/** Well-known nodes of namespace 0 (OPC UA Part 5), by the names people use. */
export const WELL_KNOWN: Record<string, string> = {
  root: 'i=84',
  rootfolder: 'i=84',
  objects: 'i=85',
  objectsfolder: 'i=85',
  types: 'i=86',
  typesfolder: 'i=86',
  views: 'i=87',
  viewsfolder: 'i=87',
  server: 'i=2253',
};

const NODE_ID =
  /^(?:ns=(\d+);|nsu=([^;]+);)?(i=\d+|s=.+|g=[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|b=[A-Za-z0-9+/=]+)$/s;

export function parseNodeRef(input: string, what = 'node'): NodeRef {
  const text = input.trim();
  if (text === '')
    throw usageError(`${what}: empty node id`, 'give a node id such as ns=2;s=Plant or i=85, or a browse path such as /Objects/Plant');
  if (text.startsWith('/')) return { kind: 'path', text, segments: parsePath(text, what) };
  const alias = WELL_KNOWN[text.toLowerCase()];
  if (alias) return { kind: 'id', text: alias };
  const m = NODE_ID.exec(text);
  if (!m) {
    throw usageError(
      `${what}: "${text}" is not a node id`,
      'node ids look like i=85, ns=2;s=Plant.Pump1, ns=3;g=<guid>, ns=1;b=<base64> or nsu=<namespace uri>;s=Name; a browse path starts with / (/Objects/Plant)',
    );
  }
  if (m[1] !== undefined && Number(m[1]) > 65535)
    throw usageError(`${what}: namespace index ${m[1]} in "${text}" is out of range (0-65535)`);
  if (m[3]!.startsWith('i=') && Number(m[3]!.slice(2)) > 0xffffffff)
    throw usageError(`${what}: numeric identifier in "${text}" is out of range`);
  if (m[2] !== undefined) return { kind: 'id', text: m[3]!, namespaceUri: m[2] };
  return { kind: 'id', text };
}

/** "/Objects/2:Plant/Pump&/1" -> segments; '&' escapes '/', ':' and '&' inside a name. */
function parsePath(text: string, what: string): PathSegment[] {
  const segments: PathSegment[] = [];
  let cur = '';
  let ns: number | undefined;
  let nsAllowed = true;
  const push = () => {
    if (cur === '' && ns === undefined) return;
    if (cur === '') throw usageError(`${what}: empty name in browse path "${text}"`);
    segments.push({ ns, name: cur });
    cur = '';
    ns = undefined;
    nsAllowed = true;
  };
  for (let i = 1; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '&') {
      const next = text[i + 1];
      if (next === undefined)
        throw usageError(
          `${what}: browse path "${text}" ends with a lone &`,
          'escape "/", ":" and "&" inside names as "&/", "&:" and "&&"',
        );
      cur += next;
      i++;
      nsAllowed = false;
      continue;
    }
    if (ch === '/') {
      push();
      continue;
    }
    if (ch === ':' && nsAllowed && /^\d+$/.test(cur)) {
      ns = Number(cur);
      cur = '';
      nsAllowed = false;
      continue;
    }
    cur += ch;
    if (!/\d/.test(ch)) nsAllowed = false;
  }
  push();
  if (segments.length === 0) return [];
  return segments;
}

/** A browse path segment as written in exports: "2:Plant", "Objects" (namespace 0), escaped. */
export function formatSegment(nsIndex: number, name: string): string {
  const escaped = name.replace(/[&/:]/g, (c) => `&${c}`);
  return nsIndex === 0 ? escaped : `${nsIndex}:${escaped}`;
}
