import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  const analyze = program
    .command('analyze')
    .summary('offline analyses of captures: equipment degradation and energy')
    .description('Reads capture files (or CSV imports) and answers: is this machine degrading, and where does the energy go?');
  analyze
    .command('degradation')
    .summary('health indicators, onset, trend and remaining useful life with an interval')
    .description('Finds when degradation started and how long until a threshold or ISO 10816-3 zone boundary is reached.')
    .argument('<file>', 'capture file')
    .addHelpText('after', examples('iiot analyze degradation pumps.jsonl.gz --threshold zone:C/D --group 2 --foundation rigid'))
    .action(action(async () => {
      throw notBuiltError('analyze degradation');
    }));
  analyze
    .command('energy')
    .summary('kWh, peak demand, base load, cost, CO2e and savings opportunities')
    .description('Integrates power, differences energy counters and sums interval energy into an energy audit.')
    .argument('<file>', 'capture file')
    .addHelpText('after', examples('iiot analyze energy plant.jsonl.gz --tz Europe/Madrid --report nov.html'))
    .action(action(async () => {
      throw notBuiltError('analyze energy');
    }));
}
