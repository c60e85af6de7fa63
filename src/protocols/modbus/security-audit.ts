/**
 * What the Modbus security check learns, read-only, on one connection: does the device answer a
 * one-register read (there is no authentication in Modbus/TCP: whoever can reach the port can
 * also write), does it disclose its identity through function 43/14, and, only when asked, which
 * unit ids answer behind the address. Never a write, never function 8 (the probe client cannot
 * send either). The judgement (rules, severities) is in src/checks/security.
 */
import type { ModbusTcpTarget } from '../../core/targets.js';
import { exceptionTextHex, NO_DEVICE_EXCEPTIONS } from './frames.js';
import { ModbusProbeClient, ModbusTimeout, type RequestHook } from './probe-client.js';

export interface ModbusAuditOptions {
  unit?: number | undefined;
  table: 'holding' | 'input';
  address: number;
  timeoutMs: number;
  /** unit ids to try one by one (opt-in `--unit-sweep`) */
  sweep?: readonly number[] | undefined;
  sweepTimeoutMs?: number | undefined;
  /** called before every request: the rate cap */
  pace: () => Promise<void>;
  onRequest?: RequestHook | undefined;
}

export interface ModbusAuditFacts {
  connectMs: number;
  unit: number;
  /** the read's outcome: data, an exception, or nothing */
  read: { answered: true; exception?: string | undefined } | { answered: false; reason: string };
  identification?: { objects: Record<number, string>; conformity?: number | undefined } | { exception: string } | { unanswered: string };
  sweep?: { tried: number; answering: Array<{ unit: number; answer: string }>; lostConnection?: string | undefined };
}

export async function auditModbus(target: ModbusTcpTarget, o: ModbusAuditOptions): Promise<ModbusAuditFacts> {
  await o.pace();
  const client = await ModbusProbeClient.connect(target.host, target.port, o.timeoutMs, o.onRequest);
  const unit = o.unit ?? target.unit;
  try {
    const facts: ModbusAuditFacts = { connectMs: client.connectMs, unit, read: { answered: false, reason: '' } };
    await o.pace();
    try {
      const a = await client.readRegisters(unit, o.table, o.address, 1, o.timeoutMs);
      facts.read = { answered: true, ...(a.exception === undefined ? {} : { exception: exceptionTextHex(a.exception) }) };
    } catch (err) {
      facts.read = { answered: false, reason: (err as Error).message };
      return facts;
    }
    await o.pace();
    try {
      const id = await client.readDeviceIdentification(unit, o.timeoutMs);
      facts.identification =
        id.exception !== undefined ? { exception: exceptionTextHex(id.exception) } : { objects: id.objects, conformity: id.conformity };
    } catch (err) {
      if (!(err instanceof ModbusTimeout)) throw err;
      facts.identification = { unanswered: err.message };
    }
    if (o.sweep && o.sweep.length > 0) {
      const answering: Array<{ unit: number; answer: string }> = [];
      let lostConnection: string | undefined;
      let tried = 0;
      for (const u of o.sweep) {
        if (client.lost !== undefined) {
          lostConnection = client.lost;
          break;
        }
        await o.pace();
        tried++;
        try {
          const a = await client.readRegisters(u, o.table, o.address, 1, o.sweepTimeoutMs ?? 250);
          if (a.exception === undefined) answering.push({ unit: u, answer: 'data' });
          else if (!NO_DEVICE_EXCEPTIONS.has(a.exception)) answering.push({ unit: u, answer: exceptionTextHex(a.exception) });
        } catch (err) {
          if (!(err instanceof ModbusTimeout)) {
            lostConnection = (err as Error).message;
            break;
          }
        }
      }
      facts.sweep = { tried, answering, ...(lostConnection === undefined ? {} : { lostConnection }) };
    }
    return facts;
  } finally {
    await client.close();
  }
}
