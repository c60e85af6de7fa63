/**
 * Which source an option of `iiot record` belongs to. Options written after a source belong to
 * that source; options written before the first source apply to every source they fit:
 *   iiot record opc.tcp://plc:4840 --tags line3.tags modbus-rtu:///dev/ttyUSB0?unit=3 --map sdm630 -o sat.jsonl.gz
 * Commander parses and validates the options; the order of the raw arguments says which source
 * each belongs to (scopeArguments), and checkScopes says whether it fits there.
 */
import type { Option } from 'commander';
import { usageError } from '../core/errors.js';
import type { Target } from '../core/targets.js';

export type Kind = 'opcua' | 'modbus' | 'mqtt';
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
export function scopeArguments(
  tokens: readonly string[],
  options: readonly Option[],
  perSource: (key: string) => boolean = (k) => k in SOURCE_OPTIONS,
): ScopedArguments {
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

export function kindOf(t: Target): Kind | undefined {
  return t.protocol === 'opcua'
    ? 'opcua'
    : t.protocol === 'modbus' || t.protocol === 'modbus-rtu'
      ? 'modbus'
      : t.protocol === 'mqtt'
        ? 'mqtt'
        : undefined;
}

export function optionName(key: string): string {
  return `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
}

/** The values of one source: its own, else those written before the first source. */
export function effective(key: string, own: Values, global: Values): string[] | undefined {
  const mine = own.get(key);
  if (mine !== undefined) return mine;
  return global.get(key);
}

export function one(key: string, v: string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!REPEATABLE.has(key) && v.length > 1 && new Set(v).size > 1) {
    throw usageError(
      `${optionName(key)} is given twice for one source (${v.map((x) => `"${x}"`).join(', ')})`,
      'write it once, after the source it belongs to',
    );
  }
  return v[v.length - 1];
}

export function list(v: string[] | undefined): string[] {
  return (v ?? [])
    .flatMap((x) => x.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** Options written after a source must fit it; options before the first source must fit one. */
export function checkScopes(scoped: ScopedArguments, kinds: readonly Kind[], targets: readonly Target[]): void {
  const { global } = scoped;
  scoped.own.forEach((own, i) => {
    for (const key of own.keys()) {
      const fits = SOURCE_OPTIONS[key];
      if (!fits)
        throw usageError(
          `${optionName(key)} is not an option of one source; write it before the first source`,
          `for example: iiot record ${optionName(key)} ... ${scoped.sources[0]} ...`,
        );
      if (!fits.includes(kinds[i]!))
        throw usageError(
          `${optionName(key)} is for ${fits.map((k) => KIND_WORDS[k]).join(' and ')} sources, not for ${KIND_WORDS[kinds[i]!]} source ${targets[i]!.url}`,
          'write it after the source it belongs to',
        );
    }
  });
  for (const key of global.keys()) {
    const fits = SOURCE_OPTIONS[key];
    if (fits && !kinds.some((k) => fits.includes(k)))
      throw usageError(`${optionName(key)} is for ${fits.map((k) => KIND_WORDS[k]).join(' and ')} sources, and none is given`);
  }
}
