import { isAbsolute, resolve } from 'node:path';
import Modbus from 'modbus-serial';
import type { IServiceVector } from 'modbus-serial';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { formatHost } from '../../core/targets.js';
import { freePort, listenError } from '../listen.js';
import { GATEWAY_TARGET_FAILED, ModbusException, RegisterImage, type ModbusUnit } from './register-image.js';

/**
 * Modbus servers over modbus-serial: TCP with several unit ids behind one port (like a gateway),
 * and RTU on a serial line with one unit id. Values come from each unit's read() at request time.
 */

export interface RunningModbusServer {
  /** modbus://host:port (TCP) or modbus-rtu:///path?baud=...&unit=N (RTU) */
  readonly url: string;
  stop(): Promise<void>;
}

export interface ModbusTcpOptions {
  host: string;
  /** 0 = a free port */
  port: number;
  units: ModbusUnit[];
  /**
   * Requests for a unit id that is not configured: answer exception 0x0B "gateway target device
   * failed to respond" as a TCP gateway does (default), or stay silent as a single device does.
   */
  unknownUnit?: 'gateway-exception' | 'ignore';
}

export interface RunningModbusTcpServer extends RunningModbusServer {
  readonly host: string;
  readonly port: number;
}

const { ServerTCP, ServerSerial } = Modbus as unknown as {
  ServerTCP: new (vector: IServiceVector, options: { host: string; port: number; unitID?: number }) => ModbusServerLike;
  ServerSerial: new (vector: IServiceVector, options: Record<string, unknown>, serialOptions?: Record<string, unknown>) => ModbusServerLike;
};

