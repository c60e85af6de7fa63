import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { openCapture } from '../../src/capture/reader.js';
import { readAll } from '../helpers/capture-read-all.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

const file = tmpFolder('reader');

const HEADER =
  '{"type":"header","format":"iiot-capture","version":1,"created":"2026-11-25T10:00:00.000Z","tool":"test","sources":[],"tags":[{"name":"a"}],"metadata":{}}';
const S = (i: number, v: unknown = i) => JSON.stringify({ t: new Date(Date.UTC(2026, 10, 25, 10) + i * 1000).toISOString(), tag: 'a', v });

function capture(name: string, lines: string[], end = '\n'): string {
  const path = file(name);
  writeFileSync(path, lines.join('\n') + end);
  return path;
}

async function openError(path: string): Promise<IiotError> {
  try {
    const r = await openCapture(path);
    await r.close();
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    return err as IiotError;
  }
  throw new Error('openCapture did not fail');
}

describe('openCapture: the header', () => {
  it('refuses an empty file, a first line that is not a header, and names file:1', async () => {
    const empty = capture('empty.jsonl', [], '');
    expect((await openError(empty)).message).toBe(`${empty}:1: the file is empty, not a capture`);
    const noHeader = capture('nohdr.jsonl', [S(0)]);
    const e = await openError(noHeader);
    expect(e.message).toBe(`${noHeader}:1: the first line is a sample, not the capture header`);
    expect(e.exitCode).toBe(2);
    expect(e.hint).toMatch(/"type":"header"/);
    const csv = capture('x.jsonl', ['time,tag,value', '2026-11-25T10:00:00Z,a,1']);
    expect((await openError(csv)).message).toMatch(/:1: the first line is not JSON/);
  });

  it('refuses a newer format version with a clear upgrade hint', async () => {
    const path = capture('v2.jsonl', [HEADER.replace('"version":1', '"version":2'), S(0)]);
    const e = await openError(path);
    expect(e.message).toMatch(new RegExp(`^${path}:1: capture format version 2 is newer than this iiot .* reads \\(version 1\\)$`));
    expect(e.hint).toBe('upgrade iiot to read this file');
  });

  it('names the header field that is wrong', async () => {
    const path = capture('badtag.jsonl', [HEADER.replace('{"name":"a"}', '{"name":7}'), S(0)]);
    expect((await openError(path)).message).toBe(`${path}:1: header field tags[0].name: Invalid input: expected string, received number`);
    const fmt = capture('fmt.jsonl', [HEADER.replace('iiot-capture', 'other'), S(0)]);
    expect((await openError(fmt)).message).toBe(`${fmt}:1: format is "other", not "iiot-capture"`);
    const missing = capture('missing.jsonl', [HEADER.replace('"created":"2026-11-25T10:00:00.000Z",', ''), S(0)]);
    expect((await openError(missing)).message).toMatch(/:1: header field created: /);
  });

  it('keeps unknown header fields and fills optional ones', async () => {
    const path = capture('extra.jsonl', [
      '{"type":"header","format":"iiot-capture","version":1,"created":"2026-11-25T10:00:00Z","tool":"py","x-site":{"a":1}}',
      S(0),
    ]);
    const back = await readAll(path);
    expect(back.header['x-site']).toEqual({ a: 1 });
    expect(back.header.tags).toEqual([]);
    expect(back.header.sources).toEqual([]);
    expect(back.records).toHaveLength(1);
  });

  it('reads a byte-order mark, CRLF line ends and blank lines', async () => {
    const path = file('crlf.jsonl');
    writeFileSync(path, `\uFEFF${HEADER}\r\n${S(0)}\r\n\r\n${S(1)}\r\n`);
    const back = await readAll(path, { strict: true });
    expect(back.records.map((r) => r.v)).toEqual([0, 1]);
  });

  it('reports a tag declared twice, and fails on it with strict', async () => {
    const path = capture('dup.jsonl', [HEADER.replace('{"name":"a"}', '{"name":"a"},{"name":"a"}'), S(0)]);
    const back = await readAll(path);
    expect(back.issues).toEqual([{ file: path, line: 1, message: 'the header declares tag "a" more than once' }]);
    await expect(openCapture(path, { strict: true })).rejects.toThrow(`${path}:1: the header declares tag "a" more than once`);
  });
});

