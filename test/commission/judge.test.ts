/**
 * The acceptance plan and the judging of items, without devices: a plan's mistakes are one line
 * with file:line; each check of a signal fails for the fault it names and passes otherwise;
 * waivers turn a failure into "waived" with who and why.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { applyWaivers, verdict, type Item } from '../../src/commission/items.js';
import { judgeSecurity } from '../../src/commission/judge-checks.js';
import { judgeSignal, sameUnit, type SignalObservation } from '../../src/commission/judge-signals.js';
import { changed, learn, type Baseline } from '../../src/commission/loop-check.js';
import { loadPlan, parsePlan, signalMustPass } from '../../src/commission/plan.js';
import type { PlanSignal } from '../../src/commission/plan-schema.js';
import type { SampleValue } from '../../src/capture/types.js';
import type { IiotError } from '../../src/core/errors.js';
import type { InventoryDevice } from '../../src/discovery/inventory.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

afterAll(() => removeTempDirs());

const HEAD = `format: iiot.commission-plan/1
site: { name: Line 3 }
job: { id: SAT-1 }
devices:
  - id: plc
    url: opc.tcp://127.0.0.1:4840
  - id: meter
    url: "modbus://127.0.0.1:5020?unit=1"
    map: sdm630
`;

function planError(text: string): IiotError {
  try {
    parsePlan({ file: 'sat.yaml', text });
  } catch (err) {
    return err as IiotError;
  }
  throw new Error('the plan was accepted');
}

describe('the acceptance plan', () => {
  it('reads a plan: durations, percentages and device URLs become typed values', () => {
    const plan = parsePlan({
      file: 'sat.yaml',
      text: `${HEAD}defaults: { latency: { p99: 20ms, loss: 0.5% } }
signals:
  - { tag: vib, device: plc, address: "nsu=urn:x;s=v", unit: mm/s, range: [0, 25], maxInterval: 5s, noise: 10% }
waivers:
  - { item: "security/plc/*", reason: test bench, by: A. Owner }
`,
    });
    expect(plan.devices[1]!.url).toMatchObject({ protocol: 'modbus', port: 5020, unit: 1 });
    expect(plan.defaults!.latency).toEqual({ p99: 20, loss: 0.5 });
    expect(plan.signals[0]).toMatchObject({ maxInterval: 5000, noise: 10, range: [0, 25] });
    expect(plan.waivers[0]!.item).toBe('security/plc/*');
  });

  it('names the file, the line and the field of every mistake', () => {
    const dup = planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x }\n  - { tag: a, device: plc, address: y }\n`);
    expect(dup.message).toBe('sat.yaml:12: signals[1].tag: duplicate tag "a" (also signals[0])');
    expect(dup.exitCode).toBe(2);
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: nope, address: x }\n`).message).toMatch(
      /^sat\.yaml:11: signals\[0\]\.device: no device "nope" in the plan \(devices: plc, meter\)$/,
    );
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x, maxInterval: soon }\n`).message).toMatch(
      /^sat\.yaml:11: signals\[0\]\.maxInterval: cannot read "soon" as a duration/,
    );
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x, maxIntervall: 5s }\n`).message).toMatch(
      /^sat\.yaml:11: signals\[0\]\.maxIntervall: unknown field "maxIntervall"/,
    );
    expect(planError(HEAD.replace('opc.tcp://127.0.0.1:4840', 'opc.tcp://127.0.0.1:99999')).message).toMatch(
      /^sat\.yaml:6: devices\[0\]\.url: bad device URL/,
    );
    expect(
      planError(HEAD.replace('    map: sdm630\n', '') + 'signals:\n  - { tag: v, device: meter, address: voltage_l1 }\n').message,
    ).toMatch(/devices\[1\]\.url: device "meter" has Modbus signals but no map/);
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x, range: [5, 1] }\n`).message).toMatch(
      /the range \[5, 1\] is empty/,
    );
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x, jsonPath: $.v }\n`).message).toMatch(
      /^sat\.yaml:11: signals\[0\]\.jsonPath: jsonPath names a value in a JSON payload of an MQTT topic/,
    );
    expect(planError(`${HEAD}signals:\n  - { tag: a, device: plc, address: x, jsonPath: temp }\n`).message).toMatch(
      /signals\[0\]\.jsonPath: a JSON path starts with "\$\."/,
    );
    expect(planError(`${HEAD}waivers:\n  - { item: x, reason: "" , by: me }\n`).message).toMatch(
      /waivers\[0\]\.reason: a waiver needs a reason/,
    );
    // a waiver is a deviation the owner accepts knowingly: one item, or one device's or signal's items of one group
    for (const broad of ['"*"', '"security/*"', '"signal/PT-1*"', '"security/*/mqtt-anonymous"', '"everything/plc/*"']) {
      expect(planError(`${HEAD}waivers:\n  - { item: ${broad}, reason: r, by: me }\n`).message, broad).toMatch(
        /^sat\.yaml:11: waivers\[0\]\.item: ".*" waives too much: name one item/,
      );
    }
  });

  it("names a Modbus signal its device's map does not have, and a map that is neither built in nor a file", () => {
    const dir = tempDir('commission-plan');
    const file = join(dir, 'sat.yaml');
    const fails = (text: string) => {
      writeFileSync(file, text);
      try {
        loadPlan(file);
      } catch (err) {
        return (err as IiotError).message;
      }
      throw new Error('the plan was accepted');
    };
    expect(fails(`${HEAD}signals:\n  - { tag: v, device: meter, address: voltage_L1 }\n`)).toBe(
      `${file}:11: signals[0].address: the register map sdm630 of device "meter" has no entry "voltage_L1" (did you mean "voltage_l1"?)`,
    );
    expect(fails(`${HEAD}signals:\n  - { tag: v, device: meter, address: "voltage_*" }\n`)).toMatch(/has no entry "voltage_\*"$/);
    expect(fails(HEAD.replace('map: sdm630', 'map: sdm360'))).toMatch(
      /^.*sat\.yaml:9: devices\[1\]\.map: no built-in register map and no map file "sdm360" \(built-in: .*sdm630/,
    );
    writeFileSync(file, `${HEAD}signals:\n  - { tag: v, device: meter, address: voltage_l1 }\n`);
    expect(loadPlan(file).plan.signals[0]!.address).toBe('voltage_l1');
  });
});

const T0 = Date.UTC(2026, 11, 7, 8);
const signal = (over: Partial<PlanSignal> = {}): PlanSignal =>
  ({ tag: 'pump1.vibration', device: 'plc', address: 'ns=5;s=pump1.vibration', ...over }) as PlanSignal;
/** n samples one second apart from T0, values from f(i) */
function observe(n: number, f: (i: number) => unknown, over: Partial<SignalObservation> = {}): SignalObservation {
  return {
    tag: 'plc.pump1.vibration',
    unit: 'mm/s',
    samples: Array.from({ length: n }, (_, i) => ({ t: T0 + i * 1000, v: f(i) })),
    outages: [],
    window: { from: T0, to: T0 + n * 1000 },
    ...over,
  };
}
const byCheck = (items: Item[]) => Object.fromEntries(items.map((i) => [i.id.split('/').pop(), i.status]));

