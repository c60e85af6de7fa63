/**
 * The connection options every OPC UA command shares (browse, read, record): registered once,
 * parsed once at the edge into a typed object, and the OPC UA vocabulary they are written in
 * (security modes and policies, identities, node classes). No node-opcua here: commands import
 * this statically (scripts/lint.ts lets them: it loads only src/core and commander) and building
 * the command table must stay cheap.
 */
import { Option, type Command } from 'commander';
import { PASSWORD_ENV } from '../../core/credentials.js';
import { usageError } from '../../core/errors.js';
import { parseTarget, type OpcUaTarget } from '../../core/targets.js';
import { parseDuration } from '../../core/units.js';

export const SECURITY_MODES = ['None', 'Sign', 'SignAndEncrypt'] as const;
export type SecurityModeName = (typeof SECURITY_MODES)[number];

/** Policies by strength, weakest first (OPC UA 1.05 Part 7 security policy profiles). */
export const SECURITY_POLICIES = [
  'None',
  'Basic128Rsa15',
  'Basic256',
  'Basic256Sha256',
  'Aes128_Sha256_RsaOaep',
  'Aes256_Sha256_RsaPss',
] as const;
export type SecurityPolicyName = (typeof SECURITY_POLICIES)[number];

/** Who the session logs on as. Passwords are never in argv: only where to find them. */
export type IdentitySpec =
  | { kind: 'anonymous' }
  | { kind: 'username'; user: string; passwordEnv: string; passwordFile?: string | undefined }
  | { kind: 'certificate'; certFile: string; keyFile: string };

export interface OpcUaConnectOptions {
  target: OpcUaTarget;
  securityMode?: SecurityModeName | undefined;
  securityPolicy?: SecurityPolicyName | undefined;
  identity: IdentitySpec;
  /** trust an unknown server certificate once, printing its fingerprint */
  trustOnFirstUse: boolean;
  /** the longest iiot waits for any one answer: connection set-up or one request */
  timeoutMs: number;
}

export interface OpcUaConnectFlags {
  securityMode?: string;
  securityPolicy?: string;
  user?: string;
  passwordEnv?: string;
  passwordFile?: string;
  password?: string;
  userCert?: string;
  userKey?: string;
  trustOnFirstUse?: boolean;
  timeout?: string;
}

export const DEFAULT_TIMEOUT = '10s';

export function addOpcUaConnectOptions(cmd: Command): Command {
  return cmd
    .option('--security-mode <mode>', `None, Sign or SignAndEncrypt (default: the most secure the server offers)`)
    .option(
      '--security-policy <policy>',
      'Basic256Sha256, Aes128_Sha256_RsaOaep, Aes256_Sha256_RsaPss, Basic256, None (default: the most secure offered)',
    )
    .option('--user <name>', `log on with this user name; the password comes from $${PASSWORD_ENV}, --password-file or a prompt`)
    .option('--password-env <var>', `environment variable holding the password (default ${PASSWORD_ENV})`)
    .option('--password-file <file>', 'file holding the password (first line; keep it chmod 600)')
    .addOption(new Option('--password <password>').hideHelp())
    .option('--user-cert <file>', 'log on with an X.509 user certificate (PEM or DER); needs --user-key')
    .option('--user-key <file>', 'private key (PEM) of --user-cert')
    .option('--trust-on-first-use', 'trust an unknown server certificate after printing its fingerprint (recorded in the PKI folder)')
    .option('--timeout <duration>', 'longest wait for the connection or any one answer', DEFAULT_TIMEOUT);
}

/** A security mode as users type it (any case, with or without separators). */
export function parseSecurityMode(text: string | undefined): SecurityModeName | undefined {
  if (text === undefined) return undefined;
  const t = text.trim().toLowerCase().replace(/[-_ ]/g, '');
  const found = SECURITY_MODES.find((m) => m.toLowerCase() === t);
  if (!found) throw usageError(`--security-mode: unknown mode "${text}"`, `one of ${SECURITY_MODES.join(', ')}`);
  return found;
}

