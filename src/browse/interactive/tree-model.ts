/**
 * The interactive browser's tree, as plain data and pure functions (so the keyboard logic can be
 * reasoned about without a terminal). A node can sit under several parents in OPC UA, so rows are
 * keyed by their path of node ids, not by node id alone.
 */
import type { ChildRef } from '../../protocols/opcua/browser-source.js';

export interface TreeNode {
  key: string;
  ref: ChildRef;
  parent?: string | undefined;
  depth: number;
  /** keys of the children; undefined until loaded */
  children?: string[] | undefined;
  loading?: boolean | undefined;
  error?: string | undefined;
}

export interface TreeState {
  nodes: ReadonlyMap<string, TreeNode>;
  root: string;
  /** browse path of the root ("/Objects") */
  rootPath: string;
  expanded: ReadonlySet<string>;
  cursor: number;
  /** marked variables by node id, with their browse path */
  marked: ReadonlyMap<string, { nodeId: string; path: string }>;
}

export function initialTree(root: ChildRef, rootPath: string): TreeState {
  const key = root.nodeId;
  return { nodes: new Map([[key, { key, ref: root, depth: 0 }]]), root: key, rootPath, expanded: new Set(), cursor: 0, marked: new Map() };
}

/** Rows on screen, in order: the root, then expanded children, depth first. */
export function visibleRows(s: TreeState): TreeNode[] {
  const out: TreeNode[] = [];
  const walk = (key: string) => {
    const n = s.nodes.get(key);
    if (!n) return;
    out.push(n);
    if (s.expanded.has(key) && n.children) for (const c of n.children) walk(c);
  };
  walk(s.root);
  return out;
}

export function selected(s: TreeState): TreeNode | undefined {
  return visibleRows(s)[s.cursor];
}

export function moveCursor(s: TreeState, delta: number): TreeState {
  const n = visibleRows(s).length;
  return { ...s, cursor: Math.max(0, Math.min(n - 1, s.cursor + delta)) };
}

export function setCursorTo(s: TreeState, key: string): TreeState {
  const i = visibleRows(s).findIndex((r) => r.key === key);
  return i < 0 ? s : { ...s, cursor: i };
}

export function setLoading(s: TreeState, key: string, loading: boolean, error?: string): TreeState {
  const n = s.nodes.get(key);
  if (!n) return s;
  const nodes = new Map(s.nodes);
  nodes.set(key, { ...n, loading, error });
  return { ...s, nodes };
}

/** Stores a node's children (in server order, each node once) and expands it. */
export function withChildren(s: TreeState, key: string, refs: readonly ChildRef[]): TreeState {
  const parent = s.nodes.get(key);
  if (!parent) return s;
  const nodes = new Map(s.nodes);
  const keys: string[] = [];
  const seen = new Set<string>();
  for (const ref of refs) {
    if (seen.has(ref.nodeId)) continue;
    seen.add(ref.nodeId);
    const k = `${key}/${ref.nodeId}`;
    keys.push(k);
    const prev = nodes.get(k);
    nodes.set(k, { key: k, ref, parent: key, depth: parent.depth + 1, ...(prev?.children ? { children: prev.children } : {}) });
  }
  nodes.set(key, { ...parent, children: keys, loading: false, error: undefined });
  const expanded = new Set(s.expanded);
  expanded.add(key);
  return { ...s, nodes, expanded };
}

export function expand(s: TreeState, key: string): TreeState {
  if (s.expanded.has(key)) return s;
  const expanded = new Set(s.expanded);
  expanded.add(key);
  return { ...s, expanded };
}

/** Collapses a node; the cursor stays on the same row. */
export function collapse(s: TreeState, key: string): TreeState {
  if (!s.expanded.has(key)) return s;
  const before = selected(s)?.key;
  const expanded = new Set(s.expanded);
  expanded.delete(key);
  let next: TreeState = { ...s, expanded };
  // If the cursor was inside the collapsed part, it moves to the collapsed node.
  if (before !== undefined && before !== key && before.startsWith(`${key}/`)) return setCursorTo(next, key);
  if (before !== undefined) next = setCursorTo(next, before);
  return next;
}

/** "/Objects/2:Plant/2:Pump1" for a row, from the root's path and the browse names on the way. */
export function pathOfKey(s: TreeState, key: string): string {
  const segs: string[] = [];
  for (let cur: string | undefined = key; cur !== undefined && cur !== s.root; cur = s.nodes.get(cur)?.parent) {
    const n = s.nodes.get(cur);
    if (!n) break;
    const name = n.ref.browseName.replace(/[&/:]/g, (c) => `&${c}`);
    segs.unshift(n.ref.ns === 0 ? name : `${n.ref.ns}:${name}`);
  }
  const base = s.rootPath === '/' ? '' : s.rootPath;
  return segs.length ? `${base}/${segs.join('/')}` : s.rootPath;
}

export function toggleMark(s: TreeState, key: string): { state: TreeState; marked: boolean | undefined } {
  const n = s.nodes.get(key);
  if (!n || n.ref.nodeClass !== 'Variable') return { state: s, marked: undefined };
  const marked = new Map(s.marked);
  if (marked.has(n.ref.nodeId)) {
    marked.delete(n.ref.nodeId);
    return { state: { ...s, marked }, marked: false };
  }
  marked.set(n.ref.nodeId, { nodeId: n.ref.nodeId, path: pathOfKey(s, key) });
  return { state: { ...s, marked }, marked: true };
}

/** Loaded rows (visible or not) whose name matches. */
export function loadedMatches(s: TreeState, match: (name: string) => boolean): string[] {
  const out: string[] = [];
  for (const n of s.nodes.values()) if (n.key !== s.root && (match(n.ref.displayName) || match(n.ref.browseName))) out.push(n.key);
  return out;
}

/** Expands every ancestor of a loaded row so it becomes visible. */
export function reveal(s: TreeState, key: string): TreeState {
  const expanded = new Set(s.expanded);
  for (let cur = s.nodes.get(key)?.parent; cur !== undefined; cur = s.nodes.get(cur)?.parent) expanded.add(cur);
  return setCursorTo({ ...s, expanded }, key);
}