describe('judging a signal over the window', () => {
  const healthy = (i: number) => 2.2 + 0.1 * Math.sin(i);

  it('passes a live signal in range, in its unit, updating, good, without gaps', () => {
    const { items, summary } = judgeSignal(signal({ unit: 'mm/s', range: [0, 25], maxInterval: 2000 }), observe(30, healthy));
    expect(byCheck(items)).toEqual({
      present: 'pass',
      updating: 'pass',
      range: 'pass',
      unit: 'pass',
      quality: 'pass',
      gaps: 'pass',
      'not-stuck': 'pass',
      noise: 'pass',
    });
    expect(summary).toMatchObject({ samples: 30, bad: 0, distinct: 30 });
    expect(summary.min).toBeCloseTo(2.2 - 0.1 * Math.sin(Math.PI / 2), 1);
  });

  it('fails each check for its own fault', () => {
    const s = signal({ unit: 'mm/s', range: [0, 25], maxInterval: 2000, expect: { value: 2.2, tolerance: 0.05 } });
    expect(
      byCheck(
        judgeSignal(
          s,
          observe(30, () => 7.1),
        ).items,
      ),
    ).toMatchObject({ 'not-stuck': 'fail', range: 'pass', expected: 'fail' });
    expect(
      byCheck(
        judgeSignal(
          s,
          observe(30, (i) => (i === 10 ? 31 : healthy(i))),
        ).items,
      ).range,
    ).toBe('fail');
    expect(byCheck(judgeSignal(s, observe(30, healthy, { unit: 'in/s' })).items).unit).toBe('fail');
    expect(byCheck(judgeSignal(s, observe(30, healthy, { unit: undefined })).items).unit).toBe('fail');
    expect(
      byCheck(
        judgeSignal(
          s,
          observe(30, (i) => (i % 2 ? 1 : 24)),
        ).items,
      ).noise,
    ).toBe('fail');
    const gap = observe(30, healthy, { outages: [{ t: T0 + 5000, kind: 'disconnect', detail: 'ECONNRESET' }] });
    expect(judgeSignal(s, gap).items.find((i) => i.id.endsWith('/gaps'))).toMatchObject({
      status: 'fail',
      observed: expect.stringContaining('ECONNRESET'),
    });
    const slow = observe(30, healthy);
    slow.samples = slow.samples.filter((_, i) => i < 10 || i > 20);
    expect(judgeSignal(s, slow).items.find((i) => i.id.endsWith('/updating'))).toMatchObject({
      status: 'fail',
      observed: 'longest silence 12.0 s',
    });
    const bad = observe(30, healthy);
    bad.samples = bad.samples.map((x, i) => (i === 3 ? { ...x, q: 'BadSensorFailure' } : x));
    expect(judgeSignal(s, bad).items.find((i) => i.id.endsWith('/quality'))).toMatchObject({
      status: 'fail',
      observed: '1 of 30 not good (BadSensorFailure)',
    });
  });

  it('says why a signal is absent, and judges nothing else of it', () => {
    const { items } = judgeSignal(signal({ range: [0, 25] }), {
      samples: [],
      outages: [],
      window: { from: T0, to: T0 + 5000 },
      unavailable: 'device plc was not found at opc.tcp://127.0.0.1:4840',
    });
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({
      id: 'signal/pump1.vibration/present',
      status: 'fail',
      mustPass: true,
      observed: 'device plc was not found at opc.tcp://127.0.0.1:4840',
    });
    expect(judgeSignal(signal({ optional: true }), { samples: [], outages: [], window: { from: T0, to: T0 } }).items[0]!.mustPass).toBe(
      false,
    );
  });

  it('does not call a constant signal stuck when the plan says it is constant, nor judge a short window', () => {
    expect(
      byCheck(
        judgeSignal(
          signal({ constant: true }),
          observe(30, () => 1500),
        ).items,
      )['not-stuck'],
    ).toBeUndefined();
    expect(
      byCheck(
        judgeSignal(
          signal(),
          observe(10, () => 1500),
        ).items,
      )['not-stuck'],
    ).toBeUndefined();
    expect(
      byCheck(
        judgeSignal(
          signal(),
          observe(25, () => 1500),
        ).items,
      )['not-stuck'],
    ).toBe('fail');
  });

  it('a signal reported by exception (OPC UA, Sparkplug) stays current while its connection holds, however long no change comes', () => {
    const steady = {
      tag: 'plc.setpoint',
      unit: 'rpm',
      samples: [{ t: T0 - 3_600_000, v: 1500 }],
      outages: [],
      window: { from: T0, to: T0 + 60_000 },
    };
    const s = signal({ maxInterval: 5000, constant: true });
    // polled or published, one sample in a minute is a silence
    expect(judgeSignal(s, steady).items.find((i) => i.id.endsWith('/updating'))).toMatchObject({
      status: 'fail',
      observed: 'longest silence 1m',
    });
    // by exception, the subscription's first value (changed an hour ago) is current until the connection drops
    const held = judgeSignal(s, { ...steady, byException: true });
    expect(held.items.find((i) => i.id.endsWith('/updating'))).toMatchObject({
      status: 'pass',
      observed: 'reported on change; longest time without a change 1m, the connection held throughout, so the value stayed current',
    });
    expect(held.summary).toMatchObject({ longestSilenceMs: 60_000, longestUnconfirmedMs: 0, byException: true });
    // a disconnect 20 s in: unknown until the value is reported again after the reconnection, 12 s later
    const cut = judgeSignal(s, {
      ...steady,
      byException: true,
      samples: [...steady.samples, { t: T0 + 32_000, v: 1500 }],
      outages: [{ t: T0 + 20_000, kind: 'disconnect' }],
    });
    expect(cut.items.find((i) => i.id.endsWith('/updating'))).toMatchObject({
      status: 'fail',
      observed: expect.stringMatching(/longest time without a current value 12\.0 s$/),
    });
    expect(cut.items.find((i) => i.id.endsWith('/gaps'))!.status).toBe('fail');
    // and never reported again: unknown to the end of the window
    expect(
      judgeSignal(s, { ...steady, byException: true, outages: [{ t: T0 + 50_000, kind: 'sparkplug-death' }] }).summary.longestUnconfirmedMs,
    ).toBe(10_000);
  });

  it('a signal of an optional device (a spare, a later phase) does not block the acceptance when the device is absent', () => {
    const plan = parsePlan({
      file: 'sat.yaml',
      text: `${HEAD.replace('    map: sdm630\n', '    map: sdm630\n    optional: true\n')}signals:\n  - { tag: v, device: meter, address: voltage_l1 }\n  - { tag: p, device: plc, address: x }\n  - { tag: q, device: plc, address: y, optional: true }\n`,
    });
    expect(plan.signals.map((s) => signalMustPass(plan, s))).toEqual([false, true, false]);
    const absent = { samples: [], outages: [], window: { from: T0, to: T0 + 5000 }, unavailable: 'device meter was not found' };
    expect(judgeSignal(plan.signals[0]!, absent, signalMustPass(plan, plan.signals[0]!)).items[0]).toMatchObject({
      status: 'fail',
      mustPass: false,
    });
  });

  it('compares units as units', () => {
    expect(sameUnit('degC', '°C')).toBe(true);
    expect(sameUnit('KW', 'kW')).toBe(true);
    expect(sameUnit('kW', 'W')).toBe(false);
    expect(sameUnit('m³/h', 'm3/h')).toBe(true);
  });
});

