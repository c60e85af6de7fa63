/**
 * What the check tests share: an in-process IO, certificates made on the spot (never committed),
 * Debian's mosquitto started on a free loopback port with a temp config, and small misbehaving
 * servers (one that closes mid-check, one that is not TLS).
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createIO, type IO } from '../../src/core/io.js';
import { freePort } from '../../src/protocols/listen.js';

const dirs: string[] = [];

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), `iiot-test-${prefix}-`));
  dirs.push(d);
  return d;
}

export function removeTempDirs(): void {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

export interface CapturedIO {
  io: IO;
  stdout(): string;
  stderr(): string;
}

export function captureIO(flags: { json?: boolean; debug?: boolean } = {}, env: NodeJS.ProcessEnv = {}): CapturedIO {
  const out = new PassThrough();
  const err = new PassThrough();
  let o = '';
  let e = '';
  out.setEncoding('utf8').on('data', (d: string) => (o += d));
  err.setEncoding('utf8').on('data', (d: string) => (e += d));
  const io = createIO({ ...flags }, { stdout: out, stderr: err, env: { NO_COLOR: '1', ...env } });
  return { io, stdout: () => o, stderr: () => e };
}

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
export function opensslCert(dir: string, name: string, o: { bits?: number; digest?: 'sha1' | 'sha256'; days?: number; san?: string; cn?: string } = {}): MadeCert {
  const keyFile = join(dir, `${name}.key`);
  const certFile = join(dir, `${name}.pem`);
  execFileSync(
    'openssl',
    [
      'req', '-x509', '-newkey', `rsa:${o.bits ?? 2048}`, '-nodes', '-keyout', keyFile, '-out', certFile,
      `-${o.digest ?? 'sha256'}`, '-days', String(o.days ?? 365), '-subj', `/CN=${o.cn ?? name}`,
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
export async function windowCert(dir: string, name: string, o: { notBefore: Date; notAfter: Date; applicationUri?: string; dns?: string[]; ip?: string[]; bits?: 1024 | 2048 }): Promise<MadeCert> {
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

/** Resolves once something accepts TCP connections on host:port. */
export async function waitForPort(host: string, port: number): Promise<void> {
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s: Socket = connect({ host, port });
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface Mosquitto {
  url: string;
  port: number;
  process: ChildProcess;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Debian's mosquitto on 127.0.0.1 and a free port. `users` writes a password file with
 * mosquitto_passwd (anonymous access then off); `tls` adds certfile/keyfile.
 */
export async function startMosquitto(o: { users?: Record<string, string>; tls?: { certFile: string; keyFile: string }; extra?: string[] } = {}): Promise<Mosquitto> {
  const dir = tempDir('mosquitto');
  const port = await freePort('127.0.0.1');
  const lines = [`listener ${port} 127.0.0.1`, `allow_anonymous ${o.users ? 'false' : 'true'}`, 'persistence false'];
  // Run as root, mosquitto drops to the "mosquitto" user, who cannot read our temp files.
  lines.push(`user ${userInfo().username}`);
  if (o.users) {
    const pw = join(dir, 'passwd');
    writeFileSync(pw, '', { mode: 0o600 });
    for (const [u, p] of Object.entries(o.users)) execFileSync('mosquitto_passwd', ['-b', pw, u, p], { stdio: 'ignore' });
    lines.push(`password_file ${pw}`);
  }
  if (o.tls) lines.push(`certfile ${o.tls.certFile}`, `keyfile ${o.tls.keyFile}`);
  lines.push(...(o.extra ?? []));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${log}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForPort('127.0.0.1', port), exited]);
  return {
    url: `${o.tls ? 'mqtts' : 'mqtt'}://127.0.0.1:${port}`,
    port,
    process: child,
    log: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

/** A TCP server whose behaviour per connection the test decides. */
export async function tcpServer(onSocket: (s: Socket) => void): Promise<{ port: number; server: Server; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (asked of the OS, then released). */
export function closedPort(): Promise<number> {
  return freePort('127.0.0.1');
}
