import { usageError } from './errors.js';

/**
 * Every device is named by a URL, in every command and every output (docs/targets.md):
 *   opc.tcp://host:port[/path]
 *   modbus://host:port?unit=N
 *   modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=N
 *   mqtt://host:port, mqtts://host:port
 *   tcp://host:port (latency checks only)
 */
export type Target = OpcUaTarget | ModbusTcpTarget | ModbusRtuTarget | MqttTarget | TcpTarget;

export interface OpcUaTarget {
  readonly protocol: 'opcua';
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly path: string;
}

export interface ModbusTcpTarget {
  readonly protocol: 'modbus';
  readonly url: string;
  readonly host: string;
  readonly port: number;
  /** unit id (slave id), 0-255; 1 by default; 255 is the usual "the gateway itself" */
  readonly unit: number;
}

export type Parity = 'none' | 'even' | 'odd' | 'mark' | 'space';

export interface ModbusRtuTarget {
  readonly protocol: 'modbus-rtu';
  readonly url: string;
  /** serial device path, e.g. /dev/ttyUSB0 */
  readonly path: string;
  readonly baud: number;
  readonly parity: Parity;
  readonly dataBits: 7 | 8;
  readonly stopBits: 1 | 2;
  readonly unit: number;
}

export interface MqttTarget {
  readonly protocol: 'mqtt';
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly tls: boolean;
}

export interface TcpTarget {
  readonly protocol: 'tcp';
  readonly url: string;
  readonly host: string;
  readonly port: number;
}

const DEFAULT_PORTS = { opcua: 4840, modbus: 502, mqtt: 1883, mqtts: 8883 } as const;

export const TARGET_EXAMPLES =
  'opc.tcp://127.0.0.1:4840, modbus://127.0.0.1:502?unit=1, modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=3, mqtt://127.0.0.1:1883, mqtts://127.0.0.1:8883';

function bad(text: string, why: string, hint?: string): never {
  throw usageError(`bad device URL "${text}": ${why}`, hint ?? `device URLs look like ${TARGET_EXAMPLES} (docs/targets.md)`);
}

function parsePort(text: string, raw: string, fallback: number): number {
  if (raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) bad(text, `port "${raw}" is not a number from 1 to 65535`);
  return port;
}

function parseUnit(text: string, raw: string | null, fallback: number): number {
  if (raw === null || raw === '') return fallback;
  const unit = Number(raw);
  if (!Number.isInteger(unit) || unit < 0 || unit > 255) bad(text, `unit id "${raw}" is not a whole number from 0 to 255`);
  return unit;
}

/** Host as written in URLs: IPv6 in brackets. */
export function formatHost(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}

function hostOf(url: URL, text: string): string {
  const h = url.hostname;
  if (h === '') bad(text, 'no host', undefined);
  return h.startsWith('[') ? h.slice(1, -1) : h;
}

const KNOWN_QUERY: Record<string, readonly string[]> = {
  modbus: ['unit'],
  'modbus-rtu': ['unit', 'baud', 'parity', 'databits', 'stopbits'],
};

function checkQuery(text: string, url: URL, protocol: string): void {
  const known = KNOWN_QUERY[protocol] ?? [];
  for (const key of url.searchParams.keys()) {
    if (!known.includes(key.toLowerCase())) {
      bad(
        text,
        `unknown parameter "${key}"`,
        known.length ? `${protocol} URLs take: ${known.join(', ')}` : `${protocol} URLs take no parameters`,
      );
    }
  }
}