describe('waivers and the verdict', () => {
  const items: Item[] = [
    { id: 'security/broker/mqtt-anonymous', group: 'security', subject: 'broker', title: 'anonymous', status: 'fail', mustPass: true },
    { id: 'security/plc/opcua-mode-none', group: 'security', subject: 'plc', title: 'mode none', status: 'fail', mustPass: true },
    { id: 'signal/spare/present', group: 'signal', subject: 'spare', title: 'spare', status: 'fail', mustPass: false },
    { id: 'device/plc/found', group: 'device', subject: 'plc', title: 'found', status: 'pass', mustPass: true },
  ];

  it('a failed must-pass item rejects the acceptance; an optional one does not', () => {
    expect(verdict(items)).toEqual({
      accepted: false,
      counts: { pass: 1, fail: 3, waived: 0, total: 4 },
      blocking: ['security/broker/mqtt-anonymous', 'security/plc/opcua-mode-none'],
    });
  });

  it('waives failed items by id or prefix, keeps who and why, and reports waivers that matched nothing', () => {
    const { items: after, unused } = applyWaivers(items, [
      { item: 'security/broker/mqtt-anonymous', reason: 'isolated test network', by: 'J. Owner', date: '2026-12-07' },
      { item: 'security/plc/*', reason: 'replaced in phase 2', by: 'J. Owner' },
      { item: 'security/gateway/*', reason: 'typo', by: 'me' },
    ]);
    expect(after.map((i) => i.status)).toEqual(['waived', 'waived', 'fail', 'pass']);
    expect(after[0]!.waiver).toEqual({
      item: 'security/broker/mqtt-anonymous',
      reason: 'isolated test network',
      by: 'J. Owner',
      date: '2026-12-07',
    });
    expect(unused.map((w) => w.item)).toEqual(['security/gateway/*']);
    expect(verdict(after)).toMatchObject({ accepted: true, counts: { pass: 1, fail: 1, waived: 2, total: 4 } });
  });
});

