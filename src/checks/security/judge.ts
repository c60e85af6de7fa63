/**
 * The judgement: facts the protocol audits gathered -> findings. Pure functions (a clock passed
 * in), so every rule is tested on plain data as well as against real servers.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { inspectCertificate, splitDerChain, type CertificateInfo } from '../../protocols/opcua/certificates.js';
import type { EndpointInfo } from '../../protocols/opcua/endpoints.js';
import type { OpcUaSessionFacts } from '../../protocols/opcua/security-audit.js';
import type { ModbusAuditFacts } from '../../protocols/modbus/security-audit.js';
import type { MqttAuditFacts } from '../../protocols/mqtt/security-audit.js';
import type { Finding } from '../../protocols/types.js';
import { rule } from './rules.js';

export interface CheckFinding extends Finding {
  /** machine-readable evidence (JSON output) */
  data?: Record<string, unknown> | undefined;
}

export function finding(ruleId: string, target: string, evidence: string, data?: Record<string, unknown>): CheckFinding {
  const r = rule(ruleId);
  return { ruleId, severity: r.severity, target, title: r.title, evidence, remedy: r.remedy, ...(data === undefined ? {} : { data }) };
}

const CURRENT_POLICIES = new Set(['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss']);
const DAY = 86_400_000;

function epName(e: EndpointInfo): string {
  return `${e.securityMode}/${e.securityPolicy}`;
}