/** Parses a device URL once, at the edge. A missing scheme is an error, not a guess. */
export function parseTarget(text: string): Target {
  const trimmed = text.trim();
  const scheme = /^([a-z][a-z0-9.+-]*):\/\//i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) {
    if (trimmed.startsWith('/dev/') || /^COM\d+$/i.test(trimmed)) {
      bad(
        text,
        'a serial port needs the modbus-rtu scheme',
        `write modbus-rtu://${trimmed.startsWith('/') ? '' : '/'}${trimmed}?baud=19200&parity=even&unit=1`,
      );
    }
    bad(text, 'no scheme (opc.tcp://, modbus://, modbus-rtu://, mqtt://, mqtts://, tcp://)');
  }
  if (scheme === 'modbus-rtu') return parseRtu(text, trimmed);
  const authority = /^[a-z][a-z0-9.+-]*:\/\/([^/?#]*)/i.exec(trimmed)?.[1] ?? '';
  if (authority.includes('@')) {
    bad(
      text,
      'credentials do not belong in the URL (they would end up in shell history and logs)',
      'give the user with --user and the password through an environment variable or a file (docs/targets.md)',
    );
  }
  const rawPort = /^[a-z][a-z0-9.+-]*:\/\/(?:\[[^\]]*\]|[^/:?#]*)(?::([^/?#]*))?/i.exec(trimmed)?.[1] ?? '';
  // Checked before the URL parser, which would only say "invalid URL" for a port out of range.
  if (rawPort !== '') parsePort(text, rawPort, 0);
  let url: URL;
  try {
    // WHATWG URL only parses host and port for "special" schemes; parse the rest as http.
    url = new URL(trimmed.replace(/^[a-z][a-z0-9.+-]*:\/\//i, 'http://'));
  } catch {
    bad(text, 'not a valid URL');
  }
  const host = hostOf(url, text);
  switch (scheme) {
    case 'opc.tcp': {
      checkQuery(text, url, 'opcua');
      const port = parsePort(text, rawPort, DEFAULT_PORTS.opcua);
      const path = url.pathname === '/' ? '' : url.pathname;
      return { protocol: 'opcua', url: `opc.tcp://${formatHost(host)}:${port}${path}`, host, port, path };
    }
    case 'modbus':
    case 'modbus-tcp': {
      checkQuery(text, url, 'modbus');
      if (url.pathname !== '/' && url.pathname !== '') bad(text, 'a Modbus TCP URL has no path', 'write modbus://host:port?unit=N');
      const port = parsePort(text, rawPort, DEFAULT_PORTS.modbus);
      const unit = parseUnit(text, url.searchParams.get('unit'), 1);
      return { protocol: 'modbus', url: `modbus://${formatHost(host)}:${port}?unit=${unit}`, host, port, unit };
    }
    case 'mqtt':
    case 'mqtts':
    case 'tcp': {
      checkQuery(text, url, scheme);
      if (url.pathname !== '/' && url.pathname !== '')
        bad(text, `a ${scheme} URL has no path`, scheme === 'tcp' ? 'write tcp://host:port' : 'give topics with --topic');
      if (scheme === 'tcp') {
        if (rawPort === '') bad(text, 'a tcp:// target needs a port', 'write tcp://host:port');
        const port = parsePort(text, rawPort, 0);
        return { protocol: 'tcp', url: `tcp://${formatHost(host)}:${port}`, host, port };
      }
      const tls = scheme === 'mqtts';
      const port = parsePort(text, rawPort, tls ? DEFAULT_PORTS.mqtts : DEFAULT_PORTS.mqtt);
      return { protocol: 'mqtt', url: `${scheme}://${formatHost(host)}:${port}`, host, port, tls };
    }
    default:
      return bad(text, `unknown scheme "${scheme}://"`);
  }
}

const PARITIES: readonly Parity[] = ['none', 'even', 'odd', 'mark', 'space'];

function parseRtu(text: string, trimmed: string): ModbusRtuTarget {
  // modbus-rtu:///dev/ttyUSB0?baud=... (empty host, absolute path) or modbus-rtu://COM3?...
  const rest = trimmed.slice('modbus-rtu://'.length);
  const q = rest.indexOf('?');
  const rawPath = decodeURIComponent(q < 0 ? rest : rest.slice(0, q));
  const params = new URLSearchParams(q < 0 ? '' : rest.slice(q + 1));
  if (rawPath === '') bad(text, 'no serial port path', 'write modbus-rtu:///dev/ttyUSB0?baud=19200&parity=even&unit=1');
  for (const key of params.keys()) {
    if (!KNOWN_QUERY['modbus-rtu']!.includes(key.toLowerCase()))
      bad(text, `unknown parameter "${key}"`, `modbus-rtu URLs take: ${KNOWN_QUERY['modbus-rtu']!.join(', ')}`);
  }
  const baudText = params.get('baud') ?? '9600';
  const baud = Number(baudText);
  if (!Number.isInteger(baud) || baud < 300 || baud > 4_000_000)
    bad(text, `baud rate "${baudText}" is not a serial speed`, 'common speeds: 9600, 19200, 38400, 57600, 115200');
  const parity = (params.get('parity') ?? 'none').toLowerCase() as Parity;
  if (!PARITIES.includes(parity)) bad(text, `parity "${params.get('parity')}" is not one of ${PARITIES.join(', ')}`);
  const dataBits = Number(params.get('databits') ?? '8');
  if (dataBits !== 7 && dataBits !== 8) bad(text, 'databits must be 7 or 8');
  // Modbus RTU: 11 bits per character; without parity the standard asks for 2 stop bits, but most
  // devices use 1, so we keep 1 unless told.
  const stopBits = Number(params.get('stopbits') ?? '1');
  if (stopBits !== 1 && stopBits !== 2) bad(text, 'stopbits must be 1 or 2');
  const unit = parseUnit(text, params.get('unit'), 1);
  const path = rawPath;
  const query = `baud=${baud}&parity=${parity}${dataBits !== 8 ? `&databits=${dataBits}` : ''}${stopBits !== 1 ? `&stopbits=${stopBits}` : ''}&unit=${unit}`;
  return {
    protocol: 'modbus-rtu',
    url: `modbus-rtu://${path}?${query}`,
    path,
    baud,
    parity,
    dataBits: dataBits as 7 | 8,
    stopBits: stopBits as 1 | 2,
    unit,
  };
}

/** True for 127.0.0.0/8 and ::1: the only addresses tests, fixtures and defaults may use. */
export function isLoopback(host: string): boolean {
  if (host === 'localhost' || host === '::1' || host === '[::1]') return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}
