/**
 * One OPC UA session, opened the careful way:
 *   1. GetEndpoints over an unsecured channel (bounded by the timeout: a dead host fails fast);
 *   2. pick the endpoint (flags, or the most secure offered that accepts the identity);
 *   3. check the server certificate against iiot's own store (never trusted silently);
 *   4. open the secure channel and the session, each bounded, with no retries (node-opcua's
 *      default connection strategy retries forever).
 * Every failure becomes one IiotError from explain.ts. The result carries what the commands,
 * the benchmark and the checks need to know: timings, the endpoint, the server certificate, a
 * request counter, and whether the connection was lost.
 */
import type { ClientSession, OPCUAClient, UserIdentityInfo } from 'node-opcua-client';
import { IiotError } from '../../core/errors.js';
import type { OpcUaConnectOptions } from './flags.js';
import { inspectCertificate, splitDerChain, type CertificateInfo } from './certificates.js';
import { behindOursMs } from '../../core/deadline.js';
import { withDeadline } from './deadline.js';
import { guardRequests } from './request-deadline.js';
import { getEndpoints, policyUri, selectEndpoint, UNUSABLE_POLICIES, type EndpointInfo, type UserTokenTypeName } from './endpoints.js';
import { BASIC128_UNUSABLE, explainError, type ExplainContext } from './explain.js';
import { describeIdentity, resolveIdentity, type Identity, type IdentityIO } from './identity.js';
import { loadClient } from './load.js';
import type { OwnCertificate, Pki } from './pki.js';
import { watchServerErrors } from './server-error.js';
import { checkServerCertificate } from './server-trust.js';

export interface SessionIO extends IdentityIO {
  /** a progress or status line for humans (stderr; suppressed by --quiet) */
  info: (text: string) => void;
  /** node-opcua's own log lines and protocol detail (--debug) */
  debug?: ((text: string) => void) | undefined;
}

export interface OpenSessionOptions {
  connect: OpcUaConnectOptions;
  pki: Pki;
  io: SessionIO;
  /** endpoints already fetched (discovery, a second session): skips step 1 */
  endpoints?: EndpointInfo[] | undefined;
  /** keep the session alive with periodic reads (a long watch without subscriptions) */
  keepAlive?: boolean | undefined;
  sessionName?: string | undefined;
}

export interface SessionTimings {
  endpointsMs: number;
  channelMs: number;
  sessionMs: number;
  totalMs: number;
}

export interface OpcUaSession {
  readonly url: string;
  readonly client: OPCUAClient;
  readonly session: ClientSession;
  readonly endpoint: EndpointInfo;
  readonly endpoints: EndpointInfo[];
  readonly serverCertificate: CertificateInfo | undefined;
  readonly own: OwnCertificate;
  /** "anonymous", "user \"op\"" */
  readonly identity: string;
  readonly timings: SessionTimings;
  readonly timeoutMs: number;
  /** requests sent on this connection (for the crawler's statistics and the benchmark) */
  requests(): number;
  /** why the connection went away, once it has */
  lost(): string | undefined;
  onLost(listener: (reason: string) => void): void;
  /** an error of a service call, explained with this session's context */
  explain(err: unknown, phase: ExplainContext['phase']): IiotError;
  close(): Promise<void>;
}

function tokenTypeOf(kind: Identity['kind']): UserTokenTypeName {
  return kind === 'anonymous' ? 'Anonymous' : kind === 'username' ? 'UserName' : 'Certificate';
}

export async function openSession(opts: OpenSessionOptions): Promise<OpcUaSession> {
  try {
    return await open(opts);
  } catch (err) {
    // Nothing stays open after a failure: node-opcua's certificate manager included.
    await opts.pki.close().catch(() => undefined);
    throw err;
  }
}

