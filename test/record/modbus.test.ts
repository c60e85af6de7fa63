import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventLine, SampleLine } from '../../src/capture/types.js';
import type { IiotError } from '../../src/core/errors.js';
import { parseTarget, type ModbusRtuTarget, type ModbusTcpTarget } from '../../src/core/targets.js';
import { freePort } from '../../src/protocols/listen.js';
import { loadRegisterMap } from '../../src/protocols/modbus/register-map.js';
import type { RecordOptions } from '../../src/record/types.js';
import { record } from '../../src/record/run.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { ptyPair } from '../helpers/peer-tools.js';
import { readCapture, removeTempDirs, tempDir, testIO, waitFor } from '../helpers/record-io.js';

// Model time frozen at Monday 10:00 in Madrid: every read sees the same instant.
const FROZEN = { start: Date.parse('2026-01-05T09:00:00.000Z'), timeScale: 1e-9 };
const f32 = (x: number) => Math.fround(x);

let plant: RunningPlant;
let url: string;
const dir = tempDir('rec-modbus');

beforeAll(async () => {
  plant = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port: 0 } });
  url = plant.endpoints.modbus!;
});
afterAll(async () => {
  await plant?.stop();
  removeTempDirs();
});

function options(
  output: string,
  sources: Array<{
    target: ModbusTcpTarget | ModbusRtuTarget;
    map: string;
    id?: string;
    intervalMs?: number;
    maxGap?: number;
    registers?: string[];
  }>,
  extra: Partial<RecordOptions> = {},
): RecordOptions {
  return {
    output,
    force: false,
    flushIntervalMs: 50,
    metadata: {},
    reconnectMaxMs: 500,
    live: false,
    sources: sources.map((s) => ({
      protocol: 'modbus',
      options: {
        id: s.id ?? s.map.replace(/^.*\//, '').replace(/\.yaml$/, ''),
        target: s.target,
        map: s.map,
        registers: s.registers ?? [],
        intervalMs: s.intervalMs ?? 100,
        timeoutMs: 1000,
        maxGap: s.maxGap ?? 10,
        maxRegisters: 125,
      },
    })),
    ...extra,
  };
}

const tcp = (unit: number) => parseTarget(`${url}?unit=${unit}`) as ModbusTcpTarget;

describe('recording Modbus TCP', () => {
  it('reads the SDM630 and the PLC through the planner: every tag, the right values, few requests per scan', async () => {
    const sdm = loadRegisterMap('sdm630');
    const out = join(dir, 'two-units.jsonl');
    const io = testIO();
    const r = await record(
      io.io,
      options(
        out,
        [
          { target: tcp(1), map: 'sdm630' },
          { target: tcp(3), map: 'fixtures/maps/plant-plc.yaml', id: 'plc' },
        ],
        { count: (sdm.entries.length + 40) * 3 },
      ),
    );
    expect(r.stopped).toBe('count');
    const back = await readCapture(out);
    expect(back.issues).toEqual([]);
    const meter = r.sources.find((s) => s.id === 'sdm630')!;
    expect(meter.stats.requestsPerScan).toBeLessThan(sdm.entries.length / 5);
    expect(meter.stats.exceptions).toBe(0);
    const last = (tag: string) => back.samples.filter((s) => s.tag === tag).at(-1)?.v;
    expect(last('sdm630.frequency')).toBe(f32(plant.model.value('plant.frequency', FROZEN.start) as number));
    expect(last('sdm630.power_total')).toBe(f32((plant.model.value('plant.power', FROZEN.start) as number) * 1000));
    expect(last('sdm630.import_kwh')).toBe(f32(plant.model.value('plant.energy', FROZEN.start) as number));
    // header: each tag with its register, so a replay can serve the same map
    const kwh = back.header.tags.find((t) => t.name === 'sdm630.import_kwh')!;
    expect(kwh).toMatchObject({
      address: 'ir:0x0048',
      unit: 'kWh',
      dataType: 'float32',
      modbus: { unit: 1, table: 'input', address: 0x48, type: 'float32', order: 'ABCD', length: 2 },
    });
    // the PLC map has every type and order; strings and bools come through as such
    expect(last('plc.line_name')).toBe('LINE-3');
    expect(typeof last('plc.status.pump1_running')).toBe('boolean');
    expect(back.header.sources.map((s) => s.id)).toEqual(['sdm630', 'plc']);
    expect(back.events.filter((e) => e.event === 'start')).toHaveLength(2);
  });

  it('an exception is blamed on the one entry that draws it, not on the request it was merged into', async () => {
    const map = join(dir, 'bad.yaml');
    writeFileSync(
      map,
      'name: bad\ndefaults: { table: input, type: float32 }\nregisters:\n  - { name: total_kwh_l2, address: 0x0168 }\n  - { name: total_kwh_l3, address: 0x016A }\n  - { name: beyond, address: 0x016E }\n',
    );
    const out = join(dir, 'exception.jsonl');
    const io = testIO();
    const r = await record(io.io, options(out, [{ target: tcp(1), map }], { count: 6 }));
    const back = await readCapture(out);
    expect(new Set(back.samples.map((s) => s.tag))).toEqual(new Set(['bad.total_kwh_l2', 'bad.total_kwh_l3']));
    expect(r.stats.tags.get('bad.beyond')).toMatchObject({ count: 0 });
    expect(r.stats.tags.get('bad.beyond')!.errors).toBeGreaterThan(0);
    expect(r.stats.tags.get('bad.total_kwh_l2')!.errors).toBe(0);
    expect(r.sources[0]!.stats.splits).toBe(1);
    const err = back.events.find((e) => e.event === 'tag-error') as EventLine;
    expect(err).toMatchObject({ tagName: 'bad.beyond', message: 'ir:0x016E: exception 2 (IllegalDataAddress)' });
    expect(io.stderr()).toMatch(/bad\.beyond \(ir:0x016E, unit 1\): exception 2 \(IllegalDataAddress\)/);
  });

  it('a wrong byte order is recorded as read, and reported once with the order that makes sense', async () => {
    const map = join(dir, 'swapped.yaml');
    writeFileSync(
      map,
      'name: swapped\ndefaults: { table: input, type: float32, order: CDAB }\nregisters:\n  - { name: voltage_l1, address: 0 }\n',
    );
    const out = join(dir, 'swapped.jsonl');
    const io = testIO();
    await record(io.io, options(out, [{ target: tcp(1), map }], { count: 3 }));
    const warnings = io
      .stderr()
      .split('\n')
      .filter((l) => l.includes('swapped.voltage_l1'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/likely the wrong byte order: ABCD gives 22\d\.\d+/);
    expect((await readCapture(out)).samples).toHaveLength(3);
  });

  it('rotating files for long recordings: every part a complete capture, nothing lost between parts', async () => {
    const out = join(dir, 'rotate.jsonl');
    const r = await record(
      testIO().io,
      options(out, [{ target: tcp(1), map: 'sdm630', registers: ['frequency', 'power_total'], intervalMs: 10 }], {
        count: 300,
        rotateBytes: 8192,
      }),
    );
    expect(r.files.length).toBeGreaterThan(2);
    const back = await readCapture(...r.files);
    expect(back.issues).toEqual([]);
    expect(back.samples).toHaveLength(300);
    for (const [i, f] of r.files.entries()) {
      const part = await readCapture(f);
      expect(part.header.part).toEqual({ index: i + 1, first: 'rotate.jsonl' });
      expect(part.header.tags.map((t) => t.name)).toEqual(['sdm630.power_total', 'sdm630.frequency']);
    }
  });

  it('a device that is not there: exit 3 before any file exists', async () => {
    const port = await freePort('127.0.0.1');
    const out = join(dir, 'nothing.jsonl');
    const err = (await record(
      testIO().io,
      options(out, [{ target: parseTarget(`modbus://127.0.0.1:${port}`) as ModbusTcpTarget, map: 'sdm630' }]),
    ).catch((e: unknown) => e)) as IiotError;
    expect(err.exitCode).toBe(3);
    expect(err.message).toBe(`nothing is listening at 127.0.0.1:${port} (connection refused)`);
    expect(() => readFileSync(out)).toThrow();
  });

  it('the server stopped and started again mid-recording: a gap, a reconnect, and samples on both sides', async () => {
    const port = await freePort('127.0.0.1');
    let local = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port } });
    const out = join(dir, 'restart.jsonl');
    const ac = new AbortController();
    const lines = () => {
      let text = '';
      try {
        text = readFileSync(out, 'utf8');
      } catch {
        return []; // not created yet
      }
      return text
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    };
    const done = record(
      testIO().io,
      options(out, [
        {
          target: parseTarget(`modbus://127.0.0.1:${port}?unit=1`) as ModbusTcpTarget,
          map: 'sdm630',
          registers: ['frequency'],
          intervalMs: 50,
        },
      ]),
      { signal: ac.signal, handleSignals: false },
    );
    try {
      await waitFor(() => lines().filter((l) => l.tag).length >= 3);
      await local.stop();
      await waitFor(() => lines().some((l) => l.event === 'disconnect'));
      const before = lines().filter((l) => l.tag).length;
      local = await startPlant({ ...FROZEN, opcua: false, mqtt: false, modbus: { port } });
      await waitFor(() => lines().some((l) => l.event === 'reconnect') && lines().filter((l) => l.tag).length >= before + 3);
    } finally {
      ac.abort();
      await done;
      await local.stop();
    }
    const back = await readCapture(out);
    const kinds = back.events.map((e) => e.event);
    expect(kinds.indexOf('disconnect')).toBeGreaterThan(-1);
    expect(kinds.indexOf('gap')).toBeGreaterThan(kinds.indexOf('disconnect'));
    expect(kinds.indexOf('reconnect')).toBeGreaterThan(kinds.indexOf('gap'));
    const gap = back.events.find((e) => e.event === 'gap')!;
    expect(Date.parse(gap.from!)).toBeLessThan(Date.parse(gap.to!));
    // nothing was recorded inside the gap, and something on each side of it
    const times = back.samples.map((s) => Date.parse(s.t));
    expect(times.some((t) => t <= Date.parse(gap.from!))).toBe(true);
    expect(times.some((t) => t >= Date.parse(gap.to!))).toBe(true);
    expect(times.filter((t) => t > Date.parse(gap.from!) && t < Date.parse(gap.to!))).toEqual([]);
    expect(kinds.at(-1)).toBe('stop');
  });
});

