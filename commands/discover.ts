import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('discover')
    .summary('find OPC UA servers, Modbus TCP/RTU devices, MQTT brokers and Sparkplug nodes')
    .description(
      'Scans only the targets you name (hosts, CIDR or IP ranges, OPC UA discovery URLs, serial ports), ' +
        'gently: bounded concurrency and a rate limit suitable for OT networks. Every open port is confirmed ' +
        'by its protocol with read-only requests, and the result is an inventory that browse, record and ' +
        'check accept with --inventory.',
    )
    .argument('[targets...]', 'hosts, CIDR ranges, IP ranges, opc.tcp:// URLs or serial ports')
    .addHelpText('after', examples('iiot discover 127.0.0.1', 'iiot discover 127.0.0.0/29 --json > inventory.json'))
    .action(action(async () => {
      throw notBuiltError('discover');
    }));
}
