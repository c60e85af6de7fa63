/**
 * Reading registers on demand (`iiot read`): entries, of a register map or made from addresses the
 * user typed, read with the planner's requests one at a time over a ModbusLink and decoded by the
 * codec, the one decoder the recorder, the simulator and the replay server share. A request that
 * draws an exception is split so that every entry gets its own answer: one illegal address does
 * not hide the values around it. Only function codes 1-4 go out (the link sends nothing else).
 */
import { decodeRaw, decodeValue, typeWidth, type ByteOrder, type RegisterType } from './codec.js';
import { ModbusReadError, type ModbusLink } from './client.js';
import { EXCEPTION_NAMES } from './frames.js';
import { planPerEntry, planReads, sliceFor, type ReadRequest } from './planner.js';
import { formatRegisterAddress, type RegisterEntry, type RegisterTable } from './register-map.js';

/** What an entry read gives: booleans for bits and bool registers, 64-bit integers as bigint when unscaled. */
export type RegisterValue = number | boolean | string | bigint;

export interface EntryReading {
  entry: RegisterEntry;
  /** "ir:0x0048": how iiot names the register (formatRegisterAddress) */
  address: string;
  /** the registers (or bits as 0/1) answered for this entry */
  words?: number[];
  value?: RegisterValue;
  error?: { kind: 'exception' | 'timeout'; message: string; code?: number };
  /** when the answer (or the failure) came, ms since 1970 */
  t: number;
}

/**
 * Entries for `count` values of one type from a start address, each named by its address
 * ("hr:0x0014"), as a register map would declare them: no scaling, not writable.
 */
export function addressEntries(
  table: RegisterTable,
  address: number,
  type: RegisterType,
  order: ByteOrder,
  count: number,
  length?: number,
): RegisterEntry[] {
  const bits = table === 'coil' || table === 'discrete';
  const width = bits ? 1 : type === 'string' ? (length ?? 1) : typeWidth(type);
  return Array.from({ length: count }, (_, i) => {
    const a = address + i * width;
    return {
      name: formatRegisterAddress(table, a),
      table,
      address: a,
      type: bits ? 'bool' : type,
      order,
      length: width,
      scale: 1,
      offset: 0,
      writable: false,
    };
  });
}

/**
 * An entry's registers to its value. Bits are booleans; 64-bit integers without scaling stay
 * exact (bigint); everything else is the codec's engineering value.
 */
export function decodeEntry(entry: RegisterEntry, words: readonly number[]): RegisterValue {
  if (entry.table === 'coil' || entry.table === 'discrete') return words[0] === 1;
  if ((entry.type === 'int64' || entry.type === 'uint64') && entry.scale === 1 && entry.offset === 0) return decodeRaw(entry, words);
  return decodeValue(entry, words);
}

/** "exception 2 (illegal data address)": the words of the standard, as docs/inventory.md writes them. */
function exceptionMessage(code: number): string {
  return `exception ${code} (${EXCEPTION_NAMES[code] ?? 'unknown'})`;
}

/**
 * Reads a fixed set of entries, again and again if asked (--watch). Requests are planned once;
 * a merged request that draws an exception is replaced by one request per entry, for this read
 * and every later one.
 */
export class RegisterReader {
  private plan: ReadRequest[];
  private readonly order: Map<RegisterEntry, number>;
  /** requests sent, merged requests split after an exception */
  readonly counters = { requests: 0, splits: 0 };

  constructor(
    private readonly link: ModbusLink,
    readonly entries: readonly RegisterEntry[],
    /** registers a request may bridge between entries: 0 for addresses the user typed */
    maxGap: number,
  ) {
    this.plan = planReads(entries, { maxGap });
    this.order = new Map(entries.map((e, i) => [e, i]));
  }

  get requestsPerRead(): number {
    return this.plan.length;
  }

  /**
   * One reading per entry, in the entries' order. A lost connection rejects (ModbusReadError
   * 'connection'); exceptions and timeouts are per entry.
   */
  async readAll(signal?: AbortSignal): Promise<EntryReading[]> {
    const out: EntryReading[] = new Array(this.entries.length);
    for (let i = 0; i < this.plan.length; i++) {
      if (signal?.aborted) break;
      const req = this.plan[i]!;
      this.counters.requests++;
      let data: number[];
      try {
        data = await this.link.read(req);
      } catch (err) {
        const e = err instanceof ModbusReadError ? err : new ModbusReadError('connection', String(err));
        if (e.kind === 'connection') throw e;
        if (e.kind === 'exception' && req.entries.length > 1) {
          this.counters.splits++;
          this.plan.splice(i, 1, ...planPerEntry(req.entries));
          i--;
          continue;
        }
        const error =
          e.kind === 'exception' && e.code !== undefined
            ? { kind: 'exception' as const, message: exceptionMessage(e.code), code: e.code }
            : { kind: 'timeout' as const, message: 'no answer (timed out)' };
        const t = Date.now();
        for (const entry of req.entries)
          out[this.order.get(entry)!] = { entry, address: formatRegisterAddress(entry.table, entry.address), error, t };
        continue;
      }
      const t = Date.now();
      for (const entry of req.entries) {
        const words = sliceFor(req, entry, data);
        out[this.order.get(entry)!] = {
          entry,
          address: formatRegisterAddress(entry.table, entry.address),
          words,
          value: decodeEntry(entry, words),
          t,
        };
      }
    }
    return out.filter((r) => r !== undefined);
  }
}
