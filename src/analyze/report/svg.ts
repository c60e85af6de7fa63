/**
 * Inline SVG charts for the HTML report: no scripts, no external files, readable offline and in
 * print. Each function returns one <svg> element with a <title> (screen readers, tooltips) and
 * class names the report's stylesheet colours.
 */

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface Frame {
  w: number;
  h: number;
  left: number;
  right: number;
  top: number;
  bottom: number;
}

const F: Frame = { w: 860, h: 260, left: 64, right: 16, top: 18, bottom: 36 };

function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((k) => k * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function fmt(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 1e6) return `${(v / 1e6).toPrecision(3)}M`;
  if (a >= 1e4) return `${(v / 1e3).toPrecision(3)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return Number(v.toPrecision(3)).toString();
  return Number(v.toPrecision(2)).toString();
}

function dateTick(ms: number, spanMs: number, tzOffsetMs: (ms: number) => number): string {
  const d = new Date(ms + tzOffsetMs(ms));
  const pad = (n: number) => String(n).padStart(2, '0');
  if (spanMs <= 3 * 86_400_000)
    return `${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export interface TimeChart {
  title: string;
  yLabel: string;
  series: { name: string; t: number[]; v: number[]; cls?: string }[];
  band?: { t: number[]; lo: number[]; hi: number[]; cls?: string; label?: string };
  forecast?: { t: number[]; v: number[] };
  /** horizontal lines (threshold, baseline); labelled in the right margin */
  hlines?: { y: number; label: string; cls?: string }[];
  /** vertical lines (onset, the expected crossing); labelled in the top margin */
  vlines?: { t: number; label: string; cls?: string }[];
  /** horizontal bands (ISO zones): from..to in y, labelled in the right margin when tall enough */
  zones?: { from: number; to: number; label: string; cls: string }[];
  /** vertical bands (an interval of time, such as the remaining life's); labelled in the top margin */
  spans?: { from: number; to: number; label: string; cls?: string; openEnd?: boolean }[];
  markers?: { t: number; v: number; label: string }[];
  /** ms -> ms offset of the display zone */
  tzOffset?: (ms: number) => number;
  height?: number;
  /** the x axis ends here at the latest (a far-away interval end does not squash the data) */
  maxT?: number;
}

/** Rough width of a label in the chart's 10 px sans-serif, generous so that boxes never touch. */
function textWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += /[mwMW%@]/.test(ch) ? 9 : /[A-Z0-9]/.test(ch) ? 6.6 : /[il.,:;|' ]/.test(ch) ? 3.2 : 5.8;
  return w + 2;
}

interface Box {
  x: number;
  y: number;
  w: number;
  h: number;
}
const overlaps = (a: Box, b: Box) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

const LABEL_H = 13;

/**
 * A time series chart with optional band, threshold lines, event lines, zone bands, time spans and
 * markers. Labels sit in the margins, outside the plot area, so that they never cover the data or
 * a line: event and span labels in rows above the plot (a label that would touch another moves to
 * the next row), threshold and zone labels right of it (pushed apart vertically, with a short
 * leader to their line).
 */
export function timeChart(c: TimeChart): string {
  const allT = [
    ...c.series.flatMap((s) => s.t),
    ...(c.band?.t ?? []),
    ...(c.forecast?.t ?? []),
    ...(c.vlines ?? []).map((v) => v.t),
    ...(c.spans ?? []).flatMap((s) => [s.from, s.to]),
  ]
    .filter(Number.isFinite)
    .filter((t) => c.maxT === undefined || t <= c.maxT);
  const allV = [
    ...c.series.flatMap((s) => s.v),
    ...(c.band ? [...c.band.lo, ...c.band.hi] : []),
    ...(c.forecast?.v ?? []),
    ...(c.hlines ?? []).map((h) => h.y),
    ...(c.markers ?? []).map((m) => m.v),
  ].filter(Number.isFinite);
  const W = F.w;
  if (allT.length === 0 || allV.length === 0)
    return `<svg class="chart" viewBox="0 0 ${W} 40" role="img"><title>${esc(c.title)}: no data</title><text x="8" y="24">${esc(c.title)}: no data</text></svg>`;
  let t0 = Math.min(...allT);
  let t1 = Math.max(...allT);
  if (c.maxT !== undefined && c.spans?.some((s) => s.to > c.maxT!)) t1 = Math.max(t1, c.maxT);
  if (t1 === t0) t1 = t0 + 1;
  // room after the last event line or interval, so that it does not sit on the frame
  const lastEvent = Math.max(-Infinity, ...(c.vlines ?? []).map((v) => v.t), ...(c.spans ?? []).map((s) => s.to));
  if (lastEvent >= t1 - (t1 - t0) * 0.01) t1 += (t1 - t0) * 0.04;
  let v0 = Math.min(0, ...allV);
  let v1 = Math.max(...allV);
  if (v0 > 0 && v0 < 0.3 * v1) v0 = 0;
  if (v1 === v0) v1 = v0 + 1;
  const pad = (v1 - v0) * 0.05;
  v1 += pad;
  if (v0 !== 0) v0 -= pad;

  // margins: the right one as wide as its labels, the top one as tall as its rows of labels
  const rightLabels = [...(c.hlines ?? []).map((h) => h.label), ...(c.zones ?? []).map((z) => z.label)];
  const right = rightLabels.length ? Math.min(260, 14 + Math.max(...rightLabels.map(textWidth))) : F.right;
  const left = F.left;
  const plotW = W - left - right;
  const X = (t: number) => left + ((Math.min(t, t1) - t0) / (t1 - t0)) * plotW;
  // top labels: packed into rows before the frame is fixed
  const topItems: { x: number; text: string }[] = [
    ...(c.vlines ?? []).filter((v) => v.t >= t0 && v.t <= t1).map((v) => ({ x: X(v.t), text: v.label })),
    ...(c.spans ?? []).map((s) => ({ x: (X(Math.max(s.from, t0)) + X(Math.min(s.to, t1))) / 2, text: s.label })),
  ];
  const rows: Box[][] = [];
  const placedTop: { box: Box; text: string; anchorX: number; row: number }[] = [];
  for (const item of topItems.sort((a, b) => a.x - b.x)) {
    const w = textWidth(item.text);
    // left-aligned just right of its line, or right-aligned left of it near the right edge
    let x = item.x + 3;
    if (x + w > W - 2) x = item.x - 3 - w;
    if (x < 2) x = 2;
    let row = 0;
    for (; ; row++) {
      rows[row] ??= [];
      const box = { x: x - 1, y: row * LABEL_H, w: w + 2, h: LABEL_H };
      if (!rows[row]!.some((b) => overlaps(b, box))) {
        rows[row]!.push(box);
        placedTop.push({ box, text: item.text, anchorX: x, row });
        break;
      }
    }
  }
  const top = 8 + rows.length * LABEL_H;
  const fr = { w: W, h: (c.height ?? F.h) + top - F.top, left, right, top, bottom: F.bottom };
  const plotBottom = fr.h - fr.bottom;
  const Y = (v: number) => fr.top + (1 - (Math.max(v0, Math.min(v1, v)) - v0) / (v1 - v0)) * (plotBottom - fr.top);
  const off = c.tzOffset ?? (() => 0);
  const parts: string[] = [];
  parts.push(
    `<svg class="chart" viewBox="0 0 ${fr.w} ${fr.h}" role="img" xmlns="http://www.w3.org/2000/svg"><title>${esc(c.title)}</title>`,
  );
  // zone bands under everything
  for (const z of c.zones ?? []) {
    if (z.to <= v0 || z.from >= v1) continue;
    const ya = Y(Math.min(z.to, v1));
    const yb = Y(Math.max(z.from, v0));
    parts.push(
      `<rect class="zone ${z.cls}" x="${left}" y="${ya.toFixed(1)}" width="${plotW.toFixed(1)}" height="${Math.max(0, yb - ya).toFixed(1)}"><title>${esc(z.label)}</title></rect>`,
    );
  }
  for (const sp of c.spans ?? []) {
    const xa = X(Math.max(sp.from, t0));
    const xb = X(Math.min(sp.to, t1));
    parts.push(
      `<rect class="${sp.cls ?? 'span'}" x="${xa.toFixed(1)}" y="${fr.top}" width="${Math.max(1, xb - xa).toFixed(1)}" height="${(plotBottom - fr.top).toFixed(1)}"><title>${esc(sp.label)}</title></rect>`,
    );
  }
  for (const v of niceTicks(v0, v1)) {
    parts.push(
      `<line class="grid" x1="${left}" x2="${left + plotW}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}"/><text class="tick" x="${left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    );
  }
  const nx = 5;
  for (let k = 0; k <= nx; k++) {
    const t = t0 + ((t1 - t0) * k) / nx;
    parts.push(
      `<text class="tick" x="${X(t).toFixed(1)}" y="${fr.h - 12}" text-anchor="${k === 0 ? 'start' : k === nx ? 'end' : 'middle'}">${esc(dateTick(t, t1 - t0, off))}</text>`,
    );
  }
  parts.push(
    `<text class="axis" x="14" y="${fr.top + 4}" transform="rotate(-90 14 ${fr.top + 4})" text-anchor="end">${esc(c.yLabel)}</text>`,
  );
  if (c.band && c.band.t.length > 1) {
    const up = c.band.t.map((t, i) => `${X(t).toFixed(1)},${Y(c.band!.hi[i]!).toFixed(1)}`);
    const dn = c.band.t.map((t, i) => `${X(t).toFixed(1)},${Y(c.band!.lo[i]!).toFixed(1)}`).reverse();
    parts.push(
      `<polygon class="${c.band.cls ?? 'band'}" points="${[...up, ...dn].join(' ')}"><title>${esc(c.band.label ?? 'interval')}</title></polygon>`,
    );
  }
  for (const s of c.series) {
    const pts = s.t
      .map((t, i) => (Number.isFinite(s.v[i]!) && t <= t1 ? `${X(t).toFixed(1)},${Y(s.v[i]!).toFixed(1)}` : ''))
      .filter(Boolean);
    if (pts.length)
      parts.push(`<polyline class="${s.cls ?? 'line'}" fill="none" points="${pts.join(' ')}"><title>${esc(s.name)}</title></polyline>`);
  }
  if (c.forecast && c.forecast.t.length > 1) {
    parts.push(
      `<polyline class="forecast" fill="none" points="${c.forecast.t.map((t, i) => `${X(t).toFixed(1)},${Y(c.forecast!.v[i]!).toFixed(1)}`).join(' ')}"><title>forecast</title></polyline>`,
    );
  }
  for (const v of c.vlines ?? []) {
    if (v.t < t0 || v.t > t1) continue;
    parts.push(
      `<line class="${v.cls ?? 'event'}" x1="${X(v.t).toFixed(1)}" x2="${X(v.t).toFixed(1)}" y1="${fr.top}" y2="${plotBottom}"><title>${esc(v.label)}</title></line>`,
    );
  }
  for (const p of placedTop)
    parts.push(`<text class="label" x="${p.anchorX.toFixed(1)}" y="${(p.row * LABEL_H + 11).toFixed(1)}">${esc(p.text)}</text>`);
  // right margin: lines, then labels pushed apart (top to bottom), each with a short leader
  const rightItems: { y: number; text: string }[] = [];
  for (const h of c.hlines ?? []) {
    parts.push(
      `<line class="${h.cls ?? 'threshold'}" x1="${left}" x2="${left + plotW}" y1="${Y(h.y).toFixed(1)}" y2="${Y(h.y).toFixed(1)}"><title>${esc(h.label)}</title></line>`,
    );
    rightItems.push({ y: Y(h.y), text: h.label });
  }
  for (const z of c.zones ?? []) {
    if (z.to <= v0 || z.from >= v1) continue;
    const ya = Y(Math.min(z.to, v1));
    const yb = Y(Math.max(z.from, v0));
    if (yb - ya >= LABEL_H) rightItems.push({ y: (ya + yb) / 2, text: z.label });
  }
  rightItems.sort((a, b) => a.y - b.y);
  const ys: number[] = [];
  for (const it of rightItems) ys.push(Math.max(it.y, (ys[ys.length - 1] ?? -Infinity) + LABEL_H));
  // pushed past the bottom: shift the stack up
  const overflow = (ys[ys.length - 1] ?? 0) - (plotBottom - LABEL_H / 2);
  if (overflow > 0)
    for (let i = ys.length - 1; i >= 0; i--)
      ys[i] = Math.min(ys[i]!, i === ys.length - 1 ? plotBottom - LABEL_H / 2 : ys[i + 1]! - LABEL_H);
  rightItems.forEach((it, i) => {
    const y = ys[i]!;
    const x = left + plotW;
    parts.push(
      `<path class="leader" d="M${x.toFixed(1)} ${it.y.toFixed(1)} L${(x + 6).toFixed(1)} ${y.toFixed(1)}"/><text class="label" x="${(x + 9).toFixed(1)}" y="${(y + 3.5).toFixed(1)}">${esc(it.text)}</text>`,
    );
  });
  for (const m of c.markers ?? []) {
    if (m.t > t1) continue;
    parts.push(`<circle class="marker" cx="${X(m.t).toFixed(1)}" cy="${Y(m.v).toFixed(1)}" r="4"><title>${esc(m.label)}</title></circle>`);
  }
  parts.push('</svg>');
  return parts.join('');
}

/** Vertical bars with a label per bar (daily energy). */
export function barChart(c: { title: string; yLabel: string; labels: string[]; values: number[]; highlight?: boolean[] }): string {
  const fr = F;
  const n = c.values.length;
  if (n === 0) return `<svg class="chart" viewBox="0 0 ${fr.w} 40" role="img"><title>${esc(c.title)}: no data</title></svg>`;
  const vmax = Math.max(...c.values.filter(Number.isFinite), 1e-9) * 1.05;
  const bw = (fr.w - fr.left - fr.right) / n;
  const Y = (v: number) => fr.top + (1 - v / vmax) * (fr.h - fr.top - fr.bottom);
  const parts = [
    `<svg class="chart" viewBox="0 0 ${fr.w} ${fr.h}" role="img" xmlns="http://www.w3.org/2000/svg"><title>${esc(c.title)}</title>`,
  ];
  for (const v of niceTicks(0, vmax))
    parts.push(
      `<line class="grid" x1="${fr.left}" x2="${fr.w - fr.right}" y1="${Y(v).toFixed(1)}" y2="${Y(v).toFixed(1)}"/><text class="tick" x="${fr.left - 6}" y="${(Y(v) + 4).toFixed(1)}" text-anchor="end">${fmt(v)}</text>`,
    );
  const every = Math.max(1, Math.ceil(n / 12));
  for (let i = 0; i < n; i++) {
    const x = fr.left + i * bw;
    const v = Number.isFinite(c.values[i]!) ? c.values[i]! : 0;
    parts.push(
      `<rect class="${c.highlight?.[i] ? 'bar alt' : 'bar'}" x="${(x + bw * 0.1).toFixed(1)}" y="${Y(v).toFixed(1)}" width="${Math.max(0.5, bw * 0.8).toFixed(1)}" height="${(fr.h - fr.bottom - Y(v)).toFixed(1)}"><title>${esc(`${c.labels[i]}: ${fmt(v)} ${c.yLabel}`)}</title></rect>`,
    );
    if (i % every === 0)
      parts.push(
        `<text class="tick" x="${(x + bw / 2).toFixed(1)}" y="${fr.h - 12}" text-anchor="middle">${esc(c.labels[i]!.slice(5))}</text>`,
      );
  }
  parts.push(
    `<text class="axis" x="14" y="${fr.top + 4}" transform="rotate(-90 14 ${fr.top + 4})" text-anchor="end">${esc(c.yLabel)}</text></svg>`,
  );
  return parts.join('');
}

/** A weekday x hour heat map (load profile). Colour from light to dark by value; empty cells hatched grey. */
export function heatMap(c: { title: string; rows: string[]; cols: string[]; values: (number | null)[][]; unit: string }): string {
  const cell = 26;
  const left = 48;
  const top = 20;
  const w = left + c.cols.length * cell + 90;
  const h = top + c.rows.length * cell + 30;
  const flat = c.values.flat().filter((v): v is number => v !== null && Number.isFinite(v));
  const lo = flat.length ? Math.min(...flat) : 0;
  const hi = flat.length ? Math.max(...flat) : 1;
  const colour = (v: number) => {
    const f = hi > lo ? (v - lo) / (hi - lo) : 0.5;
    // light yellow to dark red, readable in print
    const r = Math.round(255 - 75 * f);
    const g = Math.round(245 - 200 * f);
    const b = Math.round(200 - 170 * f);
    return `rgb(${r},${g},${b})`;
  };
  const parts = [
    `<svg class="chart heat" viewBox="0 0 ${w} ${h}" role="img" xmlns="http://www.w3.org/2000/svg"><title>${esc(c.title)}</title>`,
  ];
  c.cols.forEach((col, j) => {
    if (j % 3 === 0)
      parts.push(`<text class="tick" x="${left + j * cell + cell / 2}" y="${top - 6}" text-anchor="middle">${esc(col)}</text>`);
  });
  c.rows.forEach((row, i) => {
    parts.push(`<text class="tick" x="${left - 6}" y="${top + i * cell + cell / 2 + 4}" text-anchor="end">${esc(row)}</text>`);
    c.cols.forEach((col, j) => {
      const v = c.values[i]?.[j] ?? null;
      const fill = v === null ? '#ddd' : colour(v);
      parts.push(
        `<rect x="${left + j * cell}" y="${top + i * cell}" width="${cell - 1}" height="${cell - 1}" fill="${fill}"><title>${esc(`${row} ${col}:00 ${v === null ? 'no data' : `${fmt(v)} ${c.unit}`}`)}</title></rect>`,
      );
    });
  });
  // legend
  const lx = left + c.cols.length * cell + 14;
  for (let k = 0; k <= 4; k++) {
    const v = lo + ((hi - lo) * k) / 4;
    parts.push(
      `<rect x="${lx}" y="${top + k * 22}" width="16" height="16" fill="${colour(v)}"/><text class="tick" x="${lx + 22}" y="${top + k * 22 + 13}">${fmt(v)} ${esc(c.unit)}</text>`,
    );
  }
  parts.push('</svg>');
  return parts.join('');
}
