import { Command, CommanderError } from 'commander';
import { examples } from './core/command.js';
import { ExitCode } from './core/exit-codes.js';
import { reportFailure } from './core/report.js';
import { toolVersion } from './core/version.js';

/**
 * The root of the command table (global options, help, error handling) and the runner, apart from
 * the commands themselves: src/cli.ts registers every command on it, src/entry.ts only the one a
 * user named, so that `iiot capture info` loads commands/capture.ts and nothing of the others.
 */

export const HELP_WIDTH = 80;

/** What each commands/<verb>.ts exports: adds its command (and subcommands) to the root. */
export type Register = (program: Command) => void;

/** The root command with the given commands registered, in the order given (the order of --help). */
export function createProgram(registers: readonly Register[]): Command {
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

  for (const register of registers) register(program);
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

/** Runs a program on argv; sets process.exitCode, never throws. */
export async function runProgram(program: Command, argv: string[]): Promise<void> {
  const debug = argv.includes('--debug');
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
  return reportFailure(err, debug, stderr);
}
