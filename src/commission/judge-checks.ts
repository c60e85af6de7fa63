import type { Severity } from '../protocols/types.js';
import type { LatencyTargetResult } from '../checks/latency/result.js';
import type { SecurityTargetResult } from '../checks/security/result.js';
import { SECURITY_MODES, SECURITY_POLICIES } from '../protocols/opcua/flags.js';
import { formatDuration } from '../core/units.js';
import type { InventoryDevice } from '../discovery/inventory.js';
import { item, type Item } from './items.js';
import type { LatencyBudget, PlanDevice, SecurityExpectations } from './plan-schema.js';

/**
 * Security and latency as acceptance items: the plan's expectations (minimum policy and mode, no
 * anonymous access, TLS, certificate validity left, p99 and loss budgets) judged from what
 * discovery and the checks measured; findings of the passive security check at or above the
 * plan's severity are items of their own.
 */

const SEVERITY_ORDER: readonly Severity[] = ['info', 'low', 'medium', 'high', 'critical'];
const atOrAbove = (s: Severity, limit: Severity) => SEVERITY_ORDER.indexOf(s) >= SEVERITY_ORDER.indexOf(limit);

export function judgeSecurity(
  d: PlanDevice,
  want: SecurityExpectations,
  dev: InventoryDevice | undefined,
  check: SecurityTargetResult | undefined,
  now: number,
): Item[] {
  const items: Item[] = [];
  const mustPass = d.optional !== true;
  const add = (check: string, title: string, pass: boolean, expected: string, observed: string, evidence = 'evidence/inventory.json') =>
    items.push(item('security', d.id, check, title, pass, { mustPass, expected, observed, evidence }));

  if (dev?.protocol === 'opcua') {
    const eps = dev.endpoints;
    // no endpoint read is nothing judged, not "no weak endpoint": every expectation fails, saying so
    const none = eps.length === 0 ? 'the server listed no endpoints (GetEndpoints): nothing to judge' : undefined;
    if (want.minMode !== undefined) {
      const min = SECURITY_MODES.indexOf(want.minMode);
      const weak = eps.filter((e) => SECURITY_MODES.indexOf(e.securityMode as never) < min);
      add(
        'min-mode',
        `${d.id} offers no endpoint below ${want.minMode}`,
        !none && weak.length === 0,
        `every endpoint ${want.minMode} or better`,
        none ??
          (weak.length
            ? `offers ${[...new Set(weak.map((e) => e.securityMode))].join(', ')}`
            : `${eps.length} endpoints, all ${want.minMode} or better`),
      );
    }
    if (want.minPolicy !== undefined) {
      const min = SECURITY_POLICIES.indexOf(want.minPolicy);
      const weak = eps.filter((e) => SECURITY_POLICIES.indexOf(e.securityPolicy as never) < min);
      add(
        'min-policy',
        `${d.id} offers no policy below ${want.minPolicy}`,
        !none && weak.length === 0,
        `every endpoint ${want.minPolicy} or stronger`,
        none ?? (weak.length ? `offers ${[...new Set(weak.map((e) => e.securityPolicy))].join(', ')}` : 'none weaker'),
      );
    }
    if (want.anonymous === false) {
      const anon = eps.filter((e) => e.userTokens.some((t) => t.type.toLowerCase() === 'anonymous'));
      add(
        'no-anonymous',
        `${d.id} does not accept anonymous users`,
        !none && anon.length === 0,
        'no endpoint with an Anonymous user token',
        none ?? (anon.length ? `${anon.length} of ${eps.length} endpoints accept Anonymous` : 'no endpoint accepts Anonymous'),
      );
    }
  }
  if (dev?.protocol === 'mqtt') {
    if (want.tls === 'required')
      add(
        'tls',
        `${d.id} is reached over TLS`,
        d.url.protocol === 'mqtt' && d.url.tls,
        'mqtts:// (TLS)',
        d.url.protocol === 'mqtt' && d.url.tls ? `TLS ${dev.tls?.protocol ?? ''}`.trim() : 'plain MQTT (no TLS)',
      );
    if (want.anonymous === false)
      add(
        'no-anonymous',
        `${d.id} refuses anonymous clients`,
        dev.identity.anonymous === 'refused',
        'anonymous CONNECT refused',
        `anonymous CONNECT ${dev.identity.anonymous}`,
      );
  }
  if (want.certificateValidity !== undefined && dev) {
    const cert = dev.protocol === 'opcua' ? dev.certificate : dev.protocol === 'mqtt' ? dev.tls?.certificate : undefined;
    // plain MQTT presents no certificate: the expectation is about TLS brokers (and tls: required says the rest)
    if (dev.protocol === 'opcua' || (dev.protocol === 'mqtt' && d.url.protocol === 'mqtt' && d.url.tls)) {
      const left = cert ? Date.parse(cert.notAfter) - now : undefined;
      add(
        'certificate-validity',
        `${d.id}'s certificate is valid for at least ${formatDuration(want.certificateValidity)}`,
        left !== undefined && left >= want.certificateValidity,
        `valid until at least ${new Date(now + want.certificateValidity).toISOString().slice(0, 10)}`,
        cert ? `valid until ${cert.notAfter} (SHA-256 ${cert.sha256.slice(0, 23)}…)` : 'no certificate presented',
        'evidence/certificates.json',
      );
    }
  }
  const failOn = want.failOn ?? 'high';
  if (check && failOn !== 'none') {
    if (check.status === 'not-assessed') {
      add(
        'assessed',
        `${d.id}'s security could be assessed`,
        false,
        'a passive security check',
        `not assessed: ${check.reason ?? 'no answer'}`,
        'security.sarif',
      );
    } else {
      const bad = check.findings.filter((f) => atOrAbove(f.severity, failOn));
      for (const f of bad)
        add(
          f.ruleId,
          `${d.id}: ${f.title}`,
          false,
          `no finding of ${failOn} severity or above`,
          `${f.severity}: ${f.evidence}. Remedy: ${f.remedy}`,
          'security.sarif',
        );
      if (bad.length === 0)
        add(
          'findings',
          `${d.id} has no security finding of ${failOn} severity or above`,
          true,
          `no finding of ${failOn} or above`,
          `${check.findings.length} findings below ${failOn}`,
          'security.sarif',
        );
    }
  }
  return items;
}

