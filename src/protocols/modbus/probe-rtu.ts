/**
 * Modbus RTU discovery on a serial line: for each baud rate and parity asked, open the port with
 * those settings and ask every unit id for one holding register (function 3, address 0, a harmless
 * read); a unit that answers, with data or an exception, is a device at those settings, and is then
 * asked for its identification (function 43/14). modbus-serial's buffered RTU client frames the
 * answers by their expected length; the master keeps the line silent for 3.5 character times
 * between frames (1.75 ms above 19200 baud, Modbus over serial line 2.5.1.1), and waits for each
 * answer no longer than the frames need plus the device's turnaround time.
 */
import { stat } from 'node:fs/promises';
import Modbus from 'modbus-serial';
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import type { Parity } from '../../core/targets.js';
import { identificationFromObjects, type ModbusIdentification } from './frames.js';
import type { IdentificationResult } from './probe.js';
import { answerWithin, libraryTimerOff } from './request-deadline.js';

export type RtuSetting = {
  baud: number;
  parity: Parity;
  dataBits: 7 | 8;
  stopBits: 1 | 2;
};

export type RtuTiming = {
  /** one character on the wire, ms */
  charMs: number;
  /** the silence that separates frames, ms */
  interFrameMs: number;
  /** the 8-byte request and the 7-byte answer of the probe read, ms */
  requestMs: number;
  responseMs: number;
  /** how long the master waits for an answer to one unit id, ms */
  unitTimeoutMs: number;
};

/** Bits per character: start + data + parity + stop. */
export function charBits(s: Pick<RtuSetting, 'dataBits' | 'parity' | 'stopBits'>): number {
  return 1 + s.dataBits + (s.parity === 'none' ? 0 : 1) + s.stopBits;
}

/**
 * Frame times of the probe read at a setting, and the per-unit timeout: request + silence +
 * turnaround + answer + silence (or the user's --unit-timeout).
 */
export function rtuTiming(s: RtuSetting, turnaroundMs = 100, unitTimeoutMs?: number): RtuTiming {
  const charMs = (charBits(s) * 1000) / s.baud;
  const interFrameMs = s.baud > 19200 ? 1.75 : 3.5 * charMs;
  const requestMs = 8 * charMs;
  const responseMs = 7 * charMs;
  return {
    charMs,
    interFrameMs,
    requestMs,
    responseMs,
    unitTimeoutMs: unitTimeoutMs ?? Math.ceil(requestMs + interFrameMs + turnaroundMs + responseMs + interFrameMs),
  };
}

export type RtuUnitFound = {
  unit: number;
  setting: RtuSetting;
  read: { function: 3; address: 0; answer: 'data' | 'exception'; exception?: number; ms: number };
  identification?: ModbusIdentification;
  identificationResult: IdentificationResult;
  identificationDetail?: string;
};

export type RtuSettingSummary = {
  setting: RtuSetting;
  timing: RtuTiming;
  unitIds: number;
  answered: number[];
  garbage: number[];
  ms: number;
};

export type RtuScanResult = {
  path: string;
  settings: RtuSettingSummary[];
  found: RtuUnitFound[];
  /** a frame came back but was corrupt (bad CRC, wrong length): wrong settings, or noise */
  garbage: Array<{ unit: number; setting: RtuSetting; detail: string }>;
  /** false when interrupted */
  complete: boolean;
};

export interface RtuScanOptions {
  path: string;
  settings: RtuSetting[];
  unitIds: number[];
  /** overrides the computed per-unit timeout */
  unitTimeoutMs?: number | undefined;
  /** the device's think time allowed for in the computed timeout (default 100 ms) */
  turnaroundMs?: number;
  signal: AbortSignal;
  /** one call per unit id tried */
  onProgress?: (setting: RtuSetting, unit: number) => void;
  debug?: (line: string) => void;
}

