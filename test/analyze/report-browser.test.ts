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
import { degradationHtml, degradationMarkdown } from '../../src/analyze/report/degradation.js';
import { energyHtml } from '../../src/analyze/report/energy.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'iiot-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `headless chromium not found at ${CHROMIUM}: install it (apt-get install -y chromium) or point CHROMIUM at it; this test renders the HTML reports in a real browser`,
    );
  }
}

async function dumpDom(file: string): Promise<string> {
  const { stdout } = await run(
    CHROMIUM,
    ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--dump-dom', `file://${file}`],
    { timeout: 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  return stdout;
}

/**
 * Loads a report with a script appended that measures, in the browser's own layout, every text of
 * every chart, and returns the pairs that intersect: text with text, and a label with a drawn line
 * (threshold, baseline, event and median lines, leaders, the data polyline and forecast).
 */
async function overlapsInBrowser(html: string, name: string): Promise<{ texts: number; lines: number; overlaps: string[] }> {
  const probe = `<script>
(() => {
  const out = { texts: 0, lines: 0, overlaps: [] };
  const hit = (a, b) => a.left < b.right - 0.5 && b.left < a.right - 0.5 && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5;
  // does segment p-q cross rectangle r (client coordinates)?
  const segHits = (p, q, r) => {
    const inside = (x, y) => x > r.left + 0.5 && x < r.right - 0.5 && y > r.top + 0.5 && y < r.bottom - 0.5;
    if (inside(p.x, p.y) || inside(q.x, q.y)) return true;
    const edges = [[r.left, r.top, r.right, r.top], [r.right, r.top, r.right, r.bottom], [r.left, r.bottom, r.right, r.bottom], [r.left, r.top, r.left, r.bottom]];
    const cross = (ax, ay, bx, by, cx, cy, dx, dy) => {
      const d = (bx - ax) * (dy - cy) - (by - ay) * (dx - cx);
      if (d === 0) return false;
      const u = ((cx - ax) * (dy - cy) - (cy - ay) * (dx - cx)) / d;
      const v = ((cx - ax) * (by - ay) - (cy - ay) * (bx - ax)) / d;
      return u > 0 && u < 1 && v > 0 && v < 1;
    };
    return edges.some(([x1, y1, x2, y2]) => cross(p.x, p.y, q.x, q.y, x1, y1, x2, y2));
  };
  document.querySelectorAll('svg.chart').forEach((svg, k) => {
    const m = svg.getScreenCTM();
    const pt = (x, y) => { const p = svg.createSVGPoint(); p.x = x; p.y = y; return p.matrixTransform(m); };
    const texts = [...svg.querySelectorAll('text')].map((e) => ({ e, r: e.getBoundingClientRect(), label: e.classList.contains('label') }));
    out.texts += texts.length;
    for (let i = 0; i < texts.length; i++) for (let j = i + 1; j < texts.length; j++) if (hit(texts[i].r, texts[j].r)) out.overlaps.push('chart ' + k + ': "' + texts[i].e.textContent + '" and "' + texts[j].e.textContent + '"');
    const segments = [];
    svg.querySelectorAll('line:not(.grid)').forEach((l) => segments.push({ what: 'line.' + l.getAttribute('class'), p: pt(+l.getAttribute('x1'), +l.getAttribute('y1')), q: pt(+l.getAttribute('x2'), +l.getAttribute('y2')) }));
    svg.querySelectorAll('path.leader').forEach((l) => { const n = l.getAttribute('d').match(/-?[\\d.]+/g).map(Number); segments.push({ what: 'leader', p: pt(n[0], n[1]), q: pt(n[2], n[3]) }); });
    svg.querySelectorAll('polyline').forEach((l) => { const n = l.getAttribute('points').trim().split(/\\s+/).map((s) => s.split(',').map(Number)); for (let i = 1; i < n.length; i++) segments.push({ what: 'polyline.' + l.getAttribute('class'), p: pt(n[i - 1][0], n[i - 1][1]), q: pt(n[i][0], n[i][1]) }); });
    out.lines += segments.length;
    for (const t of texts.filter((x) => x.label)) for (const s of segments) if (segHits(s.p, s.q, t.r)) { out.overlaps.push('chart ' + k + ': label "' + t.e.textContent + '" and ' + s.what); break; }
  });
  const pre = document.createElement('pre');
  pre.id = 'overlap-result';
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
})();
</script>`;
  const file = join(dir, name);
  writeFileSync(file, html.replace('</body>', `${probe}</body>`));
  const dom = await dumpDom(file);
  const m = /<pre id="overlap-result">([^<]*)<\/pre>/.exec(dom);
  if (!m) throw new Error(`the probe script did not run in ${name}`);
  return JSON.parse(m[1]!.replace(/&quot;/g, '"').replace(/&amp;/g, '&'));
}

async function screenshot(file: string, png: string): Promise<void> {
  await run(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--window-size=900,2000',
      `--screenshot=${png}`,
      `file://${file}`,
    ],
    { timeout: 60_000 },
  );
}

const ctx = { file: 'test.jsonl', tz: 'Europe/Madrid', generated: '2026-03-01T00:00:00Z', tool: 'iiot test' };
const T0 = Date.UTC(2026, 2, 2);

function energyReport(): string {
  const acc = new MeterAccumulator({ tag: 'plant.power', kind: 'power', quantity: 'active', factor: 1, unit: 'kW' });
  for (let m = 0; m <= 14 * 1440; m += 5) {
    const hour = (m / 60) % 24;
    acc.add(T0 + m * 60_000, (hour >= 6 && hour < 22 ? 120 : 45) + (m % 97 === 0 ? 80 : 0));
  }
  const r = analyzeEnergy(
    { main: toMeterSeries(acc) },
    { tz: 'Europe/Madrid', shifts: [{ name: 'day', window: { from: 360, to: 1320 } }] },
  );
  return energyHtml(r, ctx);
}

/** A crowded chart: the onset, the expected crossing and its interval close together, the threshold on a zone boundary. */
function crowdedReport(): string {
  const n = 24 * 12;
  const t = Float64Array.from({ length: n }, (_, i) => T0 + (i + 0.5) * 3_600_000);
  const v = Float64Array.from({ length: n }, (_, i) => (i < 230 ? 2.6 : 2.6 * Math.exp((i - 230) / 40)) * (1 + 0.03 * Math.sin(i * 5.1)));
  const r = analyzeDegradation([{ name: 'fan.vibration', tag: 'fan.vibration', unit: 'mm/s', quantity: 'value', series: { t, v } }], {
    threshold: { kind: 'zone', boundary: 'C/D' },
    iso: { group: 2, foundation: 'rigid' },
    tz: 'UTC',
    windowMs: 3_600_000,
  });
  return degradationHtml(r, ctx);
}

function degradationReport(): { html: string; md: string } {
  const n = 24 * 20;
  const t = Float64Array.from({ length: n }, (_, i) => T0 + (i + 0.5) * 3_600_000);
  const v = Float64Array.from(
    { length: n },
    (_, i) => (i < 300 ? 1.5 : 1.5 + 0.1 * (Math.exp((i - 300) / 60) - 1)) * (1 + 0.02 * Math.sin(i * 7.3)),
  );
  const r = analyzeDegradation([{ name: 'pump.vibration', tag: 'pump.vibration', unit: 'mm/s', quantity: 'value', series: { t, v } }], {
    threshold: { kind: 'zone', boundary: 'C/D' },
    iso: { group: 2, foundation: 'rigid' },
    tz: 'Europe/Madrid',
  });
  return { html: degradationHtml(r, ctx), md: degradationMarkdown(r, ctx) };
}

describe('HTML reports in headless chromium', () => {
  it('no label of any chart overlaps another text or a drawn line (measured in the browser)', async () => {
    requireChromium();
    for (const [name, html] of [
      ['deg-labels.html', degradationReport().html],
      ['crowded-labels.html', crowdedReport()],
      ['energy-labels.html', energyReport()],
    ] as const) {
      const r = await overlapsInBrowser(html, name);
      expect(r.texts, name).toBeGreaterThan(10);
      expect(r.lines, name).toBeGreaterThan(5);
      expect(r.overlaps, name).toEqual([]);
    }
    // the probe itself: labels drawn on top of each other and across a line are caught
    const bad = `<!DOCTYPE html><html><body><svg class="chart" viewBox="0 0 300 100" width="300" height="100" xmlns="http://www.w3.org/2000/svg">
      <text class="label" x="10" y="20" font-size="10">threshold 4.5 mm/s</text><text class="label" x="40" y="22" font-size="10">onset</text>
      <line class="threshold" x1="0" x2="300" y1="60" y2="60"/><text class="label" x="100" y="63" font-size="10">baseline</text></svg></body></html>`;
    const caught = await overlapsInBrowser(bad, 'bad-labels.html');
    expect(caught.overlaps).toEqual(['chart 0: "threshold 4.5 mm/s" and "onset"', 'chart 0: label "baseline" and line.threshold']);
  });

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

  it('the degradation chart draws what the statement says: the median crossing and its interval, the ISO zones, no trend curve', async () => {
    requireChromium();
    const file = join(dir, 'degradation.html');
    const { html, md } = degradationReport();
    writeFileSync(file, html);
    const dom = await dumpDom(file);
    const svg = (dom.match(/<svg[\s\S]*?<\/svg>/g) ?? [])[0] ?? '';
    expect(svg).toMatch(/<polyline class="line"/);
    expect(svg).toMatch(/<line class="threshold"/);
    expect(svg).toMatch(/>onset</);
    // the statement: "reaches 4.50 mm/s (zone C/D) in about X, 80% interval A to B"
    const st = /reaches 4\.50 mm\/s \(zone C\/D\) in about ([^,]+), 80% interval ([^.;]+?)\./.exec(dom);
    expect(st).not.toBeNull();
    expect(svg).toContain(`<line class="median"`);
    expect(svg).toContain(`>median ${st![1]}<`);
    expect(svg).toMatch(/<rect class="rul-band"/);
    expect(svg).toContain(`>80%: ${st![2]}<`);
    // the first-passage estimate is drawn, not the exponential trend it does not use
    expect(svg).not.toMatch(/class="forecast"|class="band"/);
    for (const z of ['a', 'b', 'c', 'd']) expect(svg).toMatch(new RegExp(`<rect class="zone zone-${z}"`));
    expect(md).toMatch(/\| pump\.vibration \| DEGRADING \|/);
    const png = join(dir, 'degradation.png');
    await screenshot(file, png);
    expect(readFileSync(png).subarray(1, 4).toString()).toBe('PNG');
  });
});
