// House rules that a generic linter does not know (docs/development.md). Exit 1 with one line per
// violation, file:line first, so editors can jump to it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const problems: string[] = [];

function walk(dir: string, out: string[] = []): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) walk(p, out);
    else out.push(p);
  }
  return out;
}

const code = (dirs: string[]) => dirs.flatMap((d) => walk(join(ROOT, d))).filter((f) => /\.(ts|tsx|mjs|js)$/.test(f));

function eachLine(file: string, fn: (line: string, n: number) => void): void {
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => fn(line, i + 1));
}

const rel = (f: string) => relative(ROOT, f);

// 1. Protocol libraries stay in their folder; node-opcua is only imported lazily.
const PROTOCOL_LIBS: Array<[RegExp, string]> = [
  [/^node-opcua/, 'opcua'],
  [/^modbus-serial$|^serialport$|^@serialport\//, 'modbus'],
  [/^mqtt$|^aedes$|^protobufjs(\/|$)/, 'mqtt'],
];
for (const file of code(['src', 'commands'])) {
  const where = rel(file).split(sep);
  eachLine(file, (line, n) => {
    const m = /^\s*import\s+(type\s+)?(?:[^'"]*from\s+)?['"]([^'"]+)['"]/.exec(line) ?? /await import\(\s*['"]([^'"]+)['"]/.exec(line);
    if (!m) return;
    const spec = m[2] ?? m[1]!;
    const typeOnly = Boolean(m[2] && m[1]);
    for (const [re, folder] of PROTOCOL_LIBS) {
      if (!re.test(spec)) continue;
      if (!(where[0] === 'src' && where[1] === 'protocols' && where[2] === folder)) {
        problems.push(`${rel(file)}:${n}: "${spec}" may only be imported inside src/protocols/${folder}/`);
      }
      if (folder === 'opcua' && !typeOnly && /^\s*import\s/.test(line)) {
        problems.push(`${rel(file)}:${n}: node-opcua must be imported lazily (await import) or as a type`);
      }
    }
    // Protocols serve the workflows and never depend on them (what they share lives in src/protocols/).
    if (where[0] === 'src' && where[1] === 'protocols' && /^(\.\.\/)+(record|replay|discovery|checks|sim|demo|analysis|read)\//.test(spec)) {
      problems.push(`${rel(file)}:${n}: src/protocols may not import "${spec}" (a workflow); move what both need into src/protocols/`);
    }
    // Commands register options and help; their work is loaded lazily so --help stays fast.
    if (where[0] === 'commands' && !typeOnly && /^\s*import\s/.test(line) && spec.startsWith('../src/') && !/^\.\.\/src\/(core|render)\//.test(spec)) {
      problems.push(`${rel(file)}:${n}: commands may import only src/core and src/render statically; load "${spec}" with await import() in the action`);
    }
  });
}

// 2. Tests: nothing focused or skipped; only loopback addresses in tests, benchmarks and fixtures.
const NON_LOOPBACK = /['"`](0\.0\.0\.0|10\.\d+\.\d+\.\d+|192\.168\.\d+\.\d+|172\.(1[6-9]|2\d|3[01])\.\d+\.\d+)['"`/:]/;
for (const file of [...code(['test', 'bench']), ...walk(join(ROOT, 'fixtures'))]) {
  eachLine(file, (line, n) => {
    if (/\b(it|test|describe)\.(only|skip|todo)\(/.test(line) && file.includes(`${sep}test${sep}`)) {
      problems.push(`${rel(file)}:${n}: focused or skipped test`);
    }
    if (NON_LOOPBACK.test(line) && !line.includes('no-network-ok')) {
      problems.push(`${rel(file)}:${n}: address outside loopback (tests, benchmarks and fixtures use 127.0.0.0/8 or ::1)`);
    }
  });
}

if (problems.length) {
  for (const p of problems) console.error(p);
  console.error(`lint: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log('lint: ok');
