/**
 * `iiot analyze fleet train|predict` as a user runs it (the built CLI), and the model file format
 * of docs/fleet-model.md: hand-written model files (not written by iiot) must predict the numbers
 * the document says; files a user might hand us by mistake are one clear error each.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { regimeKey } from '../../src/analysis/fleet-rul.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const FIXTURE = 'fixtures/analysis/cmapss-fd001-train-units1-4.txt';
let dir: string;
beforeAll(() => {
  dir = tempDir('fleet');
});
afterAll(removeTempDirs);

/** C-MAPSS rows of one unit with one sensor: unit, cycle, 3 settings, s1. */
function cmapssRows(unit: number, cycles: number, sensor: (c: number) => number, settings = [0, 0, 100]): string {
  return Array.from({ length: cycles }, (_, i) => `${unit} ${i + 1} ${settings.join(' ')} ${sensor(i + 1)}`).join('\n');
}

/** A version-1 model file written by hand from docs/fleet-model.md: one sensor s1, one regime, 4 features + cycle. */
function handModel(model: object): object {
  return {
    format: 'iiot-fleet-model',
    version: 1,
    created: '2026-01-01T00:00:00.000Z',
    tool: 'written by hand',
    input: {
      format: 'cmapss',
      settings: ['setting1', 'setting2', 'setting3'],
      sensors: ['s1'],
      unit: 'cycle',
      files: ['x.txt'],
      units: 1,
      rows: 1,
    },
    normalisation: { settingDecimals: 0, regimes: [{ key: '0|0|100', settings: [0, 0, 100], n: 1, mean: [0], sd: [1] }], keep: [0] },
    features: { names: ['s1.ewma0.3', 's1.ewma0.05', 's1.mean10', 's1.slope20', 'cycle'] },
    target: { cap: 125 },
    model,
    hyperParameters: {
      selection: 'by hand',
      folds: 2,
      seed: 1,
      minHistory: 1,
      stride: 1,
      cuts: 0,
      candidates: [{ rmse: 0, mae: 0, n: 0 }],
      chosen: { rmse: 0, mae: 0, n: 0 },
    },
    intervals: {
      method: 'by hand',
      levels: [0.8],
      bins: [
        { upTo: 50, n: 1, q: { '0.8': [-5, 7] } },
        { upTo: 1e308, n: 1, q: { '0.8': [-10, 30] } },
      ],
    },
  };
}

/** A version-2 model file written by hand from docs/fleet-model.md: one sensor s1, the features the file names. */
function handModelV2(model: object): object {
  const v1 = handModel(model) as Record<string, unknown>;
  return {
    ...v1,
    version: 2,
    // per sensor: the ewma with alpha 0.5, the slope over the last 3 rows, the departure from the mean of the first 2 rows; then the row count
    features: { names: ['s1.ewma0.5', 's1.slope3', 's1.delta2', 'cycle'], ewma: [0.5], mean: [], slope: [3], baseline: 2 },
  };
}

describe('the operating-condition key', () => {
  it('rounds -0.0007 and 0.0004 to the same condition (toFixed gives "-0" for the first)', () => {
    expect((-0.0007).toFixed(0)).toBe('-0'); // the trap
    expect(regimeKey([-0.0007, 0.0004, 100], 0)).toBe('0|0|100');
    expect(regimeKey([0.0003, -0.0002, 100], 0)).toBe(regimeKey([-0.0007, 0.0004, 100], 0));
    expect(regimeKey([-0.04, 35.02], 1)).toBe('0.0|35.0');
  });
});

