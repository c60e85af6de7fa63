import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('read')
    .summary('read values once: OPC UA nodes, Modbus registers, MQTT retained topics')
    .description(
      'Reads the named nodes, registers or topics once and prints value, status and timestamps. ' +
        'Read-only: iiot never writes to a device unless a write command is given explicitly.',
    )
    .argument('<endpoint>', 'device URL (docs/targets.md)')
    .argument('<item...>', 'node ids, register addresses or topics')
    .addHelpText('after', examples('iiot read opc.tcp://127.0.0.1:4840 "ns=1;s=Plant.Pump1.Vibration"'))
    .action(action(async () => {
      throw notBuiltError('read');
    }));
}
