/**
 * The inventory for people (a table, Sparkplug nodes and devices indented under their broker, then
 * what did not answer) and for spreadsheets (CSV, one row per device and per Sparkplug node).
 */
import type { Styler } from '../render/color.js';
import { formatDuration } from '../core/units.js';
import type { TableRow } from '../protocols/discovery.js';
import { DISCOVERABLE, discoveryFor } from '../protocols/registry.js';
import { renderTable, type Column } from '../render/table.js';
import type { Inventory, InventoryDevice, NoAnswer } from './inventory.js';
import { intToIpv4, ipv4ToInt } from './targets.js';

type Body = Omit<Inventory, 'schema'>;

type Row = TableRow;

/** One line about what a device offers (its protocol says). */
export function deviceDetails(d: InventoryDevice): string {
  return discoveryFor(d.protocol).details(d);
}

function rows(inv: Body): Row[] {
  const out: Row[] = [];
  for (const d of inv.devices) {
    out.push({ url: d.url, protocol: d.protocol, name: d.name, details: deviceDetails(d), level: 0 });
    // what was found under it (the Sparkplug nodes and devices on a broker)
    out.push(...(discoveryFor(d.protocol).rows?.(d) ?? []));
  }
  return out;
}

/** "127.0.0.3-127.0.0.9, 127.0.0.12" */
function hostRanges(hosts: string[]): string {
  const v4 = hosts
    .map((h) => ipv4ToInt(h))
    .filter((n): n is number => n !== undefined)
    .sort((a, b) => a - b);
  const other = hosts.filter((h) => ipv4ToInt(h) === undefined);
  const parts: string[] = [];
  for (let i = 0; i < v4.length; ) {
    let j = i;
    while (j + 1 < v4.length && v4[j + 1] === v4[j]! + 1) j++;
    parts.push(i === j ? intToIpv4(v4[i]!) : `${intToIpv4(v4[i]!)}-${intToIpv4(v4[j]!)}`);
    i = j + 1;
  }
  return [...parts, ...other].join(', ');
}

const RESULT_WORDS: Record<NoAnswer['result'], string> = {
  closed: 'closed (connection refused)',
  timeout: 'no answer (timed out)',
  unreachable: 'host unreachable',
  reset: 'reset the connection',
  garbage: 'answered, not in a protocol we know',
  silent: 'open, no answer in any protocol tried',
  'no-device': 'no device',
  'not-probed': 'open, not probed',
  error: 'error',
};

/** No-answer lines: hosts with the same result on the same ports grouped into ranges. */
export function noAnswerLines(list: readonly NoAnswer[]): string[] {
  const grouped = new Map<string, { hosts: string[]; entry: NoAnswer }>();
  const lines: string[] = [];
  for (const n of list) {
    if (n.ports && n.host && n.port === undefined) {
      const key = `${n.result}|${n.ports.join(',')}`;
      const g = grouped.get(key);
      if (g) g.hosts.push(n.host);
      else grouped.set(key, { hosts: [n.host], entry: n });
      continue;
    }
    lines.push(`${n.target}: ${RESULT_WORDS[n.result]}${n.detail && n.result !== 'closed' ? ` (${n.detail})` : ''}`);
  }
  const hostLines = [...grouped.values()].map(({ hosts, entry }) => {
    const portsText = entry.ports!.length === 1 ? `port ${entry.ports![0]}` : `ports ${entry.ports!.join(', ')}`;
    return `${hosts.length === 1 ? hosts[0] : `${hosts.length} hosts (${hostRanges(hosts)})`}: ${portsText} ${RESULT_WORDS[entry.result]}`;
  });
  return [...hostLines, ...lines];
}

