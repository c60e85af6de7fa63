import { xmlEscape } from '../../checks/security/junit.js';
import type { Item, ItemGroup } from '../items.js';
import type { CommissionReport } from './report.js';

/**
 * junit.xml: the acceptance items for CI test reporters (Jenkins, GitLab, GitHub): one suite per
 * group (devices, identity, security, latency, signals, loop checks), one case per item. A failed
 * item is a <failure>; a waived one is <skipped> with who waived it and why, never a silent pass.
 */

const GROUP_NAMES: Record<ItemGroup, string> = {
  device: 'devices',
  identity: 'identity',
  security: 'security',
  latency: 'latency',
  signal: 'signals',
  'loop-check': 'loop checks',
};

function testCase(it: Item): string {
  const attrs = `classname="${xmlEscape(`${it.group}.${it.subject}`)}" name="${xmlEscape(it.id)}"`;
  const detail = [
    it.expected !== undefined ? `expected: ${it.expected}` : '',
    it.observed !== undefined ? `observed: ${it.observed}` : '',
    it.evidence ? `evidence: ${it.evidence}` : '',
  ]
    .filter(Boolean)
    .join('\n');
  if (it.status === 'fail')
    return `    <testcase ${attrs}><failure type="${it.mustPass ? 'must-pass' : 'optional'}" message="${xmlEscape(it.title)}">${xmlEscape(detail)}</failure></testcase>`;
  if (it.status === 'waived')
    return `    <testcase ${attrs}><skipped message="${xmlEscape(`waived by ${it.waiver!.by}: ${it.waiver!.reason}`)}"/><system-out>${xmlEscape(detail)}</system-out></testcase>`;
  return `    <testcase ${attrs}><system-out>${xmlEscape(detail)}</system-out></testcase>`;
}

export function toJunit(r: CommissionReport): string {
  const groups = [...new Set(r.items.map((i) => i.group))];
  const suites = groups.map((g) => {
    const items = r.items.filter((i) => i.group === g);
    const failures = items.filter((i) => i.status === 'fail').length;
    const skipped = items.filter((i) => i.status === 'waived').length;
    return `  <testsuite name="${xmlEscape(`${r.job.id}: ${GROUP_NAMES[g]}`)}" tests="${items.length}" failures="${failures}" errors="0" skipped="${skipped}" timestamp="${r.startedAt}">\n${items.map(testCase).join('\n')}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${xmlEscape(`iiot commission ${r.site.name} ${r.job.id}`)}" tests="${r.counts.total}" failures="${r.counts.fail}" errors="0" skipped="${r.counts.waived}" time="${(r.durationMs / 1000).toFixed(1)}">\n${suites.join('\n')}\n</testsuites>\n`;
}
