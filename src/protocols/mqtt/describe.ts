/**
 * An MQTT broker in the inventory, for people and spreadsheets: its TLS and the Sparkplug B
 * groups heard on it, in one line, in rows under it (edge nodes, their devices) and in CSV cells
 * (src/discovery/render.ts draws the table around them).
 */
import { formatDuration } from '../../core/units.js';
import type { CsvCells, TableRow } from '../discovery.js';
import type { MqttDevice } from './inventory.js';

export function mqttDetails(d: MqttDevice): string {
  const parts: string[] = [];
  if (d.tls) {
    const c = d.tls.certificate;
    parts.push(
      `${d.tls.protocol}${c ? `, certificate ${c.commonName}, ${c.expired ? 'EXPIRED' : 'expires'} ${c.notAfter.slice(0, 10)}${c.selfSigned ? ', self-signed' : ''}` : ''}${d.tls.authorized ? '' : ', not trusted'}`,
    );
  }
  if (d.sparkplug) {
    const nodes = d.sparkplug.groups.flatMap((g) => g.nodes);
    const devs = nodes.reduce((n, x) => n + x.devices.length, 0);
    parts.push(
      `Sparkplug: ${d.sparkplug.groups.length} group${d.sparkplug.groups.length === 1 ? '' : 's'}, ${nodes.length} edge node${nodes.length === 1 ? '' : 's'}, ${devs} device${devs === 1 ? '' : 's'}${d.sparkplug.hosts.length ? `, ${d.sparkplug.hosts.length} host application${d.sparkplug.hosts.length === 1 ? '' : 's'}` : ''}`,
    );
  }
  return parts.join('; ');
}

function onlineWord(online: boolean | null): string {
  return online === true ? 'online' : online === false ? 'offline' : 'state unknown';
}

type SparkplugSeen = {
  birth: 'live' | 'certificate' | 'not-seen';
  undecodableBirths?: number | undefined;
  birthError?: string | undefined;
  rebirthRequested?: boolean;
};

/** What is known of a node's or device's births, in words: heard, heard but not decodable, asked for and not answered, not heard. */
export function birthWords(n: SparkplugSeen, listened: string): string {
  if (n.birth === 'certificate') return ' (birth from the broker)';
  if (n.birth === 'live') return n.rebirthRequested ? ', rebirth asked and answered' : '';
  if (n.undecodableBirths)
    return `, ${n.undecodableBirths === 1 ? 'a birth' : `${n.undecodableBirths} births`} seen but not decodable${n.birthError ? ` (${n.birthError})` : ''}`;
  if (n.rebirthRequested) return `, rebirth asked: no birth came back within the ${listened} listen`;
  return ', births not seen';
}

/** The Sparkplug edge nodes heard on the broker, and their devices, indented under it. */
export function mqttRows(d: MqttDevice): TableRow[] {
  const out: TableRow[] = [];
  if (!d.sparkplug) return out;
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
  return out;
}

/** The broker's row, then one per Sparkplug edge node. */
export function mqttCsv(d: MqttDevice, details: string): CsvCells[] {
  const rows: CsvCells[] = [
    [
      d.url,
      d.protocol,
      d.name,
      d.host,
      d.port,
      undefined,
      undefined,
      undefined,
      d.identity.version,
      d.identity.protocolVersion,
      d.tls ? d.tls.protocol : 'none',
      d.identity.anonymous === 'accepted' ? 'yes' : d.identity.anonymous === 'refused' ? 'no' : 'unknown',
      details,
    ],
  ];
  for (const g of d.sparkplug?.groups ?? []) {
    for (const n of g.nodes) {
      rows.push([
        d.url,
        'sparkplug',
        `${g.groupId}/${n.edgeNodeId}`,
        d.host,
        d.port,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        undefined,
        `${onlineWord(n.online)}; ${n.metrics ?? '?'} metrics; devices: ${n.devices.map((x) => `${x.deviceId} (${x.metrics ?? '?'})`).join(' ')}`,
      ]);
    }
  }
  return rows;
}
