/**
 * The judgement shared by the protocols: a finding made from a rule of the catalogue
 * (security-rules.ts), and the certificate rules of OPC UA (prefix "opcua") and MQTT over TLS
 * (prefix "mqtt-tls"). Each protocol judges its own facts in <name>/security-judge.ts. Pure
 * functions (a clock passed in), so every rule is tested on plain data as well as against real
 * servers.
 */
import { X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { inspectCertificate, type CertificateInfo } from './opcua/certificates.js';
import { rule, RULES_BY_ID } from './security-rules.js';
import type { Finding } from './types.js';

export interface CheckFinding extends Finding {
  /** machine-readable evidence (JSON output) */
  data?: Record<string, unknown> | undefined;
}

export function finding(ruleId: string, target: string, evidence: string, data?: Record<string, unknown>): CheckFinding {
  const r = rule(ruleId);
  return { ruleId, severity: r.severity, target, title: r.title, evidence, remedy: r.remedy, ...(data === undefined ? {} : { data }) };
}

const DAY = 86_400_000;

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
  const data = {
    subject: info.subject,
    sha256: info.sha256,
    notBefore: info.notBefore.toISOString(),
    notAfter: info.notAfter.toISOString(),
  };
  const left = info.notAfter.getTime() - o.now;
  if (left < 0) out.push(finding(`${prefix}-cert-expired`, target, `certificate ${id} expired on ${info.notAfter.toISOString()}`, data));
  else if (left < o.expiryWarningMs) {
    const days = left / DAY;
    out.push(
      finding(
        `${prefix}-cert-expiring`,
        target,
        `certificate ${id} expires on ${info.notAfter.toISOString()}, in ${days < 2 ? `${Math.round(days * 24)} hours` : `${Math.floor(days)} days`}`,
        { ...data, daysLeft: Number(days.toFixed(2)) },
      ),
    );
  }
  // Five minutes of grace: a certificate issued a moment ago on a server whose clock is slightly ahead.
  if (info.notBefore.getTime() > o.now + 5 * 60_000)
    out.push(finding(`${prefix}-cert-not-yet-valid`, target, `certificate ${id} is valid only from ${info.notBefore.toISOString()}`, data));
  const kind = info.keyType.split(' ')[0];
  const weakKey =
    kind === 'RSA'
      ? (info.keyBits ?? 0) < 2048
      : kind === 'EC'
        ? /(192|224)/.test(info.keyType) || /secp160|secp112|secp128/.test(info.keyType)
        : false;
  if (weakKey)
    out.push(
      finding(`${prefix}-cert-weak-key`, target, `certificate ${id} has a ${info.keyType}${kind === 'RSA' ? '-bit' : ''} key`, {
        ...data,
        key: info.keyType,
      }),
    );
  if (/^(md5|sha1|md2)/i.test(info.signatureAlgorithm) || /SHA1$/i.test(info.signatureAlgorithm)) {
    out.push(
      finding(`${prefix}-cert-weak-signature`, target, `certificate ${id} is signed with ${info.signatureAlgorithm}`, {
        ...data,
        signatureAlgorithm: info.signatureAlgorithm,
      }),
    );
  }
  const host = o.host.replace(/^\[|\]$/g, '');
  const named = isIP(host) ? x.checkIP(host) !== undefined : x.checkHost(host) !== undefined;
  // "localhost" is a host name even on loopback; an IP is checked against IP addresses only.
  if (!named) {
    out.push(
      finding(
        `${prefix}-cert-host-mismatch`,
        target,
        `certificate ${id} names ${[...info.dnsNames.map((d) => `DNS:${d}`), ...info.ipAddresses.map((i) => `IP:${i}`)].join(', ') || 'no host'}, not ${host}`,
        {
          ...data,
          dnsNames: info.dnsNames,
          ipAddresses: info.ipAddresses,
        },
      ),
    );
  }
  // Rules only some prefixes have (OPC UA: the ApplicationUri in the certificate, self-signed).
  if (RULES_BY_ID.has(`${prefix}-cert-uri-mismatch`)) {
    if (o.applicationUri !== undefined && o.applicationUri !== '' && info.applicationUri !== o.applicationUri) {
      out.push(
        finding(
          `${prefix}-cert-uri-mismatch`,
          target,
          `certificate ${id} carries ${info.applicationUri === undefined ? 'no URI' : `URI ${info.applicationUri}`}; the server announces ApplicationUri ${o.applicationUri}`,
          {
            ...data,
            certificateUri: info.applicationUri ?? null,
            applicationUri: o.applicationUri,
          },
        ),
      );
    }
  }
  if (RULES_BY_ID.has(`${prefix}-cert-self-signed`) && info.selfSigned)
    out.push(finding(`${prefix}-cert-self-signed`, target, `certificate ${id} is self-signed`, data));
  return out;
}
