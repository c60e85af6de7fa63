/**
 * Modbus TCP discovery, read-only and raw (MBAP frames from ./frames.ts, no library): for each unit id
 * tried, one harmless read (function 3, holding register 0, one register) tells whether a device
 * answers; for each that does, Read Device Identification (function 43/14) asks for vendor,
 * product code and revision. Any answer in the protocol counts, an exception too ("illegal data
 * address" still means a device is there), except a gateway's 0x0A/0x0B, which means "nothing
 * behind me at that unit id". Nothing is ever written; function 8 (diagnostics) is never sent.
 */
import type { Socket } from 'node:net';
import { closeSocket, exchange, ProbeFailure, type FailureKind, type ProbeIO } from '../probe-io.js';
import {
  exceptionOf,
  exceptionText,
  identificationFromObjects,
  identificationPdu,
  mbapFrame,
  mbapRequest,
  NO_DEVICE_EXCEPTIONS,
  parseIdentificationPdu,
  parseMbap,
  readPdu,
  type MbapAnswer,
  type ModbusIdentification,
} from './frames.js';

/** How the harmless read was answered. */
export type ReadAnswer = {
  function: 3;
  address: 0;
  /** 'data': registers came back; 'exception': a Modbus exception (the device is there) */
  answer: 'data' | 'exception';
  exception?: number;
  /** round trip, ms */
  ms: number;
};

export type IdentificationResult = 'ok' | 'not-supported' | 'exception' | 'no-answer' | 'garbage';

export type ModbusUnitFound = {
  unit: number;
  read: ReadAnswer;
  identification?: ModbusIdentification;
  identificationResult: IdentificationResult;
  identificationDetail?: string;
};

export type ModbusTcpProbeResult = {
  units: ModbusUnitFound[];
  /** unit ids a gateway answered with exception 0x0A/0x0B (nothing behind it there) */
  gatewayExceptions: Array<{ unit: number; exception: number }>;
  /** unit ids that got no answer (timeout, or the device closed the connection) */
  silent: number[];
  /** unit ids whose answer was not Modbus (a wrong unit id echoed, a wrong function code) */
  garbage: Array<{ unit: number; detail: string }>;
  /** connections used */
  connections: number;
};

export interface ModbusTcpProbeOptions {
  /** ids to sweep; undefined: 1, then 255 if 1 has no device */
  unitIds?: number[] | undefined;
  /** per unit id in a sweep */
  unitTimeoutMs: number;
  /**
   * The port's protocol is not known: a hang-up or garbage on the first request means "not
   * Modbus", at once, without asking more unit ids on new connections.
   */
  fingerprint?: boolean;
}

/** "Schneider Electric PM5560 v2.1" from whatever the device told. */
export function identificationName(id: ModbusIdentification | undefined): string | undefined {
  if (!id) return undefined;
  const product = id.productName ?? id.modelName ?? id.productCode;
  const parts = [id.vendor, product, id.revision ? (/^v/i.test(id.revision) ? id.revision : `v${id.revision}`) : undefined].filter(
    (s): s is string => Boolean(s),
  );
  return parts.length ? parts.join(' ') : undefined;
}

// ---------------------------------------------------------------------------------------------

class Connection {
  socket: Socket | undefined;
  transaction = 0;
  carry = { buf: Buffer.alloc(0) };
  opened = 0;
  constructor(private readonly io: ProbeIO) {}

  async get(): Promise<Socket> {
    if (this.socket && !this.socket.destroyed) return this.socket;
    this.socket = await this.io.connect();
    this.carry = { buf: Buffer.alloc(0) };
    this.opened++;
    return this.socket;
  }

  drop(): void {
    if (this.socket) closeSocket(this.socket);
    this.socket = undefined;
  }

