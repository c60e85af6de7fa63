import { BROWSER_KEYS } from '../src/core/browser-keys.js';
import { refuseToReplace } from '../src/core/output-file.js';
import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { usageError } from '../src/core/errors.js';
import { info, warn } from '../src/core/io.js';
import { addOpcUaConnectOptions, parseNodeClasses, parseOpcUaConnectOptions, type OpcUaConnectFlags } from '../src/protocols/opcua/flags.js';
import type { BrowseCommandOptions } from '../src/protocols/opcua/cli-browse.js';

interface BrowseFlags extends OpcUaConnectFlags {
  inventory?: string;
  depth?: string;
  all?: boolean;
  class?: string;
  name?: string;
  attributes?: boolean;
  csv?: boolean;
  json?: boolean;
  tags?: string;
  output?: string;
  force?: boolean;
  endpoints?: boolean;
  interactive?: boolean;
  maxInFlight?: string;
  maxReferencesPerNode?: string;
  nodeset2?: boolean;
  values?: boolean;
  copyNamespace?: string[];
}

function positiveInt(text: string | undefined, what: string, min = 1): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw usageError(`${what}: "${text}" is not a whole number of at least ${min}`);
  return n;
}

export function parseBrowseFlags(endpoint: string, node: string | undefined, f: BrowseFlags, terminal: boolean): BrowseCommandOptions {
  const connect = parseOpcUaConnectOptions(endpoint, f);
  if (f.csv && f.json) throw usageError('--csv and --json are two formats: give one');
  if (f.interactive) {
    const clash = (['all', 'csv', 'json', 'tags', 'output', 'endpoints'] as const).find((k) => f[k] !== undefined && f[k] !== false);
    if (clash) throw usageError(`--interactive cannot go with --${clash}`, 'in the interactive browser, mark variables with space and save them as a tag list with s');
    if (!terminal) throw usageError('--interactive needs a terminal', 'run it in a terminal; for scripts use --all with --csv, --json or --tags');
  }
  const depth = positiveInt(f.depth, '--depth', 0);
  // before connecting: an existing file is replaced only with --force
  for (const file of [f.output, f.tags]) if (file !== undefined) refuseToReplace(file, { force: f.force });
  if (f.nodeset2) {
    if (!f.all) throw usageError('--nodeset2 needs --all: it exports the whole address space', 'iiot browse <endpoint> --all --nodeset2 -o plc.NodeSet2.xml');
    // (--json is the export's summary on stdout: iiot.browse.nodeset2/1)
    const clash = (['csv', 'tags', 'class', 'name', 'attributes', 'depth', 'inventory'] as const).find((k) => f[k] !== undefined && f[k] !== false);
    if (clash) throw usageError(`--nodeset2 cannot go with --${clash}`, 'a NodeSet2 file holds every node of the server\'s own namespaces; filter it afterwards if you need less');
    if (node !== undefined && !['i=84', 'root', '/'].includes(node.trim().toLowerCase())) {
      throw usageError(`--nodeset2 exports the whole address space; it does not start at ${node}`, 'leave the node out: iiot browse <endpoint> --all --nodeset2 -o plc.NodeSet2.xml');
    }
  } else if (f.values || f.copyNamespace) {
    throw usageError(`--${f.values ? 'values' : 'copy-namespace'} belongs to --nodeset2`, 'iiot browse <endpoint> --all --nodeset2 --values -o plc.NodeSet2.xml');
  }
  return {
    connect,
    node,
    depth: depth ?? (f.all ? Number.POSITIVE_INFINITY : 2),
    all: Boolean(f.all),
    classes: parseNodeClasses(f.class),
    name: f.name,
    attributes: Boolean(f.attributes),
    format: f.csv ? 'csv' : f.json ? 'json' : 'tree',
    tagsFile: f.tags,
    output: f.output,
    force: Boolean(f.force),
    endpoints: Boolean(f.endpoints),
    interactive: Boolean(f.interactive),
    maxInFlight: positiveInt(f.maxInFlight, '--max-in-flight'),
    maxReferencesPerNode: positiveInt(f.maxReferencesPerNode, '--max-references-per-node'),
    ...(f.nodeset2 ? { nodeset2: { values: Boolean(f.values), force: Boolean(f.force), copy: new Set(f.copyNamespace ?? []) } } : {}),
  };
}

