/**
 * An OPC UA server in the inventory, for people and spreadsheets: what its endpoints offer, in one
 * line and in CSV cells (src/discovery/render.ts draws the table around them).
 */
import type { CsvCells } from '../discovery.js';
import type { OpcUaDevice } from './inventory.js';

const TOKEN_ORDER = ['Anonymous', 'UserName', 'Certificate', 'IssuedToken'];

function uniq(xs: string[]): string[] {
  return [...new Set(xs)];
}

/** Security modes and policies of its endpoints, user tokens, registered servers. */
export function opcuaDetails(d: OpcUaDevice): string {
  const modes = uniq(d.endpoints.map((e) => e.securityMode));
  const policies = uniq(d.endpoints.map((e) => e.securityPolicy).filter((p) => p !== 'None'));
  const tokens = uniq(d.endpoints.flatMap((e) => e.userTokens.map((t) => t.type))).sort(
    (a, b) => TOKEN_ORDER.indexOf(a) - TOKEN_ORDER.indexOf(b),
  );
  const parts = [
    `${d.endpoints.length} endpoint${d.endpoints.length === 1 ? '' : 's'}${modes.length ? `: ${modes.join(', ')}${policies.length ? ` (${policies.join(', ')})` : ''}` : ''}`,
  ];
  if (tokens.length) parts.push(tokens.join(', '));
  if (d.registeredServers) parts.push(`${d.registeredServers.length} registered server${d.registeredServers.length === 1 ? '' : 's'}`);
  return parts.join('; ');
}

export function opcuaCsv(d: OpcUaDevice, details: string): CsvCells[] {
  return [
    [
      d.url,
      d.protocol,
      d.name,
      d.host,
      d.port,
      undefined,
      undefined,
      undefined,
      d.identity.productUri,
      undefined,
      uniq(d.endpoints.map((e) => `${e.securityMode}/${e.securityPolicy}`)).join(' '),
      d.endpoints.some((e) => e.userTokens.some((t) => t.type === 'Anonymous')) ? 'yes' : 'no',
      details,
    ],
  ];
}
