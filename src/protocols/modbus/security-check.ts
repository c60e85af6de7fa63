/**
 * `iiot check security` on one Modbus/TCP device: a one-register read and the identification
 * objects, and with --unit-sweep the unit ids that answer; the facts judged into findings
 * (security-judge.ts).
 */
import type { ModbusTcpTarget } from '../../core/targets.js';
import type { SecurityAssessment, SecurityContext, SecuritySettings } from '../protocol.js';
import { auditModbus } from './security-audit.js';
import { judgeModbus } from './security-judge.js';

export async function assessModbus(
  target: ModbusTcpTarget,
  o: SecuritySettings,
  ctx: SecurityContext,
  base: SecurityAssessment,
): Promise<void> {
  const f = await auditModbus(target, {
    unit: o.modbus.unit,
    table: o.modbus.table,
    address: o.modbus.address,
    timeoutMs: o.timeoutMs,
    sweep: o.unitSweep,
    sweepTimeoutMs: o.sweepTimeoutMs,
    pace: ctx.pace,
    onRequest: (r) => ctx.audit(r.name, r.detail),
  });
  if (!f.read.answered) {
    base.status = 'not-assessed';
    base.reason = `the port accepted a connection but no Modbus answer came: ${f.read.reason}`;
    base.hint = 'check the unit id (?unit=N or --unit); a gateway drops requests for ids it does not serve';
    base.rulesEvaluated = [];
    return;
  }
  base.findings.push(...judgeModbus(target.url, f));
  base.facts = { unit: f.unit, read: f.read, identification: f.identification ?? null, ...(f.sweep ? { sweep: f.sweep } : {}) };
  if (f.sweep?.lostConnection) {
    base.status = 'partial';
    base.reason = `the unit-id sweep stopped after ${f.sweep.tried} ids: ${f.sweep.lostConnection}`;
  }
}
