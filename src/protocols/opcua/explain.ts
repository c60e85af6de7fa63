/**
 * The errors users meet when they connect to an OPC UA server, explained: what happened, in one
 * line, and the next step, naming the exact file to copy and where. Explained by status code
 * wherever one exists, in this order: the ERR message the server sent before it closed the
 * connection (server-error.ts: node-opcua drops that status for an ERR answering
 * OpenSecureChannel, as open62541 sends it for an untrusted client), the service result of a
 * ServiceFault, and only then a status name inside node-opcua's free-text message ("The
 * connection has been rejected by server: BadSecurityChecksFailed (0x80130000)"). No node-opcua import.
 */
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDuration } from '../../core/units.js';
import type { CertificateInfo } from './certificates.js';
import type { ServerError } from './server-error.js';

export interface ExplainContext {
  endpointUrl: string;
  /** what we were doing: the message names it when it helps */
  phase?: 'connect' | 'endpoints' | 'session' | 'browse' | 'read' | 'history' | 'subscribe' | undefined;
  /** iiot's own certificate, for "copy this file to the server" */
  ownCertificateFile?: string | undefined;
  ownCertificate?: CertificateInfo | undefined;
  pkiRoot?: string | undefined;
  securityMode?: string | undefined;
  securityPolicy?: string | undefined;
  /** "anonymous", "user op", "certificate CN=..." */
  identity?: string | undefined;
  /** where the password came from, to point at it when the server refuses it */
  passwordSource?: string | undefined;
  timeoutMs?: number | undefined;
  /** the ERR message the server sent before it closed the connection (server-error.ts) */
  serverError?: ServerError | undefined;
}

export interface Explanation {
  status: string;
  message: string;
  hint: string;
  exitCode: ExitCode;
}

/** The status name ("BadUserAccessDenied") inside any error text, or undefined. */
export function statusNameIn(text: string): string | undefined {
  return /\b((?:Bad|Uncertain)[A-Z][A-Za-z0-9]*)\b/.exec(text)?.[1];
}

/**
 * The status an error carries, best evidence first: the server's ERR message, the service result
 * of a ServiceFault (node-opcua keeps the response on the error), a `statusCode` on the error,
 * an explained IiotError's status, the status name in the text.
 */
export function statusOf(err: unknown, serverError?: ServerError): { status: string; reason?: string | undefined } | undefined {
  if (serverError && !serverError.status.startsWith('Good'))
    return { status: serverError.status, ...(serverError.reason ? { reason: serverError.reason } : {}) };
  const e = err as {
    response?: { responseHeader?: { serviceResult?: { name?: unknown } } };
    statusCode?: { name?: unknown };
    opcuaStatus?: unknown;
  } | null;
  const named = (x: unknown) => (typeof x === 'string' && /^(Bad|Uncertain)/.test(x) ? x : undefined);
  const structured = named(e?.opcuaStatus) ?? named(e?.response?.responseHeader?.serviceResult?.name) ?? named(e?.statusCode?.name);
  if (structured) return { status: structured };
  const text = err instanceof Error ? err.message : String(err);
  const inText = statusNameIn(text);
  return inText ? { status: inText } : undefined;
}

const NODE_OPCUA_SERVER_TRUST =
  'for a node-opcua server: <its PKI folder>/trusted/certs/; for UaExpert-style .NET servers: pki/trusted/certs/; for a PLC: its web page or engineering tool, "trusted client certificates"';

function ownCertLine(ctx: ExplainContext): string {
  const file = ctx.ownCertificateFile ?? '<iiot PKI>/own/certs/client_certificate.pem (see `iiot pki show`)';
  const fp = ctx.ownCertificate ? ` (SHA-1 ${ctx.ownCertificate.sha1})` : '';
  return `${file}${fp}`;
}

