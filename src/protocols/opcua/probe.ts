/**
 * OPC UA discovery, without a session and without writing anything to iiot's certificate store:
 * 1. a raw Hello (HEL) on the connection the port scan opened: an Acknowledge (ACK) or an Error
 *    (ERR) message proves OPC UA binary without loading node-opcua;
 * 2. GetEndpoints (src/protocols/opcua/endpoints.ts): application name and URI, product URI,
 *    every endpoint with its security mode, policy, level and identity token types, and the
 *    server certificate;
 * 3. on a Local Discovery Server, FindServers: the servers registered with it;
 * 4. only when asked, FindServersOnNetwork on a discovery server (LDS-ME).
 * node-opcua is loaded only at step 2, and only when a port answered the Hello.
 */
import { inspectCertificate, splitDerChain } from './certificates.js';
import { withDeadline } from './deadline.js';
import { createBareClient, findServers, getEndpoints, type EndpointInfo, type ServerApplication } from './endpoints.js';
import { closeSocket, exchange, ProbeFailure, type ProbeIO } from '../probe-io.js';

export type OpcUaCertificateSummary = {
  subject: string;
  commonName: string;
  issuer: string;
  selfSigned: boolean;
  notBefore: string;
  notAfter: string;
  applicationUri?: string;
  keyType: string;
  signatureAlgorithm: string;
  sha1: string;
  sha256: string;
  dnsNames: string[];
  ipAddresses: string[];
};

export type OpcUaEndpointSummary = {
  endpointUrl: string;
  securityMode: string;
  securityPolicy: string;
  securityLevel: number;
  /** "opc.tcp" for the binary protocol, otherwise the transport profile URI */
  transport: string;
  userTokens: Array<{ type: string; policyId: string; securityPolicy?: string }>;
  /** SHA-1 thumbprint of the certificate this endpoint presents */
  certificateSha1?: string;
};

export type OpcUaApplicationSummary = {
  applicationName: string;
  applicationUri: string;
  productUri: string;
  applicationType: string;
  discoveryUrls: string[];
};

export type OpcUaServerOnNetwork = {
  recordId: number;
  serverName: string;
  discoveryUrl: string;
  capabilities: string[];
};

export type OpcUaProbeResult = {
  /** what the Hello got: ACK, or ERR with its status (still an OPC UA server) */
  hello: 'ack' | 'err';
  helloError?: string;
  application?: OpcUaApplicationSummary;
  endpoints: OpcUaEndpointSummary[];
  certificate?: OpcUaCertificateSummary;
  /** FindServers on a discovery server: the servers registered with it (itself left out) */
  registeredServers?: OpcUaApplicationSummary[];
  /** FindServersOnNetwork, when asked */
  serversOnNetwork?: OpcUaServerOnNetwork[];
  /** what failed after the Hello (GetEndpoints refused, FindServers timed out...) */
  errors: string[];
  connections: number;
};

export interface OpcUaProbeOptions {
  /** canonical opc.tcp:// URL of the port (with the path of a discovery URL when one was given) */
  url: string;
  onNetwork: boolean;
}

const OPC_ERRORS: Record<number, string> = {
  0x80070000: 'BadTcpServerTooBusy',
  0x80080000: 'BadTcpMessageTypeInvalid',
  0x807c0000: 'BadTcpSecureChannelUnknown',
  0x80800000: 'BadTcpMessageTooLarge',
  0x80810000: 'BadTcpNotEnoughResources',
  0x80820000: 'BadTcpInternalError',
  0x80830000: 'BadTcpEndpointUrlInvalid',
  0x80be0000: 'BadProtocolVersionUnsupported',
  0x80ac0000: 'BadRequestInterrupted',
  0x80ad0000: 'BadRequestTimeout',
  0x80860000: 'BadSecureChannelClosed',
};

