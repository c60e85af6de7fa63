/**
 * A small read-only Modbus/TCP client for the checks (latency and security), node:net only.
 * Why not modbus-serial's client: the checks must know exactly which bytes reach a device (the
 * audit log records every PDU), must never be able to write or send function 8 (diagnostics,
 * which can restart a device's communication or force it listen-only), and must time a round trip
 * without a library's queueing in between. So this client can send only:
 *   FC 1/2 read coils / discrete inputs, FC 3/4 read holding / input registers,
 *   FC 43 MEI 14 read device identification.
 * Anything else is refused before it is sent (`READ_ONLY_FUNCTIONS`).
 * Frames: MBAP header (transaction id, protocol 0, length, unit id) + PDU (Modbus Application
 * Protocol v1.1b3, Modbus Messaging on TCP/IP Implementation Guide v1.0b).
 */
import type { Socket } from 'node:net';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDuration } from '../../core/units.js';
import { openTcp } from '../tcp/connect.js';

export const READ_ONLY_FUNCTIONS: ReadonlySet<number> = new Set([1, 2, 3, 4, 43]);

const EXCEPTIONS: Record<number, string> = {
  1: 'illegal function',
  2: 'illegal data address',
  3: 'illegal data value',
  4: 'server device failure',
  5: 'acknowledge',
  6: 'server device busy',
  8: 'memory parity error',
  10: 'gateway path unavailable',
  11: 'gateway target device failed to respond',
};

export function exceptionText(code: number): string {
  return `exception ${code.toString(16).padStart(2, '0')} (${EXCEPTIONS[code] ?? 'unknown'})`;
}

export class ModbusTimeout extends IiotError {
  constructor(what: string, ms: number) {
    super(ExitCode.Unreachable, `${what}: no answer within ${formatDuration(ms)}`, { hint: 'check the unit id (a gateway drops requests for ids it does not serve) or give more time with --timeout' });
    this.name = 'ModbusTimeout';
  }
}

export class ModbusConnectionLost extends IiotError {
  constructor(what: string) {
    super(ExitCode.Unreachable, `${what}: the device closed the connection`, { hint: 'the device may allow fewer connections than are open, or restarted' });
    this.name = 'ModbusConnectionLost';
  }
}

export interface ModbusAnswer {
  unit: number;
  function: number;
  /** exception code when the device answered with an exception */
  exception?: number | undefined;
  /** the PDU's data after the function code */
  data: Buffer;
}

export interface RequestHook {
  (request: { unit: number; function: number; name: string; detail: Record<string, unknown> }): void;
}

interface Pending {
  resolve: (a: ModbusAnswer) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const FUNCTION_NAMES: Record<number, string> = {
  1: 'read coils',
  2: 'read discrete inputs',
  3: 'read holding registers',
  4: 'read input registers',
  43: 'read device identification',
};

export class ModbusProbeClient {
  #socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #tid = 0;
  #pending = new Map<number, Pending>();
  #closed: string | undefined;
  readonly connectMs: number;

