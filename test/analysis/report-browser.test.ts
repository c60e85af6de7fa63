/**
 * The HTML reports must render in a real browser: Debian's headless chromium loads each report,
 * and the DOM it builds must hold the SVG charts with their drawn elements. No chromium is a
 * failure with instructions, never a skip (CI installs it: apt-get install -y chromium).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { analyzeDegradation } from '../../src/analysis/degradation.js';
import { analyzeEnergy } from '../../src/analysis/energy.js';
import { MeterAccumulator, toMeterSeries } from '../../src/analysis/meter.js';
import { degradationHtml, degradationMarkdown } from '../../src/analysis/report/degradation.js';
import { energyHtml } from '../../src/analysis/report/energy.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iiot-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`headless chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or point CHROMIUM at it; this test renders the HTML reports in a real browser`);
  }
}

async function dumpDom(file: string): Promise<string> {
  const { stdout } = await run(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--dump-dom', `file://${file}`], { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

async function screenshot(file: string, png: string): Promise<void> {
  await run(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--window-size=900,2000', `--screenshot=${png}`, `file://${file}`], { timeout: 60_000 });
}

const ctx = { file: 'test.jsonl', tz: 'Europe/Madrid', generated: '2026-03-01T00:00:00Z', tool: 'iiot test' };
const T0 = Date.UTC(2026, 2, 2);

function energyReport(): string {
  const acc = new MeterAccumulator({ tag: 'plant.power', kind: 'power', quantity: 'active', factor: 1, unit: 'kW' });
  for (let m = 0; m <= 14 * 1440; m += 5) {
    const hour = (m / 60) % 24;
    acc.add(T0 + m * 60_000, (hour >= 6 && hour < 22 ? 120 : 45) + (m % 97 === 0 ? 80 : 0));
  }
  const r = analyzeEnergy({ main: toMeterSeries(acc) }, { tz: 'Europe/Madrid', shifts: [{ name: 'day', window: { from: 360, to: 1320 } }] });
  return energyHtml(r, ctx);
}

function degradationReport(): { html: string; md: string } {
  const n = 24 * 20;
  const t = Float64Array.from({ length: n }, (_, i) => T0 + (i + 0.5) * 3_600_000);
  const v = Float64Array.from({ length: n }, (_, i) => (i < 300 ? 1.5 : 1.5 + 0.1 * (Math.exp((i - 300) / 60) - 1)) * (1 + 0.02 * Math.sin(i * 7.3)));
  const r = analyzeDegradation([{ name: 'pump.vibration', tag: 'pump.vibration', unit: 'mm/s', quantity: 'value', series: { t, v } }], {
    threshold: { kind: 'zone', boundary: 'C/D' },
    iso: { group: 2, foundation: 'rigid' },
    tz: 'Europe/Madrid',
  });
  return { html: degradationHtml(r, ctx), md: degradationMarkdown(r, ctx) };
}

describe('HTML reports in headless chromium', () => {
  it('the energy report: daily energy bars, the load-profile heat map and the demand chart are drawn', async () => {
    requireChromium();
    const file = join(dir, 'energy.html');
    writeFileSync(file, energyReport());
    const dom = await dumpDom(file);
    const svgs = dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [];
    expect(svgs.length).toBe(3);
    expect(svgs[0]!.match(/<rect class="bar/g)!.length).toBeGreaterThanOrEqual(14); // one bar per day
    expect(svgs[1]!.match(/<rect /g)!.length).toBeGreaterThanOrEqual(7 * 24); // the heat map
    expect(svgs[2]).toMatch(/<polyline class="line"/);
    expect(svgs[2]).toMatch(/<circle class="marker"/);
    const png = join(dir, 'energy.png');
    await screenshot(file, png);
    expect(statSync(png).size).toBeGreaterThan(10_000);
  });

  it('the degradation report: indicator, threshold, onset and forecast band', async () => {
    requireChromium();
    const file = join(dir, 'degradation.html');
    const { html, md } = degradationReport();
    writeFileSync(file, html);
    const dom = await dumpDom(file);
    const svg = (dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [])[0] ?? '';
    expect(svg).toMatch(/<polyline class="line"/);
    expect(svg).toMatch(/<polygon class="band"/);
    expect(svg).toMatch(/<polyline class="forecast"/);
    expect(svg).toMatch(/<line class="threshold"/);
    expect(svg).toMatch(/>onset</);
    expect(dom).toMatch(/reaches 4\.50 mm\/s \(zone C\/D\)/);
    expect(md).toMatch(/\| pump\.vibration \| DEGRADING \|/);
    const png = join(dir, 'degradation.png');
    await screenshot(file, png);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});
