import type { Command, Option } from 'commander';

/**
 * What commander knows about a command's options and arguments, as data: written to
 * dist/argv.json at build time (build.ts) so that the fast path (src/fast-path/run.ts) can parse a
 * plain command line without loading commander. Only what the fast path reproduces exactly is
 * described; a command that uses anything else (hooks, environment variables, choices, optional
 * or variadic option values, argument parsers...) is left out of the table, and commander parses
 * it as always. test/fast-path/fast-path.test.ts compares the fast path with commander.
 */

/** The top-level commands whose modules register through commander's chainable methods only. */
export const FAST_COMMANDS: readonly string[] = ['capture'];

export interface OptionSpec {
  /** as written in .option(): what the recorder checks the table against */
  flags: string;
  short?: string;
  long?: string;
  /** the key in opts() */
  name: string;
  /** takes a value (`<value>`); otherwise a flag */
  value: boolean;
  /** `--no-x`: the flag sets false */
  negate: boolean;
  /** .requiredOption(): commander refuses a command line without it */
  mandatory: boolean;
  /** has a custom argument parser (called as commander calls it: parse(value, previous)) */
  parser: boolean;
}

export interface ArgSpec {
  /** as written in .argument(): `<file...>` */
  usage: string;
  required: boolean;
  variadic: boolean;
}

export interface CommandSpec {
  options: OptionSpec[];
  args: ArgSpec[];
  /** opts() before parsing: the defaults, in commander's key order */
  defaults: Record<string, unknown>;
  /** names of the subcommands (the fast path only runs commands without) */
  subcommands: string[];
}

export interface ArgvTable {
  /** the root's options (--json, --quiet...) */
  root: CommandSpec;
  /** by command path: "capture", "capture info" */
  commands: Record<string, CommandSpec>;
}

/** Flags the fast path never handles: commander prints help or the version for them. */
export const RESERVED_FLAGS: ReadonlySet<string> = new Set(['-h', '--help', '-V', '--version']);

type Internals = {
  _lifeCycleHooks: Record<string, unknown[]>;
  _allowUnknownOption: boolean;
  _allowExcessArguments: boolean;
  _enablePositionalOptions: boolean;
  _passThroughOptions: boolean;
  _storeOptionsAsProperties: boolean;
  _executableHandler: boolean;
  _defaultCommandName: string | null;
  _aliases: string[];
  _helpOption?: Option | null;
};

function describeOption(o: Option): OptionSpec | undefined {
  if (o.optional || o.variadic || o.envVar !== undefined || o.argChoices !== undefined || o.presetArg !== undefined) return undefined;
  const relations = o as unknown as { conflictsWith: string[]; implied?: object };
  if (relations.conflictsWith.length > 0 || relations.implied !== undefined) return undefined;
  if (!o.required && o.parseArg !== undefined) return undefined; // commander calls it with undefined
  if (o.negate && o.required) return undefined;
  return {
    flags: o.flags,
    ...(o.short !== undefined ? { short: o.short } : {}),
    ...(o.long !== undefined ? { long: o.long } : {}),
    name: o.attributeName(),
    value: o.required,
    negate: o.negate,
    mandatory: o.mandatory,
    parser: o.parseArg !== undefined,
  };
}

/** The command as data, or undefined when it uses something the fast path does not reproduce. */
function describeCommand(cmd: Command): CommandSpec | undefined {
  const c = cmd as unknown as Internals;
  if (Object.values(c._lifeCycleHooks).some((hooks) => hooks.length > 0)) return undefined;
  if (c._allowUnknownOption || c._allowExcessArguments || c._enablePositionalOptions || c._passThroughOptions) return undefined;
  if (c._storeOptionsAsProperties || c._executableHandler || c._defaultCommandName !== null || c._aliases.length > 0) return undefined;
  if (c._helpOption != null && c._helpOption.flags !== '-h, --help') return undefined;
  const options: OptionSpec[] = [];
  for (const o of cmd.options) {
    const flags = [o.short, o.long].filter((f) => f !== undefined);
    if (flags.every((f) => RESERVED_FLAGS.has(f))) continue; // -V, --version: left to commander
    const spec = describeOption(o);
    if (spec === undefined || flags.some((f) => RESERVED_FLAGS.has(f))) return undefined;
    options.push(spec);
  }
  const args: ArgSpec[] = [];
  for (const a of cmd.registeredArguments) {
    if (a.parseArg !== undefined || a.argChoices !== undefined || a.defaultValue !== undefined) return undefined;
    const name = `${a.name()}${a.variadic ? '...' : ''}`;
    args.push({ usage: a.required ? `<${name}>` : `[${name}]`, required: a.required, variadic: a.variadic });
  }
  // commander gives a lone `--no-x` its default (x: true) as a parse begins
  (cmd as unknown as { _prepareForParse(): void })._prepareForParse();
  const defaults = cmd.opts();
  // defaults travel as JSON: anything JSON would change (a function, a Date) is not for the fast path
  if (JSON.stringify(JSON.parse(JSON.stringify(defaults))) !== JSON.stringify(defaults)) return undefined;
  return {
    options,
    args,
    defaults: JSON.parse(JSON.stringify(defaults)) as Record<string, unknown>,
    subcommands: cmd.commands.map((s) => s.name()),
  };
}

/**
 * The table for the given top-level commands of a program (and everything under them). Commands
 * the fast path cannot reproduce are left out, as are commands whose flags collide with the root's
 * (the root would take them, wherever they stand).
 */
export function describeCommands(program: Command, names: readonly string[] = FAST_COMMANDS): ArgvTable {
  const root = describeCommand(program);
  if (root === undefined || root.args.length > 0) throw new Error('the root command cannot be described for the fast path');
  const rootFlags = new Set(root.options.flatMap((o) => [o.short, o.long]).filter((f) => f !== undefined));
  const commands: Record<string, CommandSpec> = {};
  const walk = (cmd: Command, path: string) => {
    const spec = describeCommand(cmd);
    if (spec === undefined || spec.options.some((o) => rootFlags.has(o.short ?? '') || rootFlags.has(o.long ?? ''))) return;
    commands[path] = spec;
    for (const sub of cmd.commands) walk(sub, `${path} ${sub.name()}`);
  };
  for (const cmd of program.commands) if (names.includes(cmd.name())) walk(cmd, cmd.name());
  return { root, commands };
}
