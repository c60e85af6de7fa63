/**
 * An OPC UA server spoken by hand from OPC 10000-6 (UA Binary, UA Secure Conversation, UA TCP),
 * without node-opcua: the peer a test needs to show what iiot makes of answers node-opcua's own
 * server never gives. It behaves like open62541 towards a client whose certificate it does not
 * trust: HEL is answered with ACK; the unsecured channel (SecurityPolicy None) is opened and
 * GetEndpoints answered with two endpoints (None, and SignAndEncrypt/Basic256Sha256 carrying the
 * given certificate); a secured OpenSecureChannel is answered with an ERR message (§7.1.2.5)
 * carrying the given status and reason, and the connection is closed.
 *
 * `refuse: 'any-channel'` answers every OpenSecureChannel, the unsecured one too, with the ERR;
 * `offerNone: false` announces only the secured endpoint.
 */
import type { Socket } from 'node:net';
import { tcpServer } from './net.js';

export interface RawPeerOptions {
  /** the server certificate (DER) announced on the secured endpoint */
  certificate: Buffer;
  /** the ERR's Error (a StatusCode); default BadSecurityChecksFailed */
  status?: number;
  /** the ERR's Reason; default empty, as open62541 sends it. null: a null String */
  reason?: string | null;
  refuse?: 'secured-channel' | 'any-channel';
  /** announce the None endpoint too (default true; the unsecured channel for GetEndpoints is always open) */
  offerNone?: boolean;
}

export interface RawPeer {
  url: string;
  port: number;
  /** the message types received, in order, per connection ("HEL OPN MSG CLO", ...) */
  log: string[][];
  stop(): Promise<void>;
}

export const BAD_SECURITY_CHECKS_FAILED = 0x80130000;
const NONE = 'http://opcfoundation.org/UA/SecurityPolicy#None';
const BASIC256SHA256 = 'http://opcfoundation.org/UA/SecurityPolicy#Basic256Sha256';
const UATCP = 'http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary';