export function judgeLatency(d: PlanDevice, budget: LatencyBudget, r: LatencyTargetResult | undefined): Item[] {
  if (budget.p99 === undefined && budget.loss === undefined) return [];
  const mustPass = d.optional !== true;
  if (!r || r.status === 'unreachable') {
    return [
      item('latency', d.id, 'measured', `${d.id}'s latency could be measured`, false, {
        mustPass,
        expected: 'round trips answered',
        observed: r?.reason ?? 'not measured',
        evidence: 'evidence/latency.json',
      }),
    ];
  }
  const items: Item[] = [];
  for (const t of r.thresholds) {
    const series = r.series.find((s) => s.name === t.series);
    const label = series?.label ?? t.series;
    if (t.kind === 'p99') {
      items.push(
        item('latency', d.id, `p99:${t.series}`, `${d.id} ${label}: p99 within ${t.limit} ms`, t.ok && t.value !== null, {
          mustPass,
          expected: `p99 ≤ ${t.limit} ms`,
          observed:
            t.value === null
              ? 'nothing measured'
              : `p99 ${t.value.toFixed(2)} ms over ${series?.received ?? 0} round trips${series?.delayedAck ? ' (a cluster near 40 ms: Nagle meets delayed ACK)' : ''}`,
          evidence: 'evidence/latency.json',
        }),
      );
    } else {
      items.push(
        item('latency', d.id, `loss:${t.series}`, `${d.id} ${label}: loss within ${t.limit}%`, t.ok && t.value !== null, {
          mustPass,
          expected: `≤ ${t.limit}% without an answer`,
          observed: t.value === null ? 'nothing measured' : `${t.value.toFixed(1)}% of ${series?.sent ?? 0}`,
          evidence: 'evidence/latency.json',
        }),
      );
    }
  }
  return items;
}
