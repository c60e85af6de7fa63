/**
 * MQTT broker discovery, raw (packets written here, no library): CONNECT with no user name and a
 * random client id, read the CONNACK, DISCONNECT. The CONNACK says whether anonymous clients are
 * accepted and which protocol version the broker speaks (MQTT 5 is tried first; a 3.1.1 broker
 * refuses it with return code 1 and is asked again in 3.1.1). On a TLS port the handshake comes
 * first, and the broker's certificate is described (subject, issuer, expiry), never trusted:
 * nothing secret is sent over that connection. Nothing is published or subscribed here.
 */
import { randomBytes, X509Certificate } from 'node:crypto';
import { isIP, type Socket } from 'node:net';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { startDeadline } from '../../core/deadline.js';
import { closeSocket, exchange, ProbeFailure, socketFailure, type ProbeIO } from '../probe-io.js';

export type TlsCertificateInfo = {
  subject: string;
  commonName: string;
  issuer: string;
  selfSigned: boolean;
  notBefore: string;
  notAfter: string;
  expired: boolean;
  /** whole days until notAfter (negative once expired) */
  daysLeft: number;
  sha256: string;
  keyType: string;
  dnsNames: string[];
};

export type TlsInfo = {
  /** "TLSv1.3" */
  protocol: string;
  cipher: string;
  /** the chain verifies against the system's CAs and matches the host name */
  authorized: boolean;
  authorizationError?: string;
  certificate?: TlsCertificateInfo;
};

export type MqttVersion = '5.0' | '3.1.1';

export type MqttProbeResult = {
  protocolVersion: MqttVersion;
  /** accepted: anonymous clients may connect; required: the broker wants a user name/password (or a client certificate) */
  anonymous: 'accepted' | 'refused' | 'unknown';
  connack: { code: number; reason: string };
  /** MQTT 5 CONNACK properties the broker announced (maximum QoS, retain available, ...) */
  capabilities?: Record<string, string | number | boolean>;
  tls?: TlsInfo;
  connections: number;
};

const V311_CODES: Record<number, string> = {
  0: 'accepted',
  1: 'unacceptable protocol version',
  2: 'identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

const V5_CODES: Record<number, string> = {
  0x00: 'success',
  0x80: 'unspecified error',
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x83: 'implementation specific error',
  0x84: 'unsupported protocol version',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x89: 'server busy',
  0x8a: 'banned',
  0x8c: 'bad authentication method',
  0x95: 'packet too large',
  0x97: 'quota exceeded',
  0x9c: 'use another server',
  0x9d: 'server moved',
  0x9f: 'connection rate exceeded',
};

/** MQTT 5 property ids of a CONNACK, with their value kinds. */
const V5_PROPS: Record<number, [string, 'byte' | 'u16' | 'u32' | 'varint' | 'string' | 'binary' | 'pair']> = {
  0x11: ['sessionExpiryInterval', 'u32'],
  0x12: ['assignedClientIdentifier', 'string'],
  0x13: ['serverKeepAlive', 'u16'],
  0x15: ['authenticationMethod', 'string'],
  0x16: ['authenticationData', 'binary'],
  0x1a: ['responseInformation', 'string'],
  0x1c: ['serverReference', 'string'],
  0x1f: ['reasonString', 'string'],
  0x21: ['receiveMaximum', 'u16'],
  0x22: ['topicAliasMaximum', 'u16'],
  0x24: ['maximumQoS', 'byte'],
  0x25: ['retainAvailable', 'byte'],
  0x26: ['userProperty', 'pair'],
  0x27: ['maximumPacketSize', 'u32'],
  0x28: ['wildcardSubscriptionAvailable', 'byte'],
  0x29: ['subscriptionIdentifiersAvailable', 'byte'],
  0x2a: ['sharedSubscriptionAvailable', 'byte'],
};

const BOOLEAN_PROPS = new Set([
  'retainAvailable',
  'wildcardSubscriptionAvailable',
  'subscriptionIdentifiersAvailable',
  'sharedSubscriptionAvailable',
]);

function varint(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    out.push(b);
  } while (n > 0);
  return out;
}

function readVarint(buf: Buffer, pos: number): { value: number; bytes: number } | undefined {
  let value = 0;
  let mult = 1;
  for (let i = 0; i < 4; i++) {
    if (pos + i >= buf.length) return undefined;
    const b = buf[pos + i]!;
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) return { value, bytes: i + 1 };
    mult *= 128;
  }
  throw new Error('malformed remaining length');
}

function mqttString(s: string): number[] {
  const b = Buffer.from(s, 'utf8');
  return [b.length >> 8, b.length & 0xff, ...b];
}

/** A CONNECT with a clean session, no user name, no will. */
export function connectPacket(version: MqttVersion, clientId: string, keepAliveS = 10): Buffer {
  const variable = [
    ...mqttString('MQTT'),
    version === '5.0' ? 5 : 4,
    0x02,
    keepAliveS >> 8,
    keepAliveS & 0xff,
    ...(version === '5.0' ? [0] : []),
  ];
  const payload = mqttString(clientId);
  const rest = [...variable, ...payload];
  return Buffer.from([0x10, ...varint(rest.length), ...rest]);
}