interface RtuClient {
  connectRTUBuffered(path: string, options: Record<string, unknown>): Promise<void>;
  setID(id: number): void;
  setTimeout(ms: number): void;
  readHoldingRegisters(address: number, length: number): Promise<{ data: number[] }>;
  readDeviceIdentification(code: number, objectId: number): Promise<{ data: Record<string, string>; conformityLevel: number }>;
  close(cb: (err?: unknown) => void): void;
  isOpen: boolean;
}

const ModbusRTU = ((Modbus as unknown as { default?: unknown }).default ?? Modbus) as new () => RtuClient;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function settingText(s: RtuSetting): string {
  return `${s.baud} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

/** A serial port that cannot be opened, said plainly (exit 2: nothing was sent). */
export function serialOpenError(path: string, err: unknown): IiotError {
  const text = err instanceof Error ? err.message : String(err);
  if (/ENOENT|No such file/i.test(text)) {
    return new IiotError(ExitCode.Usage, `serial port ${path} does not exist`, {
      hint: 'check the path: ls /dev/ttyUSB* /dev/ttyACM* /dev/serial/by-id/ (is the adapter plugged in?)',
      cause: err,
    });
  }
  if (/lock|EBUSY|Resource temporarily unavailable|EAGAIN/i.test(text)) {
    return new IiotError(ExitCode.Usage, `serial port ${path} is busy: another program holds it`, {
      hint: `find it with \`fuser ${path}\` (or lsof), stop it, and run again`,
      cause: err,
    });
  }
  if (/EACCES|Permission denied/i.test(text)) {
    return new IiotError(ExitCode.Usage, `not allowed to open serial port ${path}`, {
      hint: 'add your user to the dialout group (sudo usermod -aG dialout $USER, then log in again)',
      cause: err,
    });
  }
  return new IiotError(ExitCode.Usage, `cannot open serial port ${path}: ${text.split('\n')[0]}`, {
    hint: 'check the path and the settings (--baud, --parity)',
    cause: err,
  });
}

/** Fails early, before any scan starts, when the path is missing or not a character device. */
export async function checkSerialPath(path: string): Promise<void> {
  if (/^COM\d+$/i.test(path) || path.startsWith('\\\\.\\')) return;
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw serialOpenError(path, err);
  }
  if (!st.isCharacterDevice()) {
    throw new IiotError(ExitCode.Usage, `${path} is not a serial port (not a character device)`, {
      hint: 'serial ports look like /dev/ttyUSB0, /dev/ttyACM0 or /dev/serial/by-id/...',
    });
  }
}

async function open(path: string, s: RtuSetting): Promise<RtuClient> {
  const client = new ModbusRTU();
  try {
    await client.connectRTUBuffered(path, { baudRate: s.baud, parity: s.parity, dataBits: s.dataBits, stopBits: s.stopBits });
  } catch (err) {
    throw serialOpenError(path, err);
  }
  // every request is bounded by answerWithin (./request-deadline.ts), not modbus-serial's timer
  libraryTimerOff(client);
  return client;
}

function close(client: RtuClient): Promise<void> {
  return new Promise((resolve) => {
    try {
      if (!client.isOpen) return resolve();
      client.close(() => resolve());
    } catch {
      resolve();
    }
  });
}

type Answer = { kind: 'found'; read: RtuUnitFound['read'] } | { kind: 'silent' } | { kind: 'garbage'; detail: string };

function classify(
  err: unknown,
): { kind: 'exception'; code: number } | { kind: 'silent' } | { kind: 'garbage'; detail: string } | { kind: 'fatal'; err: unknown } {
  const e = err as { modbusCode?: number; message?: string; errno?: string };
  if (typeof e.modbusCode === 'number') return { kind: 'exception', code: e.modbusCode };
  const text = e.message ?? String(err);
  if (/Timed out/i.test(text) || e.errno === 'ETIMEDOUT') return { kind: 'silent' };
  if (/CRC error|Data length error|Unexpected data error/i.test(text)) return { kind: 'garbage', detail: text };
  return { kind: 'fatal', err };
}

