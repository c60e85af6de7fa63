/**
 * `iiot read modbus://...` and `modbus-rtu://...`: registers by address (table, type, byte order,
 * count, like mbpoll) or by the entry names of a register map, read once or polled (--watch).
 * A register the device refuses is listed with the exception's name while the others are still
 * read; the exit code says what went wrong (docs/read.md).
 */
import { globToRegExp } from '../capture/tag-match.js';
import { IiotError, unreachableError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, info, out, warn, type IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';
import { openModbusLink, ModbusReadError, type ModbusLink } from '../protocols/modbus/client.js';
import { addressEntries, RegisterReader, type EntryReading } from '../protocols/modbus/read.js';
import { loadRegisterMap, type RegisterEntry } from '../protocols/modbus/register-map.js';
import { nonsense, nonsenseMessage } from '../protocols/modbus/sanity.js';
import { sleep } from '../protocols/reconnect.js';
import type { ModbusReadOptions } from './types.js';
import { modbusChangeLine, modbusJson, modbusTable, registerValueText } from './render.js';
import { INTERRUPTED, stopOnSignals } from './stop.js';

interface Selected {
  entries: RegisterEntry[];
  /** the item each entry was asked for by (an address as typed, or the entry's name) */
  itemOf: Map<RegisterEntry, string>;
  map?: string;
}

/** The entries to read, from addresses or a map: every problem is a usage error before connecting. */
export function selectEntries(o: ModbusReadOptions): Selected {
  const s = o.select;
  if (s.kind === 'address') {
    const itemOf = new Map<RegisterEntry, string>();
    const entries: RegisterEntry[] = [];
    for (const start of s.starts) {
      for (const e of addressEntries(start.table, start.address, s.type, s.order, s.count, s.length)) {
        entries.push(e);
        itemOf.set(e, start.item);
      }
    }
    return { entries, itemOf };
  }
  const map = loadRegisterMap(s.map);
  let entries = map.entries;
  if (s.names.length > 0) {
    const matchers = s.names.map((n) => {
      const re = globToRegExp(n);
      return (name: string) => re.test(name);
    });
    const unmatched = s.names.filter((_, i) => !map.entries.some((e) => matchers[i]!(e.name)));
    if (unmatched.length > 0) {
      throw usageError(
        `map ${map.name} has no entry ${unmatched.map((u) => `"${u}"`).join(', ')}`,
        `entries: ${map.entries
          .slice(0, 12)
          .map((e) => e.name)
          .join(', ')}${map.entries.length > 12 ? ', ...' : ''} (* matches any text, ? one character)`,
      );
    }
    entries = map.entries.filter((e) => matchers.some((m) => m(e.name)));
  }
  return { entries, itemOf: new Map(entries.map((e) => [e, e.name])), map: map.name };
}

function unitText(o: ModbusReadOptions): string {
  return `unit ${o.target.unit}`;
}

export async function readModbus(io: IO, o: ModbusReadOptions): Promise<number> {
  const sel = selectEntries(o);
  const link = await openModbusLink(o.target, { timeoutMs: o.timeoutMs, connectTimeoutMs: Math.max(o.timeoutMs, 2000) });
  try {
    // Gaps are bridged only between entries of a map (as the recorder does): addresses typed by
    // the user are read as typed, nothing around them.
    const reader = new RegisterReader(link, sel.entries, sel.map === undefined ? 0 : 10);
    return o.mode === 'watch' ? await watch(io, o, sel, reader, link) : await once(io, o, sel, reader);
  } finally {
    await link.close();
  }
}

function lostError(o: ModbusReadOptions, e: ModbusReadError): IiotError {
  return unreachableError(
    `${o.target.url}: ${e.message.replace(`${o.target.url}: `, '')}`,
    'check the device and the network (or the cable), then run again',
  );
}

async function once(io: IO, o: ModbusReadOptions, sel: Selected, reader: RegisterReader): Promise<number> {
  const t0 = performance.now();
  let readings: EntryReading[];
  try {
    readings = await reader.readAll();
  } catch (err) {
    throw err instanceof ModbusReadError ? lostError(o, err) : err;
  }
  const named = sel.map !== undefined;
  if (io.json) {
    emitJson(io, 'iiot.read/1', {
      endpoint: o.target.url,
      mode: 'once',
      unit: o.target.unit,
      ...(sel.map === undefined ? {} : { map: sel.map }),
      values: readings.map((r) => modbusJson(r, sel.itemOf.get(r.entry)!, named)),
    });
  } else {
    out(io, modbusTable(readings, named, io.style));
  }
  const n = reader.counters.requests;
  info(
    io,
    `${o.target.url}: ${readings.length} value${readings.length === 1 ? '' : 's'} in ${n} request${n === 1 ? '' : 's'} (${formatDuration(performance.now() - t0)})`,
  );
  warnNonsense(io, readings, new Set(), named);
  return verdict(o, readings);
}

/** Values that decode to nonsense (a swapped float): once per entry, with the order that would make sense. */
function warnNonsense(io: IO, readings: readonly EntryReading[], warned: Set<RegisterEntry>, named: boolean): void {
  for (const r of readings) {
    if (typeof r.value !== 'number' || !r.words || warned.has(r.entry)) continue;
    const why = nonsense(r.entry, r.value);
    if (why === undefined) continue;
    warned.add(r.entry);
    const text = nonsenseMessage(r.entry, r.value, why, r.words);
    // typed addresses are decoded by --order, not by a map
    warn(io, `${r.entry.name}: ${named ? text : text.replace(/\(set order: (\w+) in the map\)/, '(--order $1)')}`);
  }
}

/**
 * Exit code of a read: 0 when every entry has a value; exceptions 1-3 (illegal function, data
 * address, data value) are requests this device cannot serve, the user's input: 2; any other
 * exception or no answer: 3. Thrown after the values were printed.
 */
function verdict(o: ModbusReadOptions, readings: readonly EntryReading[]): number {
  const failed = readings.filter((r) => r.error);
  if (failed.length === 0) return ExitCode.Ok;
  const device = failed.filter((r) => r.error!.kind === 'timeout' || (r.error!.code ?? 0) > 3);
  // grouped by what went wrong: "hr:0x0065, hr:0x0066: exception 2 (illegal data address)"
  const byMessage = new Map<string, string[]>();
  for (const r of failed) byMessage.set(r.error!.message, [...(byMessage.get(r.error!.message) ?? []), r.entry.name]);
  const names = (list: string[]) => (list.length > 6 ? `${list.slice(0, 6).join(', ')} and ${list.length - 6} more` : list.join(', '));
  const shown = [...byMessage].map(([message, list]) => `${names(list)}: ${message}`);
  const where = `${o.target.url}`;
  if (failed.every((r) => r.error!.kind === 'timeout')) {
    throw unreachableError(
      `no answer from ${where} (${unitText(o)}) within ${formatDuration(o.timeoutMs)}${failed.length < readings.length ? ` for ${names(failed.map((r) => r.entry.name))}` : ''}`,
      o.target.protocol === 'modbus-rtu'
        ? 'check the unit id, baud rate, parity and the A/B wiring; give more time with --timeout'
        : 'check the unit id (a gateway forwards to the serial device behind it); give more time with --timeout',
    );
  }
  const all =
    failed.length === readings.length ? 'no register could be read' : `${failed.length} of ${readings.length} registers could not be read`;
  const message = `${where}: ${all}: ${shown.join('; ')}`;
  if (device.length > 0) {
    const gateway = device.some((r) => r.error!.code === 10 || r.error!.code === 11);
    throw unreachableError(
      message,
      gateway
        ? `the gateway has no answer from ${unitText(o)}: check the unit id and the serial side of the gateway`
        : 'the device answered with an error: check its state, and try again',
    );
  }
  throw new IiotError(ExitCode.Usage, message, {
    hint: "the device does not have these registers (or this function): check the table, address and length in the device's manual; the other values above were read",
  });
}

async function watch(io: IO, o: ModbusReadOptions, sel: Selected, reader: RegisterReader, link: ModbusLink): Promise<number> {
  const named = sel.map !== undefined;
  const label = (e: RegisterEntry) => e.name;
  const width = Math.max(...sel.entries.map((e) => label(e).length));
  const last = new Map<RegisterEntry, string>();
  const warned = new Set<RegisterEntry>();
  let polls = 0;
  let changes = 0;
  let latest: EntryReading[] = [];
  const stop = stopOnSignals();
  let lost: string | undefined;
  link.onClose(() => (lost ??= `${o.target.url} closed the connection`));
  info(
    io,
    `polling ${sel.entries.length} value${sel.entries.length === 1 ? '' : 's'} on ${o.target.url} every ${formatDuration(o.intervalMs)}${o.durationMs !== undefined ? ` for ${formatDuration(o.durationMs)}` : ''}; Ctrl-C to stop`,
  );
  const started = performance.now();
  const end = o.durationMs === undefined ? undefined : started + o.durationMs;
  let next = started;
  try {
    while (!stop.signal.aborted && lost === undefined) {
      try {
        latest = await reader.readAll(stop.signal);
      } catch (err) {
        if (!(err instanceof ModbusReadError)) throw err;
        lost = err.message.replace(`${o.target.url}: `, '');
        break;
      }
      if (stop.signal.aborted) break;
      polls++;
      for (const r of latest) {
        const key = r.error ? `!${r.error.message}` : registerValueText(r.entry, r.value);
        if (last.get(r.entry) === key) continue;
        last.set(r.entry, key);
        changes++;
        if (io.json)
          io.stdout.write(
            `${JSON.stringify({ schema: 'iiot.read.change/1', endpoint: o.target.url, ...modbusJson(r, sel.itemOf.get(r.entry)!, named) })}\n`,
          );
        else out(io, modbusChangeLine(r, label(r.entry), width, io.style));
      }
      warnNonsense(io, latest, warned, named);
      next += o.intervalMs;
      const now = performance.now();
      // a poll that took longer than the interval: skip the slots it overran
      if (next < now) next = now + o.intervalMs - ((now - next) % o.intervalMs);
      if (end !== undefined && next >= end) {
        await sleep(end - now, stop.signal);
        break;
      }
      await sleep(next - now, stop.signal);
    }
  } finally {
    stop.dispose();
  }
  info(io, `${polls} poll${polls === 1 ? '' : 's'}, ${changes} change${changes === 1 ? '' : 's'}`);
  if (lost !== undefined) {
    throw unreachableError(
      `watch ended: ${o.target.url}: ${lost}`,
      'the values printed above are all that arrived; run again when the device is back',
    );
  }
  if (stop.signal.aborted) return INTERRUPTED;
  return verdict(o, latest);
}
