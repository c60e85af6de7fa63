/**
 * `iiot discover`: the command's work once its flags are parsed. Progress on stderr (a bar on a
 * terminal), the inventory on stdout (table, --json or --csv), optionally also into a file.
 */
import { unreachableError } from '../core/errors.js';
import { debug, emitJson, info, out, warn, type IO } from '../core/io.js';
import { refuseToReplace, writeFileSafely } from '../core/output-file.js';
import { formatDuration } from '../core/units.js';
import { progressLine } from '../render/progress-line.js';
import { INVENTORY_SCHEMA } from './schema-name.js';
import type { DiscoverOptions } from './options.js';
import { renderInventoryCsv, renderInventoryTable, summaryLine } from './render.js';
import { runScan, type ScanProgress } from './scan.js';

/** Exit code of a one-shot command interrupted by Ctrl-C (docs/exit-codes.md). */
const INTERRUPTED = 130;

function bar(p: ScanProgress, width = 24): string {
  const frac = p.total > 0 ? Math.min(1, p.done / p.total) : 0;
  const full = Math.round(frac * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${String(Math.round(frac * 100)).padStart(3)}% ${p.done}/${p.total} · ${p.devices} device${p.devices === 1 ? '' : 's'} · ${p.current}`;
}

function planLine(o: DiscoverOptions): string {
  const parts: string[] = [];
  const t = o.targets;
  const addresses = t.hostSpecs.length + t.ranges.reduce((n, r) => n + r.last - r.first + 1, 0);
  if (addresses)
    parts.push(
      `${addresses} address${addresses === 1 ? '' : 'es'} on port${o.ports.length === 1 ? '' : 's'} ${o.ports.map((p) => p.port).join(', ')}`,
    );
  if (t.urls.length) parts.push(`${t.urls.length} device URL${t.urls.length === 1 ? '' : 's'}`);
  if (t.serial.length) parts.push(`serial ${t.serial.map((s) => s.path).join(', ')}`);
  if (o.mdns) parts.push('mDNS');
  const network = addresses > 0 || t.urls.length > 0;
  const politeness = network
    ? ` (${o.rate > 0 ? `at most ${o.rate} new connections/s` : 'no rate limit'}, ${o.concurrency} at a time per host, timeout ${formatDuration(o.timeoutMs)})`
    : '';
  return `Scanning ${parts.join(', ')}${politeness}${o.probe ? '' : ', TCP connect only'}.`;
}

export async function runDiscover(io: IO, options: DiscoverOptions): Promise<number> {
  // before the scan, not after it: an existing inventory is replaced only with --force
  if (options.output !== undefined) refuseToReplace(options.output, { force: options.force });
  const ac = new AbortController();
  const onSignal = () => ac.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const progress = progressLine(io);
  let result;
  try {
    result = await runScan(
      options,
      {
        started: () => info(io, io.errStyle.dim(planLine(options))),
        ...(io.animate ? { progress: (p: ScanProgress) => progress.update(bar(p)) } : {}),
        warn: (line) => {
          progress.done();
          warn(io, line);
        },
        debug: (line) => debug(io, line),
      },
      ac.signal,
    );
  } finally {
    progress.done();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
  const inv = result.inventory;
  if (options.output !== undefined) {
    writeFileSafely(options.output, `${JSON.stringify({ schema: INVENTORY_SCHEMA, ...inv }, null, 2)}\n`, { force: options.force });
  }
  if (options.format === 'json') emitJson(io, INVENTORY_SCHEMA, inv);
  else if (options.format === 'csv') io.stdout.write(renderInventoryCsv(inv));
  else out(io, renderInventoryTable(inv, io.style, io.stdoutIsTTY ? (io.stdout as { columns?: number }).columns : undefined));
  info(io, summaryLine(inv) + (options.output !== undefined ? ` Inventory written to ${options.output}.` : ''));
  if (result.errors.length > 0) {
    // the inventory is out; now the first thing that could not be done, as the error of the run
    for (const e of result.errors.slice(1)) warn(io, e.message);
    throw result.errors[0]!;
  }
  if (result.interrupted) return INTERRUPTED;
  if (!inv.scope.probe) {
    if (inv.openPorts.length > 0) return 0;
    throw unreachableError(
      'no open port on any target',
      'check the addresses and --ports, and that no firewall is in between; the JSON inventory lists every target tried under "noAnswer"',
    );
  }
  if (inv.devices.length === 0) {
    if (inv.mdns && inv.mdns.servers.length > 0) return 0; // announcements are a result
    const open = inv.openPorts.length;
    const what: string[] = [];
    if (inv.scope.hosts > 0 || options.targets.urls.length > 0)
      what.push(
        open > 0 ? `${open} open port${open === 1 ? '' : 's'}, none answered as OPC UA, Modbus or MQTT` : 'no port open on any target',
      );
    if (inv.scope.serial.length > 0) what.push(`no unit id answered on ${inv.scope.serial.join(', ')}`);
    if (inv.mdns) what.push('no OPC UA server announced itself over mDNS');
    const hints: string[] = [];
    if (inv.scope.hosts > 0 || options.targets.urls.length > 0)
      hints.push('check the addresses and --ports (a device on another port needs --ports PORT:PROTOCOL) and any firewall in between');
    if (inv.mdns)
      hints.push(
        'mDNS reaches the local segment only, and only servers that announce themselves (an LDS-ME, or servers with multicast announcements on)',
      );
    if (inv.scope.serial.length > 0)
      hints.push(
        'on the serial line check the wiring (A and B swapped?), termination and settings: try more --baud and --parity values, and --unit-timeout 300ms for slow devices',
      );
    throw unreachableError(
      `no device answered: ${what.join('; ') || 'nothing answered'}`,
      [...hints, 'the JSON inventory lists every target tried under "noAnswer"'].join('; '),
    );
  }
  return 0;
}
