/**
 * Endpoints: what a server offers (GetEndpoints over an unsecured channel, no session, the same
 * request every client makes before connecting) and which one to use. The result is plain data so
 * that discovery (`iiot discover`) and the security check (`iiot check security`) can judge it
 * without node-opcua types; selection is a pure function.
 */
import { randomUUID } from 'node:crypto';
import type { EndpointDescription, OPCUAClient } from 'node-opcua-client';
import { IiotError, usageError } from '../../core/errors.js';
import { SECURITY_POLICIES, type SecurityModeName, type SecurityPolicyName } from './flags.js';
import { ExitCode } from '../../core/exit-codes.js';
import { BASIC128_UNUSABLE, explainError, explainOnlyUnusablePolicies } from './explain.js';
import { behindOursMs } from '../../core/deadline.js';
import { withDeadline } from './deadline.js';
import { guardRequests } from './request-deadline.js';
import { loadClient, type ClientModule } from './load.js';
import { watchServerErrors, type ServerError } from './server-error.js';

/** Deprecated by the OPC Foundation (SHA-1 / PKCS#1 v1.5): the security check reports them. */
export const DEPRECATED_POLICIES: readonly string[] = ['Basic128Rsa15', 'Basic256'];
/** Policies Node 22 cannot run at all. */
export const UNUSABLE_POLICIES: readonly string[] = ['Basic128Rsa15'];

const POLICY_URI_PREFIX = 'http://opcfoundation.org/UA/SecurityPolicy#';

export type UserTokenTypeName = 'Anonymous' | 'UserName' | 'Certificate' | 'IssuedToken';

export interface UserTokenInfo {
  type: UserTokenTypeName;
  policyId: string;
  /** policy that protects the token (the password) itself; empty: the channel's policy */
  securityPolicy: string | undefined;
  issuedTokenType?: string | undefined;
}

export interface ServerApplication {
  applicationUri: string;
  productUri: string;
  applicationName: string;
  applicationType: string;
  discoveryUrls: string[];
}

export interface EndpointInfo {
  /** as the server announces it (its own host name; we still connect to the URL the user gave) */
  endpointUrl: string;
  securityMode: SecurityModeName;
  /** short name ("Basic256Sha256") or the URI when unknown */
  securityPolicy: string;
  securityPolicyUri: string;
  /** the server's own ranking of its endpoints (higher is more secure) */
  securityLevel: number;
  transportProfileUri: string;
  userTokens: UserTokenInfo[];
  /** DER (possibly a chain) */
  serverCertificate: Buffer | undefined;
  server: ServerApplication;
}

export function policyName(uri: string | null | undefined): string {
  if (!uri) return 'None';
  return uri.startsWith(POLICY_URI_PREFIX) ? uri.slice(POLICY_URI_PREFIX.length) : uri;
}

export function policyUri(name: string): string {
  return `${POLICY_URI_PREFIX}${name}`;
}

const MODE_NAMES: Record<number, SecurityModeName> = { 1: 'None', 2: 'Sign', 3: 'SignAndEncrypt' };
const TOKEN_NAMES: Record<number, UserTokenTypeName> = { 0: 'Anonymous', 1: 'UserName', 2: 'Certificate', 3: 'IssuedToken' };
const APP_TYPES: Record<number, string> = { 0: 'Server', 1: 'Client', 2: 'ClientAndServer', 3: 'DiscoveryServer' };

export function toEndpointInfo(e: EndpointDescription): EndpointInfo {
  const s = e.server;
  return {
    endpointUrl: e.endpointUrl ?? '',
    securityMode: MODE_NAMES[e.securityMode] ?? 'None',
    securityPolicy: policyName(e.securityPolicyUri),
    securityPolicyUri: e.securityPolicyUri ?? '',
    securityLevel: e.securityLevel,
    transportProfileUri: e.transportProfileUri ?? '',
    userTokens: (e.userIdentityTokens ?? []).map((t) => ({
      type: TOKEN_NAMES[t.tokenType] ?? 'IssuedToken',
      policyId: t.policyId ?? '',
      securityPolicy: t.securityPolicyUri ? policyName(t.securityPolicyUri) : undefined,
      ...(t.issuedTokenType ? { issuedTokenType: t.issuedTokenType } : {}),
    })),
    serverCertificate: e.serverCertificate && e.serverCertificate.length > 0 ? Buffer.from(e.serverCertificate) : undefined,
    server: {
      applicationUri: s?.applicationUri ?? '',
      productUri: s?.productUri ?? '',
      applicationName: s?.applicationName?.text ?? '',
      applicationType: APP_TYPES[s?.applicationType ?? 0] ?? 'Server',
      discoveryUrls: (s?.discoveryUrls ?? []).filter((u): u is string => typeof u === 'string'),
    },
  };
}

