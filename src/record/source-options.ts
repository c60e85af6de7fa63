/**
 * One source of `iiot record`, by protocol: its own options (else those written before the first
 * source) -> the typed options of its protocol's source. Every problem is a usage error naming
 * the option.
 */
import { PASSWORD_ENV } from '../core/credentials.js';
import { usageError } from '../core/errors.js';
import type { ModbusRtuTarget, ModbusTcpTarget, MqttTarget, OpcUaTarget, Target } from '../core/targets.js';
import { parseTimeArg } from '../core/time.js';
import { parseDuration } from '../core/units.js';
import type { FedDevice } from '../discovery/feed.js';
import { checkTopicFilter } from '../protocols/mqtt/decoders.js';
import { parseOpcUaConnectOptions } from '../protocols/opcua/flags.js';
import { effective, list, one, type Values } from './scope.js';
import type { SourceSpec } from './types.js';

/** What one source's options depend on besides its own flags. */
export interface SourceContext<T extends Target = Target> {
  target: T;
  /** the options written after the source */
  own: Values;
  /** the options written before the first source */
  global: Values;
  /** the inventory entry the source came from (undefined: named on the command line) */
  origin: FedDevice | undefined;
  /** the --inventory file, if any */
  inventoryFile: string | undefined;
  /** source ids taken so far: an id made up for a source avoids them, and is added */
  used: Set<string>;
  /** its tags are named <source id>.<name> (one of several OPC UA servers or brokers of an inventory) */
  prefixed: boolean;
  /** what "now" in --from now-1h means */
  now: number;
  /** said on stderr before connecting (the built-in map chosen for a meter): added to */
  notes: string[];
}

export function positiveInt(text: string, option: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${option} ${text}: give a whole number from ${min} to ${max}`);
  return n;
}

export function duration(text: string, option: string, min = 0): number {
  const ms = parseDuration(text, option);
  if (ms < min) throw usageError(`${option} ${text}: too short (at least ${min} ms)`);
  return ms;
}

function deadband(text: string): { kind: 'absolute' | 'percent'; value: number } {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw usageError(`--deadband ${text}: give an absolute change (0.5) or a percentage of the EURange (2%)`);
  const value = Number(m[1]);
  if (m[2] === '%' && value > 100) throw usageError(`--deadband ${text}: a percentage runs from 0 to 100`);
  return { kind: m[2] === '%' ? 'percent' : 'absolute', value };
}

function uniqueId(base: string, used: Set<string>): string {
  let id = base;
  for (let n = 2; used.has(id); n++) id = `${base}-${n}`;
  used.add(id);
  return id;
}

/** The flags of one source: its own value of an option, else the one written before the first source. */
function flagsOf(c: SourceContext) {
  const { origin, own, global } = c;
  const from = origin ? ` (${origin.name}, ${origin.where})` : '';
  const v = (key: string) => one(key, effective(key, own, global));
  const l = (key: string) => list(effective(key, own, global));
  return { from, v, l, id: v('id'), timeoutText: v('timeout') };
}

export function opcuaSource(c: SourceContext<OpcUaTarget>): SourceSpec {
  const { target, own, global, origin } = c;
  const { v, id, timeoutText, from: whence } = flagsOf(c);
  const connect = parseOpcUaConnectOptions(target.url, {
    ...opt('securityMode', v('securityMode')),
    ...opt('securityPolicy', v('securityPolicy')),
    ...opt('user', v('user')),
    ...opt('passwordEnv', v('passwordEnv')),
    ...opt('passwordFile', v('passwordFile')),
    ...opt('password', v('password')),
    ...opt('userCert', v('userCert')),
    ...opt('userKey', v('userKey')),
    ...(v('trustOnFirstUse') === 'true' ? { trustOnFirstUse: true } : {}),
    timeout: timeoutText ?? '10s',
  });
  const history = v('history') === 'true';
  const fromText = v('from');
  const toText = v('to');
  if (!history && (fromText !== undefined || toText !== undefined))
    throw usageError('--from and --to go with --history', "add --history to backfill from the server's history");
  if (history && fromText === undefined)
    throw usageError('--history needs --from', 'for example --history --from now-1h (then live), or --from ... --to ... (history only)');
  const from = fromText !== undefined ? parseTimeArg(fromText, '--from', 'UTC', c.now) : undefined;
  const to = toText !== undefined ? parseTimeArg(toText, '--to', 'UTC', c.now) : undefined;
  if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${fromText} is not before --to ${toText}`);
  const poll = v('poll');
  const nodes = effective('node', own, global) ?? [];
  const subtrees = effective('subtree', own, global) ?? [];
  const tagLists = effective('tags', own, global) ?? [];
  if (nodes.length + subtrees.length + tagLists.length === 0) {
    throw usageError(
      `${target.url}${whence}: what should be recorded?`,
      origin
        ? 'name variables with --node ID|PATH, --subtree NODE or --tags FILE before the first source (they go to every OPC UA server of the inventory), or leave OPC UA out with --protocols modbus,mqtt'
        : 'name variables with --node ID|PATH, --subtree NODE or --tags FILE (a tag list from `iiot browse --tags`)',
    );
  }
  const pub = v('publishingInterval');
  const samplingMs = duration(v('samplingInterval') ?? '1s', '--sampling-interval');
  const itemsPerCall = v('maxItemsPerCall');
  const db = v('deadband');
  const sourceId = id ?? uniqueId('opcua', c.used);
  return {
    protocol: 'opcua',
    options: {
      id: sourceId,
      ...(c.prefixed ? { tagPrefix: `${sourceId}.` } : {}),
      connect,
      nodes,
      subtrees,
      tagLists,
      samplingMs,
      publishingMs: pub !== undefined ? duration(pub, '--publishing-interval', 10) : Math.max(100, Math.min(samplingMs || 1000, 1000)),
      queueSize: positiveInt(v('queueSize') ?? '10', '--queue-size', 1, 100_000),
      ...(db !== undefined ? { deadband: deadband(db) } : {}),
      ...(poll !== undefined ? { pollMs: duration(poll, '--poll', 10) } : {}),
      ...(history ? { history: { from: from!, ...(to !== undefined ? { to } : {}) } } : {}),
      ...(itemsPerCall !== undefined ? { maxItemsPerCall: positiveInt(itemsPerCall, '--max-items-per-call') } : {}),
    },
  };
}

