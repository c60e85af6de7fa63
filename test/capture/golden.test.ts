import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { convertCapture } from '../../src/capture/convert.js';
import { diffCaptures } from '../../src/capture/diff.js';
import { captureInfo } from '../../src/capture/info.js';
import { validateCapture } from '../../src/capture/validate.js';
import { ROOT } from '../helpers/cli.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

/**
 * Golden files (fixtures/captures/golden/): each capture with the expected output of info,
 * validate and convert beside it. A change of output is a change of contract: update the
 * expected file in the same commit, on purpose.
 */

const GOLDEN = `${ROOT}fixtures/captures/golden/`;
const file = tmpFolder('golden');

/** Paths in results as the fixture names, so the expected files do not depend on where the repo is. */
function normalise(o: unknown): unknown {
  return JSON.parse(JSON.stringify(o, (_k, v: unknown) => (typeof v === 'string' && v.startsWith(GOLDEN) ? v.slice(GOLDEN.length) : v)));
}

function expected(name: string): unknown {
  return JSON.parse(readFileSync(`${GOLDEN}${name}`, 'utf8'));
}

const captures = readdirSync(GOLDEN)
  .filter((f) => f.endsWith('.jsonl') && !f.startsWith('diff-'))
  .map((f) => f.slice(0, -'.jsonl'.length));

describe('golden captures', () => {
  it('has the cases this test is about', () => {
    expect(captures).toEqual(['basic', 'messy']);
  });

  for (const name of captures) {
    const path = `${GOLDEN}${name}.jsonl`;
    it(`${name}: capture info`, async () => {
      expect(normalise(await captureInfo([path]))).toEqual(expected(`${name}.info.json`));
    });
    it(`${name}: capture validate`, async () => {
      expect(normalise(await validateCapture([path]))).toEqual(expected(`${name}.validate.json`));
    });
    for (const layout of ['long', 'wide'] as const) {
      it(`${name}: convert to ${layout} CSV`, async () => {
        const out = file(`${name}.${layout}.csv`);
        await convertCapture([path], { output: out, layout });
        expect(readFileSync(out, 'utf8')).toBe(readFileSync(`${GOLDEN}${name}.${layout}.csv`, 'utf8'));
      });
    }
  }

  it('diff: tolerances, a missing, an extra and a late sample, a quality change, a tag only in B', async () => {
    const result = await diffCaptures([`${GOLDEN}diff-a.jsonl`], [`${GOLDEN}diff-b.jsonl`], {
      tolerance: { rel: 0.001 },
      timeToleranceMs: 50,
    });
    expect(normalise(result)).toEqual(expected('diff.json'));
  });
});
