import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { PASSWORD_ENV } from '../src/core/credentials.js';
import type { LatencyFlags, SecurityFlags } from '../src/checks/options.js';

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Options both checks share: what to contact, how gently, and what to record. */
function addCommonOptions(cmd: Command, defaultTimeout: string): Command {
  return cmd
    .option('--inventory <file>', 'also check every device of an `iiot discover --json` inventory')
    .option('--timeout <duration>', `longest wait for a connection or one answer (default ${defaultTimeout})`)
    .option('--concurrency <n>', 'hosts checked at the same time; never two connections to one host (default 4)')
    .option('--rate <n>', 'new connections and requests per second, overall (default 20)')
    .option('--audit-log <file>', 'append every request sent, one JSON line each')
    .option('--user <name>', `user for OPC UA sessions and MQTT connections; the password from $${PASSWORD_ENV} or --password-file`)
    .option('--password-env <var>', `environment variable holding the password (default ${PASSWORD_ENV})`)
    .option('--password-file <file>', 'file holding the password (first line; keep it chmod 600)')
    .addOption(new Option('--password <password>').hideHelp())
    .option('--ca <file>', 'CA certificates (PEM) to verify mqtts:// brokers against, besides the system store')
    .option('--unit <id>', 'Modbus unit id (overrides ?unit= of the URLs)')
    .option('--register <address>', 'Modbus register to read, 0-based PDU address (default 0)')
    .option('--register-type <type>', 'holding (function 3, default) or input (function 4)');
}

