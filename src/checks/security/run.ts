/**
 * `iiot check security`: every target audited passively (plus the opt-in probes asked for), one
 * connection at a time per host, under the rate cap; facts judged into findings; the result
 * rendered as a table or JSON and written as SARIF and JUnit when asked. A target that could not
 * be reached is "not assessed" with the reason, never counted as passing.
 */
import { IiotError, describeError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { debug, emitJson, info, out, warn, type IO } from '../../core/io.js';
import type { Target } from '../../core/targets.js';
import { progressLine } from '../../render/progress-line.js';
import { makeContext, type CheckContext } from '../context.js';
import type { SecurityOptions } from '../options.js';
import { runPerHost } from '../politeness.js';
import { hostKey, resolveTargets, type CheckTarget } from '../targets.js';
import type { SecurityContext } from '../../protocols/protocol.js';
import { protocolFor, protocolNamed, securityFactory } from '../../protocols/registry.js';
import { renderSecurityTable } from './render.js';
import { rulesApplying, SEVERITY_RANK, usesTls, type Rule } from './rules.js';

import type { SecurityResult, SecurityTargetResult } from './result.js';

function rulesFor(t: Target, o: SecurityOptions): { evaluated: Rule[]; skipped: Array<{ id: string; why: string }> } {
  const evaluated: Rule[] = [];
  const skipped: Array<{ id: string; why: string }> = [];
  const enabled = {
    '--session': o.session,
    '--mqtt-sys': o.mqttSys,
    '--mqtt-wildcard': o.mqttWildcard,
    '--unit-sweep': o.unitSweep !== undefined,
  };
  for (const r of rulesApplying(t)) {
    if (r.optIn !== undefined && !enabled[r.optIn]) {
      skipped.push({ id: r.id, why: `opt-in: needs ${r.optIn}` });
      continue;
    }
    evaluated.push(r);
  }
  return { evaluated, skipped };
}

export async function runSecurityCheck(io: IO, o: SecurityOptions): Promise<SecurityResult> {
  const t0 = performance.now();
  const startedAt = new Date().toISOString();
  const resolved = resolveTargets(o.args, o.inventory);
  const targets: CheckTarget[] = [];
  const skipped: SecurityResult['skipped'] = resolved.skipped.map((s) => ({ url: s.url, line: s.line, reason: s.reason }));
  for (const t of resolved.targets) {
    if (securityFactory(t.target)) {
      targets.push(t);
      continue;
    }
    const why = protocolFor(t.target).notAudited?.[t.target.protocol] ?? `${t.target.url}: not audited`;
    if (t.origin.kind === 'argument')
      throw new IiotError(ExitCode.Usage, `${t.target.url}: ${why}`, {
        hint: 'security checks speak OPC UA (opc.tcp://), MQTT (mqtt://, mqtts://) and Modbus/TCP (modbus://)',
      });
    skipped.push({ url: t.target.url, line: t.origin.line, reason: why });
  }
  if (targets.length === 0)
    throw new IiotError(ExitCode.Usage, 'nothing to check: no OPC UA, MQTT or Modbus/TCP target', {
      hint: 'name device URLs or an inventory that lists some',
    });
  for (const s of skipped) info(io, `skipped ${s.url}${s.line ? ` (inventory line ${s.line})` : ''}: ${s.reason}`);
  if (resolved.incomplete)
    warn(
      io,
      `${o.inventory}: the discovery that wrote this inventory did not finish (${resolved.incomplete.join('; ')}): devices it missed are not checked`,
    );

  const ctx = await makeContext(io, o);
  // libraries first, so that no device waits on iiot while node-opcua loads (src/protocols/preload.ts)
  const { preloadProtocols } = await import('../../protocols/preload.js');
  await preloadProtocols(
    targets.map((t) => t.target.protocol),
    io.debug ? (line) => debug(io, line) : undefined,
  );
  const progress = progressLine(io);
  let done = 0;
  const tlsHosts = new Set(targets.filter((t) => usesTls(t.target)).map((t) => hostKey(t.target)));
  /** per protocol: the leaf certificate each target showed (target URL -> SHA-256) */
  const certBy = new Map<string, Map<string, string | undefined>>();
  let results: SecurityTargetResult[];
  try {
    results = await runPerHost(
      targets,
      (t) => hostKey(t.target),
      o.politeness.concurrency,
      async (t) => {
        progress.update(`checking ${done}/${targets.length}: ${t.target.url}`);
        const r = await checkOne(ctx, t, o, tlsHosts, certBy);
        done++;
        progress.update(`checking ${done}/${targets.length}`);
        return r;
      },
    );
  } finally {
    progress.done();
    ctx.close();
  }
  // Across targets: one certificate on several OPC UA servers.
  for (const [name, certs] of certBy) {
    const shared = (await protocolNamed(name)?.security?.judgeAcross?.([...certs].map(([target, sha256]) => ({ target, sha256 })))) ?? [];
    for (const f of shared) results.find((r) => r.target === f.target)?.findings.push(f);
  }
  for (const r of results)
    r.findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ruleId.localeCompare(b.ruleId));

  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]!++;
  const failed =
    o.failOn !== 'none' &&
    results.some((r) => r.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[o.failOn as keyof typeof SEVERITY_RANK]));
  const incomplete = results.some((r) => r.status !== 'assessed');
  const exitCode = failed ? ExitCode.CheckFailed : incomplete ? ExitCode.Unreachable : ExitCode.Ok;
  return {
    startedAt,
    durationMs: performance.now() - t0,
    failOn: o.failOn,
    targets: results,
    skipped,
    requests: ctx.audit.count(),
    counts,
    failed,
    exitCode,
  };
}

