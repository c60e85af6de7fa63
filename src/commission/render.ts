import type { IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import type { CommissionReport } from './handover/report.js';
import type { Item } from './items.js';

/** The terminal summary of a run: the verdict first, then what blocks it, then where the handover is. */
export function renderSummary(io: IO, r: CommissionReport, dir: string): string {
  const st = io.style;
  const lines: string[] = [];
  const verdict = r.accepted ? st.green(st.bold('ACCEPTED')) : st.red(st.bold('NOT ACCEPTED'));
  lines.push(
    `${verdict}  ${r.site.name}, job ${r.job.id}: ${r.counts.pass} passed, ${r.counts.fail} failed, ${r.counts.waived} waived of ${r.counts.total} items (${formatDuration(r.durationMs)})`,
  );
  const list = (title: string, items: readonly Item[], mark: string) => {
    if (items.length === 0) return;
    lines.push('', title);
    for (const i of items.slice(0, 30)) lines.push(`  ${mark} ${i.title}${i.observed ? st.dim(` — ${i.observed}`) : ''}`);
    if (items.length > 30) lines.push(`  … and ${items.length - 30} more (report.html)`);
  };
  list(
    'Blocking acceptance:',
    r.items.filter((i) => i.status === 'fail' && i.mustPass),
    st.red('✘'),
  );
  list(
    'Failed, optional (not blocking):',
    r.items.filter((i) => i.status === 'fail' && !i.mustPass),
    st.yellow('✘'),
  );
  const waived = r.items.filter((i) => i.status === 'waived');
  if (waived.length) {
    lines.push('');
    lines.push('Waived:');
    for (const i of waived) lines.push(`  ${st.yellow('~')} ${i.title} ${st.dim(`— ${i.waiver!.by}: ${i.waiver!.reason}`)}`);
  }
  for (const n of r.notes) lines.push(st.dim(n));
  lines.push('');
  lines.push(`Handover: ${dir}/report.html (and report.json, junit.xml, security.sarif, evidence/, manifest.json)`);
  lines.push(st.dim(`Check it later with: iiot commission verify ${dir} --signer ${r.signer.certificateSha256}`));
  return lines.join('\n');
}
