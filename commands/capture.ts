import type { Command } from 'commander';
import { action } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  program
    .command('capture')
    .summary('capture')
    .action(action(async () => {
      throw notBuiltError('capture');
    }));
}