  /** One request; stale answers to earlier (timed-out) transactions are skipped. */
  async request(unit: number, pdu: number[], timeoutMs: number, what: string): Promise<MbapAnswer> {
    const socket = await this.get();
    const tid = (this.transaction = (this.transaction + 1) & 0xffff);
    const deadline = performance.now() + timeoutMs;
    let req: Buffer | undefined = mbapRequest(tid, unit, pdu);
    for (;;) {
      const left = Math.max(1, deadline - performance.now());
      const frame = await exchange(socket, req, mbapFrame, left, what, { signal: this.io.signal, carry: this.carry });
      req = undefined;
      const answer = parseMbap(frame);
      if (answer.transaction === tid) return answer;
      this.io.debug(`${what}: skipped a late answer to transaction ${answer.transaction}`);
    }
  }
}

type UnitAnswer =
  | { kind: 'found'; read: ReadAnswer }
  | { kind: 'gateway'; exception: number }
  | { kind: 'silent'; detail: string; failure: FailureKind }
  | { kind: 'garbage'; detail: string };

async function readOne(conn: Connection, unit: number, timeoutMs: number, where: string): Promise<UnitAnswer> {
  // a failure to (re)connect is not an answer of this unit: it propagates
  await conn.get();
  const t0 = performance.now();
  let a: MbapAnswer;
  try {
    a = await conn.request(unit, readPdu(3, 0, 1), timeoutMs, `${where} unit ${unit}`);
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    if (err.kind === 'garbage') {
      conn.drop();
      return { kind: 'garbage', detail: err.message };
    }
    if (err.kind === 'timeout') return { kind: 'silent', detail: err.message, failure: err.kind };
    // closed or reset: some devices hang up on a unit id they do not serve
    conn.drop();
    return { kind: 'silent', detail: err.message, failure: err.kind };
  }
  const ms = performance.now() - t0;
  if (a.unit !== unit) return { kind: 'garbage', detail: `${where}: asked unit ${unit}, the answer came from unit ${a.unit}` };
  if (a.functionCode === 0x03 && a.pdu.length >= 2 && a.pdu[1] === a.pdu.length - 2)
    return { kind: 'found', read: { function: 3, address: 0, answer: 'data', ms: round(ms) } };
  const ex = exceptionOf(a);
  if (ex?.function === 0x03 && ex.code !== undefined) {
    const code = ex.code;
    if (NO_DEVICE_EXCEPTIONS.has(code)) return { kind: 'gateway', exception: code };
    return { kind: 'found', read: { function: 3, address: 0, answer: 'exception', exception: code, ms: round(ms) } };
  }
  return { kind: 'garbage', detail: `${where} unit ${unit}: answered function ${a.functionCode} to function 3` };
}

async function identify(
  conn: Connection,
  unit: number,
  timeoutMs: number,
  where: string,
): Promise<Pick<ModbusUnitFound, 'identification' | 'identificationResult' | 'identificationDetail'>> {
  const objects = new Map<number, string>();
  let conformity: number | undefined;
  // basic (objects 0-2), then regular (3-6) when the device says it has them
  const plan: Array<{ code: number; first: number }> = [{ code: 0x01, first: 0x00 }];
  let requests = 0;
  try {
    while (plan.length > 0 && requests < 8) {
      const step = plan.shift()!;
      let next = step.first;
      for (;;) {
        requests++;
        const a = await conn.request(unit, identificationPdu(step.code, next), timeoutMs, `${where} unit ${unit} identification`);
        const ex = exceptionOf(a);
        if (ex?.function === 0x2b) {
          const code = ex.code ?? 0;
          if (objects.size > 0) break;
          return code === 1
            ? { identificationResult: 'not-supported', identificationDetail: 'function 43/14 not supported (exception 1)' }
            : { identificationResult: 'exception', identificationDetail: exceptionText(code) };
        }
        if (a.functionCode !== 0x2b)
          return { identificationResult: 'garbage', identificationDetail: `answered function ${a.functionCode} to function 43` };
        const r = parseIdentificationPdu(a.pdu);
        conformity = r.conformity;
        for (const [k, v] of r.objects) objects.set(k, v);
        if (!r.moreFollows || r.objects.size === 0 || requests >= 8) break;
        next = r.nextObjectId;
      }
      if (step.code === 0x01 && conformity !== undefined && (conformity & 0x7f) >= 0x02 && ![3, 4, 5, 6].some((k) => objects.has(k))) {
        plan.push({ code: 0x02, first: 0x03 });
      }
    }
  } catch (err) {
    const parseError = err instanceof Error && /truncated|not a Read Device/.test(err.message);
    if (!(err instanceof ProbeFailure) && !parseError) throw err;
    const garbage = parseError || (err instanceof ProbeFailure && err.kind === 'garbage');
    if (garbage || (err instanceof ProbeFailure && err.kind !== 'timeout')) conn.drop();
    if (objects.size === 0)
      return { identificationResult: garbage ? 'garbage' : 'no-answer', identificationDetail: (err as Error).message };
  }
  return { identification: identificationFromObjects(objects, conformity), identificationResult: 'ok' };
}

