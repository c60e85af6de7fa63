/**
 * The inventory for people (a table, Sparkplug nodes and devices indented under their broker, then
 * what did not answer) and for spreadsheets (CSV, one row per device and per Sparkplug node).
 */
import type { Styler } from '../render/color.js';
import { formatDuration } from '../core/units.js';
import { renderTable, type Column } from '../render/table.js';
import type { Inventory, InventoryDevice, NoAnswer } from './inventory.js';
import { intToIpv4, ipv4ToInt } from './targets.js';

type Body = Omit<Inventory, 'schema'>;

interface Row {
  url: string;
  protocol: string;
  name: string;
  details: string;
  level: number;
}

function settingText(s: { baud: number; parity: string; dataBits: number; stopBits: number }): string {
  return `${s.baud} ${s.dataBits}${s.parity[0]!.toUpperCase()}${s.stopBits}`;
}

const TOKEN_ORDER = ['Anonymous', 'UserName', 'Certificate', 'IssuedToken'];

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** One line about what a device offers. */
export function deviceDetails(d: InventoryDevice): string {
  switch (d.protocol) {
    case 'opcua': {
      const modes = uniq(d.endpoints.map((e) => e.securityMode));
      const policies = uniq(d.endpoints.map((e) => e.securityPolicy).filter((p) => p !== 'None'));
      const tokens = uniq(d.endpoints.flatMap((e) => e.userTokens.map((t) => t.type))).sort((a, b) => TOKEN_ORDER.indexOf(a) - TOKEN_ORDER.indexOf(b));
      const parts = [`${d.endpoints.length} endpoint${d.endpoints.length === 1 ? '' : 's'}${modes.length ? `: ${modes.join(', ')}${policies.length ? ` (${policies.join(', ')})` : ''}` : ''}`];
      if (tokens.length) parts.push(tokens.join(', '));
      if (d.registeredServers) parts.push(`${d.registeredServers.length} registered server${d.registeredServers.length === 1 ? '' : 's'}`);
      return parts.join('; ');
    }
    case 'modbus':
    case 'modbus-rtu': {
      const parts: string[] = [];
      if (d.protocol === 'modbus-rtu') parts.push(settingText(d.serial));
      const r = d.modbus.read;
      parts.push(r.answer === 'data' ? 'read ok' : `read: exception ${r.exception ?? '?'}`);
      parts.push(d.modbus.identification === 'ok' ? 'identification ok' : `identification: ${d.modbus.identification}`);
      if (d.protocol === 'modbus' && d.modbus.gateway) parts.push('gateway');
      if (d.protocol === 'modbus-rtu' && d.alsoAnswersAt?.length) parts.push(`also answers at ${d.alsoAnswersAt.map(settingText).join(', ')}`);
      return parts.join('; ');
    }
    case 'mqtt': {
      const parts: string[] = [];
      if (d.tls) {
        const c = d.tls.certificate;
        parts.push(`${d.tls.protocol}${c ? `, certificate ${c.commonName}, ${c.expired ? 'EXPIRED' : 'expires'} ${c.notAfter.slice(0, 10)}${c.selfSigned ? ', self-signed' : ''}` : ''}${d.tls.authorized ? '' : ', not trusted'}`);
      }
      if (d.sparkplug) {
        const nodes = d.sparkplug.groups.flatMap((g) => g.nodes);
        const devs = nodes.reduce((n, x) => n + x.devices.length, 0);
        parts.push(`Sparkplug: ${d.sparkplug.groups.length} group${d.sparkplug.groups.length === 1 ? '' : 's'}, ${nodes.length} edge node${nodes.length === 1 ? '' : 's'}, ${devs} device${devs === 1 ? '' : 's'}${d.sparkplug.hosts.length ? `, ${d.sparkplug.hosts.length} host application${d.sparkplug.hosts.length === 1 ? '' : 's'}` : ''}`);
      }
      return parts.join('; ');
    }
  }
}

function onlineWord(online: boolean | null): string {
  return online === true ? 'online' : online === false ? 'offline' : 'state unknown';
}

type SparkplugSeen = { birth: 'live' | 'certificate' | 'not-seen'; undecodableBirths?: number | undefined; birthError?: string | undefined; rebirthRequested?: boolean };

/** What is known of a node's or device's births, in words: heard, heard but not decodable, asked for and not answered, not heard. */
export function birthWords(n: SparkplugSeen, listened: string): string {
  if (n.birth === 'certificate') return ' (birth from the broker)';
  if (n.birth === 'live') return n.rebirthRequested ? ', rebirth asked and answered' : '';
  if (n.undecodableBirths) return `, ${n.undecodableBirths === 1 ? 'a birth' : `${n.undecodableBirths} births`} seen but not decodable${n.birthError ? ` (${n.birthError})` : ''}`;
  if (n.rebirthRequested) return `, rebirth asked: no birth came back within the ${listened} listen`;
  return ', births not seen';
}

