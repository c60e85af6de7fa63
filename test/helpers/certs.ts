import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

// Certificates made on the spot for one test run: never a committed key.

export interface MadeCert {
  certFile: string;
  keyFile: string;
  pem: string;
  der: Buffer;
}

function derOf(pem: string): Buffer {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  return Buffer.from(m![1]!.replace(/\s+/g, ''), 'base64');
}

/** A self-signed certificate from openssl: key size, digest and subjectAltName as asked. */
export function opensslCert(
  dir: string,
  name: string,
  o: { bits?: number; digest?: 'sha1' | 'sha256'; days?: number; san?: string; cn?: string } = {},
): MadeCert {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      `rsa:${o.bits ?? 2048}`,
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      certFile,
      `-${o.digest ?? 'sha256'}`,
      '-days',
      String(o.days ?? 365),
      '-subj',
      `/CN=${o.cn ?? name}`,
      ...(o.san ? ['-addext', `subjectAltName=${o.san}`] : []),
    ],
    { stdio: 'ignore' },
  );
  const pem = execFileSync('cat', [certFile], { encoding: 'utf8' });
  return { certFile, keyFile, pem, der: derOf(pem) };
}

/**
 * A self-signed certificate with any validity window (expired, not yet valid), from node-opcua's
 * crypto utilities (openssl 3.0's `req` cannot backdate).
 */
export async function windowCert(
  dir: string,
  name: string,
  o: { notBefore: Date; notAfter: Date; applicationUri?: string; dns?: string[]; ip?: string[]; bits?: 1024 | 2048 },
): Promise<MadeCert> {
  const { crypto_utils: cu } = await import('node-opcua-client');
  const key = await cu.generatePrivateKey(o.bits ?? 2048);
  const { cert } = await cu.createSelfSignedCertificate({
    privateKey: key,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    subject: `/CN=${name}`,
    ...(o.applicationUri ? { applicationUri: o.applicationUri } : {}),
    dns: o.dns ?? ['localhost'],
    ip: o.ip ?? ['127.0.0.1'],
    purpose: cu.CertificatePurpose.ForApplication,
  });
  const { privPem } = await cu.privateKeyToPEM(key);
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  writeFileSync(keyFile, privPem, { mode: 0o600 });
  writeFileSync(certFile, cert);
  return { certFile, keyFile, pem: cert, der: derOf(cert) };
}
