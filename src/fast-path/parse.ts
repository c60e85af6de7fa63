import { RESERVED_FLAGS, type ArgvTable, type CommandSpec, type OptionSpec } from './table.js';

/**
 * Parses a plain command line against the table, as commander would, or gives up (undefined) at
 * the first thing that is not plain: then commander parses it, and reports any error itself.
 *
 * Plain means: the command's names first (root flags may stand anywhere); then the leaf command's
 * options, each on its own (`--gap 5s`, `--gap=5s`, `-o out.csv`, `--strict`), and arguments that
 * do not start with "-". Not plain: "--", help and version flags, grouped short flags (`-qj`), a
 * value that starts with "-", an unknown option, a missing required option or argument, too many
 * arguments. For a plain line commander's result is fixed by these rules: each command's options
 * start from its defaults, a flag sets true (false for `--no-x`), a value option takes the next
 * word (through its parser, given the previous value), the last one wins; arguments keep their
 * order and a variadic one takes the rest.
 */

export interface FastParse {
  /** the command path, "capture info" */
  path: string;
  /** the arguments as commander passes them to the action (a variadic one as an array) */
  args: unknown[];
  /** the leaf command's opts() */
  opts: Record<string, unknown>;
  /** optsWithGlobals(): the leaf's options, then its parents' and the root's over them */
  globals: Record<string, unknown>;
}

export type ParserOf = (path: string, flags: string) => ((value: string, previous: unknown) => unknown) | undefined;

const copy = (o: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

function findOption(spec: CommandSpec, flag: string): OptionSpec | undefined {
  return spec.options.find((o) => o.short === flag || o.long === flag);
}

export function parseFast(table: ArgvTable, args: readonly string[], parserOf: ParserOf): FastParse | undefined {
  const rootValues = copy(table.root.defaults);
  const path: string[] = [];
  const values: Array<Record<string, unknown>> = [];
  let leaf: CommandSpec | undefined;
  const operands: string[] = [];

  for (let i = 0; i < args.length; i++) {
    const token = args[i]!;
    if (token === '--' || RESERVED_FLAGS.has(token)) return undefined;
    const rootOption = findOption(table.root, token);
    if (rootOption !== undefined) {
      // the root takes its flags wherever they stand
      if (rootOption.value) return undefined;
      rootValues[rootOption.name] = !rootOption.negate;
      continue;
    }
    if (leaf === undefined) {
      // a command name, one level down
      const parent = path.length > 0 ? table.commands[path.join(' ')] : undefined;
      if (token.startsWith('-') || (parent !== undefined && (!parent.subcommands.includes(token) || parent.options.length > 0)))
        return undefined;
      const spec = table.commands[[...path, token].join(' ')];
      if (spec === undefined) return undefined;
      path.push(token);
      values.push(copy(spec.defaults));
      if (spec.subcommands.length === 0) leaf = spec;
      continue;
    }
    if (!token.startsWith('-')) {
      operands.push(token);
      continue;
    }
    let option: OptionSpec | undefined;
    let value: string | undefined;
    const eq = token.indexOf('=');
    if (token.startsWith('--') && eq > 2) {
      option = findOption(leaf, token.slice(0, eq));
      if (option === undefined || !option.value) return undefined;
      value = token.slice(eq + 1);
    } else {
      option = findOption(leaf, token);
      if (option === undefined) return undefined;
      if (option.value) {
        value = args[++i];
        if (value === undefined || value.startsWith('-')) return undefined;
      }
    }
    const own = values[values.length - 1]!;
    let v: unknown = value;
    if (value !== undefined && option.parser) {
      const parse = parserOf(path.join(' '), option.flags);
      if (parse === undefined) return undefined;
      try {
        v = parse(value, own[option.name]);
      } catch {
        return undefined;
      }
    }
    own[option.name] = v ?? (option.negate ? false : option.value ? '' : true);
  }

  if (leaf === undefined) return undefined;
  const own = values[values.length - 1]!;
  if (leaf.options.some((o) => o.mandatory && own[o.name] === undefined)) return undefined;
  const specs = leaf.args;
  if (specs.some((a, i) => a.required && operands[i] === undefined)) return undefined;
  if (!specs.at(-1)?.variadic && operands.length > specs.length) return undefined;
  const processed = specs.map((a, i) => (a.variadic ? operands.slice(i) : operands[i]));
  const globals = Object.assign({}, ...[...values].reverse(), rootValues) as Record<string, unknown>;
  return { path: path.join(' '), args: processed, opts: own, globals };
}
