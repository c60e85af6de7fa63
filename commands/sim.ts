import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { usageError } from '../src/core/errors.js';
import type { IO } from '../src/core/io.js';
import { parseTimeArg } from '../src/core/time.js';
import { parseDuration } from '../src/core/units.js';
import type { SimRunOptions } from '../src/sim/run.js';

interface SimFlags {
  force?: boolean;
  plant?: string;
  seed?: string;
  start?: string;
  age?: string;
  timeScale: string;
  host: string;
  opcua: boolean;
  modbus: boolean;
  mqtt: boolean;
  opcuaPort: string;
  modbusPort: string;
  mqttPort: string;
  profile: 'default' | 'hardened' | 'weak';
  user: string;
  passwordFile?: string;
  pkiDir?: string;
  acceptAnyClientCert?: boolean;
  trustLocalClient?: boolean;
  maxNodesPerBrowse?: string;
  maxNodesPerRead?: string;
  maxBrowseContinuationPoints?: string;
  maxMonitoredItemsPerCall?: string;
  maxReferencesPerNode?: string;
  extraNodes?: string;
  nodeset?: string;
  mqttAuth?: boolean;
  mqttNagle?: boolean;
  jsonTopics: boolean;
  sparkplug: boolean;
  mqttBroker?: string;
  unknownUnit: 'gateway-exception' | 'ignore';
  rtu?: string;
  rtuBaud: string;
  rtuParity: 'none' | 'even' | 'odd';
  rtuUnit: string;
  rtuDataBits: string;
  rtuStopBits: string;
  updateInterval: string;
  freeze?: string;
  readyFile?: string;
  duration?: string;
  generate?: boolean;
  days?: string;
  span?: string;
  interval: string;
  output?: string;
  tags?: string[];
}

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
    .option('--start <time>', 'model time at start: ISO 8601, or now-7d (default now; --generate: the plant file\'s start)')
    .option('--age <duration>', 'how long the plant has been running at start: the pump bearing fails 26d after its epoch (try 25d)')
    .option('--time-scale <x>', 'model seconds per wall second (3600: an hour per second)', '1')
    .option('--host <address>', 'address every server listens on (127.0.0.2... for discovery tests)', '127.0.0.1')
    .option('--opcua-port <port>', 'OPC UA port (0: a free port)', '4840')
    .option('--modbus-port <port>', 'Modbus TCP port (0: a free port; 502 needs privileges)', '5020')
    .option('--mqtt-port <port>', 'MQTT port (0: a free port)', '1883')
    .option('--no-opcua', 'no OPC UA server')
    .option('--no-modbus', 'no Modbus TCP server')
    .option('--no-mqtt', 'no MQTT broker and publishers')
    .addOption(new Option('--profile <name>', 'OPC UA security profile (docs/sim.md)').choices(['default', 'hardened', 'weak']).default('default'))
    .option('--user <name>', 'user name for OPC UA username tokens and --mqtt-auth', 'operator')
    .option('--password-file <file>', 'read the password from this file (else $IIOT_SIM_PASSWORD)')
    .option('--pki-dir <dir>', 'the OPC UA server\'s certificate store (default <tmp>/iiot-sim-<uid>/pki-<profile>-<host>)')
    .option('--accept-any-client-cert', 'trust every OPC UA client certificate (tests and demos only)')
    .option('--no-trust-local-client', "do not trust this machine's iiot client certificate (by default the plant trusts it, and only it)")
    .option('--max-nodes-per-browse <n>', 'OPC UA operation limit MaxNodesPerBrowse')
    .option('--max-nodes-per-read <n>', 'OPC UA operation limit MaxNodesPerRead')
    .option('--max-browse-continuation-points <n>', 'OPC UA MaxBrowseContinuationPoints per session')
    .option('--max-monitored-items-per-call <n>', 'OPC UA operation limit MaxMonitoredItemsPerCall')
    .option('--max-references-per-node <n>', 'references per node and Browse before a continuation point')
    .option('--extra-nodes <n>', 'add this many synthetic variables under /Objects/Synthetic')
    .option('--nodeset <file>', "OPC UA: serve this NodeSet2 file's address space (a twin from iiot browse --all --nodeset2), with simulated values")
    .option('--mqtt-auth', 'the broker requires --user and the password (with --mqtt-broker: log on with them)')
    .option('--mqtt-nagle', "leave Nagle's algorithm on in the embedded broker, to reproduce an unpatched broker's ~40 ms QoS 1 stall")
    .option('--no-json-topics', 'no plain-JSON topics')
    .option('--no-sparkplug', 'no Sparkplug B edge node')
    .option('--mqtt-broker <url>', 'publish to this broker instead of embedding one (mqtt://host:port)')
    .addOption(new Option('--unknown-unit <answer>', 'Modbus TCP requests for other unit ids').choices(['gateway-exception', 'ignore']).default('gateway-exception'))
    .option('--rtu <path>', 'also serve the SDM630 meter as Modbus RTU on this serial device')
    .option('--rtu-baud <n>', 'RTU baud rate', '9600')
    .addOption(new Option('--rtu-parity <p>', 'RTU parity').choices(['none', 'even', 'odd']).default('none'))
    .option('--rtu-unit <n>', 'RTU unit id of the meter', '1')
    .option('--rtu-data-bits <n>', 'RTU data bits', '8')
    .option('--rtu-stop-bits <n>', 'RTU stop bits', '1')
    .option('--update-interval <duration>', 'how often OPC UA values change and MQTT publishes (wall time)', '1s')
    .option('--freeze <tags>', 'serve these signals stuck at their value at start, on every protocol (a frozen transmitter, comma-separated tag ids such as pump1.vibration)')
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
        const opts = parseSimFlags(flags);
        const { runSim } = await import('../src/sim/run.js');
        return runSim(io, opts);
      }),
    );
}

