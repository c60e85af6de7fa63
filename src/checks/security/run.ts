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
import { judgeModbus, judgeMqtt, judgeOpcUaEndpoints, judgeOpcUaSession, judgeSharedCertificates, leafFingerprint } from './judge.js';
import { renderSecurityTable } from './render.js';
import type { SecurityResult, SecurityTargetResult } from './result.js';
import { RULES, SEVERITY_RANK, type Rule } from './rules.js';

const CHECKABLE: ReadonlySet<Target['protocol']> = new Set(['opcua', 'mqtt', 'modbus']);

function rulesFor(t: Target, o: SecurityOptions): { evaluated: Rule[]; skipped: Array<{ id: string; why: string }> } {
  const proto = t.protocol === 'modbus' ? 'modbus' : t.protocol === 'mqtt' ? 'mqtt' : 'opcua';
  const evaluated: Rule[] = [];
  const skipped: Array<{ id: string; why: string }> = [];
  const enabled = { '--session': o.session, '--mqtt-sys': o.mqttSys, '--mqtt-wildcard': o.mqttWildcard, '--unit-sweep': o.unitSweep !== undefined };
  for (const r of RULES) {
    if (r.protocol !== proto) continue;
    if (r.transport !== undefined && t.protocol === 'mqtt' && (r.transport === 'tls') !== t.tls) continue;
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
    if (CHECKABLE.has(t.target.protocol)) {
      targets.push(t);
      continue;
    }
    const why = t.target.protocol === 'tcp' ? 'tcp:// targets are for `iiot check latency` only' : 'Modbus RTU is a serial line: nothing to audit over the network';
    if (t.origin.kind === 'argument') throw new IiotError(ExitCode.Usage, `${t.target.url}: ${why}`, { hint: 'security checks speak OPC UA (opc.tcp://), MQTT (mqtt://, mqtts://) and Modbus/TCP (modbus://)' });
    skipped.push({ url: t.target.url, line: t.origin.line, reason: why });
  }
  if (targets.length === 0) throw new IiotError(ExitCode.Usage, 'nothing to check: no OPC UA, MQTT or Modbus/TCP target', { hint: 'name device URLs or an inventory that lists some' });
  for (const s of skipped) info(io, `skipped ${s.url}${s.line ? ` (inventory line ${s.line})` : ''}: ${s.reason}`);
  if (resolved.incomplete) warn(io, `${o.inventory}: the discovery that wrote this inventory did not finish (${resolved.incomplete.join('; ')}): devices it missed are not checked`);

  const ctx = await makeContext(io, o);
  // libraries first, so that no device waits on iiot while node-opcua loads (src/protocols/preload.ts)
  const { preloadProtocols } = await import('../../protocols/preload.js');
  await preloadProtocols(targets.map((t) => t.target.protocol), io.debug ? (line) => debug(io, line) : undefined);
  const progress = progressLine(io);
  let done = 0;
  const tlsHosts = new Set(targets.filter((t) => t.target.protocol === 'mqtt' && t.target.tls).map((t) => hostKey(t.target)));
  const certBy = new Map<string, string | undefined>();
  let results: SecurityTargetResult[];
  try {
    results = await runPerHost(targets, (t) => hostKey(t.target), o.politeness.concurrency, async (t) => {
      progress.update(`checking ${done}/${targets.length}: ${t.target.url}`);
      const r = await checkOne(ctx, t, o, tlsHosts, certBy);
      done++;
      progress.update(`checking ${done}/${targets.length}`);
      return r;
    });
  } finally {
    progress.done();
    ctx.close();
  }
  // Across targets: one certificate on several OPC UA servers.
  const shared = judgeSharedCertificates([...certBy].map(([target, sha256]) => ({ target, sha256 })));
  for (const f of shared) results.find((r) => r.target === f.target)?.findings.push(f);
  for (const r of results) r.findings.sort((a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || a.ruleId.localeCompare(b.ruleId));

  const counts: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const r of results) for (const f of r.findings) counts[f.severity]!++;
  const failed = o.failOn !== 'none' && results.some((r) => r.findings.some((f) => SEVERITY_RANK[f.severity] >= SEVERITY_RANK[o.failOn as keyof typeof SEVERITY_RANK]));
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

async function checkOne(ctx: CheckContext, t: CheckTarget, o: SecurityOptions, tlsHosts: ReadonlySet<string>, certBy: Map<string, string | undefined>): Promise<SecurityTargetResult> {
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
  const audit = ctx.auditFor(target);
  const now = Date.now();
  try {
    switch (target.protocol) {
      case 'opcua': {
        const { fetchEndpoints, auditOpcUaSession } = await import('../../protocols/opcua/security-audit.js');
        const dbg = ctx.io.debug ? (line: string) => debug(ctx.io, line) : undefined;
        const { setOpcUaLogSink } = await import('../../protocols/opcua/load.js');
        setOpcUaLogSink(dbg);
        const auditIO = { debug: dbg, onRequest: audit, pace: ctx.pace };
        const { endpoints, ms } = await fetchEndpoints(target, o.timeoutMs, auditIO);
        base.facts = {
          endpoints: endpoints.map((e) => ({ securityMode: e.securityMode, securityPolicy: e.securityPolicy, securityLevel: e.securityLevel, userTokens: [...new Set(e.userTokens.map((u) => u.type))] })),
          applicationUri: endpoints[0]?.server.applicationUri,
          productUri: endpoints[0]?.server.productUri,
          getEndpointsMs: Math.round(ms),
        };
        base.findings.push(...judgeOpcUaEndpoints(target.url, endpoints, { now, expiryWarningMs: o.certExpiryMs, host: target.host }));
        certBy.set(target.url, leafFingerprint(endpoints));
        if (o.session) {
          try {
            const s = await auditOpcUaSession(target, endpoints, { timeoutMs: o.timeoutMs, maxNodes: o.maxNodes }, auditIO);
            base.findings.push(...judgeOpcUaSession(target.url, s));
            base.facts.session = { attempts: s.attempts, examined: s.examined, writable: s.writable.length, historyWritable: s.historyWritable.length, executable: s.executable.length, auditing: s.auditing ?? null };
            if (!s.examined.complete && s.accepted) {
              base.status = 'partial';
              base.reason = `the address space was examined only in part: ${s.examined.partialReason ?? 'stopped early'}`;
              base.hint = s.examined.partialReason === 'maxNodes' ? 'raise --max-nodes' : 'run again';
            }
          } catch (err) {
            base.status = 'partial';
            base.reason = `--session: ${describeError(err)}`;
            base.hint = err instanceof IiotError ? err.hint : undefined;
            base.rulesEvaluated = base.rulesEvaluated.filter((id) => !RULES.find((r) => r.id === id)?.optIn);
          }
        }
        break;
      }
      case 'mqtt': {
        const { auditMqtt } = await import('../../protocols/mqtt/security-audit.js');
        const f = await auditMqtt(target, {
          timeoutMs: o.timeoutMs,
          ca: ctx.ca,
          username: ctx.credentials?.username,
          password: ctx.credentials?.password,
          sys: o.mqttSys,
          wildcard: o.mqttWildcard,
          listenMs: o.listenMs,
          pace: ctx.pace,
          onPacket: (name, detail) => audit(name, detail),
        });
        base.findings.push(...judgeMqtt(target.url, f, { now, expiryWarningMs: o.certExpiryMs, host: target.host, tls: target.tls, tlsSiblingChecked: tlsHosts.has(hostKey(target)) }));
        base.facts = {
          anonymous: f.anonymous.accepted ? 'accepted' : `refused (${f.anonymous.reason})`,
          ...(f.user ? { user: f.user.accepted ? 'accepted' : `refused (${f.user.reason})` } : {}),
          ...(f.tls ? { tls: { protocol: f.tls.protocol, cipher: f.tls.cipher, trusted: f.tls.authorizationError === undefined, authorizationError: f.tls.authorizationError ?? null } } : {}),
          subscriptions: f.subscriptions.map((s) => ({ filter: s.filter, granted: s.granted, topics: s.topics, as: s.as })),
        };
        if ((o.mqttSys || o.mqttWildcard) && f.subscriptions.length === 0) {
          if (f.user && !f.user.accepted) {
            base.status = 'partial';
            base.reason = `--mqtt-sys/--mqtt-wildcard: not tried, the broker refused anonymous access and ${ctx.credentials?.describe ?? 'the given user'} (${f.user.reason ?? 'refused'})`;
            base.rulesEvaluated = base.rulesEvaluated.filter((id) => id !== 'mqtt-sys-readable' && id !== 'mqtt-wildcard-subscribe' && id !== 'mqtt-user-wildcard-subscribe');
          } else {
            // An anonymous client cannot subscribe at all: that is the answer for an outsider.
            base.facts.subscriptionsNote = 'not tried: anonymous access is refused; give --user to check what a user may subscribe to';
          }
        }
        break;
      }
      case 'modbus': {
        const { auditModbus } = await import('../../protocols/modbus/security-audit.js');
        const f = await auditModbus(target, {
          unit: o.modbus.unit,
          table: o.modbus.table,
          address: o.modbus.address,
          timeoutMs: o.timeoutMs,
          sweep: o.unitSweep,
          sweepTimeoutMs: o.sweepTimeoutMs,
          pace: ctx.pace,
          onRequest: (r) => audit(r.name, r.detail),
        });
        if (!f.read.answered) {
          base.status = 'not-assessed';
          base.reason = `the port accepted a connection but no Modbus answer came: ${f.read.reason}`;
          base.hint = 'check the unit id (?unit=N or --unit); a gateway drops requests for ids it does not serve';
          base.rulesEvaluated = [];
          break;
        }
        base.findings.push(...judgeModbus(target.url, f));
        base.facts = { unit: f.unit, read: f.read, identification: f.identification ?? null, ...(f.sweep ? { sweep: f.sweep } : {}) };
        if (f.sweep?.lostConnection) {
          base.status = 'partial';
          base.reason = `the unit-id sweep stopped after ${f.sweep.tried} ids: ${f.sweep.lostConnection}`;
        }
        break;
      }
      default:
        break;
    }
  } catch (err) {
    if (!(err instanceof IiotError) && ctx.io.debug) ctx.io.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
    base.status = 'not-assessed';
    base.reason = describeError(err);
    base.hint = err instanceof IiotError ? err.hint : undefined;
    base.findings = [];
    base.rulesEvaluated = [];
    certBy.delete(target.url);
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
  for (const r of result.targets) if (r.status !== 'assessed') warn(io, `${r.target}: ${r.status === 'partial' ? 'partly assessed' : 'not assessed'}: ${r.reason ?? ''}`);
  if (written.length) info(io, `wrote ${written.join(', ')}`);
  if (o.auditLog !== undefined) info(io, `${result.requests} request${result.requests === 1 ? '' : 's'} recorded in ${o.auditLog}`);
  return result.exitCode;
}
