/**
 * `iiot record <source...> -o FILE`: the raw arguments -> one typed RecordOptions (types.ts), the
 * seam tests use. scope.ts says which source each option was written for, source-options.ts makes
 * each source's options; here the run as a whole: the output, the sources of --inventory, the ids,
 * the run options. Every problem is a usage error naming the option.
 */
import type { Option } from 'commander';
import { usageError } from '../core/errors.js';
import { parseTarget, type Target } from '../core/targets.js';
import { parseByteSize } from '../core/units.js';
import type { FedDevice, FedInventory, RecordKind } from '../discovery/feed.js';
import { checkScopes, kindOf, list, one, scopeArguments, type ScopedArguments, type Values } from './scope.js';
import { duration, modbusSource, mqttSource, opcuaSource, positiveInt, type SourceContext } from './source-options.js';
import type { RecordOptions, SourceSpec } from './types.js';

const RECORD_KINDS: readonly RecordKind[] = ['opcua', 'modbus', 'mqtt'];

/** `--protocols opcua,modbus`: which devices of --inventory to record (Modbus: TCP and RTU). */
export function parseRecordProtocols(values: string[] | undefined): Set<RecordKind> {
  if (values === undefined) return new Set(RECORD_KINDS);
  const out = new Set<RecordKind>();
  for (const p of list(values)) {
    const k = p.toLowerCase() === 'modbus-rtu' ? 'modbus' : (p.toLowerCase() as RecordKind);
    if (!RECORD_KINDS.includes(k))
      throw usageError(
        `--protocols: iiot cannot record "${p}"`,
        `choose from ${RECORD_KINDS.join(', ')} (all by default; modbus is TCP and RTU)`,
      );
    out.add(k);
  }
  if (out.size === 0) throw usageError('--protocols: no protocol given', `choose from ${RECORD_KINDS.join(', ')}`);
  return out;
}

/**
 * The arguments after `iiot record`, as typed, and the command's options: scoped per source, the
 * --inventory read, parsed. `now`: what "now" in --from now-1h means.
 */
export async function recordArguments(tokens: readonly string[], options: readonly Option[], now = Date.now()): Promise<RecordOptions> {
  const scoped = scopeArguments(tokens, options);
  const inventoryFile = one('inventory', scoped.global.get('inventory'));
  let inventory: FedInventory | undefined;
  if (inventoryFile !== undefined) {
    const kinds = parseRecordProtocols(scoped.global.get('protocols'));
    const { recordSourcesOf } = await import('../discovery/feed.js');
    inventory = recordSourcesOf(inventoryFile, kinds);
  }
  return parseRecordArguments(scoped, now, inventory);
}

/**
 * Raw arguments scoped per source -> typed options. Every problem is a usage error naming the option.
 * `inventory`: the devices of --inventory (read by the caller), recorded after the sources named
 * on the command line; a device named there is recorded as named there, not as the inventory has it.
 */
export function parseRecordArguments(scoped: ScopedArguments, now = Date.now(), inventory?: FedInventory): RecordOptions {
  const output = outputOf(scoped, inventory);
  const { targets, owns, origins, notes, warnings } = withInventory(scoped, inventory);
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
    if (!k)
      throw usageError(
        `${label(i)}: iiot cannot record from ${t.protocol}:// targets`,
        'record from opc.tcp://, modbus://, modbus-rtu:// or mqtt:// sources',
      );
    return k;
  });
  checkScopes(scoped, kinds, targets);
  const used = userIds(scoped, targets);
  const sources: SourceSpec[] = targets.map((target, i) => {
    const c: Omit<SourceContext, 'target'> = {
      own: owns[i]!,
      global: scoped.global,
      origin: origins[i],
      inventoryFile: inventory?.file,
      used,
      prefixed: prefixed(i),
      now,
      notes,
    };
    switch (target.protocol) {
      case 'opcua':
        return opcuaSource({ ...c, target });
      case 'modbus':
      case 'modbus-rtu':
        return modbusSource({ ...c, target });
      case 'mqtt':
        return mqttSource({ ...c, target });
      default:
        throw usageError(`${target.url}: iiot cannot record from this kind of target`);
    }
  });
  for (const k of ['opcua', 'mqtt'] as const) {
    const fedIds = sources.flatMap((src, i) => (src.protocol === k && prefixed(i) ? [src.options.id] : []));
    if (fedIds.length)
      notes.push(
        `${inventory!.file}: ${fedIds.length} ${k === 'opcua' ? 'OPC UA servers' : 'MQTT brokers'}: their tags are named <source id>.<name> (${fedIds.map((x) => `${x}.`).join(', ')})`,
      );
  }
  return {
    output,
    ...runOptions(scoped.global),
    sources,
    ...(notes.length ? { notes } : {}),
    ...(warnings.length ? { warnings } : {}),
  };
}

