/**
 * The flags of `iiot check latency` and `iiot check security`, parsed once into typed objects
 * (commands/check.ts registers them and hands the raw strings here). Every mistake is one usage
 * error naming the option (exit 2), before anything is sent.
 */
import { PASSWORD_ENV } from '../core/credentials.js';
import { refuseToReplace } from '../core/output-file.js';
import { usageError } from '../core/errors.js';
import {
  parseSecurityMode,
  parseSecurityPolicy,
  type IdentitySpec,
  type SecurityModeName,
  type SecurityPolicyName,
} from '../protocols/opcua/flags.js';
import { parseTarget } from '../core/targets.js';
import { parseDuration } from '../core/units.js';
import type { Severity } from '../protocols/types.js';
import { DEFAULT_POLITENESS, type PolitenessOptions } from './politeness.js';
import { SEVERITIES } from './security/rules.js';

export interface CommonFlags {
  inventory?: string;
  timeout?: string;
  concurrency?: string;
  rate?: string;
  auditLog?: string;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  password?: string;
  ca?: string;
  unit?: string;
  register?: string;
  registerType?: string;
}

export interface LatencyFlags extends CommonFlags {
  count?: string;
  interval?: string;
  connectCount?: string;
  qos?: string;
  maxP99?: string[];
  maxLoss?: string[];
  histogram?: boolean;
  securityMode?: string;
  securityPolicy?: string;
  trustOnFirstUse?: boolean;
}

export interface SecurityFlags extends CommonFlags {
  failOn?: string;
  sarif?: string;
  junit?: string;
  force?: boolean;
  session?: boolean;
  maxNodes?: string;
  mqttSys?: boolean;
  mqttWildcard?: boolean;
  listen?: string;
  unitSweep?: string;
  sweepTimeout?: string;
  certExpiry?: string;
}

export interface ModbusReadSpec {
  /** overrides the unit of the URL */
  unit?: number | undefined;
  table: 'holding' | 'input';
  /** 0-based PDU address */
  address: number;
}

export interface CommonOptions {
  args: string[];
  inventory?: string | undefined;
  timeoutMs: number;
  politeness: PolitenessOptions;
  auditLog?: string | undefined;
  /** user for OPC UA sessions and MQTT connections; the password is read at run time */
  identity: IdentitySpec;
  /** extra CA certificates (PEM file) for mqtts:// */
  caFile?: string | undefined;
  modbus: ModbusReadSpec;
}

/** A threshold for all targets (target undefined) or one target (canonical URL). */
export interface Threshold<T> {
  target?: string | undefined;
  value: T;
}

export interface LatencyOptions extends CommonOptions {
  count: number;
  intervalMs: number;
  connectCount: number;
  qos: Array<0 | 1 | 2>;
  maxP99: Array<Threshold<number>>;
  /** percent of samples */
  maxLoss: Array<Threshold<number>>;
  /** true/false: forced; undefined: on a terminal only */
  histogram?: boolean | undefined;
  securityMode?: SecurityModeName | undefined;
  securityPolicy?: SecurityPolicyName | undefined;
  trustOnFirstUse: boolean;
}

export type FailOn = Severity | 'none';

export interface SecurityOptions extends CommonOptions {
  failOn: FailOn;
  sarif?: string | undefined;
  junit?: string | undefined;
  /** replace existing --sarif and --junit files */
  force: boolean;
  session: boolean;
  maxNodes: number;
  mqttSys: boolean;
  mqttWildcard: boolean;
  listenMs: number;
  unitSweep?: number[] | undefined;
  sweepTimeoutMs: number;
  certExpiryMs: number;
}

function int(text: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < min || n > max) throw usageError(`${name}: "${text}" is not a whole number from ${min} to ${max}`);
  return n;
}

function positive(text: string | undefined, name: string, fallback: number): number {
  if (text === undefined) return fallback;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw usageError(`${name}: "${text}" is not a positive number`);
  return n;
}

