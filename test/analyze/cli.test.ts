import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { writeEnergyCapture, writeMvCapture, writeVibrationCapture } from '../helpers/analysis-captures.js';

let dir: string;
let energyFile: string;
let vibFile: string;
let expectedKwh: number;
let mvFile: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'iiot-analyze-'));
  energyFile = join(dir, 'plant.jsonl');
  vibFile = join(dir, 'pumps.jsonl');
  expectedKwh = writeEnergyCapture(energyFile).kwh;
  writeVibrationCapture(vibFile);
  mvFile = join(dir, 'mv.jsonl');
  writeMvCapture(mvFile);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('iiot analyze energy', () => {
  it('--json: totals, demand, idle, power factor, energy per unit, documented schema', async () => {
    const r = await runCli(['analyze', 'energy', energyFile, '--json', '--tz', 'UTC']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.energy/1');
    expect(j.meter.tag).toBe('plant.power');
    expect(j.totals.kwh).toBeGreaterThan(expectedKwh * 0.995);
    expect(j.totals.kwh).toBeLessThan(expectedKwh * 1.005);
    expect(j.totals.days).toHaveLength(3); // the last sample (00:00 of day 4) closes day 3
    expect(j.demand.peak.kw).toBeCloseTo(100, 0);
    expect(j.demand.series).toBeUndefined();
    expect(j.idle.source).toBe('producing-tag');
    expect(j.idle.meanKw).toBeCloseTo(40, 0);
    expect(j.powerFactor.overall).toBeCloseTo(1 / Math.hypot(1, 0.5), 2);
    expect(j.production.tag).toBe('line.count');
    expect(j.production.kwhPerUnit).toBeGreaterThan(1);
    expect(j.subMeters[0].tag).toBe('compressor.power');
    expect(j.reconciliation[0].tag).toBe('plant.energy');
    expect(Math.abs(j.reconciliation[0].difference)).toBeLessThan(0.01);
    expect(j.notes.join('\n')).toMatch(/plant\.power: 1 non-numeric readings skipped/);
  });

  it('writes a Markdown and an HTML report', async () => {
    const md = join(dir, 'e.md');
    const html = join(dir, 'e.html');
    expect((await runCli(['analyze', 'energy', energyFile, '--report', md, '-q'])).code).toBe(0);
    expect((await runCli(['analyze', 'energy', energyFile, '--report', html, '-q'])).code).toBe(0);
    expect(readFileSync(md, 'utf8')).toMatch(/^# Energy: .*\n[\s\S]*## Load profile \(mean kW\)/);
    const h = readFileSync(html, 'utf8');
    expect(h.match(/<svg /g)?.length).toBeGreaterThanOrEqual(3);
    expect(h).not.toMatch(/<script|https?:\/\/(?!www\.w3\.org)/);
  });

  it('bad input: an unknown meter, a tariff with a wrong field, a report format, a time zone', async () => {
    const a = await runCli(['analyze', 'energy', energyFile, '--meter', 'plant.pwr']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--meter plant\.pwr: no such tag in the capture/);
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'currency: EUR\nenergy:\n  - name: day\n    price: "0.2 EUR"\n');
    const b = await runCli(['analyze', 'energy', energyFile, '--tariff', bad]);
    expect(b.code).toBe(2);
    expect(b.stderr).toContain(`${bad}:4: tariff field energy[0].price`);
    const c = await runCli(['analyze', 'energy', energyFile, '--report', join(dir, 'r.txt')]);
    expect(c.code).toBe(2);
    expect(c.stderr).toMatch(/FILE\.md or --report FILE\.html/);
    const d = await runCli(['analyze', 'energy', energyFile, '--tz', 'Mars/Olympus']);
    expect(d.code).toBe(2);
    expect(d.stderr).toMatch(/unknown time zone/);
    const e = await runCli(['analyze', 'energy', energyFile, '--meter', 'plant.producing']);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/plant\.producing: the capture header gives no unit/);
  });
});

