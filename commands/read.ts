import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { addOpcUaConnectOptions } from '../src/protocols/opcua/flags.js';
import type { ReadFlags } from '../src/read/types.js';

export function register(program: Command): void {
  const cmd = program
    .command('read')
    .summary('read values once or as they change: OPC UA nodes, Modbus registers, MQTT topics, Sparkplug metrics')
    .description(
      'Reads values from one device and prints them with their status and time (--json for scripts; docs/read.md). ' +
        'OPC UA: node ids or browse paths; --history reads the raw history between --from and --to. ' +
        'Modbus TCP and RTU: registers by address, like mbpoll (30001 or 3x0001 as manuals print them, ' +
        '0x0000 or ir:0x0000 as on the wire; --table, --type, --order, --count), or by entry name with --map; ' +
        'a register the device refuses is listed with the exception it drew, and the others are still read. ' +
        'MQTT: the retained messages under each topic filter, or the first message within --timeout, decoded ' +
        'as iiot record decodes them; Sparkplug B metrics by name with --sparkplug group/node[/device]. ' +
        '--watch prints every change (MQTT: every message) until Ctrl-C or --duration. Read-only: Modbus requests are reads ' +
        '(functions 1-4), and nothing is published to a broker but the rebirth request --rebirth asks for.',
    )
    .argument('<endpoint>', 'device URL: opc.tcp://, modbus://, modbus-rtu://, mqtt://, mqtts:// (docs/targets.md)')
    .argument(
      '[item...]',
      'OPC UA node ids or browse paths; Modbus registers (or map entries with --map); MQTT topic filters (or Sparkplug metric names)',
    )
    .option('--watch', 'print every change until Ctrl-C or --duration (OPC UA: a subscription; Modbus: polls; MQTT: every message)')
    .option('--interval <duration>', 'with --watch: OPC UA sampling interval, Modbus time between polls (default 1s)')
    .option('--duration <duration>', 'with --watch: stop after this long')
    .option('--history', 'OPC UA: read the raw history between --from and --to (default: the last hour)')
    .option('--from <time>', 'with --history: start (2026-11-25T10:00:00Z, or now-2h)')
    .option('--to <time>', 'with --history: end (default now)')
    .option('--max-values <n>', 'with --history: at most this many values per node')
    // Modbus
    .option('--map <name|file>', 'Modbus: read entries of this register map by name (* wildcards; none named: all)')
    .option('--table <table>', 'Modbus: coil, discrete, input or holding (default holding, as mbpoll)')
    .option('--type <type>', 'Modbus: int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bool (default uint16)')
    .option('--order <order>', 'Modbus: byte/word order of multi-register values: ABCD, CDAB, BADC, DCBA (default ABCD)')
    .option('--count <n>', 'Modbus: read this many consecutive values from each address (default 1)')
    .option('--length <n>', 'Modbus: registers of a --type string (two characters each)')
    .option('--zero-based', 'Modbus: decimal register numbers are 0-based wire addresses (as mbpoll -0)')
    // MQTT
    .option('--decoder <name>', 'MQTT: auto, json, number or text (default auto)')
    .option('--json-path <path>', 'MQTT json: where the value is ($.v, data.temp)')
    .option('--sparkplug <group/node[/device]>', 'MQTT: read Sparkplug B metrics of this edge node or device by name (none named: all)')
    .option('--rebirth', 'with --sparkplug: ask the edge node to publish its births again (a write: NCMD Node Control/Rebirth)')
    .option('--client-id <id>', 'MQTT: client id (default: a random iiot-read-... id)')
    .option('--ca <file>', 'MQTT over TLS: CA certificate (PEM; or $IIOT_MQTT_CA)')
    .option('--cert <file>', 'MQTT over TLS: client certificate (PEM; or $IIOT_MQTT_CERT)')
    .option('--key <file>', 'MQTT over TLS: client key (PEM; or $IIOT_MQTT_KEY)');
  addOpcUaConnectOptions(cmd);
  // The OPC UA options serve MQTT too (user, password), and --timeout every protocol.
  for (const o of cmd.options) {
    if (o.long === '--timeout') {
      o.description = 'longest wait: OPC UA connection or any answer (10s), Modbus answer (1s), MQTT connect and first message (5s)';
      o.defaultValue = undefined;
    }
    if (o.long === '--user')
      o.description =
        'OPC UA and MQTT: log on with this user name; the password comes from $IIOT_PASSWORD, --password-env, --password-file (or, OPC UA, a prompt)';
    if (['--security-mode', '--security-policy', '--user-cert', '--user-key', '--trust-on-first-use'].includes(o.long ?? ''))
      o.description = `OPC UA: ${o.description}`;
  }
  cmd
    .addHelpText(
      'after',
      examples(
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration"',
        'iiot read opc.tcp://127.0.0.1:4840 /Objects/Server/ServerStatus/CurrentTime --json',
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration" --watch --interval 250ms --duration 1m',
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration" --history --from now-2h',
        'iiot read "modbus://127.0.0.1:5020?unit=1" 30001 --type float32 --count 3     # SDM630 voltages L1-L3',
        'iiot read "modbus://127.0.0.1:5020?unit=3" hr:0x0014 --type uint32 --order CDAB',
        'iiot read "modbus://127.0.0.1:5020?unit=1" --map sdm630 voltage_l1 "import_*" --json',
        'iiot read "modbus://127.0.0.1:5020?unit=1" --map sdm630 power_total --watch --interval 500ms --duration 5s',
        'iiot read "modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=5" --map sdm630 power_total import_kwh',
        'iiot read mqtt://127.0.0.1:1883 "plant/pump1/#"',
        'iiot read mqtt://127.0.0.1:1883 --sparkplug IIoT/SimPlant power energy',
        'iiot read mqtt://127.0.0.1:1883 --sparkplug IIoT/SimPlant/pump1 vibration --watch --duration 5s',
      ),
    )
    .action(
      action<ReadFlags>(async (io, flags, args) => {
        const [endpoint, ...items] = args;
        const { parseReadOptions } = await import('../src/read/options.js');
        const options = await parseReadOptions(endpoint!, items, flags);
        const { run } = await import('../src/read/run.js');
        return run(io, options);
      }),
    );
}