/** An OPC UA TCP Hello (Part 6, 7.1.2.3). */
export function helloMessage(endpointUrl: string): Buffer {
  const url = Buffer.from(endpointUrl, 'utf8');
  const size = 8 + 20 + 4 + url.length;
  const b = Buffer.alloc(size);
  b.write('HELF', 0, 'latin1');
  b.writeUInt32LE(size, 4);
  b.writeUInt32LE(0, 8); // protocol version
  b.writeUInt32LE(65536, 12); // receive buffer size
  b.writeUInt32LE(65536, 16); // send buffer size
  b.writeUInt32LE(0, 20); // max message size: no limit
  b.writeUInt32LE(0, 24); // max chunk count: no limit
  b.writeInt32LE(url.length, 28);
  url.copy(b, 32);
  return b;
}

/** Length of a complete ACK/ERR message at the start of buf; 'garbage' for anything else. */
export function helloAnswerFrame(buf: Buffer): number | 'garbage' | undefined {
  const head = buf.toString('latin1', 0, Math.min(4, buf.length));
  if (!'ACKF'.startsWith(head) && !'ERRF'.startsWith(head)) return 'garbage';
  if (buf.length < 8) return undefined;
  const size = buf.readUInt32LE(4);
  if (size < 8 || size > 65536) return 'garbage';
  return buf.length >= size ? size : undefined;
}

export function parseHelloAnswer(frame: Buffer): { kind: 'ack' } | { kind: 'err'; status: string; reason: string } {
  if (frame.toString('latin1', 0, 3) === 'ACK') return { kind: 'ack' };
  const code = frame.length >= 12 ? frame.readUInt32LE(8) : 0;
  let reason = '';
  if (frame.length >= 16) {
    const len = frame.readInt32LE(12);
    if (len > 0 && 16 + len <= frame.length) reason = frame.toString('utf8', 16, 16 + len);
  }
  return { kind: 'err', status: OPC_ERRORS[code] ?? `0x${code.toString(16).padStart(8, '0')}`, reason };
}

function application(s: ServerApplication): OpcUaApplicationSummary {
  return {
    applicationName: s.applicationName,
    applicationUri: s.applicationUri,
    productUri: s.productUri,
    applicationType: s.applicationType,
    discoveryUrls: [...s.discoveryUrls],
  };
}

function certificateSummary(der: Buffer): OpcUaCertificateSummary | undefined {
  try {
    const c = inspectCertificate(splitDerChain(der)[0]!);
    return {
      subject: c.subject,
      commonName: c.commonName,
      issuer: c.issuer,
      selfSigned: c.selfSigned,
      notBefore: c.notBefore.toISOString(),
      notAfter: c.notAfter.toISOString(),
      ...(c.applicationUri === undefined ? {} : { applicationUri: c.applicationUri }),
      keyType: c.keyType,
      signatureAlgorithm: c.signatureAlgorithm,
      sha1: c.sha1,
      sha256: c.sha256,
      dnsNames: c.dnsNames,
      ipAddresses: c.ipAddresses,
    };
  } catch {
    return undefined;
  }
}

export function endpointSummary(e: EndpointInfo, sha1?: string): OpcUaEndpointSummary {
  return {
    endpointUrl: e.endpointUrl,
    securityMode: e.securityMode,
    securityPolicy: e.securityPolicy,
    securityLevel: e.securityLevel,
    transport: e.transportProfileUri === '' || /uatcp-uasc-uabinary/i.test(e.transportProfileUri) ? 'opc.tcp' : e.transportProfileUri,
    userTokens: e.userTokens.map((t) => ({
      type: t.type,
      policyId: t.policyId,
      ...(t.securityPolicy ? { securityPolicy: t.securityPolicy } : {}),
    })),
    ...(sha1 ? { certificateSha1: sha1 } : {}),
  };
}

