import { decodeValue, encodeValue } from './codec.js';
import {
  entriesOf,
  REGISTER_TABLES,
  type DeviceIdentification,
  type RegisterEntry,
  type RegisterMap,
  type RegisterTable,
} from './register-map.js';

/**
 * One Modbus device as a server sees it: a register map whose values come from somewhere else
 * (the plant model, a capture being replayed). Reads encode the current engineering value of
 * each entry on demand, so a request always returns one consistent value per entry.
 */
export interface ModbusUnit {
  /** 1-247 (0 is broadcast; 255 "the gateway itself") */
  unitId: number;
  map: RegisterMap;
  /** the entry's current engineering value; undefined serves 0 */
  read(entry: RegisterEntry): number | bigint | boolean | string | undefined;
  /** a client wrote a writable entry (decoded, scaled) */
  write?(entry: RegisterEntry, value: number | boolean | string): void;
  /** FC43/14 objects; default: the map's identification */
  identification?: DeviceIdentification;
}

/** A Modbus exception, as modbus-serial's server turns it into an exception response. */
export class ModbusException extends Error {
  readonly modbusErrorCode: number;
  constructor(code: number, message: string) {
    super(message);
    this.modbusErrorCode = code;
  }
}

export const ILLEGAL_FUNCTION = 0x01;
export const ILLEGAL_DATA_ADDRESS = 0x02;
export const ILLEGAL_DATA_VALUE = 0x03;
export const GATEWAY_TARGET_FAILED = 0x0b;

interface TableIndex {
  entries: RegisterEntry[];
  /** address -> entries covering it (bools on bits of one register share it) */
  at: Map<number, RegisterEntry[]>;
  /** lowest and one past the highest register of the table: requests outside get exception 02 */
  lo: number;
  hi: number;
}

/** A unit with its registers indexed for serving. */
export class RegisterImage {
  readonly unit: ModbusUnit;
  private readonly tables = new Map<RegisterTable, TableIndex>();

  constructor(unit: ModbusUnit) {
    this.unit = unit;
    for (const table of REGISTER_TABLES) {
      const entries = entriesOf(unit.map, table);
      if (entries.length === 0) continue;
      const at = new Map<number, RegisterEntry[]>();
      let lo = Infinity;
      let hi = -Infinity;
      for (const e of entries) {
        for (let a = e.address; a < e.address + e.length; a++) {
          const list = at.get(a);
          if (list) list.push(e);
          else at.set(a, [e]);
        }
        lo = Math.min(lo, e.address);
        hi = Math.max(hi, e.address + e.length);
      }
      this.tables.set(table, { entries, at, lo, hi });
    }
  }

  /**
   * 16-bit registers [address, address + length) of an input or holding table. Gaps between
   * entries read as 0 (so read planners may bridge them); anything outside the table's span is
   * an illegal data address, as on a real device.
   */
  readRegisters(table: 'input' | 'holding', address: number, length: number): number[] {
    // Modbus application protocol 6.3/6.4: 1 to 125 registers per read.
    if (length < 1 || length > 125) throw new ModbusException(ILLEGAL_DATA_VALUE, `cannot read ${length} registers in one request (1-125)`);
    const index = this.span(table, address, length);
    const words = new Array<number>(length).fill(0);
    const done = new Set<RegisterEntry>();
    for (let a = address; a < address + length; a++) {
      for (const e of index.at.get(a) ?? []) {
        if (done.has(e)) continue;
        done.add(e);
        const value = this.unit.read(e);
        const encoded = encodeValue(e, value ?? 0);
        for (let k = 0; k < encoded.length; k++) {
          const pos = e.address + k - address;
          // bools on bits of one register are OR-ed together
          if (pos >= 0 && pos < length) words[pos] = e.bit === undefined ? encoded[k]! : words[pos]! | encoded[k]!;
        }
      }
    }
    return words;
  }

  /** One coil or discrete input. */
  readBit(table: 'coil' | 'discrete', address: number): boolean {
    const index = this.span(table, address, 1);
    const e = index.at.get(address)?.[0];
    return e ? Boolean(this.unit.read(e)) : false;
  }

  /** FC06/FC16: only whole writable entries may be written. */
  writeRegisters(address: number, words: number[]): void {
    const index = this.span('holding', address, words.length);
    let covered = 0;
    for (const e of index.entries) {
      if (e.address + e.length <= address || e.address >= address + words.length) continue;
      if (!e.writable) throw new ModbusException(ILLEGAL_DATA_ADDRESS, `${e.name} is read-only`);
      if (e.address < address || e.address + e.length > address + words.length) {
        throw new ModbusException(ILLEGAL_DATA_ADDRESS, `${e.name} spans ${e.length} registers: write all of them in one request`);
      }
    }
    for (const e of index.entries) {
      if (e.address < address || e.address + e.length > address + words.length) continue;
      const slice = words.slice(e.address - address, e.address - address + e.length);
      this.unit.write?.(e, decodeValue(e, slice));
      covered += e.length;
    }
    if (covered === 0) throw new ModbusException(ILLEGAL_DATA_ADDRESS, `no writable register at ${address}`);
  }

  writeCoil(address: number, value: boolean): void {
    const index = this.span('coil', address, 1);
    const e = index.at.get(address)?.[0];
    if (!e || !e.writable) throw new ModbusException(ILLEGAL_DATA_ADDRESS, `coil ${address} is not writable`);
    this.unit.write?.(e, value);
  }

  identification(): Record<number, string> {
    const id = this.unit.identification ?? this.unit.map.identification;
    const objects: Record<number, string> = {
      0: id?.vendor ?? 'unknown',
      1: id?.productCode ?? this.unit.map.name,
      2: id?.revision ?? '0',
    };
    if (id?.url) objects[3] = id.url;
    if (id?.productName) objects[4] = id.productName;
    if (id?.modelName) objects[5] = id.modelName;
    return objects;
  }

  private span(table: RegisterTable, address: number, length: number): TableIndex {
    const index = this.tables.get(table);
    if (!index || address < index.lo || address + length > index.hi) {
      throw new ModbusException(ILLEGAL_DATA_ADDRESS, `${table} ${address}+${length} is outside the map`);
    }
    return index;
  }
}