/** Flags -> the typed options of runSim; every problem is a usage error naming the option. */
export function parseSimFlags(f: SimFlags): SimRunOptions {
  const generate = f.generate
    ? {
        durationMs: generateSpan(f),
        intervalMs: positiveDuration(f.interval, '--interval'),
        output: f.output ?? missing('-o, --output', 'iiot sim --generate --days 30 -o plant.jsonl.gz'),
        tags: f.tags ?? [],
        force: Boolean(f.force),
      }
    : undefined;
  if (f.generate && f.age !== undefined) throw usageError('--age is for live runs; with --generate use --start to place the capture', 'the capture starts at the epoch: --start 2026-01-05T00:00:00Z');
  if (!f.generate && (f.days !== undefined || f.span !== undefined || f.output !== undefined || f.force)) {
    throw usageError(`--days, --span and -o${f.force ? ' (and --force)' : ''} belong to --generate`, 'add --generate to write a capture, or leave them out to serve the plant');
  }
  const limits = {
    ...optionalInt(f.maxNodesPerBrowse, '--max-nodes-per-browse', 'maxNodesPerBrowse'),
    ...optionalInt(f.maxNodesPerRead, '--max-nodes-per-read', 'maxNodesPerRead'),
    ...optionalInt(f.maxBrowseContinuationPoints, '--max-browse-continuation-points', 'maxBrowseContinuationPoints'),
    ...optionalInt(f.maxMonitoredItemsPerCall, '--max-monitored-items-per-call', 'maxMonitoredItemsPerCall'),
    ...optionalInt(f.maxReferencesPerNode, '--max-references-per-node', 'maxReferencesPerNode'),
  };
  if (f.nodeset !== undefined && f.extraNodes !== undefined) throw usageError('--extra-nodes adds to the plant\'s own address space; with --nodeset the twin serves the file\'s', 'leave one of them out');
  if (f.nodeset !== undefined && (f.generate || f.opcua === false)) throw usageError(`--nodeset is for the OPC UA server${f.generate ? ', not --generate' : ', and --no-opcua leaves it out'}`);
  const timeScale = Number(f.timeScale);
  if (!(timeScale > 0) || !Number.isFinite(timeScale)) throw usageError(`--time-scale ${f.timeScale}: give a positive number (1 = real time, 3600 = an hour per second)`);
  return {
    ...(f.plant === undefined ? {} : { plantFile: f.plant }),
    ...(f.seed === undefined ? {} : { seed: integer(f.seed, '--seed', 0, 2 ** 32 - 1) }),
    ...(f.start === undefined ? {} : { start: parseTimeArg(f.start, '--start') }),
    ...(f.age === undefined ? {} : { ageMs: nonNegativeDuration(f.age, '--age') }),
    timeScale,
    host: f.host,
    opcua: f.opcua && {
      port: port(f.opcuaPort, '--opcua-port'),
      profile: f.profile,
      ...(f.pkiDir === undefined ? {} : { pkiDir: f.pkiDir }),
      acceptAnyClientCert: Boolean(f.acceptAnyClientCert),
      trustLocalClient: f.trustLocalClient !== false,
      limits,
      ...(f.extraNodes === undefined ? {} : { extraNodes: integer(f.extraNodes, '--extra-nodes', 0, 2_000_000) }),
      ...(f.nodeset === undefined ? {} : { nodeset: f.nodeset }),
    },
    modbus: f.modbus && { port: port(f.modbusPort, '--modbus-port'), unknownUnit: f.unknownUnit },
    mqtt: f.mqtt && {
      port: port(f.mqttPort, '--mqtt-port'),
      auth: Boolean(f.mqttAuth),
      ...(f.mqttNagle ? { nagle: true } : {}),
      json: f.jsonTopics,
      sparkplug: f.sparkplug,
      ...(f.mqttBroker === undefined ? {} : { brokerUrl: brokerUrl(f.mqttBroker) }),
    },
    ...(f.rtu === undefined
      ? {}
      : {
          rtu: {
            path: f.rtu,
            baudRate: integer(f.rtuBaud, '--rtu-baud', 300, 4_000_000),
            parity: f.rtuParity,
            unitId: integer(f.rtuUnit, '--rtu-unit', 1, 247),
            dataBits: integer(f.rtuDataBits, '--rtu-data-bits', 7, 8) as 7 | 8,
            stopBits: integer(f.rtuStopBits, '--rtu-stop-bits', 1, 2) as 1 | 2,
          },
        }),
    user: f.user,
    ...(f.passwordFile === undefined ? {} : { passwordFile: f.passwordFile }),
    updateIntervalMs: positiveDuration(f.updateInterval, '--update-interval'),
    ...(f.freeze === undefined ? {} : { frozen: f.freeze.split(',').map((t) => t.trim()).filter(Boolean) }),
    ...(f.readyFile === undefined ? {} : { readyFile: f.readyFile }),
    ...(f.duration === undefined ? {} : { durationMs: positiveDuration(f.duration, '--duration') }),
    ...(generate ? { generate } : {}),
  };
}

