import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('replay')
    .summary('serve a capture as a live OPC UA server, Modbus server or MQTT publisher')
    .description(
      'Turns a capture back into live data at the recorded times (or faster), so gateways, SCADA screens ' +
        'and analytics can be tested without hardware. Servers bind 127.0.0.1 unless told otherwise.',
    )
    .argument('<file>', 'capture file')
    .requiredOption('--to <sink>', 'opcua, modbus or mqtt[://host:port]')
    .addHelpText('after', examples('iiot replay fixtures/captures/plant-1d.jsonl.gz --to mqtt://127.0.0.1:1883 --speed 60'))
    .action(action(async () => {
      throw notBuiltError('replay');
    }));
}
