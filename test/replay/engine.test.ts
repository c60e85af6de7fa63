import { describe, expect, it } from 'vitest';
import type { CaptureRecord, SampleLine } from '../../src/capture/types.js';
import type { ReplaySink } from '../../src/protocols/types.js';
import { virtualClock } from '../../src/replay/clock.js';
import { percentile, play, type PlayOptions } from '../../src/replay/engine.js';
import { planAddressSpace, REPLAY_NAMESPACE } from '../../src/protocols/opcua/sink.js';
import { topicForTag } from '../../src/protocols/mqtt/sink.js';
import { recordedRegister } from '../../src/protocols/modbus/sink.js';

const T0 = Date.parse('2026-11-25T10:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString();
const s = (ms: number, tag: string, v: number): SampleLine => ({ t: iso(T0 + ms), tag, v });

/** A sink that notes when (virtual wall time) each record arrives. */
function recorder(clock: { now(): number }) {
  const got: Array<{ at: number; r: CaptureRecord }> = [];
  const sink: ReplaySink = {
    endpoint: 'test://',
    prepare: async () => undefined,
    apply: (rs) => void rs.forEach((r) => got.push({ at: clock.now(), r })),
    close: async () => undefined,
  };
  return { sink, got };
}

const capture: CaptureRecord[] = [s(0, 'a', 1), s(0, 'b', 10), s(1000, 'a', 2), s(2500, 'b', 20), s(4000, 'a', 3)];
const span = { first: T0, last: T0 + 4000, start: T0, step: 1000 };
const open = (records: CaptureRecord[] = capture) =>
  async function* () {
    yield records.slice(0, 2);
    yield records.slice(2);
  };

function run(o: Partial<PlayOptions>, records?: CaptureRecord[]) {
  const clock = virtualClock(0);
  const { sink, got } = recorder(clock);
  return play(open(records), sink, span, {
    speed: 1,
    maxSpeed: false,
    loop: false,
    timestamps: 'recorded',
    seedState: true,
    clock,
    ...o,
  }).then((stats) => ({ stats, got, clock }));
}

describe('replay timing (virtual clock)', () => {
  it('real time: each record at its recorded offset, same-time records together', async () => {
    const { stats, got } = await run({});
    expect(got.map((g) => [g.at, (g.r as SampleLine).tag, (g.r as SampleLine).v])).toEqual([
      [0, 'a', 1],
      [0, 'b', 10],
      [1000, 'a', 2],
      [2500, 'b', 20],
      [4000, 'a', 3],
    ]);
    expect(stats).toMatchObject({ records: 5, samples: 5, passes: 1, stopped: 'end' });
    expect(stats.lateness).toEqual([0, 0, 0, 0]);
  });

  it('--speed 10 compresses time; --max-speed does not wait at all', async () => {
    expect((await run({ speed: 10 })).got.map((g) => g.at)).toEqual([0, 0, 100, 250, 400]);
    const fast = await run({ maxSpeed: true });
    expect(fast.got.map((g) => g.at)).toEqual([0, 0, 0, 0, 0]);
    expect(fast.clock.sleeps).toEqual([]);
  });

  it('--from starts in the recorded state (last value per tag before it), --to stops', async () => {
    const { got } = await run({ from: T0 + 2000, to: T0 + 3000 });
    // seeds: a=2 (t=1000) and b=10 (t=0), given at the start with the start time; then b=20 at +500 ms
    expect(got.map((g) => [g.at, (g.r as SampleLine).tag, (g.r as SampleLine).v, (g.r as SampleLine).t])).toEqual([
      [0, 'a', 2, iso(T0 + 2000)],
      [0, 'b', 10, iso(T0 + 2000)],
      [500, 'b', 20, iso(T0 + 2500)],
    ]);
  });

  it('a publisher (no state) is not seeded', async () => {
    const { got } = await run({ from: T0 + 2000, seedState: false });
    expect(got.map((g) => (g.r as SampleLine).v)).toEqual([20, 3]);
  });

  it('--loop plays again, timestamps moved on by one capture length per pass', async () => {
    const { got, stats } = await run({ loop: true, durationMs: 9000 });
    expect(stats.passes).toBe(2);
    expect(stats.stopped).toBe('duration');
    expect(stats.wallMs).toBe(9000);
    const second = got.filter((g) => g.at >= 5000);
    expect(second.map((g) => [g.at, (g.r as SampleLine).t])).toEqual([
      [5000, iso(T0 + 5000)],
      [5000, iso(T0 + 5000)],
      [6000, iso(T0 + 6000)],
      [7500, iso(T0 + 7500)],
    ]);
  });

  it('--timestamps now: records carry the time they are replayed', async () => {
    const { got } = await run({ timestamps: 'now', speed: 2 });
    expect(got.map((g) => (g.r as SampleLine).t)).toEqual([iso(0), iso(0), iso(500), iso(1250), iso(2000)]);
  });

  it('a record earlier than the one before waits for nobody (time never runs backwards)', async () => {
    const { got } = await run({}, [s(0, 'a', 1), s(2000, 'a', 2), s(1000, 'b', 3), s(3000, 'a', 4)]);
    expect(got.map((g) => g.at)).toEqual([0, 2000, 2000, 3000]);
  });

  it('records older than the start of the recording (OPC UA initial values) come at once', async () => {
    const clock = virtualClock(0);
    const { sink, got } = recorder(clock);
    await play(
      open([s(-86_400_000, 'old', 1), s(0, 'a', 1), s(1000, 'a', 2)]),
      sink,
      { first: T0 - 86_400_000, last: T0 + 1000, start: T0, step: 1000 },
      { speed: 1, maxSpeed: false, loop: false, timestamps: 'recorded', seedState: true, clock },
    );
    expect(got.map((g) => g.at)).toEqual([0, 0, 1000]);
  });

  it('an abort stops the replay where it is', async () => {
    const ac = new AbortController();
    const clock = virtualClock(0);
    const got: number[] = [];
    const sink: ReplaySink = {
      endpoint: '',
      prepare: async () => undefined,
      apply: (rs) => void (got.push(rs.length), got.length === 2 && ac.abort()),
      close: async () => undefined,
    };
    const stats = await play(open(), sink, span, {
      speed: 1,
      maxSpeed: false,
      loop: true,
      timestamps: 'recorded',
      seedState: true,
      clock,
      signal: ac.signal,
    });
    expect(stats.stopped).toBe('signal');
    expect(got).toEqual([2, 1]);
  });

  it('percentiles', () => {
    expect(percentile([5, 1, 3, 2, 4], 50)).toBe(3);
    expect(
      percentile(
        Array.from({ length: 100 }, (_, i) => i + 1),
        99,
      ),
    ).toBe(99);
    expect(percentile([], 50)).toBeUndefined();
  });
});

describe('where each sink serves a tag', () => {
  it('OPC UA: recorded node ids at their recorded namespace indexes, placeholders between, the rest in the replay namespace', () => {
    const plan = planAddressSpace(
      [
        {
          name: 'power',
          address: 'ns=5;s=plant.power',
          namespaceUri: 'urn:iiot:sim:plant',
          opcuaType: 'Double',
          unit: 'kW',
          range: [0, 125],
          path: '/Objects/5:Plant/5:Incomer/5:ActivePower',
        },
        { name: 'count', address: 'ns=5;i=1234', namespaceUri: 'urn:iiot:sim:plant', dataType: 'uint32' },
        { name: 'gen', address: 'nsu=urn:other;s=x' },
        { name: 'meter.v', address: 'ir:0x0000', source: 'sdm630', dataType: 'float32', modbus: { unit: 1 } },
        { name: 'std', address: 'i=2258' },
        { name: 'topic', address: 'plant/a', source: 'mqtt', dataType: 'json' },
      ],
      new Map([['topic', { x: 1 }]]),
      '127.0.0.1',
    );
    expect(plan.applicationUri).toBe('urn:iiot:replay:127.0.0.1');
    expect(plan.namespaces.slice(0, 4)).toEqual([
      'urn:iiot:replay:unused:2',
      'urn:iiot:replay:unused:3',
      'urn:iiot:replay:unused:4',
      'urn:iiot:sim:plant',
    ]);
    expect(plan.namespaces).toContain('urn:other');
    expect(plan.namespaces).toContain(REPLAY_NAMESPACE);
    const v = new Map(plan.variables.map((x) => [x.key, x]));
    expect(v.get('power')).toMatchObject({
      uri: 'urn:iiot:sim:plant',
      ident: 's=plant.power',
      dataType: 'Double',
      browseName: 'ActivePower',
      unit: 'kW',
      range: [0, 125],
    });
    expect(v.get('power')!.folders.map((f) => f.name)).toEqual(['Plant', 'Incomer']);
    expect(v.get('count')).toMatchObject({ ident: 'i=1234', dataType: 'UInt32' });
    expect(v.get('gen')).toMatchObject({ uri: 'urn:other', ident: 's=x' });
    expect(v.get('meter.v')).toMatchObject({ uri: REPLAY_NAMESPACE, ident: 's=meter.v', dataType: 'Float' });
    expect(v.get('meter.v')!.folders.map((f) => f.name)).toEqual(['Replay', 'sdm630']);
    expect(v.get('std')).toMatchObject({ uri: REPLAY_NAMESPACE, ident: 's=std' });
    expect(v.get('topic')).toMatchObject({ dataType: 'String' });
    expect(plan.moved.map((m) => m.tag)).toEqual(['std']);
  });

  it("a tag recorded from namespace 1 makes its URI the server's own namespace", () => {
    const plan = planAddressSpace([{ name: 'a', address: 'ns=1;s=a', namespaceUri: 'urn:plc:app' }], new Map(), '127.0.0.1');
    expect(plan.applicationUri).toBe('urn:plc:app');
  });

  it('MQTT: the recorded topic, else the tag name as a topic under the prefix', () => {
    expect(topicForTag({ name: 'pump1.speed', mqtt: { topic: 'plant/pump1/speed' } }, 'pump1.speed', 'x')).toBe('plant/pump1/speed');
    expect(topicForTag({ name: 'p.temp', mqtt: { topic: 'p', path: '$.temp' } }, 'p.temp', 'replay')).toBe('replay/p/temp');
    expect(topicForTag(undefined, 'plant.power', '')).toBe('plant/power');
  });

  it('Modbus: the register a tag was recorded from', () => {
    expect(
      recordedRegister({
        name: 'm.v',
        modbus: { unit: 3, table: 'input', address: 342, type: 'float32', order: 'CDAB', length: 2, scale: 1, offset: 0 },
      }),
    ).toEqual({ unit: 3, table: 'input', address: 342, type: 'float32', order: 'CDAB', length: 2, scale: 1, offset: 0 });
    expect(recordedRegister({ name: 'x', address: 'ns=2;s=x' })).toBeUndefined();
  });
});
