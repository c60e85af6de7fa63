/**
 * What a person (or a security check) needs to know about an X.509 certificate, read with
 * node:crypto alone: no node-opcua import, so `iiot pki list` and the security checks of
 * `iiot check security` stay cheap. Fingerprints are written the way OPC UA tools show them
 * (hex, upper case, colon separated) so users can compare them with UaExpert, a PLC's web page or
 * `openssl x509 -fingerprint`.
 */
import { X509Certificate } from 'node:crypto';

export interface CertificateInfo {
  /** SHA-1 over the DER, "AB:CD:..." (what OPC UA calls the thumbprint) */
  sha1: string;
  /** SHA-256 over the DER, "AB:CD:..." */
  sha256: string;
  subject: string;
  /** the CN of the subject, or the whole subject when there is none */
  commonName: string;
  issuer: string;
  selfSigned: boolean;
  notBefore: Date;
  notAfter: Date;
  /** the ApplicationUri an OPC UA application certificate must carry in subjectAltName */
  applicationUri: string | undefined;
  dnsNames: string[];
  ipAddresses: string[];
  /** key algorithm and size: "RSA 2048", "EC prime256v1" */
  keyType: string;
  keyBits: number | undefined;
  /** "sha256WithRSAEncryption", "sha1WithRSAEncryption", ... (or the OID when unknown) */
  signatureAlgorithm: string;
  serialNumber: string;
  isCA: boolean;
}

/** Splits a concatenation of DER certificates (OPC UA sends chains as one ByteString). */
export function splitDerChain(der: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let pos = 0;
  while (pos < der.length) {
    const len = derElementLength(der, pos);
    if (len === undefined || pos + len > der.length) break;
    out.push(der.subarray(pos, pos + len));
    pos += len;
  }
  return out.length ? out : [der];
}

/** Total length (header + content) of the DER element at `pos`. */
function derElementLength(buf: Buffer, pos: number): number | undefined {
  if (pos + 2 > buf.length) return undefined;
  const first = buf[pos + 1]!;
  if (first < 0x80) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4 || pos + 2 + n > buf.length) return undefined;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf[pos + 2 + i]!;
  return 2 + n + len;
}

/** Accepts DER or PEM (one certificate, or the first of several). */
export function toDer(data: Buffer | string): Buffer {
  const text = typeof data === 'string' ? data : data.subarray(0, 64).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const pem = typeof data === 'string' ? data : data.toString('latin1');
    const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
    if (!m) throw new Error('no CERTIFICATE block in the PEM text');
    return Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
  }
  return typeof data === 'string' ? Buffer.from(data, 'binary') : data;
}

export function toPem(der: Buffer): string {
  const b64 = der
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '');
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}

const SIGNATURE_OIDS: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'md5WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'rsassaPss',
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256',
  '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.10045.4.1': 'ecdsa-with-SHA1',
};

/**
 * The signatureAlgorithm of a certificate: Certificate ::= SEQUENCE { tbs, sigAlg, sig }.
 * node:crypto does not expose it on Node 22, and the security checks need to see SHA-1 and MD5.
 */
export function signatureAlgorithmOid(der: Buffer): string | undefined {
  const header = (pos: number): { content: number; end: number } | undefined => {
    const total = derElementLength(der, pos);
    if (total === undefined) return undefined;
    const first = der[pos + 1]!;
    const hl = first < 0x80 ? 2 : 2 + (first & 0x7f);
    return { content: pos + hl, end: pos + total };
  };
  const cert = header(0);
  if (!cert) return undefined;
  const tbs = header(cert.content);
  if (!tbs) return undefined;
  const alg = header(tbs.end);
  if (!alg || der[alg.content] !== 0x06) return undefined;
  const oid = header(alg.content);
  if (!oid) return undefined;
  return decodeOid(der.subarray(oid.content, oid.end));
}

function decodeOid(bytes: Buffer): string {
  if (bytes.length === 0) return '';
  const parts = [Math.floor(bytes[0]! / 40), bytes[0]! % 40];
  let value = 0;
  for (let i = 1; i < bytes.length; i++) {
    value = value * 128 + (bytes[i]! & 0x7f);
    if ((bytes[i]! & 0x80) === 0) {
      parts.push(value);
      value = 0;
    }
  }
  return parts.join('.');
}

/** "AB:CD:..." from any spelling the user may paste ("abcd...", "AB CD ...", "ab:cd:..."). */
export function normaliseFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  return hex.replace(/(..)(?!$)/g, '$1:');
}

export function inspectCertificate(data: Buffer | string): CertificateInfo {
  const der = toDer(data);
  const x = new X509Certificate(der);
  const san = x.subjectAltName ?? '';
  const sanParts = splitSan(san);
  const uri = sanParts.find((p) => p.startsWith('URI:'))?.slice(4);
  const details = x.publicKey.asymmetricKeyDetails;
  const keyKind = x.publicKey.asymmetricKeyType ?? 'unknown';
  const keyBits = details?.modulusLength;
  const oid = signatureAlgorithmOid(der);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1];
  return {
    sha1: x.fingerprint,
    sha256: x.fingerprint256,
    subject: x.subject.replace(/\n/g, ', '),
    commonName: cn ?? x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    selfSigned: x.subject === x.issuer && safeVerify(x),
    notBefore: new Date(x.validFrom),
    notAfter: new Date(x.validTo),
    applicationUri: uri,
    dnsNames: sanParts.filter((p) => p.startsWith('DNS:')).map((p) => p.slice(4)),
    ipAddresses: sanParts.filter((p) => p.startsWith('IP Address:')).map((p) => p.slice(11)),
    keyType: keyKind === 'rsa' ? `RSA ${keyBits ?? '?'}` : keyKind === 'ec' ? `EC ${details?.namedCurve ?? ''}`.trim() : keyKind,
    keyBits,
    signatureAlgorithm: oid === undefined ? 'unknown' : (SIGNATURE_OIDS[oid] ?? oid),
    serialNumber: x.serialNumber,
    isCA: x.ca,
  };
}

function safeVerify(x: X509Certificate): boolean {
  try {
    return x.verify(x.publicKey);
  } catch {
    return false;
  }
}

/** subjectAltName is "DNS:a, URI:urn:x, IP Address:1.2.3.4"; URIs may contain commas when quoted. */
function splitSan(san: string): string[] {
  const out: string[] = [];
  const re = /(DNS|URI|IP Address|email|DirName|Registered ID|othername):("(?:[^"\\]|\\.)*"|[^,]*)(?:,\s*|$)/g;
  for (const m of san.matchAll(re)) {
    let v = m[2]!;
    if (v.startsWith('"')) v = JSON.parse(v) as string;
    out.push(`${m[1]}:${v}`);
  }
  return out;
}

/** A file name for a certificate in a PKI folder, the way node-opcua names them: "<CN>[<sha1 hex>].pem". */
export function certificateFileName(info: CertificateInfo): string {
  const cn =
    info.commonName
      .normalize('NFKC')
      .replace(/[^A-Za-z0-9._ -]/g, '_')
      .replace(/[^\x20-\x7E]/g, '')
      .slice(0, 64) || 'certificate';
  return `${cn}[${info.sha1.replace(/:/g, '').toLowerCase()}].pem`;
}
