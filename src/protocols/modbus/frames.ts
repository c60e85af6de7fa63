/**
 * Modbus/TCP frames, read-only, written and read here and nowhere else: discovery (probe.ts) and
 * the checks' client (probe-client.ts) both go through this module, so the rules live once.
 * Frames: MBAP header (transaction id, protocol id 0, length, unit id) + PDU (function code +
 * data); Modbus Application Protocol v1.1b3, Modbus Messaging on TCP/IP Implementation Guide v1.0b.
 *
 * Only the read functions in READ_FUNCTION_NAMES can be encoded: `mbapRequest` refuses anything
 * else before a byte exists, so neither discovery nor the checks can write, or send function 8
 * (diagnostics, which can restart a device's communication or force it listen-only).
 */
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';

/** The functions iiot sends raw, by name (the audit log's words): this table is the allow-list. */
export const READ_FUNCTION_NAMES: Readonly<Record<number, string>> = {
  1: 'read coils',
  2: 'read discrete inputs',
  3: 'read holding registers',
  4: 'read input registers',
  43: 'read device identification',
};

export const READ_ONLY_FUNCTIONS: ReadonlySet<number> = new Set(Object.keys(READ_FUNCTION_NAMES).map(Number));

/** Modbus application protocol 7: exception codes. */
export const EXCEPTION_NAMES: Readonly<Record<number, string>> = {
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

/** What a gateway answers for a unit id with no device behind it (Modbus over TCP guide 4.4.2). */
export const NO_DEVICE_EXCEPTIONS: ReadonlySet<number> = new Set([0x0a, 0x0b]);

/** "exception 11 (gateway target device failed to respond)": discovery's words (docs/inventory.md). */
export function exceptionText(code: number): string {
  return `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`;
}

/** "exception 0b (gateway target device failed to respond)": the checks' words, two hex digits as device manuals print them. */
export function exceptionTextHex(code: number): string {
  return `exception ${code.toString(16).padStart(2, '0')} (${EXCEPTION_NAMES[code] ?? 'unknown'})`;
}

// ---------------------------------------------------------------------------------------------
// Requests

/** One request frame. Throws (an internal error: a bug, never a user's input) for any function that is not a read. */
export function mbapRequest(transaction: number, unit: number, pdu: readonly number[]): Buffer {
  const fc = pdu[0];
  if (fc === undefined || !READ_ONLY_FUNCTIONS.has(fc)) {
    throw new IiotError(
      ExitCode.Internal,
      `refusing to send Modbus function ${fc}: iiot only reads raw Modbus/TCP (functions 1, 2, 3, 4, 43)`,
    );
  }
  const b = Buffer.alloc(7 + pdu.length);
  b.writeUInt16BE(transaction & 0xffff, 0);
  b.writeUInt16BE(0, 2);
  b.writeUInt16BE(pdu.length + 1, 4);
  b.writeUInt8(unit, 6);
  Buffer.from(pdu).copy(b, 7);
  return b;
}

/** FC 1-4 request PDU: `quantity` items from `address` (0-based PDU address). */
export function readPdu(fc: 1 | 2 | 3 | 4, address: number, quantity: number): number[] {
  const b = Buffer.alloc(5);
  b[0] = fc;
  // writeUInt16BE throws for a value outside 0-65535 rather than sending a wrapped one
  b.writeUInt16BE(address, 1);
  b.writeUInt16BE(quantity, 3);
  return [...b];
}

/**
 * FC 43 / MEI 14 request PDU: read device identification code `category` (1 basic, 2 regular,
 * 3 extended) starting at object `objectId`.
 */
export function identificationPdu(category: number, objectId: number): number[] {
  return [0x2b, 0x0e, category, objectId];
}

// ---------------------------------------------------------------------------------------------
// Answers

/**
 * Where the first MBAP frame in buf ends: its length, undefined while incomplete, 'garbage' when
 * the bytes cannot be Modbus/TCP.
 * Two rules, each as its caller has always had it (unifying them would change what the checks
 * report to a peer that is not Modbus): discovery, not yet knowing the port's protocol, is strict
 * (protocol id 0 as soon as it is in, a length that holds unit id, function code and one byte);
 * the checks' client, `loose`, only bounds the length field (2-254) once the unit id is in.
 */
export function mbapFrame(buf: Buffer, o: { loose?: boolean } = {}): number | 'garbage' | undefined {
  if (o.loose) {
    if (buf.length < 7) return undefined;
    const len = buf.readUInt16BE(4);
    if (len < 2 || len > 254) return 'garbage';
    return buf.length >= 6 + len ? 6 + len : undefined;
  }
  if (buf.length < 6) {
    // protocol id must be 0 as soon as we have it
    if (buf.length >= 4 && buf.readUInt16BE(2) !== 0) return 'garbage';
    return undefined;
  }
  if (buf.readUInt16BE(2) !== 0) return 'garbage';
  const len = buf.readUInt16BE(4);
  if (len < 3 || len > 254) return 'garbage';
  return buf.length >= 6 + len ? 6 + len : undefined;
}

export type MbapAnswer = {
  transaction: number;
  unit: number;
  functionCode: number;
  /** function code first */
  pdu: Buffer;
};

/** Reads a whole frame (as delimited by mbapFrame). */
export function parseMbap(frame: Buffer): MbapAnswer {
  return { transaction: frame.readUInt16BE(0), unit: frame.readUInt8(6), functionCode: frame.readUInt8(7), pdu: frame.subarray(7) };
}

/** An exception answer has the request's function code + 0x80; its code is the next byte (undefined if cut off). */
export function exceptionOf(a: MbapAnswer): { function: number; code: number | undefined } | undefined {
  return a.functionCode & 0x80 ? { function: a.functionCode & 0x7f, code: a.pdu[1] } : undefined;
}

/** One FC43/14 answer, as the device sent it. */
export type IdentificationAnswer = {
  conformity: number;
  moreFollows: boolean;
  nextObjectId: number;
  /** objects by id, latin1, unchanged (a cut-off last object holds the bytes that came) */
  objects: Map<number, string>;
  /** set when the answer ends inside its object list: the object list itself, or an object's value */
  truncated?: 'object list' | 'object';
};

/**
 * Reads the data of an FC43/14 answer (what follows the function code: MEI type, read device id
 * code, conformity level, more follows, next object id, number of objects, objects). Undefined
 * when it is not one. A cut-off answer is read up to the cut: the checks show what came,
 * discovery (parseIdentificationPdu) refuses it.
 */
export function readIdentificationData(d: Buffer): IdentificationAnswer | undefined {
  if (d.length < 6 || d[0] !== 0x0e) return undefined;
  const count = d[5]!;
  const objects = new Map<number, string>();
  let truncated: IdentificationAnswer['truncated'];
  let pos = 6;
  for (let i = 0; i < count; i++) {
    if (pos + 2 > d.length) {
      truncated = 'object list';
      break;
    }
    const id = d[pos]!;
    const len = d[pos + 1]!;
    if (pos + 2 + len > d.length) truncated = 'object';
    objects.set(id, d.toString('latin1', pos + 2, Math.min(pos + 2 + len, d.length)));
    pos += 2 + len;
    if (truncated) break;
  }
  return { conformity: d[2]!, moreFollows: d[3] === 0xff, nextObjectId: d[4]!, objects, ...(truncated ? { truncated } : {}) };
}

/**
 * Parses one FC43/14 answer PDU (function code first) for discovery: anything but a whole answer
 * throws; values lose trailing NULs and spaces (devices pad fixed-size fields).
 */
export function parseIdentificationPdu(pdu: Buffer): {
  conformity: number;
  moreFollows: boolean;
  nextObjectId: number;
  objects: Map<number, string>;
} {
  const r = pdu[0] === 0x2b ? readIdentificationData(pdu.subarray(1)) : undefined;
  if (!r) throw new Error('not a Read Device Identification answer');
  if (r.truncated) throw new Error(`truncated ${r.truncated}`);
  const objects = new Map<number, string>();
  for (const [k, v] of r.objects) objects.set(k, v.replace(/\0+$/, '').trim());
  return { conformity: r.conformity, moreFollows: r.moreFollows, nextObjectId: r.nextObjectId, objects };
}

/** FC43/14 object ids (Modbus application protocol 6.21). */
export const IDENTIFICATION_OBJECTS: Record<number, keyof ModbusIdentification> = {
  0: 'vendor',
  1: 'productCode',
  2: 'revision',
  3: 'vendorUrl',
  4: 'productName',
  5: 'modelName',
  6: 'userApplicationName',
};

export type ModbusIdentification = {
  vendor?: string;
  productCode?: string;
  revision?: string;
  vendorUrl?: string;
  productName?: string;
  modelName?: string;
  userApplicationName?: string;
  /** conformity level byte: 0x01 basic, 0x02 regular, 0x03 extended (+0x80: individual access) */
  conformityLevel?: number;
  /** private objects (0x80-0xFF) by id */
  other?: Record<string, string>;
};

/** Objects by id -> named fields (TCP answers parsed here, RTU answers from modbus-serial). */
export function identificationFromObjects(
  objects: ReadonlyMap<number, string> | Record<number | string, string>,
  conformity?: number,
): ModbusIdentification {
  const entries: Array<[number, string]> =
    objects instanceof Map ? [...objects.entries()] : Object.entries(objects).map(([k, v]) => [Number(k), String(v)]);
  const id: ModbusIdentification = {};
  for (const [k, v] of entries) {
    const name = IDENTIFICATION_OBJECTS[k];
    if (name !== undefined && name !== 'conformityLevel' && name !== 'other') id[name] = v;
    else (id.other ??= {})[String(k)] = v;
  }
  if (conformity !== undefined) id.conformityLevel = conformity;
  return id;
}