function rows(inv: Body): Row[] {
  const out: Row[] = [];
  for (const d of inv.devices) {
    out.push({ url: d.url, protocol: d.protocol, name: d.name, details: deviceDetails(d), level: 0 });
    if (d.protocol === 'mqtt' && d.sparkplug) {
      const listened = formatDuration(d.sparkplug.listenedMs);
      for (const g of d.sparkplug.groups) {
        for (const n of g.nodes) {
          out.push({
            url: `  ${g.groupId}/${n.edgeNodeId}`,
            protocol: 'sparkplug',
            name: `edge node ${n.edgeNodeId}`,
            details: `${onlineWord(n.online)}${n.bdSeq !== null ? `, bdSeq ${n.bdSeq}` : ''}${n.metrics !== null ? `, ${n.metrics} metrics` : ''}${birthWords(n, listened)}`,
            level: 1,
          });
          for (const dev of n.devices) {
            out.push({
              url: `    ${g.groupId}/${n.edgeNodeId}/${dev.deviceId}`,
              protocol: 'sparkplug',
              name: `device ${dev.deviceId}`,
              details: `${onlineWord(dev.online)}${dev.metrics !== null ? `, ${dev.metrics} metrics` : ''}${birthWords(dev, listened)}`,
              level: 2,
            });
          }
        }
      }
    }
  }
  return out;
}

/** "127.0.0.3-127.0.0.9, 127.0.0.12" */
function hostRanges(hosts: string[]): string {
  const v4 = hosts.map((h) => ipv4ToInt(h)).filter((n): n is number => n !== undefined).sort((a, b) => a - b);
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
      const used = (['url', 'protocol', 'name'] as const).reduce((n, k) => n + Math.max(k === 'url' ? 6 : 8, ...list.map((r) => r[k].length)) + 2, 0);
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
        ? renderTable(inv.openPorts, [
            { header: 'HOST', value: (p) => p.host },
            { header: 'PORT', value: (p) => String(p.port), align: 'right' },
            { header: 'CONNECT', value: (p) => `${p.connectMs} ms`, align: 'right' },
          ], { headerStyle: style.bold })
        : 'No open port.',
    );
  }
  if (inv.mdns) {
    out.push('', style.bold(`mDNS (_opcua-tcp._tcp): ${inv.mdns.servers.length} announced`));
    for (const s of inv.mdns.servers) out.push(`  ${s.url}  ${s.instance}${s.capabilities.length ? ` [${s.capabilities.join(',')}]` : ''}${s.contacted ? '' : '  (not a named target: not contacted)'}`);
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
  const words: Record<string, string> = { opcua: 'OPC UA', modbus: 'Modbus TCP', 'modbus-rtu': 'Modbus RTU', mqtt: 'MQTT' };
  const by = Object.entries(s.byProtocol)
    .map(([p, n]) => `${n} ${words[p] ?? p}`)
    .join(', ');
  const sp = s.sparkplugNodes ? `, ${s.sparkplugNodes} Sparkplug node${s.sparkplugNodes === 1 ? '' : 's'} with ${s.sparkplugDevices} device${s.sparkplugDevices === 1 ? '' : 's'}` : '';
  const scanned = [
    inv.scope.hosts ? `${inv.scope.hosts} host${inv.scope.hosts === 1 ? '' : 's'} × ${inv.scope.ports.length} port${inv.scope.ports.length === 1 ? '' : 's'}` : '',
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

export const CSV_COLUMNS = ['url', 'protocol', 'name', 'host', 'port', 'path', 'unit', 'vendor', 'product', 'revision', 'security', 'anonymous', 'details'] as const;

export function renderInventoryCsv(inv: Body): string {
  const lines = [CSV_COLUMNS.join(',')];
  const add = (cells: Array<string | number | undefined>) => lines.push(cells.map(csvCell).join(','));
  for (const d of inv.devices) {
    const details = deviceDetails(d);
    switch (d.protocol) {
      case 'opcua':
        add([d.url, d.protocol, d.name, d.host, d.port, undefined, undefined, undefined, d.identity.productUri, undefined, uniq(d.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`)).join(' '), d.endpoints.some((e) => e.userTokens.some((t) => t.type === 'Anonymous')) ? 'yes' : 'no', details]);
        break;
      case 'modbus':
      case 'modbus-rtu':
        add([d.url, d.protocol, d.name, d.protocol === 'modbus' ? d.host : undefined, d.protocol === 'modbus' ? d.port : undefined, d.protocol === 'modbus-rtu' ? d.path : undefined, d.unit, d.identity.vendor, d.identity.productName ?? d.identity.modelName ?? d.identity.productCode, d.identity.revision, 'none', 'yes', details]);
        break;
      case 'mqtt':
        add([d.url, d.protocol, d.name, d.host, d.port, undefined, undefined, undefined, d.identity.version, d.identity.protocolVersion, d.tls ? d.tls.protocol : 'none', d.identity.anonymous === 'accepted' ? 'yes' : d.identity.anonymous === 'refused' ? 'no' : 'unknown', details]);
        for (const g of d.sparkplug?.groups ?? []) {
          for (const n of g.nodes) {
            add([d.url, 'sparkplug', `${g.groupId}/${n.edgeNodeId}`, d.host, d.port, undefined, undefined, undefined, undefined, undefined, undefined, undefined, `${onlineWord(n.online)}; ${n.metrics ?? '?'} metrics; devices: ${n.devices.map((x) => `${x.deviceId} (${x.metrics ?? '?'})`).join(' ')}`]);
          }
        }
        break;
    }
  }
  return `${lines.join('\n')}\n`;
}