export function modbusSource(c: SourceContext<ModbusTcpTarget | ModbusRtuTarget>): SourceSpec {
  const { target, origin } = c;
  const { from, v, l, id, timeoutText } = flagsOf(c);
  // A meter of the inventory that names itself gets its built-in map; --map is for the others.
  const map = origin?.map?.name ?? v('map');
  if (map === undefined) {
    throw usageError(
      `${target.url}${from}: which register map?`,
      origin
        ? `it names no meter iiot has a built-in map for (sdm630, pm5000): add --map NAME|FILE.yaml before the first source, or name the device with its own map (iiot record --inventory ${c.inventoryFile!} '${target.url}' --map FILE.yaml ...), or leave Modbus out with --protocols`
        : 'add --map NAME (built-in: sdm630, pm5000) or --map FILE.yaml (docs/register-maps.md), after the source',
    );
  }
  if (origin?.map)
    c.notes.push(
      `${target.url}${from}: recorded with the built-in map ${origin.map.name} (the device identifies itself as ${origin.map.meter})`,
    );
  const mapName = /[\\/]/.test(map) || /\.ya?ml$/i.test(map) ? map.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '') : map;
  return {
    protocol: 'modbus',
    options: {
      id: id ?? uniqueId(mapName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-') || 'modbus', c.used),
      target,
      map,
      registers: l('registers'),
      intervalMs: duration(v('interval') ?? '1s', '--interval', 10),
      timeoutMs: duration(timeoutText ?? '1s', '--timeout', 10),
      maxGap: positiveInt(v('maxGap') ?? '10', '--max-gap', 0, 125),
      maxRegisters: positiveInt(v('maxRegisters') ?? '125', '--max-registers', 1, 125),
    },
  };
}

export function mqttSource(c: SourceContext<MqttTarget>): SourceSpec {
  const { target, own, global } = c;
  const { v, id, timeoutText } = flagsOf(c);
  const qosText = v('qos') ?? '1';
  if (!/^[012]$/.test(qosText)) throw usageError(`--qos ${qosText}: give 0, 1 or 2`);
  const decoder = (v('decoder') ?? 'auto').toLowerCase();
  const decoders = ['auto', 'json', 'number', 'text', 'sparkplug', 'none'];
  if (!decoders.includes(decoder))
    throw usageError(`--decoder: unknown decoder "${v('decoder')}"`, `one of ${decoders.join(', ')} (docs/recording.md#mqtt)`);
  const raw = v('raw') === 'true';
  if (decoder === 'none' && !raw)
    throw usageError('--decoder none records nothing without --raw', 'add --raw to keep the payloads byte-exact');
  const topics = effective('topic', own, global) ?? ['#'];
  for (const t of topics) checkTopicFilter(t);
  const jsonPaths = (effective('jsonPath', own, global) ?? []).map((p) => {
    const eq = p.lastIndexOf('=');
    // "filter=path": a filter never contains "$" at the start of a path, a path always starts with $ or a key
    if (eq > 0 && /^\$|^[A-Za-z_]/.test(p.slice(eq + 1)) && !p.slice(0, eq).startsWith('$')) {
      const filter = p.slice(0, eq);
      checkTopicFilter(filter);
      return { filter, path: p.slice(eq + 1) };
    }
    return { path: p };
  });
  const user = v('user');
  if (v('password') !== undefined) {
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR) or in a file given with --password-file`,
    );
  }
  const passwordEnv = v('passwordEnv') ?? PASSWORD_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
    throw usageError(`--password-env: "${passwordEnv}" is not an environment variable name`, "give the variable's name, not the password");
  if (user === undefined && (v('passwordEnv') !== undefined || v('passwordFile') !== undefined))
    throw usageError('a password was given but no --user', 'add --user <name>');
  const sourceId = id ?? uniqueId('mqtt', c.used);
  return {
    protocol: 'mqtt',
    options: {
      id: sourceId,
      ...(c.prefixed ? { tagPrefix: `${sourceId}.` } : {}),
      connect: {
        target,
        ...opt('clientId', v('clientId')),
        ...opt('user', user),
        passwordEnv,
        ...opt('passwordFile', v('passwordFile')),
        ...opt('ca', v('ca')),
        ...opt('cert', v('cert')),
        ...opt('key', v('key')),
        timeoutMs: duration(timeoutText ?? '10s', '--timeout', 100),
      },
      topics,
      decoder: decoder as 'auto',
      jsonPaths,
      raw,
      qos: Number(qosText) as 0 | 1 | 2,
    },
  };
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}
