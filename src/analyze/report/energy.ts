/** Rendering of an energy result: terminal summary, Markdown, HTML. Works on the result object only. */

import { offsetMinutes } from '../../core/time.js';
import type { EnergyResult } from '../../analysis/energy.js';
import { grouped, localTime, sig } from '../../analysis/format.js';
import type { ReportContext } from './degradation.js';
import { htmlList, htmlPage, htmlTable } from './html.js';
import { barChart, esc, heatMap, timeChart } from './svg.js';
import { hbar, mdTable, sparkline } from './text.js';

const kwhText = (x: number) => (Math.abs(x) >= 10_000 ? `${grouped(x / 1000, 1)} MWh` : `${grouped(x, 1)} kWh`);
/** "12.3%"; a value that rounds to zero is "0.0%", never "-0.0%". */
const pct = (x: number) => `${(x * 100).toFixed(1).replace(/^-(0\.0)$/, '$1')}%`;

function keyFacts(r: EnergyResult, tz: string): string[][] {
  const rows: string[][] = [];
  rows.push(['energy', `${kwhText(r.totals.kwh)} over ${sig(r.period.days)} days (${pct(r.meter.coverage)} of the time measured)`]);
  rows.push(['average power', `${sig(r.demand.averageKw)} kW`]);
  if (r.demand.peak)
    rows.push([
      `peak demand (${r.demand.intervalMinutes} min, ${r.demand.method})`,
      `${sig(r.demand.peak.kw)} kW at ${localTime(r.demand.peak.at, tz)}`,
    ]);
  if (r.demand.loadFactor !== undefined) rows.push(['load factor', r.demand.loadFactor.toFixed(2)]);
  rows.push(['base load', `${sig(r.baseLoad.primaryKw)} kW (${r.baseLoad.estimators[0]?.description ?? ''})`]);
  if (r.idle)
    rows.push([
      'while nothing is produced',
      `${kwhText(r.idle.kwh)} (${pct(r.idle.share)}), ${sig(r.idle.meanKw)} kW on average over ${grouped(r.idle.hours)} h`,
    ]);
  if (r.offShift)
    rows.push(['outside the shifts', `${kwhText(r.offShift.kwh)} (${pct(r.offShift.share)}), ${sig(r.offShift.meanKw)} kW on average`]);
  const pf = r.powerFactor;
  if (pf) {
    if (pf.leading) {
      rows.push([
        'power factor',
        `${pf.overall.toFixed(3)} lagging (${grouped(pf.kvarh, 0)} kvarh), ${pf.leading.overall.toFixed(3)} leading (${grouped(pf.leading.kvarh, 0)} kvarh)${pf.net !== undefined ? `, ${pf.net.toFixed(3)} net` : ''}`,
      ]);
    } else rows.push(['power factor', `${pf.overall.toFixed(3)} (${kwhText(r.totals.kwh)} and ${grouped(pf.kvarh, 0)} kvarh)`]);
  }
  if (r.cost)
    rows.push([
      'cost',
      `${grouped(r.cost.total, 0)} ${r.cost.currency} (energy ${grouped(r.cost.energy, 0)}, demand ${grouped(r.cost.demand, 0)}, fixed ${grouped(r.cost.fixed, 0)}, reactive ${grouped(r.cost.reactive, 0)})`,
    ]);
  if (r.co2e) rows.push(['CO2e', `${grouped(r.co2e.kg / 1000, 1)} t at ${r.co2e.kgPerKwh} kg/kWh`]);
  for (const c of r.reconciliation ?? [])
    rows.push([
      `cross-check ${c.tag}`,
      `${c.kind}: ${kwhText(c.kwh)} against ${kwhText(c.mainKwh)} over the minutes both measured (${c.difference >= 0 ? '+' : ''}${(c.difference * 100).toFixed(2)}%)`,
    ]);
  if (r.production) {
    rows.push(['production', `${grouped(r.production.units)} units (${r.production.tag}), ${sig(r.production.kwhPerUnit)} kWh per unit`]);
    if (r.production.model)
      rows.push([
        'daily model',
        `${grouped(r.production.model.fixedKwhPerDay, 0)} kWh/day fixed + ${sig(r.production.model.kwhPerUnit)} kWh per unit (R² ${r.production.model.r2.toFixed(2)}, ${r.production.model.days} days)`,
      ]);
  }
  return rows;
}