/** A security policy name (any case) or its full URI. */
export function parseSecurityPolicy(text: string | undefined): SecurityPolicyName | undefined {
  if (text === undefined) return undefined;
  const t = text
    .trim()
    .replace(/^https?:\/\/opcfoundation\.org\/UA\/SecurityPolicy#/i, '')
    .toLowerCase();
  const found = SECURITY_POLICIES.find((p) => p.toLowerCase() === t);
  if (!found) throw usageError(`--security-policy: unknown policy "${text}"`, `one of ${SECURITY_POLICIES.join(', ')}`);
  return found;
}

export function parseOpcUaConnectOptions(endpoint: string, flags: OpcUaConnectFlags): OpcUaConnectOptions {
  const target = parseTarget(endpoint);
  if (target.protocol !== 'opcua') {
    throw usageError(`"${endpoint}" is not an OPC UA endpoint`, 'OPC UA endpoints look like opc.tcp://127.0.0.1:4840');
  }
  if (flags.password !== undefined) {
    throw usageError(
      '--password is refused: a password on the command line ends up in shell history and process lists',
      `put it in $${PASSWORD_ENV} (or --password-env VAR), in a file given with --password-file, or type it at the prompt`,
    );
  }
  const securityMode = parseSecurityMode(flags.securityMode);
  const securityPolicy = parseSecurityPolicy(flags.securityPolicy);
  if (securityMode === 'None' && securityPolicy !== undefined && securityPolicy !== 'None') {
    throw usageError(
      `--security-mode None cannot go with --security-policy ${securityPolicy}`,
      'mode None uses policy None; for a secured channel use --security-mode Sign or SignAndEncrypt',
    );
  }
  if (securityPolicy === 'None' && securityMode !== undefined && securityMode !== 'None') {
    throw usageError(`--security-policy None cannot go with --security-mode ${securityMode}`, 'give a policy such as Basic256Sha256');
  }
  const timeoutMs = parseDuration(flags.timeout ?? DEFAULT_TIMEOUT, '--timeout');
  if (timeoutMs < 100)
    throw usageError(`--timeout ${flags.timeout}: too short to open an OPC UA session`, 'give at least 100ms; the default is 10s');
  return {
    target,
    securityMode,
    securityPolicy,
    identity: parseIdentity(flags),
    trustOnFirstUse: Boolean(flags.trustOnFirstUse),
    timeoutMs,
  };
}

export function parseIdentity(flags: OpcUaConnectFlags): IdentitySpec {
  const hasCert = flags.userCert !== undefined || flags.userKey !== undefined;
  if (hasCert && flags.user !== undefined) {
    throw usageError(
      '--user and --user-cert are two different identities: give one',
      'a user name with a password, or a user certificate with its key',
    );
  }
  if (hasCert) {
    if (flags.userCert === undefined || flags.userKey === undefined) {
      throw usageError('a user certificate needs both --user-cert and --user-key');
    }
    return { kind: 'certificate', certFile: flags.userCert, keyFile: flags.userKey };
  }
  if (flags.user !== undefined) {
    if (flags.user.trim() === '') throw usageError('--user: empty user name');
    const passwordEnv = flags.passwordEnv ?? PASSWORD_ENV;
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(passwordEnv))
      throw usageError(
        `--password-env: "${passwordEnv}" is not an environment variable name`,
        "give the variable's name, not the password",
      );
    return { kind: 'username', user: flags.user, passwordEnv, passwordFile: flags.passwordFile };
  }
  if (flags.passwordFile !== undefined || flags.passwordEnv !== undefined) {
    throw usageError('a password was given but no --user', 'add --user <name>');
  }
  return { kind: 'anonymous' };
}

/** OPC UA node classes (Part 3), as --class takes them. */
export const NODE_CLASS_NAMES = [
  'Object',
  'Variable',
  'Method',
  'ObjectType',
  'VariableType',
  'ReferenceType',
  'DataType',
  'View',
] as const;
export type NodeClassName = (typeof NODE_CLASS_NAMES)[number] | 'Unspecified';

/** "variable,object" -> the set; any case, commas or spaces. */
export function parseNodeClasses(text: string | undefined): Set<NodeClassName> | undefined {
  if (text === undefined) return undefined;
  const out = new Set<NodeClassName>();
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const found = NODE_CLASS_NAMES.find((c) => c.toLowerCase() === part.toLowerCase());
    if (!found)
      throw usageError(`--class: unknown node class "${part}"`, `one or more of ${NODE_CLASS_NAMES.join(', ')}, separated by commas`);
    out.add(found);
  }
  if (out.size === 0) throw usageError('--class: no node class given', `one or more of ${NODE_CLASS_NAMES.join(', ')}`);
  return out;
}