  private constructor(
    socket: Socket,
    connectMs: number,
    readonly where: string,
    private readonly onRequest?: RequestHook,
  ) {
    this.#socket = socket;
    this.connectMs = connectMs;
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', () => {});
    socket.on('close', () => this.#fail(new ModbusConnectionLost(where)));
  }

  static async connect(host: string, port: number, timeoutMs: number, onRequest?: RequestHook): Promise<ModbusProbeClient> {
    onRequest?.({ unit: 0, function: 0, name: 'TCP connect', detail: { host, port } });
    const { socket, connectMs } = await openTcp(host, port, timeoutMs);
    return new ModbusProbeClient(socket, connectMs, `modbus://${host.includes(':') ? `[${host}]` : host}:${port}`, onRequest);
  }

  get lost(): string | undefined {
    return this.#closed;
  }

  #fail(err: Error): void {
    this.#closed ??= err.message;
    for (const [tid, p] of this.#pending) {
      clearTimeout(p.timer);
      this.#pending.delete(tid);
      p.reject(err);
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    while (this.#buffer.length >= 7) {
      const length = this.#buffer.readUInt16BE(4);
      if (length < 2 || length > 254) {
        // Not Modbus/TCP: drop everything rather than guess.
        this.#socket.destroy();
        this.#fail(new IiotError(ExitCode.Unreachable, `${this.where} answered with something that is not Modbus/TCP`, { hint: 'is this the Modbus port (502)?' }));
        return;
      }
      const total = 6 + length;
      if (this.#buffer.length < total) return;
      const frame = this.#buffer.subarray(0, total);
      this.#buffer = this.#buffer.subarray(total);
      const tid = frame.readUInt16BE(0);
      const p = this.#pending.get(tid);
      // A late answer to a request that timed out: ignored (its transaction id is no longer pending).
      if (!p) continue;
      this.#pending.delete(tid);
      clearTimeout(p.timer);
      const fc = frame[7]!;
      const unit = frame[6]!;
      if (fc & 0x80) p.resolve({ unit, function: fc & 0x7f, exception: frame[8], data: Buffer.alloc(0) });
      else p.resolve({ unit, function: fc, data: Buffer.from(frame.subarray(8)) });
    }
  }

  /** Sends one PDU (function code + data) and waits for its answer. Only read functions. */
  request(unit: number, fc: number, data: Buffer, timeoutMs: number, detail: Record<string, unknown> = {}): Promise<ModbusAnswer> {
    if (!READ_ONLY_FUNCTIONS.has(fc)) {
      return Promise.reject(new IiotError(ExitCode.Internal, `refusing to send Modbus function ${fc}: the checks only read`));
    }
    if (this.#closed !== undefined) return Promise.reject(new ModbusConnectionLost(this.where));
    this.#tid = (this.#tid + 1) & 0xffff;
    const tid = this.#tid;
    const frame = Buffer.alloc(8 + data.length);
    frame.writeUInt16BE(tid, 0);
    frame.writeUInt16BE(0, 2);
    frame.writeUInt16BE(2 + data.length, 4);
    frame[6] = unit;
    frame[7] = fc;
    data.copy(frame, 8);
    this.onRequest?.({ unit, function: fc, name: FUNCTION_NAMES[fc] ?? `function ${fc}`, detail: { unit, function: fc, ...detail } });
    return new Promise<ModbusAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(tid);
        reject(new ModbusTimeout(`${this.where} unit ${unit}, ${FUNCTION_NAMES[fc] ?? `function ${fc}`}`, timeoutMs));
      }, timeoutMs);
      this.#pending.set(tid, { resolve, reject, timer });
      this.#socket.write(frame);
    });
  }

  /** FC 3 or 4, `quantity` registers from `address` (0-based PDU address). */
  readRegisters(unit: number, table: 'holding' | 'input', address: number, quantity: number, timeoutMs: number): Promise<ModbusAnswer> {
    const data = Buffer.alloc(4);
    data.writeUInt16BE(address, 0);
    data.writeUInt16BE(quantity, 2);
    return this.request(unit, table === 'holding' ? 3 : 4, data, timeoutMs, { address, quantity });
  }

  /**
   * FC 43 / MEI 14, basic category (objects 0-2: vendor, product code, revision) and onwards as
   * long as the device says "more follows". Returns the objects, or the exception code.
   */
  async readDeviceIdentification(unit: number, timeoutMs: number, category: 1 | 2 = 2): Promise<{ objects: Record<number, string>; conformity?: number; exception?: number }> {
    const objects: Record<number, string> = {};
    let objectId = 0;
    let conformity: number | undefined;
    for (let guard = 0; guard < 8; guard++) {
      const answer = await this.request(unit, 43, Buffer.from([0x0e, category, objectId]), timeoutMs, { mei: 14, readDeviceIdCode: category, objectId });
      if (answer.exception !== undefined) return { objects, exception: answer.exception };
      const d = answer.data;
      // MEI type, read device id code, conformity level, more follows, next object id, number of objects
      if (d.length < 6 || d[0] !== 0x0e) break;
      conformity = d[2];
      const more = d[3] === 0xff;
      const next = d[4]!;
      const count = d[5]!;
      let pos = 6;
      for (let i = 0; i < count && pos + 2 <= d.length; i++) {
        const id = d[pos]!;
        const len = d[pos + 1]!;
        objects[id] = d.subarray(pos + 2, pos + 2 + len).toString('latin1');
        pos += 2 + len;
      }
      if (!more || next <= objectId) break;
      objectId = next;
    }
    return { objects, ...(conformity === undefined ? {} : { conformity }) };
  }

  async close(): Promise<void> {
    this.#closed ??= 'closed by iiot';
    await new Promise<void>((resolve) => {
      if (this.#socket.destroyed) return resolve();
      this.#socket.once('close', () => resolve());
      this.#socket.end();
      setTimeout(() => {
        this.#socket.destroy();
        resolve();
      }, 500).unref();
    });
  }
}