/** `width`: the terminal's, when printing to one; the details column is cut to fit it. */
export function renderInventoryTable(inv: Body, style: Styler, width?: number): string {
  const out: string[] = [];
  const list = rows(inv);
  if (list.length > 0) {
    let detailsWidth = Number.POSITIVE_INFINITY;
    if (width !== undefined && width > 0) {
      const used = (['url', 'protocol', 'name'] as const).reduce(
        (n, k) => n + Math.max(k === 'url' ? 6 : 8, ...list.map((r) => r[k].length)) + 2,
        0,
      );
      detailsWidth = Math.max(30, width - used - 1);
    }
    const cut = (s: string) => (s.length > detailsWidth ? `${s.slice(0, detailsWidth - 1)}…` : s);
    const columns: Column<Row>[] = [
      { header: 'DEVICE', value: (r) => r.url },
      { header: 'PROTOCOL', value: (r) => r.protocol },
      { header: 'NAME', value: (r) => r.name },
      { header: 'DETAILS', value: (r) => cut(r.details) },
    ];
    out.push(renderTable(list, columns, { headerStyle: style.bold }));
    const notes = inv.devices.flatMap((d) => (d.notes ?? []).map((n) => `  ${d.url}: ${n}`));
    if (notes.length) out.push('', style.bold('Notes'), ...notes);
  } else if (inv.scope.probe) {
    out.push('No device found.');
  }
  if (!inv.scope.probe) {
    out.push(
      inv.openPorts.length
        ? renderTable(
            inv.openPorts,
            [
              { header: 'HOST', value: (p) => p.host },
              { header: 'PORT', value: (p) => String(p.port), align: 'right' },
              { header: 'CONNECT', value: (p) => `${p.connectMs} ms`, align: 'right' },
            ],
            { headerStyle: style.bold },
          )
        : 'No open port.',
    );
  }
  if (inv.mdns) {
    out.push('', style.bold(`mDNS (_opcua-tcp._tcp): ${inv.mdns.servers.length} announced`));
    for (const s of inv.mdns.servers)
      out.push(
        `  ${s.url}  ${s.instance}${s.capabilities.length ? ` [${s.capabilities.join(',')}]` : ''}${s.contacted ? '' : '  (not a named target: not contacted)'}`,
      );
    if (inv.mdns.error) out.push(`  ${inv.mdns.error}`);
  }
  const na = noAnswerLines(inv.noAnswer);
  if (na.length) {
    out.push('', style.bold(`No answer`));
    for (const l of na) out.push(`  ${l}`);
  }
  return out.join('\n');
}

/** The line on stderr after the table. */
export function summaryLine(inv: Body): string {
  const s = inv.summary;
  const words: Record<string, string> = Object.fromEntries(
    DISCOVERABLE.flatMap((p) => Object.entries(p.discovery.kinds).map(([kind, w]) => [kind, w.summary])),
  );
  const by = Object.entries(s.byProtocol)
    .map(([p, n]) => `${n} ${words[p] ?? p}`)
    .join(', ');
  const sp = s.sparkplugNodes
    ? `, ${s.sparkplugNodes} Sparkplug node${s.sparkplugNodes === 1 ? '' : 's'} with ${s.sparkplugDevices} device${s.sparkplugDevices === 1 ? '' : 's'}`
    : '';
  const scanned = [
    inv.scope.hosts
      ? `${inv.scope.hosts} host${inv.scope.hosts === 1 ? '' : 's'} × ${inv.scope.ports.length} port${inv.scope.ports.length === 1 ? '' : 's'}`
      : '',
    inv.scope.serial.length ? `${inv.scope.serial.length} serial port${inv.scope.serial.length === 1 ? '' : 's'}` : '',
  ]
    .filter(Boolean)
    .join(' and ');
  const what = scanned ? `Scanned ${scanned}` : inv.scope.targets.length > 0 ? 'Probed the URLs named' : 'Asked the local segment (mDNS)';
  return `${what} in ${formatDuration(inv.durationMs)}: ${s.devices} device${s.devices === 1 ? '' : 's'}${by ? ` (${by}${sp})` : ''}; ${s.connections} connection${s.connections === 1 ? '' : 's'} opened; ${inv.complete ? 'complete' : `INCOMPLETE (${(inv.incomplete ?? []).join('; ')})`}.`;
}

function csvCell(v: string | number | undefined): string {
  if (v === undefined) return '';
  const s = String(v);
  return /[",\n\r]/.test(s) || /^[=+\-@]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export const CSV_COLUMNS = [
  'url',
  'protocol',
  'name',
  'host',
  'port',
  'path',
  'unit',
  'vendor',
  'product',
  'revision',
  'security',
  'anonymous',
  'details',
] as const;

export function renderInventoryCsv(inv: Body): string {
  const lines = [CSV_COLUMNS.join(',')];
  const add = (cells: Array<string | number | undefined>) => lines.push(cells.map(csvCell).join(','));
  for (const d of inv.devices) for (const cells of discoveryFor(d.protocol).csv(d, deviceDetails(d))) add(cells);
  return `${lines.join('\n')}\n`;
}