/** The capture file (-o), once the run has something to record. */
function outputOf(scoped: ScopedArguments, inventory: FedInventory | undefined): string {
  const g = (key: string) => one(key, scoped.global.get(key));
  if (g('protocols') !== undefined && g('inventory') === undefined)
    throw usageError(
      '--protocols chooses which devices of --inventory to record',
      'add --inventory FILE (from `iiot discover --json`), or leave --protocols out',
    );
  if (g('inventory') !== undefined && inventory === undefined) throw new Error('parseRecordArguments: --inventory given but not read');
  if (scoped.sources.length === 0 && inventory === undefined) {
    throw usageError(
      'no source to record',
      'give device URLs: opc.tcp://..., modbus://..., modbus-rtu:///dev/tty...?unit=N, mqtt://..., or --inventory FILE from `iiot discover --json`',
    );
  }
  const output = g('output');
  if (output === undefined) throw usageError('no output file', 'add -o FILE (.jsonl, or .jsonl.gz to compress)');
  if (!/\.jsonl(\.gz)?$/i.test(output))
    throw usageError(
      `-o ${output}: a capture file ends in .jsonl or .jsonl.gz`,
      `for example -o ${output.replace(/\.[^./]*$/, '')}.jsonl.gz`,
    );
  return output;
}

/** The sources named on the command line, then the devices of the inventory not named there. */
function withInventory(scoped: ScopedArguments, inventory: FedInventory | undefined) {
  const targets: Target[] = scoped.sources.map((s) => parseTarget(s));
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
    if (inventory.incomplete)
      warnings.push(`${inventory.file}: the inventory is partial (${inventory.incomplete.join('; ')}): devices may be missing from it`);
  }
  return { targets, owns, origins, notes, warnings };
}

/** Ids given by the user first, so the ids made up for the others never take theirs. */
function userIds(scoped: ScopedArguments, targets: readonly Target[]): Set<string> {
  const used = new Set<string>();
  scoped.own.forEach((own) => {
    const id = one('id', own.get('id'));
    if (id === undefined) return;
    if (!/^[A-Za-z0-9_.-]+$/.test(id)) throw usageError(`--id ${id}: use letters, digits, _ . and -`);
    if (used.has(id)) throw usageError(`--id ${id} is used by two sources`, 'give each source its own id');
    used.add(id);
  });
  if (scoped.global.has('id') && targets.length > 1)
    throw usageError('--id before the first source would name every source alike', 'write --id after the source it names');
  return used;
}

/** The options of the whole recording: when to stop, how to write, what to say in the header. */
function runOptions(global: Values): Omit<RecordOptions, 'output' | 'sources' | 'notes' | 'warnings'> {
  const g = (key: string) => one(key, global.get(key));
  const count = g('count');
  const durationText = g('duration');
  const metadata: Record<string, unknown> = {};
  for (const kv of global.get('metadata') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw usageError(`--metadata ${kv}: write KEY=VALUE`, 'for example --metadata site="Plant 7" --metadata operator=priya');
    metadata[kv.slice(0, eq).trim()] = kv.slice(eq + 1);
  }
  return {
    force: g('force') === 'true',
    ...(durationText !== undefined ? { durationMs: duration(durationText, '--duration', 1) } : {}),
    ...(count !== undefined ? { count: positiveInt(count, '--count') } : {}),
    flushIntervalMs: duration(g('flushInterval') ?? '1s', '--flush-interval', 10),
    ...(g('rotateSize') !== undefined ? { rotateBytes: parseByteSize(g('rotateSize')!, '--rotate-size') } : {}),
    ...(g('rotateEvery') !== undefined ? { rotateMs: duration(g('rotateEvery')!, '--rotate-every', 1000) } : {}),
    metadata,
    reconnectMaxMs: duration(g('reconnectMax') ?? '30s', '--reconnect-max', 100),
    live: g('live') !== 'false',
  };
}
