import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { PASSWORD_ENV } from '../src/core/credentials.js';
import type { InitFlags, RunFlags } from '../src/commission/options.js';

function addConnect(cmd: Command): Command {
  return cmd
    .option(
      '--user <name>',
      `log on to OPC UA servers and MQTT brokers as this user; the password from $${PASSWORD_ENV} or --password-file`,
    )
    .option('--password-env <var>', `environment variable holding the password (default ${PASSWORD_ENV})`)
    .option('--password-file <file>', 'file holding the password (first line; keep it chmod 600)')
    .option('--trust-on-first-use', 'trust an unknown OPC UA server certificate after printing its fingerprint')
    .option('--timeout <duration>', 'longest wait for a connection or any one answer (default 10s)');
}

export function register(program: Command): void {
  const commission = program
    .command('commission')
    .summary('the site acceptance test: judge a plant against an acceptance plan and hand over a signed report')
    .description(
      'What a commissioning engineer delivers: every expected device found and identified, every signal of ' +
        'the I/O list seen live, in range, in the right unit, updating; security and latency within the agreed ' +
        'limits; signed off and handed to the plant owner. `init` drafts a plan from what is there, `run` judges ' +
        'the plant against it and writes the handover (report.html, report.json, junit.xml, security.sarif, ' +
        'evidence/, a signed manifest.json), `verify` proves the handover unchanged, `diff` shows what changed ' +
        'between two acceptances. See docs/commissioning.md.',
    )
    .addHelpText(
      'after',
      examples(
        'iiot commission init 127.0.0.1 --ports 4840:opcua,5020:modbus,1883:mqtt -o line3-sat.yaml',
        'iiot commission run line3-sat.yaml -o handover/',
        'iiot commission verify handover/',
        'iiot commission diff sat-2025/ sat-2026/',
      ),
    );

  addConnect(
    commission
      .command('run')
      .summary('run the acceptance plan and write the handover folder')
      .description(
        'Runs discovery (expected against found; unexpected devices are items too), identity, a passive security ' +
          'check, latency against the budgets, an OPC UA address-space export and a recording window (default 5m), ' +
          'then judges every signal: present, updating, in range, unit, quality, no gaps, not stuck, not noisy, ' +
          'expected value. Each item is printed as it is judged. --loop-check then asks the engineer to act at each ' +
          'field device the plan names and confirms the change live. Exit 0 when accepted, 1 when a must-pass item ' +
          'failed (waivers in the plan excepted), 2 for a bad plan, 130 on Ctrl-C (nothing is written under -o then).',
      )
      .argument('<plan>', 'the acceptance plan (YAML, docs/commissioning.md)')
      .option('-o, --output <folder>', 'the handover folder to write (refused if it exists and is not empty, unless --force)')
      .option('--window <duration>', "how long to record the I/O list (default: the plan's, else 5m)")
      .option('--loop-check', 'guided loop check on a terminal: act at each field device the plan names, iiot confirms the change')
      .option('--force', 'replace an existing handover folder (only once the new one is complete)'),
  )
    .addHelpText(
      'after',
      examples(
        'iiot commission run line3-sat.yaml -o handover/',
        'iiot commission run line3-sat.yaml -o handover/ --window 30m --loop-check',
        'IIOT_PASSWORD=… iiot commission run line3-sat.yaml -o handover/ --user commissioning --json > sat.json',
      ),
    )
    .action(
      action<RunFlags>(async (io, flags, args) => {
        const { parseRunOptions } = await import('../src/commission/options.js');
        const options = parseRunOptions(args[0], flags);
        const { runCommissionCommand } = await import('../src/commission/run.js');
        return runCommissionCommand(io, options);
      }),
    );

  addConnect(
    commission
      .command('init')
      .summary('draft an acceptance plan from what answers on the targets')
      .description(
        'Discovers the targets, records a short window (default 10s) of every OPC UA variable with an engineering ' +
          'unit, every register of meters iiot has a map for and every MQTT topic, and writes a draft plan: devices ' +
          "with their identity and security as found, signals with ranges (the device's EURange, else what was seen, " +
          'widened) and update intervals. Findings that would fail the acceptance are listed as commented-out ' +
          'waivers. Edit the draft to the I/O list before running it.',
      )
      .argument('<targets...>', 'addresses or device URLs, as `iiot discover` takes them')
      .option('-o, --output <file>', 'the draft plan to write')
      .option('--ports <list>', 'ports to scan on addresses, marked with their protocol (4840:opcua,502:modbus,1883:mqtt)')
      .option('--window <duration>', 'how long to watch the signals (default 10s)')
      .option('--listen <duration>', 'how long to listen for Sparkplug births (default 3s)')
      .option('--site <name>', 'the site name to put in the plan')
      .option('--job <id>', 'the job id to put in the plan')
      .option('--force', 'replace an existing plan file'),
  )
    .addHelpText(
      'after',
      examples(
        'iiot commission init 127.0.0.1 --ports 4840:opcua,5020:modbus,1883:mqtt -o line3-sat.yaml',
        'iiot commission init opc.tcp://127.0.0.1:4840 "modbus://127.0.0.1:5020?unit=1" -o plan.yaml --site "Line 3" --job SAT-114',
      ),
    )
    .action(
      action<InitFlags>(async (io, flags, args) => {
        const { parseInitOptions } = await import('../src/commission/options.js');
        const options = parseInitOptions(args, flags);
        const { runInit } = await import('../src/commission/init.js');
        return runInit(io, options);
      }),
    );

  commission
    .command('verify')
    .summary('check that a handover folder is exactly as it was signed')
    .description(
      'Recomputes the SHA-256 of every file, the chain of step records and the signature of manifest.json, and ' +
        'names any file changed, missing, added or replaced. Anyone can re-sign changed files with a key of their own, ' +
        'so give --signer the fingerprint printed on the signed report.html (above the signature lines) to require ' +
        "the original signer; without it the signer's fingerprint is printed for you to compare. Exit 0 intact, 1 not intact.",
    )
    .argument('<folder>', 'the handover folder')
    .option(
      '--signer <fingerprint|file>',
      "require this signer: the certificate's SHA-256 fingerprint (as report.html prints it) or the certificate file",
    )
    .addHelpText('after', examples('iiot commission verify handover/', 'iiot commission verify handover/ --signer 3f9a…e1 --json'))
    .action(
      action<{ signer?: string }>(async (io, flags, args) => {
        const { runVerify } = await import('../src/commission/verify.js');
        return runVerify(io, { dir: args[0]!, ...(flags.signer ? { signer: flags.signer } : {}) });
      }),
    );

  commission
    .command('diff')
    .summary('what changed between two acceptances (devices, firmware, certificates, signals, latency)')
    .description(
      'Compares the report.json of two handover folders: devices found or gone, identity (product, firmware revision), certificates, signal units and ranges, latency, and items whose verdict changed.',
    )
    .argument('<old>', 'the earlier handover folder')
    .argument('<new>', 'the later handover folder')
    .addHelpText('after', examples('iiot commission diff sat-2025/ sat-2026/', 'iiot commission diff sat-2025/ sat-2026/ --json'))
    .action(
      action(async (io, _flags, args) => {
        const { runDiff } = await import('../src/commission/diff.js');
        return runDiff(io, args[0]!, args[1]!);
      }),
    );
}