interface ModbusServerLike {
  on(event: string, listener: (...args: unknown[]) => void): unknown;
  once(event: string, listener: (...args: unknown[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
  close(cb: (err?: Error | null) => void): void;
}

type Callback<T> = (err: Error | null, value?: T) => void;

/** The service vector modbus-serial calls; one per server, dispatching on the request's unit id. */
function makeVector(units: ModbusUnit[], unknownUnit: 'gateway-exception' | 'ignore'): IServiceVector & Record<string, unknown> {
  const images = new Map(units.map((u) => [u.unitId, new RegisterImage(u)]));
  const image = (unitID: number): RegisterImage => {
    const img = images.get(unitID);
    if (img) return img;
    if (unknownUnit === 'ignore') throw SILENT;
    throw new ModbusException(GATEWAY_TARGET_FAILED, `no unit ${unitID}`);
  };
  // Callback style throughout (modbus-serial decides by arity: 3 arguments for get*, 4 for
  // getMultiple* and set*), because only a callback that is never called makes a silent device:
  // a returned value or promise always produces some answer.
  // `onError` is what accompanies an error: modbus-serial indexes the values of a failed
  // getMultiple* call before looking at the error, so those get an empty array.
  const run = <T>(cb: Callback<T>, fn: () => T, onError?: T): void => {
    let value: T;
    try {
      value = fn();
    } catch (err) {
      if (err !== SILENT) cb(err as Error, onError);
      return;
    }
    cb(null, value);
  };
  return {
    getCoil: (addr: number, unitID: number, cb: Callback<boolean>) => run(cb, () => image(unitID).readBit('coil', addr)),
    getDiscreteInput: (addr: number, unitID: number, cb: Callback<boolean>) => run(cb, () => image(unitID).readBit('discrete', addr)),
    getInputRegister: (addr: number, unitID: number, cb: Callback<number>) =>
      run(cb, () => image(unitID).readRegisters('input', addr, 1)[0]!),
    getHoldingRegister: (addr: number, unitID: number, cb: Callback<number>) =>
      run(cb, () => image(unitID).readRegisters('holding', addr, 1)[0]!),
    getMultipleInputRegisters: (addr: number, length: number, unitID: number, cb: Callback<number[]>) =>
      run(cb, () => image(unitID).readRegisters('input', addr, length), []),
    getMultipleHoldingRegisters: (addr: number, length: number, unitID: number, cb: Callback<number[]>) =>
      run(cb, () => image(unitID).readRegisters('holding', addr, length), []),
    setRegister: (addr: number, value: number, unitID: number, cb: Callback<void>) =>
      run(cb, () => image(unitID).writeRegisters(addr, [value])),
    setRegisterArray: (addr: number, values: number[], unitID: number, cb: Callback<void>) =>
      run(cb, () => image(unitID).writeRegisters(addr, values)),
    setCoil: (addr: number, value: boolean, unitID: number, cb: Callback<void>) => run(cb, () => image(unitID).writeCoil(addr, value)),
    // FC43/14 has no callback form: a promise that never settles is the silent answer.
    readDeviceIdentification: (unitID: number) => {
      try {
        return image(unitID).identification();
      } catch (err) {
        if (err === SILENT) return new Promise<never>(() => {});
        throw err;
      }
    },
  } as IServiceVector & Record<string, unknown>;
}

const SILENT = Symbol('silent');

/** Starts a Modbus TCP server; a port in use is a usage error naming it (exit 2). */
export async function startModbusTcpServer(options: ModbusTcpOptions): Promise<RunningModbusTcpServer> {
  const vector = makeVector(options.units, options.unknownUnit ?? 'gateway-exception');
  // Port 0 is not supported by ServerTCP: ask the OS for a free port, and retry if it is taken
  // between asking and listening.
  for (let attempt = 0; ; attempt++) {
    let port = options.port;
    try {
      if (options.port === 0) port = await freePort(options.host);
      const server = await listenTcp(vector, options.host, port);
      return {
        url: `modbus://${formatHost(options.host)}:${port}`,
        host: options.host,
        port,
        stop: () => closeServer(server),
      };
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' && options.port === 0 && attempt < 5) continue;
      throw listenError(err, 'Modbus TCP', options.host, port);
    }
  }
}

function listenTcp(vector: IServiceVector, host: string, port: number): Promise<ModbusServerLike> {
  return new Promise((resolve, reject) => {
    const server = new ServerTCP(vector, { host, port, unitID: 255 });
    // Clients that reset the connection are normal; nothing to report.
    server.on('socketError', () => {});
    server.on('error', () => {});
    server.once('serverError', (err) => {
      server.close(() => reject(err));
    });
    server.once('initialized', () => {
      server.removeAllListeners('serverError');
      server.on('serverError', () => {});
      resolve(server);
    });
  });
}

export interface ModbusRtuOptions {
  /** serial device, e.g. /dev/ttyUSB0 or a socat pty */
  path: string;
  baudRate: number;
  parity: 'none' | 'even' | 'odd' | 'mark' | 'space';
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  unit: ModbusUnit;
  /** silence (ms) that ends a request frame; modbus-serial's default 30 ms is slow at high baud rates */
  interFrameMs?: number;
}

/** Serves one unit on a serial line. A missing or busy port is a usage error naming it. */
export async function startModbusRtuServer(options: ModbusRtuOptions): Promise<RunningModbusServer> {
  const vector = makeVector([options.unit], 'ignore');
  const server = await new Promise<ModbusServerLike>((resolve, reject) => {
    let settled = false;
    const s: ModbusServerLike = new ServerSerial(
      vector,
      {
        path: options.path,
        baudRate: options.baudRate,
        parity: options.parity,
        // A serial device answers only its own id: anything else on the bus is for someone else.
        unitID: options.unit.unitId,
        interval: options.interFrameMs ?? defaultInterFrameMs(options.baudRate),
        // With an open callback serialport reports open errors here instead of printing them.
        openCallback: (err: Error | null) => {
          if (settled) return;
          settled = true;
          if (err) reject(err);
          else resolve(s);
        },
      },
      { dataBits: options.dataBits ?? 8, stopBits: options.stopBits ?? 1 },
    );
    s.on('socketError', () => {});
    s.on('error', () => {});
  }).catch((err: unknown) => {
    throw new IiotError(ExitCode.Usage, `cannot open serial port ${options.path}: ${(err as Error).message}`, {
      hint: 'check the path (ls /dev/tty*), that no other program holds it, and that you may open it (dialout group)',
      cause: err,
    });
  });
  const { path, baudRate, parity } = options;
  return {
    // A relative path ("ttyB" next to a socat link) is made absolute: the URL names one port wherever it is read.
    url: `modbus-rtu://${/^COM\d+$/i.test(path) || isAbsolute(path) ? path : resolve(path)}?baud=${baudRate}&parity=${parity}&unit=${options.unit.unitId}`,
    stop: () => closeServer(server),
  };
}

/**
 * Frames end after 3.5 character times of silence (Modbus over serial line, 2.3.1); modbus-serial
 * waits a fixed interval instead. A few character times plus scheduling slack, at least 5 ms.
 */
export function defaultInterFrameMs(baudRate: number): number {
  const charMs = (11 * 1000) / baudRate;
  return Math.max(5, Math.ceil(charMs * 3.5 + 3));
}

function closeServer(server: ModbusServerLike): Promise<void> {
  return new Promise((resolve) => {
    try {
      server.close(() => resolve());
    } catch {
      resolve();
    }
  });
}
