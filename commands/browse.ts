import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('browse')
    .summary('show an OPC UA address space: tree, attributes, full export, interactive browser')
    .description(
      'Connects to an OPC UA server (the most secure endpoint it offers unless told otherwise) and prints ' +
        'the tree below a node to a chosen depth, with attributes on request. --all crawls the whole address ' +
        'space in batches that respect the server\'s operation limits and exports it as JSON, CSV or a tag ' +
        'list for `iiot record`. Server certificates are never trusted silently (see `iiot pki`).',
    )
    .argument('<endpoint>', 'opc.tcp://host:port[/path]')
    .argument('[node]', 'node id (ns=2;s=Plant) or browse path (/Objects/Plant); default Objects')
    .addHelpText('after', examples('iiot browse opc.tcp://127.0.0.1:4840', 'iiot browse opc.tcp://127.0.0.1:4840 --all --csv > tags.csv'))
    .action(action(async () => {
      throw notBuiltError('browse');
    }));
}
