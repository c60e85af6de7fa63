import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { IO } from '../src/core/io.js';
import type { PkiOptions } from '../src/pki/options.js';

/** The work, loaded when a subcommand runs. */
const runPki = async (io: IO, o: PkiOptions) => (await import('../src/pki/run.js')).run(io, o);

export function register(program: Command): void {
  const pki = program
    .command('pki')
    .summary("iiot's own OPC UA certificate store: show, list, trust, reject")
    .description(
      'iiot keeps its own application certificate and trust lists, in the per-user configuration folder ' +
        '(~/.config/iiot/pki on Linux) or in $IIOT_PKI_DIR. Unknown server certificates are rejected until ' +
        'you trust them here (or with --trust-on-first-use); they wait in rejected/ after the first refusal.',
    )
    .addHelpText('after', examples('iiot pki show', 'iiot pki list', 'iiot pki trust ./plc-cert.der', 'iiot pki reject 30edba8072c35a21'));
  pki
    .command('show')
    .summary("show iiot's application certificate (created on first use) and where it is")
    .description(
      "Shows iiot's application certificate, creating it on first use: the file a server administrator must trust when the server refuses iiot (BadSecurityChecksFailed).",
    )
    .addHelpText('after', examples('iiot pki show', 'IIOT_PKI_DIR=./pki iiot pki show --json'))
    .action(action(async (io) => runPki(io, { action: 'show' })));
  pki
    .command('list')
    .summary('list trusted and rejected server certificates')
    .description('Lists the server certificates in the store: trusted, rejected (refused, waiting for a decision) and issuers (CAs).')
    .addHelpText('after', examples('iiot pki list', 'iiot pki list --json'))
    .action(action(async (io) => runPki(io, { action: 'list' })));
  pki
    .command('trust')
    .summary('trust a server certificate by fingerprint or file')
    .description(
      'Moves a rejected server certificate to trusted (by its SHA-1 or SHA-256 fingerprint, 8 hex digits or more), or imports a certificate file (PEM or DER) as trusted.',
    )
    .argument('<certificate>', 'fingerprint (from `iiot pki list` or the error message) or certificate file')
    .addHelpText('after', examples('iiot pki trust 8d5556e905d5c988', 'iiot pki trust ./plc-cert.der'))
    .action(action(async (io, _o, args) => runPki(io, { action: 'trust', certificate: args[0]! })));
  pki
    .command('reject')
    .summary('move a trusted server certificate to the rejected list')
    .description('Moves a trusted server certificate to rejected; --trust-on-first-use will not trust it again.')
    .argument('<certificate>', 'fingerprint or certificate file')
    .addHelpText('after', examples('iiot pki reject 8d5556e905d5c988'))
    .action(action(async (io, _o, args) => runPki(io, { action: 'reject', certificate: args[0]! })));
}
