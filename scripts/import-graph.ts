// The import graph of src/ and commands/: which module imports which (static and lazy), the
// packages each imports, the import circles (strongly connected components of more than one
// module), and the imports that go up the layers of docs/architecture.md.
// `npx tsx scripts/import-graph.ts` prints the counts; `--list` names every circle and upward
// import. scripts/lint.ts uses the same analysis for the walls between the layers.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

export const ROOT = resolve(new URL('..', import.meta.url).pathname);

export interface Edge {
  from: string;
  to: string;
  line: number;
  lazy: boolean;
  typeOnly: boolean;
}

/** An import of a package or a Node built-in (`to` is the specifier as written: "zod", "node:fs"). */
export type ExternalEdge = Edge;

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

// A static import or re-export, its clause on one line or several: import x, { a,\n b } from '...'
const IMPORT =
  /^[ \t]*(?:import|export)\s+(type\s+)?(?:(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*\s+as\s+[\w$]+|\*)?\s*from\s+)?['"]([^'"]+)['"]/gm;
const LAZY = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  for (const ext of ['.ts', '.tsx', '/index.ts']) if (existsSync(base + ext)) return base + ext;
  return undefined;
}

export function importGraph(dirs = ['src', 'commands']): { files: string[]; edges: Edge[]; externals: ExternalEdge[] } {
  const files = dirs.flatMap((d) => walk(join(ROOT, d)));
  const edges: Edge[] = [];
  const externals: ExternalEdge[] = [];
  const add = (file: string, spec: string, line: number, lazy: boolean, typeOnly: boolean) => {
    if (!spec.startsWith('.')) {
      externals.push({ from: rel(file), to: spec, line, lazy, typeOnly });
      return;
    }
    const to = resolveSpec(file, spec);
    if (to) edges.push({ from: rel(file), to: rel(to), line, lazy, typeOnly });
  };
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    const lineAt = lineCounter(text);
    for (const m of text.matchAll(IMPORT)) add(file, m[2]!, lineAt(m.index + m[0].length - m[2]!.length - 1), false, Boolean(m[1]));
    // import('x').Name in a type position loads nothing
    for (const l of text.matchAll(LAZY))
      add(file, l[1]!, lineAt(l.index), true, /^\.[A-Z]/.test(text.slice(l.index + l[0].length, l.index + l[0].length + 2)));
  }
  return { files: files.map(rel), edges, externals };
}

/** offset -> 1-based line number */
function lineCounter(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

export const rel = (f: string) => relative(ROOT, f).split(sep).join('/');

/** Import circles: strongly connected components with more than one module (Tarjan). Type imports count: a circle of types is still two modules that cannot be understood apart. */
export function circles(files: string[], edges: Edge[]): string[][] {
  const next = new Map<string, string[]>(files.map((f) => [f, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const f of files) if (!idx.has(f)) visit(f);
  return out;
}

/**
 * The layers, bottom up (docs/architecture.md): 0 core helpers (core, yaml, render); 1 the
 * libraries (protocols, capture, analysis); 2 the workflows, one folder per command (and ui
 * features); 3 the command table (commands/, src/cli.ts, src/entry.ts).
 */
export function layerOf(file: string): number {
  const p = file.split('/');
  if (p[0] === 'commands') return 3;
  // the entry and what parses a command line: the command table, the root it registers on, the fast path
  if (['cli.ts', 'entry.ts', 'program.ts', 'fast-path'].includes(p[1]!)) return 3;
  if (['core', 'yaml', 'render'].includes(p[1]!)) return 0;
  if (['protocols', 'capture', 'analysis'].includes(p[1]!)) return 1;
  return 2;
}

export function upward(edges: Edge[]): Edge[] {
  return edges.filter((e) => layerOf(e.to) > layerOf(e.from));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files, edges } = importGraph();
  const c = circles(files, edges);
  const up = upward(edges);
  console.log(`${files.length} modules, ${edges.length} imports (${edges.filter((e) => e.lazy).length} lazy)`);
  console.log(`${c.length} import circles (${c.reduce((n, x) => n + x.length, 0)} modules in them)`);
  console.log(`${up.length} upward imports`);
  if (process.argv.includes('--list')) {
    for (const x of c) console.log(`circle: ${x.join(' <-> ')}`);
    for (const e of up) console.log(`up: ${e.from}:${e.line} -> ${e.to}`);
  }
}