/** "1. statement (overlaps 3: not additive)". */
function opportunityText(o: EnergyResult['opportunities'][number]): string {
  return `${o.statement}${o.overlaps?.length ? ` (overlaps ${o.overlaps.join(', ')}: part of the same kWh, not to be added)` : ''}`;
}

const DRIVER_WORDS: Record<string, string> = {
  units: 'units produced',
  workday: 'workday (1) or not (0)',
  operatingHours: 'operating hours',
  hdd: 'heating degree days',
  cdd: 'cooling degree days',
};

/** The monthly bill, as both the Markdown and the HTML report show it. */
const COST_HEADER = ['month', 'energy', 'demand', 'fixed', 'reactive', 'total', 'billed peak kW'];
function costRows(cost: NonNullable<EnergyResult['cost']>): string[][] {
  return cost.monthly.map((m) => [
    m.month,
    grouped(m.energy, 0),
    grouped(m.demand, 0),
    grouped(m.fixed, 0),
    grouped(m.reactive, 0),
    grouped(m.total, 0),
    sig(m.billedPeakKw),
  ]);
}

/** The baseline comparison in words and rows, shared by the terminal, Markdown and HTML. */
function baselineParts(r: EnergyResult): { header: string[]; rows: string[][]; lines: string[] } {
  const b = r.baselines!;
  const header = ['period', 'days', 'kWh/day', 'kWh/unit', 'base kW', 'peak kW'];
  const rows = b.periods.map((p) => [
    p.name,
    String(p.days),
    grouped(p.kwhPerDay, 0),
    p.kwhPerUnit !== undefined ? sig(p.kwhPerUnit) : '-',
    sig(p.baseLoadKw),
    sig(p.peakKw),
  ]);
  rows.push([
    'change',
    '',
    signed(b.change.kwhPerDay),
    b.change.kwhPerUnit !== undefined ? signed(b.change.kwhPerUnit) : '-',
    signed(b.change.baseLoadKw),
    signed(b.change.peakKw),
  ]);
  const lines: string[] = [];
  const g = b.regression;
  if (g) {
    const eq = Object.entries(g.coefficients)
      .map(([k, v]) => (k === 'intercept' ? sig(v) : `${sig(v)} x ${k}`))
      .join(' + ')
      .replace(/\+ -/g, '- ');
    const others = g.considered.filter((c) => !c.chosen).map((c) => `${c.driver} (${c.why ?? 'not chosen'})`);
    lines.push(
      `model: daily kWh = ${eq}, fitted on ${g.days} baseline days; drivers chosen by cross-validation${g.drivers.length ? ` (${g.drivers.map((d) => DRIVER_WORDS[d] ?? d).join(', ')})` : ': none helps, the baseline is the mean day'}${others.length ? `; left out: ${others.join(', ')}` : ''}`,
    );
    const v = g.g14;
    const cv = v.crossValidated;
    lines.push(
      `ASHRAE Guideline 14 (${v.granularity} limits CV(RMSE) <= ${pct(v.limits.cvRmse)}, |NMBE| <= ${pct(v.limits.nmbe)}): ${v.passes ? 'MEETS' : 'DOES NOT MEET'}; CV(RMSE) ${pct(cv.cvRmse)} and NMBE ${pct(cv.nmbe)} out of sample (${cv.scheme}, ${cv.folds} folds), in sample CV(RMSE) ${pct(v.cvRmse)}, R² ${v.r2.toFixed(2)}`,
    );
    lines.push(
      `report period: ${grouped(g.actualKwh, 0)} kWh measured against ${grouped(g.predictedKwh, 0)} kWh expected from the baseline model over ${g.reportDays} days: savings ${grouped(g.savingsKwh, 0)} kWh (${pct(g.normalisedSavings)})${g.savingsUncertaintyKwh !== undefined ? `, ±${grouped(g.savingsUncertaintyKwh, 0)} kWh at 90% confidence (G14)` : ''}${v.passes ? '' : '; indicative only'}`,
    );
  }
  return { header, rows, lines };
}

