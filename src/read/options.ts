/**
 * `iiot read` flags -> one typed options object per protocol, validated before anything is sent.
 * The endpoint's scheme decides the protocol; an option that belongs to another protocol is a
 * usage error naming it, never silently ignored. This is the seam tests use: parseReadOptions()
 * in, ReadOptions out. Each protocol's own flags are parsed by modbus-options.ts or
 * mqtt-options.ts, loaded only for that protocol (a Modbus read does not load the MQTT decoders,
 * an MQTT read not the register-map schema).
 */
import { PASSWORD_ENV } from '../core/credentials.js';
import { usageError } from '../core/errors.js';
import { parseTarget, type ModbusRtuTarget, type ModbusTcpTarget, type MqttTarget, type Target } from '../core/targets.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import { parseOpcUaConnectOptions } from '../protocols/opcua/flags.js';
import { protocolFor, protocolNamed } from '../protocols/registry.js';
import type { OpcUaReadOptions, ReadFlags, ReadOptions } from './types.js';

export const DEFAULT_INTERVAL = '1s';

/** The protocols `iiot read` reads: the registry's names of those with a reader here. */
type Kind = ReadOptions['protocol'];

/** Flags that belong to some protocols only, and the words that name them in messages. */
const ONLY: Partial<Record<keyof ReadFlags, { kinds: readonly Kind[]; flag: string }>> = {
  history: { kinds: ['opcua'], flag: '--history' },
  from: { kinds: ['opcua'], flag: '--from' },
  to: { kinds: ['opcua'], flag: '--to' },
  maxValues: { kinds: ['opcua'], flag: '--max-values' },
  securityMode: { kinds: ['opcua'], flag: '--security-mode' },
  securityPolicy: { kinds: ['opcua'], flag: '--security-policy' },
  userCert: { kinds: ['opcua'], flag: '--user-cert' },
  userKey: { kinds: ['opcua'], flag: '--user-key' },
  trustOnFirstUse: { kinds: ['opcua'], flag: '--trust-on-first-use' },
  interval: { kinds: ['opcua', 'modbus'], flag: '--interval' },
  user: { kinds: ['opcua', 'mqtt'], flag: '--user' },
  passwordEnv: { kinds: ['opcua', 'mqtt'], flag: '--password-env' },
  passwordFile: { kinds: ['opcua', 'mqtt'], flag: '--password-file' },
  map: { kinds: ['modbus'], flag: '--map' },
  table: { kinds: ['modbus'], flag: '--table' },
  type: { kinds: ['modbus'], flag: '--type' },
  order: { kinds: ['modbus'], flag: '--order' },
  count: { kinds: ['modbus'], flag: '--count' },
  length: { kinds: ['modbus'], flag: '--length' },
  zeroBased: { kinds: ['modbus'], flag: '--zero-based' },
  decoder: { kinds: ['mqtt'], flag: '--decoder' },
  jsonPath: { kinds: ['mqtt'], flag: '--json-path' },
  sparkplug: { kinds: ['mqtt'], flag: '--sparkplug' },
  rebirth: { kinds: ['mqtt'], flag: '--rebirth' },
  clientId: { kinds: ['mqtt'], flag: '--client-id' },
  ca: { kinds: ['mqtt'], flag: '--ca' },
  cert: { kinds: ['mqtt'], flag: '--cert' },
  key: { kinds: ['mqtt'], flag: '--key' },
};

const kindName = (kind: Kind) => protocolNamed(kind)!.title;

/**
 * Each protocol's own flags -> its options, by the registry's name of the endpoint's protocol.
 * Modbus and MQTT have theirs in a module loaded only for them. The registry gave the protocol,
 * so the target is one of its kinds.
 */