/** Hello on the scan's connection: ACK or ERR proves OPC UA. Rejects with ProbeFailure otherwise. */
export async function opcUaHello(io: ProbeIO, url: string): Promise<{ kind: 'ack' } | { kind: 'err'; status: string; reason: string }> {
  const socket = await io.connect();
  try {
    const frame = await exchange(socket, helloMessage(url), helloAnswerFrame, io.timeoutMs, url, { signal: io.signal });
    return parseHelloAnswer(frame);
  } finally {
    closeSocket(socket);
  }
}

export async function probeOpcUa(io: ProbeIO, options: OpcUaProbeOptions): Promise<OpcUaProbeResult> {
  const hello = await opcUaHello(io, options.url);
  const result: OpcUaProbeResult = { hello: hello.kind, endpoints: [], errors: [], connections: 1 };
  if (hello.kind === 'err') {
    result.helloError = `${hello.status}${hello.reason ? `: ${hello.reason}` : ''}`;
    // BadTcpEndpointUrlInvalid and friends: the server is there, but will not talk on this URL
    result.errors.push(`Hello refused with ${result.helloError}`);
    if (hello.status === 'BadTcpServerTooBusy' || hello.status === 'BadTcpNotEnoughResources') return result;
  }
  const debug = (line: string) => io.debug(line);
  let endpoints: EndpointInfo[] = [];
  try {
    await io.slot();
    result.connections++;
    endpoints = await getEndpoints(options.url, { timeoutMs: io.timeoutMs, debug });
  } catch (err) {
    result.errors.push(`GetEndpoints failed: ${(err as Error).message.split('\n')[0]}`);
    return result;
  }
  const first = endpoints[0];
  if (first) result.application = application(first.server);
  const certs = new Map<string, string>();
  for (const e of endpoints) {
    let sha1: string | undefined;
    if (e.serverCertificate) {
      const key = e.serverCertificate.toString('base64');
      sha1 = certs.get(key);
      if (sha1 === undefined) {
        const summary = certificateSummary(e.serverCertificate);
        if (summary) {
          sha1 = summary.sha1;
          result.certificate ??= summary;
        }
        certs.set(key, sha1 ?? '');
      }
    }
    result.endpoints.push(endpointSummary(e, sha1 || undefined));
  }
  const isDiscoveryServer = endpoints.some((e) => e.server.applicationType === 'DiscoveryServer');
  if (isDiscoveryServer) {
    try {
      await io.slot();
      result.connections++;
      const servers = await findServers(options.url, { timeoutMs: io.timeoutMs, debug });
      const own = result.application?.applicationUri;
      result.registeredServers = servers.filter((s) => s.applicationUri !== own).map(application);
    } catch (err) {
      result.errors.push(`FindServers failed: ${(err as Error).message.split('\n')[0]}`);
    }
    if (options.onNetwork) {
      try {
        await io.slot();
        result.connections++;
        result.serversOnNetwork = await findServersOnNetwork(options.url, io.timeoutMs, debug);
      } catch (err) {
        result.errors.push(`FindServersOnNetwork failed: ${(err as Error).message.split('\n')[0]}`);
      }
    }
  }
  return result;
}

/** FindServersOnNetwork (Part 12, LDS-ME) over an unsecured channel, no session. */
async function findServersOnNetwork(url: string, timeoutMs: number, debug: (line: string) => void): Promise<OpcUaServerOnNetwork[]> {
  const client = await createBareClient({ timeoutMs, debug });
  try {
    await withDeadline(client.connect(url), timeoutMs, () => client.disconnect(), `${url} did not answer within`);
    const list = await withDeadline(
      client.findServersOnNetwork(),
      timeoutMs,
      () => client.disconnect(),
      `${url} did not answer FindServersOnNetwork within`,
    );
    return list.map((s) => ({
      recordId: s.recordId,
      serverName: s.serverName ?? '',
      discoveryUrl: s.discoveryUrl ?? '',
      capabilities: (s.serverCapabilities ?? []).filter((c): c is string => typeof c === 'string'),
    }));
  } finally {
    await client.disconnect().catch(() => undefined);
  }
}

export { ProbeFailure };