describe('iiot analyze energy: measurement and verification, interval-end CSV, site time zone', () => {
  it('prints the baseline comparison and the ASHRAE G14 verdict in the terminal; drivers are day type and degree days', async () => {
    const args = ['analyze', 'energy', mvFile, '--baseline-period', '2026-03-02..2026-04-05', '--report-period', '2026-04-06..2026-04-26'];
    const r = await runCli(args);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^plant\.power \(power, kW\), 2026-03-02 00:00 to 2026-04-26 23:50 Europe\/Madrid/);
    expect(r.stdout).toMatch(/2026-03 .* \(96\.8% of the month measured\)/); // 2 to 31 March of 31 days
    expect(r.stdout).toMatch(/baseline comparison\n +period +days +kWh\/day/);
    expect(r.stdout).toMatch(
      /model: daily kWh = .* fitted on 35 baseline days; drivers chosen by cross-validation \((workday \(1\) or not \(0\), heating degree days|heating degree days, workday \(1\) or not \(0\))\)/,
    );
    expect(r.stdout).toMatch(
      /ASHRAE Guideline 14 \(daily limits CV\(RMSE\) <= 30\.0%, \|NMBE\| <= 10\.0%\): MEETS; CV\(RMSE\) [\d.]+% and NMBE -?[\d.]+% out of sample \(leave-one-week-out, 5 folds\)/,
    );
    expect(r.stdout).toMatch(/report period: .* over 21 days: savings/);
    expect(r.stdout).toMatch(/note: outdoor temperature: outdoor\.temperature \(by its name/);
    const j = JSON.parse((await runCli([...args, '--json'])).stdout);
    expect(j.tz).toBe('Europe/Madrid');
    const g = j.baselines.regression;
    expect(g.drivers.slice().sort()).toEqual(['hdd', 'workday']);
    expect(g.normalisedSavings).toBeGreaterThan(0.08);
    expect(g.normalisedSavings).toBeLessThan(0.12);
    expect(j.totals.days.find((d: { day: string }) => d.day === '2026-03-29').coverage).toBeCloseTo(1, 6); // the 23-hour day is whole
  });

  it('capture import writes interval ends and the site zone into the header; analyze energy needs neither --interval-end nor --tz', async () => {
    const csv = 'fixtures/analysis/steel-2018-01-01-to-07.csv';
    const cap = join(dir, 'steel.jsonl');
    const imp = await runCli([
      'capture',
      'import',
      csv,
      '-o',
      cap,
      '--midnight-ends-day',
      '--tz',
      'Asia/Seoul',
      '--unit',
      'Usage_kWh=kWh',
      '--unit',
      'Lagging_Current_Reactive_Power_kVarh=kvarh',
      '--unit',
      'Leading_Current_Reactive_Power_kVarh=kvarh',
    ]);
    expect(imp.code).toBe(0);
    const header = JSON.parse(readFileSync(cap, 'utf8').split('\n')[0]!);
    expect(header.metadata.timezone).toBe('Asia/Seoul');
    expect(header.tags.find((t: { name: string }) => t.name === 'Usage_kWh').interval).toEqual({ stamp: 'end', ms: 900_000 });
    const j = JSON.parse((await runCli(['analyze', 'energy', cap, '--json'])).stdout);
    expect(j.tz).toBe('Asia/Seoul');
    expect(j.meter.kind).toBe('interval');
    expect(j.totals.days.map((d: { day: string }) => d.day)).toEqual([
      '2018-01-01',
      '2018-01-02',
      '2018-01-03',
      '2018-01-04',
      '2018-01-05',
      '2018-01-06',
      '2018-01-07',
    ]);
    expect(j.totals.months.map((m: { month: string }) => m.month)).toEqual(['2018-01']);
    // independent: the largest row, whose time (local, the interval END) is 15 minutes after the interval starts
    const rows = readFileSync(csv, 'utf8')
      .replace(/^\uFEFF/, '')
      .trim()
      .split(/\r?\n/)
      .slice(1)
      .map((l) => l.split(','));
    const max = rows.reduce((a, b) => (Number(b[1]) > Number(a[1]) ? b : a));
    const [dd, mm, yyyy, hh, mi] = /^(\d\d)\/(\d\d)\/(\d{4}) (\d\d):(\d\d)$/.exec(max[0]!)!.slice(1).map(Number) as number[];
    const endUtc = Date.UTC(yyyy!, mm! - 1, dd!, hh! - 9, mi!); // Seoul is UTC+9
    expect(j.demand.peak.kw).toBeCloseTo(4 * Number(max[1]), 6);
    expect(Date.parse(j.demand.peak.at)).toBe(endUtc - 900_000);
    expect(j.powerFactor.quadrant).toBe('lagging');
    expect(j.powerFactor.leading.tag).toBe('Leading_Current_Reactive_Power_kVarh');
    // the old behaviour, asked for: times read as interval starts move the peak 15 minutes and put the last interval into an 8th day
    const start = JSON.parse((await runCli(['analyze', 'energy', cap, '--json', '--no-interval-end'])).stdout);
    expect(Date.parse(start.demand.peak.at)).toBe(endUtc);
    expect(start.totals.days.at(-1).day).toBe('2018-01-08');
    // and without the site zone (UTC, as before) the first interval falls in December 2017
    const utc = JSON.parse((await runCli(['analyze', 'energy', cap, '--json', '--tz', 'UTC', '--no-interval-end'])).stdout);
    expect(utc.totals.months[0].month).toBe('2017-12');
  });
});

