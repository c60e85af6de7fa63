/**
 * A Modbus master link over modbus-serial (TCP, or RTU on a serial port): one request at a time,
 * each bounded by a timeout. modbus-serial needs both: its default timeout is null (an unanswered
 * request never settles), and requests sent while one is outstanding get mixed up on a serial
 * line. Errors come back classified: a Modbus exception (the device answered "no"), a timeout (no
 * answer), or a lost connection.
 *
 * The timeouts are iiot's own (src/core/deadline.ts), not modbus-serial's: its TCP connect timeout
 * (socket.setTimeout) and its per-request timer are plain timers, which expire while iiot is busy
 * (loading node-opcua for another source of the same recording) even though the device answered
 * in time. So the TCP connection is opened by ../tcp/connect.ts and handed over (linkTCP), and
 * modbus-serial's request timer stays off: every request is bounded by ./request-deadline.ts.
 */
import Modbus from 'modbus-serial';
import { IiotError, unreachableError, usageError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { ModbusRtuTarget, ModbusTcpTarget } from '../../core/targets.js';
import { ConnectError, openTcp } from '../tcp/connect.js';
import { EXCEPTION_NAMES } from './frames.js';
import type { ReadRequest } from './planner.js';
import { answerWithin, libraryTimerOff } from './request-deadline.js';

const ModbusRTU = Modbus.default;
type Client = InstanceType<typeof ModbusRTU>;

/**
 * "IllegalDataAddress": the exception's name as this link has always written it in its messages
 * (words from the one table in ./frames.ts, joined in PascalCase).
 */
function exceptionName(code: number): string {
  const words = EXCEPTION_NAMES[code];
  return words === undefined ? `Exception${code}` : words.replace(/(?:^| )(\w)/g, (_, c: string) => c.toUpperCase());
}

export class ModbusReadError extends Error {
  constructor(
    readonly kind: 'exception' | 'timeout' | 'connection',
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'ModbusReadError';
  }
}

export interface ModbusLink {
  readonly url: string;
  readonly isOpen: boolean;
  /** one read; rejects with a ModbusReadError */
  read(req: ReadRequest): Promise<number[]>;
  /** called once when the connection closes by itself */
  onClose(listener: () => void): void;
  close(): Promise<void>;
  /** requests sent on this link */
  readonly requests: number;
}

export interface LinkOptions {
  /** longest wait for one answer */
  timeoutMs: number;
  /** longest wait for the TCP connection or opening the port */
  connectTimeoutMs?: number;
}

export async function openModbusLink(target: ModbusTcpTarget | ModbusRtuTarget, opts: LinkOptions): Promise<ModbusLink> {
  const client: Client = new ModbusRTU();
  // without a listener an 'error' event would end the process
  client.on('error', () => undefined);
  try {
    if (target.protocol === 'modbus') {
      const { socket } = await openTcp(target.host, target.port, opts.connectTimeoutMs ?? opts.timeoutMs);
      await client.linkTCP(socket, { port: target.port });
    } else {
      await client.connectRTUBuffered(target.path, {
        baudRate: target.baud,
        parity: target.parity,
        dataBits: target.dataBits,
        stopBits: target.stopBits,
      });
    }
  } catch (err) {
    await closeQuietly(client);
    throw connectError(target, err);
  }
  client.setID(target.unit);
  // modbus-serial's own request timer off: answerWithin bounds every request (see the top)
  libraryTimerOff(client);
  let open = true;
  let requests = 0;
  const closeListeners: Array<() => void> = [];
  client.on('close', () => {
    if (!open) return;
    open = false;
    for (const l of closeListeners) l();
  });
  let chain: Promise<unknown> = Promise.resolve();
  const one = async (req: ReadRequest): Promise<number[]> => {
    if (!open || !client.isOpen) throw new ModbusReadError('connection', `${target.url}: the connection is closed`);
    requests++;
    const call = (): Promise<{ data: Array<number | boolean> }> => {
      switch (req.functionCode) {
        case 1:
          return client.readCoils(req.address, req.length);
        case 2:
          return client.readDiscreteInputs(req.address, req.length);
        case 3:
          return client.readHoldingRegisters(req.address, req.length);
        case 4:
          return client.readInputRegisters(req.address, req.length);
      }
    };
    try {
      // modbus-serial writes the request now (one at a time: the chain below), so the deadline
      // starts when it was written
      const r = await answerWithin(call(), opts.timeoutMs);
      return r.data.slice(0, req.length).map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : x));
    } catch (err) {
      throw classify(err, target.url);
    }
  };
  return {
    url: target.url,
    get isOpen() {
      return open && client.isOpen;
    },
    get requests() {
      return requests;
    },
    read(req) {
      const p = chain.then(() => one(req));
      chain = p.catch(() => undefined);
      return p;
    },
    onClose(l) {
      closeListeners.push(l);
    },
    close: async () => {
      open = false;
      await closeQuietly(client);
    },
  };
}