function uniq(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

function isTcpBinary(e: EndpointInfo): boolean {
  return e.transportProfileUri === '' || /uatcp-uasc-uabinary/i.test(e.transportProfileUri);
}

export interface CertJudgeOptions {
  now: number;
  /** warn when fewer than this many ms are left */
  expiryWarningMs: number;
  /** host the target was reached at (name or IP) */
  host: string;
  /** the ApplicationUri the certificate must carry (OPC UA) */
  applicationUri?: string | undefined;
}

/** The certificate rules shared by OPC UA (prefix "opcua") and MQTT over TLS (prefix "mqtt-tls"). */
export function judgeCertificate(prefix: 'opcua' | 'mqtt-tls', target: string, der: Buffer, o: CertJudgeOptions): CheckFinding[] {
  const out: CheckFinding[] = [];
  let info: CertificateInfo;
  let x: X509Certificate;
  try {
    info = inspectCertificate(der);
    x = new X509Certificate(der);
  } catch {
    return out;
  }
  const id = `"${info.commonName}" (SHA-256 ${info.sha256.slice(0, 23)}…)`;
  const data = { subject: info.subject, sha256: info.sha256, notBefore: info.notBefore.toISOString(), notAfter: info.notAfter.toISOString() };
  const left = info.notAfter.getTime() - o.now;
  if (left < 0) out.push(finding(`${prefix}-cert-expired`, target, `certificate ${id} expired on ${info.notAfter.toISOString()}`, data));
  else if (left < o.expiryWarningMs) {
    const days = left / DAY;
    out.push(finding(`${prefix}-cert-expiring`, target, `certificate ${id} expires on ${info.notAfter.toISOString()}, in ${days < 2 ? `${Math.round(days * 24)} hours` : `${Math.floor(days)} days`}`, { ...data, daysLeft: Number(days.toFixed(2)) }));
  }
  // Five minutes of grace: a certificate issued a moment ago on a server whose clock is slightly ahead.
  if (info.notBefore.getTime() > o.now + 5 * 60_000) out.push(finding(`${prefix}-cert-not-yet-valid`, target, `certificate ${id} is valid only from ${info.notBefore.toISOString()}`, data));
  const kind = info.keyType.split(' ')[0];
  const weakKey = kind === 'RSA' ? (info.keyBits ?? 0) < 2048 : kind === 'EC' ? /(192|224)/.test(info.keyType) || /secp160|secp112|secp128/.test(info.keyType) : false;
  if (weakKey) out.push(finding(`${prefix}-cert-weak-key`, target, `certificate ${id} has a ${info.keyType}${kind === 'RSA' ? '-bit' : ''} key`, { ...data, key: info.keyType }));
  if (/^(md5|sha1|md2)/i.test(info.signatureAlgorithm) || /SHA1$/i.test(info.signatureAlgorithm)) {
    out.push(finding(`${prefix}-cert-weak-signature`, target, `certificate ${id} is signed with ${info.signatureAlgorithm}`, { ...data, signatureAlgorithm: info.signatureAlgorithm }));
  }
  const host = o.host.replace(/^\[|\]$/g, '');
  const named = isIP(host) ? x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
  // "localhost" is a host name even on loopback; an IP is checked against IP addresses only.
  if (!named) {
    out.push(
      finding(`${prefix}-cert-host-mismatch`, target, `certificate ${id} names ${[...info.dnsNames.map((d) => `DNS:${d}`), ...info.ipAddresses.map((i) => `IP:${i}`)].join(', ') || 'no host'}, not ${host}`, {
        ...data,
        dnsNames: info.dnsNames,
        ipAddresses: info.ipAddresses,
      }),
    );
  }
  if (prefix === 'opcua') {
    if (o.applicationUri !== undefined && o.applicationUri !== '' && info.applicationUri !== o.applicationUri) {
      out.push(
        finding('opcua-cert-uri-mismatch', target, `certificate ${id} carries ${info.applicationUri === undefined ? 'no URI' : `URI ${info.applicationUri}`}; the server announces ApplicationUri ${o.applicationUri}`, {
          ...data,
          certificateUri: info.applicationUri ?? null,
          applicationUri: o.applicationUri,
        }),
      );
    }
    if (info.selfSigned) out.push(finding('opcua-cert-self-signed', target, `certificate ${id} is self-signed`, data));
  }
  return out;
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
  if (none.length) out.push(finding('opcua-mode-none', target, `offers ${none.length} endpoint${none.length > 1 ? 's' : ''} with security mode None (${uniq(none.map((e) => e.endpointUrl)).join(', ')})`, { endpoints: none.map(epName) }));
  const b128 = endpoints.filter((e) => e.securityPolicy === 'Basic128Rsa15');
  if (b128.length) out.push(finding('opcua-policy-basic128rsa15', target, `offers Basic128Rsa15 on ${uniq(b128.map(epName)).join(', ')}`, { endpoints: uniq(b128.map(epName)) }));
  const b256 = endpoints.filter((e) => e.securityPolicy === 'Basic256');
  if (b256.length) out.push(finding('opcua-policy-basic256', target, `offers Basic256 on ${uniq(b256.map(epName)).join(', ')}`, { endpoints: uniq(b256.map(epName)) }));
  const strong = endpoints.filter((e) => e.securityMode === 'SignAndEncrypt' && CURRENT_POLICIES.has(e.securityPolicy));
  if (strong.length === 0) {
    out.push(finding('opcua-no-strong-endpoint', target, `offers only ${uniq(endpoints.map(epName)).join(', ')}`, { endpoints: uniq(endpoints.map(epName)) }));
  }
  const sign = endpoints.filter((e) => e.securityMode === 'Sign');
  if (sign.length) out.push(finding('opcua-sign-only', target, `offers Sign without encryption on ${uniq(sign.map(epName)).join(', ')}`, { endpoints: uniq(sign.map(epName)) }));
  const anon = endpoints.filter((e) => e.userTokens.some((t) => t.type === 'Anonymous'));
  if (anon.length) out.push(finding('opcua-anonymous-offered', target, `accepts anonymous users on ${uniq(anon.map(epName)).join(', ')}`, { endpoints: uniq(anon.map(epName)) }));
  // A UserName token is in clear when neither the channel nor the token's own policy encrypts.
  const clear = endpoints.filter(
    (e) =>
      e.securityMode !== 'SignAndEncrypt' &&
      e.userTokens.some((t) => t.type === 'UserName' && (t.securityPolicy ?? e.securityPolicy) === 'None'),
  );
  if (clear.length) {
    out.push(finding('opcua-cleartext-password', target, `accepts user names with passwords in clear text on ${uniq(clear.map(epName)).join(', ')} (no channel encryption, no token security policy)`, { endpoints: uniq(clear.map(epName)) }));
  }
  // SecurityLevel: secure endpoints should rank highest.
  const weak = endpoints.filter((e) => e.securityMode !== 'SignAndEncrypt' || !CURRENT_POLICIES.has(e.securityPolicy));
  if (strong.length) {
    const bestStrong = Math.max(...strong.map((e) => e.securityLevel));
    const outranking = weak.filter((e) => e.securityLevel >= bestStrong);
    if (bestStrong === 0 && endpoints.every((e) => e.securityLevel === 0)) {
      out.push(finding('opcua-security-level', target, 'every endpoint announces SecurityLevel 0: clients cannot tell the secure ones', { levels: Object.fromEntries(endpoints.map((e) => [epName(e), e.securityLevel])) }));
    } else if (outranking.length) {
      out.push(
        finding('opcua-security-level', target, `${uniq(outranking.map((e) => `${epName(e)} (${e.securityLevel})`)).join(', ')} rank${outranking.length === 1 ? 's' : ''} as high as the best secure endpoint (${bestStrong})`, {
          levels: Object.fromEntries(endpoints.map((e) => [epName(e), e.securityLevel])),
        }),
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
      out.push(finding('opcua-cert-shared', t, `the same certificate (SHA-256 ${sha.slice(0, 23)}…) is also served by ${targets.filter((x) => x !== t).join(', ')}`, { sha256: sha, servers: targets }));
    }
  }
  return out;
}

export function judgeOpcUaSession(target: string, s: OpcUaSessionFacts): CheckFinding[] {
  const out: CheckFinding[] = [];
  const accepted = s.attempts.filter((a) => a.accepted);
  if (accepted.length) {
    out.push(finding('opcua-anonymous-session', target, `an anonymous session was accepted on ${accepted.map((a) => `${a.securityMode}/${a.securityPolicy}`).join(' and ')}`, { attempts: s.attempts }));
  }
  const unknown = s.attempts.filter((a) => a.accepted && a.securityMode !== 'None');
  if (unknown.length) {
    out.push(finding('opcua-unknown-client-accepted', target, `a secure channel (${unknown.map((a) => `${a.securityMode}/${a.securityPolicy}`).join(', ')}) was opened with a throw-away self-signed client certificate the server had never seen`, { attempts: unknown }));
  }
  const list = (refs: ReadonlyArray<{ nodeId: string; path: string }>) => refs.slice(0, 10).map((r) => `${r.path} (${r.nodeId})`).join(', ') + (refs.length > 10 ? `, and ${refs.length - 10} more` : '');
  if (s.writable.length) out.push(finding('opcua-anonymous-write', target, `${s.writable.length} variable${s.writable.length > 1 ? 's' : ''} writable by the anonymous user: ${list(s.writable)}`, { count: s.writable.length, nodes: s.writable.slice(0, 100) }));
  const history = s.historyWritable;
  if (history.length) out.push(finding('opcua-anonymous-history-write', target, `${history.length} variable${history.length > 1 ? 's' : ''} whose history the anonymous user may change: ${list(history)}`, { count: history.length, nodes: history.slice(0, 100) }));
  if (s.executable.length) out.push(finding('opcua-anonymous-execute', target, `${s.executable.length} method${s.executable.length > 1 ? 's' : ''} callable by the anonymous user: ${list(s.executable)}`, { count: s.executable.length, nodes: s.executable.slice(0, 100) }));
  if (s.auditing === false) out.push(finding('opcua-auditing-off', target, 'Server.Auditing (i=2994) is false', { auditing: false }));
  if (s.buildInfo) {
    const b = s.buildInfo;
    const text = [b.manufacturerName, b.productName, b.softwareVersion && `version ${b.softwareVersion}`, b.buildNumber && `build ${b.buildNumber}`, b.buildDate && `built ${b.buildDate.slice(0, 10)}`].filter(Boolean).join(', ');
    out.push(finding('opcua-build-info', target, text || 'BuildInfo is empty', { ...b }));
  }
  return out;
}

export interface MqttJudgeOptions {
  now: number;
  expiryWarningMs: number;
  host: string;
  tls: boolean;
  /** a mqtts:// target on the same host was checked too */
  tlsSiblingChecked: boolean;
}

export function judgeMqtt(target: string, f: MqttAuditFacts, o: MqttJudgeOptions): CheckFinding[] {
  const out: CheckFinding[] = [];
  if (!o.tls) {
    out.push(finding('mqtt-plaintext', target, `${target} accepts MQTT connections without TLS`));
    if (!o.tlsSiblingChecked) out.push(finding('mqtt-no-tls', target, `no mqtts:// listener on ${o.host} was among the targets checked`));
  }
  if (f.anonymous.accepted) out.push(finding('mqtt-anonymous', target, 'a CONNECT without user name and password was accepted (CONNACK 0); iiot disconnected at once'));
  for (const s of f.subscriptions) {
    if (!s.granted) continue;
    const who = s.as === 'anonymous' ? 'an anonymous client' : 'the given user';
    const seen = `${s.topics} topic${s.topics === 1 ? '' : 's'} in ${(s.listenedMs / 1000).toFixed(1)} s${s.examples.length ? `, e.g. ${s.examples.join(', ')}` : ''} (payloads not kept)`;
    const data = { filter: s.filter, topics: s.topics, messages: s.messages, examples: s.examples, as: s.as };
    if (s.filter === '$SYS/#') out.push(finding('mqtt-sys-readable', target, `${who} may subscribe to $SYS/#: ${seen}`, data));
    if (s.filter === '#') out.push(finding(s.as === 'anonymous' ? 'mqtt-wildcard-subscribe' : 'mqtt-user-wildcard-subscribe', target, `${who} may subscribe to #: ${seen}`, data));
  }
  if (f.tls) {
    const t = f.tls;
    if (t.protocol === 'TLSv1' || t.protocol === 'TLSv1.1' || t.protocol === 'SSLv3') out.push(finding('mqtt-tls-old-protocol', target, `negotiated ${t.protocol} (${t.cipher ?? 'cipher unknown'})`, { protocol: t.protocol }));
    const leaf = t.chain[0];
    if (leaf) {
      out.push(...judgeCertificate('mqtt-tls', target, leaf, { now: o.now, expiryWarningMs: o.expiryWarningMs, host: o.host }));
      if (t.authorizationError !== undefined) {
        out.push(finding('mqtt-tls-untrusted', target, `the certificate chain does not verify: ${t.authorizationError}`, { authorizationError: t.authorizationError }));
      }
    }
  }
  return out;
}

export function judgeModbus(target: string, f: ModbusAuditFacts): CheckFinding[] {
  const out: CheckFinding[] = [];
  if (f.read.answered) {
    out.push(
      finding('modbus-unauthenticated', target, `unit ${f.unit} answered a one-register read ${f.read.exception ? `with ${f.read.exception}` : 'with data'}, without any authentication`, {
        unit: f.unit,
        ...(f.read.exception ? { exception: f.read.exception } : {}),
      }),
    );
  }
  const id = f.identification;
  if (id && 'objects' in id && Object.keys(id.objects).length > 0) {
    const names: Record<number, string> = { 0: 'vendor', 1: 'product code', 2: 'revision', 3: 'URL', 4: 'product name', 5: 'model name', 6: 'application name' };
    const text = Object.entries(id.objects)
      .map(([k, v]) => `${names[Number(k)] ?? `object ${k}`} "${v}"`)
      .join(', ');
    out.push(finding('modbus-device-id', target, `function 43/14 returned ${text}`, { objects: id.objects }));
  }
  if (f.sweep) {
    out.push(
      finding('modbus-unit-ids', target, `${f.sweep.answering.length} of ${f.sweep.tried} unit ids answered${f.sweep.answering.length ? `: ${f.sweep.answering.map((a) => `${a.unit}${a.answer === 'data' ? '' : ` (${a.answer})`}`).join(', ')}` : ''}${f.sweep.lostConnection ? `; the sweep stopped: ${f.sweep.lostConnection}` : ''}`, {
        tried: f.sweep.tried,
        answering: f.sweep.answering,
      }),
    );
  }
  return out;
}
