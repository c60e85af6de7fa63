import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import type { DiscoverFlags } from '../src/discovery/options.js';

export function register(program: Command): void {
  program
    .command('discover')
    .summary('find OPC UA servers, Modbus TCP/RTU devices, MQTT brokers and Sparkplug nodes')
    .description(
      'Scans only the targets you name (addresses, CIDR or IP ranges, host names, device URLs, serial ports), ' +
        'gently: at most --rate new connections per second and --concurrency connections at a time per host. ' +
        'Every open port is confirmed by its protocol with read-only requests: OPC UA GetEndpoints (no session), ' +
        'a Modbus read of one register and device identification, an MQTT CONNECT, a listen for Sparkplug births. ' +
        'The result is an inventory (--json, docs/inventory.md) that browse, record and check accept with --inventory; ' +
        'every target tried is in it, as a device or under "noAnswer".',
    )
    .argument(
      '[targets...]',
      'addresses, CIDR ranges, IP ranges (a-b), host names, opc.tcp:// modbus:// mqtt:// mqtts:// URLs, serial ports',
    )
    .option('--protocols <list>', 'opcua, modbus, mqtt, sparkplug (default: all)')
    .option(
      '--ports <list>',
      'ports to scan besides the defaults 4840, 4843, 502, 1883, 8883; mark a protocol with port:protocol (4841:opcua, 1502:modbus, 9883:mqtts), ranges with a-b',
    )
    .option('--no-default-ports', 'scan only the ports given with --ports')
    .option('--rate <n>', 'new connections per second, overall (default 20; 0 = no limit)')
    .option('--concurrency <n>', 'connections at a time to one host (default 1)')
    .option('--timeout <duration>', 'to connect and for each answer (default 2s)')
    .option('-y, --yes', 'allow a scan of more than 1,024 addresses')
    .option('--unit-ids <list>', 'Modbus unit ids to try, e.g. 1-247 (TCP default: 1, then 255; serial default: 1-247)')
    .option('--unit-timeout <duration>', 'per unit id in a sweep (TCP default 250ms; serial: frame times + 100ms)')
    .option('--baud <list>', 'serial speeds to try (default 19200,9600)')
    .option('--parity <list>', 'serial parities to try: none, even, odd (default even,none)')
    .option('--listen <duration>', 'how long to listen for Sparkplug births on each broker (default 10s)')
    .option('--rebirth', 'ask Sparkplug edge nodes whose births were not heard to publish them again (a write: NCMD Node Control/Rebirth)')
    .option('--mdns', 'also ask the local network segment for OPC UA servers (mDNS _opcua-tcp._tcp, a multicast)')
    .option('--on-network', 'also ask discovery servers (LDS-ME) for FindServersOnNetwork')
    .option('--no-probe', 'TCP connect only: list open ports, send no protocol request')
    .option('--csv', 'print the inventory as CSV (one row per device and Sparkplug node)')
    .option('-o, --output <file>', 'also write the JSON inventory to this file')
    .option('--force', 'replace the -o file if it exists')
    .addHelpText(
      'after',
      examples(
        'iiot discover 127.0.0.1',
        'iiot discover 127.0.0.0/29 --json > inventory.json',
        'iiot discover 127.0.0.1-127.0.0.9 --ports 4841,15020:modbus -o inventory.json',
        'iiot discover opc.tcp://127.0.0.1:4840 mqtt://127.0.0.1:1883 --listen 5s',
        'iiot discover modbus://127.0.0.1:502 --unit-ids 1-247',
        'iiot discover /dev/ttyUSB0 --baud 9600,19200 --parity none,even',
        'iiot discover 127.0.0.1 --protocols sparkplug --listen 30s --rebirth',
        'iiot check security --inventory inventory.json',
      ),
    )
    .action(
      action<DiscoverFlags>(async (io, flags, args) => {
        const { parseDiscoverOptions } = await import('../src/discovery/options.js');
        const options = parseDiscoverOptions(args, { ...flags, json: io.json });
        const { runDiscover } = await import('../src/discovery/run.js');
        return runDiscover(io, options);
      }),
    );
}
