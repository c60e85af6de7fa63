/**
 * The interactive OPC UA browser: a lazily expanding tree on the left, the selected node's
 * attributes and live value on the right, a status line at the bottom. Keys:
 *   ↑ ↓ (k j) move · → (l) open / enter · ← (h) close / parent · Enter toggle
 *   / search · n next match · space mark a variable · s save marked as a tag list
 *   c copy the node id (OSC 52) · q quit (the selected node id is printed on exit)
 */
import { Box, Text, useApp, useInput, useStdin, useWindowSize } from 'ink';
import { useCallback, useEffect, useRef, useState } from 'react';
import type { BrowserSource, ChildRef, NodeAttributes, SearchHit, ValueReading } from '../../protocols/opcua/browser-source.js';
import { matcherFor } from '../../protocols/opcua/browser-source.js';
import { KEY_LINE } from './keys.js';
import { isExistsError } from '../../core/output-file.js';
import {
  collapse,
  expand,
  initialTree,
  loadedMatches,
  moveCursor,
  pathOfKey,
  reveal,
  selected,
  setCursorTo,
  setLoading,
  toggleMark,
  visibleRows,
  withChildren,
  type TreeNode,
  type TreeState,
} from './tree-model.js';

export interface BrowserAppProps {
  source: BrowserSource;
  root: ChildRef;
  rootPath: string;
  /** called once when the user quits (q, Esc) with the node id under the cursor, or is interrupted (Ctrl-C) */
  onExit: (nodeId: string | undefined, how: 'quit' | 'interrupt') => void;
  /** tree rows on screen (default: the terminal's height minus the frame, following resizes) */
  height?: number | undefined;
  defaultTagFile?: string | undefined;
  /** where OSC 52 clipboard sequences go (the terminal) */
  writeTerminal?: ((s: string) => void) | undefined;
}

/** Lines around the tree: the title, the status line and the key line, and a margin. */
const FRAME_ROWS = 5;

type Mode = { kind: 'tree' } | { kind: 'search'; input: string } | { kind: 'save'; input: string };

const ICON: Record<string, string> = {
  Object: '◆',
  Variable: '●',
  Method: 'ƒ',
  ObjectType: '◇',
  VariableType: '○',
  DataType: 'T',
  ReferenceType: '→',
  View: '▣',
};

function errorText(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'error';
}

