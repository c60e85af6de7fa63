import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  const pki = program
    .command('pki')
    .summary('iiot\'s own OPC UA certificate store: show, list, trust, reject')
    .description(
      'iiot keeps its own application certificate and trust lists. Unknown server certificates are ' +
        'rejected until you trust them here (or with --trust-on-first-use).',
    );
  for (const [name, summary] of [
    ['show', 'show iiot\'s application certificate (created on first use)'],
    ['list', 'list trusted and rejected server certificates'],
    ['trust', 'trust a rejected server certificate by fingerprint or file'],
    ['reject', 'move a trusted server certificate to the rejected list'],
  ] as const) {
    pki
      .command(name)
      .summary(summary)
      .description(summary)
      .addHelpText('after', examples(`iiot pki ${name}`))
      .action(action(async () => {
        throw notBuiltError(`pki ${name}`);
      }));
  }
}