function classify(err: unknown, url: string): ModbusReadError {
  if (err instanceof ModbusReadError) return err;
  const e = err as { modbusCode?: number; name?: string; errno?: string; message?: string; code?: string };
  if (typeof e.modbusCode === 'number') {
    return new ModbusReadError('exception', `exception ${e.modbusCode} (${exceptionName(e.modbusCode)})`, e.modbusCode);
  }
  if (e.name === 'TransactionTimedOutError' || e.errno === 'ETIMEDOUT') {
    return new ModbusReadError('timeout', 'no answer (timed out)');
  }
  return new ModbusReadError('connection', `${url}: ${e.message ?? String(err)}`);
}

function connectError(target: ModbusTcpTarget | ModbusRtuTarget, err: unknown): IiotError {
  if (err instanceof IiotError && !(err instanceof ConnectError)) return err;
  const e = err as { message?: string; code?: string; errno?: string };
  const text = `${e.message ?? ''} ${e.code ?? ''} ${e.errno ?? ''}`;
  if (target.protocol === 'modbus-rtu') {
    if (/ENOENT|No such file/i.test(text)) {
      return usageError(
        `serial port ${target.path} does not exist`,
        'check the path (ls /dev/ttyUSB* /dev/ttyACM* /dev/serial/by-id/); is the USB-RS485 adapter plugged in?',
      );
    }
    if (/EACCES|Permission denied/i.test(text)) {
      return usageError(
        `not allowed to open serial port ${target.path}`,
        'add your user to the dialout group (sudo usermod -aG dialout $USER, then log in again)',
      );
    }
    if (/EBUSY|Resource busy|lock/i.test(text)) {
      return usageError(
        `serial port ${target.path} is in use by another program`,
        'close the other program (another iiot, a terminal, ModemManager) and try again',
      );
    }
    return new IiotError(ExitCode.Usage, `cannot open serial port ${target.path}: ${(e.message ?? String(err)).split('\n')[0]}`, {
      hint: 'check the path and that no other program holds the port',
      cause: err,
    });
  }
  const where = `${target.host}:${target.port}`;
  if (/ECONNREFUSED/.test(text))
    return unreachableError(
      `nothing is listening at ${where} (connection refused)`,
      'is the device on, and is this its Modbus TCP port? (the standard port is 502)',
      err,
    );
  if (/EHOSTUNREACH|ENETUNREACH/.test(text))
    return unreachableError(`no route to ${where}`, 'check the network cable, VLAN and IP settings of this computer', err);
  if (/ENOTFOUND|EAI_AGAIN/.test(text))
    return unreachableError(`cannot resolve ${target.host}`, 'check the spelling, or use the IP address', err);
  if (/timed out|ETIMEDOUT/i.test(text))
    return unreachableError(
      `no answer from ${where} (connection timed out)`,
      'the device is off or a firewall drops the traffic; check the address',
      err,
    );
  return unreachableError(
    `cannot connect to ${target.url}: ${(e.message ?? String(err)).split('\n')[0]}`,
    'check the address and port',
    err,
  );
}

function closeQuietly(client: Client): Promise<void> {
  return new Promise((resolve) => {
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      // close() only ends our side (and modbus-serial may call back at once): a device that
      // never closes its side would keep the socket, and the process, alive. The FIN is queued.
      try {
        client.destroy(() => undefined);
      } catch {
        // being thrown away anyway
      }
      resolve();
    };
    const timer = setTimeout(finish, 1000);
    try {
      client.close(finish);
    } catch {
      finish();
    }
  });
}