/**
 * `iiot browse --inventory FILE [node]`: the positional arguments are the node alone (the servers
 * come from the inventory). What belongs to one server (a tag list, CSV, the interactive browser)
 * needs an inventory with one OPC UA server.
 */
export function inventoryArguments(args: readonly string[], f: BrowseFlags, servers: number): { node: string | undefined } {
  const [first, second] = args;
  if (first !== undefined && /^[a-z][a-z0-9+.-]*:\/\//i.test(first)) {
    throw usageError(`give an endpoint or --inventory, not both (${first}, --inventory ${f.inventory})`, `to browse one server, name it alone: iiot browse ${first}`);
  }
  if (second !== undefined) throw usageError(`with --inventory, give at most one node (${first}, ${second})`, 'the servers come from the inventory: iiot browse --inventory FILE [node]');
  if (servers > 1) {
    const one = (['tags', 'csv', 'interactive'] as const).find((k) => f[k] !== undefined && f[k] !== false);
    if (one) {
      throw usageError(
        `--${one} is for one server, and ${f.inventory} lists ${servers} OPC UA servers`,
        one === 'tags' ? 'a tag list names the nodes of one server: name the server (iiot browse opc.tcp://HOST:PORT --tags FILE)' : 'name the server: iiot browse opc.tcp://HOST:PORT ...; --json exports every server of the inventory in one document',
      );
    }
  }
  return { node: first };
}

