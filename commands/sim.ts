import type { Command } from 'commander';
import { action } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('sim')
    .summary('sim')
    .action(action(async () => {
      throw notBuiltError('sim');
    }));
}
