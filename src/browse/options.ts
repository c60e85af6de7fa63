/**
 * `iiot browse` flags -> typed options, checked before anything connects: one server's
 * BrowseCommandOptions (parseBrowseFlags, the seam tests use), or with --inventory the OPC UA
 * servers of an `iiot discover` inventory, each with its own (parseBrowseArguments).
 */
import { usageError } from '../core/errors.js';
import type { IO } from '../core/io.js';
import { refuseToReplace } from '../core/output-file.js';
import {
  parseNodeClasses,
  parseOpcUaConnectOptions,
  type NodeClassName,
  type OpcUaConnectFlags,
  type OpcUaConnectOptions,
} from '../protocols/opcua/flags.js';

export interface BrowseCommandOptions {
  connect: OpcUaConnectOptions;
  /** node id or browse path; default Objects (tree) or the Root (--all) */
  node?: string | undefined;
  /** levels below the node; Infinity with --all */
  depth: number;
  all: boolean;
  classes?: Set<NodeClassName> | undefined;
  name?: string | undefined;
  attributes: boolean;
  format: 'tree' | 'json' | 'csv';
  /** write a tag list to this file */
  tagsFile?: string | undefined;
  /** write the export to this file instead of stdout */
  output?: string | undefined;
  /** replace an existing --output or --tags file */
  force?: boolean | undefined;
  /** list the server's endpoints (no session) */
  endpoints: boolean;
  interactive: boolean;
  maxInFlight?: number | undefined;
  maxReferencesPerNode?: number | undefined;
  /** --nodeset2: the server's own address space as a NodeSet2 file (nodeset2/export-run.ts) */
  nodeset2?: { values: boolean; force: boolean; copy: ReadonlySet<string> } | undefined;
}

/** One OPC UA server of an inventory, with where the inventory lists it. */
export interface InventoryServer {
  options: BrowseCommandOptions;
  /** the inventory's one line for people ("iiot simulated plant (127.0.0.2)") */
  name: string;
  /** "site.json:12" */
  where: string;
}

export interface InventoryContext {
  file: string;
  /** said on stderr first (servers left out and why) */
  notes: string[];
  /** the discovery did not finish, with why */
  incomplete?: string[] | undefined;
}

export interface BrowseFlags extends OpcUaConnectFlags {
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
    if (clash)
      throw usageError(
        `--interactive cannot go with --${clash}`,
        'in the interactive browser, mark variables with space and save them as a tag list with s',
      );
    if (!terminal)
      throw usageError('--interactive needs a terminal', 'run it in a terminal; for scripts use --all with --csv, --json or --tags');
  }
  const depth = positiveInt(f.depth, '--depth', 0);
  // before connecting: an existing file is replaced only with --force
  for (const file of [f.output, f.tags]) if (file !== undefined) refuseToReplace(file, { force: f.force });
  if (f.nodeset2) {
    if (!f.all)
      throw usageError(
        '--nodeset2 needs --all: it exports the whole address space',
        'iiot browse <endpoint> --all --nodeset2 -o plc.NodeSet2.xml',
      );
    // (--json is the export's summary on stdout: iiot.browse.nodeset2/1)
    const clash = (['csv', 'tags', 'class', 'name', 'attributes', 'depth', 'inventory'] as const).find(
      (k) => f[k] !== undefined && f[k] !== false,
    );
    if (clash)
      throw usageError(
        `--nodeset2 cannot go with --${clash}`,
        "a NodeSet2 file holds every node of the server's own namespaces; filter it afterwards if you need less",
      );
    if (node !== undefined && !['i=84', 'root', '/'].includes(node.trim().toLowerCase())) {
      throw usageError(
        `--nodeset2 exports the whole address space; it does not start at ${node}`,
        'leave the node out: iiot browse <endpoint> --all --nodeset2 -o plc.NodeSet2.xml',
      );
    }
  } else if (f.values || f.copyNamespace) {
    throw usageError(
      `--${f.values ? 'values' : 'copy-namespace'} belongs to --nodeset2`,
      'iiot browse <endpoint> --all --nodeset2 --values -o plc.NodeSet2.xml',
    );
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
    throw usageError(
      `give an endpoint or --inventory, not both (${first}, --inventory ${f.inventory})`,
      `to browse one server, name it alone: iiot browse ${first}`,
    );
  }
  if (second !== undefined)
    throw usageError(
      `with --inventory, give at most one node (${first}, ${second})`,
      'the servers come from the inventory: iiot browse --inventory FILE [node]',
    );
  if (servers > 1) {
    const one = (['tags', 'csv', 'interactive'] as const).find((k) => f[k] !== undefined && f[k] !== false);
    if (one) {
      throw usageError(
        `--${one} is for one server, and ${f.inventory} lists ${servers} OPC UA servers`,
        one === 'tags'
          ? 'a tag list names the nodes of one server: name the server (iiot browse opc.tcp://HOST:PORT --tags FILE)'
          : 'name the server: iiot browse opc.tcp://HOST:PORT ...; --json exports every server of the inventory in one document',
      );
    }
  }
  return { node: first };
}

/** What `iiot browse` was asked: one server (named, or the only one of an inventory), or every OPC UA server of an inventory. */
export type BrowseRequest =
  | { kind: 'server'; options: BrowseCommandOptions; inventory?: { context: InventoryContext; server: InventoryServer } | undefined }
  | { kind: 'inventory'; servers: InventoryServer[]; inventory: InventoryContext };

/** The positional arguments and flags as commander parsed them; with --inventory, the inventory is read here. */
export async function parseBrowseArguments(
  io: Pick<IO, 'json' | 'stdin' | 'stdoutIsTTY' | 'stderrIsTTY'>,
  args: readonly string[],
  flags: BrowseFlags,
): Promise<BrowseRequest> {
  const terminal = Boolean((io.stdin as { isTTY?: boolean }).isTTY) && (io.stdoutIsTTY || io.stderrIsTTY);
  if (flags.inventory !== undefined) {
    const { opcuaServersOf } = await import('../discovery/feed.js');
    const inv = opcuaServersOf(flags.inventory);
    const { node } = inventoryArguments(args, flags, inv.devices.length);
    const servers = inv.devices.map((d) => ({
      options: parseBrowseFlags(d.url, node, { ...flags, json: io.json }, terminal),
      name: d.name,
      where: d.where,
    }));
    // one server and a format of one server (tag list, CSV, interactive): as if it were named
    if (servers.length === 1 && (flags.tags !== undefined || flags.csv || flags.interactive))
      return { kind: 'server', options: servers[0]!.options, inventory: { context: inv, server: servers[0]! } };
    return { kind: 'inventory', servers, inventory: inv };
  }
  if (args[0] === undefined)
    throw usageError(
      'no endpoint given',
      'name a server (iiot browse opc.tcp://HOST:4840) or every OPC UA server of an inventory (iiot browse --inventory FILE)',
    );
  return { kind: 'server', options: parseBrowseFlags(args[0], args[1], { ...flags, json: io.json }, terminal) };
}
