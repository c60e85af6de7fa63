/** The self-contained HTML page of a report: inline CSS, inline SVG, no scripts, no network. */

import { esc } from './svg.js';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:820px;color:#1d232a;padding:0 12px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ccd;padding-bottom:4px} h3{font-size:15px;margin:18px 0 6px}
.meta{color:#5b6570;font-size:12px} .statement{background:#f3f6fa;border-left:4px solid #2f6db5;padding:8px 12px;margin:8px 0}
.statement.degrading{border-color:#c77800} .statement.above-threshold{border-color:#b3261e} .statement.healthy{border-color:#2e7d32}
table{border-collapse:collapse;margin:8px 0;font-size:13px} th,td{border-bottom:1px solid #e1e5ea;padding:3px 10px 3px 0;text-align:left;vertical-align:top} td.n,th.n{text-align:right}
.chart{width:100%;height:auto;margin:6px 0;background:#fff} .grid{stroke:#e6e9ee;stroke-width:1} .tick{font-size:10px;fill:#5b6570} .axis{font-size:11px;fill:#333}
.line{stroke:#2f6db5;stroke-width:1.5} .line2{stroke:#8a5cb8;stroke-width:1.2} .forecast{stroke:#c77800;stroke-width:1.5;stroke-dasharray:5 3}
.band{fill:#f4c36a;fill-opacity:.35;stroke:none} .threshold{stroke:#b3261e;stroke-width:1.2;stroke-dasharray:6 3} .baseline{stroke:#2e7d32;stroke-width:1;stroke-dasharray:2 3}
.event{stroke:#444;stroke-width:1;stroke-dasharray:3 3} .label{font-size:10px;font-family:sans-serif;fill:#333} .marker{fill:#b3261e}
.leader{stroke:#888;stroke-width:.8;fill:none} .median{stroke:#b3261e;stroke-width:1.4} .rul-band{fill:#b3261e;fill-opacity:.12;stroke:none}
.zone{stroke:none} .zone-a{fill:#e3f1e4} .zone-b{fill:#f1f6e0} .zone-c{fill:#fbf0d9} .zone-d{fill:#f8dcda}
.bar{fill:#2f6db5} .bar.alt{fill:#9bb8de} ul.notes li{color:#5b6570;font-size:12px} .opp{margin:6px 0}
@media print{body{margin:0;max-width:none} h2{break-after:avoid} .chart{break-inside:avoid}}
`;

export function htmlPage(title: string, subtitle: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><div class="meta">${esc(subtitle)}</div>
${body}
</body></html>
`;
}

export function htmlTable(header: string[], rows: string[][], numeric: boolean[] = []): string {
  const th = header.map((h, i) => `<th${numeric[i] ? ' class="n"' : ''}>${esc(h)}</th>`).join('');
  const trs = rows.map((r) => `<tr>${r.map((c, i) => `<td${numeric[i] ? ' class="n"' : ''}>${esc(c)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${th}</tr></thead><tbody>${trs}</tbody></table>`;
}

export function htmlList(items: string[], cls = 'notes'): string {
  return items.length ? `<ul class="${cls}">${items.map((i) => `<li>${esc(i)}</li>`).join('')}</ul>` : '';
}
