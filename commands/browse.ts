import { Option, type Command } from 'commander';
import { BROWSER_KEYS } from '../src/browse/interactive/keys.js';
import type { BrowseFlags } from '../src/browse/options.js';
import { action, examples } from '../src/core/command.js';
import { addOpcUaConnectOptions } from '../src/protocols/opcua/flags.js';

export function register(program: Command): void {
  const cmd = program
    .command('browse')
    .summary('show an OPC UA address space: tree, attributes, full export, interactive browser')
    .description(
      'Connects to an OPC UA server (the most secure endpoint it offers unless told otherwise) and prints ' +
        'the tree below a node to a chosen depth, with attributes on request. --all crawls the whole address ' +
        "space in batches that respect the server's operation limits and exports it as JSON, CSV or a tag " +
        'list for `iiot record`. With --inventory instead of an endpoint: every OPC UA server an `iiot discover` ' +
        'inventory lists, in turn (a server that fails does not stop the others). Server certificates are never ' +
        'trusted silently (see `iiot pki`).',
    )
    .argument('[endpoint]', 'opc.tcp://host:port[/path] (not with --inventory)')
    .argument('[node]', 'node id (ns=2;s=Plant, i=85) or browse path (/Objects/2:Plant); default Objects, or the Root with --all')
    .option('-d, --depth <levels>', 'levels below the node to show (default 2; everything with --all)')
    .option('--all', 'crawl everything below the node (the whole address space without one), with a progress line')
    .option(
      '--class <classes>',
      'only these node classes: Object, Variable, Method, ObjectType, VariableType, ReferenceType, DataType, View',
    )
    .option('--name <pattern>', 'only nodes whose browse or display name matches (* and ?, any case)')
    .option(
      '--attributes',
      'also read DataType, Value, access levels, EngineeringUnits, EURange, Description, MinimumSamplingInterval, Historizing',
    )
    .option('--csv', 'flat CSV: node_id, browse_path, node_class, data_type, unit, access, display_name, eu_low, eu_high')
    .option('--tags <file>', 'write the variables found as a tag list for `iiot record --tags` (docs/opcua.md)')
    .option('-o, --output <file>', 'write the tree, --csv, --json or --nodeset2 to this file instead of stdout')
    .option('--force', 'replace the -o or --tags file if it exists')
    .option(
      '--nodeset2',
      "with --all: the server's own namespaces as a NodeSet2 XML file (types, instances, references, attributes); companion specifications become required models",
    )
    .option('--values', '--nodeset2: also the current values of data variables (property values are always written)')
    .option(
      '--copy-namespace <uri>',
      '--nodeset2: copy this namespace even though it looks like a companion specification (repeatable)',
      (v: string, p: string[] = []) => [...p, v],
    )
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
        const { parseBrowseArguments } = await import('../src/browse/options.js');
        const request = await parseBrowseArguments(io, args, flags);
        const { run } = await import('../src/browse/run.js');
        return run(io, request);
      }),
    );
}
