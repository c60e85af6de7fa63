/**
 * `--sarif FILE`: SARIF 2.1.0 (OASIS), in the form GitHub code scanning accepts:
 *   - every rule in tool.driver.rules with its rationale, remedy and source, a default level, and
 *     `security-severity` (critical 9.5, high 8.0, medium 5.5, low 3.0; info rules have none and
 *     level "note"), so code scanning ranks alerts by our severity;
 *   - each result located in a file of the repository where possible: the inventory line that
 *     named the device; for a device named on the command line, a synthetic relative path
 *     `iiot-targets/<scheme>/<host>-<port>` (line 1). The endpoint itself is the result's
 *     logicalLocation (kind "resource");
 *   - stable fingerprints from rule id and canonical target URL only (never time or evidence),
 *     so an alert stays the same alert from run to run and closes when the finding goes away;
 *   - targets that were not assessed as error notifications of the invocation, not as results.
 * test/checks/sarif.test.ts validates the output against the official schema.
 */
import { createHash } from 'node:crypto';
import { writeFileSafely } from '../../core/output-file.js';
import { isAbsolute, relative, sep } from 'node:path';
import { parseTarget } from '../../core/targets.js';
import { toolVersion } from '../../core/version.js';
import type { Severity } from '../../protocols/types.js';
import { RULES, type Rule } from './rules.js';
import type { SecurityResult, SecurityTargetResult } from './result.js';

export const SARIF_SCHEMA_URI = 'https://json.schemastore.org/sarif-2.1.0.json';

const SECURITY_SEVERITY: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: undefined,
};
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

function pascal(id: string): string {
  return id.replace(/(^|-)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase());
}

function sarifRule(r: Rule): Record<string, unknown> {
  const sev = SECURITY_SEVERITY[r.severity];
  return {
    id: r.id,
    name: pascal(r.id),
    shortDescription: { text: r.title },
    fullDescription: { text: r.rationale },
    help: {
      text: `${r.remedy}\n\nWhy: ${r.rationale}\nSource: ${r.source}`,
      markdown: `**Fix:** ${r.remedy}\n\n**Why:** ${r.rationale}\n\n**Source:** ${r.source}`,
    },
    defaultConfiguration: { level: LEVEL[r.severity] },
    properties: {
      tags: ['security', r.protocol, ...(r.optIn ? ['opt-in'] : [])],
      precision: 'very-high',
      ...(sev === undefined ? {} : { 'security-severity': sev }),
      severity: r.severity,
    },
  };
}

/** Stable across runs: rule and endpoint only. */
export function fingerprint(ruleId: string, target: string): string {
  return createHash('sha256').update(`${ruleId}\u0000${target}`).digest('hex');
}

/** A relative path with forward slashes, as code scanning wants artifact locations. */
function repoPath(file: string, cwd: string): string {
  const rel = isAbsolute(file) ? relative(cwd, file) : file;
  const clean = rel.split(sep).join('/').replace(/^\.\//, '');
  // Outside the working directory there is no repository path to point at: keep the file name.
  return clean.startsWith('../') ? clean.split('/').pop()! : clean;
}

/** iiot-targets/opc.tcp/127.0.0.1-4840, iiot-targets/modbus/127.0.0.1-502-unit1 */
export function syntheticPath(url: string): string {
  const t = parseTarget(url);
  const scheme = url.slice(0, url.indexOf('://'));
  // a device on the network by host and port, one on a serial line by its port's path; a unit id when it has one
  const place = 'host' in t ? `${encodeURIComponent(t.host)}-${t.port}` : encodeURIComponent(t.path.replace(/^\//, '').replace(/\//g, '_'));
  return `iiot-targets/${scheme}/${place}${'unit' in t ? `-unit${t.unit}` : ''}`;
}

function locationOf(t: SecurityTargetResult, cwd: string): Record<string, unknown> {
  const physical =
    t.origin.kind === 'inventory'
      ? { artifactLocation: { uri: repoPath(t.origin.file, cwd) }, region: { startLine: Math.max(1, t.origin.line) } }
      : {
          artifactLocation: {
            uri: syntheticPath(t.target),
            description: { text: 'synthetic path: the device was named on the command line' },
          },
          region: { startLine: 1 },
        };
  return {
    physicalLocation: physical,
    logicalLocations: [{ name: t.target, fullyQualifiedName: t.target, kind: 'resource' }],
  };
}

export function toSarif(r: SecurityResult, cwd = process.cwd()): Record<string, unknown> {
  const ruleIndex = new Map(RULES.map((rule, i) => [rule.id, i]));
  const results = r.targets.flatMap((t) =>
    t.findings.map((f) => {
      const fp = fingerprint(f.ruleId, t.target);
      return {
        ruleId: f.ruleId,
        ruleIndex: ruleIndex.get(f.ruleId)!,
        level: LEVEL[f.severity],
        message: { text: `${t.target}: ${f.title}. ${f.evidence}` },
        locations: [locationOf(t, cwd)],
        partialFingerprints: { 'iiotFinding/v1': fp, primaryLocationLineHash: `${fp.slice(0, 16)}:1` },
        properties: { target: t.target, protocol: t.protocol, severity: f.severity, evidence: f.evidence },
      };
    }),
  );
  const notifications = r.targets
    .filter((t) => t.status !== 'assessed')
    .map((t) => ({
      level: t.status === 'partial' ? 'warning' : 'error',
      message: {
        text: `${t.target}: ${t.status === 'partial' ? 'partly assessed' : 'not assessed'}: ${t.reason ?? ''}${t.hint ? ` (${t.hint})` : ''}`,
      },
      locations: [locationOf(t, cwd)],
      properties: { target: t.target, status: t.status },
    }));
  const end = new Date(Date.parse(r.startedAt) + Math.round(r.durationMs));
  return {
    $schema: SARIF_SCHEMA_URI,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'iiot',
            fullName: 'iiot check security',
            version: toolVersion(),
            semanticVersion: toolVersion(),
            rules: RULES.map(sarifRule),
          },
        },
        automationDetails: { id: 'iiot-check-security/' },
        invocations: [
          {
            executionSuccessful: true,
            startTimeUtc: r.startedAt,
            endTimeUtc: end.toISOString(),
            toolExecutionNotifications: notifications,
            properties: { failOn: r.failOn, requests: r.requests, targets: r.targets.length },
          },
        ],
        results,
        columnKind: 'unicodeCodePoints',
      },
    ],
  };
}

/** Written aside and renamed into place; an existing file only with --force (core/output-file.ts). */
export function writeSarif(file: string, r: SecurityResult, force = false): void {
  writeFileSafely(file, `${JSON.stringify(toSarif(r), null, 2)}\n`, { force });
}
