/**
 * The user a session logs on as. Passwords come from an environment variable, a file or a prompt,
 * never from argv (shell history, `ps`), and are never written anywhere: not in messages, not in
 * JSON output, not in capture headers. No node-opcua import; session.ts turns an Identity into
 * node-opcua's UserIdentityInfo.
 */
import { readFileSync, statSync } from 'node:fs';
import { IiotError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { IdentitySpec } from './flags.js';
import { inspectCertificate, toDer, type CertificateInfo } from './certificates.js';

export type Identity =
  | { kind: 'anonymous' }
  | { kind: 'username'; user: string; password: string /** where the password came from, for messages */; source: string }
  | { kind: 'certificate'; certFile: string; certificate: Buffer; privateKeyPem: string; info: CertificateInfo };

export interface IdentityIO {
  env: NodeJS.ProcessEnv;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  stderr: NodeJS.WritableStream;
  /** a warning line the user must see (a password file others can read) */
  warn: (text: string) => void;
}

/** "anonymous", "user op", "certificate CN=..." (never the password). */
export function describeIdentity(id: Identity | IdentitySpec): string {
  switch (id.kind) {
    case 'anonymous':
      return 'anonymous';
    case 'username':
      return `user "${id.user}"`;
    case 'certificate':
      return 'info' in id ? `user certificate "${id.info.commonName}"` : `user certificate ${id.certFile}`;
  }
}

export async function resolveIdentity(spec: IdentitySpec, io: IdentityIO): Promise<Identity> {
  switch (spec.kind) {
    case 'anonymous':
      return { kind: 'anonymous' };
    case 'username': {
      if (spec.passwordFile !== undefined) {
        return { kind: 'username', user: spec.user, password: readPasswordFile(spec.passwordFile, io), source: spec.passwordFile };
      }
      const fromEnv = io.env[spec.passwordEnv];
      if (fromEnv !== undefined) return { kind: 'username', user: spec.user, password: fromEnv, source: `$${spec.passwordEnv}` };
      if (io.stdin.isTTY && typeof io.stdin.setRawMode === 'function') {
        const password = await promptHidden(`Password for ${spec.user}: `, io);
        return { kind: 'username', user: spec.user, password, source: 'the prompt' };
      }
      throw usageError(
        `no password for user "${spec.user}": $${spec.passwordEnv} is not set and there is no terminal to ask on`,
        `set ${spec.passwordEnv}, or give --password-file <file>`,
      );
    }
    case 'certificate': {
      let certificate: Buffer;
      let info: CertificateInfo;
      try {
        certificate = toDer(readFileSync(spec.certFile));
        info = inspectCertificate(certificate);
      } catch (err) {
        throw usageError(`--user-cert ${spec.certFile}: ${fileProblem(err, 'not a certificate (PEM or DER)')}`);
      }
      let privateKeyPem: string;
      try {
        privateKeyPem = readFileSync(spec.keyFile, 'utf8');
      } catch (err) {
        throw usageError(`--user-key ${spec.keyFile}: ${fileProblem(err, 'unreadable')}`);
      }
      if (!/-----BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY-----/.test(privateKeyPem)) {
        throw usageError(`--user-key ${spec.keyFile}: not a PEM private key`, 'give the key as PEM ("-----BEGIN PRIVATE KEY-----")');
      }
      if (/ENCRYPTED PRIVATE KEY/.test(privateKeyPem)) {
        throw usageError(
          `--user-key ${spec.keyFile}: the key is encrypted`,
          'decrypt it into a file only you can read: openssl pkey -in key.pem -out plain.pem',
        );
      }
      checkPrivate(spec.keyFile, io, 'key');
      try {
        const { createPrivateKey, createPublicKey } = await import('node:crypto');
        const pub = createPublicKey(createPrivateKey(privateKeyPem)).export({ format: 'der', type: 'spki' });
        const { X509Certificate } = await import('node:crypto');
        const certPub = new X509Certificate(certificate).publicKey.export({ format: 'der', type: 'spki' });
        if (!pub.equals(certPub)) throw new Error('mismatch');
      } catch {
        throw usageError(
          `--user-key ${spec.keyFile} does not belong to --user-cert ${spec.certFile}`,
          'give the private key that was created with this certificate',
        );
      }
      return { kind: 'certificate', certFile: spec.certFile, certificate, privateKeyPem, info };
    }
  }
}

function fileProblem(err: unknown, otherwise: string): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return 'no such file';
  if (code === 'EACCES') return 'permission denied';
  return otherwise;
}

function readPasswordFile(file: string, io: IdentityIO): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw usageError(`--password-file ${file}: ${fileProblem(err, 'unreadable')}`);
  }
  checkPrivate(file, io, 'password file');
  // The first line, without its line end: editors add one, the password never ends in one.
  const password = text.split(/\r?\n/)[0] ?? '';
  if (password === '') throw usageError(`--password-file ${file}: the first line is empty`);
  return password;
}

/** Secrets readable by other users deserve a warning (not a refusal: Windows has no modes). */
function checkPrivate(file: string, io: IdentityIO, what: string): void {
  if (process.platform === 'win32') return;
  try {
    const mode = statSync(file).mode & 0o077;
    if (mode !== 0) io.warn(`${what} ${file} can be read by other users of this computer; chmod 600 ${file}`);
  } catch {
    // reading it worked; a failed stat is not worth a message
  }
}

/** Reads a line from the terminal without echoing it. Ctrl-C aborts with exit 2. */
function promptHidden(prompt: string, io: IdentityIO): Promise<string> {
  const stdin = io.stdin;
  return new Promise((resolve, reject) => {
    io.stderr.write(prompt);
    let value = '';
    stdin.setRawMode!(true);
    stdin.resume();
    const done = (err?: Error) => {
      stdin.removeListener('data', onData);
      stdin.setRawMode!(false);
      stdin.pause();
      io.stderr.write('\n');
      if (err) reject(err);
      else resolve(value);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new IiotError(ExitCode.Usage, 'cancelled at the password prompt'));
        if (ch === '\u007f' || ch === '\b') value = value.slice(0, -1);
        else if (ch >= ' ') value += ch;
      }
    };
    stdin.on('data', onData);
  });
}
