/**
 * Modbus latency: the round trip of a one-register read (FC 3 or 4), on one connection kept open.
 * Modbus/TCP goes through the read-only probe client (node:net, Nagle off, exact timing); Modbus
 * RTU through modbus-serial's buffered RTU client on the serial port, where the round trip
 * includes both frames' transmission time at the line's baud rate and the device's turnaround.
 * An exception answer (e.g. 02, illegal data address) is still a round trip and is measured; it
 * is reported in the details so the user can pick a register that exists.
 */
import Modbus from 'modbus-serial';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { ModbusRtuTarget, ModbusTcpTarget } from '../../core/targets.js';
import type { LatencyProbe } from '../types.js';
import { exceptionTextHex } from './frames.js';
import { ModbusProbeClient, type RequestHook } from './probe-client.js';
import { answerWithin, libraryTimerOff } from './request-deadline.js';

export interface ModbusLatencyOptions {
  /** unit id (overrides the URL's) */
  unit?: number | undefined;
  table: 'holding' | 'input';
  /** 0-based PDU address */
  address: number;
  timeoutMs: number;
  onRequest?: RequestHook | undefined;
}

export function modbusTcpLatencyProbe(target: ModbusTcpTarget, o: ModbusLatencyOptions): LatencyProbe {
  let client: ModbusProbeClient | undefined;
  const unit = o.unit ?? target.unit;
  return {
    async open() {
      client = await ModbusProbeClient.connect(target.host, target.port, o.timeoutMs, o.onRequest);
      return { tcpConnectMs: client.connectMs, details: { unit, function: o.table === 'holding' ? 3 : 4, address: o.address } };
    },
    async roundTrip() {
      const c = client!;
      const t0 = performance.now();
      const a = await c.readRegisters(unit, o.table, o.address, 1, o.timeoutMs);
      const ms = performance.now() - t0;
      return a.exception === undefined ? { ms } : { ms, details: { exception: exceptionTextHex(a.exception) } };
    },
    async close() {
      await client?.close();
      client = undefined;
    },
  };
}

interface RtuClient {
  connectRTUBuffered(path: string, options: Record<string, unknown>): Promise<void>;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readInputRegisters(address: number, length: number): Promise<{ data: number[] }>;
  close(cb: () => void): void;
  isOpen: boolean;
}

export function modbusRtuLatencyProbe(target: ModbusRtuTarget, o: ModbusLatencyOptions): LatencyProbe {
  const ModbusRTU = (Modbus as unknown as { default?: new () => RtuClient }).default ?? (Modbus as unknown as new () => RtuClient);
  let client: RtuClient | undefined;
  const unit = o.unit ?? target.unit;
  return {
    async open() {
      const c = new ModbusRTU();
      const t0 = performance.now();
      try {
        await c.connectRTUBuffered(target.path, {
          baudRate: target.baud,
          parity: target.parity,
          dataBits: target.dataBits,
          stopBits: target.stopBits,
        });
      } catch (err) {
        throw new IiotError(
          ExitCode.Unreachable,
          `cannot open serial port ${target.path}: ${(err as Error).message.split('\n')[0]!.replace(/^Error: /, '')}`,
          {
            hint: 'check the path (ls /dev/tty*), that no other program holds it, and that you may open it (dialout group)',
          },
        );
      }
      c.setID(unit);
      // bounded by answerWithin instead (./request-deadline.ts)
      libraryTimerOff(c);
      client = c;
      return {
        setupMs: performance.now() - t0,
        details: { unit, function: o.table === 'holding' ? 3 : 4, address: o.address, baud: target.baud },
      };
    },
    async roundTrip() {
      const c = client!;
      o.onRequest?.({
        unit,
        function: o.table === 'holding' ? 3 : 4,
        name: o.table === 'holding' ? 'read holding registers' : 'read input registers',
        detail: { unit, address: o.address, quantity: 1 },
      });
      const t0 = performance.now();
      try {
        await answerWithin(o.table === 'holding' ? c.readHoldingRegisters(o.address, 1) : c.readInputRegisters(o.address, 1), o.timeoutMs);
        return { ms: performance.now() - t0 };
      } catch (err) {
        const code = (err as { modbusCode?: number }).modbusCode;
        if (typeof code === 'number') return { ms: performance.now() - t0, details: { exception: exceptionTextHex(code) } };
        throw err;
      }
    },
    async close() {
      const c = client;
      client = undefined;
      if (c?.isOpen) await new Promise<void>((resolve) => c.close(() => resolve()));
    },
  };
}