describe('reading lines', () => {
  it('skips a bad line with an issue naming its line, and keeps reading', async () => {
    const path = capture('bad.jsonl', [
      HEADER,
      S(0),
      '{"t":"2026-11-25T10:00:01Z","tag":"a"}',
      'garbage',
      S(3),
      '[1,2]',
      '{"t":"2026-11-25T10:00:04Z","event":"note","tag":"a"}',
      S(5),
    ]);
    const back = await readAll(path);
    expect(back.records.map((r) => r.v)).toEqual([0, 3, 5]);
    expect(back.issues.map((i) => [i.line, i.message])).toEqual([
      [3, 'sample of "a" has no "v" (value; write null for no value)'],
      [4, "not valid JSON: Unexpected token 'g'"],
      [6, 'not a JSON object (an array)'],
      [7, 'more than one of "tag", "event" and "raw": a line is a sample, an event or a raw message'],
    ]);
    expect(back.issues.every((i) => i.file === path && i.torn === undefined)).toBe(true);
  });

  it('with strict, fails on the first bad line with file:line and exit code 2', async () => {
    const path = capture('strict.jsonl', [HEADER, S(0), S(1), '{"t":"not a time","tag":"a","v":1}', S(3)]);
    const reader = await openCapture(path, { strict: true });
    const err = await (async () => {
      try {
        for await (const _ of reader.batches());
      } catch (e) {
        return e as IiotError;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(IiotError);
    expect(err!.message).toBe(`${path}:4: "t" is not an ISO 8601 time with a zone: "not a time"`);
    expect(err!.exitCode).toBe(2);
  });

  it('reports a torn last line as a warning (torn: true) and keeps the rest', async () => {
    const path = capture('torn.jsonl', [HEADER, S(0), S(1), S(2).slice(0, 25)], '');
    const back = await readAll(path);
    expect(back.records.map((r) => r.v)).toEqual([0, 1]);
    expect(back.issues).toEqual([
      { file: path, line: 4, message: 'the last line is cut short (no newline at the end: the writer was stopped mid-line)', torn: true },
    ]);
    await expect(readAll(path, { strict: true })).rejects.toThrow(`${path}:4: the last line is cut short`);
  });

  it('accepts a complete last line without its newline', async () => {
    const path = capture('nonl.jsonl', [HEADER, S(0), S(1)], '');
    const back = await readAll(path, { strict: true });
    expect(back.records.map((r) => r.v)).toEqual([0, 1]);
  });

  it('reports a second header (concatenated captures) and lines that are not UTF-8', async () => {
    const path = file('cat.jsonl');
    const bad = Buffer.concat([
      Buffer.from(`${HEADER}\n${S(0)}\n${HEADER}\n`),
      Buffer.from([0x7b, 0xff, 0xfe, 0x7d, 0x0a]),
      Buffer.from(`${S(1)}\n`),
    ]);
    writeFileSync(path, bad);
    const back = await readAll(path);
    expect(back.records.map((r) => r.v)).toEqual([0, 1]);
    expect(back.issues.map((i) => [i.line, i.message])).toEqual([
      [3, 'a second header line (were two captures concatenated?)'],
      [4, 'not valid UTF-8 (a binary or damaged file?)'],
    ]);
  });

  it('skips a line longer than the limit without holding it in memory', async () => {
    const path = capture('long.jsonl', [HEADER, S(0), `{"t":"2026-11-25T10:00:01Z","tag":"a","v":"${'x'.repeat(50_000)}"}`, S(2)]);
    const back = await readAll(path, { chunkBytes: 1024, maxLineBytes: 10_000 });
    expect(back.records.map((r) => r.v)).toEqual([0, 2]);
    expect(back.issues.map((i) => i.line)).toEqual([3]);
    expect(back.issues[0]!.message).toMatch(/^line longer than/);
  });

  it('keeps unknown fields of every kind of line', async () => {
    const path = capture('unknown.jsonl', [
      HEADER,
      '{"t":"2026-11-25T10:00:00Z","tag":"a","v":1,"unit":"kW","nested":{"x":[1,2]}}',
      '{"t":"2026-11-25T10:00:00Z","event":"note","severity":3}',
      '{"t":"2026-11-25T10:00:00Z","raw":"mqtt","topic":"x","payload":"AAE=","enc":"base64","props":{"r":1}}',
    ]);
    const back = await readAll(path, { strict: true });
    expect(back.records).toEqual([
      { t: '2026-11-25T10:00:00Z', tag: 'a', v: 1, unit: 'kW', nested: { x: [1, 2] } },
      { t: '2026-11-25T10:00:00Z', event: 'note', severity: 3 },
      { t: '2026-11-25T10:00:00Z', raw: 'mqtt', topic: 'x', payload: 'AAE=', enc: 'base64', props: { r: 1 } },
    ]);
  });

  it('recognises gzip by its bytes, whatever the name', async () => {
    const path = file('really-gzip.jsonl');
    writeFileSync(path, gzipSync(`${HEADER}\n${S(0)}\n${S(1)}\n`));
    expect((await readAll(path)).records).toHaveLength(2);
    const plain = file('plain.jsonl.gz');
    writeFileSync(plain, `${HEADER}\n${S(0)}\n`);
    expect((await readAll(plain)).records).toHaveLength(1);
  });

  it('reads concatenated gzip members and reports a stream cut short as torn', async () => {
    const path = file('members.jsonl.gz');
    const members = [gzipSync(`${HEADER}\n`), gzipSync(`${S(0)}\n${S(1)}\n`), gzipSync(`${S(2)}\n${S(3)}\n`)];
    const whole = Buffer.concat(members);
    writeFileSync(path, whole);
    expect((await readAll(path)).records.map((r) => r.v)).toEqual([0, 1, 2, 3]);
    // cut inside the last member's trailer: its data decodes, then the stream ends early
    writeFileSync(path, whole.subarray(0, whole.length - 4));
    const cut = await readAll(path);
    expect(cut.records.map((r) => r.v)).toEqual([0, 1, 2, 3]);
    expect(cut.issues).toEqual([
      {
        file: path,
        line: 6,
        message: 'the gzip stream is cut short after line 5 (the writer was stopped mid-flush); what came before was read',
        torn: true,
      },
    ]);
  });

  it('reports damaged gzip data once and stops there', async () => {
    const path = file('damaged.jsonl.gz');
    const body = Array.from({ length: 20_000 }, (_, i) => S(i, Math.sin(i))).join('\n');
    const members = Buffer.concat([gzipSync(`${HEADER}\n`), gzipSync(`${body}\n`)]);
    const damaged = Buffer.from(members);
    const middle = Math.floor(members.length / 2);
    for (let i = middle; i < middle + 100; i++) damaged[i] = 0x55;
    writeFileSync(path, damaged);
    const back = await readAll(path);
    // what came before the damage is read; nothing after it
    expect(back.records.length).toBeGreaterThan(1000);
    expect(back.records.length).toBeLessThan(20_000);
    expect(back.issues.filter((i) => /gzip/.test(i.message))).toHaveLength(1);
    // garbage decoded before zlib notices may show up as bad lines first
    expect(back.issues.at(-1)!.message).toMatch(/^the gzip data is damaged after line \d+ \(.+\); the rest of the file cannot be read$/);
  });

  it('can be iterated once; a second batches() is an error', async () => {
    const path = capture('once.jsonl', [HEADER, S(0)]);
    const reader = await openCapture(path);
    for await (const _ of reader.batches());
    await expect(async () => {
      for await (const _ of reader.batches());
    }).rejects.toThrow('is already being read');
  });
});