/** Length of a complete CONNACK at the start of buf (undefined: need more; 'garbage': not a CONNACK). */
export function connackFrame(buf: Buffer): number | 'garbage' | undefined {
  if (buf.length === 0) return undefined;
  if (buf[0] !== 0x20) return 'garbage';
  const rl = readVarint(buf, 1);
  if (rl === undefined) return undefined;
  if (rl.value < 2) return 'garbage';
  const total = 1 + rl.bytes + rl.value;
  return buf.length >= total ? total : undefined;
}

export type Connack = {
  /** 2 for a 3.1.1 CONNACK; more for MQTT 5 (properties) */
  remainingLength: number;
  sessionPresent: boolean;
  code: number;
  properties: Record<string, string | number | boolean>;
};

export function parseConnack(frame: Buffer): Connack {
  const rl = readVarint(frame, 1)!;
  const start = 1 + rl.bytes;
  const body = frame.subarray(start, start + rl.value);
  const out: Connack = { remainingLength: rl.value, sessionPresent: (body[0]! & 1) === 1, code: body[1]!, properties: {} };
  if (rl.value > 2) {
    const pl = readVarint(body, 2);
    if (pl === undefined) throw new Error('truncated properties');
    let pos = 2 + pl.bytes;
    const end = pos + pl.value;
    while (pos < end) {
      const id = body[pos++]!;
      const def = V5_PROPS[id];
      if (!def) break; // unknown property: stop reading, keep what we have
      const [name, kind] = def;
      let value: string | number | boolean;
      switch (kind) {
        case 'byte':
          value = body[pos]!;
          pos += 1;
          break;
        case 'u16':
          value = body.readUInt16BE(pos);
          pos += 2;
          break;
        case 'u32':
          value = body.readUInt32BE(pos);
          pos += 4;
          break;
        case 'varint': {
          const v = readVarint(body, pos)!;
          value = v.value;
          pos += v.bytes;
          break;
        }
        case 'string':
        case 'binary': {
          const len = body.readUInt16BE(pos);
          value = kind === 'string' ? body.toString('utf8', pos + 2, pos + 2 + len) : `${len} bytes`;
          pos += 2 + len;
          break;
        }
        case 'pair': {
          const kl = body.readUInt16BE(pos);
          const k = body.toString('utf8', pos + 2, pos + 2 + kl);
          pos += 2 + kl;
          const vl = body.readUInt16BE(pos);
          const v = body.toString('utf8', pos + 2, pos + 2 + vl);
          pos += 2 + vl;
          value = `${k}=${v}`;
          break;
        }
      }
      if (BOOLEAN_PROPS.has(name)) value = value === 1;
      out.properties[name] =
        name === 'userProperty' && out.properties[name] !== undefined ? `${String(out.properties[name])}; ${String(value)}` : value;
    }
  }
  return out;
}

function describeTls(socket: TLSSocket): TlsInfo {
  const info: TlsInfo = {
    protocol: socket.getProtocol() ?? 'unknown',
    cipher: socket.getCipher()?.name ?? 'unknown',
    authorized: socket.authorized,
  };
  if (!socket.authorized && socket.authorizationError) info.authorizationError = String(socket.authorizationError);
  const x = socket.getPeerX509Certificate();
  if (x) info.certificate = describeCertificate(x);
  return info;
}

export function describeCertificate(x: X509Certificate, now = Date.now()): TlsCertificateInfo {
  const notAfter = new Date(x.validTo);
  const san = x.subjectAltName ?? '';
  const key = x.publicKey;
  const details = key.asymmetricKeyDetails;
  let selfSigned = false;
  try {
    selfSigned = x.subject === x.issuer && x.verify(key);
  } catch {
    selfSigned = false;
  }
  return {
    subject: x.subject.replace(/\n/g, ', '),
    commonName: /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? x.subject.replace(/\n/g, ', '),
    issuer: x.issuer.replace(/\n/g, ', '),
    selfSigned,
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: notAfter.toISOString(),
    expired: notAfter.getTime() < now,
    daysLeft: Math.floor((notAfter.getTime() - now) / 86_400_000),
    sha256: x.fingerprint256,
    keyType:
      key.asymmetricKeyType === 'rsa'
        ? `RSA ${details?.modulusLength ?? '?'}`
        : key.asymmetricKeyType === 'ec'
          ? `EC ${details?.namedCurve ?? ''}`.trim()
          : String(key.asymmetricKeyType),
    dnsNames: [...san.matchAll(/DNS:([^,\s]+)/g)].map((m) => m[1]!),
  };
}