export function register(program: Command): void {
  const cmd = program
    .command('browse')
    .summary('show an OPC UA address space: tree, attributes, full export, interactive browser')
    .description(
      'Connects to an OPC UA server (the most secure endpoint it offers unless told otherwise) and prints ' +
        'the tree below a node to a chosen depth, with attributes on request. --all crawls the whole address ' +
        'space in batches that respect the server\'s operation limits and exports it as JSON, CSV or a tag ' +
        'list for `iiot record`. With --inventory instead of an endpoint: every OPC UA server an `iiot discover` ' +
        'inventory lists, in turn (a server that fails does not stop the others). Server certificates are never ' +
        'trusted silently (see `iiot pki`).',
    )
    .argument('[endpoint]', 'opc.tcp://host:port[/path] (not with --inventory)')
    .argument('[node]', 'node id (ns=2;s=Plant, i=85) or browse path (/Objects/2:Plant); default Objects, or the Root with --all')
    .option('-d, --depth <levels>', 'levels below the node to show (default 2; everything with --all)')
    .option('--all', 'crawl everything below the node (the whole address space without one), with a progress line')
    .option('--class <classes>', 'only these node classes: Object, Variable, Method, ObjectType, VariableType, ReferenceType, DataType, View')
    .option('--name <pattern>', 'only nodes whose browse or display name matches (* and ?, any case)')
    .option('--attributes', 'also read DataType, Value, access levels, EngineeringUnits, EURange, Description, MinimumSamplingInterval, Historizing')
    .option('--csv', 'flat CSV: node_id, browse_path, node_class, data_type, unit, access, display_name, eu_low, eu_high')
    .option('--tags <file>', 'write the variables found as a tag list for `iiot record --tags` (docs/opcua.md)')
    .option('-o, --output <file>', 'write the tree, --csv, --json or --nodeset2 to this file instead of stdout')
    .option('--force', 'replace the -o or --tags file if it exists')
    .option('--nodeset2', "with --all: the server's own namespaces as a NodeSet2 XML file (types, instances, references, attributes); companion specifications become required models")
    .option('--values', '--nodeset2: also the current values of data variables (property values are always written)')
    .option('--copy-namespace <uri>', '--nodeset2: copy this namespace even though it looks like a companion specification (repeatable)', (v: string, p: string[] = []) => [...p, v])
    .option('--endpoints', 'list the endpoints, identities and certificate the server offers (no session)')
    .option('--inventory <file>', 'browse every OPC UA server of an `iiot discover --json` inventory in turn (instead of an endpoint)')
    .option('-i, --interactive', 'browse in the terminal: arrows to move and expand, / to search, space to mark, s to save a tag list')
    .addOption(new Option('--max-in-flight <n>', 'requests in flight during a crawl (default 4)').hideHelp())
    .addOption(new Option('--max-references-per-node <n>', 'references per node per Browse before BrowseNext (default 1000)').hideHelp());
  addOpcUaConnectOptions(cmd)
    .addHelpText(
      'after',
      examples(
        'iiot browse opc.tcp://127.0.0.1:4840',
        'iiot browse opc.tcp://127.0.0.1:4840 --endpoints',
        'iiot browse opc.tcp://127.0.0.1:4840 /Objects/Plant --depth 3 --attributes',
        'iiot browse opc.tcp://127.0.0.1:4840 --trust-on-first-use          # first contact: prints the fingerprint',
        'iiot browse opc.tcp://127.0.0.1:4840 --all --csv -o plant.csv',
        'iiot browse opc.tcp://127.0.0.1:4840 --all --nodeset2 -o plc.NodeSet2.xml   # a twin: iiot sim --nodeset plc.NodeSet2.xml',
        'iiot browse opc.tcp://127.0.0.1:4840 /Objects/Plant --all --class Variable --tags line3.tags',
        'IIOT_PASSWORD=... iiot browse opc.tcp://127.0.0.1:4840 --user operator --security-mode SignAndEncrypt',
        'iiot browse opc.tcp://127.0.0.1:4840 --interactive',
        'iiot browse --inventory site.json --endpoints                       # every OPC UA server discovered',
        'iiot browse --inventory site.json /Objects --depth 1 --security-mode None',
        'iiot browse --inventory site.json --all --json -o site-address-spaces.json',
      ),
    )
    .addHelpText('after', `\nKeys in --interactive:\n${BROWSER_KEYS.map(([k, what]) => `  ${k.padEnd(14)}${what}`).join('\n')}\n`)
    .action(
      action<BrowseFlags>(async (io, flags, args) => {
        const terminal = Boolean((io.stdin as { isTTY?: boolean }).isTTY) && (io.stdoutIsTTY || io.stderrIsTTY);
        if (flags.inventory !== undefined) {
          const { opcuaServersOf } = await import('../src/discovery/feed.js');
          const inv = opcuaServersOf(flags.inventory);
          const { node } = inventoryArguments(args, flags, inv.devices.length);
          const servers = inv.devices.map((d) => ({ options: parseBrowseFlags(d.url, node, { ...flags, json: io.json }, terminal), name: d.name, where: d.where }));
          const { runBrowse, runBrowseServers } = await import('../src/protocols/opcua/cli-browse.js');
          // one server and a format of one server (tag list, CSV, interactive): as if it were named
          if (servers.length === 1 && (flags.tags !== undefined || flags.csv || flags.interactive)) {
            for (const n of inv.notes) info(io, n);
            if (inv.incomplete) warn(io, `${inv.file}: the inventory is partial (${inv.incomplete.join('; ')}): servers may be missing from it`);
            info(io, `${inv.file}: browsing ${servers[0]!.name} (${servers[0]!.options.connect.target.url}, ${servers[0]!.where})`);
            return runBrowse(io, servers[0]!.options);
          }
          return runBrowseServers(io, servers, inv);
        }
        if (args[0] === undefined) throw usageError('no endpoint given', 'name a server (iiot browse opc.tcp://HOST:4840) or every OPC UA server of an inventory (iiot browse --inventory FILE)');
        const options = parseBrowseFlags(args[0], args[1], { ...flags, json: io.json }, terminal);
        const { runBrowse } = await import('../src/protocols/opcua/cli-browse.js');
        return runBrowse(io, options);
      }),
    );
}
