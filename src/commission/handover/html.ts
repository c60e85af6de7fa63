import { xmlEscape as esc } from '../../checks/security/junit.js';
import type { Item, ItemGroup } from '../items.js';
import type { CommissionReport } from './report.js';

/**
 * report.html: the page the plant owner signs. Self-contained (inline CSS, no script, no network),
 * printable on A4 (headless Chromium renders it to PDF in the tests): the verdict and the counts
 * first, what blocks it, the waivers, then the overview (devices as found, signals at a glance,
 * the loop checks), every item with its evidence, the evidence files, the fingerprint of the
 * signing certificate and the sign-off.
 */

const CSS = `
*{box-sizing:border-box} body{font:13px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px auto;max-width:900px;color:#1d232a;padding:0 12px}
h1{font-size:21px;margin:0 0 2px} h2{font-size:16px;margin:26px 0 8px;border-bottom:1px solid #ccd;padding-bottom:3px} .meta{color:#5b6570;font-size:12px}
.verdict{margin:14px 0;padding:12px 16px;border-radius:4px;font-size:18px;font-weight:600;border:2px solid}
.verdict.ok{background:#eaf5ec;border-color:#2e7d32;color:#1b5e20} .verdict.no{background:#fdecea;border-color:#b3261e;color:#8c1d18}
.counts span{display:inline-block;margin-right:18px} table{border-collapse:collapse;width:100%;margin:6px 0;font-size:12px}
th,td{border-bottom:1px solid #e1e5ea;padding:3px 8px 3px 0;text-align:left;vertical-align:top} td.n,th.n{text-align:right}
.pass{color:#2e7d32;font-weight:600} .fail{color:#b3261e;font-weight:600} .waived{color:#8a6d00;font-weight:600} .opt{color:#5b6570;font-weight:400}
.small{color:#5b6570;font-size:11px} .mono{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:11px;word-break:break-all}
.sign{display:flex;gap:40px;margin-top:36px} .sign div{flex:1;border-top:1px solid #333;padding-top:4px;font-size:12px}
.seal{margin-top:22px;font-size:12px} .closing{break-inside:avoid}
@page{size:A4;margin:14mm 12mm}
@media print{body{margin:0;max-width:none;padding:0} h2{break-after:avoid} tr{break-inside:avoid} .verdict{break-inside:avoid} thead{display:table-header-group}}
`;

const GROUP_TITLES: Record<ItemGroup, string> = {
  device: 'Devices',
  identity: 'Identity',
  security: 'Security',
  latency: 'Latency',
  signal: 'Signals (I/O list)',
  'loop-check': 'Loop checks',
};

const STATUS_TEXT = { pass: 'PASS', fail: 'FAIL', waived: 'WAIVED' } as const;

function status(it: Item): string {
  return `<span class="${it.status}">${STATUS_TEXT[it.status]}</span>${it.status === 'fail' && !it.mustPass ? ' <span class="opt">(optional)</span>' : ''}`;
}

function itemRows(items: readonly Item[]): string {
  return items
    .map(
      (it) =>
        `<tr><td>${status(it)}</td><td>${esc(it.title)}<div class="small mono">${esc(it.id)}</div>${it.waiver ? `<div class="small">waived by ${esc(it.waiver.by)}${it.waiver.date ? ` on ${esc(it.waiver.date)}` : ''}: ${esc(it.waiver.reason)}</div>` : ''}</td><td>${esc(it.expected ?? '')}</td><td>${esc(it.observed ?? '')}${it.evidence ? `<div class="small">evidence: ${esc(it.evidence)}</div>` : ''}</td></tr>`,
    )
    .join('');
}

const fmt = (v: unknown) =>
  typeof v === 'number'
    ? Number.isInteger(v)
      ? String(v)
      : Number(v.toPrecision(5)).toString()
    : v === undefined
      ? ''
      : typeof v === 'object'
        ? JSON.stringify(v)
        : String(v);

const itemList = (items: readonly Item[]) =>
  `<ul>${items.map((i) => `<li>${esc(i.title)} <span class="small mono">${esc(i.id)}</span> — ${esc(i.observed ?? '')}</li>`).join('')}</ul>`;

