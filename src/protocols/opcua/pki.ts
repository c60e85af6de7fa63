/**
 * iiot's own OPC UA certificate store. The layout is the one every OPC UA stack uses (own/,
 * trusted/, rejected/, issuers/), so certificates can be moved between tools by hand, but the
 * policy is ours: an unknown server certificate lands in rejected/ and stays untrusted until the
 * user trusts it (`iiot pki trust`, or `--trust-on-first-use`, which prints the fingerprint and
 * records it). node-opcua's default store trusts everything it sees; it is never used.
 *
 * Listing, trusting and rejecting are plain file moves (no node-opcua import): node-opcua reads
 * the folders again when the next command starts. Only creating the application certificate and
 * verifying a chain load node-opcua, lazily.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir, hostname } from 'node:os';
import { basename, join } from 'node:path';
import type { OPCUACertificateManager } from 'node-opcua-certificate-manager';
import { IiotError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { loadClient } from './load.js';
import { certificateFileName, inspectCertificate, normaliseFingerprint, toDer, toPem, type CertificateInfo } from './certificates.js';

/** Environment variable that moves the store (tests, CI, a shared engineering laptop). */
export const PKI_ENV = 'IIOT_PKI_DIR';

/** Where the store lives: $IIOT_PKI_DIR, else the per-user configuration folder of the platform. */
export function defaultPkiDir(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = env[PKI_ENV];
  if (override !== undefined && override !== '') return override;
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'iiot', 'pki');
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'iiot', 'pki');
  const xdg = env.XDG_CONFIG_HOME;
  return join(xdg !== undefined && xdg !== '' ? xdg : join(homedir(), '.config'), 'iiot', 'pki');
}

export interface PkiPaths {
  root: string;
  ownCertificate: string;
  ownPrivateKey: string;
  trusted: string;
  trustedCrl: string;
  rejected: string;
  issuers: string;
  issuersCrl: string;
  /** which certificate each endpoint showed when it was trusted on first use, and explicit rejections */
  knownServers: string;
}

export function pkiPaths(root: string): PkiPaths {
  return {
    root,
    ownCertificate: join(root, 'own', 'certs', 'client_certificate.pem'),
    ownPrivateKey: join(root, 'own', 'private', 'private_key.pem'),
    trusted: join(root, 'trusted', 'certs'),
    trustedCrl: join(root, 'trusted', 'crl'),
    rejected: join(root, 'rejected'),
    issuers: join(root, 'issuers', 'certs'),
    issuersCrl: join(root, 'issuers', 'crl'),
    knownServers: join(root, 'known-servers.json'),
  };
}

export type StoreFolder = 'trusted' | 'rejected' | 'issuers';

export interface StoredCertificate {
  folder: StoreFolder;
  file: string;
  info: CertificateInfo;
}

export interface KnownServer {
  sha256: string;
  sha1: string;
  applicationUri?: string | undefined;
  trustedAt: string;
  how: 'trust-on-first-use' | 'pki trust';
}

interface KnownServersFile {
  servers: Record<string, KnownServer>;
  /** SHA-1 fingerprints the user rejected explicitly: trust-on-first-use never trusts them */
  rejectedByUser: Record<string, { at: string }>;
}

export interface OwnCertificate {
  file: string;
  privateKeyFile: string;
  der: Buffer;
  info: CertificateInfo;
  /** the ApplicationUri in the certificate; sessions must announce exactly this one */
  applicationUri: string;
  created: boolean;
}

const CERT_FILE = /\.(pem|der|crt|cer)$/i;

/** Own-certificate creations in progress in this process, by certificate path. */
const creatingOwn = new Map<string, Promise<boolean>>();

export class Pki {
  readonly paths: PkiPaths;
  #cm: OPCUACertificateManager | undefined;

  constructor(root: string = defaultPkiDir()) {
    this.paths = pkiPaths(root);
  }

  /** Creates the folders (nothing else): safe to call on every use. */
  ensureFolders(): void {
    for (const dir of [
      this.paths.trusted,
      this.paths.trustedCrl,
      this.paths.rejected,
      this.paths.issuers,
      this.paths.issuersCrl,
      join(this.paths.root, 'own', 'certs'),
    ]) {
      mkdirSync(dir, { recursive: true });
    }
    const priv = join(this.paths.root, 'own', 'private');
    mkdirSync(priv, { recursive: true, mode: 0o700 });
  }