function generateSpan(f: SimFlags): number {
  if (f.days !== undefined && f.span !== undefined) throw usageError('give --days or --span, not both');
  if (f.span !== undefined) return positiveDuration(f.span, '--span');
  const days = Number(f.days ?? '7');
  if (!(days > 0) || days > 3650) throw usageError(`--days ${f.days}: give a number of days between 0 and 3650`);
  return days * 86_400_000;
}

function missing(option: string, example: string): never {
  throw usageError(`--generate needs ${option}`, `for example: ${example}`);
}

function integer(text: string, option: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${option} ${text}: give a whole number from ${min} to ${max}`);
  return n;
}

function port(text: string, option: string): number {
  return integer(text, option, 0, 65535);
}

function optionalInt<K extends string>(text: string | undefined, option: string, key: K): Partial<Record<K, number>> {
  return text === undefined ? {} : ({ [key]: integer(text, option, 0, 1_000_000) } as Partial<Record<K, number>>);
}

function positiveDuration(text: string, option: string): number {
  const ms = parseDuration(text, option);
  if (!(ms > 0)) throw usageError(`${option} ${text}: must be longer than zero`);
  return ms;
}

function nonNegativeDuration(text: string, option: string): number {
  return parseDuration(text, option);
}

function brokerUrl(text: string): string {
  if (!/^mqtts?:\/\/[^/]+/.test(text)) throw usageError(`--mqtt-broker ${text}: give a broker URL such as mqtt://127.0.0.1:1883`);
  return text;
}