/** Explanation of a status name for the given context. */
export function explainStatus(status: string, ctx: ExplainContext): Explanation {
  const url = ctx.endpointUrl;
  const e = (message: string, hint: string, exitCode: ExitCode = ExitCode.Unreachable): Explanation => ({
    status,
    message,
    hint,
    exitCode,
  });
  switch (status) {
    case 'BadSecurityChecksFailed':
    case 'BadCertificateUntrusted':
    case 'BadCertificateInvalid':
    case 'BadCertificateUseNotAllowed':
      if (ctx.phase === 'endpoints') {
        // GetEndpoints goes over an unsecured channel that carries no client certificate
        return e(
          `${url} refused the unsecured channel iiot asks for its endpoints on (${status}): it lets no client it does not know in, not even to list its endpoints`,
          `every OPC UA client asks GetEndpoints over SecurityPolicy None first: allow that in the server's security settings (discovery), or have it trust iiot's certificate ${ownCertLine(ctx)} (its trusted folder: ${NODE_OPCUA_SERVER_TRUST}); then run the command again.`,
        );
      }
      return e(
        `${url} refused iiot's application certificate (${status}): the server does not trust iiot yet`,
        `copy ${ownCertLine(ctx)} into the server's trusted certificates folder (${NODE_OPCUA_SERVER_TRUST}) and delete it from the server's rejected folder if it landed there (a certificate in both counts as rejected); then run the command again.`,
      );
    case 'BadCertificateUriInvalid':
      return e(
        `${url} refused iiot's certificate (BadCertificateUriInvalid): the ApplicationUri in the certificate does not match the one iiot announced`,
        `the certificate ${ownCertLine(ctx)} was probably replaced by hand; delete it and own/private/private_key.pem in ${ctx.pkiRoot ?? 'the iiot PKI folder'} so iiot creates a matching one, then have the server trust the new certificate`,
      );
    case 'BadCertificateHostNameInvalid':
      return e(
        `${url} refused iiot's certificate (BadCertificateHostNameInvalid): the host name in the certificate does not match`,
        `delete ${ctx.ownCertificateFile ?? 'own/certs/client_certificate.pem'} and own/private/private_key.pem in ${ctx.pkiRoot ?? 'the iiot PKI folder'} so iiot creates one for this host, then have the server trust it`,
      );
    case 'BadCertificateTimeInvalid':
    case 'BadCertificateIssuerTimeInvalid':
      return e(
        `${url} finds iiot's certificate expired or not yet valid (${status})` +
          (ctx.ownCertificate
            ? `: it is valid from ${ctx.ownCertificate.notBefore.toISOString()} to ${ctx.ownCertificate.notAfter.toISOString()}`
            : ''),
        "check the clocks of both machines first (PLCs often run on a wrong date); if iiot's certificate has expired, delete it (`iiot pki show` prints where) to get a new one, and have the server trust the new one",
      );
    case 'BadCertificateRevoked':
    case 'BadCertificateIssuerRevoked':
      return e(
        `${url} says iiot's certificate is revoked (${status})`,
        'create a new iiot certificate (delete the one `iiot pki show` names) and have the server trust it',
      );
    case 'BadCertificateRevocationUnknown':
    case 'BadCertificateIssuerRevocationUnknown':
      return e(
        `${url} cannot check the revocation of iiot's certificate (${status})`,
        "the server needs a revocation list (CRL) for the issuer of iiot's certificate; with iiot's self-signed certificate, trusting it on the server is enough",
      );
    case 'BadIdentityTokenRejected':
    case 'BadIdentityTokenInvalid':
      return e(
        `${url} rejected the user identity${ctx.identity ? ` (${ctx.identity})` : ''} (${status})`,
        ctx.identity?.startsWith('anonymous')
          ? 'this server does not allow anonymous sessions: give a user with --user (the password from IIOT_PASSWORD, --password-file or a prompt) or a user certificate with --user-cert/--user-key'
          : ctx.identity?.startsWith('user certificate')
            ? 'the server must trust this user certificate: give the --user-cert file to its administrator (user certificates have their own trust list, separate from application certificates)'
            : `check the user name and the password${ctx.passwordSource ? ` (read from ${ctx.passwordSource})` : ''}; \`iiot browse ${url} --endpoints\` lists which identities each endpoint accepts`,
      );
    case 'BadUserAccessDenied':
    case 'BadUserSignatureInvalid':
      return e(
        `${url} denied access${ctx.identity ? ` for ${ctx.identity}` : ''} (${status}): wrong user name or password, or this user may not log on`,
        `check the user name and the password${ctx.passwordSource ? ` (read from ${ctx.passwordSource})` : ''}; nothing else was tried (no retries, so the account is not locked by iiot)`,
      );
    case 'BadTooManySessions':
      return e(
        `${url} has no session left (BadTooManySessions): all the sessions it allows are in use`,
        "close other clients (SCADA, HMI, UaExpert); sessions of clients that vanished expire after their timeout (often 1 to 60 minutes); or raise the server's MaxSessions",
      );
    case 'BadSecurityPolicyRejected':
      return e(
        `${url} refused security policy ${ctx.securityPolicy ?? '(unknown)'} (BadSecurityPolicyRejected)`,
        `list what it offers with \`iiot browse ${url} --endpoints\` and pick one with --security-policy`,
      );
    case 'BadSecurityModeRejected':
      return e(
        `${url} refused security mode ${ctx.securityMode ?? ''} (BadSecurityModeRejected)`,
        `list what it offers with \`iiot browse ${url} --endpoints\``,
      );
    case 'BadTcpEndpointUrlInvalid':
      return e(
        `${url}: the server does not know this endpoint URL (BadTcpEndpointUrlInvalid)`,
        'check the path after the port; `iiot discover` lists the endpoint URLs a server announces',
        ExitCode.Usage,
      );
    case 'BadTimeout':
    case 'BadRequestTimeout':
      return e(
        `${url} did not answer in time${ctx.phase ? ` (${ctx.phase})` : ''} (${status})`,
        `the server may be overloaded or the network slow; try again or give more time with --timeout${ctx.timeoutMs ? ` (now ${formatDuration(ctx.timeoutMs)})` : ''}`,
      );
    case 'BadServerHalted':
    case 'BadShutdown':
    case 'BadServerNotConnected':
    case 'BadConnectionClosed':
    case 'BadSecureChannelClosed':
    case 'BadCommunicationError':
      return e(`${url} closed the connection (${status})`, 'the server stopped or restarted; run the command again when it is back');
    case 'BadSessionIdInvalid':
    case 'BadSessionClosed':
      return e(
        `${url} closed iiot's session (${status})`,
        'the server dropped the session (restart, timeout or an administrator); run the command again',
      );
    case 'BadNotSupported':
    case 'BadHistoryOperationUnsupported':
      if (ctx.phase === 'history') {
        return e(
          `${url} keeps no history for this node (${status})`,
          `${status === 'BadNotSupported' ? 'the server does not support HistoryRead at all, or not for this node' : 'its Historizing attribute is false'}: record the value live instead (iiot record ${url} --node ...)`,
          ExitCode.Usage,
        );
      }
      return e(
        `${url}: the server does not support this${ctx.phase ? ` (${phaseWords(ctx.phase)})` : ''} (${status})`,
        "run again with --debug for the server's full answer",
      );
    case 'BadNodeIdUnknown':
    case 'BadNodeIdInvalid':
      return e(`${url}: no such node (${status})`, 'check the node id; `iiot browse` shows the node ids that exist', ExitCode.Usage);
    case 'BadTooManyOperations':
      return e(
        `${url} refused a request as too large (BadTooManyOperations)`,
        "this is a bug in iiot's batching; run again with --debug and report it",
      );
    case 'BadLicenseExpired':
    case 'BadLicenseLimitsExceeded':
    case 'BadLicenseNotAvailable':
      return e(
        `${url}: the server's licence does not allow this connection (${status})`,
        "check the server's licence (runtime licences often limit the number of clients)",
      );
    default:
      return e(
        `${url}: OPC UA error ${status}${ctx.phase ? ` while ${phaseWords(ctx.phase)}` : ''}`,
        "run again with --debug for the server's full answer",
      );
  }
}

