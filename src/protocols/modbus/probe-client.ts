/**
 * A small read-only Modbus/TCP client for the checks (latency and security), node:net only.
 * Why not modbus-serial's client: the checks must know exactly which bytes reach a device (the
 * audit log records every PDU), must never be able to write or send function 8 (diagnostics,
 * which can restart a device's communication or force it listen-only), and must time a round trip
 * without a library's queueing in between. So this client can send only:
 *   FC 1/2 read coils / discrete inputs, FC 3/4 read holding / input registers,
 *   FC 43 MEI 14 read device identification.
 * Anything else is refused before it is sent: frames are written by ./frames.ts, whose
 * `mbapRequest` encodes only the functions in its allow-list (`READ_ONLY_FUNCTIONS`).
 */
import type { Socket } from 'node:net';
import { startDeadline, type Deadline } from '../../core/deadline.js';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatDuration } from '../../core/units.js';
import { openTcp } from '../tcp/connect.js';
import {
  exceptionOf,
  identificationPdu,
  mbapFrame,
  mbapRequest,
  parseMbap,
  READ_FUNCTION_NAMES,
  readIdentificationData,
  readPdu,
} from './frames.js';

export class ModbusTimeout extends IiotError {
  constructor(what: string, ms: number) {
    super(ExitCode.Unreachable, `${what}: no answer within ${formatDuration(ms)}`, {
      hint: 'check the unit id (a gateway drops requests for ids it does not serve) or give more time with --timeout',
    });
    this.name = 'ModbusTimeout';
  }
}

export class ModbusConnectionLost extends IiotError {
  constructor(what: string) {
    super(ExitCode.Unreachable, `${what}: the device closed the connection`, {
      hint: 'the device may allow fewer connections than are open, or restarted',
    });
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
  deadline: Deadline;
}

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
      p.deadline.cancel();
      this.#pending.delete(tid);
      p.reject(err);
    }
  }

  #onData(chunk: Buffer): void {
    this.#buffer = this.#buffer.length ? Buffer.concat([this.#buffer, chunk]) : chunk;
    for (;;) {
      const size = mbapFrame(this.#buffer, { loose: true });
      if (size === undefined) return;
      if (size === 'garbage') {
        // Not Modbus/TCP: drop everything rather than guess.
        this.#socket.destroy();
        this.#fail(
          new IiotError(ExitCode.Unreachable, `${this.where} answered with something that is not Modbus/TCP`, {
            hint: 'is this the Modbus port (502)?',
          }),
        );
        return;
      }
      const a = parseMbap(this.#buffer.subarray(0, size));
      this.#buffer = this.#buffer.subarray(size);
      const p = this.#pending.get(a.transaction);
      // A late answer to a request that timed out: ignored (its transaction id is no longer pending).
      if (!p) continue;
      this.#pending.delete(a.transaction);
      p.deadline.cancel();
      const ex = exceptionOf(a);
      if (ex) p.resolve({ unit: a.unit, function: ex.function, exception: ex.code, data: Buffer.alloc(0) });
      else p.resolve({ unit: a.unit, function: a.functionCode, data: Buffer.from(a.pdu.subarray(1)) });
    }
  }

  /**
   * Sends one PDU (function code first) and waits for its answer. Only read functions: anything
   * else rejects before a byte is sent (mbapRequest refuses to encode it).
   */
  request(unit: number, pdu: number[], timeoutMs: number, detail: Record<string, unknown> = {}): Promise<ModbusAnswer> {
    const fc = pdu[0]!;
    const tid = (this.#tid + 1) & 0xffff;
    let frame: Buffer;
    try {
      frame = mbapRequest(tid, unit, pdu);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    if (this.#closed !== undefined) return Promise.reject(new ModbusConnectionLost(this.where));
    this.#tid = tid;
    // a name exists: mbapRequest encodes only the named read functions
    const name = READ_FUNCTION_NAMES[fc]!;
    this.onRequest?.({ unit, function: fc, name, detail: { unit, function: fc, ...detail } });
    return new Promise<ModbusAnswer>((resolve, reject) => {
      this.#socket.write(frame);
      // from the write on; time iiot was busy is not the device's (src/core/deadline.ts)
      const deadline = startDeadline(timeoutMs, () => {
        this.#pending.delete(tid);
        reject(new ModbusTimeout(`${this.where} unit ${unit}, ${name}`, timeoutMs));
      });
      this.#pending.set(tid, { resolve, reject, deadline });
    });
  }

  /** FC 3 or 4, `quantity` registers from `address` (0-based PDU address). */
  readRegisters(unit: number, table: 'holding' | 'input', address: number, quantity: number, timeoutMs: number): Promise<ModbusAnswer> {
    return this.request(unit, readPdu(table === 'holding' ? 3 : 4, address, quantity), timeoutMs, { address, quantity });
  }

  /**
   * FC 43 / MEI 14, basic category (objects 0-2: vendor, product code, revision) and onwards as
   * long as the device says "more follows". Returns the objects, or the exception code.
   */
  async readDeviceIdentification(
    unit: number,
    timeoutMs: number,
    category: 1 | 2 = 2,
  ): Promise<{ objects: Record<number, string>; conformity?: number; exception?: number }> {
    const objects: Record<number, string> = {};
    let objectId = 0;
    let conformity: number | undefined;
    for (let guard = 0; guard < 8; guard++) {
      const answer = await this.request(unit, identificationPdu(category, objectId), timeoutMs, {
        mei: 14,
        readDeviceIdCode: category,
        objectId,
      });
      if (answer.exception !== undefined) return { objects, exception: answer.exception };
      // read as it came: a cut-off answer still shows what the device disclosed
      const r = readIdentificationData(answer.data);
      if (!r) break;
      conformity = r.conformity;
      const more = r.moreFollows;
      const next = r.nextObjectId;
      for (const [id, value] of r.objects) objects[id] = value;
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