describe("the loop check: what counts as the engineer's change", () => {
  const watched = (values: SampleValue[]) => {
    const b: Baseline = { values: new Set() };
    for (const v of values) learn(b, v);
    return b;
  };

  it('a noisy transmitter does not confirm its own loop check; a step out of its band does', () => {
    // 4-20 mA pressure transmitter, 0-16 bar: noise of ±0.1 bar while iiot watched
    const noisy = watched([4.02, 3.95, 4.08, 3.91, 4.05]);
    for (const v of [4.1, 3.85, 4.2, 3.8]) expect(changed(noisy, v, [0, 16]), String(v)).toBe(false);
    // forced to 8 bar (12 mA) at the transmitter
    expect(changed(noisy, 8, [0, 16])).toBe(true);
    // without a range, the band's own width is the margin: noise twice as large is still noise
    expect(changed(noisy, 4.2, undefined)).toBe(false);
    expect(changed(noisy, 4.5, undefined)).toBe(true);
  });

  it('a steady value: any change without a range, more than 2% of the range with one; states by value', () => {
    expect(changed(watched([2950]), 2951, undefined)).toBe(true);
    expect(changed(watched([2950]), 2960, [0, 3245])).toBe(false);
    expect(changed(watched([2950]), 1200, [0, 3245])).toBe(true);
    expect(changed(watched([false]), true, undefined)).toBe(true);
    expect(changed(watched(['AUTO', 'MAN']), 'MAN', undefined)).toBe(false);
    expect(changed(watched(['AUTO']), 'MAN', undefined)).toBe(true);
  });
});