async function readOne(client: RtuClient, unit: number, timeoutMs: number): Promise<Answer> {
  client.setID(unit);
  const t0 = performance.now();
  try {
    await answerWithin(client.readHoldingRegisters(0, 1), timeoutMs);
    return { kind: 'found', read: { function: 3, address: 0, answer: 'data', ms: Math.round((performance.now() - t0) * 100) / 100 } };
  } catch (err) {
    const c = classify(err);
    if (c.kind === 'exception')
      return {
        kind: 'found',
        read: { function: 3, address: 0, answer: 'exception', exception: c.code, ms: Math.round((performance.now() - t0) * 100) / 100 },
      };
    if (c.kind === 'silent') return { kind: 'silent' };
    if (c.kind === 'garbage') return { kind: 'garbage', detail: c.detail };
    throw c.err;
  }
}

async function identify(
  client: RtuClient,
  unit: number,
  timeoutMs: number,
): Promise<Pick<RtuUnitFound, 'identification' | 'identificationResult' | 'identificationDetail'>> {
  client.setID(unit);
  try {
    // the answer is longer than the probe read's: the caller allows for up to 64 more characters
    const r = await answerWithin(client.readDeviceIdentification(1, 0), timeoutMs);
    return { identification: identificationFromObjects(r.data, r.conformityLevel), identificationResult: 'ok' };
  } catch (err) {
    const c = classify(err);
    if (c.kind === 'exception') {
      return c.code === 1
        ? { identificationResult: 'not-supported', identificationDetail: 'function 43/14 not supported (exception 1)' }
        : { identificationResult: 'exception', identificationDetail: `exception ${c.code}` };
    }
    if (c.kind === 'silent') return { identificationResult: 'no-answer', identificationDetail: 'no answer to function 43/14' };
    if (c.kind === 'garbage') return { identificationResult: 'garbage', identificationDetail: c.detail };
    throw c.err;
  }
}

/** Sweeps the unit ids at each setting in turn. Opening errors are IiotErrors (exit 2). */
export async function scanRtu(options: RtuScanOptions): Promise<RtuScanResult> {
  const result: RtuScanResult = { path: options.path, settings: [], found: [], garbage: [], complete: true };
  for (const setting of options.settings) {
    if (options.signal.aborted) {
      result.complete = false;
      break;
    }
    const timing = rtuTiming(setting, options.turnaroundMs ?? 100, options.unitTimeoutMs);
    const gap = Math.max(2, Math.ceil(timing.interFrameMs));
    const summary: RtuSettingSummary = { setting, timing, unitIds: 0, answered: [], garbage: [], ms: 0 };
    const t0 = performance.now();
    const client = await open(options.path, setting);
    options.debug?.(
      `${options.path} at ${settingText(setting)}: ${timing.unitTimeoutMs} ms per unit id, ${timing.interFrameMs.toFixed(2)} ms between frames`,
    );
    try {
      // the line may carry a partial frame from before the port was opened: let it end
      await sleep(gap);
      for (const unit of options.unitIds) {
        if (options.signal.aborted) {
          result.complete = false;
          break;
        }
        summary.unitIds++;
        let a: Answer;
        try {
          a = await readOne(client, unit, timing.unitTimeoutMs);
        } catch (err) {
          throw new IiotError(
            ExitCode.Unreachable,
            `serial port ${options.path} failed during the scan at ${settingText(setting)}: ${(err as Error).message}`,
            {
              hint: 'was the adapter unplugged? check the cable and run again',
              cause: err,
            },
          );
        }
        await sleep(gap);
        if (a.kind === 'found') {
          summary.answered.push(unit);
          const id = await identify(client, unit, timing.unitTimeoutMs + Math.ceil(64 * timing.charMs));
          await sleep(gap);
          result.found.push({ unit, setting, read: a.read, ...id });
        } else if (a.kind === 'garbage') {
          summary.garbage.push(unit);
          result.garbage.push({ unit, setting, detail: a.detail });
        }
        options.onProgress?.(setting, unit);
      }
    } finally {
      await close(client);
      summary.ms = performance.now() - t0;
      result.settings.push(summary);
    }
  }
  return result;
}