function startTls(socket: Socket, host: string, timeoutMs: number, what: string): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const t = tlsConnect({ socket, rejectUnauthorized: false, ...(isIP(host) ? {} : { servername: host }), ALPNProtocols: ['mqtt'] });
    // time iiot was busy is not the broker's (src/core/deadline.ts)
    const deadline = startDeadline(timeoutMs, () => {
      t.destroy();
      reject(new ProbeFailure('timeout', `${what}: no TLS handshake within ${timeoutMs} ms`));
    });
    t.once('secureConnect', () => {
      deadline.cancel();
      resolve(t);
    });
    t.once('error', (err: NodeJS.ErrnoException) => {
      deadline.cancel();
      t.destroy();
      // a plain-text service answers the ClientHello with bytes that are not TLS
      if (/wrong version number|packet length too long|unknown protocol|record layer failure/i.test(err.message)) {
        reject(new ProbeFailure('garbage', `${what}: does not speak TLS (${err.message.split('\n')[0]})`));
      } else if (err.code === 'ECONNRESET' || /socket disconnected|socket hang up/i.test(err.message)) {
        reject(new ProbeFailure('closed', `${what}: closed the connection during the TLS handshake`));
      } else reject(socketFailure(err, `${what}: TLS handshake failed`));
    });
  });
}

interface Attempt {
  connack: Connack;
  tls?: TlsInfo;
}

async function attempt(io: ProbeIO, version: MqttVersion, tls: boolean, what: string): Promise<Attempt> {
  const raw = await io.connect();
  let socket: Socket = raw;
  let tlsInfo: TlsInfo | undefined;
  try {
    if (tls) {
      const t = await startTls(raw, io.host, io.timeoutMs, what);
      tlsInfo = describeTls(t);
      socket = t;
    }
    const clientId = `iiot-discover-${randomBytes(4).toString('hex')}`;
    const frame = await exchange(socket, connectPacket(version, clientId), connackFrame, io.timeoutMs, what, { signal: io.signal });
    let connack: Connack;
    try {
      connack = parseConnack(frame);
    } catch (err) {
      throw new ProbeFailure('garbage', `${what}: a malformed CONNACK (${(err as Error).message})`);
    }
    if (connack.code === 0) socket.write(Buffer.from([0xe0, 0x00]));
    return { connack, ...(tlsInfo ? { tls: tlsInfo } : {}) };
  } finally {
    closeSocket(socket);
    if (socket !== raw) closeSocket(raw);
  }
}

/** Probes an MQTT port (TLS first when `tls`). Rejects with ProbeFailure when it is not MQTT. */
export async function probeMqtt(io: ProbeIO, options: { tls: boolean }): Promise<MqttProbeResult> {
  const what = `${io.host.includes(':') ? `[${io.host}]` : io.host}:${io.port}`;
  let connections = 1;
  let first: Attempt | undefined;
  let firstFailure: ProbeFailure | undefined;
  try {
    first = await attempt(io, '5.0', options.tls, what);
  } catch (err) {
    if (!(err instanceof ProbeFailure)) throw err;
    // a TLS alert or handshake record in answer to a plain CONNECT: a TLS port
    if (err.kind === 'garbage' && !options.tls && /\((15|16) 03 0[0-4]/.test(err.message)) {
      throw new ProbeFailure(
        'garbage',
        `${what}: answers in TLS, not plain MQTT: mark the port mqtts (--ports ${io.port}:mqtts) or name it mqtts://`,
      );
    }
    // garbage, a failed TLS handshake or a timeout: not an MQTT broker (or not one we can talk to)
    if (err.kind !== 'closed') throw err;
    firstFailure = err;
  }
  if (first && first.connack.remainingLength > 2 && first.connack.code !== 0x84) {
    return result('5.0', first.connack, V5_CODES, first.tls, connections);
  }
  // A 3.1.1 broker refuses MQTT 5 with return code 1, or hangs up: ask again in 3.1.1.
  if (first && first.connack.remainingLength === 2 && first.connack.code !== 1)
    return result('3.1.1', first.connack, V311_CODES, first.tls, connections);
  connections++;
  try {
    const second = await attempt(io, '3.1.1', options.tls, what);
    if (second.connack.remainingLength > 2) throw new ProbeFailure('garbage', `${what}: answered MQTT 3.1.1 with an MQTT 5 CONNACK`);
    return result('3.1.1', second.connack, V311_CODES, second.tls ?? first?.tls, connections);
  } catch (err) {
    if (err instanceof ProbeFailure && err.kind === 'closed' && firstFailure) {
      throw new ProbeFailure(
        'closed',
        `${what}: closed the connection on an MQTT CONNECT (5 and 3.1.1): not an MQTT broker, or one that refuses this client`,
      );
    }
    throw err;
  }
}

function result(
  version: MqttVersion,
  c: Connack,
  codes: Record<number, string>,
  tls: TlsInfo | undefined,
  connections: number,
): MqttProbeResult {
  const refused = version === '5.0' ? c.code === 0x86 || c.code === 0x87 : c.code === 4 || c.code === 5;
  return {
    protocolVersion: version,
    anonymous: c.code === 0 ? 'accepted' : refused ? 'refused' : 'unknown',
    connack: { code: c.code, reason: codes[c.code] ?? `code ${c.code}` },
    ...(Object.keys(c.properties).length ? { capabilities: c.properties } : {}),
    ...(tls ? { tls } : {}),
    connections,
  };
}
