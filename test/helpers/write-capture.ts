import type { ChildProcess } from 'node:child_process';
import { createCaptureWriter } from '../../src/capture/writer.js';
import type { CaptureRecord, SourceInfo, TagInfo } from '../../src/capture/types.js';
import { waitFor } from './wait.js';

/** A capture written with the capture writer (header first), records in the order given. */
export async function writeCapture(
  path: string,
  sources: SourceInfo[],
  tags: TagInfo[],
  records: CaptureRecord[],
  created = new Date(records[0] ? Date.parse(records[0].t) : Date.now()),
): Promise<void> {
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
