/**
 * `iiot replay --to modbus`: a Modbus TCP server (server.ts, the simulator's) serving the register
 * map the capture was recorded with: every tag recorded from a Modbus device carries its unit id,
 * table, address, type, byte order and scaling, so a client reading those registers sees the
 * recorded values change at the recorded times. Tags recorded some other way can be given
 * registers with a map whose entry names are the tag names (--map).
 */
import type { CaptureHeader, CaptureRecord, SampleLine, TagInfo } from '../../capture/types.js';
import { usageError } from '../../core/errors.js';
import type { ReplaySink } from '../types.js';
import { BYTE_ORDERS, REGISTER_TYPES, typeWidth, type ByteOrder, type RegisterType } from './codec.js';
import type { ModbusUnit } from './register-image.js';
import {
  formatRegisterAddress,
  loadRegisterMap,
  REGISTER_TABLES,
  type RegisterEntry,
  type RegisterMap,
  type RegisterTable,
} from './register-map.js';
import { startModbusTcpServer, type RunningModbusTcpServer } from './server.js';

export interface ModbusSinkOptions {
  host: string;
  port: number;
  /** a map whose entry names are capture tag names (for tags not recorded from Modbus) */
  map?: string | undefined;
  /** unit id of the --map's entries */
  unit: number;
  /** called for tags left out (they have no register) */
  warn?: (text: string) => void;
}

export interface ModbusReplaySink extends ReplaySink {
  /** unit id -> entries served */
  readonly units: ReadonlyMap<number, RegisterEntry[]>;
}

export function createModbusSink(o: ModbusSinkOptions): ModbusReplaySink {
  return new ModbusSink(o);
}

interface RecordedRegister {
  unit: number;
  table: RegisterTable;
  address: number;
  type: RegisterType;
  order: ByteOrder;
  length: number;
  bit?: number;
  scale: number;
  offset: number;
}

/** The register a tag was recorded from, when its header entry says so. */
export function recordedRegister(tag: TagInfo): RecordedRegister | undefined {
  const m = tag.modbus as Partial<RecordedRegister> | undefined;
  if (!m || typeof m !== 'object') return undefined;
  if (typeof m.unit !== 'number' || typeof m.address !== 'number' || !REGISTER_TABLES.includes(m.table as RegisterTable)) return undefined;
  const type = (REGISTER_TYPES as readonly string[]).includes(m.type ?? '')
    ? (m.type as RegisterType)
    : m.table === 'coil' || m.table === 'discrete'
      ? 'bool'
      : 'uint16';
  const order = (BYTE_ORDERS as readonly string[]).includes(m.order ?? '') ? (m.order as ByteOrder) : 'ABCD';
  const length = typeof m.length === 'number' ? m.length : type === 'string' ? 1 : typeWidth(type);
  return {
    unit: m.unit,
    table: m.table as RegisterTable,
    address: m.address,
    type,
    order,
    length,
    ...(typeof m.bit === 'number' ? { bit: m.bit } : {}),
    scale: typeof m.scale === 'number' && m.scale !== 0 ? m.scale : 1,
    offset: typeof m.offset === 'number' ? m.offset : 0,
  };
}

class ModbusSink implements ModbusReplaySink {
  endpoint = '';
  readonly units = new Map<number, RegisterEntry[]>();
  private server: RunningModbusTcpServer | undefined;
  private readonly values = new Map<string, number | boolean | string>();

  constructor(private readonly o: ModbusSinkOptions) {}

  async prepare(_header: CaptureHeader, tags: readonly TagInfo[]): Promise<void> {
    const o = this.o;
    const byName = new Map(tags.map((t) => [t.name, t]));
    const add = (unit: number, e: RegisterEntry) => {
      const list = this.units.get(unit) ?? [];
      const clash = list.find(
        (x) =>
          x.table === e.table &&
          e.address < x.address + x.length &&
          x.address < e.address + e.length &&
          !(x.bit !== undefined && e.bit !== undefined && x.bit !== e.bit),
      );
      if (clash) {
        o.warn?.(
          `${e.name} (${formatRegisterAddress(e.table, e.address)}, unit ${unit}) overlaps ${clash.name}; it is left out (replay the two devices separately with --tags)`,
        );
        return;
      }
      list.push(e);
      this.units.set(unit, list);
    };
    let map: RegisterMap | undefined;
    if (o.map !== undefined) map = loadRegisterMap(o.map);
    const mapped = new Set<string>();
    if (map) {
      for (const e of map.entries) {
        if (!byName.has(e.name)) continue;
        mapped.add(e.name);
        add(o.unit, e);
      }
      if (mapped.size === 0) {
        throw usageError(
          `--map ${o.map}: none of its entries is named like a tag of the capture`,
          `name the entries after the tags (${tags
            .slice(0, 5)
            .map((t) => t.name)
            .join(', ')}...)`,
        );
      }
    }
    const unserved: string[] = [];
    for (const t of tags) {
      if (mapped.has(t.name)) continue;
      const r = recordedRegister(t);
      if (!r) {
        unserved.push(t.name);
        continue;
      }
      add(r.unit, {
        name: t.name,
        table: r.table,
        address: r.address,
        type: r.type,
        order: r.order,
        length: r.length,
        ...(r.bit === undefined ? {} : { bit: r.bit }),
        scale: r.scale,
        offset: r.offset,
        writable: false,
      });
    }
    if (this.units.size === 0) {
      const sources = [...new Set(tags.map((t) => t.source).filter((s): s is string => s !== undefined))];
      throw usageError(
        `the capture has no Modbus registers to serve${sources.length ? ` (its tags come from ${sources.join(', ')})` : ''}`,
        'replay a capture recorded from a Modbus device (iiot record modbus://... --map ...), give registers to its tags with --map FILE (entries named like the tags), or replay --to opcua or --to mqtt',
      );
    }
    if (unserved.length)
      o.warn?.(
        `${unserved.length} tag${unserved.length === 1 ? ' has' : 's have'} no Modbus register and ${unserved.length === 1 ? 'is' : 'are'} not served: ${unserved.slice(0, 8).join(', ')}${unserved.length > 8 ? ', ...' : ''} (choose tags with --tags, or give them registers with --map)`,
      );
    const units: ModbusUnit[] = [...this.units.entries()].map(([unitId, entries]) => ({
      unitId,
      map: { name: `replay-unit-${unitId}`, entries },
      read: (e) => this.values.get(e.name),
    }));
    this.server = await startModbusTcpServer({ host: o.host, port: o.port, units, unknownUnit: 'gateway-exception' });
    this.endpoint = this.server.url;
  }

  apply(records: readonly CaptureRecord[]): void {
    for (const r of records) {
      if (!('tag' in r)) continue;
      const s = r as SampleLine;
      const v = s.v;
      if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'string') this.values.set(s.tag, v);
      // the capture writes NaN as null with quality "NaN": a float register serves NaN again
      else if (v === null && (s.q === 'NaN' || s.q === 'Infinity' || s.q === '-Infinity')) this.values.set(s.tag, Number(s.q));
      // any other null (bad quality) keeps the last good value, as a device holds its last reading
    }
  }

  async close(): Promise<void> {
    await this.server?.stop();
  }
}
