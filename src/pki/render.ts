/**
 * What `iiot pki` prints: certificates as the iiot.pki/1 document has them (docs/json-output.md),
 * iiot's own certificate as key-value lines, and the store as a table.
 */
import type { Styler } from '../render/color.js';
import { renderKeyValues, renderTable } from '../render/table.js';
import type { CertificateInfo } from '../protocols/opcua/certificates.js';
import { PKI_ENV, type OwnCertificate, type StoredCertificate } from '../protocols/opcua/pki.js';

export function certJson(c: CertificateInfo): Record<string, unknown> {
  return {
    subject: c.subject,
    commonName: c.commonName,
    issuer: c.issuer,
    applicationUri: c.applicationUri ?? null,
    sha1: c.sha1,
    sha256: c.sha256,
    notBefore: c.notBefore.toISOString(),
    notAfter: c.notAfter.toISOString(),
    keyType: c.keyType,
    signatureAlgorithm: c.signatureAlgorithm,
    selfSigned: c.selfSigned,
    dnsNames: c.dnsNames,
    ipAddresses: c.ipAddresses,
  };
}

const shortFp = (fp: string) => fp.replace(/:/g, '').slice(0, 16).toLowerCase();

/** iiot's own certificate; `fromEnv`: the folder was chosen by $IIOT_PKI_DIR. */
export function renderShow(own: OwnCertificate, root: string, fromEnv: boolean): string {
  const c = own.info;
  return renderKeyValues([
    ['PKI folder', `${root}${fromEnv ? ` (from $${PKI_ENV})` : ''}`],
    ['certificate', own.file],
    ['private key', own.privateKeyFile],
    ['subject', c.subject],
    ['application URI', c.applicationUri ?? ''],
    ['SHA-1', c.sha1],
    ['SHA-256', c.sha256],
    ['valid', `${c.notBefore.toISOString().slice(0, 10)} to ${c.notAfter.toISOString().slice(0, 10)}`],
    ['key', `${c.keyType}, ${c.signatureAlgorithm}`],
  ]);
}

/** The server certificates of the store; `now` decides which have expired. */
export function renderList(certs: StoredCertificate[], now: number, style: Styler): string {
  return renderTable(certs, [
    {
      header: 'status',
      value: (c: StoredCertificate) =>
        c.folder === 'trusted' ? style.green(c.folder) : c.folder === 'rejected' ? style.yellow(c.folder) : c.folder,
    },
    { header: 'name', value: (c) => c.info.commonName },
    { header: 'application URI', value: (c) => c.info.applicationUri ?? '' },
    { header: 'SHA-1', value: (c) => shortFp(c.info.sha1) },
    {
      header: 'expires',
      value: (c) =>
        c.info.notAfter.getTime() < now
          ? style.red(`${c.info.notAfter.toISOString().slice(0, 10)} (expired)`)
          : c.info.notAfter.toISOString().slice(0, 10),
    },
  ]);
}