function phaseWords(phase: NonNullable<ExplainContext['phase']>): string {
  return {
    connect: 'connecting',
    endpoints: 'asking for the endpoints',
    session: 'opening the session',
    browse: 'browsing',
    read: 'reading',
    history: 'reading history',
    subscribe: 'subscribing',
  }[phase];
}

/** Socket-level failures, by errno code found in node-opcua's message. */
function explainSocket(text: string, ctx: ExplainContext): Explanation | undefined {
  const url = ctx.endpointUrl;
  const hostPort = /opc\.tcp:\/\/([^/]+)/.exec(url)?.[1] ?? url;
  const e = (status: string, message: string, hint: string): Explanation => ({ status, message, hint, exitCode: ExitCode.Unreachable });
  if (/ECONNREFUSED/.test(text)) {
    return e(
      'ECONNREFUSED',
      `nothing is listening at ${hostPort} (connection refused)`,
      'is the server running, and is this its port? (the OPC UA default is 4840; `iiot discover <host>` finds open ports)',
    );
  }
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return e('ENOTFOUND', `cannot resolve the host name in ${url}`, 'check the spelling, or use the IP address');
  if (/EHOSTUNREACH|ENETUNREACH/.test(text))
    return e('EHOSTUNREACH', `no route to ${hostPort}`, 'check the network cable, VLAN and IP settings of this computer');
  if (/ETIMEDOUT/.test(text))
    return e(
      'ETIMEDOUT',
      `no answer from ${hostPort} (connection timed out)`,
      'the host is down or a firewall drops the traffic; check the address',
    );
  if (/ECONNRESET|EPIPE|socket has been disconnected|premature socket termination|disconnected by third party/i.test(text)) {
    return e(
      'ECONNRESET',
      `${hostPort} closed the connection`,
      'the server stopped, restarted, or refused this client; run again with --debug for details',
    );
  }
  return undefined;
}

