// The import graph of src/ and commands/: which module imports which (static and lazy), the
// import circles (strongly connected components of more than one module), and the imports that
// go up the layers of docs/architecture.md. `npm run -s graph` prints the counts; `--list` names
// every circle and upward import. scripts/lint.ts uses the same analysis to keep both at zero.
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

function walk(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else if (/\.(ts|tsx)$/.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

const IMPORT = /^\s*(?:import|export)\s+(type\s+)?(?:[^'"]*?\sfrom\s+)?['"]([^'"]+)['"]/;
const LAZY = /import\(\s*['"]([^'"]+)['"]\s*\)/g;

function resolveSpec(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const base = resolve(dirname(from), spec).replace(/\.js$/, '');
  for (const ext of ['.ts', '.tsx', '/index.ts']) if (existsSync(base + ext)) return base + ext;
  return undefined;
}

export function importGraph(dirs = ['src', 'commands']): { files: string[]; edges: Edge[] } {
  const files = dirs.flatMap((d) => walk(join(ROOT, d)));
  const edges: Edge[] = [];
  for (const file of files) {
    readFileSync(file, 'utf8')
      .split('\n')
      .forEach((text, i) => {
        const m = IMPORT.exec(text);
        if (m) {
          const to = resolveSpec(file, m[2]!);
          if (to) edges.push({ from: rel(file), to: rel(to), line: i + 1, lazy: false, typeOnly: Boolean(m[1]) });
        }
        for (const l of text.matchAll(LAZY)) {
          const to = resolveSpec(file, l[1]!);
          if (to) edges.push({ from: rel(file), to: rel(to), line: i + 1, lazy: true, typeOnly: false });
        }
      });
  }
  return { files: files.map(rel), edges };
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
  if (p[1] === 'cli.ts' || p[1] === 'entry.ts') return 3;
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
