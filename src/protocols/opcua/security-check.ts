/**
 * `iiot check security` on one OPC UA server: GetEndpoints (passive), then with --session an
 * anonymous session that examines the address space read-only; the facts judged into findings
 * (security-judge.ts).
 */
import type { OpcUaTarget } from '../../core/targets.js';
import { IiotError, describeError } from '../../core/errors.js';
import { debug } from '../../core/io.js';
import type { SecurityAssessment, SecurityContext, SecuritySettings } from '../protocol.js';
import { RULES } from '../security-rules.js';
import { setOpcUaLogSink } from './load.js';
import { auditOpcUaSession, fetchEndpoints } from './security-audit.js';
import { judgeOpcUaEndpoints, judgeOpcUaSession, leafFingerprint } from './security-judge.js';

export async function assessOpcUa(target: OpcUaTarget, o: SecuritySettings, ctx: SecurityContext, base: SecurityAssessment): Promise<void> {
  const dbg = ctx.io.debug ? (line: string) => debug(ctx.io, line) : undefined;
  setOpcUaLogSink(dbg);
  const auditIO = { debug: dbg, onRequest: ctx.audit, pace: ctx.pace };
  const { endpoints, ms } = await fetchEndpoints(target, o.timeoutMs, auditIO);
  base.facts = {
    endpoints: endpoints.map((e) => ({
      securityMode: e.securityMode,
      securityPolicy: e.securityPolicy,
      securityLevel: e.securityLevel,
      userTokens: [...new Set(e.userTokens.map((u) => u.type))],
    })),
    applicationUri: endpoints[0]?.server.applicationUri,
    productUri: endpoints[0]?.server.productUri,
    getEndpointsMs: Math.round(ms),
  };
  base.findings.push(...judgeOpcUaEndpoints(target.url, endpoints, { now: ctx.now, expiryWarningMs: o.certExpiryMs, host: target.host }));
  ctx.certificate(leafFingerprint(endpoints));
  if (o.session) {
    try {
      const s = await auditOpcUaSession(target, endpoints, { timeoutMs: o.timeoutMs, maxNodes: o.maxNodes }, auditIO);
      base.findings.push(...judgeOpcUaSession(target.url, s));
      base.facts.session = {
        attempts: s.attempts,
        examined: s.examined,
        writable: s.writable.length,
        historyWritable: s.historyWritable.length,
        executable: s.executable.length,
        auditing: s.auditing ?? null,
      };
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
}