describe('recording Modbus RTU over a serial line (socat pseudo-terminals)', () => {
  it("reads the plant's SDM630 on the line at its unit id, parity and speed", async () => {
    const pty = await ptyPair(tempDir('rtu'));
    const rtuPlant = await startPlant({
      ...FROZEN,
      opcua: false,
      mqtt: false,
      modbus: false,
      rtu: { path: pty.b, baudRate: 19200, parity: 'even', unitId: 5 },
    });
    try {
      const out = join(dir, 'rtu.jsonl');
      const target = parseTarget(`modbus-rtu://${pty.a}?baud=19200&parity=even&unit=5`) as ModbusRtuTarget;
      const r = await record(
        testIO().io,
        options(out, [{ target, map: 'sdm630', registers: ['voltage_l1', 'voltage_l2', 'voltage_l3', 'frequency', 'import_kwh'] }], {
          count: 10,
        }),
      );
      expect(r.stopped).toBe('count');
      const back = await readCapture(out);
      expect(back.header.sources[0]).toMatchObject({
        protocol: 'modbus-rtu',
        endpoint: `modbus-rtu://${pty.a}?baud=19200&parity=even&unit=5`,
      });
      const freq = back.samples.find((s: SampleLine) => s.tag === 'sdm630.frequency');
      expect(freq?.v).toBe(f32(rtuPlant.model.value('plant.frequency', FROZEN.start) as number));
      expect(new Set(back.samples.map((s) => s.tag)).size).toBe(5);
    } finally {
      await rtuPlant.stop();
      await pty.stop();
    }
  });

  it('a serial port that does not exist: one line, exit 2', async () => {
    const target = parseTarget('modbus-rtu:///dev/ttyIIOT-NONE?baud=9600&unit=1') as ModbusRtuTarget;
    const err = (await record(testIO().io, options(join(dir, 'none.jsonl'), [{ target, map: 'sdm630' }])).catch(
      (e: unknown) => e,
    )) as IiotError;
    expect(err.exitCode).toBe(2);
    expect(err.message).toBe('serial port /dev/ttyIIOT-NONE does not exist');
    expect(err.hint).toMatch(/USB-RS485/);
  });
});
