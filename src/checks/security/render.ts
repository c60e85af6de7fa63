/**
 * The security result for people (grouped by target: severity, rule, what was found, how to fix
 * it) and as the JSON document `iiot.check.security/1` (docs/json-output.md).
 */
import type { Styler } from '../../render/color.js';
import { formatDuration } from '../../core/units.js';
import type { Severity } from '../../protocols/types.js';
import { targetJsonHead } from '../targets.js';
import { RULES_BY_ID, SEVERITIES } from './rules.js';
import type { SecurityResult } from './result.js';

const PROTOCOL_NAMES: Record<string, string> = {
  opcua: 'OPC UA',
  mqtt: 'MQTT',
  modbus: 'Modbus/TCP',
  'modbus-rtu': 'Modbus RTU',
  tcp: 'TCP',
};

function sevStyle(style: Styler, s: Severity): (t: string) => string {
  switch (s) {
    case 'critical':
      return (t) => style.bold(style.red(t));
    case 'high':
      return style.red;
    case 'medium':
      return style.yellow;
    case 'low':
      return style.cyan;
    default:
      return style.dim;
  }
}

export function countsText(counts: Record<string, number>): string {
  const parts = SEVERITIES.filter((s) => (counts[s] ?? 0) > 0).map((s) => `${counts[s]} ${s}`);
  return parts.length ? parts.join(', ') : 'no findings';
}

export function renderSecurityTable(r: SecurityResult, style: Styler): string {
  const lines: string[] = [];
  const sevWidth = 8;
  const ruleWidth = Math.max(4, ...r.targets.flatMap((t) => t.findings.map((f) => f.ruleId.length)));
  for (const t of r.targets) {
    const proto = PROTOCOL_NAMES[t.protocol] ?? t.protocol;
    const where = t.origin.kind === 'inventory' ? style.dim(` (${t.origin.file}:${t.origin.line})`) : '';
    if (t.status === 'not-assessed') {
      lines.push(`${style.bold(t.target)} ${proto}${where}  ${style.bold(style.red('NOT ASSESSED'))}`);
      lines.push(`  ${t.reason ?? ''}`);
      if (t.hint) lines.push(style.dim(`  hint: ${t.hint}`));
      lines.push('');
      continue;
    }
    const counts: Record<string, number> = {};
    for (const f of t.findings) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
    const status = t.status === 'partial' ? `  ${style.yellow('PARTLY ASSESSED')}` : '';
    lines.push(`${style.bold(t.target)} ${proto}${where}  ${countsText(counts)}${status}`);
    if (t.status === 'partial') lines.push(style.yellow(`  ${t.reason ?? ''}`));
    for (const f of t.findings) {
      const sev = sevStyle(style, f.severity)(f.severity.toUpperCase().padEnd(sevWidth));
      lines.push(`  ${sev} ${f.ruleId.padEnd(ruleWidth)}  ${f.title}`);
      const indent = ' '.repeat(2 + sevWidth + 1 + ruleWidth + 2);
      lines.push(`${indent}${f.evidence}`);
      lines.push(style.dim(`${indent}fix: ${f.remedy}`));
    }
    if (t.findings.length === 0) lines.push(style.green(`  no findings (${t.rulesEvaluated.length} rules)`));
    lines.push('');
  }
  const assessed = r.targets.filter((t) => t.status === 'assessed').length;
  const partial = r.targets.filter((t) => t.status === 'partial').length;
  const notAssessed = r.targets.length - assessed - partial;
  const summary = [
    `${r.targets.length} target${r.targets.length === 1 ? '' : 's'}: ${assessed} assessed`,
    partial ? `${partial} partly assessed` : '',
    notAssessed ? `${notAssessed} NOT assessed` : '',
  ]
    .filter(Boolean)
    .join(', ');
  lines.push(`${summary}; ${countsText(r.counts)}; ${formatDuration(r.durationMs)}`);
  if (r.failOn !== 'none') {
    lines.push(
      r.failed
        ? style.bold(style.red(`FAILED: findings at or above ${r.failOn}`))
        : notAssessed || partial
          ? style.yellow(`no findings at or above ${r.failOn} among what was assessed`)
          : style.green(`passed: no findings at or above ${r.failOn}`),
    );
  }
  return lines.join('\n');
}

export function securityJson(r: SecurityResult): Record<string, unknown> {
  const used = new Set(r.targets.flatMap((t) => t.findings.map((f) => f.ruleId)));
  return {
    startedAt: r.startedAt,
    durationMs: Math.round(r.durationMs),
    failOn: r.failOn,
    failed: r.failed,
    counts: r.counts,
    requests: r.requests,
    targets: r.targets.map((t) => ({
      ...targetJsonHead(t),
      durationMs: Math.round(t.durationMs),
      findings: t.findings.map((f) => ({
        ruleId: f.ruleId,
        severity: f.severity,
        title: f.title,
        evidence: f.evidence,
        remedy: f.remedy,
        ...(f.data === undefined ? {} : { data: f.data }),
      })),
      rulesEvaluated: t.rulesEvaluated,
      rulesSkipped: t.rulesSkipped,
      facts: t.facts,
    })),
    skipped: r.skipped,
    rules: [...used].sort().map((id) => {
      const rule = RULES_BY_ID.get(id)!;
      return {
        id,
        severity: rule.severity,
        protocol: rule.protocol,
        title: rule.title,
        source: rule.source,
        ...(rule.optIn ? { optIn: rule.optIn } : {}),
      };
    }),
  };
}