/**
 * Probes a Modbus TCP port. Rejects with ProbeFailure when the port does not speak Modbus (no
 * answer to any unit id tried, or garbage on the first request).
 */
export async function probeModbusTcp(io: ProbeIO, options: ModbusTcpProbeOptions): Promise<ModbusTcpProbeResult> {
  const where = `${io.host.includes(':') ? `[${io.host}]` : io.host}:${io.port}`;
  const conn = new Connection(io);
  const sweep = options.unitIds;
  const ids = sweep ?? [1, 255];
  const timeoutFor = (i: number) => (sweep === undefined || i === 0 ? io.timeoutMs : options.unitTimeoutMs);
  const result: ModbusTcpProbeResult = { units: [], gatewayExceptions: [], silent: [], garbage: [], connections: 0 };
  let spoke = false;
  const silences: Array<{ kind: FailureKind; detail: string }> = [];
  try {
    for (const [i, unit] of ids.entries()) {
      if (io.signal.aborted) break;
      let a: UnitAnswer;
      try {
        a = await readOne(conn, unit, timeoutFor(i), where);
      } catch (err) {
        // could not even (re)connect: stop here, what was found stays found
        if (err instanceof ProbeFailure && (spoke || result.units.length > 0)) {
          result.silent.push(...ids.slice(i));
          io.debug(`${where}: ${err.message}; stopped the sweep`);
          break;
        }
        throw err;
      }
      if (a.kind === 'garbage') {
        if (!spoke && i === 0)
          throw new ProbeFailure('garbage', a.detail.includes('not this protocol') ? a.detail : `${where}: ${a.detail}`);
        result.garbage.push({ unit, detail: a.detail });
        continue;
      }
      if (a.kind === 'silent') {
        result.silent.push(unit);
        silences.push({ kind: a.failure, detail: a.detail });
        if (options.fingerprint && !spoke && i === 0 && a.failure !== 'timeout') break;
        continue;
      }
      spoke = true;
      if (a.kind === 'gateway') {
        result.gatewayExceptions.push({ unit, exception: a.exception });
        continue;
      }
      const id = await identify(conn, unit, timeoutFor(i), where);
      result.units.push({ unit, read: a.read, ...id });
      // the default strategy stops at the first unit id with a device
      if (sweep === undefined) break;
    }
  } finally {
    result.connections = conn.opened;
    conn.drop();
  }
  if (!spoke && result.units.length === 0) {
    if (result.garbage.length > 0) throw new ProbeFailure('garbage', result.garbage[0]!.detail);
    // every attempt reset, or every attempt closed: say so rather than "no answer"
    for (const kind of ['reset', 'closed'] as const) {
      if (silences.length > 0 && silences.every((x) => x.kind === kind)) throw new ProbeFailure(kind, silences[0]!.detail);
    }
    throw new ProbeFailure('timeout', `${where}: no Modbus answer from unit ${compressIds(ids)}`);
  }
  return result;
}

/** [1,2,3,5,7,8] -> "1-3,5,7-8" (each id once): unit id lists in messages and in the inventory. */
export function compressIds(ids: readonly number[]): string {
  const sorted = [...new Set(ids)].sort((a, b) => a - b);
  const out: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    out.push(i === j ? String(sorted[i]) : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