async function open(opts: OpenSessionOptions): Promise<OpcUaSession> {
  const { connect, pki, io } = opts;
  const url = connect.target.url;
  const timeoutMs = connect.timeoutMs;
  const t0 = performance.now();
  const m = await loadClient(io.debug);

  const endpoints =
    opts.endpoints ?? (await getEndpoints(url, { timeoutMs, debug: io.debug, ownCertificateFile: pki.paths.ownCertificate }));
  const tEndpoints = performance.now();
  const endpoint = selectEndpoint(
    endpoints,
    { mode: connect.securityMode, policy: connect.securityPolicy, tokenType: tokenTypeOf(connect.identity.kind) },
    url,
  );
  io.debug?.(`endpoint: ${endpoint.securityMode}/${endpoint.securityPolicy} (level ${endpoint.securityLevel})`);

  const own = await pki.ownCertificate();
  if (own.created) io.info(`created iiot's application certificate ${own.file} (SHA-1 ${own.info.sha1})`);
  const identity = await resolveIdentity(connect.identity, io);
  const secured = endpoint.securityMode !== 'None';
  const ctx: ExplainContext = {
    endpointUrl: url,
    ownCertificateFile: own.file,
    ownCertificate: own.info,
    pkiRoot: pki.paths.root,
    securityMode: endpoint.securityMode,
    securityPolicy: endpoint.securityPolicy,
    identity: describeIdentity(identity),
    passwordSource: identity.kind === 'username' ? identity.source : undefined,
    timeoutMs,
  };

  let serverCertificate: CertificateInfo | undefined;
  if (secured) {
    serverCertificate = await checkServerCertificate({ pki, endpoint, url, trustOnFirstUse: connect.trustOnFirstUse, io });
  } else {
    if (connect.securityMode === undefined) {
      const others = endpoints.filter((e) => e.securityMode !== 'None');
      const why =
        others.length === 0
          ? `${url} offers no secured endpoint`
          : others.every((e) => UNUSABLE_POLICIES.includes(e.securityPolicy))
            ? `${url} offers only ${[...new Set(others.map((e) => e.securityPolicy))].join(', ')} besides None, and ${BASIC128_UNUSABLE}`
            : `the secured endpoints of ${url} do not accept ${describeIdentity(identity)}`;
      io.warn(`using security mode None (${why}): nothing is signed or encrypted`);
    }
    if (endpoint.serverCertificate) serverCertificate = safeInspect(endpoint.serverCertificate);
    if (identity.kind === 'username') {
      const token = endpoint.userTokens.find((t) => t.type === 'UserName');
      if (!token?.securityPolicy || token.securityPolicy === 'None') {
        io.warn(`the password for ${describeIdentity(identity)} goes to ${url} in clear text (security mode None, no token encryption)`);
      }
    }
  }

  const cm = await pki.certificateManager();
  // the server's ERR message, which node-opcua drops when it answers OpenSecureChannel
  const errors = await watchServerErrors();
  const client = m.OPCUAClient.create({
    applicationName: 'iiot',
    applicationUri: own.applicationUri,
    clientName: opts.sessionName ?? 'iiot',
    clientCertificateManager: cm,
    certificateFile: own.file,
    privateKeyFile: own.privateKeyFile,
    securityMode: m.MessageSecurityMode[endpoint.securityMode],
    securityPolicy: policyUri(endpoint.securityPolicy) as never,
    ...(secured && endpoint.serverCertificate ? { serverCertificate: endpoint.serverCertificate } : {}),
    endpointMustExist: false,
    // One attempt. A failure is reported, not retried behind the user's back: retrying a wrong
    // password can lock an account, retrying a dead host hides it.
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    // node-opcua's own timers (transport: socket connect, HEL/ACK; secure channel: every
    // transaction, OPN included) are plain timers that fire while iiot is busy even when the
    // answer has come: set behind ours as a safety net. withDeadline bounds the connect and the
    // session, guardRequests (below) every service call.
    transportTimeout: behindOursMs(timeoutMs),
    defaultTransactionTimeout: behindOursMs(timeoutMs),
    // the server's timer, not ours: how long it keeps the session when iiot sends nothing
    requestedSessionTimeout: 60_000,
    keepSessionAlive: Boolean(opts.keepAlive),
    transportFactory: errors.transportFactory,
  });
  // node-opcua's request timer fires while iiot is busy; ours does not (./request-deadline.ts)
  guardRequests(client, timeoutMs);
  let requestCount = 0;
  let lostReason: string | undefined;
  const lostListeners: Array<(reason: string) => void> = [];
  let closing = false;
  const markLost = (reason: string) => {
    if (closing || lostReason !== undefined) return;
    lostReason = reason;
    for (const l of lostListeners) l(reason);
  };
  client.on('send_request', () => void requestCount++);
  client.on('connection_lost', () => markLost(`${url} closed the connection`));
  client.on('close', (err?: Error | null) => markLost(err ? `${url}: ${err.message.split('\n')[0]}` : `${url} closed the connection`));
  client.on('abort', () => markLost(`${url} aborted the connection`));

  const tChannel0 = performance.now();
  try {
    await withDeadline(client.connect(url), timeoutMs, () => client.disconnect(), `${url} did not open a secure channel within`);
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    throw explainError(err, { ...ctx, phase: 'connect', serverError: errors.last() });
  }
  const tChannel = performance.now();
  let session: ClientSession;
  try {
    session = await withDeadline(
      client.createSession(toUserIdentity(m, identity)),
      timeoutMs,
      () => client.disconnect(),
      `${url} did not open a session within`,
    );
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    throw explainError(err, { ...ctx, phase: 'session', serverError: errors.last() });
  }
  const tSession = performance.now();
  session.on('session_closed', () => markLost(`${url} closed the session`));

  return {
    url,
    client,
    session,
    endpoint,
    endpoints,
    serverCertificate,
    own,
    identity: describeIdentity(identity),
    timeoutMs,
    timings: {
      endpointsMs: opts.endpoints ? 0 : tEndpoints - t0,
      channelMs: tChannel - tChannel0,
      sessionMs: tSession - tChannel,
      totalMs: tSession - t0,
    },
    requests: () => requestCount,
    lost: () => lostReason,
    onLost: (l) => void lostListeners.push(l),
    explain: (err, phase) =>
      explainError(
        lostReason !== undefined && !(err instanceof IiotError) ? new Error(`${lostReason} (${describe(err)}) BadConnectionClosed`) : err,
        { ...ctx, phase, serverError: errors.last() },
      ),
    close: async () => {
      closing = true;
      const bound = Math.min(timeoutMs, 3000);
      if (lostReason === undefined)
        await withDeadline(session.close(), bound, () => undefined, 'closing the session took longer than').catch(() => undefined);
      await withDeadline(client.disconnect(), bound, () => undefined, 'disconnecting took longer than').catch(() => undefined);
      await pki.close();
    },
  };
}

function describe(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}

function safeInspect(der: Buffer): CertificateInfo | undefined {
  try {
    return inspectCertificate(splitDerChain(der)[0]!);
  } catch {
    return undefined;
  }
}

function toUserIdentity(m: Awaited<ReturnType<typeof loadClient>>, id: Identity): UserIdentityInfo {
  switch (id.kind) {
    case 'anonymous':
      return { type: m.UserTokenType.Anonymous };
    case 'username':
      return { type: m.UserTokenType.UserName, userName: id.user, password: id.password };
    case 'certificate':
      return { type: m.UserTokenType.Certificate, certificateData: id.certificate, privateKey: id.privateKeyPem };
  }
}

/** Runs `work` on a fresh session and always closes it (the shape most commands need). */
export async function withSession<T>(opts: OpenSessionOptions, work: (s: OpcUaSession) => Promise<T>): Promise<T> {
  const s = await openSession(opts);
  try {
    return await work(s);
  } finally {
    await s.close();
  }
}
