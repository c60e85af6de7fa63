/**
 * `iiot replay --to opcua`: the server the options ask for (the replay namespace, or a twin of a
 * NodeSet2 file), its security profile, the username identity it accepts and the client
 * certificate of this machine it trusts.
 */
import { readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { usageError } from '../../core/errors.js';
import { debug, info } from '../../core/io.js';
import type { ReplayContext } from '../protocol.js';
import type { ReplaySink } from '../types.js';
import type { SecurityProfileName } from './server-security.js';

export interface OpcUaReplaySpec {
  kind: 'opcua';
  host: string;
  port: number;
  pkiDir?: string | undefined;
  acceptAnyClientCert: boolean;
  /** serve this NodeSet2 file's address space (a twin), the recorded values driving its variables */
  nodeset?: string | undefined;
  /** security profile as `iiot sim` (default "default") */
  profile?: SecurityProfileName | undefined;
  /** a username identity the server accepts: the password comes from passwordEnv or passwordFile */
  user?: { name: string; passwordEnv: string; passwordFile?: string | undefined } | undefined;
  /** trust this machine's iiot client certificate (as `iiot sim` does; the command's default) */
  trustLocalClient?: boolean | undefined;
}

function defaultPkiDir(host: string): string {
  let uid = 'user';
  try {
    uid = String(userInfo().uid);
  } catch {
    // no passwd entry: one shared name is fine
  }
  return join(tmpdir(), `iiot-replay-${uid}`, `pki-${host}`);
}

export async function createOpcUaReplaySink(
  s: OpcUaReplaySpec,
  { io, warn: say, firstValue }: ReplayContext,
): Promise<{ sink: ReplaySink; holdsState: boolean }> {
  const { securityProfile } = await import('./server-security.js');
  const security = securityProfile(s.profile ?? 'default');
  const users = s.user === undefined ? [] : [{ username: s.user.name, password: opcuaPassword(s.user, io.env) }];
  if (security.requiresUser && users.length === 0)
    throw usageError(
      `--profile ${s.profile ?? 'default'} offers no anonymous access and needs a user`,
      'add --user NAME with the password in $IIOT_PASSWORD (or --password-file FILE)',
    );
  const pkiDir = s.pkiDir ?? defaultPkiDir(s.host);
  if (s.trustLocalClient && !s.acceptAnyClientCert) {
    // As iiot sim does: `iiot record` on this machine may record from the replay with
    // SignAndEncrypt; any other client is refused until its certificate is trusted.
    const { trustLocalClient } = await import('./local-client-trust.js');
    const file = await trustLocalClient(pkiDir, io.env);
    info(
      io,
      `the OPC UA server trusts this machine's iiot client certificate (${file}); other clients: put theirs in ${pkiDir}/trusted/certs (--no-trust-local-client turns this off)`,
    );
  }
  if (s.nodeset !== undefined) {
    const { TwinSink } = await import('./nodeset2/twin-sink.js');
    return {
      sink: new TwinSink({
        nodeset: s.nodeset,
        host: s.host,
        port: s.port,
        security,
        users,
        pkiDir,
        acceptAnyClientCert: s.acceptAnyClientCert,
        warn: say,
        ...(io.debug ? { log: (l: string) => debug(io, l) } : {}),
      }),
      holdsState: true,
    };
  }
  const { createOpcUaSink } = await import('./sink.js');
  return {
    sink: createOpcUaSink({
      security,
      users,
      host: s.host,
      port: s.port,
      pkiDir,
      acceptAnyClientCert: s.acceptAnyClientCert,
      firstValue,
      warn: say,
      ...(io.debug ? { log: (l: string) => debug(io, l) } : {}),
    }),
    holdsState: true,
  };
}

/** The password of the username identity the replayed OPC UA server accepts: a file, else the environment. */
function opcuaPassword(user: { name: string; passwordEnv: string; passwordFile?: string | undefined }, env: NodeJS.ProcessEnv): string {
  if (user.passwordFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(user.passwordFile, 'utf8');
    } catch (err) {
      throw usageError(
        `--password-file ${user.passwordFile}: cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
        'give the path of a file holding the password on its first line',
      );
    }
    const pw = text.split(/\r?\n/)[0] ?? '';
    if (pw === '') throw usageError(`--password-file ${user.passwordFile}: the first line is empty`);
    return pw;
  }
  const pw = env[user.passwordEnv];
  if (pw === undefined || pw === '')
    throw usageError(
      `--user ${user.name}: no password: $${user.passwordEnv} is not set`,
      `export ${user.passwordEnv}=... (or --password-file FILE); passwords never go on the command line`,
    );
  return pw;
}