/**
 * A node's HistoryRead result in words, for the statuses that mean "no history here"
 * (BadNotSupported from open62541 and others, BadHistoryOperationUnsupported from node-opcua);
 * undefined for any other status.
 */
export function noHistoryWords(status: string): string | undefined {
  if (status === 'BadNotSupported' || status === 'BadHistoryOperationUnsupported')
    return `this server keeps no history for the node (${status})`;
  return undefined;
}

/** An explained OPC UA error that keeps the status it was explained by (scripts, the security check). */
export class OpcUaStatusError extends IiotError {
  constructor(
    readonly opcuaStatus: string,
    x: Explanation,
    cause: unknown,
  ) {
    super(x.exitCode, x.message, { hint: x.hint, cause });
  }
}

/** What the server said in words, when it said anything: appended to the message. */
function withReason(x: Explanation, reason: string | undefined): Explanation {
  const r = reason?.trim();
  return r ? { ...x, message: `${x.message}; the server says: "${r.length > 200 ? `${r.slice(0, 200)}...` : r}"` } : x;
}

/** Any error from a connection attempt or service call, as one IiotError. */
export function explainError(err: unknown, ctx: ExplainContext): IiotError {
  if (err instanceof IiotError) return err;
  const text = err instanceof Error ? `${err.message} ${String((err as { code?: unknown }).code ?? '')}` : String(err);
  const socket = explainSocket(text, ctx);
  const found = statusOf(err, ctx.serverError);
  if (found) return new OpcUaStatusError(found.status, withReason(explainStatus(found.status, ctx), found.reason), err);
  const x = socket;
  if (x) return new IiotError(x.exitCode, x.message, { hint: x.hint, cause: err });
  // node-opcua words for a bad answer rather than a status
  if (/Cannot find an Endpoint matching/i.test(text)) {
    return new IiotError(
      ExitCode.Unreachable,
      `${ctx.endpointUrl} has no endpoint with security mode ${ctx.securityMode ?? '?'} and policy ${ctx.securityPolicy ?? '?'}`,
      {
        hint: `\`iiot browse ${ctx.endpointUrl} --endpoints\` lists the endpoints it offers`,
        cause: err,
      },
    );
  }
  const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
  return new IiotError(ExitCode.Unreachable, `${ctx.endpointUrl}: ${ctx.phase ? `${phaseWords(ctx.phase)} failed: ` : ''}${first}`, {
    hint: 'run again with --debug for details',
    cause: err,
  });
}

/** Plain words for servers that offer only policies Node 22 cannot run. */
export const BASIC128_UNUSABLE =
  'Basic128Rsa15 cannot be used from Node.js 22: it needs RSA PKCS#1 v1.5 decryption, which Node removed for security (CVE-2023-46809)';

export function explainOnlyUnusablePolicies(url: string, offered: readonly string[]): IiotError {
  return new IiotError(
    ExitCode.Unreachable,
    `${url} offers only security policies iiot cannot use (${offered.join(', ')}). ${BASIC128_UNUSABLE}.`,
    {
      hint: 'enable Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss on the server (Basic128Rsa15 is deprecated since OPC UA 1.04); mode None works too, on an isolated test network only',
    },
  );
}

/** The server certificate iiot does not trust yet: what it is, where it was put, how to trust it. */
export function untrustedServerError(url: string, cert: CertificateInfo, rejectedFile: string, reason?: string): IiotError {
  const prefix = cert.sha1.replace(/:/g, '').slice(0, 16).toLowerCase();
  return new IiotError(
    ExitCode.Unreachable,
    `${url}: the server's certificate is not trusted${reason ? ` (${reason})` : ''}: "${cert.commonName}"${cert.applicationUri ? ` ${cert.applicationUri}` : ''}, SHA-256 ${cert.sha256}`,
    {
      hint:
        `compare that fingerprint with the one the server shows (its web page, log or admin tool); if it matches, trust it with \`iiot pki trust ${prefix}\` ` +
        `(it was saved as ${rejectedFile}), or run once with --trust-on-first-use`,
    },
  );
}
