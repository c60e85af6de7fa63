/**
 * Modbus's judgement: what the device audit found (security-audit.ts) -> findings of the
 * "modbus-" rules (../security-rules.ts). Pure functions.
 */
import { finding, type CheckFinding } from '../security-judge.js';
import type { ModbusAuditFacts } from './security-audit.js';

export function judgeModbus(target: string, f: ModbusAuditFacts): CheckFinding[] {
  const out: CheckFinding[] = [];
  if (f.read.answered) {
    out.push(
      finding(
        'modbus-unauthenticated',
        target,
        `unit ${f.unit} answered a one-register read ${f.read.exception ? `with ${f.read.exception}` : 'with data'}, without any authentication`,
        {
          unit: f.unit,
          ...(f.read.exception ? { exception: f.read.exception } : {}),
        },
      ),
    );
  }
  const id = f.identification;
  if (id && 'objects' in id && Object.keys(id.objects).length > 0) {
    const names: Record<number, string> = {
      0: 'vendor',
      1: 'product code',
      2: 'revision',
      3: 'URL',
      4: 'product name',
      5: 'model name',
      6: 'application name',
    };
    const text = Object.entries(id.objects)
      .map(([k, v]) => `${names[Number(k)] ?? `object ${k}`} "${v}"`)
      .join(', ');
    out.push(finding('modbus-device-id', target, `function 43/14 returned ${text}`, { objects: id.objects }));
  }
  if (f.sweep) {
    out.push(
      finding(
        'modbus-unit-ids',
        target,
        `${f.sweep.answering.length} of ${f.sweep.tried} unit ids answered${f.sweep.answering.length ? `: ${f.sweep.answering.map((a) => `${a.unit}${a.answer === 'data' ? '' : ` (${a.answer})`}`).join(', ')}` : ''}${f.sweep.lostConnection ? `; the sweep stopped: ${f.sweep.lostConnection}` : ''}`,
        {
          tried: f.sweep.tried,
          answering: f.sweep.answering,
        },
      ),
    );
  }
  return out;
}
