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
import { parseOpcUaConnectOptions } from '../protocols/opcua/flags.js';
import { parseTarget, type Target } from '../core/targets.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import type { OpcUaReadOptions, ReadFlags, ReadOptions } from './types.js';

export const DEFAULT_INTERVAL = '1s';

type Kind = 'opcua' | 'modbus' | 'mqtt';

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

const KIND_NAMES: Record<Kind, string> = { opcua: 'OPC UA', modbus: 'Modbus', mqtt: 'MQTT' };

function kindOf(target: Target): Kind | undefined {
  if (target.protocol === 'modbus' || target.protocol === 'modbus-rtu') return 'modbus';
  if (target.protocol === 'tcp') return undefined;
  return target.protocol;
}

/** The endpoint and items as typed, the flags as commander parsed them. */
export async function parseReadOptions(endpoint: string, items: string[], flags: ReadFlags, now = Date.now()): Promise<ReadOptions> {
  const target = parseTarget(endpoint);
  const kind = kindOf(target);
  if (kind === undefined) {
    throw usageError(`${target.url}: tcp:// targets are for latency checks; there is nothing to read`, 'read from opc.tcp://, modbus://, modbus-rtu://, mqtt:// or mqtts:// (docs/targets.md)');
  }
  for (const [key, spec] of Object.entries(ONLY) as Array<[keyof ReadFlags, { kinds: readonly Kind[]; flag: string }]>) {
    if (flags[key] === undefined || spec.kinds.includes(kind)) continue;
    throw usageError(
      `${spec.flag} is for ${spec.kinds.map((k) => KIND_NAMES[k]).join(' and ')} endpoints; ${target.url} is ${KIND_NAMES[kind]}`,
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
    throw usageError(`${flags.duration !== undefined ? '--duration' : '--interval'} goes with --watch`, 'without --watch, iiot reads once and exits');
  }
  switch (target.protocol) {
    case 'opcua':
      return parseOpcUaReadFlags(endpoint, items, flags, now);
    case 'modbus':
    case 'modbus-rtu': {
      const { parseModbusReadFlags } = await import('./modbus-options.js');
      return parseModbusReadFlags(target, items, flags);
    }
    case 'mqtt': {
      const { parseMqttReadFlags } = await import('./mqtt-options.js');
      return parseMqttReadFlags(target, items, flags);
    }
    default:
      throw new Error(`unreachable: ${target.protocol}`);
  }
}

export function parseOpcUaReadFlags(endpoint: string, items: string[], f: ReadFlags, now = Date.now()): OpcUaReadOptions {
  const connect = parseOpcUaConnectOptions(endpoint, f);
  if (items.length === 0) throw usageError('name at least one node to read', 'a node id (ns=2;s=Plant.Pump1.Speed) or a browse path (/Objects/2:Plant/2:Pump1/2:Speed); `iiot browse` lists them');
  if (f.watch && f.history) throw usageError('--watch and --history cannot go together', 'watch live changes, or read the history of a time range');
  if (!f.history && (f.from !== undefined || f.to !== undefined || f.maxValues !== undefined)) throw usageError('--from, --to and --max-values go with --history');
  if (!f.watch && (f.duration !== undefined || f.interval !== undefined)) throw usageError('--interval and --duration go with --watch');
  const intervalMs = parseDuration(f.interval ?? DEFAULT_INTERVAL, '--interval');
  const durationMs = f.duration !== undefined ? parseDuration(f.duration, '--duration') : undefined;
  const from = f.from !== undefined ? parseTimeArg(f.from, '--from', 'UTC', now) : undefined;
  const to = f.to !== undefined ? parseTimeArg(f.to, '--to', 'UTC', now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${f.from} is not before --to ${f.to}`);
  let maxValues: number | undefined;
  if (f.maxValues !== undefined) {
    maxValues = Number(f.maxValues);
    if (!Number.isInteger(maxValues) || maxValues < 1) throw usageError(`--max-values: "${f.maxValues}" is not a whole number of at least 1`);
  }
  return { protocol: 'opcua', connect, items, mode: f.watch ? 'watch' : f.history ? 'history' : 'once', intervalMs, durationMs, from, to, maxValues };
}
