/**
 * Real parts for discovery tests: loopback address blocks of their own, small misbehaving TCP
 * servers, and a "strict line" that makes a pseudo-terminal behave like RS-485 about the baud rate
 * (bytes pass only at the device's speed). Mosquitto, temp dirs and pty pairs: test/helpers/.
 */
import { execFile } from 'node:child_process';
import { createServer } from 'node:net';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { freePort } from '../../src/protocols/listen.js';
import { tcpServer } from './net.js';
import { ptyPair } from './pty.js';

// Still taken from here by a test file in another change's hands right now
// (test/discovery/feed.test.ts): it can import test/helpers/ directly, then these lines go.
export { removeTempDirs, tempDir } from './temp.js';
export { waitFor } from './wait.js';

const run = promisify(execFile);

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

/** Answers anything with text, as a web server or a banner would: not one of our protocols. */
export function garbageServer(host: string, port: number) {
  return tcpServer((s) => s.once('data', () => s.end('HTTP/1.0 400 Bad Request\r\n\r\n')), { host, port });
}

/** Accepts connections and resets them at once (RST), as a device at its connection limit does. */
export function resetServer(host: string, port: number) {
  return tcpServer((s) => s.resetAndDestroy(), { host, port });
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
