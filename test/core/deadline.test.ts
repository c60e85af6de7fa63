/**
 * The deadline every device wait goes through (src/core/deadline.ts), against a peer in another
 * process, with this process's event loop blocked the way iiot's own work blocks it. Each case
 * also shows what a plain setTimeout does in the same situation: the reason for the helper.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeadlineError, listenWindow, startDeadline, withDeadline } from '../../src/core/deadline.js';
import { blockLoop, fileAppears } from '../helpers/busy.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';

/**
 * A TCP peer in its own process. `echo`: answers every chunk at once, then touches
 * <dir>/answered-<n>; `greet`: writes "hello" on connecting, then touches <dir>/greeted-<n>;
 * `silent`: accepts and never writes. Prints its port.
 */
const PEER = `
const net = require('node:net'), fs = require('node:fs'), path = require('node:path');
const [mode, dir] = process.argv.slice(1);
let n = 0;
const server = net.createServer((s) => {
  const id = ++n;
  s.on('error', () => {});
  if (mode === 'greet') s.write('hello', () => fs.writeFileSync(path.join(dir, 'greeted-' + id), ''));
  if (mode === 'echo') s.on('data', (d) => s.write(d, () => fs.writeFileSync(path.join(dir, 'answered-' + id), '')));
});
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

interface Peer {
  port: number;
  dir: string;
  child: ChildProcess;
}

async function startPeer(mode: 'echo' | 'greet' | 'silent'): Promise<Peer> {
  const dir = tempDir(`peer-${mode}`);
  const child = spawn(process.execPath, ['-e', PEER, mode, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(child.stdout!, 'data')) as [Buffer];
  return { port: Number(line.toString().trim()), dir, child };
}

async function open(peer: Peer): Promise<Socket> {
  const s = connect({ host: '127.0.0.1', port: peer.port });
  await once(s, 'connect');
  return s;
}

function nextData(s: Socket): Promise<string> {
  return once(s, 'data').then(([d]) => (d as Buffer).toString());
}

/** What a plain timer does: 'timeout' when it fires before the data is read. */
function plainTimer<T>(p: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), ms)))]).finally(() => clearTimeout(timer));
}

let echo: Peer;
let greet: Peer;
let silent: Peer;

beforeAll(async () => {
  [echo, greet, silent] = await Promise.all([startPeer('echo'), startPeer('greet'), startPeer('silent')]);
});

afterAll(() => {
  for (const p of [echo, greet, silent]) p?.child.kill();
  removeTempDirs();
});

describe('a device is not blamed for the time iiot was busy', () => {
  it('reads an answer that arrived while the loop was blocked past the deadline; a plain timer fires first', async () => {
    // the plain timer, for comparison
    const a = await open(echo);
    a.write('one');
    const plain = plainTimer(nextData(a), 200);
    blockLoop(600, fileAppears(join(echo.dir, 'answered-1')));
    expect(await plain).toBe('timeout');
    a.destroy();

    const b = await open(echo);
    b.write('two');
    const ours = withDeadline(nextData(b), 200, () => b.destroy(), 'no echo within');
    // the answer is in the socket buffer before the loop gets back (the peer touched its file)
    blockLoop(600, fileAppears(join(echo.dir, 'answered-2')));
    expect(await ours).toBe('two');
    b.destroy();
  });

  it('gives a request back the time iiot spent before it could send it (a step of a handshake)', async () => {
    const s = await open(echo);
    const exchange = (async () => {
      await new Promise((r) => setImmediate(r));
      // iiot busy between two steps of an exchange, longer than the whole deadline
      blockLoop(1500);
      s.write('after-work');
      return nextData(s);
    })();
    expect(await withDeadline(exchange, 500, () => s.destroy(), 'no echo within')).toBe('after-work');
    s.destroy();
  });

  it('still times out a peer that never answers, whether iiot was busy or not', async () => {
    const s = await open(silent);
    s.write('anyone?');
    const quiet = withDeadline(nextData(s), 300, () => s.destroy(), `127.0.0.1:${silent.port} did not answer within`);
    blockLoop(900);
    const err = await quiet.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineError);
    expect((err as Error).message).toBe(`127.0.0.1:${silent.port} did not answer within 300 ms`);
    expect(s.destroyed).toBe(true);

    const t = await open(silent);
    const idle = await withDeadline(nextData(t), 100, () => t.destroy(), 'no answer within').catch((e: unknown) => e);
    expect(idle).toBeInstanceOf(DeadlineError);
  });

  it('charges only the time the loop sat idle, and stops when cancelled', async () => {
    let fired = 0;
    const d = startDeadline(200, () => fired++);
    blockLoop(500);
    // blocked: none of the 200 ms were the device's yet
    expect(d.charged()).toBeLessThan(200);
    await new Promise((r) => setTimeout(r, 50));
    d.cancel();
    await new Promise((r) => setTimeout(r, 400));
    expect(fired).toBe(0);

    const never = startDeadline(Infinity, () => fired++);
    never.cancel();
    startDeadline(20, () => fired++);
    await waitFor(() => fired === 1);
    expect(fired).toBe(1);
  });

  it('a listen window reads what arrived while iiot was busy past its end; a plain timer window misses it', async () => {
    const a = await open(greet);
    let seenByPlain = '';
    a.on('data', (d: Buffer) => (seenByPlain += d.toString()));
    const plainWindow = new Promise<string>((r) => setTimeout(() => r(seenByPlain), 100));
    blockLoop(300, fileAppears(join(greet.dir, 'greeted-1')));
    expect(await plainWindow).toBe('');
    a.destroy();

    const b = await open(greet);
    let seen = '';
    b.on('data', (d: Buffer) => (seen += d.toString()));
    const window = listenWindow(100);
    blockLoop(300, fileAppears(join(greet.dir, 'greeted-2')));
    await window;
    expect(seen).toBe('hello');
    b.destroy();

    const ac = new AbortController();
    const aborted = listenWindow(60_000, ac.signal);
    ac.abort();
    await aborted;
  });
});
