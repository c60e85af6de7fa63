/**
 * What both checks share while they run: the targets, the politeness (per-host serialisation and
 * the rate cap), the audit log, the MQTT credentials and CA, and the OPC UA session IO.
 */
import { readFileSync } from 'node:fs';
import { usageError } from '../core/errors.js';
import { warn, type IO } from '../core/io.js';
import type { IdentitySpec } from '../protocols/opcua/flags.js';
import type { Target } from '../core/targets.js';
import { describeIdentity, resolveIdentity } from '../protocols/opcua/identity.js';
import { nullAuditLog, openAuditLog, type AuditLog } from './audit-log.js';
import type { CommonOptions } from './options.js';
import { RateLimiter } from './politeness.js';

export interface Credentials {
  username: string;
  password: string;
  /** "user \"op\"" (never the password) */
  describe: string;
}

export interface CheckContext {
  io: IO;
  audit: AuditLog;
  limiter: RateLimiter;
  /** awaited before every connection and every request iiot times itself */
  pace: () => Promise<void>;
  credentials?: Credentials | undefined;
  ca?: Buffer | undefined;
  /** audit-log hook for one target */
  auditFor(target: Target): (request: string, detail?: Record<string, unknown>) => void;
  close(): void;
}

export async function makeContext(io: IO, o: CommonOptions): Promise<CheckContext> {
  let ca: Buffer | undefined;
  if (o.caFile !== undefined) {
    try {
      ca = readFileSync(o.caFile);
    } catch (err) {
      throw usageError(
        `--ca ${o.caFile}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message.split('\n')[0]}`,
        'give the PEM file of the CA that issued the broker certificate',
      );
    }
    if (!ca.toString('latin1').includes('-----BEGIN CERTIFICATE-----'))
      throw usageError(`--ca ${o.caFile}: not a PEM certificate file`, 'give the PEM file of the CA that issued the broker certificate');
  }
  const credentials = await credentialsFor(io, o.identity);
  const audit = o.auditLog === undefined ? nullAuditLog() : openAuditLog(o.auditLog);
  const limiter = new RateLimiter(o.politeness.ratePerSecond);
  return {
    io,
    audit,
    limiter,
    pace: () => limiter.take(),
    credentials,
    ca,
    auditFor: (target) => (request, detail) =>
      audit.record({ target: target.url, protocol: target.protocol, request, ...(detail === undefined ? {} : { detail }) }),
    close: () => audit.close(),
  };
}

async function credentialsFor(io: IO, spec: IdentitySpec): Promise<Credentials | undefined> {
  if (spec.kind !== 'username') return undefined;
  const id = await resolveIdentity(spec, { env: io.env, stdin: io.stdin as never, stderr: io.stderr, warn: (t) => warn(io, t) });
  if (id.kind !== 'username') return undefined;
  return { username: id.user, password: id.password, describe: describeIdentity(id) };
}
