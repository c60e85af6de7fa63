/**
 * What a TLS server showed in its handshake, as plain data: protocol version, cipher, the
 * certificate chain (DER), whether the chain verified against the trust store, whether the
 * certificate names the host we connected to. node:tls only.
 */
import { checkServerIdentity, type PeerCertificate, type TLSSocket } from 'node:tls';

export interface TlsInfo {
  /** "TLSv1.3", "TLSv1.2", ... */
  protocol: string | undefined;
  cipher: string | undefined;
  /** leaf first */
  chain: Buffer[];
  /** why the chain did not verify (Node's code, e.g. DEPTH_ZERO_SELF_SIGNED_CERT), undefined when it did */
  authorizationError: string | undefined;
  /** the certificate does not name the host (undefined: it does, or there is no certificate) */
  hostnameError: string | undefined;
  handshakeMs?: number | undefined;
}

export function describeTls(socket: TLSSocket, host: string, authorizationError: string | undefined, handshakeMs?: number): TlsInfo {
  const chain: Buffer[] = [];
  let cert: PeerCertificate | undefined;
  try {
    const detailed = socket.getPeerCertificate(true);
    if (detailed && detailed.raw) {
      cert = detailed;
      let c: PeerCertificate & { issuerCertificate?: PeerCertificate } = detailed;
      const seen = new Set<string>();
      while (c && c.raw && !seen.has(c.fingerprint256)) {
        seen.add(c.fingerprint256);
        chain.push(Buffer.from(c.raw));
        c = c.issuerCertificate as PeerCertificate & { issuerCertificate?: PeerCertificate };
      }
    }
  } catch {
    // no certificate (anonymous cipher suites): nothing to describe
  }
  let hostnameError: string | undefined;
  if (cert) {
    const e = checkServerIdentity(host, cert);
    if (e) hostnameError = e.message;
  }
  return {
    protocol: socket.getProtocol() ?? undefined,
    cipher: socket.getCipher()?.name,
    chain,
    authorizationError,
    hostnameError,
    ...(handshakeMs === undefined ? {} : { handshakeMs }),
  };
}
