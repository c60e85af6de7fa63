import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from '../../src/protocols/listen.js';
import { waitForPort } from './net.js';
import { tempDir } from './temp.js';

export interface Mosquitto {
  /** the main listener: mqtts:// when TLS is on it, else mqtt:// */
  url: string;
  port: number;
  process: ChildProcess;
  /** what mosquitto wrote to stdout and stderr */
  log(): string;
  stop(): Promise<void>;
}

export interface MosquittoOptions {
  /** listener address (default 127.0.0.1) */
  host?: string;
  /** listener port (default: a free one, asked of the OS) */
  port?: number;
  /** users and passwords, written with mosquitto_passwd; anonymous access is then off */
  users?: Record<string, string>;
  /** TLS on the main listener, or with `port` on a second listener of its own */
  tls?: { certFile: string; keyFile: string; port?: number };
  /** where the config goes (default: a temp dir removed by removeTempDirs) */
  dir?: string;
}

/** Debian's mosquitto with a config of its own; resolves once every listener accepts connections. */
export async function startMosquitto(o: MosquittoOptions = {}): Promise<Mosquitto> {
  const dir = o.dir ?? tempDir('mosquitto');
  const host = o.host ?? '127.0.0.1';
  const port = o.port ?? (await freePort(host));
  // per-listener settings off: the options before the first listener hold for every listener
  const lines = ['per_listener_settings false', `allow_anonymous ${!o.users}`, 'persistence false'];
  // Run as root, mosquitto drops to the "mosquitto" user, who cannot read our temp files.
  lines.push(`user ${userInfo().username}`);
  if (o.users) {
    const pw = join(dir, `passwd-${port}`);
    writeFileSync(pw, '', { mode: 0o600 });
    for (const [u, p] of Object.entries(o.users)) execFileSync('mosquitto_passwd', ['-b', pw, u, p], { stdio: 'ignore' });
    lines.push(`password_file ${pw}`);
  }
  lines.push(`listener ${port} ${host}`);
  // certfile/keyfile belong to the listener above them
  if (o.tls?.port !== undefined) lines.push(`listener ${o.tls.port} ${host}`);
  if (o.tls) lines.push(`certfile ${o.tls.certFile}`, `keyfile ${o.tls.keyFile}`);
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `${lines.join('\n')}\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (log += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log += d));
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`mosquitto exited (${code}): ${log}`))));
  exited.catch(() => undefined);
  await Promise.race([waitForPort(host, port), exited]);
  if (o.tls?.port !== undefined) await Promise.race([waitForPort(host, o.tls.port), exited]);
  return {
    url: `${o.tls && o.tls.port === undefined ? 'mqtts' : 'mqtt'}://${host}:${port}`,
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
