import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isoFromMs, toCaptureTime } from '../../src/capture/iso-time.js';
import { openCapture } from '../../src/capture/reader.js';
import type { CaptureRecord, SampleValue, TagInfo } from '../../src/capture/types.js';
import { createCaptureWriter } from '../../src/capture/writer.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('roundtrip');

/** 1970..2038 with microseconds: what the writer's callers pass as times */
const timeMsArb = fc.integer({ min: 0, max: 2 ** 41 }).chain((ms) => fc.integer({ min: 0, max: 999 }).map((us) => ms + us / 1000));
const timeArb = fc.oneof(
  timeMsArb,
  timeMsArb.map((ms) => new Date(Math.floor(ms))),
  timeMsArb.map((ms) => isoFromMs(ms)!),
  // a UTC string with nanoseconds, kept verbatim
  fc
    .tuple(fc.integer({ min: 0, max: 2 ** 41 }), fc.integer({ min: 0, max: 999_999 }))
    .map(([ms, ns]) => `${new Date(ms).toISOString().slice(0, 23)}${String(ns).padStart(6, '0')}Z`),
);
const textArb = fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).filter((s) => !/[\uD800-\uDFFF]/.test(s));
const valueArb: fc.Arbitrary<SampleValue | bigint> = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  textArb,
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<SampleValue>,
);
const extraArb = fc.record(
  { q: fc.constantFrom('BadCommunicationError', 'UncertainLastUsableValue', 'x'), st: timeMsArb, svt: timeMsArb },
  { requiredKeys: [] },
);

type Op =
  | { kind: 'sample'; tag: string; t: number | Date | string; v: SampleValue | bigint; extra: { q?: string; st?: number; svt?: number } }
  | { kind: 'event'; event: string; t: number | Date | string; message?: string }
  | { kind: 'raw'; t: number; topic: string; payload: string; enc: 'utf8' | 'base64'; qos: 0 | 1 | 2 }
  | { kind: 'config'; t: number; tag: string }
  | { kind: 'flush' };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('sample' as const), tag: textArb, t: timeArb, v: valueArb, extra: extraArb }) },
  {
    weight: 1,
    arbitrary: fc.record(
      { kind: fc.constant('event' as const), event: fc.constantFrom('gap', 'note', 'reconnect'), t: timeArb, message: textArb },
      { requiredKeys: ['kind', 'event', 't'] },
    ),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('raw' as const),
      t: timeMsArb,
      topic: textArb,
      payload: fc.string(),
      enc: fc.constantFrom('utf8' as const, 'base64' as const),
      qos: fc.constantFrom(0 as const, 1 as const, 2 as const),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('config' as const), t: timeMsArb, tag: textArb }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'flush' as const }) },
);

function nonFinite(v: number): string {
  return Number.isNaN(v) ? 'NaN' : v > 0 ? 'Infinity' : '-Infinity';
}

/** What the reader must give back for what was written (docs/capture-format.md, "Values"). */
function expected(op: Op): CaptureRecord | undefined {
  switch (op.kind) {
    case 'sample': {
      const r: Record<string, unknown> = { t: toCaptureTime(op.t), tag: op.tag };
      let q = op.extra.q;
      const v = op.v;
      if (typeof v === 'number' && !Number.isFinite(v)) {
        r.v = null;
        q ??= nonFinite(v);
      } else if (typeof v === 'bigint') r.v = Number(v);
      else r.v = JSON.parse(JSON.stringify(v)) as unknown;
      if (q !== undefined) r.q = q;
      if (op.extra.st !== undefined) r.st = isoFromMs(op.extra.st);
      if (op.extra.svt !== undefined) r.svt = isoFromMs(op.extra.svt);
      return r as CaptureRecord;
    }
    case 'event':
      return { t: toCaptureTime(op.t)!, event: op.event, ...(op.message !== undefined ? { message: op.message } : {}) };
    case 'raw':
      return { t: isoFromMs(op.t)!, raw: 'mqtt', topic: op.topic, payload: op.payload, enc: op.enc, qos: op.qos };
    case 'config':
      return { t: isoFromMs(op.t)!, event: 'config', tags: [{ name: op.tag, unit: 'kW' }] };
    case 'flush':
      return undefined;
  }
}

describe('write then read (property-based)', () => {
  for (const ext of ['jsonl', 'jsonl.gz']) {
    it(`gives back every record, in order, for .${ext}`, async () => {
      let run = 0;
      await fc.assert(
        fc.asyncProperty(fc.array(opArb, { maxLength: 60 }), fc.integer({ min: 16, max: 4096 }), async (ops, chunkBytes) => {
          const path = file(`rt-${run++}.${ext}`);
          const tags: TagInfo[] = [{ name: 'declared', unit: 'A' }];
          const w = await createCaptureWriter(path, { sources: [{ id: 's', protocol: 'sim' }], tags, metadata: { seed: 1 } });
          for (const op of ops) {
            if (op.kind === 'sample') {
              const extra = {
                ...(op.extra.q !== undefined ? { q: op.extra.q } : {}),
                ...(op.extra.st !== undefined ? { st: isoFromMs(op.extra.st)! } : {}),
                ...(op.extra.svt !== undefined ? { svt: isoFromMs(op.extra.svt)! } : {}),
              };
              w.sample(op.tag, op.t, op.v, extra);
            } else if (op.kind === 'event') w.event(op.event, op.t, op.message !== undefined ? { message: op.message } : {});
            else if (op.kind === 'raw')
              w.write({ t: isoFromMs(op.t)!, raw: 'mqtt', topic: op.topic, payload: op.payload, enc: op.enc, qos: op.qos });
            else if (op.kind === 'config') w.addTags([{ name: op.tag, unit: 'kW' }], op.t);
            else await w.flush();
          }
          await w.close();
          const back = await readAll(path, { chunkBytes, strict: true });
          expect(back.issues).toEqual([]);
          expect(back.header.tags).toEqual(tags);
          expect(back.header.metadata).toEqual({ seed: 1 });
          expect(back.records).toEqual(ops.map(expected).filter((r) => r !== undefined));
          // the config events' tags are known to the reader once read
          const reader = await openCapture(path);
          for await (const _ of reader.batches());
          const names = reader.tags().map((t) => t.name);
          for (const op of ops) if (op.kind === 'config') expect(names).toContain(op.tag);
        }),
        { numRuns: 60 },
      );
    });
  }

  it('batches() and the record iterator give the same records', async () => {
    const path = file('iter.jsonl');
    const w = await createCaptureWriter(path, { sources: [], tags: [] });
    for (let i = 0; i < 5000; i++) w.sample(`t${i % 7}`, i * 10, i / 3);
    await w.close();
    const a = await readAll(path, { chunkBytes: 1000 });
    const reader = await openCapture(path, { chunkBytes: 777 });
    const b: CaptureRecord[] = [];
    for await (const r of reader) b.push(r);
    expect(b).toEqual(a.records);
    expect(b).toHaveLength(5000);
    expect(b[4999]).toEqual({ t: '1970-01-01T00:00:49.990Z', tag: 't1', v: 4999 / 3 });
  });
});
