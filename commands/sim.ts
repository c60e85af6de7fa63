import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { IO } from '../src/core/io.js';
import type { SimFlags } from '../src/sim/options.js';

export function register(program: Command): void {
  program
    .command('sim')
    .summary('run the embedded simulated plant: OPC UA server, Modbus TCP/RTU devices, MQTT broker')
    .description(
      'Starts the simulated plant of a plant model file on 127.0.0.1 (or --host): an OPC UA server with the ' +
        'DI, IA and Machinery companion nodesets and a Plant folder of assets, a Modbus TCP server with an ' +
        'Eastron SDM630 (unit 1), a Schneider PM5000 (unit 2) and the line PLC (unit 3), and an MQTT broker ' +
        'with plain-JSON topics and a Sparkplug B edge node. One model drives all of them: shifts, an energy ' +
        'profile with base load, a pump bearing that degrades and fails at a known time, noise, all ' +
        'deterministic with --seed. Prints the endpoints (--json for scripts; --ready-file for CI) and serves ' +
        'until Ctrl-C, SIGTERM or --duration. Passwords come from $IIOT_SIM_PASSWORD or --password-file, never ' +
        'from the command line. --generate writes weeks of the model into a capture in seconds instead, with ' +
        'the ground truth (failure time, degradation curve, kWh per day) in its header. See docs/sim.md.',
    )
    .option('--plant <file>', 'plant model file (default fixtures/plants/default.yaml)')
    .option('--seed <n>', "noise seed (default: the plant file's)")
    .option('--start <time>', "model time at start: ISO 8601, or now-7d (default now; --generate: the plant file's start)")
    .option('--age <duration>', 'how long the plant has been running at start: the pump bearing fails 26d after its epoch (try 25d)')
    .option('--time-scale <x>', 'model seconds per wall second (3600: an hour per second)', '1')
    .option('--host <address>', 'address every server listens on (127.0.0.2... for discovery tests)', '127.0.0.1')
    .option('--opcua-port <port>', 'OPC UA port (0: a free port)', '4840')
    .option('--modbus-port <port>', 'Modbus TCP port (0: a free port; 502 needs privileges)', '5020')
    .option('--mqtt-port <port>', 'MQTT port (0: a free port)', '1883')
    .option('--no-opcua', 'no OPC UA server')
    .option('--no-modbus', 'no Modbus TCP server')
    .option('--no-mqtt', 'no MQTT broker and publishers')
    .addOption(
      new Option('--profile <name>', 'OPC UA security profile (docs/sim.md)').choices(['default', 'hardened', 'weak']).default('default'),
    )
    .option('--user <name>', 'user name for OPC UA username tokens and --mqtt-auth', 'operator')
    .option('--password-file <file>', 'read the password from this file (else $IIOT_SIM_PASSWORD)')
    .option('--pki-dir <dir>', "the OPC UA server's certificate store (default <tmp>/iiot-sim-<uid>/pki-<profile>-<host>)")
    .option('--accept-any-client-cert', 'trust every OPC UA client certificate (tests and demos only)')
    .option('--no-trust-local-client', "do not trust this machine's iiot client certificate (by default the plant trusts it, and only it)")
    .option('--max-nodes-per-browse <n>', 'OPC UA operation limit MaxNodesPerBrowse')
    .option('--max-nodes-per-read <n>', 'OPC UA operation limit MaxNodesPerRead')
    .option('--max-browse-continuation-points <n>', 'OPC UA MaxBrowseContinuationPoints per session')
    .option('--max-monitored-items-per-call <n>', 'OPC UA operation limit MaxMonitoredItemsPerCall')
    .option('--max-references-per-node <n>', 'references per node and Browse before a continuation point')
    .option('--extra-nodes <n>', 'add this many synthetic variables under /Objects/Synthetic')
    .option(
      '--nodeset <file>',
      "OPC UA: serve this NodeSet2 file's address space (a twin from iiot browse --all --nodeset2), with simulated values",
    )
    .option('--mqtt-auth', 'the broker requires --user and the password (with --mqtt-broker: log on with them)')
    .option('--mqtt-nagle', "leave Nagle's algorithm on in the embedded broker, to reproduce an unpatched broker's ~40 ms QoS 1 stall")
    .option('--no-json-topics', 'no plain-JSON topics')
    .option('--no-sparkplug', 'no Sparkplug B edge node')
    .option('--mqtt-broker <url>', 'publish to this broker instead of embedding one (mqtt://host:port)')
    .addOption(
      new Option('--unknown-unit <answer>', 'Modbus TCP requests for other unit ids')
        .choices(['gateway-exception', 'ignore'])
        .default('gateway-exception'),
    )
    .option('--rtu <path>', 'also serve the SDM630 meter as Modbus RTU on this serial device')
    .option('--rtu-baud <n>', 'RTU baud rate', '9600')
    .addOption(new Option('--rtu-parity <p>', 'RTU parity').choices(['none', 'even', 'odd']).default('none'))
    .option('--rtu-unit <n>', 'RTU unit id of the meter', '1')
    .option('--rtu-data-bits <n>', 'RTU data bits', '8')
    .option('--rtu-stop-bits <n>', 'RTU stop bits', '1')
    .option('--update-interval <duration>', 'how often OPC UA values change and MQTT publishes (wall time)', '1s')
    .option(
      '--freeze <tags>',
      'serve these signals stuck at their value at start, on every protocol (a frozen transmitter, comma-separated tag ids such as pump1.vibration)',
    )
    .option('--ready-file <path>', 'write the endpoints (JSON) here once serving; removed on stop')
    .option('--duration <duration>', 'stop after this long (default: run until Ctrl-C)')
    .option('--generate', 'write a capture of the model instead of serving (needs -o)')
    .option('--days <n>', '--generate: days of model time (default 7)')
    .option('--span <duration>', '--generate: model time to cover, e.g. 12h or 7d (instead of --days)')
    .option('--interval <duration>', '--generate: sampling period of model time', '1m')
    .option('-o, --output <file>', '--generate: capture file (.jsonl or .jsonl.gz)')
    .option('--force', '--generate: replace the output file if it exists')
    .option('--tags <patterns...>', '--generate: only these tags (comma-separated, * wildcards)')
    .addHelpText(
      'after',
      examples(
        'iiot sim',
        'iiot sim --json --ready-file /tmp/plant.json --opcua-port 0 --modbus-port 0 --mqtt-port 0 &',
        'IIOT_SIM_PASSWORD=secret iiot sim --profile hardened --mqtt-auth',
        'iiot sim --profile weak --host 127.0.0.2',
        'iiot sim --max-nodes-per-browse 5 --max-browse-continuation-points 2 --extra-nodes 100000',
        'iiot sim --nodeset plc.NodeSet2.xml --no-modbus --no-mqtt     # the twin of a PLC (iiot browse --all --nodeset2)',
        'iiot sim --rtu /tmp/ttyB --rtu-baud 19200 --rtu-parity even --rtu-unit 5 --no-modbus',
        'iiot sim --time-scale 3600 --duration 10m',
        'iiot sim --age 25d                          # the pump bearing is a day from failure',
        'iiot sim --generate --days 30 -o plant-30d.jsonl.gz',
        'iiot sim --generate --span 7d --interval 15m --tags "pump1.*,plant.energy" -o pump.jsonl.gz',
      ),
    )
    .action(
      action(async (io: IO, flags: SimFlags) => {
        const { parseSimFlags } = await import('../src/sim/options.js');
        const opts = parseSimFlags(flags);
        const { runSim } = await import('../src/sim/run.js');
        return runSim(io, opts);
      }),
    );
}