const PARSERS: {
  [K in Kind]: (
    target: Target,
    endpoint: string,
    items: string[],
    flags: ReadFlags,
    now: number,
  ) => Promise<Extract<ReadOptions, { protocol: K }>>;
} = {
  opcua: async (_target, endpoint, items, flags, now) => parseOpcUaReadFlags(endpoint, items, flags, now),
  modbus: async (target, _endpoint, items, flags) =>
    (await import('./modbus-options.js')).parseModbusReadFlags(target as ModbusTcpTarget | ModbusRtuTarget, items, flags),
  mqtt: async (target, _endpoint, items, flags) =>
    (await import('./mqtt-options.js')).parseMqttReadFlags(target as MqttTarget, items, flags),
};

function kindOf(target: Target): Kind | undefined {
  const name = protocolFor(target).name;
  return name in PARSERS ? (name as Kind) : undefined;
}

/** The endpoint and items as typed, the flags as commander parsed them. */
export async function parseReadOptions(endpoint: string, items: string[], flags: ReadFlags, now = Date.now()): Promise<ReadOptions> {
  const target = parseTarget(endpoint);
  const kind = kindOf(target);
  if (kind === undefined) {
    throw usageError(
      `${target.url}: tcp:// targets are for latency checks; there is nothing to read`,
      'read from opc.tcp://, modbus://, modbus-rtu://, mqtt:// or mqtts:// (docs/targets.md)',
    );
  }
  for (const [key, spec] of Object.entries(ONLY) as Array<[keyof ReadFlags, { kinds: readonly Kind[]; flag: string }]>) {
    if (flags[key] === undefined || spec.kinds.includes(kind)) continue;
    throw usageError(
      `${spec.flag} is for ${spec.kinds.map(kindName).join(' and ')} endpoints; ${target.url} is ${kindName(kind)}`,
      'run `iiot read --help` for the options of each protocol',
    );
  }
  if (flags.password !== undefined) {
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR), in a file given with --password-file, or type it at the prompt`,
    );
  }
  if (kind !== 'opcua' && !flags.watch && (flags.duration !== undefined || flags.interval !== undefined)) {
    throw usageError(
      `${flags.duration !== undefined ? '--duration' : '--interval'} goes with --watch`,
      'without --watch, iiot reads once and exits',
    );
  }
  return PARSERS[kind](target, endpoint, items, flags, now);
}

export function parseOpcUaReadFlags(endpoint: string, items: string[], f: ReadFlags, now = Date.now()): OpcUaReadOptions {
  const connect = parseOpcUaConnectOptions(endpoint, f);
  if (items.length === 0)
    throw usageError(
      'name at least one node to read',
      'a node id (ns=2;s=Plant.Pump1.Speed) or a browse path (/Objects/2:Plant/2:Pump1/2:Speed); `iiot browse` lists them',
    );
  if (f.watch && f.history)
    throw usageError('--watch and --history cannot go together', 'watch live changes, or read the history of a time range');
  if (!f.history && (f.from !== undefined || f.to !== undefined || f.maxValues !== undefined))
    throw usageError('--from, --to and --max-values go with --history');
  if (!f.watch && (f.duration !== undefined || f.interval !== undefined)) throw usageError('--interval and --duration go with --watch');
  const intervalMs = parseDuration(f.interval ?? DEFAULT_INTERVAL, '--interval');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const from = f.from !== undefined ? parseTimeArg(f.from, '--from', 'UTC', now) : undefined;
  const to = f.to !== undefined ? parseTimeArg(f.to, '--to', 'UTC', now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${f.from} is not before --to ${f.to}`);
  let maxValues: number | undefined;
  if (f.maxValues !== undefined) {
    maxValues = Number(f.maxValues);
    if (!Number.isInteger(maxValues) || maxValues < 1)
      throw usageError(`--max-values: "${f.maxValues}" is not a whole number of at least 1`);
  }
  return {
    protocol: 'opcua',
    connect,
    items,
    mode: f.watch ? 'watch' : f.history ? 'history' : 'once',
    intervalMs,
    durationMs,
    from,
    to,
    maxValues,
  };
}
