import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { IO } from '../src/core/io.js';
import { addOpcUaConnectOptions } from '../src/protocols/opcua/flags.js';

/**
 * `iiot record <source...> -o FILE`: options (grouped in the help by what they belong to), help,
 * and the action. Options written after a source belong to that source; which one is decided from
 * the raw arguments in src/record/options.ts (scope.ts), the work is src/record/run.ts.
 */

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  const cmd = program
    .command('record')
    .summary('record samples from OPC UA, Modbus and MQTT sources into a capture file')
    .description(
      'Subscribes to or polls one or more sources and writes every sample into one capture file ' +
        '(docs/capture-format.md) until --duration, --count, Ctrl-C or SIGTERM; the file is finished cleanly in ' +
        'each case. Options written after a source belong to that source; options before the first source ' +
        'apply to every source they fit. Reconnects after disconnects with backoff and marks the gaps in the ' +
        "file; what was written stays readable after a crash. On a terminal a live view shows each tag's last " +
        'value, rate and errors; elsewhere only a start line and a summary are printed. See docs/recording.md.',
    )
    .argument('[source...]', 'device URLs (docs/targets.md), each followed by its own options')
    .option('-o, --output <file>', 'capture file to write (.jsonl, or .jsonl.gz to compress)')
    .option(
      '--inventory <file>',
      'also record every device of an `iiot discover --json` inventory (Modbus meters it identifies get their built-in map)',
    )
    .option('--protocols <list>', 'with --inventory: only these devices: opcua, modbus, mqtt (default: all)')
    .option('--duration <duration>', 'stop after this long (30s, 15m, 2h)')
    .option('--count <n>', 'stop after this many samples (all sources together)')
    .option('--force', 'replace the output file if it exists')
    .option('--rotate-size <size>', 'start a new part when a file reaches this size (100MB)')
    .option('--rotate-every <duration>', 'start a new part every period of record time (1h, 1d)')
    .option('--flush-interval <duration>', 'longest time a sample waits before it reaches the disk (default 1s)')
    .option('--metadata <key=value>', 'free metadata for the header (repeatable): site, asset, operator', collect)
    .option('--reconnect-max <duration>', 'longest pause between reconnect attempts (default 30s)')
    .option('--no-live', 'no live view on a terminal')
    .option('--id <name>', 'source id in the capture (default: opcua, mqtt, or the Modbus map name)')
    // OPC UA
    .option('--node <node>', 'OPC UA: a variable by node id or browse path (repeatable)', collect)
    .option('--subtree <node>', 'OPC UA: every data variable below this node (repeatable)', collect)
    .option('--tags <file>', 'OPC UA: a tag list from `iiot browse --tags` (repeatable)', collect)
    .option('--sampling-interval <duration>', 'OPC UA: sampling interval asked of the server (default 1s; 0 = fastest)')
    .option('--publishing-interval <duration>', 'OPC UA: publishing interval (default: the sampling interval, 100ms-1s)')
    .option('--queue-size <n>', 'OPC UA: values the server queues per item between publishes (default 10)')
    .option('--deadband <x>', 'OPC UA: record a change only beyond this: absolute (0.5) or percent of the EURange (2%)')
    .option('--poll <duration>', 'OPC UA: read every interval instead of subscribing (servers with poor subscriptions)')
    .option('--history', "OPC UA: backfill from the server's history from --from (to --to, or to now and then live)")
    .option('--from <time>', 'OPC UA --history: start (2026-11-25T10:00:00Z, now-2h)')
    .option('--to <time>', 'OPC UA --history: end; with --to only history is recorded')
    .addOption(
      new Option('--max-items-per-call <n>', "OPC UA: monitored items per CreateMonitoredItems (default: the server's limit)").hideHelp(),
    )
    // Modbus
    .option('--map <name|file>', 'Modbus: register map, built-in (sdm630, pm5000) or a YAML file')
    .option('--registers <names>', 'Modbus: only these map entries (comma-separated, * wildcards)', collect)
    .option('--interval <duration>', 'Modbus: time between scans (default 1s)')
    .option('--max-gap <n>', 'Modbus: unused registers a read may bridge between entries (default 10)')
    .option('--max-registers <n>', 'Modbus: registers per read, 1-125 (default 125)')
    // MQTT
    .option(
      '--topic <filter>',
      'MQTT: topic filter (repeatable; default #); tags are named after the topic below the levels every filter starts with (docs/recording.md#tag-names)',
      collect,
    )
    .option('--decoder <name>', 'MQTT: auto, json, number, text, sparkplug or none (default auto)')
    .option(
      '--json-path <[filter=]path>',
      'MQTT json: where the value is ($.v, data.temp), per topic filter if given (repeatable)',
      collect,
    )
    .option('--raw', 'MQTT: also keep every payload byte-exact (for replay)')
    .option('--qos <0|1|2>', 'MQTT: subscription QoS (default 1)')
    .option('--client-id <id>', 'MQTT: client id (default: a random iiot-record-... id)')
    .option('--ca <file>', 'MQTT over TLS: CA certificate (PEM; or $IIOT_MQTT_CA)')
    .option('--cert <file>', 'MQTT over TLS: client certificate (PEM; or $IIOT_MQTT_CERT)')
    .option('--key <file>', 'MQTT over TLS: client key (PEM; or $IIOT_MQTT_KEY)');
  addOpcUaConnectOptions(cmd);
  // The shared OPC UA options serve MQTT too (user, password), and --timeout every protocol.
  for (const o of cmd.options) {
    if (o.long === '--timeout') {
      o.description = 'longest wait: OPC UA connection or any one answer (10s), Modbus request (1s), MQTT connect (10s)';
      o.defaultValue = undefined;
    }
    if (o.long === '--user')
      o.description =
        'OPC UA and MQTT: log on with this user name; the password comes from $IIOT_PASSWORD, --password-env, --password-file (or, OPC UA, a prompt)';
  }
  groupRecordHelp(cmd);
  cmd
    .addHelpText(
      'after',
      examples(
        'iiot record opc.tcp://127.0.0.1:4840 --tags line3.tags -o sat.jsonl.gz --duration 2h',
        "iiot record opc.tcp://127.0.0.1:4840 --tags line3.tags 'modbus-rtu:///dev/ttyUSB0?baud=9600&unit=3' --map sdm630 -o sat.jsonl.gz",
        'iiot record opc.tcp://127.0.0.1:4840 --subtree /Objects/Plant --security-mode None -o plant.jsonl',
        'iiot record opc.tcp://127.0.0.1:4840 --node "nsu=urn:iiot:sim:plant;s=pump1.vibration" --history --from now-1h -o pump.jsonl',
        'iiot record modbus://127.0.0.1:5020?unit=1 --map sdm630 --interval 500ms -o meter.jsonl --duration 10m',
        'iiot record mqtt://127.0.0.1:1883 --topic "plant/#" -o plant.jsonl --duration 60s',
        'iiot record mqtt://127.0.0.1:1883 --topic "spBv1.0/#" --raw -o sparkplug.jsonl.gz',
        'IIOT_PASSWORD=... iiot record mqtts://127.0.0.1:8883 --user gateway --ca ca.pem --topic "plant/#" -o out.jsonl',
        'iiot record --inventory site.json --protocols modbus,mqtt --topic "plant/#" -o site.jsonl.gz --duration 1h',
        "iiot record --inventory site.json --subtree /Objects/Plant 'modbus://127.0.0.1:502?unit=3' --map plc.yaml -o site.jsonl.gz",
      ),
    )
    .action(
      action(async (io: IO, _flags: object, _args: string[], c: Command) => {
        const { recordArguments } = await import('../src/record/options.js');
        const options = await recordArguments(rawArguments(c), c.options);
        const { runRecord } = await import('../src/record/run.js');
        return runRecord(io, options);
      }),
    );
}

