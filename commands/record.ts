import { Option, type Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { usageError } from '../src/core/errors.js';
import type { IO } from '../src/core/io.js';
import { PASSWORD_ENV } from '../src/core/credentials.js';
import { addOpcUaConnectOptions, parseOpcUaConnectOptions } from '../src/protocols/opcua/flags.js';
import { parseTarget, type Target } from '../src/core/targets.js';
import { parseTimeArg } from '../src/core/time.js';
import { parseByteSize, parseDuration } from '../src/core/units.js';
import type { FedDevice, FedInventory, RecordKind } from '../src/discovery/feed.js';
import type { RecordOptions, SourceSpec } from '../src/record/types.js';

/**
 * `iiot record <source...> -o FILE`. Options written after a source belong to that source;
 * options written before the first source apply to every source they fit:
 *   iiot record opc.tcp://plc:4840 --tags line3.tags modbus-rtu:///dev/ttyUSB0?unit=3 --map sdm630 -o sat.jsonl.gz
 * Commander parses and validates the options; the order of the raw arguments says which source
 * each belongs to (scopeArguments). The result is one typed RecordOptions; the work is imported
 * lazily from src/record/.
 */

type Kind = 'opcua' | 'modbus' | 'mqtt';
const ALL: readonly Kind[] = ['opcua', 'modbus', 'mqtt'];

/** Options that belong to sources, and the protocols they fit (attribute names). */
const SOURCE_OPTIONS: Record<string, readonly Kind[]> = {
  id: ALL,
  timeout: ALL,
  node: ['opcua'],
  subtree: ['opcua'],
  tags: ['opcua'],
  samplingInterval: ['opcua'],
  publishingInterval: ['opcua'],
  queueSize: ['opcua'],
  deadband: ['opcua'],
  poll: ['opcua'],
  history: ['opcua'],
  from: ['opcua'],
  to: ['opcua'],
  maxItemsPerCall: ['opcua'],
  securityMode: ['opcua'],
  securityPolicy: ['opcua'],
  userCert: ['opcua'],
  userKey: ['opcua'],
  trustOnFirstUse: ['opcua'],
  user: ['opcua', 'mqtt'],
  passwordEnv: ['opcua', 'mqtt'],
  passwordFile: ['opcua', 'mqtt'],
  password: ['opcua', 'mqtt'],
  map: ['modbus'],
  registers: ['modbus'],
  interval: ['modbus'],
  maxGap: ['modbus'],
  maxRegisters: ['modbus'],
  topic: ['mqtt'],
  decoder: ['mqtt'],
  jsonPath: ['mqtt'],
  raw: ['mqtt'],
  qos: ['mqtt'],
  clientId: ['mqtt'],
  ca: ['mqtt'],
  cert: ['mqtt'],
  key: ['mqtt'],
};

const REPEATABLE = new Set(['node', 'subtree', 'tags', 'topic', 'jsonPath', 'registers', 'metadata']);

const KIND_WORDS: Record<Kind, string> = { opcua: 'OPC UA', modbus: 'Modbus', mqtt: 'MQTT' };

export type Values = Map<string, string[]>;

export interface ScopedArguments {
  sources: string[];
  /** options before the first source */
  global: Values;
  /** options after each source, by source index */
  own: Values[];
}

/**
 * Splits raw arguments (after the command name) into sources and the options written before the
 * first source and after each one (options of the whole recording go to `global` wherever written). Options are recognised by the command's own definitions, so
 * "-o FILE" and "--node ns=2;s=x" take their values and flags do not.
 */
export function scopeArguments(tokens: readonly string[], options: readonly Option[], perSource: (key: string) => boolean = (k) => k in SOURCE_OPTIONS): ScopedArguments {
  const res: ScopedArguments = { sources: [], global: new Map(), own: [] };
  const put = (key: string, value: string) => {
    // options of the whole recording (-o, --duration...) may be written anywhere
    const scope = res.sources.length === 0 || !perSource(key) ? res.global : res.own[res.sources.length - 1]!;
    scope.set(key, [...(scope.get(key) ?? []), value]);
  };
  for (let i = 0; i < tokens.length; i++) {
    const tok = tokens[i]!;
    if (tok === '--') {
      for (const rest of tokens.slice(i + 1)) {
        res.sources.push(rest);
        res.own.push(new Map());
      }
      break;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      const eq = tok.indexOf('=');
      const flag = tok.startsWith('--') && eq > 0 ? tok.slice(0, eq) : tok;
      const opt = options.find((o) => o.long === flag || o.short === flag);
      if (!opt) continue; // commander has already refused unknown options
      const key = opt.attributeName();
      if (opt.negate) {
        put(key, 'false');
        continue;
      }
      if (opt.required || opt.optional) {
        if (tok.startsWith('--') && eq > 0) put(key, tok.slice(eq + 1));
        else if (i + 1 < tokens.length && (opt.required || !tokens[i + 1]!.startsWith('-'))) put(key, tokens[++i]!);
        else put(key, 'true');
      } else put(key, 'true');
      continue;
    }
    res.sources.push(tok);
    res.own.push(new Map());
  }
  return res;
}

function kindOf(t: Target): Kind | undefined {
  return t.protocol === 'opcua' ? 'opcua' : t.protocol === 'modbus' || t.protocol === 'modbus-rtu' ? 'modbus' : t.protocol === 'mqtt' ? 'mqtt' : undefined;
}

function optionName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The values of one source: its own, else those written before the first source. */
function effective(key: string, own: Values, global: Values): string[] | undefined {
  const mine = own.get(key);
  if (mine !== undefined) return mine;
  return global.get(key);
}

function one(key: string, v: string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!REPEATABLE.has(key) && v.length > 1 && new Set(v).size > 1) {
    throw usageError(`${optionName(key)} is given twice for one source (${v.map((x) => `"${x}"`).join(', ')})`, 'write it once, after the source it belongs to');
  }
  return v[v.length - 1];
}

