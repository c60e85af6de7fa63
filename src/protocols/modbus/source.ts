/**
 * Recording from a Modbus TCP or RTU device: a register map, read by the planner's requests in a
 * polling loop, one request at a time, each with a timeout. Exceptions are reported per tag (a
 * merged request that draws an exception is split so only the entries that really fail are
 * blamed); values that decode to nonsense are recorded as read and reported once per tag with
 * the byte order that would make sense. A lost connection is retried with backoff; the capture
 * gets disconnect, gap and reconnect events.
 */
import type { TagInfo, SourceInfo } from '../../capture/types.js';
import { usageError } from '../../core/errors.js';
import type { ModbusRtuTarget, ModbusTcpTarget } from '../../core/targets.js';
import { Backoff, sleep } from '../reconnect.js';
import { Outages, type RecorderSource, type SourceHooks } from '../source-base.js';
import type { SampleSink } from '../types.js';
import { openModbusLink, ModbusReadError, type ModbusLink } from './client.js';
import { decodeValue } from './codec.js';
import { describeRequest, planPerEntry, planReads, sliceFor, type ReadRequest } from './planner.js';
import { formatRegisterAddress, loadRegisterMap, type RegisterEntry, type RegisterMap } from './register-map.js';
import { nonsense, nonsenseMessage } from './sanity.js';

export interface ModbusSourceOptions {
  id: string;
  target: ModbusTcpTarget | ModbusRtuTarget;
  /** built-in map name or path of a map file */
  map: string;
  /** entry names to record (`*` wildcards); empty: all */
  registers: string[];
  /** time between the starts of two scans */
  intervalMs: number;
  /** longest wait for one answer */
  timeoutMs: number;
  /** registers a request may bridge between entries */
  maxGap: number;
  /** registers per request (1-125) */
  maxRegisters: number;
  reconnectMaxMs: number;
  /** tag names are <prefix>.<entry name>; default the source id */
  tagPrefix?: string | undefined;
}

export function createModbusSource(o: ModbusSourceOptions, hooks: SourceHooks): RecorderSource {
  return new ModbusSource(o, hooks);
}

function globRe(pattern: string): RegExp {
  return new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
}

class ModbusSource implements RecorderSource {
  readonly info: SourceInfo;
  tags: TagInfo[] = [];
  private map: RegisterMap | undefined;
  private entries: RegisterEntry[] = [];
  private plan: ReadRequest[] = [];
  private link: ModbusLink | undefined;
  private sink: SampleSink | undefined;
  private readonly ac = new AbortController();
  private loop: Promise<void> | undefined;
  private readonly outages: Outages;
  private readonly tagOf = new Map<RegisterEntry, string>();
  private readonly tagState = new Map<string, string>();
  private readonly warnedNonsense = new Set<string>();
  private counters = { scans: 0, requests: 0, exceptions: 0, timeouts: 0, overruns: 0, reconnects: 0, splits: 0 };

  constructor(
    private readonly o: ModbusSourceOptions,
    private readonly hooks: SourceHooks,
  ) {
    this.info = { id: o.id, protocol: o.target.protocol, endpoint: o.target.url, options: {} };
    this.outages = new Outages(o.id, () => this.sink, hooks);
  }

  async prepare(): Promise<void> {
    const o = this.o;
    this.map = loadRegisterMap(o.map);
    let entries = this.map.entries;
    if (o.registers.length > 0) {
      const res = o.registers.map(globRe);
      entries = entries.filter((e) => res.some((re) => re.test(e.name)));
      const unmatched = o.registers.filter((p) => !this.map!.entries.some((e) => globRe(p).test(e.name)));
      if (unmatched.length > 0) {
        throw usageError(
          `--registers: no entry of map ${this.map.name} is called ${unmatched.map((u) => `"${u}"`).join(', ')}`,
          `entries: ${this.map.entries
            .slice(0, 12)
            .map((e) => e.name)
            .join(', ')}${this.map.entries.length > 12 ? ', ...' : ''}`,
        );
      }
    }
    this.entries = entries;
    this.plan = planReads(entries, { maxRegisters: o.maxRegisters, maxGap: o.maxGap });
    const prefix = o.tagPrefix ?? o.id;
    const unit = o.target.unit;
    this.tags = entries.map((e) => {
      const name = `${prefix}.${e.name}`;
      this.tagOf.set(e, name);
      return {
        name,
        source: o.id,
        address: formatRegisterAddress(e.table, e.address),
        dataType: e.type,
        ...(e.unit === undefined ? {} : { unit: e.unit }),
        ...(e.description === undefined ? {} : { description: e.description }),
        modbus: {
          unit,
          table: e.table,
          address: e.address,
          type: e.type,
          order: e.order,
          length: e.length,
          ...(e.bit === undefined ? {} : { bit: e.bit }),
          scale: e.scale,
          offset: e.offset,
        },
      };
    });
    this.info.options = {
      map: this.map.name,
      ...(o.registers.length ? { registers: o.registers } : {}),
      intervalMs: o.intervalMs,
      timeoutMs: o.timeoutMs,
      maxGap: o.maxGap,
      maxRegisters: o.maxRegisters,
      requestsPerScan: this.plan.length,
    };
    this.hooks.debug(`${o.id}: ${entries.length} entries in ${this.plan.length} requests: ${this.plan.map(describeRequest).join(', ')}`);
    this.hooks.state('connecting');
    this.link = await this.open();
    this.hooks.state('connected', o.target.url);
  }

