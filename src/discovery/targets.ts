/**
 * What `iiot discover` may touch, parsed once at the edge: addresses (single, CIDR, ranges), host
 * names, device URLs (opc.tcp://, modbus://, mqtt://, mqtts://, modbus-rtu://) and serial ports.
 * Nothing outside what is named here is ever contacted. Pure functions, except `resolveHosts`,
 * which asks the system resolver for host names.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { resolve as resolvePath } from 'node:path';
import { usageError } from '../core/errors.js';
import { parseTarget, type Parity, type Target } from '../core/targets.js';
import { protocolFor } from '../protocols/registry.js';

/** A range scan above this many addresses needs --yes. */
export const LARGE_RANGE = 1024;

export const TARGET_HINT =
  'targets are addresses (127.0.0.1), CIDR ranges (127.0.0.0/29), IP ranges (127.0.0.1-127.0.0.9 or 127.0.0.1-9), host names, ' +
  'device URLs (opc.tcp://127.0.0.1:4840) or serial ports (/dev/ttyUSB0, COM3)';

/** One address to port-scan, with the text that named it (for messages). */
export interface HostTarget {
  kind: 'host';
  /** the IP address connected to */
  address: string;
  /** the host name as written, when it was one */
  name?: string;
  /** the argument this came from */
  source: string;
}

/** A device URL: probed as named, no port scan. */
export interface UrlTarget {
  kind: 'url';
  target: Exclude<Target, { protocol: 'modbus-rtu' | 'tcp' }>;
  /** parseTarget's canonical URL */
  url: string;
  /** true when the URL named a unit id (modbus://h:p?unit=N) */
  unitGiven: boolean;
  source: string;
}

/** A serial port to sweep for Modbus RTU devices. */
export interface SerialTarget {
  kind: 'serial';
  path: string;
  /** settings fixed by a modbus-rtu:// URL (they replace --baud / --parity for this port) */
  baud?: number;
  parity?: Parity;
  dataBits?: 7 | 8;
  stopBits?: 1 | 2;
  unit?: number;
  source: string;
}

export interface ParsedTargets {
  /** addresses and names still to resolve, in order, before de-duplication */
  hostSpecs: Array<{ kind: 'address'; address: string; source: string } | { kind: 'name'; name: string; source: string }>;
  urls: UrlTarget[];
  serial: SerialTarget[];
  /** CIDR blocks and IP ranges, expanded lazily */
  ranges: Array<{ first: number; last: number; source: string }>;
  /** addresses named, ranges counted in full (before resolving names and removing duplicates) */
  addressCount: number;
}

// ---------------------------------------------------------------------------------------------
// IPv4 arithmetic

export function ipv4ToInt(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i]!;
    if (part.length > 1 && part.startsWith('0')) return undefined; // 010: octal or decimal? refuse
    const v = Number(part);
    if (v > 255) return undefined;
    n = n * 256 + v;
  }
  return n;
}