export function OpcUaBrowser(props: BrowserAppProps) {
  const { source } = props;
  const { exit } = useApp();
  const { isRawModeSupported } = useStdin();
  const [tree, setTree] = useState<TreeState>(() => initialTree(props.root, props.rootPath));
  const treeRef = useRef(tree);
  /** Every change goes through here, so key handlers and async loads always see the latest tree. */
  const update = useCallback((fn: (t: TreeState) => TreeState) => {
    treeRef.current = fn(treeRef.current);
    setTree(treeRef.current);
  }, []);
  const [mode, setMode] = useState<Mode>({ kind: 'tree' });
  const modeRef = useRef(mode);
  const [status, setStatus] = useState<{ text: string; error?: boolean } | undefined>(undefined);
  const [attrs, setAttrs] = useState<NodeAttributes | undefined>(undefined);
  const [live, setLive] = useState<ValueReading | undefined>(undefined);
  const [hits, setHits] = useState<{ list: SearchHit[] | string[]; index: number } | undefined>(undefined);
  const [tagFile, setTagFile] = useState(props.defaultTagFile ?? 'iiot.tags');
  // The terminal's size, again on every resize (ink re-renders the width by itself).
  const screen = useWindowSize();
  const height = Math.max(5, props.height ?? screen.rows - FRAME_ROWS);

  const current = selected(tree);
  const currentId = current?.ref.nodeId;

  /** Loads a node's children (once) and expands it. */
  const open = useCallback(
    async (key: string): Promise<boolean> => {
      const n = treeRef.current.nodes.get(key);
      if (!n) return false;
      if (n.children) {
        update((t) => expand(t, key));
        return true;
      }
      update((t) => setLoading(t, key, true));
      try {
        const refs = await source.children(n.ref.nodeId);
        update((t) => withChildren(t, key, refs));
        treeRef.current = withChildren(treeRef.current, key, refs);
        return true;
      } catch (err) {
        update((t) => setLoading(t, key, false, errorText(err)));
        setStatus({ text: `${n.ref.displayName}: ${errorText(err)}`, error: true });
        return false;
      }
    },
    [source],
  );

  // The root opens by itself: an empty screen helps nobody.
  useEffect(() => {
    void open(tree.root);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // Attributes and live value of the selected node.
  useEffect(() => {
    if (currentId === undefined) return;
    let cancelled = false;
    setAttrs(undefined);
    setLive(undefined);
    const timer = setTimeout(() => {
      source.attributes(currentId).then(
        (a) => !cancelled && setAttrs(a),
        (err: unknown) => !cancelled && setStatus({ text: errorText(err), error: true }),
      );
    }, 60);
    const stop = current?.ref.nodeClass === 'Variable' ? source.watch(currentId, (r) => !cancelled && setLive(r)) : undefined;
    return () => {
      cancelled = true;
      clearTimeout(timer);
      stop?.();
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [currentId, source]);

  /** Makes a search hit visible: loads and expands every node on its way. */
  const goToHit = useCallback(
    async (hit: SearchHit | string) => {
      if (typeof hit === 'string') {
        update((t) => reveal(t, hit));
        return;
      }
      let key = treeRef.current.root;
      for (const step of hit.chain) {
        if (!(await open(key))) return;
        const parent = treeRef.current.nodes.get(key);
        const child = parent?.children?.find((k) => treeRef.current.nodes.get(k)?.ref.nodeId === step.nodeId);
        if (!child) {
          setStatus({ text: `${step.displayName} is no longer there`, error: true });
          return;
        }
        key = child;
      }
      update((t) => reveal(t, key));
    },
    [open],
  );

  // Search asks the server (below the root the browser started from), not only the nodes loaded
  // so far: what has not been opened yet is what one searches for. The loaded nodes are the
  // fallback when the server's answer fails.
  const runSearch = useCallback(
    async (query: string) => {
      if (query.trim() === '') return;
      setStatus({ text: `searching the server for "${query}"...` });
      try {
        const found = await source.search(treeRef.current.nodes.get(treeRef.current.root)!.ref.nodeId, query.trim());
        if (found.length === 0) {
          setHits(undefined);
          setStatus({ text: `no match for "${query}"`, error: true });
          return;
        }
        setHits({ list: found, index: 0 });
        setStatus({ text: `${found.length} match${found.length === 1 ? '' : 'es'} for "${query}" (n: next)` });
        await goToHit(found[0]!);
      } catch (err) {
        const local = loadedMatches(treeRef.current, matcherFor(query.trim()));
        if (local.length === 0) {
          setStatus({ text: `search failed: ${errorText(err)}`, error: true });
          return;
        }
        setHits({ list: local, index: 0 });
        setStatus({
          text: `the server's search failed (${errorText(err)}): ${local.length} match${local.length === 1 ? '' : 'es'} among the nodes loaded (n: next)`,
          error: true,
        });
        await goToHit(local[0]!);
      }
    },
    [goToHit, source],
  );

  // A file that exists is replaced only when asked twice: s, Enter on the same name again.
  const replaceRef = useRef<string | undefined>(undefined);
  const save = useCallback(
    async (file: string) => {
      const marked = [...treeRef.current.marked.values()];
      if (marked.length === 0) {
        setStatus({ text: 'nothing marked: mark variables with space first', error: true });
        return;
      }
      try {
        const n = await source.saveTags(file, marked, replaceRef.current === file);
        replaceRef.current = undefined;
        setTagFile(file);
        setStatus({ text: `saved ${n} tag${n === 1 ? '' : 's'} to ${file}` });
      } catch (err) {
        if (isExistsError(err)) {
          replaceRef.current = file;
          setTagFile(file);
          setStatus({ text: `${file} already exists: s and Enter again replace it, or give another name`, error: true });
          return;
        }
        setStatus({ text: `cannot save ${file}: ${errorText(err)}`, error: true });
      }
    },
    [source],
  );

  useInput(
    (input, key) => {
      // Ctrl-C ends the browser from any mode, before any other key is looked at (its input is
      // "c", which would otherwise copy the node id): exit 130, as Ctrl-C does everywhere.
      if (key.ctrl && input === 'c') {
        props.onExit(selected(treeRef.current)?.ref.nodeId, 'interrupt');
        exit();
        return;
      }
      // Key events can arrive faster than renders: edit the input through the latest mode, not the
      // one this handler was created with (a stale copy drops keystrokes).
      const m = modeRef.current;
      if (m.kind !== 'tree') {
        const edit = (next: Mode) => {
          modeRef.current = next;
          setMode(next);
        };
        if (key.escape) {
          edit({ kind: 'tree' });
          setStatus(undefined);
          return;
        }
        const submit = (text: string) => {
          edit({ kind: 'tree' });
          if (m.kind === 'search') void runSearch(text);
          else void save(text.trim() || tagFile);
        };
        if (key.return) return submit(m.input);
        if (key.backspace || key.delete) {
          edit({ ...m, input: m.input.slice(0, -1) });
          return;
        }
        if (key.ctrl || key.meta) return;
        // Typed fast or pasted, several keys may arrive as one string: take them one by one.
        let text = m.input;
        for (const ch of input) {
          if (ch === '\r' || ch === '\n') return submit(text);
          if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
          else if (ch >= ' ') text += ch;
        }
        edit({ ...m, input: text });
        return;
      }
      const t = treeRef.current;
      const row = selected(t);
      if (key.upArrow || input === 'k') update((s) => moveCursor(s, -1));
      else if (key.downArrow || input === 'j') update((s) => moveCursor(s, 1));
      else if (key.pageUp) update((s) => moveCursor(s, -height));
      else if (key.pageDown) update((s) => moveCursor(s, height));
      else if (key.home) update((s) => ({ ...s, cursor: 0 }));
      else if (key.end) update((s) => moveCursor(s, Number.MAX_SAFE_INTEGER));
      else if ((key.rightArrow || input === 'l') && row) {
        if (t.expanded.has(row.key)) {
          if (row.children?.length) update((s) => moveCursor(s, 1));
        } else void open(row.key);
      } else if ((key.leftArrow || input === 'h') && row) {
        if (t.expanded.has(row.key)) update((s) => collapse(s, row.key));
        else if (row.parent !== undefined) update((s) => setCursorTo(s, row.parent!));
      } else if (key.return && row) {
        if (t.expanded.has(row.key)) update((s) => collapse(s, row.key));
        else void open(row.key);
      } else if (input === ' ' && row) {
        const r = toggleMark(t, row.key);
        if (r.marked === undefined) setStatus({ text: 'only variables can be marked (they become tags)', error: true });
        else {
          update(() => r.state);
          setStatus({ text: `${r.marked ? 'marked' : 'unmarked'} ${row.ref.displayName} (${r.state.marked.size} marked; s saves them)` });
        }
      } else if (input === '/') {
        modeRef.current = { kind: 'search', input: '' };
        setMode(modeRef.current);
      } else if (input === 'n') {
        if (!hits || hits.list.length === 0) setStatus({ text: 'no search yet: / to search', error: true });
        else {
          const index = (hits.index + 1) % hits.list.length;
          setHits({ ...hits, index });
          setStatus({ text: `match ${index + 1} of ${hits.list.length}` });
          void goToHit(hits.list[index]!);
        }
      } else if (input === 's') {
        modeRef.current = { kind: 'save', input: tagFile };
        setMode(modeRef.current);
      } else if (input === 'c' && row) {
        props.writeTerminal?.(`\u001B]52;c;${Buffer.from(row.ref.nodeId).toString('base64')}\u0007`);
        setStatus({ text: `copied ${row.ref.nodeId} (terminals that allow OSC 52 put it on the clipboard)` });
      } else if (input === 'q' || key.escape) {
        props.onExit(row?.ref.nodeId, 'quit');
        exit();
      }
    },
    { isActive: isRawModeSupported },
  );

  const rows = visibleRows(tree);
  const start = Math.max(0, Math.min(tree.cursor - Math.floor(height / 2), rows.length - height));
  const windowRows = rows.slice(start, start + height);

  return (
    <Box flexDirection="column">
      <Text bold>{source.description}</Text>
      <Box flexDirection="row">
        <Box flexDirection="column" width="55%">
          {windowRows.map((r, i) => (
            <TreeRow
              key={r.key}
              node={r}
              expanded={tree.expanded.has(r.key)}
              selected={start + i === tree.cursor}
              marked={tree.marked.has(r.ref.nodeId)}
            />
          ))}
        </Box>
        <Box flexDirection="column" width="45%" paddingLeft={1}>
          {current ? <AttributePanel node={current} path={pathOfKey(tree, current.key)} attrs={attrs} live={live} /> : null}
        </Box>
      </Box>
      <StatusLine mode={mode} status={status} marked={tree.marked.size} />
    </Box>
  );
}

function TreeRow(props: { node: TreeNode; expanded: boolean; selected: boolean; marked: boolean }) {
  const { node } = props;
  const arrow = node.loading ? '…' : node.children && node.children.length === 0 ? ' ' : props.expanded ? '▾' : '▸';
  const icon = ICON[node.ref.nodeClass] ?? '?';
  const line = `${'  '.repeat(node.depth)}${arrow} ${props.marked ? '*' : ' '}${icon} ${node.ref.displayName}`;
  return (
    <Text wrap="truncate-end" inverse={props.selected} {...(node.error ? { color: 'red' } : props.marked ? { color: 'green' } : {})}>
      {line}
    </Text>
  );
}

function AttributePanel(props: { node: TreeNode; path: string; attrs: NodeAttributes | undefined; live: ValueReading | undefined }) {
  const { node, attrs, live } = props;
  const lines: Array<[string, string]> = [
    ['NodeId', node.ref.nodeId],
    ['Path', props.path],
    ['Class', node.ref.nodeClass + (node.ref.referenceType ? ` (${node.ref.referenceType})` : '')],
  ];
  if (attrs?.description) lines.push(['Description', attrs.description]);
  if (node.ref.nodeClass === 'Variable') {
    const value =
      live ?? (attrs ? { value: attrs.value ?? null, status: attrs.status ?? '', sourceTimestamp: attrs.sourceTimestamp } : undefined);
    lines.push(['DataType', attrs?.dataType ?? '…']);
    lines.push(['Value', value ? (value.status.startsWith('Bad') ? '' : (JSON.stringify(value.value) ?? '')) : '…']);
    lines.push(['Status', value?.status ?? '…']);
    if (value?.sourceTimestamp) lines.push(['Source time', value.sourceTimestamp]);
    if (attrs?.unit) lines.push(['Unit', attrs.unit]);
    if (attrs?.range) lines.push(['EURange', `${attrs.range[0]} .. ${attrs.range[1]}`]);
    if (attrs?.accessLevel) lines.push(['Access', `${attrs.accessLevel} (user ${attrs.userAccessLevel ?? '?'})`]);
    if (attrs?.minimumSamplingInterval !== undefined) lines.push(['Min sampling', `${attrs.minimumSamplingInterval} ms`]);
    if (attrs?.historizing !== undefined) lines.push(['Historizing', String(attrs.historizing)]);
    if (live) lines.push(['Live', 'subscribed']);
  }
  return (
    <Box flexDirection="column">
      {lines.map(([k, v]) => (
        <Text key={k} wrap="truncate-end">
          <Text dimColor>{k.padEnd(13)}</Text>
          {v}
        </Text>
      ))}
    </Box>
  );
}

function StatusLine(props: { mode: Mode; status: { text: string; error?: boolean } | undefined; marked: number }) {
  if (props.mode.kind === 'search') return <Text>{`/${props.mode.input}▏  (Enter search, Esc cancel)`}</Text>;
  if (props.mode.kind === 'save')
    return <Text>{`save ${props.marked} marked tag(s) to: ${props.mode.input}▏  (Enter save, Esc cancel)`}</Text>;
  return (
    <Box flexDirection="column">
      {props.status ? <Text {...(props.status.error ? { color: 'red' } : { color: 'green' })}>{props.status.text}</Text> : <Text> </Text>}
      <Text dimColor>{KEY_LINE}</Text>
    </Box>
  );
}
