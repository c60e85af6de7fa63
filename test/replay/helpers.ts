import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createCaptureWriter } from '../../src/capture/writer.js';
import type { CaptureRecord, SourceInfo, TagInfo } from '../../src/capture/types.js';
import { freePort } from '../../src/protocols/listen.js';
import { waitFor } from '../record/helpers.js';

/** Debian's mosquitto on a free loopback port, with a config of its own. */
export async function startMosquitto(dir: string): Promise<{ port: number; url: string; process: ChildProcess; stop(): Promise<void> }> {
  const port = await freePort('127.0.0.1');
  const conf = join(dir, `mosquitto-${port}.conf`);
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const child = spawn('/usr/sbin/mosquitto', ['-c', conf], { stdio: 'ignore' });
  const accepting = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
    });
  await waitFor(accepting, 50);
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

/** A capture written with the capture writer (header first), records in the order given. */
export async function writeCapture(path: string, sources: SourceInfo[], tags: TagInfo[], records: CaptureRecord[], created = new Date(records[0] ? Date.parse(records[0].t) : Date.now())): Promise<void> {
  const w = await createCaptureWriter(path, { sources, tags, created }, { flushIntervalMs: 10 });
  for (const r of records) w.write(r);
  await w.close();
}

/** A child process's output as it comes, with a way to wait for a line. */
export function watchOutput(child: ChildProcess): { lines: string[]; waitFor(re: RegExp): Promise<string> } {
  const lines: string[] = [];
  let buf = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, nl));
      buf = buf.slice(nl + 1);
    }
  });
  return {
    lines,
    waitFor: async (re) => {
      await waitFor(() => lines.some((l) => re.test(l)));
      return lines.find((l) => re.test(l))!;
    },
  };
}