  /**
   * node-opcua's certificate manager over this folder, never accepting unknown certificates,
   * without file watchers (a command is short-lived; watchers would keep it alive).
   */
  async certificateManager(): Promise<OPCUACertificateManager> {
    if (this.#cm) return this.#cm;
    this.ensureFolders();
    // node-opcua's loggers print to stdout until load.ts has routed them away.
    await loadClient();
    const { OPCUACertificateManager } = await import('node-opcua-certificate-manager');
    const cm = new OPCUACertificateManager({
      rootFolder: this.paths.root,
      automaticallyAcceptUnknownCertificate: false,
      disableFileWatchers: true,
      keySize: 2048,
      name: 'iiot',
    });
    try {
      await cm.initialize();
    } catch (err) {
      throw new IiotError(ExitCode.Usage, `cannot use the certificate store ${this.paths.root}: ${firstLine(err)}`, {
        hint: `check the folder's permissions, or point ${PKI_ENV} at another folder`,
        cause: err,
      });
    }
    this.#cm = cm;
    return cm;
  }

  /** iiot's application certificate, created (self-signed, RSA 2048, SHA-256) on first use. */
  async ownCertificate(): Promise<OwnCertificate> {
    // Several sessions of one process (a recording from two servers) may ask at once, each with
    // its own Pki object: one creates, the others wait, and nobody reads a half-written file.
    const key = this.paths.ownCertificate;
    let pending = creatingOwn.get(key);
    const mine = pending === undefined;
    if (pending === undefined) {
      pending = this.createOwnIfMissing().finally(() => creatingOwn.delete(key));
      creatingOwn.set(key, pending);
    }
    // only the caller that made it reports it as new
    const created = (await pending) && mine;
    try {
      chmodSync(this.paths.ownPrivateKey, 0o600);
    } catch {
      // not ours to fix on every platform (Windows); the folder is private anyway
    }
    const der = toDer(readFileSync(this.paths.ownCertificate));
    const info = inspectCertificate(der);
    if (info.applicationUri === undefined) {
      throw usageError(
        `${this.paths.ownCertificate}: this certificate has no ApplicationUri (subjectAltName URI), which OPC UA requires`,
        `delete ${this.paths.ownCertificate} and ${this.paths.ownPrivateKey}; iiot creates a new one on next use`,
      );
    }
    return {
      file: this.paths.ownCertificate,
      privateKeyFile: this.paths.ownPrivateKey,
      der,
      info,
      applicationUri: info.applicationUri,
      created,
    };
  }

  /** Creates the key pair and certificate when missing; true if it made the certificate now. */
  private async createOwnIfMissing(): Promise<boolean> {
    if (existsNonEmpty(this.paths.ownCertificate) && existsNonEmpty(this.paths.ownPrivateKey)) return false;
    const cm = await this.certificateManager();
    if (existsNonEmpty(this.paths.ownCertificate)) return false;
    const host = hostname();
    // Written beside and renamed into place: another iiot process never reads half a certificate.
    const tmp = `${this.paths.ownCertificate}.${process.pid}.tmp`;
    await cm.createSelfSignedCertificate({
      applicationUri: `urn:${host}:iiot`,
      dns: [host],
      subject: `/CN=iiot@${host}/O=iiot`,
      startDate: new Date(Date.now() - 24 * 3600_000), // a day of slack for clocks that disagree
      validity: 5 * 365,
      outputFile: tmp,
    });
    renameSync(tmp, this.paths.ownCertificate);
    return true;
  }

  /** Every certificate in trusted/, rejected/ and issuers/ (unreadable files are skipped). */
  list(): StoredCertificate[] {
    const out: StoredCertificate[] = [];
    for (const [folder, dir] of [
      ['trusted', this.paths.trusted],
      ['rejected', this.paths.rejected],
      ['issuers', this.paths.issuers],
    ] as const) {
      let names: string[] = [];
      try {
        names = readdirSync(dir)
          .filter((n) => CERT_FILE.test(n))
          .sort();
      } catch {
        continue;
      }
      for (const name of names) {
        const file = join(dir, name);
        try {
          out.push({ folder, file, info: inspectCertificate(readFileSync(file)) });
        } catch {
          // a stray file that is not a certificate: not ours to judge here
        }
      }
    }
    return out;
  }

  /**
   * Certificates whose SHA-1 or SHA-256 fingerprint starts with `selector` (at least 8 hex
   * digits, separators ignored), or whose file name is `selector`.
   */
  find(selector: string, folders: readonly StoreFolder[] = ['trusted', 'rejected', 'issuers']): StoredCertificate[] {
    const hex = selector.replace(/[\s:]/g, '').toLowerCase();
    const all = this.list().filter((c) => folders.includes(c.folder));
    if (/^[0-9a-f]{8,}$/.test(hex)) {
      return all.filter(
        (c) => c.info.sha1.replace(/:/g, '').toLowerCase().startsWith(hex) || c.info.sha256.replace(/:/g, '').toLowerCase().startsWith(hex),
      );
    }
    return all.filter((c) => basename(c.file) === selector);
  }

  /** Status of one certificate in the store by its fingerprint. */
  statusOf(info: CertificateInfo): StoreFolder | undefined {
    return this.list().find((c) => c.info.sha1 === info.sha1)?.folder;
  }

  /**
   * Moves a certificate into trusted/. `selector` is a fingerprint (prefix) of a certificate
   * already in the store, or the path of a certificate file (PEM or DER) to import.
   */
  trust(selector: string, how: KnownServer['how'] = 'pki trust', endpointUrl?: string): StoredCertificate {
    this.ensureFolders();
    this.forgetManager();
    const source = this.resolve(selector, ['rejected', 'trusted']);
    if (source.kind === 'stored' && source.cert.folder === 'trusted') return source.cert;
    const der = source.kind === 'stored' ? toDer(readFileSync(source.cert.file)) : source.der;
    const info = inspectCertificate(der);
    const target = join(this.paths.trusted, certificateFileName(info));
    writeFileSync(target, toPem(der));
    // The same certificate may sit in rejected/ under another name: remove every copy.
    for (const c of this.list()) if (c.folder === 'rejected' && c.info.sha1 === info.sha1) unlinkSync(c.file);
    const known = this.readKnown();
    delete known.rejectedByUser[info.sha1];
    if (endpointUrl !== undefined)
      known.servers[endpointUrl] = {
        sha256: info.sha256,
        sha1: info.sha1,
        applicationUri: info.applicationUri,
        trustedAt: new Date().toISOString(),
        how,
      };
    this.writeKnown(known);
    return { folder: 'trusted', file: target, info };
  }

  /** Moves a certificate out of trusted/ into rejected/ and remembers that the user said no. */
  reject(selector: string): StoredCertificate {
    this.ensureFolders();
    this.forgetManager();
    const source = this.resolve(selector, ['trusted', 'rejected']);
    const der = source.kind === 'stored' ? toDer(readFileSync(source.cert.file)) : source.der;
    const info = inspectCertificate(der);
    const target = join(this.paths.rejected, certificateFileName(info));
    if (source.kind === 'stored' && source.cert.folder === 'rejected') {
      if (source.cert.file !== target) renameSync(source.cert.file, target);
    } else {
      writeFileSync(target, toPem(der));
    }
    for (const c of this.list()) if (c.folder === 'trusted' && c.info.sha1 === info.sha1) unlinkSync(c.file);
    const known = this.readKnown();
    known.rejectedByUser[info.sha1] = { at: new Date().toISOString() };
    for (const [url, s] of Object.entries(known.servers)) if (s.sha1 === info.sha1) delete known.servers[url];
    this.writeKnown(known);
    return { folder: 'rejected', file: target, info };
  }

  /**
   * Records which certificate an endpoint showed when it was trusted (node-opcua has already
   * written it into trusted/); returns the file it is in.
   */
  recordKnownServer(endpointUrl: string, info: CertificateInfo, how: KnownServer['how'], der: Buffer): string {
    const known = this.readKnown();
    known.servers[endpointUrl] = {
      sha256: info.sha256,
      sha1: info.sha1,
      applicationUri: info.applicationUri,
      trustedAt: new Date().toISOString(),
      how,
    };
    this.writeKnown(known);
    const stored = this.list().filter((c) => c.info.sha1 === info.sha1);
    for (const c of stored) if (c.folder === 'rejected') unlinkSync(c.file);
    const trusted = stored.find((c) => c.folder === 'trusted');
    if (trusted) return trusted.file;
    const target = join(this.paths.trusted, certificateFileName(info));
    writeFileSync(target, toPem(der));
    return target;
  }

  /** The certificate recorded for an endpoint when it was trusted, if any. */
  knownServer(endpointUrl: string): KnownServer | undefined {
    return this.readKnown().servers[endpointUrl];
  }

  rejectedByUser(info: CertificateInfo): boolean {
    return info.sha1 in this.readKnown().rejectedByUser;
  }

  /** Copies a certificate into rejected/ (what node-opcua does too when it refuses one). */
  recordRejected(der: Buffer): string {
    this.ensureFolders();
    const info = inspectCertificate(der);
    const existing = this.list().find((c) => c.info.sha1 === info.sha1);
    if (existing) return existing.file;
    const target = join(this.paths.rejected, certificateFileName(info));
    writeFileSync(target, toPem(der));
    return target;
  }

  /** The folders changed under node-opcua's index: the next use reads them again. */
  private forgetManager(): void {
    const cm = this.#cm;
    this.#cm = undefined;
    if (cm) void cm.dispose().catch(() => undefined);
  }

  async close(): Promise<void> {
    const cm = this.#cm;
    this.#cm = undefined;
    if (cm) await cm.dispose();
  }

  private resolve(
    selector: string,
    folders: readonly StoreFolder[],
  ): { kind: 'stored'; cert: StoredCertificate } | { kind: 'file'; der: Buffer } {
    if (existsSync(selector) && statSync(selector).isFile()) {
      try {
        const der = toDer(readFileSync(selector));
        inspectCertificate(der);
        return { kind: 'file', der };
      } catch (err) {
        throw usageError(`${selector}: not a certificate (PEM or DER): ${firstLine(err)}`);
      }
    }
    const hex = selector.replace(/[\s:]/g, '');
    if (!/^[0-9a-fA-F]{8,}$/.test(hex)) {
      throw usageError(
        `"${selector}" is neither a certificate file nor a fingerprint`,
        'give a SHA-1 or SHA-256 fingerprint (at least 8 hex digits) from `iiot pki list`, or the path of a .pem/.der file',
      );
    }
    const matches = this.find(selector, folders);
    const distinct = new Map(matches.map((m) => [m.info.sha1, m]));
    if (distinct.size === 0) {
      throw usageError(
        `no certificate with fingerprint ${normaliseFingerprint(hex)}… in ${folders.map((f) => `${f}/`).join(' or ')} of ${this.paths.root}`,
        'list them with `iiot pki list`; a server certificate appears in rejected/ after the first refused connection',
      );
    }
    if (distinct.size > 1) {
      throw usageError(`fingerprint prefix ${selector} matches ${distinct.size} certificates`, 'give more digits (see `iiot pki list`)');
    }
    // Prefer the copy in the first folder asked for.
    const sorted = [...matches].sort((a, b) => folders.indexOf(a.folder) - folders.indexOf(b.folder));
    return { kind: 'stored', cert: sorted[0]! };
  }

  private readKnown(): KnownServersFile {
    try {
      const data = JSON.parse(readFileSync(this.paths.knownServers, 'utf8')) as Partial<KnownServersFile>;
      return { servers: data.servers ?? {}, rejectedByUser: data.rejectedByUser ?? {} };
    } catch {
      return { servers: {}, rejectedByUser: {} };
    }
  }

  private writeKnown(data: KnownServersFile): void {
    const tmp = `${this.paths.knownServers}.${process.pid}.tmp`;
    writeFileSync(tmp, `${JSON.stringify(data, null, 2)}\n`);
    renameSync(tmp, this.paths.knownServers);
  }
}

function existsNonEmpty(file: string): boolean {
  try {
    return statSync(file).size > 0;
  } catch {
    return false;
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? '';
}
