import { Command, CommanderError } from 'commander';
import { register as registerAnalyze } from '../commands/analyze.js';
import { register as registerBrowse } from '../commands/browse.js';
import { register as registerCapture } from '../commands/capture.js';
import { register as registerCheck } from '../commands/check.js';
import { register as registerCommission } from '../commands/commission.js';
import { register as registerDemo } from '../commands/demo.js';
import { register as registerDiscover } from '../commands/discover.js';
import { register as registerPki } from '../commands/pki.js';
import { register as registerRead } from '../commands/read.js';
import { register as registerRecord } from '../commands/record.js';
import { register as registerReplay } from '../commands/replay.js';
import { register as registerSim } from '../commands/sim.js';
import { examples } from './core/command.js';
import { isIiotError } from './core/errors.js';
import { ExitCode } from './core/exit-codes.js';
import { toolVersion } from './core/version.js';

export const HELP_WIDTH = 80;

/** The command table. Commands register their options and help; their work is imported lazily. */
export function buildProgram(): Command {
  const program = new Command('iiot');
  program
    .description(
      'Commissioning toolkit for industrial IoT: discover OPC UA servers, Modbus devices and MQTT brokers, ' +
        'browse address spaces, record and replay captures, analyse degradation and energy, and check ' +
        'latency and security. Devices are named by URL (docs/targets.md); results go to stdout, ' +
        'diagnostics to stderr; exit codes are documented in docs/exit-codes.md.',
    )
    .version(toolVersion(), '-V, --version', 'print the iiot version')
    .option('--json', 'print the result as one JSON document on stdout (docs/json-output.md)')
    .option('-q, --quiet', 'print no progress or diagnostics, only results, warnings and errors')
    .option('--no-color', 'no colour (NO_COLOR is honoured too)')
    .option('--debug', 'print stack traces and protocol details on stderr')
    .showSuggestionAfterError(true)
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText(
      'after',
      examples(
        'npm run demo                                  # the whole workflow against the embedded plant',
        'iiot sim                                      # start the simulated plant on 127.0.0.1',
        'iiot sim --generate --days 30 -o plant.jsonl.gz',
        'iiot capture info plant.jsonl.gz',
        'iiot help capture',
      ) + '\nExit codes: 0 ok, 1 check failed, 2 usage or bad input, 3 device unreachable, 4 internal error.\n',
    );

  for (const register of [
    registerDiscover,
    registerBrowse,
    registerRead,
    registerRecord,
    registerReplay,
    registerCapture,
    registerAnalyze,
    registerCheck,
    registerCommission,
    registerPki,
    registerSim,
    registerDemo,
  ]) {
    register(program);
  }
  configureErrors(program);
  return program;
}

/** Commander's own usage errors: exit 2, one line, and a pointer to --help. */
function configureErrors(cmd: Command): void {
  cmd.exitOverride();
  // A fixed width: help reads the same on every terminal, and can be rendered at build time.
  cmd.configureHelp({ helpWidth: HELP_WIDTH });
  cmd.configureOutput({
    outputError: (str, write) => write(`iiot: ${str.replace(/^error: /, 'error: ').trimEnd()}\n`),
  });
  cmd.showHelpAfterError(`(run "iiot ${cmd.name() === 'iiot' ? '' : `${commandPath(cmd)} `}--help" for usage)`);
  for (const sub of cmd.commands) configureErrors(sub);
}

function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c && c.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Runs the program with the given argv; sets process.exitCode, never throws. */
export async function main(argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (err) {
    process.exitCode = reportError(err, debug);
  }
}

/** Prints an error the way users see every error: one line, a hint, a stack only with --debug. */
export function reportError(err: unknown, debug: boolean, stderr: NodeJS.WritableStream = process.stderr): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version' || err.code === 'commander.help') return ExitCode.Ok;
    // commander printed the message already
    return ExitCode.Usage;
  }
  if (isIiotError(err)) {
    stderr.write(`iiot: error: ${err.message}\n`);
    if (err.hint) stderr.write(`  hint: ${err.hint}\n`);
    if (debug && err.cause !== undefined) stderr.write(`${formatCause(err.cause)}\n`);
    if (debug) stderr.write(`${err.stack ?? ''}\n`);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  stderr.write(`iiot: internal error: ${message.split('\n')[0]}\n`);
  if (debug) stderr.write(`${err instanceof Error ? (err.stack ?? '') : ''}\n`);
  else stderr.write('  hint: this is a bug in iiot; run again with --debug and report the output\n');
  return ExitCode.Internal;
}

function formatCause(cause: unknown): string {
  return cause instanceof Error ? `caused by: ${cause.stack ?? cause.message}` : `caused by: ${String(cause)}`;
}
