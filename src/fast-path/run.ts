import { readFileSync } from 'node:fs';
import { reportFailure } from '../core/report.js';
import type { Register } from '../program.js';
import { parseFast } from './parse.js';
import { record, type Recorded } from './recorder.js';
import type { ArgvTable, CommandSpec } from './table.js';

/**
 * The fast path: runs a command of a plain command line without commander, from the table built
 * with commander (dist/argv.json) and the actions its module registers (recorded). Answers false,
 * having done nothing, whenever commander must run it: no table, a command the table leaves out,
 * a line that is not plain (src/fast-path/parse.ts), a module that does not match the table.
 * Commander costs a short offline command as much again as its own work (docs/benchmarks.md).
 */
export async function runFast(argv: readonly string[], register: Register, tableUrl: URL): Promise<boolean> {
  const table = loadTable(tableUrl);
  if (table === undefined) return false;
  const recorded = record(register);
  if (recorded === undefined) return false;
  const parsed = parseFast(table, argv.slice(2), (path, flags) => recorded.get(path)?.options.find((o) => o.flags === flags)?.parser);
  if (parsed === undefined) return false;
  const own = recorded.get(parsed.path);
  if (own?.action === undefined || !matches(table.commands[parsed.path]!, own)) return false;
  // what the action gets from commander: the arguments, opts() and the command (for optsWithGlobals)
  const command = {
    name: () => parsed.path.split(' ').at(-1),
    opts: () => parsed.opts,
    optsWithGlobals: () => parsed.globals,
    args: parsed.args,
  };
  try {
    await own.action(...parsed.args, parsed.opts, command);
  } catch (err) {
    process.exitCode = reportFailure(err, argv.includes('--debug'));
  }
  return true;
}

/** The module declares what the table says (the table and the module come from the same build). */
function matches(spec: CommandSpec, own: Recorded): boolean {
  const same = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);
  return (
    same(
      spec.options.map((o) => o.flags),
      own.options.map((o) => o.flags),
    ) &&
    spec.options.every((o, i) => o.parser === (own.options[i]!.parser !== undefined)) &&
    same(
      spec.args.map((a) => a.usage),
      own.args,
    )
  );
}

function loadTable(url: URL): ArgvTable | undefined {
  try {
    return JSON.parse(readFileSync(url, 'utf8')) as ArgvTable;
  } catch {
    return undefined; // built without it: commander parses everything
  }
}
