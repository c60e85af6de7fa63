import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { IO } from '../src/core/io.js';
import type { ReplayFlags } from '../src/replay/options.js';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  program
    .command('replay')
    .summary('serve a capture as a live OPC UA server, Modbus server or MQTT publisher')
    .description(
      'Turns a capture back into live data at the recorded times (or faster), so gateways, SCADA screens ' +
        'and analytics can be tested without hardware. OPC UA: the recorded node ids, namespaces, values, ' +
        'status codes and source timestamps. Modbus TCP: the recorded register map. MQTT: the recorded topics, ' +
        'byte-exact from raw lines (record --raw), to a broker or an embedded one. Prints the endpoint (and ' +
        'writes --ready-file) once serving, and exits when the capture ends unless --loop. Servers bind ' +
        '127.0.0.1 unless told otherwise. See docs/recording.md.',
    )
    .argument('<file...>', 'capture file(s), played in the order given')
    .option(
      '--to <sink|time>',
      'where: opcua, modbus, mqtt (embedded broker) or mqtt://host:port; a time here ends the range (like --until)',
      collect,
    )
    .option('--from <time>', 'start at this record time (2026-11-25T10:00:00Z); servers start with the values recorded before it')
    .option('--until <time>', 'stop at this record time')
    .option('--host <address>', 'address the server or embedded broker listens on', '127.0.0.1')
    .option('--port <port>', 'port (default: opcua 4840, modbus 5020, mqtt 1883; 0 = a free port)')
    .option('--speed <x>', 'replay this many times faster than recorded (default 1)')
    .option('--max-speed', 'as fast as the sink takes it')
    .option('--loop', 'start again at the end (timestamps move on by one capture length per pass)')
    .option('--duration <duration>', 'stop after this long (with --loop)')
    .option('--tags <patterns>', 'only these tags (comma-separated, * wildcards; repeatable)', collect)
    .option('--ready-file <path>', 'write the endpoint (JSON) here once serving; removed at the end')
    .addOption(
      new Option('--timestamps <which>', 'source timestamps: as recorded, or the time of replay')
        .choices(['recorded', 'now'])
        .default('recorded'),
    )
    .option('--all-parts', 'a rotated capture: replay every part of the set')
    .option('--pki-dir <dir>', "opcua: the server's certificate store (default <tmp>/iiot-replay-<uid>/pki-<host>)")
    .option('--accept-any-client-cert', 'opcua: trust every client certificate (tests only; mode None needs none)')
    .option(
      '--nodeset <file>',
      'opcua: serve this NodeSet2 file (a twin from iiot browse --all --nodeset2); recorded values drive its variables by node id',
    )
    .addOption(
      new Option('--profile <name>', 'opcua: security profile, as iiot sim (docs/sim.md)').choices(['default', 'hardened', 'weak']),
    )
    .option(
      '--no-trust-local-client',
      "opcua: do not trust this machine's iiot client certificate (by default the server trusts it, and only it)",
    )
    .option('--map <name|file>', 'modbus: registers for tags not recorded from Modbus (entries named like the tags)')
    .option('--unit <id>', "modbus: unit id of --map's registers (default 1)")
    .option('--qos <0|1|2>', 'mqtt: QoS of published samples (raw lines keep theirs; default 0)')
    .option('--retain', 'mqtt: publish samples retained (raw lines keep their flag)')
    .option('--topic-prefix <prefix>', 'mqtt: topic of tags not recorded from MQTT is <prefix>/<tag with / for .>')
    .addOption(
      new Option('--payload <form>', 'mqtt: samples as {"t","v"} JSON or as the bare value').choices(['json', 'value']).default('json'),
    )
    .option(
      '--user <name>',
      'mqtt://: user name to log on with; opcua: user name the server accepts; the password comes from $IIOT_PASSWORD or --password-file',
    )
    .option('--password-env <var>', 'environment variable holding the password (default IIOT_PASSWORD)')
    .option('--password-file <file>', 'file holding the password (first line)')
    .addOption(new Option('--password <password>').hideHelp())
    .option('--client-id <id>', 'mqtt://: client id (default: a random iiot-replay-... id)')
    .option('--ca <file>', 'mqtts://: CA certificate (PEM)')
    .option('--cert <file>', 'mqtts://: client certificate (PEM)')
    .option('--key <file>', 'mqtts://: client key (PEM)')
    .option('--timeout <duration>', 'mqtt://: longest wait for the broker', '10s')
    .addHelpText(
      'after',
      examples(
        'iiot replay line3-sat.jsonl.gz --to opcua --port 4840 --ready-file ready &',
        'iiot replay line3-sat.jsonl.gz --to opcua --nodeset plc.NodeSet2.xml     # on the twin of the PLC',
        'iiot replay meter.jsonl --to modbus --port 5020 --speed 10',
        'iiot replay plant.jsonl.gz --to mqtt --port 1883 --loop',
        'iiot replay plant.jsonl.gz --to mqtt://127.0.0.1:1883 --max-speed',
        'iiot replay plant.jsonl.gz --to opcua --from 2026-11-25T10:00:00Z --to 2026-11-25T11:00:00Z --speed 60',
      ),
    )
    .action(
      action(async (io: IO, flags: ReplayFlags, files: string[]) => {
        const { parseReplayFlags } = await import('../src/replay/options.js');
        const options = parseReplayFlags(files, flags);
        const { runReplay } = await import('../src/replay/run.js');
        return runReplay(io, options);
      }),
    );
}