const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%` : '-');

export function energyTerminal(
  r: EnergyResult,
  ctx: ReportContext,
  style: { bold: (s: string) => string; dim: (s: string) => string },
): string {
  const tz = ctx.tz;
  const lines: string[] = [];
  lines.push(
    style.bold(
      `${r.meter.tag} (${r.meter.kind}${r.meter.unit ? `, ${r.meter.unit}` : ''}), ${localTime(r.period.from, tz)} to ${localTime(r.period.to, tz)} ${tz}`,
    ),
  );
  const facts = keyFacts(r, tz);
  const w = Math.max(...facts.map((x) => x[0]!.length));
  for (const f of facts) lines.push(`  ${f[0]!.padEnd(w)}  ${f[1]}`);
  const days = r.totals.days;
  if (days.length > 1) {
    lines.push(
      '',
      `  daily kWh  ${sparkline(
        days.map((d) => d.kwh),
        64,
      )}  ${days[0]!.day}..${days[days.length - 1]!.day}`,
    );
  }
  if (r.totals.months.length > 1) {
    const max = Math.max(...r.totals.months.map((m) => m.kwh));
    lines.push('');
    for (const m of r.totals.months)
      lines.push(
        `  ${m.month}  ${hbar(m.kwh, max, 30).padEnd(30)}  ${kwhText(m.kwh)}${m.peakKw !== undefined ? `, peak ${sig(m.peakKw)} kW` : ''}${m.coverage < 0.99 ? style.dim(` (${pct(m.coverage)} of the month measured)`) : ''}`,
      );
  }
  const prof = r.profile.kw;
  lines.push('', '  load profile (mean kW, hour of day 0..23)');
  const flat = prof.flat().filter((x): x is number => x !== null);
  const range: [number, number] = [Math.min(...flat), Math.max(...flat)];
  r.profile.weekdays.forEach((d, i) =>
    lines.push(
      `  ${d}  ${sparkline(
        prof[i]!.map((x) => x ?? Number.NaN),
        24,
        range,
      )}`,
    ),
  );
  if (r.baselines) {
    const b = baselineParts(r);
    lines.push('', style.bold('baseline comparison'));
    const widths = b.header.map((h, i) => Math.max(h.length, ...b.rows.map((x) => x[i]!.length)));
    const fmtRow = (cells: string[]) => `  ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')}`;
    lines.push(fmtRow(b.header), ...b.rows.map(fmtRow));
    for (const l of b.lines) lines.push(`  ${l}`);
  }
  if (r.opportunities.length) {
    lines.push('', style.bold('opportunities'));
    for (const o of r.opportunities) lines.push(`  ${o.rank}. ${opportunityText(o)}`);
  }
  for (const n of r.notes) lines.push(style.dim(`note: ${n}`));
  return lines.join('\n');
}

