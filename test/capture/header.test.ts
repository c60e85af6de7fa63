import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkedHeader, parseHeader } from '../../src/capture/header.js';
import { headerSchema } from '../../src/capture/header-schema.js';
import { IiotError } from '../../src/core/errors.js';
import { toolVersion } from '../../src/core/version.js';

/**
 * Reading a capture checks its header by hand and asks zod (the schema in header-schema.ts) only
 * to word what is wrong. These tests hold the hand check to the schema: on headers generated with
 * every field valid, invalid, missing or of the wrong type, plus unknown fields (a "__proto__"
 * one among them), parseHeader returns exactly what the schema's parse returns (the same fields
 * in the same order), or fails with the schema's first issue, as it did when it used zod alone.
 */

const json = fc.jsonValue({ maxDepth: 2 });
const str = fc.oneof(fc.constantFrom('x', 'plc1', 'kW', ''), fc.string({ minLength: 1, maxLength: 4 }));
/** a field's value: mostly of the right kind, sometimes anything */
const either = <T>(good: fc.Arbitrary<T>) => fc.oneof({ weight: 12, arbitrary: good }, { weight: 1, arbitrary: json });
const num = fc.oneof(fc.integer(), fc.double({ noNaN: true }), fc.constantFrom(1, 1.5, 0, -1, 2 ** 53, 1e300));
const extras = fc.dictionary(fc.constantFrom('extra', 'x-site', '__proto__', '1', 'constructor', 'toString'), json, { maxKeys: 2 });

/** An object with the given fields (the required ones mostly there, the others maybe) and some extra ones. */
function object(fields: Record<string, fc.Arbitrary<unknown>>, required: string[]): fc.Arbitrary<Record<string, unknown>> {
  const drop = fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.constantFrom(...required) });
  return fc
    .tuple(fc.record(fields, { requiredKeys: required }), extras, drop)
    .map(([known, extra, dropped]) => Object.fromEntries(Object.entries({ ...known, ...extra }).filter(([k]) => k !== dropped)));
}
const mostly = <T>(usual: T, ...others: T[]) =>
  fc.oneof({ weight: 6, arbitrary: fc.constant(usual) }, { weight: 1, arbitrary: fc.constantFrom(...others) });

const tag = either(
  object(
    {
      name: either(str),
      source: either(str),
      address: either(str),
      dataType: either(str),
      unit: either(str),
      range: either(fc.oneof(fc.tuple(num, num), fc.array(num, { maxLength: 3 }))),
      description: either(str),
    },
    ['name'],
  ),
);
const source = either(
  object({ id: either(str), protocol: either(str), endpoint: either(str), options: either(fc.dictionary(str, json, { maxKeys: 2 })) }, [
    'id',
    'protocol',
  ]),
);
const header = object(
  {
    version: either(mostly(1, 0, -1, 0.5)),
    created: either(mostly('2026-11-25T10:00:00.000Z', '2026-11-25T10:00:00+01:00', '2026-11-25', 'yesterday', '2026-02-30T00:00:00Z')),
    tool: either(str),
    sources: either(fc.array(source, { maxLength: 3 })),
    tags: either(fc.array(tag, { maxLength: 3 })),
    metadata: either(fc.dictionary(str, json, { maxKeys: 3 })),
    part: either(object({ index: either(mostly(1, 2, 0, 1.5)), first: either(str) }, ['index', 'first'])),
  },
  ['version', 'created', 'tool'],
).map((h) => ({ type: 'header', format: 'iiot-capture', ...h }));

/** What a capture file holds: JSON text, parsed (so a "__proto__" field is an own field). */
const asRead = (o: unknown): Record<string, unknown> =>
  JSON.parse(JSON.stringify(o, (k, v) => (k === '__proto__' ? undefined : v)).replace(/^\{/, '{"__proto__":{"x":1},')) as Record<
    string,
    unknown
  >;
const plain = (o: Record<string, unknown>): Record<string, unknown> => JSON.parse(JSON.stringify(o)) as Record<string, unknown>;

function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s || '(header)';
}

async function outcome(o: Record<string, unknown>): Promise<string> {
  try {
    return `ok ${JSON.stringify(await parseHeader(o, 'f.jsonl'))}`;
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    return `error ${(err as IiotError).message}`;
  }
}

/** parseHeader before the hand check: refuse a newer version, then let zod judge and word it. */
function expected(o: Record<string, unknown>): string {
  const v = o.version;
  if (typeof v === 'number' && Number.isInteger(v) && v > 1)
    return `error f.jsonl:1: capture format version ${v} is newer than this iiot (${toolVersion()}) reads (version 1)`;
  const parsed = headerSchema.safeParse(o);
  if (parsed.success) return `ok ${JSON.stringify(parsed.data)}`;
  return `error f.jsonl:1: header field ${fieldPath(parsed.error.issues[0]!.path)}: ${parsed.error.issues[0]!.message}`;
}

describe('the capture header, checked without zod', () => {
  it('accepts only what the schema accepts, and returns what the schema returns', () => {
    let accepted = 0;
    let valid = 0;
    fc.assert(
      fc.property(header, (h) => {
        for (const o of [plain(h), asRead(h)]) {
          const mine = checkedHeader(o);
          const zod = headerSchema.safeParse(o);
          if (zod.success) valid++;
          if (mine !== undefined) {
            accepted++;
            expect(zod.success).toBe(true);
            expect(JSON.stringify(mine)).toBe(JSON.stringify(zod.data));
          }
        }
      }),
      { numRuns: 3000 },
    );
    // the generated headers exercise both sides: many valid ones, and the hand check takes those
    // without a "__proto__" field (half of them have one: every asRead copy, some plain ones)
    expect(valid).toBeGreaterThan(300);
    expect(accepted).toBeGreaterThan(valid * 0.25);
  });

  it('fails as it failed with zod alone, and reads the same data when valid', async () => {
    await fc.assert(
      fc.asyncProperty(header, async (h) => {
        const o = plain(h);
        expect(await outcome(o)).toBe(expected(o));
      }),
      { numRuns: 2000 },
    );
  });

  it('does the work itself for the headers iiot writes, and leaves the odd ones to zod', () => {
    const written = {
      type: 'header',
      format: 'iiot-capture',
      version: 1,
      created: '2026-11-25T10:00:00.000Z',
      tool: 'iiot 0.1.0',
      sources: [{ id: 'plc1', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840', options: { interval: 1000 } }],
      tags: [{ name: 'line3.motor.current', source: 'plc1', address: 'ns=2;s=Current', dataType: 'double', unit: 'A', range: [0, 50] }],
      metadata: { site: 'Plant 7' },
      part: { index: 2, first: 'plant.jsonl.gz' },
    };
    expect(checkedHeader(written)).toEqual(written);
    // defaults filled in, unknown fields kept after the known ones, as zod's loose objects do
    const minimal = { 'x-site': 1, type: 'header', format: 'iiot-capture', version: 1, created: '2026-11-25T10:00:00Z', tool: 'py' };
    expect(JSON.stringify(checkedHeader(minimal))).toBe(
      '{"type":"header","format":"iiot-capture","version":1,"created":"2026-11-25T10:00:00Z","tool":"py","sources":[],"tags":[],"metadata":{},"x-site":1}',
    );
    expect(checkedHeader({ ...minimal, tags: [{ name: 7 }] })).toBeUndefined();
    expect(checkedHeader(asRead(minimal))).toBeUndefined(); // a "__proto__" field: zod decides
  });
});
