/**
 * What bin/iiot.js loads. Help requests are answered from text rendered at build time
 * (dist/help.json), so `iiot --help` and `iiot <command> --help` do not load the command table at
 * all. A command line that names a command loads only that command's module: a plain line of an
 * offline command (`iiot capture info plant.jsonl`) runs without commander (src/fast-path/),
 * anything else registers that one command on the root (src/program.ts) for commander to parse.
 * A line that names no command (none, an unknown one, root options it cannot place) goes to the
 * whole table in src/cli.ts, which lists every command and suggests the nearest.
 * test/help.test.ts proves the help text identical to commander's; test/entry.test.ts
 * and test/fast-path/ that the three paths parse alike.
 */
import { readFileSync } from 'node:fs';
import { FAST_COMMANDS } from './fast-path/table.js';
import type { Register } from './program.js';

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  const key = helpRequest(args);
  if (key !== undefined) {
    const text = loadHelpTable()?.[key];
    if (text !== undefined) {
      process.stdout.write(text);
      return;
    }
  }
  enableCompileCache();
  const name = commandNamed(args);
  if (name !== undefined) {
    if (FAST_COMMANDS.includes(name) && (await runFastBundle(argv, name))) return;
    const [{ createProgram, runProgram }, register] = await Promise.all([import('./program.js'), COMMANDS[name]!()]);
    await runProgram(createProgram([register]), argv);
    return;
  }
  const cli = await import('./cli.js');
  await cli.main(argv);
}

/**
 * The fast path (src/fast-path/run.ts) from the command's own bundle, dist/fast/<name>.js, built
 * apart from the chunks (build.ts): by URL, so that esbuild does not bundle it into the chunks.
 */
async function runFastBundle(argv: string[], name: string): Promise<boolean> {
  const url = new URL(`./fast/${name}.js`, import.meta.url);
  const fast = (await import(url.href)) as {
    register: Register;
    runFast: (argv: string[], register: Register, table: URL) => Promise<boolean>;
  };
  return fast.runFast(argv, fast.register, new URL('./argv.json', import.meta.url));
}

/** Each top-level command's module, by its name; the same modules src/cli.ts registers. */
export const COMMANDS: Readonly<Record<string, () => Promise<Register>>> = {
  discover: async () => (await import('../commands/discover.js')).register,
  browse: async () => (await import('../commands/browse.js')).register,
  read: async () => (await import('../commands/read.js')).register,
  record: async () => (await import('../commands/record.js')).register,
  replay: async () => (await import('../commands/replay.js')).register,
  capture: async () => (await import('../commands/capture.js')).register,
  analyze: async () => (await import('../commands/analyze.js')).register,
  check: async () => (await import('../commands/check.js')).register,
  commission: async () => (await import('../commands/commission.js')).register,
  pki: async () => (await import('../commands/pki.js')).register,
  sim: async () => (await import('../commands/sim.js')).register,
  demo: async () => (await import('../commands/demo.js')).register,
};

/** The root options, all flags without a value: they may stand before the command's name. */
const ROOT_FLAGS = new Set(['--json', '-q', '--quiet', '--no-color', '--debug']);

/** The command a command line names, when only root flags stand before it; else undefined. */
export function commandNamed(args: readonly string[]): string | undefined {
  for (const a of args) {
    if (ROOT_FLAGS.has(a)) continue;
    return Object.hasOwn(COMMANDS, a) ? a : undefined;
  }
  return undefined;
}

/**
 * Node's compile cache (V8's code for the modules, kept between runs) spares compiling them at every
 * start; not for help, whose one module costs less to compile than the cache costs to open. It lives
 * in the user's own cache folder, never a shared one such as Node's default under /tmp: whoever can
 * write the cache chooses the code that runs. NODE_COMPILE_CACHE (Node enabled it before this runs)
 * or NODE_DISABLE_COMPILE_CACHE=1 decide otherwise.
 */
function enableCompileCache(): void {
  const env = process.env;
  if (env.NODE_COMPILE_CACHE || env.NODE_DISABLE_COMPILE_CACHE) return;
  try {
    const { homedir } = process.getBuiltinModule('node:os');
    const { isAbsolute, join } = process.getBuiltinModule('node:path');
    let base: string;
    if (process.platform === 'win32') base = env.LOCALAPPDATA || join(homedir(), 'AppData', 'Local');
    else if (process.platform === 'darwin') base = join(homedir(), 'Library', 'Caches');
    else if (env.XDG_CACHE_HOME && isAbsolute(env.XDG_CACHE_HOME)) base = env.XDG_CACHE_HOME;
    else base = join(homedir(), '.cache');
    // reports a failure (a read-only home) instead of throwing
    if (isAbsolute(base)) process.getBuiltinModule('node:module').enableCompileCache(join(base, 'iiot', 'compile-cache'));
  } catch {
    // no home folder: run without the cache
  }
}

/** The command path ("check latency") of a pure help request, or undefined for anything else. */
export function helpRequest(args: readonly string[]): string | undefined {
  let path: readonly string[];
  if (args[0] === 'help') path = args.slice(1);
  else if (args.length > 0 && (args[args.length - 1] === '--help' || args[args.length - 1] === '-h')) path = args.slice(0, -1);
  else return undefined;
  if (path.some((a) => a.startsWith('-'))) return undefined;
  return path.join(' ');
}

function loadHelpTable(): Record<string, string> | undefined {
  try {
    return JSON.parse(readFileSync(new URL('./help.json', import.meta.url), 'utf8')) as Record<string, string>;
  } catch {
    return undefined; // built without help text: commander renders it
  }
}
