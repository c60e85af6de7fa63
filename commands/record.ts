import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('record')
    .summary('record samples from OPC UA, Modbus and MQTT sources into a capture file')
    .description(
      'Subscribes to or polls one or more sources and writes every sample into one capture file ' +
        '(docs/capture-format.md) until a duration or count is reached or Ctrl-C. Reconnects after ' +
        'disconnects and marks the gaps; what was written stays readable after a crash.',
    )
    .argument('<source...>', 'device URLs (docs/targets.md)')
    .requiredOption('-o, --output <file>', 'capture file to write (.jsonl or .jsonl.gz)')
    .addHelpText('after', examples('iiot record mqtt://127.0.0.1:1883 --topic "plant/#" -o plant.jsonl --duration 60s'))
    .action(action(async () => {
      throw notBuiltError('record');
    }));
}