export function energyMarkdown(r: EnergyResult, ctx: ReportContext): string {
  const tz = ctx.tz;
  const out: string[] = [];
  out.push(`# Energy: ${ctx.file}`, '', `${ctx.tool}, ${ctx.generated}; meter ${r.meter.tag} (${r.meter.kind}); times in ${tz}.`, '');
  out.push(mdTable(['', ''], keyFacts(r, tz)), '');
  if (r.opportunities.length) {
    out.push('## Opportunities', '');
    for (const o of r.opportunities) out.push(`${o.rank}. ${opportunityText(o)}.`);
    out.push('');
  }
  out.push(
    '## Months',
    '',
    mdTable(
      ['month', 'kWh', 'peak kW', 'PF', 'measured'],
      r.totals.months.map((m) => [
        m.month,
        grouped(m.kwh, 0),
        m.peakKw !== undefined ? sig(m.peakKw) : '-',
        m.pf !== undefined ? m.pf.toFixed(3) : '-',
        pct(m.coverage),
      ]),
      ['l', 'r', 'r', 'r', 'r'],
    ),
    '',
  );
  if (r.totals.days.length)
    out.push(
      '## Days',
      '',
      '```',
      sparkline(
        r.totals.days.map((d) => d.kwh),
        72,
      ),
      `${r.totals.days[0]!.day} .. ${r.totals.days[r.totals.days.length - 1]!.day}, ${grouped(Math.min(...r.totals.days.map((d) => d.kwh)), 0)} to ${grouped(Math.max(...r.totals.days.map((d) => d.kwh)), 0)} kWh/day`,
      '```',
      '',
    );
  if (r.totals.shifts)
    out.push(
      '## Shifts',
      '',
      mdTable(
        ['shift', 'kWh', 'share'],
        r.totals.shifts.map((s) => [s.name, grouped(s.kwh, 0), pct(s.share)]),
        ['l', 'r', 'r'],
      ),
      '',
    );
  out.push(
    '## Peak demand',
    '',
    mdTable(
      ['kW', 'interval start'],
      r.demand.top.map((p) => [sig(p.kw), localTime(p.at, tz)]),
      ['r', 'l'],
    ),
    '',
  );
  out.push(
    '## Base load',
    '',
    mdTable(
      ['estimator', 'kW', 'how'],
      r.baseLoad.estimators.map((e) => [e.name, sig(e.kw), e.description]),
      ['l', 'r', 'l'],
    ),
    '',
  );
  out.push(
    '## Load profile (mean kW)',
    '',
    mdTable(
      ['', ...Array.from({ length: 24 }, (_, h) => String(h))],
      r.profile.weekdays.map((d, i) => [d, ...r.profile.kw[i]!.map((x) => (x === null ? '' : sig(x, 2)))]),
    ),
    '',
  );
  if (r.cost) out.push('## Cost', '', mdTable(COST_HEADER, costRows(r.cost), ['l', 'r', 'r', 'r', 'r', 'r', 'r']), '');
  if (r.subMeters?.length)
    out.push(
      '## Sub-meters',
      '',
      mdTable(
        ['meter', 'kWh', 'share', 'kW while idle'],
        r.subMeters.map((s) => [s.tag, grouped(s.kwh, 0), pct(s.share), s.idleMeanKw !== undefined ? sig(s.idleMeanKw) : '-']),
        ['l', 'r', 'r', 'r'],
      ),
      '',
    );
  if (r.baselines) out.push(...baselineMd(r), '');
  if (r.notes.length) out.push('## Notes on the data', '', ...r.notes.map((n) => `- ${n}`), '');
  return out.join('\n');
}

function baselineMd(r: EnergyResult): string[] {
  const b = baselineParts(r);
  const cap = (x: string) => x.charAt(0).toUpperCase() + x.slice(1);
  return [
    '## Baseline comparison',
    '',
    mdTable(b.header, b.rows, ['l', 'r', 'r', 'r', 'r', 'r']),
    '',
    ...b.lines.flatMap((l) => [`${cap(l)}.`, '']),
  ];
}

