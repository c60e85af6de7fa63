/**
 * Reading the recording back for judging: a capture written by hand (docs/capture-format.md), so
 * what the judge sees does not depend on the recorder that wrote it. Each signal gets its own
 * samples, its source's outages and, for a Sparkplug metric, its edge node's or device's deaths
 * (not the late will of an older session); a JSON payload's values are told apart by their path.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { judgeSignal } from '../../src/commission/judge-signals.js';
import { parsePlan } from '../../src/commission/plan.js';
import { observeSignals } from '../../src/commission/record-step.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(() => removeTempDirs());

const PLAN = `format: iiot.commission-plan/1
site: { name: Line 3 }
job: { id: SAT-1 }
devices:
  - { id: plc, url: "opc.tcp://127.0.0.1:4840" }
  - { id: broker, url: "mqtt://127.0.0.1:1883" }
signals:
  - { tag: setpoint, device: plc, address: "nsu=urn:acme:line3;s=pump1.speedSetpoint", maxInterval: 5s, constant: true }
  - { tag: pump vibration, device: broker, address: "spBv1.0/IIoT/Edge1/pump1:vibration", maxInterval: 5s }
  - { tag: power, device: broker, address: "spBv1.0/IIoT/Edge1:power", maxInterval: 5s }
  - { tag: bearing temperature, device: broker, address: plant/pump1/bearingTemp, maxInterval: 5s }
  - { tag: room humidity, device: broker, address: plant/room1/env, jsonPath: $.hum }
  - { tag: room climate, device: broker, address: plant/room1/env }
`;

const at = (s: number) => new Date(Date.UTC(2026, 11, 7, 8, 0, s)).toISOString();
const lines = [
  {
    type: 'header',
    format: 'iiot-capture',
    version: 1,
    created: at(0),
    tool: 'by hand',
    sources: [
      { id: 'plc', protocol: 'opcua' },
      { id: 'broker', protocol: 'mqtt' },
    ],
    tags: [
      {
        name: 'plc.pump1.speedSetpoint',
        source: 'plc',
        address: 'ns=3;s=pump1.speedSetpoint',
        namespaceUri: 'urn:acme:line3',
        unit: 'rpm',
      },
      { name: 'broker.IIoT.Edge1.pump1.vibration', source: 'broker', address: 'spBv1.0/IIoT/Edge1/pump1:vibration', unit: 'mm/s' },
      { name: 'broker.IIoT.Edge1.power', source: 'broker', address: 'spBv1.0/IIoT/Edge1:power', unit: 'kW' },
      { name: 'broker.plant.pump1.bearingTemp', source: 'broker', address: 'plant/pump1/bearingTemp', unit: '°C' },
      // one JSON payload, two values: {"temp": 21.5, "hum": 40}
      {
        name: 'broker.plant.room1.env.temp',
        source: 'broker',
        address: 'plant/room1/env',
        mqtt: { topic: 'plant/room1/env', path: '$.temp', decoder: 'auto' },
      },
      {
        name: 'broker.plant.room1.env.hum',
        source: 'broker',
        address: 'plant/room1/env',
        mqtt: { topic: 'plant/room1/env', path: '$.hum', decoder: 'auto' },
      },
    ],
    metadata: {},
  },
  // the setpoint last changed before the window: the subscription's first value carries that time
  { t: '2026-12-07T07:00:00.000Z', tag: 'plc.pump1.speedSetpoint', v: 1500 },
  { t: at(0), tag: 'broker.IIoT.Edge1.pump1.vibration', v: 2.1 },
  { t: at(0), tag: 'broker.IIoT.Edge1.power', v: 71.5 },
  ...Array.from({ length: 30 }, (_, i) => ({ t: at(i), tag: 'broker.plant.pump1.bearingTemp', v: 41 + i / 10 })),
  { t: at(1), tag: 'broker.plant.room1.env.temp', v: 21.5 },
  { t: at(1), tag: 'broker.plant.room1.env.hum', v: 40 },
  // a late will of the session before this one: ignored by the host, and by the judge
  {
    t: at(5),
    event: 'sparkplug-death',
    source: 'broker',
    node: 'IIoT/Edge1',
    bdSeq: 1,
    stale: true,
    message: 'NDEATH of an older session (bdSeq 1, current 2): ignored',
  },
  // pump1 (a device of the edge node) goes offline at 10 s and is born again at 22 s
  { t: at(10), event: 'sparkplug-death', source: 'broker', node: 'IIoT/Edge1', device: 'pump1', message: 'device offline' },
  { t: at(22), tag: 'broker.IIoT.Edge1.pump1.vibration', v: 2.2 },
];

describe('observing the signals of a capture', () => {
  it('gives each signal its samples, its outages and whether its source reports by exception', async () => {
    const dir = tempDir('commission-observe');
    const file = join(dir, 'capture.jsonl');
    writeFileSync(file, lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
    const plan = parsePlan({ file: 'sat.yaml', text: PLAN });
    const window = { from: Date.parse(at(0)), to: Date.parse(at(30)) };
    const obs = await observeSignals(file, plan, window, () => undefined);

    expect(obs.get('setpoint')).toMatchObject({ tag: 'plc.pump1.speedSetpoint', unit: 'rpm', byException: true, outages: [] });
    expect(obs.get('pump vibration')).toMatchObject({
      byException: true,
      outages: [{ kind: 'sparkplug-death', detail: 'IIoT/Edge1/pump1 DDEATH' }],
    });
    // the node's other metrics and the plain topic are not touched by the device's death
    expect(obs.get('power')).toMatchObject({ byException: true, outages: [] });
    expect(obs.get('bearing temperature')).toMatchObject({ byException: false, outages: [] });

    // a payload with several values: the plan names one by its JSON path, and never gets one of them by guess
    expect(obs.get('room humidity')).toMatchObject({ tag: 'broker.plant.room1.env.hum', samples: [{ v: 40 }] });
    expect(obs.get('room climate')).toMatchObject({
      samples: [],
      unavailable: 'plant/room1/env carries 2 values ($.temp, $.hum): name one with jsonPath',
    });

    const status = (tag: string, check: string) =>
      judgeSignal(plan.signals.find((s) => s.tag === tag)!, obs.get(tag)!).items.find((i) => i.id.endsWith(`/${check}`))?.status;
    expect(status('setpoint', 'updating')).toBe('pass');
    expect(status('power', 'updating')).toBe('pass');
    expect(status('bearing temperature', 'updating')).toBe('pass');
    expect(status('pump vibration', 'updating')).toBe('fail');
    expect(status('pump vibration', 'gaps')).toBe('fail');
  });
});
