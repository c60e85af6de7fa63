/**
 * `iiot pki show|list|trust|reject`: iiot's own certificate store. Only `show` may load
 * node-opcua (to create the certificate on first use); the others are file operations.
 */
import { ExitCode } from '../../core/exit-codes.js';
import { emitJson, info, out, type IO } from '../../core/io.js';
import { renderKeyValues, renderTable } from '../../render/table.js';
import type { CertificateInfo } from './certificates.js';
import { sessionIO } from './cli-io.js';
import { defaultPkiDir, PKI_ENV, Pki, type StoredCertificate } from './pki.js';

function certJson(c: CertificateInfo): Record<string, unknown> {
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

export async function runPkiShow(io: IO): Promise<number> {
  sessionIO(io);
  const pki = new Pki(defaultPkiDir(io.env));
  try {
    const own = await pki.ownCertificate();
    if (own.created) info(io, `created iiot's application certificate in ${pki.paths.root}`);
    if (io.json) {
      emitJson(io, 'iiot.pki/1', { action: 'show', pki: pki.paths.root, certificate: { file: own.file, privateKeyFile: own.privateKeyFile, ...certJson(own.info) } });
      return ExitCode.Ok;
    }
    const c = own.info;
    out(
      io,
      renderKeyValues([
        ['PKI folder', `${pki.paths.root}${io.env[PKI_ENV] ? ` (from $${PKI_ENV})` : ''}`],
        ['certificate', own.file],
        ['private key', own.privateKeyFile],
        ['subject', c.subject],
        ['application URI', c.applicationUri ?? ''],
        ['SHA-1', c.sha1],
        ['SHA-256', c.sha256],
        ['valid', `${c.notBefore.toISOString().slice(0, 10)} to ${c.notAfter.toISOString().slice(0, 10)}`],
        ['key', `${c.keyType}, ${c.signatureAlgorithm}`],
      ]),
    );
    out(io, `\nA server that refuses iiot (BadSecurityChecksFailed) must trust this certificate: copy\n  ${own.file}\ninto the server's trusted certificates folder (or accept it in the server's "rejected" list).`);
    return ExitCode.Ok;
  } finally {
    await pki.close();
  }
}

export async function runPkiList(io: IO): Promise<number> {
  const pki = new Pki(defaultPkiDir(io.env));
  const certs = pki.list();
  if (io.json) {
    emitJson(io, 'iiot.pki/1', { action: 'list', pki: pki.paths.root, certificates: certs.map((c) => ({ status: c.folder, file: c.file, ...certJson(c.info) })) });
    return ExitCode.Ok;
  }
  if (certs.length === 0) {
    out(io, `no server certificates in ${pki.paths.root} yet`);
    info(io, 'a server certificate lands in rejected/ the first time iiot refuses it; trust it with `iiot pki trust <fingerprint>`');
    return ExitCode.Ok;
  }
  const now = Date.now();
  out(
    io,
    renderTable(certs, [
      { header: 'status', value: (c: StoredCertificate) => (c.folder === 'trusted' ? io.style.green(c.folder) : c.folder === 'rejected' ? io.style.yellow(c.folder) : c.folder) },
      { header: 'name', value: (c) => c.info.commonName },
      { header: 'application URI', value: (c) => c.info.applicationUri ?? '' },
      { header: 'SHA-1', value: (c) => shortFp(c.info.sha1) },
      { header: 'expires', value: (c) => (c.info.notAfter.getTime() < now ? io.style.red(`${c.info.notAfter.toISOString().slice(0, 10)} (expired)`) : c.info.notAfter.toISOString().slice(0, 10)) },
    ]),
  );
  info(io, `${pki.paths.root}`);
  return ExitCode.Ok;
}

export async function runPkiMove(io: IO, action: 'trust' | 'reject', selector: string): Promise<number> {
  const pki = new Pki(defaultPkiDir(io.env));
  const before = pki.find(selector);
  const result = action === 'trust' ? pki.trust(selector) : pki.reject(selector);
  const wasAlready = before.some((c) => c.info.sha1 === result.info.sha1 && c.folder === result.folder);
  if (io.json) {
    emitJson(io, 'iiot.pki/1', { action, pki: pki.paths.root, changed: !wasAlready, certificate: { status: result.folder, file: result.file, ...certJson(result.info) } });
    return ExitCode.Ok;
  }
  const name = `"${result.info.commonName}"${result.info.applicationUri ? ` (${result.info.applicationUri})` : ''}`;
  if (wasAlready) out(io, `${name} was already ${action === 'trust' ? 'trusted' : 'rejected'}`);
  else out(io, `${action === 'trust' ? 'trusted' : 'rejected'} ${name}`);
  out(io, `  SHA-256 ${result.info.sha256}\n  ${result.file}`);
  return ExitCode.Ok;
}