/**
 * The help groups options by what they belong to, as gh and nmap do: the output file, the run,
 * then one group per protocol (options written after a source of that protocol belong to it),
 * then what every source may take. The usage line says the same.
 */
const HELP_GROUPS: Array<[heading: string, options: string[]]> = [
  ['Output:', ['--output', '--force', '--rotate-size', '--rotate-every', '--flush-interval', '--metadata']],
  ['Run:', ['--duration', '--count', '--inventory', '--protocols', '--reconnect-max', '--no-live']],
  [
    'Any source (before the first source: for every source they fit):',
    ['--id', '--user', '--password-env', '--password-file', '--timeout'],
  ],
  [
    'OPC UA (after opc.tcp://...):',
    [
      '--node',
      '--subtree',
      '--tags',
      '--sampling-interval',
      '--publishing-interval',
      '--queue-size',
      '--deadband',
      '--poll',
      '--history',
      '--from',
      '--to',
      '--security-mode',
      '--security-policy',
      '--user-cert',
      '--user-key',
      '--trust-on-first-use',
    ],
  ],
  ['Modbus (after modbus://... or modbus-rtu://...):', ['--map', '--registers', '--interval', '--max-gap', '--max-registers']],
  [
    'MQTT (after mqtt://... or mqtts://...):',
    ['--topic', '--decoder', '--json-path', '--raw', '--qos', '--client-id', '--ca', '--cert', '--key'],
  ],
];

export const RECORD_USAGE = '-o FILE [run options] SOURCE [its options] [SOURCE [its options]...]';

function groupRecordHelp(cmd: Command): void {
  cmd.usage(RECORD_USAGE);
  for (const [heading, names] of HELP_GROUPS) {
    for (const name of names) {
      const option = cmd.options.find((o) => o.long === name);
      if (option === undefined) throw new Error(`record help: no option ${name}`);
      option.helpGroup(heading);
    }
  }
  // A hidden option joins the group of the one before it, so that no group is placed by it.
  let last = '';
  for (const o of cmd.options) {
    if (o.hidden && !o.helpGroupHeading) o.helpGroup(last);
    last = o.helpGroupHeading ?? last;
  }
}

/** The arguments after the command name, as typed (commander keeps them on the root command). */
function rawArguments(c: Command): string[] {
  let root: Command = c;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs: string[] }).rawArgs;
  const i = raw.indexOf(c.name(), 2);
  return i < 0 ? c.args : raw.slice(i + 1);
}
