import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError } from '../src/core/errors.js';

export function register(program: Command): void {
  const check = program
    .command('check')
    .summary('network latency per protocol and security posture, with output CI can gate on')
    .description('Measures round trips and audits OPC UA, MQTT and Modbus security, passively by default.');
  check
    .command('latency')
    .summary('round-trip statistics per target and protocol, with thresholds')
    .argument('<target...>', 'device URLs')
    .addHelpText('after', examples('iiot check latency opc.tcp://127.0.0.1:4840 modbus://127.0.0.1:502 --max-p99 20ms'))
    .action(action(async () => {
      throw notBuiltError('check latency');
    }));
  check
    .command('security')
    .summary('passive security audit with JSON, SARIF and JUnit output')
    .argument('<target...>', 'device URLs')
    .addHelpText('after', examples('iiot check security opc.tcp://127.0.0.1:4840 --fail-on high --sarif out.sarif'))
    .action(action(async () => {
      throw notBuiltError('check security');
    }));
}
