import { usageError } from '../core/errors.js';
import { parseIdentity, type IdentitySpec, type OpcUaConnectFlags } from '../protocols/opcua/flags.js';
import { parseDuration } from '../core/units.js';

/**
 * The flags of `iiot commission run|init|verify|diff`, parsed once into typed options
 * (commands/commission.ts registers them). Passwords come from the environment or a file only.
 */

/** `commission run`, parsed. */
export interface CommissionRunOptions {
  planFile: string;
  output: string;
  force: boolean;
  /** overrides the plan's recording window */
  windowMs?: number | undefined;
  loopCheck: boolean;
  identity: IdentitySpec;
  trustOnFirstUse: boolean;
  timeoutMs: number;
}

export interface RunFlags
  extends Pick<OpcUaConnectFlags, 'user' | 'passwordEnv' | 'passwordFile' | 'password' | 'trustOnFirstUse' | 'timeout'> {
  output?: string;
  force?: boolean;
  window?: string;
  loopCheck?: boolean;
}

export function parseRunOptions(plan: string | undefined, f: RunFlags): CommissionRunOptions {
  if (plan === undefined)
    throw usageError(
      'name the acceptance plan',
      'for example: iiot commission run line3-sat.yaml -o handover/ (draft one with `iiot commission init`)',
    );
  if (f.output === undefined) throw usageError('-o <folder> is required: where the handover is written', 'for example -o handover/');
  const windowMs = f.window === undefined ? undefined : parseDuration(f.window, '--window');
  if (windowMs !== undefined && windowMs < 1000)
    throw usageError(`--window ${f.window}: too short to judge a signal`, 'give 1s or more; the default is 5m');
  return {
    planFile: plan,
    output: f.output,
    force: f.force === true,
    ...(windowMs !== undefined ? { windowMs } : {}),
    loopCheck: f.loopCheck === true,
    identity: parseIdentity(f),
    trustOnFirstUse: f.trustOnFirstUse === true,
    timeoutMs: parseDuration(f.timeout ?? '10s', '--timeout'),
  };
}

export interface InitFlags
  extends Pick<OpcUaConnectFlags, 'user' | 'passwordEnv' | 'passwordFile' | 'password' | 'trustOnFirstUse' | 'timeout'> {
  output?: string;
  force?: boolean;
  window?: string;
  ports?: string;
  site?: string;
  job?: string;
  listen?: string;
}

export interface InitOptions {
  targets: string[];
  output: string;
  force: boolean;
  /** how long to watch the signals to draft ranges and intervals */
  windowMs: number;
  ports?: string | undefined;
  listenMs: number;
  site: string;
  job: string;
  identity: CommissionRunOptions['identity'];
  trustOnFirstUse: boolean;
  timeoutMs: number;
}

export function parseInitOptions(targets: string[], f: InitFlags): InitOptions {
  if (targets.length === 0)
    throw usageError(
      'name what to look at: addresses or device URLs',
      'for example: iiot commission init 127.0.0.1 --ports 4840:opcua,5020:modbus,1883:mqtt -o plan.yaml',
    );
  if (f.output === undefined) throw usageError('-o <file> is required: where the draft plan is written', 'for example -o line3-sat.yaml');
  return {
    targets,
    output: f.output,
    force: f.force === true,
    windowMs: parseDuration(f.window ?? '10s', '--window'),
    ...(f.ports !== undefined ? { ports: f.ports } : {}),
    listenMs: parseDuration(f.listen ?? '3s', '--listen'),
    site: f.site ?? 'Site name',
    job: f.job ?? 'SAT-1',
    identity: parseIdentity(f),
    trustOnFirstUse: f.trustOnFirstUse === true,
    timeoutMs: parseDuration(f.timeout ?? '10s', '--timeout'),
  };
}