function list(v: string[] | undefined): string[] {
  return (v ?? []).flatMap((x) => x.split(',')).map((s) => s.trim()).filter((s) => s !== '');
}

function positiveInt(text: string, option: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < min || n > max) throw usageError(`${option} ${text}: give a whole number from ${min} to ${max}`);
  return n;
}

function duration(text: string, option: string, min = 0): number {
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

const RECORD_KINDS: readonly RecordKind[] = ['opcua', 'modbus', 'mqtt'];

/** `--protocols opcua,modbus`: which devices of --inventory to record (Modbus: TCP and RTU). */
export function parseRecordProtocols(values: string[] | undefined): Set<RecordKind> {
  if (values === undefined) return new Set(RECORD_KINDS);
  const out = new Set<RecordKind>();
  for (const p of list(values)) {
    const k = p.toLowerCase() === 'modbus-rtu' ? 'modbus' : (p.toLowerCase() as RecordKind);
    if (!RECORD_KINDS.includes(k)) throw usageError(`--protocols: iiot cannot record "${p}"`, `choose from ${RECORD_KINDS.join(', ')} (all by default; modbus is TCP and RTU)`);
    out.add(k);
  }
  if (out.size === 0) throw usageError('--protocols: no protocol given', `choose from ${RECORD_KINDS.join(', ')}`);
  return out;
}

/**
 * Raw arguments scoped per source -> typed options. Every problem is a usage error naming the option.
 * `inventory`: the devices of --inventory (read by the caller), recorded after the sources named
 * on the command line; a device named there is recorded as named there, not as the inventory has it.
 */
export function parseRecordArguments(scoped: ScopedArguments, now = Date.now(), inventory?: FedInventory): RecordOptions {
  const { global } = scoped;
  const g = (key: string) => one(key, global.get(key));
  if (g('protocols') !== undefined && g('inventory') === undefined) throw usageError('--protocols chooses which devices of --inventory to record', 'add --inventory FILE (from `iiot discover --json`), or leave --protocols out');
  if (g('inventory') !== undefined && inventory === undefined) throw new Error('parseRecordArguments: --inventory given but not read');
  if (scoped.sources.length === 0 && inventory === undefined) {
    throw usageError('no source to record', 'give device URLs: opc.tcp://..., modbus://..., modbus-rtu:///dev/tty...?unit=N, mqtt://..., or --inventory FILE from `iiot discover --json`');
  }
  const output = g('output');
  if (output === undefined) throw usageError('no output file', 'add -o FILE (.jsonl, or .jsonl.gz to compress)');
  if (!/\.jsonl(\.gz)?$/i.test(output)) throw usageError(`-o ${output}: a capture file ends in .jsonl or .jsonl.gz`, `for example -o ${output.replace(/\.[^./]*$/, '')}.jsonl.gz`);
  const targets = scoped.sources.map((s) => parseTarget(s));
  const owns: Values[] = [...scoped.own];
  /** the inventory entry a source came from (undefined: named on the command line) */
  const origins: Array<FedDevice | undefined> = targets.map(() => undefined);
  const notes: string[] = [];
  const warnings: string[] = [];
  if (inventory) {
    const named = new Set(targets.map((t) => t.url));
    for (const d of inventory.devices) {
      if (named.has(d.url)) continue;
      named.add(d.url);
      targets.push(parseTarget(d.url));
      owns.push(new Map());
      origins.push(d);
    }
    notes.push(...inventory.notes);
    if (inventory.incomplete) warnings.push(`${inventory.file}: the inventory is partial (${inventory.incomplete.join('; ')}): devices may be missing from it`);
  }
  const label = (i: number) => scoped.sources[i] ?? targets[i]!.url;
  // Several OPC UA servers (or brokers) of an inventory often name their tags alike (the same
  // machine twice, the Server object under /Objects): their tags are named <source id>.<name>.
  const fedKinds = origins.flatMap((o, i) => (o ? [kindOf(targets[i]!)] : []));
  const prefixed = (i: number) => {
    const k = kindOf(targets[i]!);
    return origins[i] !== undefined && (k === 'opcua' || k === 'mqtt') && fedKinds.filter((x) => x === k).length > 1;
  };
  const kinds = targets.map((t, i) => {
    const k = kindOf(t);
    if (!k) throw usageError(`${label(i)}: iiot cannot record from ${t.protocol}:// targets`, 'record from opc.tcp://, modbus://, modbus-rtu:// or mqtt:// sources');
    return k;
  });
  // Options written after a source must fit it; options before the first source must fit one.
  scoped.own.forEach((own, i) => {
    for (const key of own.keys()) {
      const fits = SOURCE_OPTIONS[key];
      if (!fits) throw usageError(`${optionName(key)} is not an option of one source; write it before the first source`, `for example: iiot record ${optionName(key)} ... ${scoped.sources[0]} ...`);
      if (!fits.includes(kinds[i]!)) throw usageError(`${optionName(key)} is for ${fits.map((k) => KIND_WORDS[k]).join(' and ')} sources, not for ${KIND_WORDS[kinds[i]!]} source ${targets[i]!.url}`, 'write it after the source it belongs to');
    }
  });
  for (const key of global.keys()) {
    const fits = SOURCE_OPTIONS[key];
    if (fits && !kinds.some((k) => fits.includes(k))) throw usageError(`${optionName(key)} is for ${fits.map((k) => KIND_WORDS[k]).join(' and ')} sources, and none is given`);
  }
  // Ids given by the user first, so the ids made up for the others never take theirs.
  const used = new Set<string>();
  scoped.own.forEach((own) => {
    const id = one('id', own.get('id'));
    if (id === undefined) return;
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw usageError(`--id ${id}: use letters, digits, _ . and -`);
    if (used.has(id)) throw usageError(`--id ${id} is used by two sources`, 'give each source its own id');
    used.add(id);
  });
  if (global.has('id') && targets.length > 1) throw usageError('--id before the first source would name every source alike', 'write --id after the source it names');
  const sources: SourceSpec[] = targets.map((target, i) => {
    const own = owns[i]!;
    const origin = origins[i];
    const from = origin ? ` (${origin.name}, ${origin.where})` : '';
    const v = (key: string) => one(key, effective(key, own, global));
    const l = (key: string) => list(effective(key, own, global));
    const id = v('id');
    const timeoutText = v('timeout');
    switch (target.protocol) {
      case 'opcua': {
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
        if (!history && (fromText !== undefined || toText !== undefined)) throw usageError('--from and --to go with --history', 'add --history to backfill from the server\'s history');
        if (history && fromText === undefined) throw usageError('--history needs --from', 'for example --history --from now-1h (then live), or --from ... --to ... (history only)');
        const from = fromText !== undefined ? parseTimeArg(fromText, '--from', 'UTC', now) : undefined;
        const to = toText !== undefined ? parseTimeArg(toText, '--to', 'UTC', now) : undefined;
        if (from !== undefined && to !== undefined && from >= to) throw usageError(`--from ${fromText} is not before --to ${toText}`);
        const poll = v('poll');
        const nodes = effective('node', own, global) ?? [];
        const subtrees = effective('subtree', own, global) ?? [];
        const tagLists = effective('tags', own, global) ?? [];
        if (nodes.length + subtrees.length + tagLists.length === 0) {
          throw usageError(
            `${target.url}${from}: what should be recorded?`,
            origin
              ? 'name variables with --node ID|PATH, --subtree NODE or --tags FILE before the first source (they go to every OPC UA server of the inventory), or leave OPC UA out with --protocols modbus,mqtt'
              : 'name variables with --node ID|PATH, --subtree NODE or --tags FILE (a tag list from `iiot browse --tags`)',
          );
        }
        const pub = v('publishingInterval');
        const samplingMs = duration(v('samplingInterval') ?? '1s', '--sampling-interval');
        const itemsPerCall = v('maxItemsPerCall');
        const db = v('deadband');
        const sourceId = id ?? uniqueId('opcua', used);
        return {
          protocol: 'opcua',
          options: {
            id: sourceId,
            ...(prefixed(i) ? { tagPrefix: `${sourceId}.` } : {}),
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
      case 'modbus':
      case 'modbus-rtu': {
        // A meter of the inventory that names itself gets its built-in map; --map is for the others.
        const map = origin?.map?.name ?? v('map');
        if (map === undefined) {
          throw usageError(
            `${target.url}${from}: which register map?`,
            origin
              ? `it names no meter iiot has a built-in map for (sdm630, pm5000): add --map NAME|FILE.yaml before the first source, or name the device with its own map (iiot record --inventory ${inventory!.file} '${target.url}' --map FILE.yaml ...), or leave Modbus out with --protocols`
              : 'add --map NAME (built-in: sdm630, pm5000) or --map FILE.yaml (docs/register-maps.md), after the source',
          );
        }
        if (origin?.map) notes.push(`${target.url}${from}: recorded with the built-in map ${origin.map.name} (the device identifies itself as ${origin.map.meter})`);
        const mapName = /[\\/]/.test(map) || /\.ya?ml$/i.test(map) ? map.replace(/^.*[\\/]/, '').replace(/\.ya?ml$/i, '') : map;
        return {
          protocol: 'modbus',
          options: {
            id: id ?? uniqueId(mapName.toLowerCase().replace(/[^a-z0-9_.-]/g, '-') || 'modbus', used),
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
      case 'mqtt': {
        const qosText = v('qos') ?? '1';
        if (!/^[012]$/.test(qosText)) throw usageError(`--qos ${qosText}: give 0, 1 or 2`);
        const decoder = (v('decoder') ?? 'auto').toLowerCase();
        const decoders = ['auto', 'json', 'number', 'text', 'sparkplug', 'none'];
        if (!decoders.includes(decoder)) throw usageError(`--decoder: unknown decoder "${v('decoder')}"`, `one of ${decoders.join(', ')} (docs/recording.md#mqtt)`);
        const raw = v('raw') === 'true';
        if (decoder === 'none' && !raw) throw usageError('--decoder none records nothing without --raw', 'add --raw to keep the payloads byte-exact');
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
          throw usageError('--password is refused: a password on the command line ends up in shell history and process lists', `put it in $${PASSWORD_ENV} (or --password-env VAR) or in a file given with --password-file`);
        }
        const passwordEnv = v('passwordEnv') ?? PASSWORD_ENV;
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv)) throw usageError(`--password-env: "${passwordEnv}" is not an environment variable name`, "give the variable's name, not the password");
        if (user === undefined && (v('passwordEnv') !== undefined || v('passwordFile') !== undefined)) throw usageError('a password was given but no --user', 'add --user <name>');
        const sourceId = id ?? uniqueId('mqtt', used);
        return {
          protocol: 'mqtt',
          options: {
            id: sourceId,
            ...(prefixed(i) ? { tagPrefix: `${sourceId}.` } : {}),
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
      default:
        throw usageError(`${target.url}: iiot cannot record from this kind of target`);
    }
  });
  for (const k of ['opcua', 'mqtt'] as const) {
    const fedIds = sources.flatMap((src, i) => (src.protocol === k && prefixed(i) ? [src.options.id] : []));
    if (fedIds.length) notes.push(`${inventory!.file}: ${fedIds.length} ${k === 'opcua' ? 'OPC UA servers' : 'MQTT brokers'}: their tags are named <source id>.<name> (${fedIds.map((x) => `${x}.`).join(', ')})`);
  }
  const count = g('count');
  const durationText = g('duration');
  const metadata: Record<string, unknown> = {};
  for (const kv of global.get('metadata') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`--metadata ${kv}: write KEY=VALUE`, 'for example --metadata site="Plant 7" --metadata operator=priya');
    metadata[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return {
    output,
    force: g('force') === 'true',
    ...(durationText !== undefined ? { durationMs: duration(durationText, '--duration', 1) } : {}),
    ...(count !== undefined ? { count: positiveInt(count, '--count') } : {}),
    flushIntervalMs: duration(g('flushInterval') ?? '1s', '--flush-interval', 10),
    ...(g('rotateSize') !== undefined ? { rotateBytes: parseByteSize(g('rotateSize')!, '--rotate-size') } : {}),
    ...(g('rotateEvery') !== undefined ? { rotateMs: duration(g('rotateEvery')!, '--rotate-every', 1000) } : {}),
    metadata,
    reconnectMaxMs: duration(g('reconnectMax') ?? '30s', '--reconnect-max', 100),
    live: g('live') !== 'false',
    sources,
    ...(notes.length ? { notes } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

function opt<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/** MQTT 3.1.1 topic filter rules (4.7.1); the same check as src/protocols/mqtt/decoders.ts, without importing it. */
function checkTopicFilter(filter: string): void {
  const bad = (why: string): never => {
    throw usageError(`--topic "${filter}": ${why}`, 'a filter is a topic with + for one level and # (last) for the rest: plant/+/temp, plant/#');
  };
  if (filter === '') bad('empty');
  const levels = filter.split('/');
  levels.forEach((lv, i) => {
    if (lv.includes('#') && (lv !== '#' || i !== levels.length - 1)) bad('# must be a whole level, and the last');
    if (lv.includes('+') && lv !== '+') bad('+ must be a whole level');
  });
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command): void {
  const cmd = program
    .command('record')
    .summary('record samples from OPC UA, Modbus and MQTT sources into a capture file')
    .description(
      'Subscribes to or polls one or more sources and writes every sample into one capture file ' +
        '(docs/capture-format.md) until --duration, --count, Ctrl-C or SIGTERM; the file is finished cleanly in ' +
        'each case. Options written after a source belong to that source; options before the first source ' +
        'apply to every source they fit. Reconnects after disconnects with backoff and marks the gaps in the ' +
        'file; what was written stays readable after a crash. On a terminal a live view shows each tag\'s last ' +
        'value, rate and errors; elsewhere only a start line and a summary are printed. See docs/recording.md.',
    )
    .argument('[source...]', 'device URLs (docs/targets.md), each followed by its own options')
    .option('-o, --output <file>', 'capture file to write (.jsonl, or .jsonl.gz to compress)')
    .option('--inventory <file>', 'also record every device of an `iiot discover --json` inventory (Modbus meters it identifies get their built-in map)')
    .option('--protocols <list>', 'with --inventory: only these devices: opcua, modbus, mqtt (default: all)')
    .option('--duration <duration>', 'stop after this long (30s, 15m, 2h)')
    .option('--count <n>', 'stop after this many samples (all sources together)')
    .option('--force', 'replace the output file if it exists')
    .option('--rotate-size <size>', 'start a new part when a file reaches this size (100MB)')
    .option('--rotate-every <duration>', 'start a new part every period of record time (1h, 1d)')
    .option('--flush-interval <duration>', 'longest time a sample waits before it reaches the disk (default 1s)')
    .option('--metadata <key=value>', 'free metadata for the header (repeatable): site, asset, operator', collect)
    .option('--reconnect-max <duration>', 'longest pause between reconnect attempts (default 30s)')
    .option('--no-live', 'no live view on a terminal')
    .option('--id <name>', 'source id in the capture (default: opcua, mqtt, or the Modbus map name)')
    // OPC UA
    .option('--node <node>', 'OPC UA: a variable by node id or browse path (repeatable)', collect)
    .option('--subtree <node>', 'OPC UA: every data variable below this node (repeatable)', collect)
    .option('--tags <file>', 'OPC UA: a tag list from `iiot browse --tags` (repeatable)', collect)
    .option('--sampling-interval <duration>', 'OPC UA: sampling interval asked of the server (default 1s; 0 = fastest)')
    .option('--publishing-interval <duration>', 'OPC UA: publishing interval (default: the sampling interval, 100ms-1s)')
    .option('--queue-size <n>', 'OPC UA: values the server queues per item between publishes (default 10)')
    .option('--deadband <x>', 'OPC UA: record a change only beyond this: absolute (0.5) or percent of the EURange (2%)')
    .option('--poll <duration>', 'OPC UA: read every interval instead of subscribing (servers with poor subscriptions)')
    .option('--history', 'OPC UA: backfill from the server\'s history from --from (to --to, or to now and then live)')
    .option('--from <time>', 'OPC UA --history: start (2026-11-25T10:00:00Z, now-2h)')
    .option('--to <time>', 'OPC UA --history: end; with --to only history is recorded')
    .addOption(new Option('--max-items-per-call <n>', 'OPC UA: monitored items per CreateMonitoredItems (default: the server\'s limit)').hideHelp())
    // Modbus
    .option('--map <name|file>', 'Modbus: register map, built-in (sdm630, pm5000) or a YAML file')
    .option('--registers <names>', 'Modbus: only these map entries (comma-separated, * wildcards)', collect)
    .option('--interval <duration>', 'Modbus: time between scans (default 1s)')
    .option('--max-gap <n>', 'Modbus: unused registers a read may bridge between entries (default 10)')
    .option('--max-registers <n>', 'Modbus: registers per read, 1-125 (default 125)')
    // MQTT
    .option('--topic <filter>', 'MQTT: topic filter (repeatable; default #); tags are named after the topic below the levels every filter starts with (docs/recording.md#tag-names)', collect)
    .option('--decoder <name>', 'MQTT: auto, json, number, text, sparkplug or none (default auto)')
    .option('--json-path <[filter=]path>', 'MQTT json: where the value is ($.v, data.temp), per topic filter if given (repeatable)', collect)
    .option('--raw', 'MQTT: also keep every payload byte-exact (for replay)')
    .option('--qos <0|1|2>', 'MQTT: subscription QoS (default 1)')
    .option('--client-id <id>', 'MQTT: client id (default: a random iiot-record-... id)')
    .option('--ca <file>', 'MQTT over TLS: CA certificate (PEM; or $IIOT_MQTT_CA)')
    .option('--cert <file>', 'MQTT over TLS: client certificate (PEM; or $IIOT_MQTT_CERT)')
    .option('--key <file>', 'MQTT over TLS: client key (PEM; or $IIOT_MQTT_KEY)');
  addOpcUaConnectOptions(cmd);
  // The shared OPC UA options serve MQTT too (user, password), and --timeout every protocol.
  for (const o of cmd.options) {
    if (o.long === '--timeout') {
      o.description = 'longest wait: OPC UA connection or any one answer (10s), Modbus request (1s), MQTT connect (10s)';
      o.defaultValue = undefined;
    }
    if (o.long === '--user') o.description = 'OPC UA and MQTT: log on with this user name; the password comes from $IIOT_PASSWORD, --password-env, --password-file (or, OPC UA, a prompt)';
  }
  groupRecordHelp(cmd);
  cmd
    .addHelpText(
      'after',
      examples(
        'iiot record opc.tcp://127.0.0.1:4840 --tags line3.tags -o sat.jsonl.gz --duration 2h',
        "iiot record opc.tcp://127.0.0.1:4840 --tags line3.tags 'modbus-rtu:///dev/ttyUSB0?baud=9600&unit=3' --map sdm630 -o sat.jsonl.gz",
        'iiot record opc.tcp://127.0.0.1:4840 --subtree /Objects/Plant --security-mode None -o plant.jsonl',
        'iiot record opc.tcp://127.0.0.1:4840 --node "nsu=urn:iiot:sim:plant;s=pump1.vibration" --history --from now-1h -o pump.jsonl',
        'iiot record modbus://127.0.0.1:5020?unit=1 --map sdm630 --interval 500ms -o meter.jsonl --duration 10m',
        'iiot record mqtt://127.0.0.1:1883 --topic "plant/#" -o plant.jsonl --duration 60s',
        'iiot record mqtt://127.0.0.1:1883 --topic "spBv1.0/#" --raw -o sparkplug.jsonl.gz',
        'IIOT_PASSWORD=... iiot record mqtts://127.0.0.1:8883 --user gateway --ca ca.pem --topic "plant/#" -o out.jsonl',
        'iiot record --inventory site.json --protocols modbus,mqtt --topic "plant/#" -o site.jsonl.gz --duration 1h',
        "iiot record --inventory site.json --subtree /Objects/Plant 'modbus://127.0.0.1:502?unit=3' --map plc.yaml -o site.jsonl.gz",
      ),
    )
    .action(
      action(async (io: IO, _flags: object, _args: string[], c: Command) => {
        const raw = rawArguments(c);
        const scoped = scopeArguments(raw, c.options);
        const inventoryFile = one('inventory', scoped.global.get('inventory'));
        let inventory: FedInventory | undefined;
        if (inventoryFile !== undefined) {
          const kinds = parseRecordProtocols(scoped.global.get('protocols'));
          const { recordSourcesOf } = await import('../src/discovery/feed.js');
          inventory = recordSourcesOf(inventoryFile, kinds);
        }
        const options = parseRecordArguments(scoped, Date.now(), inventory);
        const { runRecord } = await import('../src/record/run.js');
        return runRecord(io, options);
      }),
    );
}

/**
 * The help groups options by what they belong to, as gh and nmap do: the output file, the run,
 * then one group per protocol (options written after a source of that protocol belong to it),
 * then what every source may take. The usage line says the same.
 */
const HELP_GROUPS: Array<[heading: string, options: string[]]> = [
  ['Output:', ['--output', '--force', '--rotate-size', '--rotate-every', '--flush-interval', '--metadata']],
  ['Run:', ['--duration', '--count', '--inventory', '--protocols', '--reconnect-max', '--no-live']],
  ['Any source (before the first source: for every source they fit):', ['--id', '--user', '--password-env', '--password-file', '--timeout']],
  [
    'OPC UA (after opc.tcp://...):',
    ['--node', '--subtree', '--tags', '--sampling-interval', '--publishing-interval', '--queue-size', '--deadband', '--poll', '--history', '--from', '--to', '--security-mode', '--security-policy', '--user-cert', '--user-key', '--trust-on-first-use'],
  ],
  ['Modbus (after modbus://... or modbus-rtu://...):', ['--map', '--registers', '--interval', '--max-gap', '--max-registers']],
  ['MQTT (after mqtt://... or mqtts://...):', ['--topic', '--decoder', '--json-path', '--raw', '--qos', '--client-id', '--ca', '--cert', '--key']],
];

export const RECORD_USAGE = '-o FILE [run options] SOURCE [its options] [SOURCE [its options]...]';

function groupRecordHelp(cmd: Command): void {
  cmd.usage(RECORD_USAGE);
  for (const [heading, names] of HELP_GROUPS) {
    for (const name of names) {
      const option = cmd.options.find((o) => o.long === name);
      if (option === undefined) throw new Error(`record help: no option ${name}`);
      option.helpGroup(heading);
    }
  }
  // A hidden option joins the group of the one before it, so that no group is placed by it.
  let last = '';
  for (const o of cmd.options) {
    if (o.hidden && !o.helpGroupHeading) o.helpGroup(last);
    last = o.helpGroupHeading ?? last;
  }
}

/** The arguments after the command name, as typed (commander keeps them on the root command). */
function rawArguments(c: Command): string[] {
  let root: Command = c;
  while (root.parent) root = root.parent;
  const raw = (root as unknown as { rawArgs: string[] }).rawArgs;
  const i = raw.indexOf(c.name(), 2);
  return i < 0 ? c.args : raw.slice(i + 1);
}
