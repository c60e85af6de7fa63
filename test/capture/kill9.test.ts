import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/cli.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

/**
 * The recorder killed with SIGKILL: the capture reads back up to the last flush, in order, with at
 * most a torn last line reported (never fatal).
 */

const file = tmpFolder('kill9');
const CHILD = fileURLToPath(new URL('../helpers/capture-writer-child.ts', import.meta.url));
const children: ChildProcess[] = [];

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

function start(
  path: string,
  mode: 'ack' | 'timer',
  intervalMs: number,
): { child: ChildProcess; lines: string[]; waitFor: (re: RegExp) => Promise<RegExpMatchArray> } {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, mode, String(intervalMs)], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  const lines: string[] = [];
  const waiters: Array<{ re: RegExp; resolve: (m: RegExpMatchArray) => void }> = [];
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(line);
      for (const w of [...waiters]) {
        const m = w.re.exec(line);
        if (m) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(m);
        }
      }
    }
  });
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      waiters.push({ re, resolve });
      child.on('close', (code, signal) => reject(new Error(`child ended (${code ?? signal}) before printing ${re}; stderr may say why`)));
    });
  return { child, lines, waitFor };
}

async function kill(child: ChildProcess): Promise<void> {
  const closed = new Promise((r) => child.on('close', r));
  child.kill('SIGKILL');
  await closed;
  expect(child.signalCode).toBe('SIGKILL');
}

describe('kill -9 of a writing process', () => {
  for (const ext of ['jsonl', 'jsonl.gz']) {
    it(`.${ext}: every record acknowledged as flushed is read back, in order`, async () => {
      const path = file(`acked.${ext}`);
      const { child, lines, waitFor } = start(path, 'ack', 1000);
      await waitFor(/^flushed (\d{4,})$/);
      await kill(child);
      const acked = Math.max(
        ...lines
          .map((l) => /^flushed (\d+)$/.exec(l)?.[1])
          .filter((x) => x !== undefined)
          .map(Number),
      );
      const back = await readAll(path);
      expect(back.records.length).toBeGreaterThanOrEqual(acked);
      expect(back.records.map((r) => r.v)).toEqual(Array.from({ length: back.records.length }, (_, i) => i));
      expect(back.issues.every((i) => i.torn === true)).toBe(true);
      expect(back.issues.length).toBeLessThanOrEqual(1);
    });

    it(`.${ext}: the writer's own timer flushes; what it flushed survives`, async () => {
      const path = file(`timer.${ext}`);
      const { child } = start(path, 'timer', 20);
      // wait until the timer has flushed a good part of a second of samples (a condition, not a time)
      let seen = 0;
      for (let k = 0; k < 1000 && seen < 2000; k++) {
        await new Promise((r) => setTimeout(r, 20));
        seen = await readAll(path).then(
          (b) => b.records.length,
          () => 0,
        );
      }
      expect(seen).toBeGreaterThanOrEqual(2000);
      await kill(child);
      const back = await readAll(path);
      expect(back.records.length).toBeGreaterThanOrEqual(seen);
      expect(back.records.map((r) => r.v)).toEqual(Array.from({ length: back.records.length }, (_, i) => i));
      expect(back.issues.every((i) => i.torn === true)).toBe(true);
    });
  }
});