// Encodings (OPC 10000-6 §5.2): little-endian numbers, Int32-length strings and byte strings.
class Writer {
  private parts: Buffer[] = [];
  u8(v: number): this {
    this.parts.push(Buffer.from([v]));
    return this;
  }
  u32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    this.parts.push(b);
    return this;
  }
  i32(v: number): this {
    const b = Buffer.alloc(4);
    b.writeInt32LE(v);
    this.parts.push(b);
    return this;
  }
  /** DateTime: 100 ns ticks since 1601-01-01 */
  dateTime(ms: number): this {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE((BigInt(ms) + 11_644_473_600_000n) * 10_000n);
    this.parts.push(b);
    return this;
  }
  string(s: string | null): this {
    if (s === null) return this.i32(-1);
    const b = Buffer.from(s, 'utf8');
    return this.i32(b.length).raw(b);
  }
  bytes(b: Buffer | null): this {
    return b === null ? this.i32(-1) : this.i32(b.length).raw(b);
  }
  /** a numeric NodeId in namespace 0, four-byte encoding (ids below 65536) */
  nodeId4(id: number): this {
    const b = Buffer.alloc(4);
    b[0] = 0x01;
    b[1] = 0;
    b.writeUInt16LE(id, 2);
    return this.raw(b);
  }
  raw(b: Buffer): this {
    this.parts.push(b);
    return this;
  }
  done(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** A message: MessageType, IsFinal 'F', MessageSize (§7.1.2.2), then the body. */
function message(type: 'ACK' | 'ERR' | 'OPN' | 'MSG', body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.write(`${type}F`, 0, 'latin1');
  head.writeUInt32LE(8 + body.length, 4);
  return Buffer.concat([head, body]);
}

function readString(b: Buffer, at: number): { value: string | null; next: number } {
  const n = b.readInt32LE(at);
  if (n < 0) return { value: null, next: at + 4 };
  return { value: b.subarray(at + 4, at + 4 + n).toString('utf8'), next: at + 4 + n };
}

/** Skips a NodeId (§5.2.2.9) and returns where the next field starts. */
function skipNodeId(b: Buffer, at: number): number {
  const enc = b[at]! & 0x3f;
  switch (enc) {
    case 0x00:
      return at + 2;
    case 0x01:
      return at + 4;
    case 0x02:
      return at + 7;
    case 0x03:
      return at + 3 + 4 + b.readInt32LE(at + 3);
    case 0x04:
      return at + 3 + 16;
    case 0x05:
      return at + 3 + 4 + Math.max(0, b.readInt32LE(at + 3));
    default:
      throw new Error(`NodeId encoding ${enc}`);
  }
}

/** RequestHeader (Part 4 §7.32): the RequestHandle after the AuthenticationToken and the Timestamp. */
function requestHandle(b: Buffer, bodyStart: number): { typeId: number; handle: number } {
  const typeId = b[bodyStart] === 0x01 ? b.readUInt16LE(bodyStart + 2) : -1;
  const afterType = skipNodeId(b, bodyStart);
  const afterToken = skipNodeId(b, afterType);
  return { typeId, handle: b.readUInt32LE(afterToken + 8) };
}

/** ResponseHeader (Part 4 §7.33): good, no diagnostics, no strings, no additional header. */
function responseHeader(w: Writer, handle: number): Writer {
  return w
    .dateTime(Date.now())
    .u32(handle)
    .u32(0)
    .u8(0)
    .i32(0)
    .raw(Buffer.from([0x00, 0x00, 0x00]));
}

function endpoint(w: Writer, url: string, mode: 1 | 3, policy: string, cert: Buffer | null, level: number): Writer {
  w.string(url);
  // ApplicationDescription
  w.string('urn:iiot:test:raw-peer')
    .string('urn:iiot:test:raw-peer:product')
    .u8(0x02)
    .string('hand-made OPC UA peer')
    .i32(0)
    .string(null)
    .string(null)
    .i32(1)
    .string(url);
  w.bytes(cert).i32(mode).string(policy);
  // one anonymous UserTokenPolicy
  w.i32(1).string('anonymous').i32(0).string(null).string(null).string(null);
  return w.string(UATCP).u8(level);
}

function serve(socket: Socket, o: RawPeerOptions, url: () => string, log: string[]): void {
  let buf = Buffer.alloc(0);
  let seq = 1;
  const channelId = 7;
  const refuse = () => {
    socket.end(
      message(
        'ERR',
        new Writer()
          .u32(o.status ?? BAD_SECURITY_CHECKS_FAILED)
          .string(o.reason === undefined ? '' : o.reason)
          .done(),
      ),
    );
  };
  socket.on('data', (chunk: Buffer) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 8 && buf.length >= buf.readUInt32LE(4)) {
      const size = buf.readUInt32LE(4);
      const m = buf.subarray(0, size);
      buf = buf.subarray(size);
      const type = m.subarray(0, 3).toString('latin1');
      log.push(type);
      if (type === 'HEL') {
        // ProtocolVersion, ReceiveBufferSize, SendBufferSize, MaxMessageSize (0: no limit), MaxChunkCount
        socket.write(message('ACK', new Writer().u32(0).u32(65_535).u32(65_535).u32(0).u32(0).done()));
      } else if (type === 'OPN') {
        // SecureChannelId, then the asymmetric security header: SecurityPolicyUri, SenderCertificate, ReceiverCertificateThumbprint
        const policy = readString(m, 12);
        if (o.refuse === 'any-channel' || policy.value !== NONE) {
          refuse();
          return;
        }
        let at = policy.next;
        for (let k = 0; k < 2; k++) at += 4 + Math.max(0, m.readInt32LE(at));
        const requestId = m.readUInt32LE(at + 4);
        const { handle } = requestHandle(m, at + 8);
        const w = new Writer()
          .u32(channelId)
          .string(NONE)
          .bytes(null)
          .bytes(null)
          .u32(seq++)
          .u32(requestId)
          .nodeId4(449 /* OpenSecureChannelResponse */);
        responseHeader(w, handle);
        // ServerProtocolVersion, SecurityToken (ChannelId, TokenId, CreatedAt, RevisedLifetime), ServerNonce
        w.u32(0).u32(channelId).u32(1).dateTime(Date.now()).u32(3_600_000).bytes(Buffer.alloc(0));
        socket.write(message('OPN', w.done()));
      } else if (type === 'MSG') {
        // SecureChannelId, TokenId, then the sequence header: SequenceNumber, RequestId
        const requestId = m.readUInt32LE(20);
        const { typeId, handle } = requestHandle(m, 24);
        if (typeId !== 428 /* GetEndpointsRequest */) {
          socket.destroy();
          return;
        }
        const w = new Writer().u32(channelId).u32(1).u32(seq++).u32(requestId).nodeId4(431 /* GetEndpointsResponse */);
        responseHeader(w, handle);
        const none = o.offerNone ?? true;
        w.i32(none ? 2 : 1);
        if (none) endpoint(w, url(), 1, NONE, null, 0);
        endpoint(w, url(), 3, BASIC256SHA256, o.certificate, 3);
        socket.write(message('MSG', w.done()));
      } else if (type === 'CLO') {
        socket.end();
      }
    }
  });
}

export async function startRawPeer(o: RawPeerOptions): Promise<RawPeer> {
  const log: string[][] = [];
  let url = '';
  const s = await tcpServer((socket) => {
    const conn: string[] = [];
    log.push(conn);
    serve(socket, o, () => url, conn);
  });
  url = `opc.tcp://127.0.0.1:${s.port}`;
  return { url, port: s.port, log, stop: () => s.stop() };
}
