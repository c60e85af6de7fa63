/**
 * OPC UA's judgement: what GetEndpoints and the --session audit found (security-audit.ts) ->
 * findings of the "opcua-" rules (../security-rules.ts). Pure functions (a clock passed in).
 */
import { inspectCertificate, splitDerChain } from './certificates.js';
import type { EndpointInfo } from './endpoints.js';
import type { OpcUaSessionFacts } from './security-audit.js';
import { finding, judgeCertificate, type CheckFinding } from '../security-judge.js';

const CURRENT_POLICIES = new Set(['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']);

function epName(e: EndpointInfo): string {
  return `${e.securityMode}/${e.securityPolicy}`;
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function isTcpBinary(e: EndpointInfo): boolean {
  return e.transportProfileUri === '' || /uatcp-uasc-uabinary/i.test(e.transportProfileUri);
}

export interface OpcUaJudgeOptions {
  now: number;
  expiryWarningMs: number;
  host: string;
}

/** Rules over one server's GetEndpoints answer. */
export function judgeOpcUaEndpoints(target: string, all: readonly EndpointInfo[], o: OpcUaJudgeOptions): CheckFinding[] {
  const out: CheckFinding[] = [];
  const endpoints = all.filter(isTcpBinary);
  if (endpoints.length === 0) return out;
  const none = endpoints.filter((e) => e.securityMode === 'None');
  if (none.length)
    out.push(
      finding(
        'opcua-mode-none',
        target,
        `offers ${none.length} endpoint${none.length > 1 ? 's' : ''} with security mode None (${uniq(none.map((e) => e.endpointUrl)).join(', ')})`,
        { endpoints: none.map(epName) },
      ),
    );
  const b128 = endpoints.filter((e) => e.securityPolicy === 'Basic128Rsa15');
  if (b128.length)
    out.push(
      finding('opcua-policy-basic128rsa15', target, `offers Basic128Rsa15 on ${uniq(b128.map(epName)).join(', ')}`, {
        endpoints: uniq(b128.map(epName)),
      }),
    );
  const b256 = endpoints.filter((e) => e.securityPolicy === 'Basic256');
  if (b256.length)
    out.push(
      finding('opcua-policy-basic256', target, `offers Basic256 on ${uniq(b256.map(epName)).join(', ')}`, {
        endpoints: uniq(b256.map(epName)),
      }),
    );
  const strong = endpoints.filter((e) => e.securityMode === 'SignAndEncrypt' && CURRENT_POLICIES.has(e.securityPolicy));
  if (strong.length === 0) {
    out.push(
      finding('opcua-no-strong-endpoint', target, `offers only ${uniq(endpoints.map(epName)).join(', ')}`, {
        endpoints: uniq(endpoints.map(epName)),
      }),
    );
  }
  const sign = endpoints.filter((e) => e.securityMode === 'Sign');
  if (sign.length)
    out.push(
      finding('opcua-sign-only', target, `offers Sign without encryption on ${uniq(sign.map(epName)).join(', ')}`, {
        endpoints: uniq(sign.map(epName)),
      }),
    );
  const anon = endpoints.filter((e) => e.userTokens.some((t) => t.type === 'Anonymous'));
  if (anon.length)
    out.push(
      finding('opcua-anonymous-offered', target, `accepts anonymous users on ${uniq(anon.map(epName)).join(', ')}`, {
        endpoints: uniq(anon.map(epName)),
      }),
    );
  // A UserName token is in clear when neither the channel nor the token's own policy encrypts.
  const clear = endpoints.filter(
    (e) =>
      e.securityMode !== 'SignAndEncrypt' &&
      e.userTokens.some((t) => t.type === 'UserName' && (t.securityPolicy ?? e.securityPolicy) === 'None'),
  );
  if (clear.length) {
    out.push(
      finding(
        'opcua-cleartext-password',
        target,
        `accepts user names with passwords in clear text on ${uniq(clear.map(epName)).join(', ')} (no channel encryption, no token security policy)`,
        { endpoints: uniq(clear.map(epName)) },
      ),
    );
  }
  // SecurityLevel: secure endpoints should rank highest.
  const weak = endpoints.filter((e) => e.securityMode !== 'SignAndEncrypt' || !CURRENT_POLICIES.has(e.securityPolicy));
  if (strong.length) {
    const bestStrong = Math.max(...strong.map((e) => e.securityLevel));
    const outranking = weak.filter((e) => e.securityLevel >= bestStrong);
    if (bestStrong === 0 && endpoints.every((e) => e.securityLevel === 0)) {
      out.push(
        finding('opcua-security-level', target, 'every endpoint announces SecurityLevel 0: clients cannot tell the secure ones', {
          levels: Object.fromEntries(endpoints.map((e) => [epName(e), e.securityLevel])),
        }),
      );
    } else if (outranking.length) {
      out.push(
        finding(
          'opcua-security-level',
          target,
          `${uniq(outranking.map((e) => `${epName(e)} (${e.securityLevel})`)).join(', ')} rank${outranking.length === 1 ? 's' : ''} as high as the best secure endpoint (${bestStrong})`,
          {
            levels: Object.fromEntries(endpoints.map((e) => [epName(e), e.securityLevel])),
          },
        ),
      );
    }
  }
  // The server certificate: the same on every endpoint normally; judge each distinct one once.
  const certs = new Map<string, { der: Buffer; uri: string }>();
  for (const e of endpoints) {
    if (!e.serverCertificate) continue;
    const leaf = splitDerChain(e.serverCertificate)[0]!;
    certs.set(leaf.toString('base64'), { der: leaf, uri: e.server.applicationUri });
  }
  for (const { der, uri } of certs.values()) out.push(...judgeCertificate('opcua', target, der, { ...o, applicationUri: uri }));
  return dedupe(out);
}

/** A rule reported twice for one target (two certificates): keep one finding, evidence joined. */
function dedupe(findings: CheckFinding[]): CheckFinding[] {
  const byRule = new Map<string, CheckFinding>();
  for (const f of findings) {
    const prev = byRule.get(f.ruleId);
    if (!prev) byRule.set(f.ruleId, f);
    else if (!prev.evidence.includes(f.evidence)) prev.evidence += `; ${f.evidence}`;
  }
  return [...byRule.values()];
}

/** SHA-256 of the leaf certificate each OPC UA server showed. */
export function leafFingerprint(endpoints: readonly EndpointInfo[]): string | undefined {
  for (const e of endpoints) {
    if (!e.serverCertificate) continue;
    try {
      return inspectCertificate(splitDerChain(e.serverCertificate)[0]!).sha256;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** opcua-cert-shared: one certificate on several servers (different host:port). */
export function judgeSharedCertificates(servers: ReadonlyArray<{ target: string; sha256: string | undefined }>): CheckFinding[] {
  const by = new Map<string, string[]>();
  for (const s of servers) {
    if (!s.sha256) continue;
    const list = by.get(s.sha256) ?? [];
    if (!list.includes(s.target)) list.push(s.target);
    by.set(s.sha256, list);
  }
  const out: CheckFinding[] = [];
  for (const [sha, targets] of by) {
    if (targets.length < 2) continue;
    for (const t of targets) {
      out.push(
        finding(
          'opcua-cert-shared',
          t,
          `the same certificate (SHA-256 ${sha.slice(0, 23)}…) is also served by ${targets.filter((x) => x !== t).join(', ')}`,
          { sha256: sha, servers: targets },
        ),
      );
    }
  }
  return out;
}

export function judgeOpcUaSession(target: string, s: OpcUaSessionFacts): CheckFinding[] {
  const out: CheckFinding[] = [];
  const accepted = s.attempts.filter((a) => a.accepted);
  if (accepted.length) {
    out.push(
      finding(
        'opcua-anonymous-session',
        target,
        `an anonymous session was accepted on ${accepted.map((a) => `${a.securityMode}/${a.securityPolicy}`).join(' and ')}`,
        { attempts: s.attempts },
      ),
    );
  }
  const unknown = s.attempts.filter((a) => a.accepted && a.securityMode !== 'None');
  if (unknown.length) {
    out.push(
      finding(
        'opcua-unknown-client-accepted',
        target,
        `a secure channel (${unknown.map((a) => `${a.securityMode}/${a.securityPolicy}`).join(', ')}) was opened with a throw-away self-signed client certificate the server had never seen`,
        { attempts: unknown },
      ),
    );
  }
  const list = (refs: ReadonlyArray<{ nodeId: string; path: string }>) =>
    refs
      .slice(0, 10)
      .map((r) => `${r.path} (${r.nodeId})`)
      .join(', ') + (refs.length > 10 ? `, and ${refs.length - 10} more` : '');
  if (s.writable.length)
    out.push(
      finding(
        'opcua-anonymous-write',
        target,
        `${s.writable.length} variable${s.writable.length > 1 ? 's' : ''} writable by the anonymous user: ${list(s.writable)}`,
        { count: s.writable.length, nodes: s.writable.slice(0, 100) },
      ),
    );
  const history = s.historyWritable;
  if (history.length)
    out.push(
      finding(
        'opcua-anonymous-history-write',
        target,
        `${history.length} variable${history.length > 1 ? 's' : ''} whose history the anonymous user may change: ${list(history)}`,
        { count: history.length, nodes: history.slice(0, 100) },
      ),
    );
  if (s.executable.length)
    out.push(
      finding(
        'opcua-anonymous-execute',
        target,
        `${s.executable.length} method${s.executable.length > 1 ? 's' : ''} callable by the anonymous user: ${list(s.executable)}`,
        { count: s.executable.length, nodes: s.executable.slice(0, 100) },
      ),
    );
  if (s.auditing === false) out.push(finding('opcua-auditing-off', target, 'Server.Auditing (i=2994) is false', { auditing: false }));
  if (s.buildInfo) {
    const b = s.buildInfo;
    const text = [
      b.manufacturerName,
      b.productName,
      b.softwareVersion && `version ${b.softwareVersion}`,
      b.buildNumber && `build ${b.buildNumber}`,
      b.buildDate && `built ${b.buildDate.slice(0, 10)}`,
    ]
      .filter(Boolean)
      .join(', ');
    out.push(finding('opcua-build-info', target, text || 'BuildInfo is empty', { ...b }));
  }
  return out;
}
