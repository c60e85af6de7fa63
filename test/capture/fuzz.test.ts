import { readFileSync, writeFileSync } from 'node:fs';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { openCapture } from '../../src/capture/reader.js';
import { recordProblem } from '../../src/capture/record-check.js';
import type { CaptureIssue, CaptureRecord } from '../../src/capture/types.js';
import { createCaptureWriter } from '../../src/capture/writer.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

/**
 * Damaged input never crashes the reader: either the header is refused with an IiotError, or
 * every line is read or reported with a file:line issue, and every record handed out is valid.
 */

const file = tmpFolder('fuzz');

interface Outcome {
  refused?: IiotError;
  records: CaptureRecord[];
  issues: CaptureIssue[];
  lines: number;
}

async function readDamaged(path: string, chunkBytes = 512): Promise<Outcome> {
  const issues: CaptureIssue[] = [];
  const records: CaptureRecord[] = [];
  let reader;
  try {
    reader = await openCapture(path, { chunkBytes, maxLineBytes: 4096, onIssue: (i) => issues.push(i) });
  } catch (err) {
    if (!(err instanceof IiotError)) throw err;
    return { refused: err, records, issues, lines: 0 };
  }
  for await (const batch of reader.batches()) records.push(...batch);
  return { records, issues, lines: reader.linesRead };
}

function checkOutcome(o: Outcome, path: string): void {
  if (o.refused) {
    expect(o.refused.message).toMatch(new RegExp(`^(${escape(path)}:1: |cannot read )`));
    expect(o.refused.message).not.toContain('\n');
    return;
  }
  for (const r of o.records) expect(recordProblem(r)).toBeUndefined();
  for (const i of o.issues) {
    expect(i.file).toBe(path);
    expect(i.line).toBeGreaterThanOrEqual(1);
    // a torn gzip stream is reported on the line after the last one read
    expect(i.line).toBeLessThanOrEqual(o.lines + 1);
    expect(i.message.length).toBeGreaterThan(5);
    expect(i.message).not.toContain('\n');
  }
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

let plain: Buffer;
let gz: Buffer;
let original: CaptureRecord[];

beforeAll(async () => {
  for (const ext of ['jsonl', 'jsonl.gz']) {
    const w = await createCaptureWriter(file(`source.${ext}`), {
      sources: [{ id: 'plc', protocol: 'opcua' }],
      tags: [{ name: 'a', unit: 'A' }],
    });
    for (let i = 0; i < 300; i++) {
      w.sample(i % 3 ? 'a' : 'b', Date.UTC(2026, 10, 25) + i * 100, i % 10 === 0 ? `text ${i}` : i * 1.5, i % 7 ? undefined : { q: 'Bad' });
      if (i % 40 === 39) {
        w.event('note', Date.UTC(2026, 10, 25) + i * 100, { message: `flush ${i}` });
        await w.flush();
      }
    }
    await w.close();
  }
  plain = readFileSync(file('source.jsonl'));
  gz = readFileSync(file('source.jsonl.gz'));
  const o = await readDamaged(file('source.jsonl'));
  original = o.records;
  expect(original).toHaveLength(307);
});

const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('cut' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 200 }) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 64 }) }),
  fc.record({ kind: fc.constant('zeros' as const), at: fc.nat(), len: fc.integer({ min: 1, max: 5000 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(buf: Buffer, ms: Mutation[]): Buffer {
  let b = Buffer.from(buf);
  for (const m of ms) {
    const at = b.length ? m.at % b.length : 0;
    switch (m.kind) {
      case 'flip':
        if (b.length) b[at] = m.byte;
        break;
      case 'cut':
        b = b.subarray(0, at);
        break;
      case 'delete':
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
        break;
      case 'insert':
        b = Buffer.concat([b.subarray(0, at), Buffer.from(m.bytes), b.subarray(at)]);
        break;
      case 'zeros':
        // what a file system can leave after a crash: a run of NUL bytes
        b = Buffer.concat([b.subarray(0, at), Buffer.alloc(m.len), b.subarray(at)]);
        break;
    }
  }
  return b;
}

describe('fuzzed and mutated input', () => {
  it('random bytes: refused with a one-line IiotError naming file:1, or read with issues', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 3000 }), async (bytes) => {
        const path = file(`random-${n++}.jsonl`);
        writeFileSync(path, bytes);
        const o = await readDamaged(path);
        checkOutcome(o, path);
        expect(o.refused).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });

  it('mutated plain captures: never crash; every record valid; every issue names a line', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.integer({ min: 16, max: 2048 }), async (ms, chunk) => {
        const path = file(`mut-${n++}.jsonl`);
        const damaged = mutate(plain, ms);
        writeFileSync(path, damaged);
        const o = await readDamaged(path, chunk);
        checkOutcome(o, path);
        expect(o.lines).toBeLessThanOrEqual(damaged.toString('latin1').split('\n').length);
        if (!o.refused) expect(o.records.length).toBeLessThanOrEqual(original.length + 64);
      }),
      { numRuns: 300 },
    );
  });

  it('gzip cut anywhere: a prefix of the records, and at most one issue, a torn one', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: gz.length }), async (cut) => {
        const path = file(`cut-${n++}.jsonl.gz`);
        writeFileSync(path, gz.subarray(0, cut));
        const o = await readDamaged(path, 4096);
        if (o.refused) {
          // only a cut inside the header's own member can lose the header
          expect(o.refused.message).toMatch(/:1: /);
          return;
        }
        expect(o.records).toEqual(original.slice(0, o.records.length));
        expect(o.issues.length).toBeLessThanOrEqual(1);
        for (const i of o.issues) expect(i.torn).toBe(true);
        if (cut === gz.length) {
          expect(o.records).toHaveLength(original.length);
          expect(o.issues).toEqual([]);
        }
      }),
      { numRuns: 200 },
    );
  });

  it('mutated gzip captures: never crash; every record valid', async () => {
    let n = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 3 }), async (ms) => {
        const path = file(`gzmut-${n++}.jsonl.gz`);
        writeFileSync(path, mutate(gz, ms));
        const o = await readDamaged(path, 1024);
        checkOutcome(o, path);
      }),
      { numRuns: 200 },
    );
  });
});