export function intToIpv4(n: number): string {
  return [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
}

const looksLikeIpv4 = (s: string) => /^[\d.]+$/.test(s) && s.includes('.');

function badTarget(text: string, why: string, hint = TARGET_HINT): never {
  throw usageError(`target "${text}": ${why}`, hint);
}

function parseIpv4(text: string, whole: string): number {
  const n = ipv4ToInt(text);
  if (n === undefined) badTarget(whole, `"${text}" is not an IPv4 address (four numbers from 0 to 255)`);
  return n;
}

/** "127.0.0.0/29" -> first and last address to scan (network and broadcast left out up to /30). */
export function cidrRange(text: string): { first: number; last: number } {
  const m = /^([^/]+)\/(\d{1,3})$/.exec(text);
  if (!m) badTarget(text, 'not a CIDR range');
  const base = m[1]!;
  if (isIP(base) === 6) badTarget(text, 'IPv6 ranges are not scanned (they are too large to sweep)', 'name IPv6 hosts one by one: ::1');
  const addr = parseIpv4(base, text);
  const bits = Number(m[2]);
  if (!Number.isInteger(bits) || bits < 0 || bits > 32) badTarget(text, `prefix length /${m[2]} is not from 0 to 32`);
  const size = 2 ** (32 - bits);
  const network = bits === 0 ? 0 : Math.floor(addr / size) * size;
  if (network !== addr) {
    badTarget(
      text,
      `${base} is not the start of a /${bits} block`,
      `write ${intToIpv4(network)}/${bits} (or name the one address ${base})`,
    );
  }
  // A /31 and a /32 have no network or broadcast address (RFC 3021); larger blocks do.
  if (bits >= 31) return { first: network, last: network + size - 1 };
  return { first: network + 1, last: network + size - 2 };
}

/** "127.0.0.1-127.0.0.9" or "127.0.0.1-9" (the last octet). */
export function ipRange(text: string): { first: number; last: number } {
  const m = /^([\d.]+)-([\d.]+)$/.exec(text);
  if (!m) badTarget(text, 'not an IP range');
  const first = parseIpv4(m[1]!, text);
  let last: number;
  if (/^\d{1,3}$/.test(m[2]!)) {
    const octet = Number(m[2]);
    if (octet > 255) badTarget(text, `"${m[2]}" is not a last octet from 0 to 255`);
    last = Math.floor(first / 256) * 256 + octet;
  } else {
    last = parseIpv4(m[2]!, text);
  }
  if (last < first)
    badTarget(text, 'the range ends before it starts', `write the lower address first: ${intToIpv4(last)}-${intToIpv4(first)}`);
  return { first, last };
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

export function isSerialPath(text: string): boolean {
  return (
    text.startsWith('/') || text.startsWith('./') || text.startsWith('../') || /^COM\d+$/i.test(text) || /^\\\\\.\\COM\d+$/i.test(text)
  );
}

/** Device URLs and inventories name serial ports by absolute path (COM ports as they are). */
export function serialPath(text: string): string {
  return /^COM\d+$/i.test(text) || text.startsWith('\\\\.\\') ? text : resolvePath(text);
}

/**
 * Parses the positional targets. Ranges are kept as counts and expanded lazily by
 * `expandAddresses`, so a typo like 10.0.0.0/8 is refused before 16 million strings exist.
 */
export function parseTargets(texts: readonly string[]): ParsedTargets {
  const out: ParsedTargets = { hostSpecs: [], urls: [], serial: [], addressCount: 0, ranges: [] };
  for (const raw of texts) {
    const text = raw.trim();
    if (text === '') badTarget(raw, 'empty');
    if (/^[a-z][a-z0-9.+-]*:\/\//i.test(text)) {
      addUrl(out, text);
      continue;
    }
    if (isSerialPath(text)) {
      out.serial.push({ kind: 'serial', path: serialPath(text), source: text });
      continue;
    }
    if (text.includes('/') && !/^[\d.:a-f]*\/\d*$/i.test(text)) {
      // a relative path with folders: a serial port (or a pseudo-terminal link)
      out.serial.push({ kind: 'serial', path: serialPath(text), source: text });
      continue;
    }
    if (text.includes('/')) {
      const r = cidrRange(text);
      out.ranges.push({ ...r, source: text });
      out.addressCount += r.last - r.first + 1;
      continue;
    }
    if (/^[\d.]+-[\d.]+$/.test(text)) {
      const r = ipRange(text);
      out.ranges.push({ ...r, source: text });
      out.addressCount += r.last - r.first + 1;
      continue;
    }
    const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
    if (isIP(bare) === 6) {
      out.hostSpecs.push({ kind: 'address', address: bare, source: text });
      out.addressCount += 1;
      continue;
    }
    if (looksLikeIpv4(text)) {
      const n = parseIpv4(text, text);
      out.hostSpecs.push({ kind: 'address', address: intToIpv4(n), source: text });
      out.addressCount += 1;
      continue;
    }
    if (/^[^:/]+:\d+$/.test(text)) {
      badTarget(
        text,
        'a host with a port is ambiguous (which protocol?)',
        `write a device URL such as opc.tcp://${text} or modbus://${text}, or give the port with --ports`,
      );
    }
    if (HOSTNAME.test(text)) {
      out.hostSpecs.push({ kind: 'name', name: text.replace(/\.$/, ''), source: text });
      out.addressCount += 1;
      continue;
    }
    badTarget(text, 'not an address, range, host name, device URL or serial port');
  }
  return out;
}

function addUrl(out: ParsedTargets, text: string): void {
  const t = parseTarget(text);
  // a serial line (modbus-rtu://): swept, with the settings the URL fixes
  if (!('host' in t)) {
    const q = new URLSearchParams(text.includes('?') ? text.slice(text.indexOf('?') + 1) : '');
    const has = (k: string) => [...q.keys()].some((key) => key.toLowerCase() === k);
    out.serial.push({
      kind: 'serial',
      path: serialPath(t.path),
      ...(has('baud') ? { baud: t.baud } : {}),
      ...(has('parity') ? { parity: t.parity } : {}),
      ...(has('databits') ? { dataBits: t.dataBits } : {}),
      ...(has('stopbits') ? { stopBits: t.stopBits } : {}),
      ...(has('unit') ? { unit: t.unit } : {}),
      source: text,
    });
    return;
  }
  if (!protocolFor(t).discovery || !('host' in t))
    badTarget(
      text,
      'tcp:// URLs are for latency checks; discovery needs to know the protocol',
      `write opc.tcp://, modbus://, mqtt:// or mqtts://, or give the address and --ports`,
    );
  out.urls.push({
    kind: 'url',
    target: t as UrlTarget['target'],
    url: t.url,
    unitGiven: 'unit' in t && /[?&]unit=/i.test(text),
    source: text,
  });
  out.addressCount += 1;
}

/** The addresses of the ranges, lazily, in order. */
export function* expandRange(r: { first: number; last: number }): Generator<string> {
  for (let n = r.first; n <= r.last; n++) yield intToIpv4(n);
}

/**
 * Resolves host names (one address each: the first the system resolver gives, IPv4 preferred)
 * and expands ranges; the result has each address once, in the order first named.
 */
export async function resolveHosts(parsed: ParsedTargets, resolve: (name: string) => Promise<string> = resolveName): Promise<HostTarget[]> {
  const seen = new Map<string, HostTarget>();
  const add = (h: HostTarget) => {
    if (!seen.has(h.address)) seen.set(h.address, h);
  };
  for (const spec of parsed.hostSpecs) {
    if (spec.kind === 'address') add({ kind: 'host', address: spec.address, source: spec.source });
    else add({ kind: 'host', address: await resolve(spec.name), name: spec.name, source: spec.source });
  }
  for (const r of parsed.ranges) for (const address of expandRange(r)) add({ kind: 'host', address, source: r.source });
  return [...seen.values()];
}

async function resolveName(name: string): Promise<string> {
  try {
    const r = await lookup(name, { family: 0, order: 'ipv4first' });
    return r.address;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(
      `target "${name}": cannot resolve the host name${code ? ` (${code})` : ''}`,
      'check the spelling, or give the IP address; on a plant network without DNS, names work only from /etc/hosts',
    );
  }
}
