/**
 * Every example of docs/scripting.md runs as a user would run it: the package installed (here a
 * link to this repository, as `npm link` makes it), the shell commands of the page run in a fresh
 * folder, the files the page shows written there, each ```js block saved as a .mjs file and run
 * with node. An example passes when it exits 0 and prints what its `<!-- expect: /.../ -->` says.
 * Then docs/fleet-sql.md's DuckDB query runs over the same sites' Parquet files and must give
 * iiot's daily energy, day by day.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuckDBInstance } from '@duckdb/node-api';
import { energy } from '../../src/lib/analyses.js';
import { toParquet } from '../../src/lib/parquet.js';
import { ROOT, runCli } from '../helpers/cli.js';
import { runProcess } from '../helpers/process.js';

interface Block {
  lang: string;
  code: string;
  file?: string;
  expect?: RegExp;
  heading: string;
}

function docBlocks(path: string): Block[] {
  const text = readFileSync(path, 'utf8');
  const out: Block[] = [];
  let heading = '';
  const re = /^(#+ .*)$|(?:<!-- file: (\S+) -->\n)?```(\w+)\n([\s\S]*?)```\n(?:<!-- expect: \/(.*)\/ -->)?/gm;
  for (const m of text.matchAll(re)) {
    if (m[1]) {
      heading = m[1].replace(/^#+ /, '');
      continue;
    }
    out.push({ lang: m[3]!, code: m[4]!, heading, ...(m[2] ? { file: m[2] } : {}), ...(m[5] ? { expect: new RegExp(m[5]) } : {}) });
  }
  return out;
}

const blocks = docBlocks(join(ROOT, 'docs/scripting.md'));
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'iiot-scripting-'));
  mkdirSync(join(dir, 'node_modules/@duckdb'), { recursive: true });
  symlinkSync(ROOT, join(dir, 'node_modules/iiot'));
  symlinkSync(join(ROOT, 'node_modules/@duckdb/node-api'), join(dir, 'node_modules/@duckdb/node-api'));
  mkdirSync(join(dir, 'sites'));
  for (const b of blocks) {
    if (b.file) writeFileSync(join(dir, b.file), b.code);
    if (b.lang !== 'sh') continue;
    for (const line of b.code.split('\n').filter((l) => l.startsWith('iiot '))) {
      // the page's own command lines, split as a shell would (double quotes only)
      const args = [...line.slice(5).matchAll(/"([^"]*)"|(\S+)/g)].map((a) => a[1] ?? a[2]!);
      const r = await runCli([...args, '-q'], { cwd: dir, timeoutMs: 120_000 });
      expect(r.code, `${line}\n${r.stderr}`).toBe(0);
    }
  }
}, 240_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('docs/scripting.md', () => {
  const examples = blocks.filter((b) => b.lang === 'js');
  it('has examples, and every one but the import line says what it prints', () => {
    expect(examples.length).toBeGreaterThanOrEqual(6);
    expect(examples.slice(1).every((b) => b.expect !== undefined)).toBe(true);
  });
  examples.forEach((b, i) => {
    it(`example ${i + 1} (${b.heading || 'imports'}) runs and prints what the page says`, async () => {
      const file = join(dir, `example-${i + 1}.mjs`);
      writeFileSync(file, b.code);
      const r = await runProcess(process.execPath, [file], {
        cwd: dir,
        env: { ...process.env, NO_COLOR: '1' },
        input: '',
        timeoutMs: 120_000,
      });
      expect(r.code, r.stderr).toBe(0);
      if (b.expect) expect(r.stdout).toMatch(b.expect);
    });
  });
});

describe('docs/fleet-sql.md', () => {
  it("the DuckDB roll-up over the sites' Parquet files gives iiot's daily kWh, site by site and day by day", async () => {
    const sql = /<!-- test: duckdb -->\n```sql\n([\s\S]*?)```/.exec(readFileSync(join(ROOT, 'docs/fleet-sql.md'), 'utf8'))![1]!;
    const fleet = join(dir, 'fleet');
    mkdirSync(fleet);
    for (const site of ['north', 'south']) await toParquet(join(dir, `sites/${site}.jsonl.gz`), join(fleet, `${site}.parquet`));
    const db = await (await DuckDBInstance.create(':memory:')).connect();
    const rows = (await db.runAndReadAll(sql.replaceAll("'parquet/*.parquet'", `'${fleet}/*.parquet'`))).getRowObjectsJson() as {
      site: string;
      day: string;
      kwh: number;
    }[];
    expect(new Set(rows.map((r) => r.site))).toEqual(new Set(['north', 'south']));
    for (const site of ['north', 'south']) {
      const r = await energy(join(dir, `sites/${site}.jsonl.gz`), { meter: 'plant.energy', subs: 'none' });
      const sqlDays = rows.filter((x) => x.site === site);
      expect(sqlDays.map((x) => x.day)).toEqual(r.totals.days.map((d) => d.day));
      for (const d of r.totals.days) expect(sqlDays.find((x) => x.day === d.day)!.kwh).toBeCloseTo(d.kwh, 2);
    }
  });
});