export interface GetEndpointsOptions {
  timeoutMs: number;
  /** log sink for node-opcua's chatter (debug only) */
  debug?: ((line: string) => void) | undefined;
  /** iiot's own certificate file, named when a server refuses even the unsecured channel */
  ownCertificateFile?: string | undefined;
}

/**
 * GetEndpoints over a None channel, without a session and without a client certificate (an
 * unsecured channel does not use one): nothing is written to the user's certificate store, so
 * discovery and security checks can call this on any number of hosts.
 */
export async function getEndpoints(url: string, options: GetEndpointsOptions): Promise<EndpointInfo[]> {
  const client = await createBareClient(options);
  try {
    await withDeadline(client.connect(url), options.timeoutMs, () => client.disconnect(), `${url} did not answer within`);
    const eps = await withDeadline(
      client.getEndpoints({ endpointUrl: url }),
      options.timeoutMs,
      () => client.disconnect(),
      `${url} did not answer GetEndpoints within`,
    );
    return eps.map(toEndpointInfo);
  } catch (err) {
    throw explainError(err, {
      endpointUrl: url,
      phase: 'endpoints',
      timeoutMs: options.timeoutMs,
      serverError: serverErrorOf(client),
      ownCertificateFile: options.ownCertificateFile,
    });
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

/** The servers a discovery URL knows about (itself, or those registered with an LDS). */
export async function findServers(url: string, options: GetEndpointsOptions): Promise<ServerApplication[]> {
  const client = await createBareClient(options);
  try {
    await withDeadline(client.connect(url), options.timeoutMs, () => client.disconnect(), `${url} did not answer within`);
    const servers = await withDeadline(
      client.findServers(),
      options.timeoutMs,
      () => client.disconnect(),
      `${url} did not answer FindServers within`,
    );
    return servers.map((s) => ({
      applicationUri: s.applicationUri ?? '',
      productUri: s.productUri ?? '',
      applicationName: s.applicationName?.text ?? '',
      applicationType: APP_TYPES[s.applicationType] ?? 'Server',
      discoveryUrls: (s.discoveryUrls ?? []).filter((u): u is string => typeof u === 'string'),
    }));
  } catch (err) {
    throw explainError(err, { endpointUrl: url, phase: 'endpoints', timeoutMs: options.timeoutMs, serverError: serverErrorOf(client) });
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

const bareErrors = new WeakMap<OPCUAClient, () => ServerError | undefined>();

/** The ERR message the server sent a bare client before it closed the connection (server-error.ts). */
export function serverErrorOf(client: OPCUAClient): ServerError | undefined {
  return bareErrors.get(client)?.();
}

/** A client for unsecured discovery calls: a throw-away certificate in memory, no retries. */
export async function createBareClient(options: GetEndpointsOptions): Promise<OPCUAClient> {
  const m = await loadClient(options.debug);
  const errors = await watchServerErrors();
  const client = m.OPCUAClient.create({
    applicationName: 'iiot',
    endpointMustExist: false,
    securityMode: m.MessageSecurityMode.None,
    securityPolicy: m.SecurityPolicy.None,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    // node-opcua's own timers (transport: socket connect, HEL/ACK; every transaction) are plain
    // timers that fire while iiot is busy: a safety net only; the callers' withDeadline bounds the
    // connect and each call, guardRequests (below) every service request
    transportTimeout: behindOursMs(options.timeoutMs),
    defaultTransactionTimeout: behindOursMs(options.timeoutMs),
    transportFactory: errors.transportFactory,
    ...(await throwAwayKeyPair()),
  });
  bareErrors.set(client, errors.last);
  guardRequests(client, options.timeoutMs);
  return client;
}

type KeyPairProvider = NonNullable<Parameters<ClientModule['OPCUAClient']['create']>[0]['certificateKeyPairProvider']>;
let throwAway: Promise<{ applicationUri: string; certificateKeyPairProvider: KeyPairProvider }> | undefined;

/**
 * node-opcua insists on a certificate even for a None channel, which never sends it. Discovery and
 * security checks must not write into the user's store nor reuse iiot's identity across hosts, so
 * they get one made in memory, once per process, that no server ever sees.
 */
function throwAwayKeyPair(): Promise<{ applicationUri: string; certificateKeyPairProvider: KeyPairProvider }> {
  throwAway ??= (async () => {
    const { crypto_utils: cu } = await loadClient();
    const key = await cu.generatePrivateKey(2048);
    const applicationUri = `urn:iiot:discovery:${randomUUID()}`;
    const { cert } = await cu.createSelfSignedCertificate({
      privateKey: key,
      subject: '/CN=iiot-discovery',
      applicationUri,
      validity: 30,
      purpose: cu.CertificatePurpose.ForApplication,
    });
    const der = cu.convertPEMtoDER(cert);
    const { privPem } = await cu.privateKeyToPEM(key);
    const privateKey = cu.makePrivateKeyFromPem(privPem);
    return {
      applicationUri,
      certificateKeyPairProvider: { getCertificate: () => der, getCertificateChain: () => [der], getPrivateKey: () => privateKey },
    };
  })();
  return throwAway;
}

export interface EndpointPreferences {
  mode?: SecurityModeName | undefined;
  policy?: SecurityPolicyName | undefined;
  /** the identity the user will log on with: endpoints that do not accept it are skipped */
  tokenType?: UserTokenTypeName | undefined;
}

const MODE_RANK: Record<SecurityModeName, number> = { None: 0, Sign: 1, SignAndEncrypt: 2 };
const POLICY_RANK = (p: string): number => {
  const i = (SECURITY_POLICIES as readonly string[]).indexOf(p);
  return i < 0 ? -1 : i;
};

/** opc.tcp binary endpoints only (not HTTPS or WebSockets, which iiot does not speak). */
function isTcpBinary(e: EndpointInfo): boolean {
  return e.transportProfileUri === '' || /uatcp-uasc-uabinary/i.test(e.transportProfileUri);
}

/**
 * The endpoint to use: the one asked for, or the most secure one the server offers (mode first,
 * then policy strength, then the server's own SecurityLevel), skipping those Node 22 cannot run
 * and those that do not accept the identity given. Throws a clear error when nothing fits.
 */
export function selectEndpoint(endpoints: readonly EndpointInfo[], prefs: EndpointPreferences, url: string): EndpointInfo {
  const offered = endpoints.filter(isTcpBinary);
  const list = (es: readonly EndpointInfo[]) => [...new Set(es.map((e) => `${e.securityMode}/${e.securityPolicy}`))].join(', ') || 'none';
  if (offered.length === 0) {
    throw new IiotError(ExitCode.Unreachable, `${url} announced no opc.tcp endpoint`, {
      hint: 'the server may only offer HTTPS or WebSockets, which iiot does not speak',
    });
  }
  if (prefs.policy !== undefined && UNUSABLE_POLICIES.includes(prefs.policy)) {
    throw usageError(
      `--security-policy ${prefs.policy}: ${BASIC128_UNUSABLE}`,
      `pick one of the others ${url} offers: ${list(offered.filter((e) => !UNUSABLE_POLICIES.includes(e.securityPolicy)))}`,
    );
  }
  let candidates = offered.filter(
    (e) => (prefs.mode === undefined || e.securityMode === prefs.mode) && (prefs.policy === undefined || e.securityPolicy === prefs.policy),
  );
  if (prefs.mode === 'None' && prefs.policy === undefined) candidates = candidates.filter((e) => e.securityPolicy === 'None');
  if (candidates.length === 0) {
    const asked = [prefs.mode && `mode ${prefs.mode}`, prefs.policy && `policy ${prefs.policy}`].filter(Boolean).join(' and ');
    throw usageError(`${url} offers no endpoint with ${asked}`, `it offers: ${list(offered)}`);
  }
  const usable = candidates.filter((e) => !UNUSABLE_POLICIES.includes(e.securityPolicy));
  if (usable.length === 0) throw explainOnlyUnusablePolicies(url, [...new Set(candidates.map((e) => e.securityPolicy))]);
  let fitting = usable;
  if (prefs.tokenType !== undefined) {
    fitting = usable.filter((e) => e.userTokens.some((t) => t.type === prefs.tokenType));
    if (fitting.length === 0) {
      const accepts = [...new Set(usable.flatMap((e) => e.userTokens.map((t) => t.type)))].join(', ') || 'nothing';
      throw new IiotError(
        ExitCode.Unreachable,
        `${url} does not accept ${tokenWords(prefs.tokenType)} on ${candidates.length === offered.length ? 'any endpoint' : 'the endpoints asked for'}`,
        {
          hint: `its endpoints accept: ${accepts}`,
        },
      );
    }
  }
  return [...fitting].sort(
    (a, b) =>
      MODE_RANK[b.securityMode] - MODE_RANK[a.securityMode] ||
      POLICY_RANK(b.securityPolicy) - POLICY_RANK(a.securityPolicy) ||
      b.securityLevel - a.securityLevel,
  )[0]!;
}

function tokenWords(t: UserTokenTypeName): string {
  return {
    Anonymous: 'anonymous sessions',
    UserName: 'user names and passwords',
    Certificate: 'user certificates',
    IssuedToken: 'issued tokens',
  }[t];
}

/** One line per endpoint, for `iiot browse --endpoints` and messages. */
export function describeEndpoint(e: EndpointInfo): string {
  return `${e.securityMode}/${e.securityPolicy} (level ${e.securityLevel}; ${e.userTokens.map((t) => t.type).join(', ') || 'no identities'})`;
}
