// A capture writer in its own process, for tests that kill it or starve it of disk.
// Usage: node --import tsx writer-child.ts <path> <mode: ack | timer> [flushIntervalMs]
// ack:   writes 200 samples, awaits flush(), prints "flushed <n>" (n = samples on disk), repeats
// timer: writes 20 samples every 2 ms and never calls flush(); the writer's timer must
// Either way it runs until killed, or until a write fails: then it prints "error <json>".
import { createCaptureWriter } from '../../src/capture/writer.js';
import { IiotError } from '../../src/core/errors.js';

const [path, mode = 'ack', interval = '50'] = process.argv.slice(2);
const t0 = Date.UTC(2026, 10, 25, 10);

function fail(err: unknown): never {
  const e = err as IiotError;
  process.stdout.write(`error ${JSON.stringify({ name: e.name, message: e.message, hint: e.hint, exitCode: e.exitCode })}\n`);
  process.exit(0);
}

const w = await createCaptureWriter(
  path!,
  { sources: [{ id: 'child', protocol: 'sim' }], tags: [{ name: 'x' }] },
  { flushIntervalMs: Number(interval) },
).catch(fail);
let i = 0;
if (mode === 'ack') {
  for (;;) {
    try {
      for (let k = 0; k < 200; k++, i++) w.sample('x', t0 + i, i);
      await w.flush();
    } catch (err) {
      fail(err);
    }
    process.stdout.write(`flushed ${i}\n`);
    await new Promise((r) => setImmediate(r));
  }
} else {
  setInterval(() => {
    try {
      for (let k = 0; k < 20; k++, i++) w.sample('x', t0 + i, i);
    } catch (err) {
      fail(err);
    }
  }, 2);
}