describe('iiot analyze degradation', () => {
  it('--json: finds the degrading pump, leaves stopped periods out, gives the remaining life to zone C/D', async () => {
    const r = await runCli([
      'analyze',
      'degradation',
      vibFile,
      '--json',
      '--threshold',
      'zone:C/D',
      '--group',
      '2',
      '--foundation',
      'rigid',
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.schema).toBe('iiot.analyze.degradation/1');
    const pump = j.indicators.find((i: { name: string }) => i.name === 'pump.vibration');
    const fan = j.indicators.find((i: { name: string }) => i.name === 'fan.vibration');
    expect(pump.status).toMatch(/degrading|above-threshold/);
    expect(Date.parse(pump.onset.startedAt)).toBeGreaterThan(Date.UTC(2026, 2, 14));
    expect(pump.points.t[0]).toMatch(/^2026-03-02T\d\d:00:00\.000Z$/);
    expect(pump.threshold.value).toBe(4.5);
    expect(pump.notes.join(' ')).toMatch(/taken while pump\.running was off were left out/);
    expect(fan.status).toBe('healthy');
    expect(fan.statement).toMatch(/no degradation trend/);
    expect(j.iso.boundaries['C/D']).toBe(4.5);
    expect(r.stderr).toMatch(/times, days and hours in Europe\/Madrid, the capture's time zone/);
  });

  it('--fail-on degrading exits 1; a capture without vibration tags is a clear usage error', async () => {
    const r = await runCli(['analyze', 'degradation', vibFile, '--fail-on', 'degrading', '-q']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/pump\.vibration .*DEGRADING/);
    const e = await runCli(['analyze', 'degradation', energyFile]);
    expect(e.code).toBe(2);
    expect(e.stderr).toMatch(/no vibration or temperature tag in the capture/);
    const t = await runCli(['analyze', 'degradation', vibFile, '--threshold', '7.1 furlongs']);
    expect(t.code).toBe(2);
    expect(t.stderr).toMatch(/unknown unit "furlongs"/);
  });

  it('--fuse makes one health index; --report writes the charts', async () => {
    const html = join(dir, 'd.html');
    const r = await runCli([
      'analyze',
      'degradation',
      vibFile,
      '--tag',
      'pump.vibration',
      '--tag',
      'fan.vibration',
      '--fuse',
      '--json',
      '--report',
      html,
    ]);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.indicators).toHaveLength(1);
    expect(j.indicators[0].quantity).toBe('health-index');
    expect(j.fused.map((w: { name: string }) => w.name).sort()).toEqual(['fan.vibration', 'pump.vibration']);
    expect(existsSync(html)).toBe(true);
  });

  it('a feature table as published (NASA/IMS test 2, imported as is): RMS and excess kurtosis found by name, one verdict per bearing', async () => {
    const cap = join(dir, 'ims2.jsonl');
    const imp = await runCli(['capture', 'import', 'fixtures/analysis/ims-test2-b1-b3.csv', '--layout', 'wide', '-o', cap, '-q']);
    expect(imp.code, imp.stderr).toBe(0);
    // the last two snapshots were taken after the rig stopped: --to leaves them out
    const r = await runCli(['analyze', 'degradation', cap, '--to', '2004-02-19T06:12:40Z', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    const byName = Object.fromEntries(j.indicators.map((i: { name: string }) => [i.name, i]));
    expect(Object.keys(byName).sort()).toEqual(['Bearing1_ch1_kurt', 'Bearing1_ch1_rms', 'Bearing3_ch1_kurt', 'Bearing3_ch1_rms']);
    expect(byName.Bearing1_ch1_kurt.quantity).toBe('kurtosis');
    expect(byName.Bearing1_ch1_kurt.notes.join(' ')).toMatch(/read as excess kurtosis .*3 added/);
    expect(byName.Bearing1_ch1_kurt.baseline.level).toBeGreaterThan(3); // Pearson: healthy near 3
    expect(byName.Bearing1_ch1_rms.windowMs).toBe(3_600_000); // six 10-minute snapshots
    const assets = Object.fromEntries(j.assets.map((a: { name: string }) => [a.name, a]));
    expect(Object.keys(assets).sort()).toEqual(['Bearing1_ch1', 'Bearing3_ch1']);
    const end = Date.parse('2004-02-19T06:12:39Z');
    const lead = (a: { onset?: { alarmAt: string } }) => (a.onset ? (end - Date.parse(a.onset.alarmAt)) / 3_600_000 : 0);
    expect(lead(assets.Bearing1_ch1)).toBeGreaterThan(48); // the failing bearing, two days ahead
    expect(lead(assets.Bearing3_ch1)).toBeLessThan(24); // the healthy one: at most a sympathetic alarm at the very end
    // --kind says otherwise: the kurtosis is read as it is
    const k = await runCli([
      'analyze',
      'degradation',
      cap,
      '--to',
      '2004-02-19T06:12:40Z',
      '--tag',
      'Bearing1_ch1_kurt',
      '--kind',
      'Bearing1_ch1_kurt=kurtosis',
      '--json',
    ]);
    expect(JSON.parse(k.stdout).indicators[0].notes.join(' ')).not.toMatch(/excess/);
    const bad = await runCli(['analyze', 'degradation', cap, '--kind', 'Bearing1_ch1_kurt=wobble']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /--kind Bearing1_ch1_kurt=wobble: write level, rms, peak, kurtosis, excess-kurtosis, crest-factor or skewness/,
    );
  });

  it('a 40-minute rig run sampled every 10 s keeps its sampling, and its onset comes minutes after the growth starts', async () => {
    const file = join(dir, 'rig.jsonl');
    const T = Date.UTC(2026, 4, 1, 9);
    const lines = [
      JSON.stringify({
        type: 'header',
        format: 'iiot-capture',
        version: 1,
        created: new Date(T).toISOString(),
        tool: 'test',
        tags: [{ name: 'rig.vibration', unit: 'mm/s' }],
      }),
    ];
    for (let i = 0; i <= 240; i++) {
      const v = (i < 150 ? 1.2 : 1.2 * Math.exp((i - 150) / 40)) * (1 + 0.02 * Math.sin(i * 2.7));
      lines.push(JSON.stringify({ t: new Date(T + i * 10_000).toISOString(), tag: 'rig.vibration', v: Number(v.toFixed(4)) }));
    }
    writeFileSync(file, `${lines.join('\n')}\n`);
    const r = await runCli(['analyze', 'degradation', file, '--json', '--threshold', '4.5mm/s']);
    expect(r.code, r.stderr).toBe(0);
    const ind = JSON.parse(r.stdout).indicators[0];
    expect(ind.windowMs).toBe(60_000);
    expect(ind.points.t.length).toBeGreaterThanOrEqual(40);
    const growth = (Date.parse(ind.onset.alarmAt) - (T + 150 * 10_000)) / 60_000;
    expect(growth).toBeGreaterThan(0);
    expect(growth).toBeLessThan(12); // minutes
    expect(ind.statement).toMatch(/over the last 10 min/);
  });

  it('help shows both analyses with examples', async () => {
    const r = await runCli(['analyze', 'degradation', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/--threshold <t>/);
    expect(r.stdout).toMatch(/\$ iiot analyze degradation pumps\.jsonl\.gz --threshold zone:C\/D/);
  });
});