export function energyHtml(r: EnergyResult, ctx: ReportContext): string {
  const tz = ctx.tz;
  const tzOffset = (ms: number) => offsetMinutes(ms, tz) * 60_000;
  const p: string[] = [];
  p.push(htmlTable(['', ''], keyFacts(r, tz)));
  if (r.opportunities.length)
    p.push(`<h2>Opportunities</h2><ol>${r.opportunities.map((o) => `<li class="opp">${esc(opportunityText(o))}.</li>`).join('')}</ol>`);
  const days = r.totals.days;
  p.push('<h2>Daily energy</h2>');
  p.push(
    barChart({
      title: 'daily energy (kWh)',
      yLabel: 'kWh',
      labels: days.map((d) => d.day),
      values: days.map((d) => d.kwh),
      highlight: days.map((d) => d.coverage < 0.9),
    }),
  );
  p.push('<p class="meta">Lighter bars: days with less than 90% of their time measured.</p>');
  p.push('<h2>Load profile</h2>');
  p.push(
    heatMap({
      title: 'mean power by weekday and hour (kW)',
      rows: r.profile.weekdays,
      cols: Array.from({ length: 24 }, (_, h) => String(h)),
      values: r.profile.kw,
      unit: 'kW',
    }),
  );
  p.push(`<h2>Demand (${r.demand.intervalMinutes}-minute, ${r.demand.method})</h2>`);
  const s = r.demand.series;
  // Long series are thinned to the max of each group of intervals: peaks must survive the thinning.
  const k = Math.max(1, Math.ceil(s.kw.length / 1500));
  const tt: number[] = [];
  const vv: number[] = [];
  for (let i = 0; i < s.kw.length; i += k) {
    let m = -Infinity;
    let at = s.t[i]!;
    for (let j = i; j < Math.min(s.kw.length, i + k); j++) if (s.kw[j]! > m) (m = s.kw[j]!), (at = s.t[j]!);
    tt.push(at);
    vv.push(m);
  }
  p.push(
    timeChart({
      title: 'demand intervals with the highest peaks marked',
      yLabel: 'kW',
      series: [{ name: 'demand', t: tt, v: vv }],
      hlines: [{ y: r.baseLoad.primaryKw, label: `base load ${sig(r.baseLoad.primaryKw)} kW`, cls: 'baseline' }],
      markers: r.demand.top.map((x) => ({ t: x.at, v: x.kw, label: `${sig(x.kw)} kW at ${localTime(x.at, tz)}` })),
      tzOffset,
    }),
  );
  p.push(
    htmlTable(
      ['peak kW', 'interval start'],
      r.demand.top.map((x) => [sig(x.kw), localTime(x.at, tz)]),
      [true, false],
    ),
  );
  p.push(
    '<h2>Months</h2>',
    htmlTable(
      ['month', 'kWh', 'peak kW', 'PF', 'measured'],
      r.totals.months.map((m) => [
        m.month,
        grouped(m.kwh, 0),
        m.peakKw !== undefined ? sig(m.peakKw) : '-',
        m.pf !== undefined ? m.pf.toFixed(3) : '-',
        pct(m.coverage),
      ]),
      [false, true, true, true, true],
    ),
  );
  p.push(
    '<h2>Base load</h2>',
    htmlTable(
      ['estimator', 'kW', 'how'],
      r.baseLoad.estimators.map((e) => [e.name, sig(e.kw), e.description]),
      [false, true, false],
    ),
  );
  if (r.totals.shifts)
    p.push(
      '<h2>Shifts</h2>',
      htmlTable(
        ['shift', 'kWh', 'share'],
        r.totals.shifts.map((x) => [x.name, grouped(x.kwh, 0), pct(x.share)]),
        [false, true, true],
      ),
    );
  if (r.cost) p.push('<h2>Cost</h2>', htmlTable(COST_HEADER, costRows(r.cost), [false, true, true, true, true, true, true]));
  if (r.subMeters?.length)
    p.push(
      '<h2>Sub-meters</h2>',
      htmlTable(
        ['meter', 'kWh', 'share', 'kW while idle'],
        r.subMeters.map((x) => [x.tag, grouped(x.kwh, 0), pct(x.share), x.idleMeanKw !== undefined ? sig(x.idleMeanKw) : '-']),
        [false, true, true, true],
      ),
    );
  if (r.baselines) {
    const b = baselineParts(r);
    p.push('<h2>Baseline comparison</h2>', htmlTable(b.header, b.rows, [false, true, true, true, true, true]));
    for (const line of b.lines) p.push(`<p>${esc(line.charAt(0).toUpperCase() + line.slice(1))}.</p>`);
  }
  if (r.notes.length) p.push('<h2>Notes on the data</h2>', htmlList(r.notes));
  return htmlPage(`Energy: ${ctx.file}`, `${ctx.tool}, ${ctx.generated}; meter ${r.meter.tag}; times in ${tz}`, p.join('\n'));
}