  private async open(): Promise<ModbusLink> {
    const link = await openModbusLink(this.o.target, { timeoutMs: this.o.timeoutMs, connectTimeoutMs: Math.max(this.o.timeoutMs, 2000) });
    link.onClose(() => {
      if (!this.ac.signal.aborted) this.lost(`${this.o.target.url} closed the connection`);
    });
    return link;
  }

  private lost(reason: string): void {
    this.outages.down(reason);
    const link = this.link;
    this.link = undefined;
    void link?.close();
  }

  async start(sink: SampleSink): Promise<void> {
    this.sink = sink;
    sink.event('start', Date.now(), {
      source: this.o.id,
      message: `polling ${this.entries.length} registers of map ${this.map?.name} in ${this.plan.length} request${this.plan.length === 1 ? '' : 's'} every ${this.o.intervalMs} ms`,
    });
    this.loop = this.run();
  }

  private async run(): Promise<void> {
    const signal = this.ac.signal;
    const backoff = new Backoff({ maxMs: this.o.reconnectMaxMs });
    let next = performance.now();
    while (!signal.aborted) {
      if (!this.link) {
        await sleep(backoff.next(), signal);
        if (signal.aborted) break;
        try {
          this.link = await this.open();
          this.counters.reconnects++;
          backoff.reset();
        } catch (err) {
          this.hooks.debug(`${this.o.id}: reconnect failed: ${(err as Error).message}`);
          continue;
        }
        next = performance.now();
      }
      await this.scan();
      next += this.o.intervalMs;
      const now = performance.now();
      if (next < now) {
        // the scan took longer than the interval: skip the slots it overran
        this.counters.overruns++;
        next = now + this.o.intervalMs - ((now - next) % this.o.intervalMs);
      }
      await sleep(next - now, signal);
    }
  }

  private async scan(): Promise<void> {
    const link = this.link;
    if (!link) return;
    this.counters.scans++;
    let ok = 0;
    let timeouts = 0;
    for (let i = 0; i < this.plan.length && !this.ac.signal.aborted; i++) {
      const req = this.plan[i]!;
      try {
        const data = await link.read(req);
        this.counters.requests++;
        ok++;
        // the gap ends with the first answer; its values come after the reconnect event
        if (this.outages.isDown) this.outages.up(`${this.o.target.url} answers again`);
        this.deliver(req, data, Date.now());
      } catch (err) {
        this.counters.requests++;
        const e = err instanceof ModbusReadError ? err : new ModbusReadError('connection', String(err));
        if (e.kind === 'connection') {
          this.lost(e.message);
          return;
        }
        if (e.kind === 'exception' && req.entries.length > 1) {
          // Split: read each entry on its own from now on, so only the failing ones are blamed.
          this.counters.splits++;
          this.hooks.debug(`${this.o.id}: ${describeRequest(req)} drew ${e.message}; reading its entries one by one`);
          this.plan.splice(i, 1, ...planPerEntry(req.entries));
          i--;
          continue;
        }
        if (e.kind === 'exception') this.counters.exceptions++;
        else {
          this.counters.timeouts++;
          timeouts++;
        }
        for (const entry of req.entries) this.tagFailed(entry, e.message);
      }
    }
    if (this.ac.signal.aborted) return;
    if (ok === 0 && timeouts > 0 && timeouts === this.plan.length) {
      // the device answers nothing at all: an outage (a TCP link is reopened, a serial port kept)
      this.outages.down(`${this.o.target.url} does not answer`);
      if (this.o.target.protocol === 'modbus') this.lost(`${this.o.target.url} does not answer`);
    }
  }

  private deliver(req: ReadRequest, data: number[], t: number): void {
    const sink = this.sink!;
    this.outages.data(t);
    for (const entry of req.entries) {
      const tag = this.tagOf.get(entry)!;
      const words = sliceFor(req, entry, data);
      let value: number | boolean | string;
      if (entry.table === 'coil' || entry.table === 'discrete') value = words[0] === 1;
      else value = decodeValue(entry, words);
      if (this.tagState.has(tag)) {
        this.tagState.delete(tag);
        sink.event('tag-ok', t, { source: this.o.id, tagName: tag, message: 'reads again' });
        this.hooks.info(`${tag}: reads again`);
      }
      const why = nonsense(entry, value);
      if (why !== undefined && !this.warnedNonsense.has(tag)) {
        this.warnedNonsense.add(tag);
        this.hooks.warn(
          `${tag} (${formatRegisterAddress(entry.table, entry.address)}) ${nonsenseMessage(entry, value as number, why, words)}`,
        );
      }
      sink.sample(tag, t, value);
    }
  }

  private tagFailed(entry: RegisterEntry, message: string): void {
    const tag = this.tagOf.get(entry)!;
    this.hooks.tagError(tag, message);
    if (this.tagState.get(tag) === message) return;
    this.tagState.set(tag, message);
    this.sink?.event('tag-error', Date.now(), {
      source: this.o.id,
      tagName: tag,
      message: `${formatRegisterAddress(entry.table, entry.address)}: ${message}`,
    });
    this.hooks.warn(`${tag} (${formatRegisterAddress(entry.table, entry.address)}, unit ${this.o.target.unit}): ${message}`);
  }

  stats(): Record<string, number> {
    return { ...this.counters, requestsPerScan: this.plan.length, outages: this.outages.outages };
  }

  async stop(): Promise<void> {
    this.ac.abort();
    await this.loop?.catch(() => undefined);
    const link = this.link;
    this.link = undefined;
    await link?.close();
    this.sink = undefined;
    this.hooks.state('stopped');
  }
}