describe('iiot analyze fleet predict with hand-written model files', () => {
  it('ridge: 100 - cycles seen, clipped at the cap, with the interval of its bin', async () => {
    const model = join(dir, 'ridge.json');
    writeFileSync(model, JSON.stringify(handModel({ kind: 'ridge', coefficients: [100, 0, 0, 0, 0, -1] })));
    const hist = join(dir, 'units.txt');
    writeFileSync(hist, `${cmapssRows(1, 30, () => 5)}\n${cmapssRows(2, 70, (c) => c)}\n${cmapssRows(3, 200, () => 1)}\n`);
    const r = await runCli(['analyze', 'fleet', 'predict', model, hist, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.fleet.predict/1');
    expect(j.predictions.map((p: { unit: string; rul: number }) => [p.unit, p.rul])).toEqual([
      ['1', 70],
      ['2', 30],
      ['3', 0],
    ]);
    // unit 1: 70 is above 50, the second bin: 70 - 10 .. 70 + 30; unit 2: 30 - 5 .. 30 + 7; unit 3: floored at 0
    expect(j.predictions.map((p: { lo: number; hi: number }) => [p.lo, p.hi])).toEqual([
      [60, 100],
      [25, 37],
      [0, 7],
    ]);
    expect(j.predictions[0].seen).toBe(30);
  });

  it('gbdt: a one-split tree on the cycle count', async () => {
    const model = join(dir, 'tree.json');
    const tree = { f: [4, -1, -1], t: [50, null, null], l: [1, -1, -1], r: [2, -1, -1], v: [0, 80, 20] };
    writeFileSync(model, JSON.stringify(handModel({ kind: 'gbdt', base: 10, learningRate: 0.5, features: 5, trees: [tree] })));
    const hist = join(dir, 'two.txt');
    writeFileSync(hist, `${cmapssRows(7, 50, () => 0)}\n${cmapssRows(8, 51, () => 0)}\n`);
    const r = await runCli(['analyze', 'fleet', 'predict', model, hist, '--json']);
    expect(r.code).toBe(0);
    // 10 + 0.5 x 80 = 50 at 50 cycles (50 <= 50 goes left), 10 + 0.5 x 20 = 20 at 51
    expect(JSON.parse(r.stdout).predictions.map((p: { rul: number }) => p.rul)).toEqual([50, 20]);
  });

  it('version 2: the features the file describes, and gbdt members averaged', async () => {
    // s1 = 1, 3, 2, 6. After the 4th row: ewma0.5 = 1 -> 2 -> 2 -> 4; slope of 3, 2, 6 = (6 - 3) / 2 = 1.5;
    // the first two rows' mean is 2, so delta2 = 4 - 2 = 2; 4 rows seen. After the 2nd row: ewma 2, delta 2 - 2 = 0.
    const s1 = [1, 3, 2, 6];
    const hist = join(dir, 'v2.txt');
    writeFileSync(hist, `${cmapssRows(1, 4, (c) => s1[c - 1]!)}\n${cmapssRows(2, 2, (c) => s1[c - 1]!)}\n`);
    const ridge = join(dir, 'ridge-v2.json');
    writeFileSync(ridge, JSON.stringify(handModelV2({ kind: 'ridge', coefficients: [10, 1, 2, 4, 0] })));
    const r = await runCli(['analyze', 'fleet', 'predict', ridge, hist, '--json']);
    expect(r.code, r.stderr).toBe(0);
    // 10 + 4 + 2 x 1.5 + 4 x 2 = 25; unit 2: 10 + 2 + 2 x 2 (the slope of 1, 3 over its 2 rows) + 4 x 0 = 16
    expect(JSON.parse(r.stdout).predictions.map((p: { rul: number }) => p.rul)).toEqual([25, 16]);

    const leaf = { f: [-1], t: [null], l: [-1], r: [-1], v: [0] };
    const onDelta = { f: [2, -1, -1], t: [1, null, null], l: [1, -1, -1], r: [2, -1, -1], v: [0, 0, 10] };
    const gbdt = join(dir, 'gbdt-v2.json');
    writeFileSync(
      gbdt,
      JSON.stringify(
        handModelV2({
          kind: 'gbdt',
          features: 4,
          members: [
            { base: 10, learningRate: 1, trees: [leaf] },
            { base: 30, learningRate: 1, trees: [onDelta] },
          ],
        }),
      ),
    );
    const g = await runCli(['analyze', 'fleet', 'predict', gbdt, hist, '--json']);
    expect(g.code, g.stderr).toBe(0);
    // unit 1: (10 + (30 + 10)) / 2 = 25 (delta 2 > 1 goes right); unit 2: (10 + 30) / 2 = 20
    expect(JSON.parse(g.stdout).predictions.map((p: { rul: number }) => p.rul)).toEqual([25, 20]);
  });

  it('files that are not a fleet model are one clear error each (exit 2)', async () => {
    const hist = join(dir, 'one.txt');
    writeFileSync(hist, `${cmapssRows(1, 5, () => 1)}\n`);
    const cases: [string, string | object, RegExp][] = [
      ['notjson.json', '{"format": ', /notjson\.json: not valid JSON/],
      ['inventory.json', { schema: 'iiot.discover/1' }, /inventory\.json: format: null, not "iiot-fleet-model"/],
      [
        'future.json',
        { ...handModel({ kind: 'ridge', coefficients: [1, 0, 0, 0, 0, 0] }), version: 3 },
        /future\.json: a fleet model of version 3; this iiot reads versions 1 and 2/,
      ],
      [
        'v2names.json',
        {
          ...(handModelV2({ kind: 'ridge', coefficients: [1, 0, 0, 0, 0] }) as object),
          features: { names: ['a', 'b'], ewma: [0.5], mean: [], slope: [3], baseline: 2 },
        },
        /v2names\.json: features\.names: 2 names for 4 features/,
      ],
      [
        'v2member.json',
        handModelV2({
          kind: 'gbdt',
          features: 4,
          members: [
            { base: 0, learningRate: 1, trees: [{ f: [7, -1, -1], t: [1, null, null], l: [1, -1, -1], r: [2, -1, -1], v: [0, 1, 2] }] },
          ],
        }),
        /v2member\.json: model\.members\[0\]\.trees\[0\]\.f\[0\]: feature 7, but there are 4/,
      ],
      [
        'badtree.json',
        handModel({
          kind: 'gbdt',
          base: 0,
          learningRate: 1,
          features: 5,
          trees: [{ f: [4, -1, -1], t: [1, null, null], l: [1, -1, -1], r: [7, -1, -1], v: [0, 1, 2] }],
        }),
        /badtree\.json: model\.trees\[0\]\.l\[0\]: a child index out of range/,
      ],
      [
        'badfeat.json',
        handModel({
          kind: 'gbdt',
          base: 0,
          learningRate: 1,
          features: 5,
          trees: [{ f: [9, -1, -1], t: [1, null, null], l: [1, -1, -1], r: [2, -1, -1], v: [0, 1, 2] }],
        }),
        /badfeat\.json: model\.trees\[0\]\.f\[0\]: feature 9, but there are 5/,
      ],
      [
        'coef.json',
        handModel({ kind: 'ridge', coefficients: [1, 2] }),
        /coef\.json: model\.coefficients: 2 coefficients for 5 features and an intercept/,
      ],
      [
        'type.json',
        { ...handModel({ kind: 'ridge', coefficients: [1, 0, 0, 0, 0, 0] }), target: { cap: 'many' } },
        /type\.json: target\.cap: /,
      ],
    ];
    for (const [name, body, message] of cases) {
      const file = join(dir, name);
      writeFileSync(file, typeof body === 'string' ? body : JSON.stringify(body));
      const r = await runCli(['analyze', 'fleet', 'predict', file, hist]);
      expect(r.code, name).toBe(2);
      expect(r.stderr, name).toMatch(message);
      expect(r.stderr, name).not.toMatch(/\n\s+at /); // no stack trace
    }
  });
});

describe('iiot analyze fleet train', () => {
  it('learns from C-MAPSS histories as published (here gzipped), records the cross-validation, and tells early life from late life', async () => {
    const gz = join(dir, 'train.txt.gz');
    writeFileSync(gz, gzipSync(readFileSync(FIXTURE)));
    const model = join(dir, 'fd001-4.json');
    const r = await runCli([
      'analyze',
      'fleet',
      'train',
      gz,
      '--format',
      'cmapss',
      '-o',
      model,
      '--folds',
      '2',
      '--depth',
      '2,3',
      '--trees',
      '20,40',
      '--min-leaf',
      '5',
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.fleet.train/1');
    expect(j.input).toMatchObject({ format: 'cmapss', units: 4, rows: 847, unit: 'cycle' });
    expect(j.regimes).toBe(1); // FD001 is one operating condition (the -0 key made it four)
    expect(j.hyperParameters.candidates).toHaveLength(4);
    const best = Math.min(...j.hyperParameters.candidates.map((c: { rmse: number }) => c.rmse));
    expect(j.hyperParameters.chosen.rmse).toBe(best);
    const file = JSON.parse(readFileSync(model, 'utf8'));
    expect(file).toMatchObject({ format: 'iiot-fleet-model', version: 2, hyperParameters: { chosen: j.hyperParameters.chosen } });
    // the final model: four fits of the chosen candidate on every history, seeds 42, 1042, ... (bagging)
    expect(file.model.members).toHaveLength(4);
    expect(file.hyperParameters.final).toMatch(/mean of 4 fits .* seeds 42, 1042, 2042, 3042/);
    for (const m of file.model.members) expect(m.trees).toHaveLength(j.hyperParameters.chosen.trees);
    expect(file.input.sensors).toHaveLength(21);

    // engine 4 (189 cycles) cut at 40 cycles and 10 cycles before its end
    const lines = readFileSync(FIXTURE, 'utf8')
      .split('\n')
      .filter((l) => l.trim().startsWith('4 '));
    const cut = join(dir, 'cut.txt');
    writeFileSync(
      cut,
      [
        ...lines.slice(0, 40).map((l) => l.replace(/^4 /, '1 ')),
        ...lines.slice(0, lines.length - 10).map((l) => l.replace(/^4 /, '2 ')),
      ].join('\n'),
    );
    const p = await runCli(['analyze', 'fleet', 'predict', model, cut, '--json', '--level', '90%']);
    expect(p.code, p.stderr).toBe(0);
    const [early, late] = JSON.parse(p.stdout).predictions;
    expect(early.rul).toBeGreaterThan(late.rul + 40);
    expect(late.lo).toBeLessThanOrEqual(late.rul);
    expect(late.hi).toBeGreaterThanOrEqual(late.rul);
    const text = await runCli(['analyze', 'fleet', 'predict', model, cut]);
    expect(text.stdout).toMatch(/unit\s+cycles seen\s+remaining life \(cycles\)\s+80% interval/);
  });

  it('learns from captures, one asset each, with an operating setting, and predicts the failure time', async () => {
    // six pumps that fail after 60..110 hours: vibration rises as the end nears; the speed setting (1 or 2) shifts the level
    const T0 = Date.UTC(2026, 0, 1);
    const write = (name: string, hours: number, cut = hours) => {
      const head = {
        type: 'header',
        format: 'iiot-capture',
        version: 1,
        created: new Date(T0).toISOString(),
        tool: 'test',
        sources: [],
        tags: [{ name: 'pump.speed' }, { name: 'pump.vibration', unit: 'mm/s' }],
        metadata: {},
      };
      const lines = [JSON.stringify(head)];
      for (let h = 0; h < cut; h++) {
        const t = new Date(T0 + h * 3_600_000).toISOString();
        const speed = h % 10 < 5 ? 1 : 2;
        const left = hours - h;
        lines.push(JSON.stringify({ t, tag: 'pump.speed', v: speed }));
        lines.push(JSON.stringify({ t, tag: 'pump.vibration', v: speed * (1 + 3 * Math.exp(-left / 15)) + 0.01 * Math.sin(h) }));
      }
      const file = join(dir, name);
      writeFileSync(file, `${lines.join('\n')}\n`);
      return file;
    };
    const train = [60, 70, 80, 90, 100, 110].map((h, i) => write(`pump${i}.jsonl`, h));
    const model = join(dir, 'pumps.json');
    const r = await runCli([
      'analyze',
      'fleet',
      'train',
      ...train,
      '--setting',
      'pump.speed',
      '--cap',
      '40h',
      '--folds',
      '3',
      '--depth',
      '2',
      '--trees',
      '30',
      '--min-leaf',
      '5',
      '--min-history',
      '10',
      '-o',
      model,
      '--json',
    ]);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.input).toMatchObject({
      format: 'capture',
      unit: 'hour',
      stepMs: 3_600_000,
      settings: ['pump.speed'],
      sensors: ['pump.vibration'],
    });
    expect(j.cap).toBe(40);
    expect(j.regimes).toBe(2);
    const soon = write('soon.jsonl', 90, 85); // 5 h left
    const later = write('later.jsonl', 90, 40); // 50 h left
    const p = await runCli(['analyze', 'fleet', 'predict', model, soon, later, '--json']);
    expect(p.code, p.stderr).toBe(0);
    const [a, b] = JSON.parse(p.stdout).predictions;
    expect(a.rul).toBeLessThan(15);
    expect(b.rul).toBeGreaterThan(25);
    // the capture's last step ends 85 h after T0; the failure is expected rul hours later
    expect(Date.parse(a.at)).toBe(T0 + 85 * 3_600_000);
    expect(Date.parse(a.failureAt)).toBeCloseTo(T0 + (85 + a.rul) * 3_600_000, -3);
    // a capture without the model's tags
    const other = join(dir, 'other.jsonl');
    writeFileSync(
      other,
      `${JSON.stringify({ type: 'header', format: 'iiot-capture', version: 1, created: new Date(T0).toISOString(), tool: 't', tags: [{ name: 'fan.vibration' }] })}\n${JSON.stringify({ t: new Date(T0).toISOString(), tag: 'fan.vibration', v: 1 })}\n`,
    );
    const e = await runCli(['analyze', 'fleet', 'predict', model, other]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/other\.jsonl: the model needs tags that are not in this capture: pump\.speed, pump\.vibration/);
  });

  it('bad histories and options are one clear error (exit 2)', async () => {
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, '1 1 0 0 100 5\n1 2 0 0 100 n/a\n');
    const a = await runCli(['analyze', 'fleet', 'train', bad, '-o', join(dir, 'x.json')]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/bad\.txt:2: column 6 is "n\/a", not a number/);
    const b = await runCli(['analyze', 'fleet', 'train', FIXTURE, '-o', join(dir, 'x.json'), '--folds', '9']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/4 histories for 9-fold cross-validation/);
    const c = await runCli(['analyze', 'fleet', 'train', FIXTURE]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/--output/);
  });
});