export function register(program: Command): void {
  const check = program
    .command('check')
    .summary('network latency per protocol and security posture, with output CI can gate on')
    .description(
      'Measures round trips per protocol (latency) and audits the security of OPC UA servers, MQTT brokers and ' +
        'Modbus/TCP devices (security), passively unless told otherwise. Only the targets named are contacted, ' +
        'one connection at a time per host, under a rate cap. Exit codes: 0 passed, 1 a threshold or --fail-on ' +
        'was hit, 2 bad input, 3 a target could not be measured or assessed.',
    )
    .addHelpText(
      'after',
      examples(
        '# the plant from `iiot sim` (OPC UA 4840, Modbus 5020, MQTT 1883)',
        'iiot check latency opc.tcp://127.0.0.1:4840 "modbus://127.0.0.1:5020?unit=1" mqtt://127.0.0.1:1883 --max-p99 20ms',
        'iiot check security opc.tcp://127.0.0.1:4840 mqtt://127.0.0.1:1883 --fail-on high',
        'iiot check security --inventory inventory.json --sarif plant.sarif --junit plant.xml   # every device iiot discover found',
      ),
    );

  const latency = check
    .command('latency')
    .summary('round-trip statistics per target and protocol, with thresholds')
    .description(
      'Per target: TCP connect time; OPC UA session set-up and the round trip of a Read of ServerStatus.CurrentTime ' +
        '(with the clock offset it reveals); Modbus the round trip of a one-register read; MQTT publish-to-receive ' +
        'through the broker at QoS 0, 1 and 2 on a private topic, and the PUBACK/PUBCOMP time. Statistics: min, p50, ' +
        'p95, p99, max, mean, standard deviation, jitter, losses and timeouts. Note: this check publishes to MQTT ' +
        '(its own private topic only). docs/latency.md says what each number measures.',
    )
    .argument(
      '[target...]',
      'device URLs: opc.tcp://, modbus://host:port?unit=N, modbus-rtu:///dev/ttyUSB0?..., mqtt://, mqtts://, tcp://host:port',
    )
    .option('--count <n>', 'round trips per series (default 20)')
    .option('--interval <duration>', 'from the start of one round trip to the next (default 50ms)')
    .option('--connect-count <n>', 'TCP connect times measured per target before the protocol (default 3)')
    .option('--qos <levels>', 'MQTT QoS levels to measure (default 0,1,2)')
    .option('--max-p99 <[target=]duration>', 'fail when a round trip p99 is above this; repeat with <url>=<duration> per target', collect)
    .option('--max-loss <[target=]percent>', 'fail when more than this share of round trips got no answer (0: none may)', collect)
    .option('--histogram', 'draw the histograms even when stdout is not a terminal')
    .option('--no-histogram', 'no histograms, even on a terminal')
    .option('--security-mode <mode>', 'OPC UA: None, Sign or SignAndEncrypt (default: the most secure offered)')
    .option('--security-policy <policy>', 'OPC UA: security policy (default: the most secure offered)')
    .option('--trust-on-first-use', 'OPC UA: trust an unknown server certificate after printing its fingerprint');
  addCommonOptions(latency, '2s')
    .addHelpText(
      'after',
      examples(
        'iiot check latency opc.tcp://127.0.0.1:4840 "modbus://127.0.0.1:5020?unit=1" mqtt://127.0.0.1:1883 --max-p99 20ms',
        'iiot check latency --inventory inventory.json --count 100 --interval 20ms --max-loss 0 --json > latency.json',
        'iiot check latency tcp://127.0.0.1:502 --count 10',
        '# per-target thresholds: the URL, "=", the value',
        'iiot check latency "modbus://127.0.0.1:5020?unit=1" --max-p99 "modbus://127.0.0.1:5020?unit=1=5ms"',
      ),
    )
    .action(
      action<LatencyFlags>(async (io, flags, args) => {
        const { parseLatencyOptions } = await import('../src/checks/options.js');
        const options = parseLatencyOptions(args, flags);
        const { runLatencyCommand } = await import('../src/checks/latency/run.js');
        return runLatencyCommand(io, options);
      }),
    );

  const security = check
    .command('security')
    .summary('passive security audit with JSON, SARIF and JUnit output')
    .description(
      'Passive by default: what a normal client does when it looks at a server. OPC UA: GetEndpoints without a ' +
        'session (modes, policies, identities, certificate). MQTT: TLS handshake, anonymous connect then disconnect ' +
        '(never publishes). Modbus/TCP: one register read and device identification (never writes, never function ' +
        '8). Opt-in: --session (an anonymous OPC UA session, read-only: what the anonymous user may write or call, ' +
        'judged from attributes), --mqtt-sys and --mqtt-wildcard (subscribe for a few seconds, counting topics, ' +
        'keeping no payload), --unit-sweep. A target that cannot be reached is "not assessed", never "secure". ' +
        'docs/security-checks.md lists every rule with its source and remedy.',
    )
    .argument('[target...]', 'device URLs: opc.tcp://, mqtt://, mqtts://, modbus://host:port?unit=N')
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above: critical, high, medium, low, info, or none (default high)')
    .option('--sarif <file>', 'write SARIF 2.1.0 (GitHub code scanning)')
    .option('--junit <file>', 'write JUnit XML: one test case per target and rule')
    .option('--force', 'replace the --sarif and --junit files if they exist')
    .option('--session', 'OPC UA: try an anonymous session and read what it may write or call (read-only)')
    .option('--max-nodes <n>', 'with --session: examine at most this many nodes (default 20000)')
    .option('--mqtt-sys', 'MQTT: subscribe to $SYS/# for --listen, counting topics')
    .option('--mqtt-wildcard', 'MQTT: subscribe to # for --listen, counting topics (payloads are never kept)')
    .option('--listen <duration>', 'with --mqtt-sys/--mqtt-wildcard: how long to count (default 3s)')
    .option('--unit-sweep <ids>', 'Modbus: try these unit ids one by one, e.g. 1-247 (sends one read per id)')
    .option('--sweep-timeout <duration>', 'with --unit-sweep: wait per id (default 250ms)')
    .option('--cert-expiry <duration>', 'report certificates expiring within this (default 30d)');
  addCommonOptions(security, '5s')
    .addHelpText(
      'after',
      examples(
        'iiot check security opc.tcp://127.0.0.1:4840 mqtt://127.0.0.1:1883 "modbus://127.0.0.1:5020?unit=1"',
        'iiot check security --inventory inventory.json --fail-on high --sarif sat.sarif --junit sat.xml',
        'iiot check security opc.tcp://127.0.0.1:4840 --session --audit-log audit.jsonl',
        'iiot check security mqtt://127.0.0.1:1883 --mqtt-sys --mqtt-wildcard --listen 5s --json',
      ),
    )
    .action(
      action<SecurityFlags>(async (io, flags, args) => {
        const { parseSecurityOptions } = await import('../src/checks/options.js');
        const options = parseSecurityOptions(args, flags);
        const { runSecurityCommand } = await import('../src/checks/security/run.js');
        return runSecurityCommand(io, options);
      }),
    );
}
