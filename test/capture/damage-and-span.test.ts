import { writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { tmpFolder } from '../helpers/tmp-folder.js';

// Captures written by hand here (the format is text; docs/capture-format.md), not by iiot's writer.
const file = tmpFolder('damage');
const T0 = Date.parse('2026-11-25T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const header = (created: number) =>
  JSON.stringify({
    type: 'header',
    format: 'iiot-capture',
    version: 1,
    created: iso(created),
    tool: 'hand-written',
    sources: [{ id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840' }],
    tags: [{ name: 'line.speed', source: 'plc', address: 'ns=2;s=speed' }],
  });

function lines(n: number): string {
  const out = [header(T0)];
  for (let i = 0; i < n; i++) out.push(JSON.stringify({ t: iso(T0 + i * 1000), tag: 'line.speed', v: 1000 + (i % 17) }));
  return `${out.join('\n')}\n`;
}

describe('a damaged capture is said first and fails capture info and validate', () => {
  it('a .gz cut short (a copy interrupted, a crash mid-flush)', async () => {
    const whole = gzipSync(lines(5000));
    const cut = file('cut.jsonl.gz');
    writeFileSync(cut, whole.subarray(0, Math.floor(whole.length / 2)));

    const info = await runCli(['capture', 'info', cut]);
    expect(info.code).toBe(2);
    expect(info.stderr.split('\n')[0]).toBe(`iiot: error: ${cut} is damaged: 1 bad line, the end is cut (a crash or a copy cut short)`);
    expect(info.stderr.split('\n')[1]).toMatch(new RegExp(`^  ${cut}:\\d+: the gzip stream is cut short`));
    // what could be read is still summarised, after the damage
    expect(info.stdout).toMatch(/^line\.speed +\d[\d ]* +1 000 +1 016 /m);

    const lenient = await runCli(['capture', 'info', cut, '--lenient']);
    expect(lenient.code).toBe(0);
    expect(lenient.stderr.split('\n')[0]).toBe(
      `iiot: warning: ${cut} is damaged: 1 bad line, the end is cut (a crash or a copy cut short)`,
    );

    const validate = await runCli(['capture', 'validate', cut]);
    expect(validate.code).toBe(2);
    expect(validate.stdout.split('\n')[0]).toMatch(new RegExp(`^${cut}:\\d+: error: the gzip stream is cut short`));
    expect(validate.stdout).toMatch(/not valid: .* 1 error, 0 warnings/);
    expect((await runCli(['capture', 'validate', cut, '--lenient'])).code).toBe(0);
  });

  it('a bad line in the middle', async () => {
    const text = lines(10).split('\n');
    text.splice(4, 0, '{"t":"2026-11-25T10:00:03.500Z","tag":"line.speed"');
    const bad = file('bad.jsonl');
    writeFileSync(bad, text.join('\n'));
    const info = await runCli(['capture', 'info', bad, '--json']);
    expect(info.code).toBe(2);
    expect(info.stderr.split('\n')[0]).toBe(`iiot: error: ${bad} is damaged: 1 bad line`);
    expect(info.stderr.split('\n')[1]).toMatch(new RegExp(`^  ${bad}:5: `));
    expect(JSON.parse(info.stdout)).toMatchObject({ records: { samples: 10 }, issues: { count: 1, torn: false } });
  });

  it('an intact capture says nothing on stderr and exits 0', async () => {
    const good = file('good.jsonl.gz');
    writeFileSync(good, gzipSync(lines(100)));
    const info = await runCli(['capture', 'info', good]);
    expect(info.code).toBe(0);
    expect(info.stderr).toBe('');
  });
});

describe('capture info: the span of the data and the span of the recording, apart', () => {
  it('a 30 s recording of a server that stamps 9-minute-old source times', async () => {
    // The recorder started at T0 and stopped at T0 + 30 s (its own clock: created, start, stop);
    // the server's source timestamps lag 9 minutes, so the samples span T0 - 9 min .. T0 + 21 s.
    const out = [header(T0), JSON.stringify({ t: iso(T0), event: 'start' })];
    for (let i = 0; i <= 30; i++) out.push(JSON.stringify({ t: iso(T0 - 540_000 + i * 1000), tag: 'line.speed', v: 1000 + i }));
    out.push(JSON.stringify({ t: iso(T0 + 30_000), event: 'stop', message: 'stopped by the user' }));
    const path = file('old-source-times.jsonl');
    writeFileSync(path, `${out.join('\n')}\n`);

    const r = await runCli(['capture', 'info', path, '--json']);
    expect(r.code).toBe(0);
    const body = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(body.data).toEqual({ first: iso(T0 - 540_000), last: iso(T0 - 510_000), durationMs: 30_000 });
    expect(body.recording).toEqual({ from: iso(T0), to: iso(T0 + 30_000), durationMs: 30_000 });
    // every record together: 9 min 30 s, which is neither
    expect(body.span).toEqual({ first: iso(T0 - 540_000), last: iso(T0 + 30_000), durationMs: 570_000 });

    const text = await runCli(['capture', 'info', path]);
    expect(text.stdout).toMatch(/^data {6}2026-11-25T09:51:00\.000Z \.\. 2026-11-25T09:51:30\.000Z \(30\.0 s\)$/m);
    expect(text.stdout).toMatch(
      /^recorded {2}2026-11-25T10:00:00\.000Z \.\. 2026-11-25T10:00:30\.000Z \(30\.0 s, by the recorder's clock\)$/m,
    );
  });

  it('a capture made in one go (no events after created) shows only the data span', async () => {
    const path = file('generated.jsonl');
    writeFileSync(path, lines(61));
    const body = JSON.parse((await runCli(['capture', 'info', path, '--json'])).stdout) as Record<string, unknown>;
    expect(body.data).toEqual({ first: iso(T0), last: iso(T0 + 60_000), durationMs: 60_000 });
    expect(body).not.toHaveProperty('recording');
  });
});
