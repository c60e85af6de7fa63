/**
 * OPC UA tag names, one per node. A tag is named by the name a tag list gives it (a person chose
 * it: never changed), else by the string of a string node id (`ns=5;s=pump1.vibration` ->
 * `pump1.vibration`), else by its browse path after /Objects with dots (`--subtree`, a `--node`
 * given as a path), else (a `--node` by numeric, GUID or opaque id) by its browse name.
 *
 * Two nodes that come to one name are told apart, the same way in every run:
 *   1. a node named by its browse name alone is named by its browse path instead (two
 *      `Temperature` variables in different folders become `Line1.Temperature` and
 *      `Line2.Temperature`);
 *   2. a name still shared (the same path in two namespaces, a browse name with a dot in it) is
 *      followed by `~` and the node id (`Plant.Temp~ns=3;s=Plant.Temp`) for every node that got
 *      it from the server; a tag list's name stays as written;
 *   3. one name given by two tag lists to two nodes cannot be told apart by iiot: refused, naming
 *      both files and nodes.
 * Each renaming is reported, for stderr. No node-opcua import.
 */
import { usageError } from '../../core/errors.js';
import { tagNameFromPath } from './tag-list.js';

export type NameOrigin =
  /** a tag list's name (the file) */
  | { kind: 'list'; file: string }
  /** the browse path of a --subtree crawl or a --node given as a path */
  | { kind: 'path' }
  /** the string of a string node id */
  | { kind: 'string' }
  /** the browse name of a --node given by another kind of id */
  | { kind: 'browseName' };

export interface NamedNode {
  name: string;
  nodeId: string;
  origin: NameOrigin;
  path?: string | undefined;
}

/** Node ids and paths of the nodes a renaming touched, for one line each. */
export interface Renaming {
  from: string;
  to: string;
  nodeId: string;
}

function groups<T extends { name: string }>(nodes: readonly T[]): Map<string, T[]> {
  const by = new Map<string, T[]>();
  for (const n of nodes) {
    const list = by.get(n.name);
    if (list) list.push(n);
    else by.set(n.name, [n]);
  }
  return new Map([...by].filter(([, list]) => list.length > 1));
}

/**
 * Unique names for nodes (each node once), by the rules above. `pathOf` finds a node's browse
 * path (from /Objects) for step 1; without it, step 1 is skipped.
 */
export async function uniqueNodeNames<T extends NamedNode>(
  nodes: readonly T[],
  pathOf?: (nodeId: string) => Promise<string | undefined>,
): Promise<{ nodes: T[]; renamed: Renaming[] }> {
  const out = nodes.map((n) => ({ ...n }));
  const renamed: Renaming[] = [];
  for (const [name, list] of groups(out)) {
    const lists = list.filter((n) => n.origin.kind === 'list');
    if (lists.length > 1) {
      const [a, b] = lists as [T & { origin: { file: string } }, T & { origin: { file: string } }];
      throw usageError(
        `tag "${name}" names two nodes: ${a.nodeId} (${a.origin.file}) and ${b.nodeId} (${b.origin.file})`,
        'give one of them another name: edit its `name:` in the tag list (the name is what capture files call the tag)',
      );
    }
  }
  // 1. browse names shared: browse paths instead
  if (pathOf) {
    for (const [, list] of groups(out)) {
      for (const n of list) {
        if (n.origin.kind !== 'browseName') continue;
        const path = await pathOf(n.nodeId);
        if (path === undefined) continue;
        const to = tagNameFromPath(path);
        if (to === n.name) continue;
        renamed.push({ from: n.name, to, nodeId: n.nodeId });
        n.name = to;
        n.path = path;
        n.origin = { kind: 'path' };
      }
    }
  }
  // 2. still shared: the node id after the name, for every name that came from the server
  const final = withNodeIds(out, (n) => n.origin.kind === 'list', renamed);
  const left = [...groups(final)][0];
  if (left)
    throw usageError(
      `tag "${left[0]}" names two nodes: ${left[1].map((n) => n.nodeId).join(' and ')}`,
      'give one of them another name in its tag list',
    );
  return { nodes: final, renamed };
}

/**
 * Step 2 alone, for names that all come from the server (`iiot browse --tags` writing a tag
 * list): a name two nodes share gets `~<node id>` after it on each (unless `keep` says it was
 * written by a person).
 */
export function withNodeIds<T extends { name: string; nodeId: string }>(
  nodes: readonly T[],
  keep: (n: T) => boolean = () => false,
  renamed: Renaming[] = [],
): T[] {
  const shared = groups(nodes);
  return nodes.map((n) => {
    if (!shared.has(n.name) || keep(n)) return n;
    const to = `${n.name}~${n.nodeId}`;
    renamed.push({ from: n.name, to, nodeId: n.nodeId });
    return { ...n, name: to };
  });
}

/** One line for people: what was renamed, and why. */
export function describeRenamings(source: string, renamed: readonly Renaming[]): string[] {
  return renamed.map((r) => `${source}: ${r.nodeId} is recorded as "${r.to}": another node of this source is also called "${r.from}"`);
}