/** One signal's checks in a word: what failed or was waived, by check name. */
function signalResult(items: readonly Item[]): string {
  const check = (i: Item) => i.id.slice(i.id.lastIndexOf('/') + 1);
  const failed = items.filter((i) => i.status === 'fail');
  const waived = items.filter((i) => i.status === 'waived');
  if (failed.length)
    return `<span class="fail">FAIL</span> ${esc(failed.map(check).join(', '))}${failed.every((i) => !i.mustPass) ? ' <span class="opt">(optional)</span>' : ''}`;
  if (waived.length) return `<span class="waived">WAIVED</span> ${esc(waived.map(check).join(', '))}`;
  return items.length ? '<span class="pass">PASS</span>' : '';
}

export function toHtml(r: CommissionReport, evidence: ReadonlyArray<{ file: string; sha256: string; bytes: number }>): string {
  const groups = [...new Set(r.items.map((i) => i.group))];
  const blocking = r.items.filter((i) => i.status === 'fail' && i.mustPass);
  const optional = r.items.filter((i) => i.status === 'fail' && !i.mustPass);
  const summary = `
<div class="verdict ${r.accepted ? 'ok' : 'no'}">${r.accepted ? 'ACCEPTED' : 'NOT ACCEPTED'}: ${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.waived} waived of ${r.counts.total} items</div>
${blocking.length ? `<p><b>Items that block acceptance:</b></p>${itemList(blocking)}` : ''}
${optional.length ? `<p><b>Failed optional items</b> (reported, not blocking):</p>${itemList(optional)}` : ''}
${r.counts.waived ? `<p>${r.counts.waived} failed item${r.counts.waived === 1 ? ' was' : 's were'} waived: each is listed under Waivers with who accepted it and why.</p>` : ''}
${r.notes.length ? `<p class="small">${r.notes.map(esc).join('<br>')}</p>` : ''}`;
  const sections = groups
    .map(
      (g) =>
        `<h2>${GROUP_TITLES[g]}: every item</h2><table><thead><tr><th>result</th><th>item</th><th>expected</th><th>observed</th></tr></thead><tbody>${itemRows(r.items.filter((i) => i.group === g))}</tbody></table>`,
    )
    .join('\n');
  const signalItems = (tag: string) => r.items.filter((i) => i.group === 'signal' && i.subject === tag);
  const silence = (s: CommissionReport['signals'][number]) =>
    s.samples === 0 ? '' : `${(s.longestSilenceMs / 1000).toFixed(1)} s${s.byException ? ' <span class="opt">(on change)</span>' : ''}`;
  const signals = r.signals.length
    ? `<h2>Signals at a glance</h2><table><thead><tr><th>tag</th><th>device</th><th>result</th><th class="n">samples</th><th class="n">min</th><th class="n">max</th><th class="n">last</th><th>unit</th><th class="n">longest silence</th></tr></thead><tbody>${r.signals
        .map(
          (s) =>
            `<tr><td>${esc(s.tag)}</td><td>${esc(s.device)}</td><td>${signalResult(signalItems(s.tag))}</td><td class="n">${s.samples}</td><td class="n">${fmt(s.min)}</td><td class="n">${fmt(s.max)}</td><td class="n">${esc(fmt(s.last))}</td><td>${esc(s.unit ?? '')}</td><td class="n">${silence(s)}</td></tr>`,
        )
        .join(
          '',
        )}</tbody></table><p class="small">${r.window ? `Recording window ${esc(r.window.from)} to ${esc(r.window.to)} (${(r.window.ms / 1000).toFixed(0)} s), capture in evidence/capture.jsonl.gz. ` : ''}"On change": OPC UA and Sparkplug report a value when it changes, so a long silence there is a steady value, current while the connection held.</p>`
    : '';
  const devices = `<h2>Devices as found</h2><table><thead><tr><th>device</th><th>URL</th><th>found as</th><th>certificate (SHA-256, valid until)</th></tr></thead><tbody>${r.devices
    .map(
      (d) =>
        `<tr><td>${esc(d.id)}</td><td class="mono">${esc(d.url)}</td><td>${d.found ? esc(d.name ?? '') : '<span class="fail">not found</span>'}</td><td class="mono">${d.certificate ? `${esc(d.certificate.sha256)}<br>${esc(d.certificate.notAfter)}` : ''}</td></tr>`,
    )
    .join('')}</tbody></table>`;
  const loops = r.loopChecks.length
    ? `<h2>Loop check log</h2><table><thead><tr><th>tag</th><th>action at the field device</th><th>result</th><th>seen at</th><th>from → to</th></tr></thead><tbody>${r.loopChecks
        .map(
          (l) =>
            `<tr><td>${esc(l.tag)}</td><td>${esc(l.action)}</td><td>${esc(l.result)}</td><td>${esc(l.at ?? '')}</td><td>${l.result === 'confirmed' ? `${esc(fmt(l.before))} → ${esc(fmt(l.after))}` : ''}</td></tr>`,
        )
        .join('')}</tbody></table>`
    : '';
  const waivers = r.items.filter((i) => i.status === 'waived');
  const waiverSection =
    waivers.length || r.unusedWaivers.length
      ? `<h2>Waivers</h2>${waivers.length ? `<table><thead><tr><th>item</th><th>accepted by</th><th>reason</th></tr></thead><tbody>${waivers.map((i) => `<tr><td class="mono">${esc(i.id)}</td><td>${esc(i.waiver!.by)}${i.waiver!.date ? `, ${esc(i.waiver!.date)}` : ''}</td><td>${esc(i.waiver!.reason)}</td></tr>`).join('')}</tbody></table>` : ''}${r.unusedWaivers.length ? `<p class="small">Waivers in the plan that matched no item of this run (misspelt, or for something not judged): ${r.unusedWaivers.map((w) => esc(w.item)).join(', ')}</p>` : ''}`
      : '';
  const evidenceSection = `<h2>Evidence</h2><p class="small">Every file of the handover is listed with its SHA-256 in manifest.json, which is signed with the key of the iiot installation that ran the test (its certificate is named below).</p><table><thead><tr><th>file</th><th class="n">bytes</th><th>SHA-256</th></tr></thead><tbody>${evidence.map((e) => `<tr><td class="mono">${esc(e.file)}</td><td class="n">${e.bytes}</td><td class="mono">${esc(e.sha256)}</td></tr>`).join('')}</tbody></table>`;
  // The fingerprint on the page the owner signs is what ties the files to this test later: anyone
  // can sign a changed copy with a key of their own, no one else's with this one.
  const seal = `<p class="seal">The handover files (report.json, the evidence, this page) are sealed by manifest.json, signed by the iiot certificate <span class="mono">${esc(r.signer.subject)}</span>, SHA-256 fingerprint<br><span class="mono">${esc(r.signer.certificateSha256)}</span>.<br>To check later that nothing was changed: <span class="mono">iiot commission verify &lt;handover folder&gt; --signer ${esc(r.signer.certificateSha256)}</span></p>`;
  const sign = `<div class="closing">${seal}<div class="sign"><div>Commissioning engineer${r.job.engineer ? `: ${esc(r.job.engineer)}` : ''}<br>date, signature</div><div>Plant owner${r.site.owner ? `: ${esc(r.site.owner)}` : ''}<br>date, signature</div></div></div>`;
  const title = `Site acceptance test: ${r.site.name}`;
  const subtitle = [
    `job ${r.job.id}`,
    r.site.location,
    r.site.owner ? `for ${r.site.owner}` : undefined,
    r.job.integrator ? `integrator ${r.job.integrator}` : undefined,
    r.job.engineer ? `engineer ${r.job.engineer}` : undefined,
    `run ${r.startedAt} to ${r.finishedAt}`,
    r.tool,
  ]
    .filter(Boolean)
    .join(' · ');
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>${esc(title)}</title><style>${CSS}</style></head>
<body><h1>${esc(title)}</h1><div class="meta">${esc(subtitle)}</div>
${r.job.description ? `<p>${esc(r.job.description)}</p>` : ''}
${summary}
${waiverSection}
${devices}
${signals}
${loops}
${sections}
${evidenceSection}
${sign}
</body></html>
`;
}
