import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { notBuiltError, usageError } from '../src/core/errors.js';
import type { IO } from '../src/core/io.js';
import { addOpcUaConnectOptions, parseOpcUaConnectOptions, type OpcUaConnectFlags } from '../src/core/opcua-flags.js';
import { parseTarget, type Target } from '../src/core/targets.js';
import { parseTimeArg } from '../src/core/time.js';
import { parseDuration } from '../src/core/units.js';
import type { ReadCommandOptions } from '../src/protocols/opcua/cli-read.js';

interface ReadFlags extends OpcUaConnectFlags {
  watch?: boolean;
  interval?: string;
  duration?: string;
  history?: boolean;
  from?: string;
  to?: string;
  maxValues?: string;
}

/**
 * One reader per protocol, loaded only when used. Modbus registers and MQTT retained topics plug
 * in here: parse the items at the edge, import the work lazily.
 */
const READERS: Record<Target['protocol'], ((io: IO, endpoint: string, items: string[], flags: ReadFlags) => Promise<number>) | undefined> = {
  opcua: async (io, endpoint, items, flags) => {
    const options = parseOpcUaReadFlags(endpoint, items, flags);
    const { runRead } = await import('../src/protocols/opcua/cli-read.js');
    return runRead(io, options);
  },
  modbus: undefined,
  'modbus-rtu': undefined,
  mqtt: undefined,
  tcp: undefined,
};

export function parseOpcUaReadFlags(endpoint: string, items: string[], f: ReadFlags, now = Date.now()): ReadCommandOptions {
  const connect = parseOpcUaConnectOptions(endpoint, f);
  if (f.watch && f.history) throw usageError('--watch and --history cannot go together', 'watch live changes, or read the history of a time range');
  if (!f.history && (f.from !== undefined || f.to !== undefined || f.maxValues !== undefined)) throw usageError('--from, --to and --max-values go with --history');
  if (!f.watch && (f.duration !== undefined || f.interval !== undefined)) throw usageError('--interval and --duration go with --watch');
  const intervalMs = parseDuration(f.interval ?? '1s', '--interval');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const from = f.from !== undefined ? parseTimeArg(f.from, '--from', 'UTC', now) : undefined;
  const to = f.to !== undefined ? parseTimeArg(f.to, '--to', 'UTC', now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${f.from} is not before --to ${f.to}`);
  let maxValues: number | undefined;
  if (f.maxValues !== undefined) {
    maxValues = Number(f.maxValues);
    if (!Number.isInteger(maxValues) || maxValues < 1) throw usageError(`--max-values: "${f.maxValues}" is not a whole number of at least 1`);
  }
  return { connect, items, mode: f.watch ? 'watch' : f.history ? 'history' : 'once', intervalMs, durationMs, from, to, maxValues };
}

export function register(program: Command): void {
  const cmd = program
    .command('read')
    .summary('read values once: OPC UA nodes, Modbus registers, MQTT retained topics')
    .description(
      'Reads the named nodes, registers or topics once and prints value, status and timestamps. ' +
        'OPC UA: --watch subscribes and prints every change until Ctrl-C or --duration; --history reads ' +
        'the raw history between --from and --to. Read-only: iiot never writes to a device unless a write ' +
        'command is given explicitly.',
    )
    .argument('<endpoint>', 'device URL (docs/targets.md)')
    .argument('<item...>', 'OPC UA node ids (ns=2;s=Plant.Pump1.Speed) or browse paths (/Objects/2:Plant/2:Pump1/2:Speed)')
    .option('--watch', 'subscribe and print every change until Ctrl-C or --duration')
    .option('--interval <duration>', 'with --watch: sampling interval asked of the server (default 1s)')
    .option('--duration <duration>', 'with --watch: stop after this long')
    .option('--history', 'read the raw history between --from and --to (default: the last hour)')
    .option('--from <time>', 'with --history: start (2026-11-25T10:00:00Z, or now-2h)')
    .option('--to <time>', 'with --history: end (default now)')
    .option('--max-values <n>', 'with --history: at most this many values per node');
  addOpcUaConnectOptions(cmd)
    .addHelpText(
      'after',
      examples(
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration"',
        'iiot read opc.tcp://127.0.0.1:4840 /Objects/Server/ServerStatus/CurrentTime --json',
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration" --watch --interval 250ms --duration 1m',
        'iiot read opc.tcp://127.0.0.1:4840 "nsu=urn:iiot:sim:plant;s=pump1.vibration" --history --from now-2h',
      ),
    )
    .action(
      action<ReadFlags>(async (io, flags, args) => {
        const [endpoint, ...items] = args;
        const target = parseTarget(endpoint!);
        const reader = READERS[target.protocol];
        if (!reader) throw notBuiltError(`read ${target.url.split(':')[0]}://`);
        return reader(io, endpoint!, items, flags);
      }),
    );
}
