/**
 * `iiot pki show|list|trust|reject`: iiot's own certificate store. Only `show` may load
 * node-opcua (to create the certificate on first use); the others are file operations. What is
 * printed is shaped in render.ts.
 */
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, info, out, type IO } from '../core/io.js';
import { sessionIO } from '../protocols/opcua/session-io.js';
import { defaultPkiDir, PKI_ENV, Pki } from '../protocols/opcua/pki.js';
import type { PkiOptions } from './options.js';
import { certJson, renderList, renderShow } from './render.js';

export async function run(io: IO, o: PkiOptions): Promise<number> {
  switch (o.action) {
    case 'show':
      return runPkiShow(io);
    case 'list':
      return runPkiList(io);
    case 'trust':
    case 'reject':
      return runPkiMove(io, o.action, o.certificate);
  }
}

async function runPkiShow(io: IO): Promise<number> {
  sessionIO(io);
  const pki = new Pki(defaultPkiDir(io.env));
  try {
    const own = await pki.ownCertificate();
    if (own.created) info(io, `created iiot's application certificate in ${pki.paths.root}`);
    if (io.json) {
      emitJson(io, 'iiot.pki/1', {
        action: 'show',
        pki: pki.paths.root,
        certificate: { file: own.file, privateKeyFile: own.privateKeyFile, ...certJson(own.info) },
      });
      return ExitCode.Ok;
    }
    out(io, renderShow(own, pki.paths.root, Boolean(io.env[PKI_ENV])));
    out(
      io,
      `\nA server that refuses iiot (BadSecurityChecksFailed) must trust this certificate: copy\n  ${own.file}\ninto the server's trusted certificates folder (or accept it in the server's "rejected" list).`,
    );
    return ExitCode.Ok;
  } finally {
    await pki.close();
  }
}

async function runPkiList(io: IO): Promise<number> {
  const pki = new Pki(defaultPkiDir(io.env));
  const certs = pki.list();
  if (io.json) {
    emitJson(io, 'iiot.pki/1', {
      action: 'list',
      pki: pki.paths.root,
      certificates: certs.map((c) => ({ status: c.folder, file: c.file, ...certJson(c.info) })),
    });
    return ExitCode.Ok;
  }
  if (certs.length === 0) {
    out(io, `no server certificates in ${pki.paths.root} yet`);
    info(io, 'a server certificate lands in rejected/ the first time iiot refuses it; trust it with `iiot pki trust <fingerprint>`');
    return ExitCode.Ok;
  }
  out(io, renderList(certs, Date.now(), io.style));
  info(io, `${pki.paths.root}`);
  return ExitCode.Ok;
}

async function runPkiMove(io: IO, action: 'trust' | 'reject', selector: string): Promise<number> {
  const pki = new Pki(defaultPkiDir(io.env));
  const before = pki.find(selector);
  const result = action === 'trust' ? pki.trust(selector) : pki.reject(selector);
  const wasAlready = before.some((c) => c.info.sha1 === result.info.sha1 && c.folder === result.folder);
  if (io.json) {
    emitJson(io, 'iiot.pki/1', {
      action,
      pki: pki.paths.root,
      changed: !wasAlready,
      certificate: { status: result.folder, file: result.file, ...certJson(result.info) },
    });
    return ExitCode.Ok;
  }
  const name = `"${result.info.commonName}"${result.info.applicationUri ? ` (${result.info.applicationUri})` : ''}`;
  if (wasAlready) out(io, `${name} was already ${action === 'trust' ? 'trusted' : 'rejected'}`);
  else out(io, `${action === 'trust' ? 'trusted' : 'rejected'} ${name}`);
  out(io, `  SHA-256 ${result.info.sha256}\n  ${result.file}`);
  return ExitCode.Ok;
}
