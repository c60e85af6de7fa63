import { stripVTControlCharacters } from 'node:util';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { LiveView } from '../../src/record/live-view.js';
import { RecordStats } from '../../src/record/stats.js';
import { waitFor } from '../helpers/wait.js';

describe('the live view', () => {
  it("shows each source's state and, per tag, the last value, rate, samples and errors", async () => {
    const stats = new RecordStats();
    stats.sources.push({ id: 'plc', protocol: 'opcua', endpoint: 'opc.tcp://127.0.0.1:4840', state: 'connected' });
    stats.sources.push({
      id: 'sdm630',
      protocol: 'modbus',
      endpoint: 'modbus://127.0.0.1:5020?unit=1',
      state: 'disconnected',
      detail: 'connection refused',
    });
    stats.tag('pump1.vibration', 'plc');
    stats.tag('sdm630.frequency', 'sdm630');
    stats.tag('silent.tag', 'plc');
    for (let i = 0; i < 11; i++) {
      stats.sample('pump1.vibration', 1000 * i, 1.42 + i / 100, undefined);
      stats.sample('pump1.vibration', 1000 * i + 500, 1.43 + i / 100, undefined);
      stats.tick();
    }
    stats.sample('sdm630.frequency', 0, 50.01, undefined);
    stats.error('sdm630.frequency', 'no answer (timed out)');
    stats.error('sdm630.frequency', 'no answer (timed out)');
    stats.event('gap');
    stats.notice('sdm630: modbus://127.0.0.1:5020?unit=1 closed the connection; reconnecting');
    const t0 = stats.startedAt;
    const { lastFrame, unmount } = render(
      <LiveView stats={stats} file="sat.jsonl.gz" durationMs={7_200_000} rows={10} refreshMs={10} now={() => t0 + 12_000} />,
    );
    // drawn every 10 ms: wait for the frame with every tag in it (a busy machine draws later)
    await waitFor(() => /silent\.tag/.test(lastFrame() ?? '') && /Ctrl-C stops/.test(lastFrame() ?? ''));
    const frame = stripVTControlCharacters(lastFrame() ?? '');
    unmount();
    const lines = frame.split('\n');
    expect(lines[0]).toMatch(/^recording to sat\.jsonl\.gz · 12\.0 s of 2h · 23 samples · 1 gap$/);
    expect(frame).toMatch(/plc\s+connected\s+opc\.tcp:\/\/127\.0\.0\.1:4840/);
    expect(frame).toMatch(/sdm630\s+disconnected\s+modbus:\/\/127\.0\.0\.1:5020\?unit=1 \(connection refused\)/);
    const row = (tag: string) =>
      lines
        .find((l) => l.trimStart().startsWith(tag))!
        .trim()
        .split(/\s+/);
    expect(row('pump1.vibration')).toEqual(['pump1.vibration', '1.53', '2.0', '22']);
    expect(row('sdm630.frequency')).toEqual(['sdm630.frequency', '50.01', '0.0', '1', '2']);
    expect(row('silent.tag')).toEqual(['silent.tag', '0.0', '0']);
    expect(frame).toMatch(/1 tag has no value yet/);
    expect(frame).toMatch(/! sdm630: modbus:\/\/127\.0\.0\.1:5020\?unit=1 closed the connection; reconnecting/);
    expect(frame).toMatch(/Ctrl-C stops and closes the file/);
  });
});
