/**
 * What a crawl becomes for people and programs: a text tree, a JSON tree (`--json`), a flat CSV
 * (`--csv`) and a tag list (`--tags`). Filters by node class and browse-name pattern apply to
 * every form; the tree keeps the ancestors of what matches so it still reads as a tree. A partial
 * crawl says so in every form. No node-opcua import.
 */
import type { Styler } from '../../render/color.js';
import { accessString, type CrawledNode, type CrawlResult, type NodeClassName } from './crawler.js';
import type { NodeAttributes } from './attributes.js';
import { formatSegment } from './node-ref.js';
import { TAG_LIST_FORMAT, tagNameFromPath, type TagList, type TagListEntry } from './tag-list.js';
import { withNodeIds } from './tag-names.js';
import { valueText } from './values.js';

export interface ExportFilter {
  classes?: ReadonlySet<NodeClassName> | undefined;
  /** glob on the browse name (without namespace) or display name, case-insensitive: * and ? */
  name?: string | undefined;
}

export function globToRegExp(glob: string): RegExp {
  const re = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i');
}

export function makeMatcher(filter: ExportFilter): (n: CrawledNode) => boolean {
  const re = filter.name !== undefined ? globToRegExp(filter.name) : undefined;
  return (n) => (!filter.classes || filter.classes.has(n.nodeClass)) && (!re || re.test(n.browseName) || re.test(n.displayName));
}

/** Browse paths of every node, from the root's own path (computed once, parents first). */
export function browsePaths(result: CrawlResult, rootPaths: ReadonlyMap<number, string>): string[] {
  const paths: string[] = new Array<string>(result.nodes.length);
  result.nodes.forEach((n, i) => {
    if (n.parent === undefined) {
      paths[i] = rootPaths.get(i) ?? (n.nodeId === 'i=84' ? '/' : `/${formatSegment(n.ns, n.browseName)}`);
      return;
    }
    const p = paths[n.parent]!;
    paths[i] = `${p === '/' ? '' : p}/${formatSegment(n.ns, n.browseName)}`;
  });
  return paths;
}

/** Nodes to show in a tree: matches and their ancestors (indices, in crawl order). */
function visibleInTree(result: CrawlResult, match: (n: CrawledNode) => boolean): Set<number> {
  const keep = new Set<number>();
  result.nodes.forEach((n, i) => {
    if (!match(n)) return;
    for (let cur: number | undefined = i; cur !== undefined && !keep.has(cur); cur = result.nodes[cur]!.parent) keep.add(cur);
  });
  for (const r of result.roots) keep.add(r);
  return keep;
}

export interface JsonTreeNode {
  nodeId: string;
  browseName: string;
  displayName: string;
  nodeClass: NodeClassName;
  referenceType?: string | undefined;
  typeDefinition?: string | undefined;
  dataType?: string | undefined;
  valueRank?: number | undefined;
  unit?: string | undefined;
  range?: [number, number] | undefined;
  access?: string | undefined;
  userAccess?: string | undefined;
  /** other nodes that reference this one hierarchically */
  alsoUnder?: string[] | undefined;
  /** children not listed: beyond --depth, or the crawl stopped first */
  notBrowsed?: true | undefined;
  browseStatus?: string | undefined;
  attributes?: NodeAttributes | undefined;
  children?: JsonTreeNode[] | undefined;
}

export function toJsonTree(result: CrawlResult, filter: ExportFilter, attributes?: ReadonlyMap<string, NodeAttributes>): JsonTreeNode[] {
  const keep = visibleInTree(result, makeMatcher(filter));
  const build = (i: number): JsonTreeNode => {
    const n = result.nodes[i]!;
    const children = n.children.filter((c) => keep.has(c)).map(build);
    const attrs = attributes?.get(n.nodeId);
    return {
      nodeId: n.nodeId,
      browseName: formatSegment(n.ns, n.browseName),
      displayName: n.displayName,
      nodeClass: n.nodeClass,
      ...(n.referenceType !== undefined ? { referenceType: n.referenceType } : {}),
      ...(n.typeDefinition !== undefined ? { typeDefinition: n.typeDefinition } : {}),
      ...(n.dataType !== undefined ? { dataType: n.dataType } : {}),
      ...(n.valueRank !== undefined ? { valueRank: n.valueRank } : {}),
      ...(n.unit !== undefined ? { unit: n.unit } : {}),
      ...(n.range !== undefined ? { range: n.range } : {}),
      ...(n.accessLevel !== undefined ? { access: accessString(n.accessLevel) } : {}),
      ...(n.userAccessLevel !== undefined ? { userAccess: accessString(n.userAccessLevel) } : {}),
      ...(n.otherParents?.length ? { alsoUnder: n.otherParents.map((p) => result.nodes[p]!.nodeId) } : {}),
      ...(!n.browsed && n.nodeClass !== 'Method' ? { notBrowsed: true as const } : {}),
      ...(n.browseStatus !== undefined ? { browseStatus: n.browseStatus } : {}),
      ...(attrs ? { attributes: attrs } : {}),
      ...(children.length ? { children } : {}),
    };
  };
  return result.roots.map(build);
}

const CSV_HEADER = ['node_id', 'browse_path', 'node_class', 'data_type', 'unit', 'access', 'display_name', 'eu_low', 'eu_high'];