function identityOf(f: CommonFlags): IdentitySpec {
  if (f.password !== undefined) {
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR), or in a file given with --password-file`,
    );
  }
  if (f.user === undefined) {
    if (f.passwordFile !== undefined || f.passwordEnv !== undefined)
      throw usageError('a password was given but no --user', 'add --user <name>');
    return { kind: 'anonymous' };
  }
  if (f.user.trim() === '') throw usageError('--user: empty user name');
  const passwordEnv = f.passwordEnv ?? PASSWORD_ENV;
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
    throw usageError(`--password-env: "${passwordEnv}" is not an environment variable name`, "give the variable's name, not the password");
  return { kind: 'username', user: f.user, passwordEnv, passwordFile: f.passwordFile };
}

function parseCommon(args: string[], f: CommonFlags, defaultTimeout: string): CommonOptions {
  const timeoutMs = parseDuration(f.timeout ?? defaultTimeout, '--timeout');
  if (timeoutMs < 10) throw usageError(`--timeout ${f.timeout}: too short`, 'give at least 10ms');
  const table = (f.registerType ?? 'holding').toLowerCase();
  if (table !== 'holding' && table !== 'input')
    throw usageError(
      `--register-type: "${f.registerType}" is not holding or input`,
      'holding registers are read with function 3, input registers with function 4',
    );
  return {
    args,
    inventory: f.inventory,
    timeoutMs,
    politeness: {
      concurrency: int(f.concurrency, '--concurrency', DEFAULT_POLITENESS.concurrency, 1, 256),
      ratePerSecond: positive(f.rate, '--rate', DEFAULT_POLITENESS.ratePerSecond),
    },
    auditLog: f.auditLog,
    identity: identityOf(f),
    caFile: f.ca,
    modbus: {
      unit: f.unit === undefined ? undefined : int(f.unit, '--unit', 1, 0, 255),
      table,
      address: int(f.register, '--register', 0, 0, 65535),
    },
  };
}

/** "20ms" for every target, or "<target URL>=20ms" for one (split at the last "="). */
export function parseThreshold<T>(text: string, name: string, parseValue: (v: string) => T): Threshold<T> {
  const eq = text.lastIndexOf('=');
  const scheme = /^[a-z][a-z0-9.+-]*:\/\//i.test(text);
  if (!scheme) return { value: parseValue(text) };
  if (eq < 0)
    throw usageError(
      `${name} ${text}: a per-target threshold is written <target>=<value>`,
      `for example ${name} "modbus://127.0.0.1:502?unit=1=${name === '--max-p99' ? '5ms' : '0'}"`,
    );
  const target = parseTarget(text.slice(0, eq)).url;
  return { target, value: parseValue(text.slice(eq + 1)) };
}

function parsePercent(text: string, name: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*%?\s*$/.exec(text);
  const v = m ? Number(m[1]) : Number.NaN;
  if (!m || v > 100)
    throw usageError(`${name}: "${text}" is not a percentage from 0 to 100`, `for example ${name} 0 (no losses) or ${name} 1%`);
  return v;
}

export function parseQos(text: string | undefined): Array<0 | 1 | 2> {
  if (text === undefined) return [0, 1, 2];
  const out = new Set<0 | 1 | 2>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    if (part !== '0' && part !== '1' && part !== '2')
      throw usageError(`--qos: "${part}" is not 0, 1 or 2`, 'for example --qos 1 or --qos 0,1,2');
    out.add(Number(part) as 0 | 1 | 2);
  }
  if (out.size === 0) throw usageError('--qos: no level given', 'for example --qos 1');
  return [...out].sort();
}

export function parseLatencyOptions(args: string[], f: LatencyFlags): LatencyOptions {
  const common = parseCommon(args, f, '2s');
  const intervalMs = parseDuration(f.interval ?? '50ms', '--interval');
  return {
    ...common,
    count: int(f.count, '--count', 20, 1, 1_000_000),
    intervalMs,
    connectCount: int(f.connectCount, '--connect-count', 3, 0, 10_000),
    qos: parseQos(f.qos),
    maxP99: (f.maxP99 ?? []).map((t) => parseThreshold(t, '--max-p99', (v) => parseDuration(v, '--max-p99'))),
    maxLoss: (f.maxLoss ?? []).map((t) => parseThreshold(t, '--max-loss', (v) => parsePercent(v, '--max-loss'))),
    histogram: f.histogram,
    securityMode: parseSecurityMode(f.securityMode),
    securityPolicy: parseSecurityPolicy(f.securityPolicy),
    trustOnFirstUse: Boolean(f.trustOnFirstUse),
  };
}

export function parseSeverity(text: string, name = '--fail-on'): FailOn {
  const t = text.trim().toLowerCase();
  if (t === 'none' || t === 'never') return 'none';
  const found = SEVERITIES.find((s) => s === t);
  if (!found) throw usageError(`${name}: unknown severity "${text}"`, `one of ${SEVERITIES.join(', ')}, or none`);
  return found;
}

/** "1-247", "1,2,10-20" -> unit ids in order, each once. */
export function parseUnitList(text: string, name = '--unit-sweep'): number[] {
  const out: number[] = [];
  const seen = new Set<number>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) throw usageError(`${name}: "${part}" is not a unit id or a range`, 'for example 1-247 or 1,2,10-20');
    const a = Number(m[1]);
    const b = m[2] === undefined ? a : Number(m[2]);
    if (a > 255 || b > 255 || a > b) throw usageError(`${name}: "${part}" is not within 0-255 (low-high)`);
    for (let u = a; u <= b; u++) {
      if (!seen.has(u)) {
        seen.add(u);
        out.push(u);
      }
    }
  }
  if (out.length === 0) throw usageError(`${name}: no unit id given`, 'for example 1-247');
  return out;
}

export function parseSecurityOptions(args: string[], f: SecurityFlags): SecurityOptions {
  const common = parseCommon(args, f, '5s');
  const session = Boolean(f.session);
  if (f.maxNodes !== undefined && !session) throw usageError('--max-nodes goes with --session');
  const sweepTimeoutMs = parseDuration(f.sweepTimeout ?? '250ms', '--sweep-timeout');
  if (f.sweepTimeout !== undefined && f.unitSweep === undefined) throw usageError('--sweep-timeout goes with --unit-sweep');
  const listenMs = parseDuration(f.listen ?? '3s', '--listen');
  if (f.listen !== undefined && !f.mqttSys && !f.mqttWildcard) throw usageError('--listen goes with --mqtt-sys or --mqtt-wildcard');
  if (listenMs > 60_000)
    throw usageError(`--listen ${f.listen}: at most 1m`, 'a few seconds show whether topics flow; the check is not a recorder');
  // before any target is checked: an existing file is replaced only with --force
  for (const file of [f.sarif, f.junit]) if (file !== undefined) refuseToReplace(file, { force: f.force });
  return {
    ...common,
    failOn: parseSeverity(f.failOn ?? 'high'),
    sarif: f.sarif,
    junit: f.junit,
    force: Boolean(f.force),
    session,
    maxNodes: int(f.maxNodes, '--max-nodes', 20_000, 1, 10_000_000),
    mqttSys: Boolean(f.mqttSys),
    mqttWildcard: Boolean(f.mqttWildcard),
    listenMs,
    unitSweep: f.unitSweep === undefined ? undefined : parseUnitList(f.unitSweep),
    sweepTimeoutMs,
    certExpiryMs: parseDuration(f.certExpiry ?? '30d', '--cert-expiry'),
  };
}