async function checkOne(
  ctx: CheckContext,
  t: CheckTarget,
  o: SecurityOptions,
  tlsHosts: ReadonlySet<string>,
  certBy: Map<string, Map<string, string | undefined>>,
): Promise<SecurityTargetResult> {
  const target = t.target;
  const started = performance.now();
  const { evaluated, skipped } = rulesFor(target, o);
  const base: SecurityTargetResult = {
    target: target.url,
    protocol: target.protocol,
    origin: t.origin,
    status: 'assessed',
    findings: [],
    rulesEvaluated: evaluated.map((r) => r.id),
    rulesSkipped: skipped,
    facts: {},
    durationMs: 0,
  };
  const protocol = protocolFor(target).name;
  const context: SecurityContext = {
    io: ctx.io,
    audit: ctx.auditFor(target),
    pace: ctx.pace,
    credentials: ctx.credentials,
    ca: ctx.ca,
    now: Date.now(),
    tlsOnSameHost: tlsHosts.has(hostKey(target)),
    certificate: (sha256) => {
      let certs = certBy.get(protocol);
      if (!certs) certBy.set(protocol, (certs = new Map()));
      certs.set(target.url, sha256);
    },
  };
  try {
    await securityFactory(target)?.assess(target, o, context, base);
  } catch (err) {
    if (!(err instanceof IiotError) && ctx.io.debug) ctx.io.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    base.status = 'not-assessed';
    base.reason = describeError(err);
    base.hint = err instanceof IiotError ? err.hint : undefined;
    base.findings = [];
    base.rulesEvaluated = [];
    certBy.get(protocol)?.delete(target.url);
  }
  base.durationMs = performance.now() - started;
  return base;
}

export async function runSecurityCommand(io: IO, o: SecurityOptions): Promise<number> {
  const result = await runSecurityCheck(io, o);
  const written: string[] = [];
  if (o.sarif !== undefined) {
    const { writeSarif } = await import('./sarif.js');
    writeSarif(o.sarif, result, o.force);
    written.push(`SARIF ${o.sarif}`);
  }
  if (o.junit !== undefined) {
    const { writeJunit } = await import('./junit.js');
    writeJunit(o.junit, result, o.force);
    written.push(`JUnit ${o.junit}`);
  }
  if (io.json) {
    const { securityJson } = await import('./render.js');
    emitJson(io, 'iiot.check.security/1', securityJson(result));
  } else {
    out(io, renderSecurityTable(result, io.style));
  }
  for (const r of result.targets)
    if (r.status !== 'assessed') warn(io, `${r.target}: ${r.status === 'partial' ? 'partly assessed' : 'not assessed'}: ${r.reason ?? ''}`);
  if (written.length) info(io, `wrote ${written.join(', ')}`);
  if (o.auditLog !== undefined) info(io, `${result.requests} request${result.requests === 1 ? '' : 's'} recorded in ${o.auditLog}`);
  return result.exitCode;
}