describe('security expectations', () => {
  const plc = parsePlan({ file: 'sat.yaml', text: HEAD }).devices[0]!;
  const server = (endpoints: unknown[]) =>
    ({ protocol: 'opcua', url: 'opc.tcp://127.0.0.1:4840', name: 'plc', identity: {}, endpoints }) as unknown as InventoryDevice;
  const want = { minMode: 'SignAndEncrypt', minPolicy: 'Basic256Sha256', anonymous: false } as const;
  const byId = (items: Item[]) => Object.fromEntries(items.map((i) => [i.id, [i.status, i.observed]]));

  it('judges every endpoint the server offers', () => {
    const items = judgeSecurity(
      plc,
      want,
      server([
        { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', userTokens: [{ type: 'UserName' }] },
        { securityMode: 'None', securityPolicy: 'None', userTokens: [{ type: 'Anonymous' }] },
      ]),
      undefined,
      T0,
    );
    expect(byId(items)).toEqual({
      'security/plc/min-mode': ['fail', 'offers None'],
      'security/plc/min-policy': ['fail', 'offers None'],
      'security/plc/no-anonymous': ['fail', '1 of 2 endpoints accept Anonymous'],
    });
  });

  it('a server that listed no endpoints fails every expectation: nothing seen is nothing proven', () => {
    const items = judgeSecurity(plc, want, server([]), undefined, T0);
    expect(items.map((i) => i.status)).toEqual(['fail', 'fail', 'fail']);
    expect(new Set(items.map((i) => i.observed))).toEqual(new Set(['the server listed no endpoints (GetEndpoints): nothing to judge']));
  });
});