function csvField(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\r\n]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** The flat export, line by line (100 000 nodes should not become one string). */
export function* csvLines(result: CrawlResult, paths: readonly string[], filter: ExportFilter): Generator<string> {
  const match = makeMatcher(filter);
  yield CSV_HEADER.join(',');
  for (let i = 0; i < result.nodes.length; i++) {
    const n = result.nodes[i]!;
    if (!match(n)) continue;
    yield [
      n.nodeId,
      paths[i],
      n.nodeClass,
      n.dataType,
      n.unit,
      n.nodeClass === 'Variable' ? accessString(n.userAccessLevel ?? n.accessLevel) : undefined,
      n.displayName,
      n.range?.[0],
      n.range?.[1],
    ]
      .map(csvField)
      .join(',');
  }
  // A last line that makes a partial export impossible to mistake for a complete one.
  if (!result.complete) yield `# PARTIAL: ${result.partialReason ?? 'the crawl stopped early'}; ${result.nodes.length} nodes`;
}

/**
 * Data variables as a tag list: Variables that are not properties (EngineeringUnits, EURange and
 * other HasProperty children describe a variable; they are not signals to record).
 */
export function toTagList(
  result: CrawlResult,
  paths: readonly string[],
  filter: ExportFilter,
  endpoint: string,
  o: { unique?: boolean } = {},
): TagList {
  const match = makeMatcher(filter);
  const tags: TagListEntry[] = [];
  result.nodes.forEach((n, i) => {
    if (n.nodeClass !== 'Variable' || n.referenceType === 'HasProperty' || !match(n)) return;
    const nsUri = result.namespaces[nsIndexOf(n.nodeId)];
    tags.push({
      name: tagNameFromPath(paths[i]!),
      nodeId: n.nodeId,
      ...(nsUri && nsIndexOf(n.nodeId) > 0 ? { namespaceUri: nsUri } : {}),
      ...(n.dataType !== undefined ? { dataType: n.dataType } : {}),
      ...(n.unit !== undefined ? { unit: n.unit } : {}),
      ...(n.range !== undefined ? { range: n.range } : {}),
      path: paths[i]!,
    });
  });
  return {
    format: TAG_LIST_FORMAT,
    endpoint,
    created: new Date().toISOString(),
    ...(result.complete ? {} : { partial: true }),
    // a path that repeats (the same names in two namespaces): the node id after the name (tag-names.ts); the recorder does that itself, and says so
    tags: o.unique === false ? tags : withNodeIds(tags),
  };
}

export function nsIndexOf(nodeId: string): number {
  const m = /^ns=(\d+);/.exec(nodeId);
  return m ? Number(m[1]) : 0;
}

export interface TreeRenderOptions {
  style: Styler;
  attributes?: ReadonlyMap<string, NodeAttributes> | undefined;
  /** stop after this many lines (a terminal is not a file) */
  maxLines?: number | undefined;
}

/** The text tree for a terminal: display name, node id, class or data type, and attributes on request. */
export function renderTree(
  result: CrawlResult,
  filter: ExportFilter,
  opts: TreeRenderOptions,
): { text: string; lines: number; cut: number } {
  const match = makeMatcher(filter);
  const keep = visibleInTree(result, match);
  const s = opts.style;
  const out: string[] = [];
  let cut = 0;
  const line = (i: number, prefix: string, branch: string) => {
    if (opts.maxLines !== undefined && out.length >= opts.maxLines) {
      cut++;
      return;
    }
    const n = result.nodes[i]!;
    const what = n.nodeClass === 'Variable' ? (n.dataType ?? 'Variable') : n.nodeClass;
    const extras: string[] = [];
    const a = opts.attributes?.get(n.nodeId);
    if (a) {
      if (a.value !== undefined) extras.push(s.bold(valueText(a.value, 40)));
      else if (a.status && a.status !== 'Good' && n.nodeClass === 'Variable') extras.push(s.yellow(a.status));
      if (a.unit ?? n.unit) extras.push(a.unit ?? n.unit!);
      if (a.range ?? n.range) extras.push(`[${(a.range ?? n.range)!.join(' .. ')}]`);
      if (a.userAccessLevel) extras.push(a.userAccessLevel);
      if (a.historizing) extras.push('historizing');
      if (a.description) extras.push(s.dim(`"${valueText(a.description, 50)}"`));
    } else {
      if (n.unit) extras.push(n.unit);
      if (n.range) extras.push(`[${n.range.join(' .. ')}]`);
    }
    const name = match(n) ? n.displayName : s.dim(n.displayName);
    const status = n.browseStatus ? ` ${s.red(n.browseStatus)}` : '';
    out.push(`${prefix}${branch}${name}  ${s.dim(n.nodeId)}  ${s.cyan(what)}${extras.length ? `  ${extras.join('  ')}` : ''}${status}`);
  };
  const walk = (i: number, prefix: string, last: boolean, isRoot: boolean) => {
    line(i, prefix, isRoot ? '' : last ? '└─ ' : '├─ ');
    const kids = result.nodes[i]!.children.filter((c) => keep.has(c));
    const childPrefix = isRoot ? prefix : prefix + (last ? '   ' : '│  ');
    kids.forEach((c, k) => walk(c, childPrefix, k === kids.length - 1, false));
  };
  for (const r of result.roots) walk(r, '', true, true);
  return { text: out.join('\n'), lines: out.length, cut };
}
