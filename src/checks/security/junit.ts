/**
 * `--junit FILE`: one <testsuite> per target, one <testcase> per target and rule (classname the
 * target URL, name the rule id), in the JUnit XML dialect Jenkins, GitLab and GitHub test
 * reporters read:
 *   a finding at or above --fail-on        <failure type="<severity>">evidence and remedy</failure>
 *   a finding below --fail-on              passes, with the finding in <system-out>
 *   no finding                             passes
 *   an opt-in rule not asked for           <skipped message="opt-in: needs --session"/>
 *   the target (or that part) not assessed <error> with the reason: never a silent pass
 */
import { writeFileSafely } from '../../core/output-file.js';
import { parseTarget } from '../../core/targets.js';
import { RULES, rulesApplying, SEVERITY_RANK } from './rules.js';
import type { SecurityResult, SecurityTargetResult } from './result.js';

export function xmlEscape(s: string): string {
  return (
    s
      // characters XML 1.0 cannot carry at all
      // eslint-disable-next-line no-control-regex
      .replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]/g, '\uFFFD')
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&apos;')
  );
}

function applicableRules(t: SecurityTargetResult): string[] {
  return rulesApplying(parseTarget(t.target)).map((r) => r.id);
}

interface Case {
  name: string;
  body: string;
  kind: 'pass' | 'failure' | 'error' | 'skipped';
}

export function toJunit(r: SecurityResult): string {
  const suites: string[] = [];
  let tests = 0;
  let failures = 0;
  let errors = 0;
  let skippedTotal = 0;
  for (const t of r.targets) {
    const cases: Case[] = [];
    const skipped = new Map(t.rulesSkipped.map((s) => [s.id, s.why]));
    const evaluated = new Set(t.rulesEvaluated);
    for (const id of applicableRules(t)) {
      const rule = RULES.find((x) => x.id === id)!;
      const f = t.findings.find((x) => x.ruleId === id);
      const name = `${id}: ${rule.title}`;
      if (skipped.has(id)) {
        cases.push({ name, kind: 'skipped', body: `<skipped message="${xmlEscape(skipped.get(id)!)}"/>` });
      } else if (f) {
        const text = `${f.evidence}\nfix: ${f.remedy}`;
        if (r.failOn !== 'none' && SEVERITY_RANK[f.severity] >= SEVERITY_RANK[r.failOn]) {
          cases.push({
            name,
            kind: 'failure',
            body: `<failure message="${xmlEscape(`${f.severity}: ${f.evidence}`)}" type="${f.severity}">${xmlEscape(text)}</failure>`,
          });
        } else {
          cases.push({
            name,
            kind: 'pass',
            body: `<system-out>${xmlEscape(`${f.severity} (below --fail-on ${r.failOn}): ${text}`)}</system-out>`,
          });
        }
      } else if (evaluated.has(id)) {
        cases.push({ name, kind: 'pass', body: '' });
      } else {
        const why = `${t.status === 'partial' ? 'not assessed' : 'target not assessed'}: ${t.reason ?? 'unknown'}`;
        cases.push({
          name,
          kind: 'error',
          body: `<error message="${xmlEscape(why)}" type="not-assessed">${xmlEscape(`${why}${t.hint ? `\nhint: ${t.hint}` : ''}`)}</error>`,
        });
      }
    }
    const count = (k: Case['kind']) => cases.filter((c) => c.kind === k).length;
    tests += cases.length;
    failures += count('failure');
    errors += count('error');
    skippedTotal += count('skipped');
    const secs = (t.durationMs / 1000).toFixed(3);
    const body = cases
      .map(
        (c) =>
          `    <testcase classname="${xmlEscape(t.target)}" name="${xmlEscape(c.name)}" time="0">${c.body ? `\n      ${c.body}\n    ` : ''}</testcase>`,
      )
      .join('\n');
    suites.push(
      `  <testsuite name="${xmlEscape(t.target)}" tests="${cases.length}" failures="${count('failure')}" errors="${count('error')}" skipped="${count('skipped')}" time="${secs}" timestamp="${r.startedAt.replace(/\.\d+Z$/, '')}">\n${body}\n  </testsuite>`,
    );
  }
  const time = (r.durationMs / 1000).toFixed(3);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="iiot check security" tests="${tests}" failures="${failures}" errors="${errors}" skipped="${skippedTotal}" time="${time}">\n${suites.join('\n')}\n</testsuites>\n`;
}

/** Written aside and renamed into place; an existing file only with --force (core/output-file.ts). */
export function writeJunit(file: string, r: SecurityResult, force = false): void {
  writeFileSafely(file, toJunit(r), { force });
}
