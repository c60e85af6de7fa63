/**
 * Real parts for discovery tests: loopback address blocks of their own, Debian's mosquitto on one
 * of them, small misbehaving TCP servers, socat pseudo-terminals, and a "strict line" that makes a
 * pseudo-terminal behave like RS-485 about the baud rate (bytes pass only at the device's speed).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { freePort } from '../../src/protocols/listen.js';

const run = promisify(execFile);

const created: string[] = [];

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-test-discover-${prefix}-`));
  created.push(dir);
  return dir;
}

export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Polls until `check` is true (the test timeout bounds it; nothing is asserted about time). */
export async function waitFor(check: () => boolean | Promise<boolean>, everyMs = 20): Promise<void> {
  while (!(await check())) await new Promise((r) => setTimeout(r, everyMs));
}

/**
 * A /29 of loopback addresses for one test file: 127.<a>.<b>.0/29 with a and b picked at random,
 * so test files (and other people's tests on this machine) do not meet on the same addresses.
 */
export function loopbackBlock(): { base: string; cidr: string; host(i: number): string } {
  const a = 100 + Math.floor(Math.random() * 150);
  const b = Math.floor(Math.random() * 250);
  const c = Math.floor(Math.random() * 31) * 8;
  const prefix = `127.${a}.${b}.`;
  return { base: `${prefix}${c}`, cidr: `${prefix}${c}/29`, host: (i: number) => `${prefix}${c + i}` };
}

/** A port free on every one of the hosts (asked of the OS on the first, checked on the others). */
export async function portFreeOn(hosts: string[]): Promise<number> {
  for (;;) {
    const port = await freePort(hosts[0]!);
    let ok = true;
    for (const h of hosts.slice(1)) {
      ok = await new Promise<boolean>((resolve) => {
        const srv = createServer();
        srv.once('error', () => resolve(false));
        srv.listen({ port, host: h, exclusive: true }, () => srv.close(() => resolve(true)));
      });
      if (!ok) break;
    }
    if (ok) return port;
  }
}

export async function waitForPort(host: string, port: number): Promise<void> {
  await waitFor(
    () =>
      new Promise<boolean>((resolve) => {
        const s: Socket = connect({ host, port });
        s.once('connect', () => {
          s.destroy();
          resolve(true);
        });
        s.once('error', () => resolve(false));
      }),
    50,
  );
}

export interface Mosquitto {
  url: string;
  stop(): Promise<void>;
  log(): string;
}

/** Debian's mosquitto on host:port with a temp config; `tls` adds a TLS listener on tls.port. */
export async function startMosquitto(host: string, port: number, o: { tls?: { port: number; certFile: string; keyFile: string }; anonymous?: boolean } = {}): Promise<Mosquitto> {
  const dir = tempDir('mosquitto');
  const lines = ['per_listener_settings false', `allow_anonymous ${o.anonymous === false ? 'false' : 'true'}`, 'persistence false', `user ${userInfo().username}`, `listener ${port} ${host}`];
  if (o.tls) lines.push(`listener ${o.tls.port} ${host}`, `certfile ${o.tls.certFile}`, `keyfile ${o.tls.keyFile}`);
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child: ChildProcess = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${log}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForPort(host, port), exited]);
  if (o.tls) await Promise.race([waitForPort(host, o.tls.port), exited]);
  return {
    url: `mqtt://${host}:${port}`,
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

/** A self-signed certificate made by openssl for this test run (never a committed key). */
export function selfSignedCertificate(dir: string, cn: string, days = 30): { certFile: string; keyFile: string } {
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', keyFile, '-out', certFile, '-days', String(days), '-subj', `/CN=${cn}`], { stdio: 'ignore' });
  return { certFile, keyFile };
}

/** A TCP server on host:port whose behaviour per connection the test decides. */
export async function tcpServer(host: string, port: number, onSocket: (s: Socket) => void): Promise<{ server: Server; stop(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.once('close', () => sockets.delete(s));
    onSocket(s);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, resolve);
  });
  return {
    server,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** Answers anything with text, as a web server or a banner would: not one of our protocols. */
export function garbageServer(host: string, port: number) {
  return tcpServer(host, port, (s) => s.once('data', () => s.end('HTTP/1.0 400 Bad Request\r\n\r\n')));
}

/** Accepts connections and resets them at once (RST), as a device at its connection limit does. */
export function resetServer(host: string, port: number) {
  return tcpServer(host, port, (s) => s.resetAndDestroy());
}

/** A socat pseudo-terminal pair. */
export async function ptyPair(dir: string, a: string, b: string): Promise<{ a: string; b: string; stop(): Promise<void> }> {
  const pa = join(dir, a);
  const pb = join(dir, b);
  const child = spawn('/usr/bin/socat', ['-d', '-d', `pty,raw,echo=0,link=${pa}`, `pty,raw,echo=0,link=${pb}`], { stdio: 'ignore' });
  await waitFor(() => existsSync(pa) && existsSync(pb));
  return {
    a: pa,
    b: pb,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

function openPort(path: string): Promise<SerialPort> {
  return new Promise((resolve, reject) => {
    const p = new SerialPort({ path, baudRate: 9600, autoOpen: false, lock: false });
    p.open((err) => (err ? reject(err) : resolve(p)));
  });
}

/** The baud rate a client set on a tty, read with stty (termios). */
export async function ttyBaud(path: string): Promise<number> {
  const { stdout } = await run('stty', ['-F', path, 'speed']);
  return Number(stdout.trim());
}

export interface StrictLine {
  /** where iiot (the master) opens the line */
  client: string;
  /** where the device (the plant's RTU server) listens */
  device: string;
  /** frames dropped because the client's settings were not the device's */
  dropped(): number;
  stop(): Promise<void>;
}

/**
 * A serial line that cares about the baud rate. A pseudo-terminal passes bytes whatever baud rate
 * either end sets, so on its own it cannot show that a scan finds a device only at the device's
 * speed. Here two socat pairs are joined by a relay that reads the baud rate of the client's end
 * (stty, termios) for every chunk and forwards only at the device's rate: what a real RS-485 line
 * does, where the wrong speed makes garbage a device ignores. Parity cannot be enforced this way:
 * Linux clears PARENB on every pseudo-terminal (pty_set_termios), so no relay can see it.
 */
export async function strictLine(dir: string, baud: number): Promise<StrictLine> {
  const left = await ptyPair(dir, 'client', 'relay-l');
  const right = await ptyPair(dir, 'relay-r', 'device');
  const l = await openPort(left.b);
  const r = await openPort(right.a);
  let dropped = 0;
  let chain = Promise.resolve();
  l.on('data', (chunk: Buffer) => {
    chain = chain.then(async () => {
      const rate = await ttyBaud(left.a).catch(() => undefined);
      if (rate === baud) r.write(chunk);
      else dropped++;
    });
  });
  r.on('data', (chunk: Buffer) => l.write(chunk));
  const close = (p: SerialPort) => new Promise<void>((resolve) => (p.isOpen ? p.close(() => resolve()) : resolve()));
  return {
    client: left.a,
    device: right.b,
    dropped: () => dropped,
    stop: async () => {
      await close(l);
      await close(r);
      await left.stop();
      await right.stop();
    },
  };
}
