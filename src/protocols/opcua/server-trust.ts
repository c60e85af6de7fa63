/**
 * Deciding whether to talk to a server over a secured channel: its certificate is checked against
 * iiot's store before the channel is opened. Unknown certificates are refused (and land in
 * rejected/, where `iiot pki trust` finds them); `--trust-on-first-use` trusts one after printing
 * its fingerprints, unless the user rejected it before or the endpoint showed a different
 * certificate when it was first trusted (that is exactly the attack trust-on-first-use is for).
 */
import { IiotError } from '../../core/errors.js';
import { ExitCode } from '../../core/exit-codes.js';
import { inspectCertificate, splitDerChain, type CertificateInfo } from './certificates.js';
import type { EndpointInfo } from './endpoints.js';
import { untrustedServerError } from './explain.js';
import type { Pki } from './pki.js';

export interface TrustIO {
  info: (text: string) => void;
  warn: (text: string) => void;
  debug?: ((text: string) => void) | undefined;
}

export interface CheckServerCertificateOptions {
  pki: Pki;
  endpoint: EndpointInfo;
  /** the URL the user gave (TOFU records are per URL) */
  url: string;
  trustOnFirstUse: boolean;
  io: TrustIO;
}

/** Returns the leaf certificate's description when the server may be talked to; throws otherwise. */
export async function checkServerCertificate(opts: CheckServerCertificateOptions): Promise<CertificateInfo> {
  const { pki, endpoint, url, io } = opts;
  const der = endpoint.serverCertificate;
  if (!der) {
    throw new IiotError(ExitCode.Unreachable, `${url} offers a secured endpoint but sent no certificate for it`, {
      hint: 'the server is misconfigured; check its certificate settings',
    });
  }
  const chain = splitDerChain(der);
  const leaf = chain[0]!;
  let info: CertificateInfo;
  try {
    info = inspectCertificate(leaf);
  } catch (err) {
    throw new IiotError(ExitCode.Unreachable, `${url} sent a certificate iiot cannot read`, {
      hint: 'the server is misconfigured; run again with --debug',
      cause: err,
    });
  }
  const cm = await pki.certificateManager();
  let status = (await cm.checkCertificate(chain.length > 1 ? chain : leaf)).name;
  io.debug?.(`server certificate ${info.commonName} SHA-1 ${info.sha1}: ${status}`);

  if (status === 'BadCertificateUntrusted') {
    const rejectedFile = pki.recordRejected(leaf);
    if (!opts.trustOnFirstUse) throw untrustedServerError(url, info, rejectedFile);
    if (pki.rejectedByUser(info)) {
      throw new IiotError(
        ExitCode.Unreachable,
        `${url}: you rejected this server certificate before (SHA-256 ${info.sha256}); --trust-on-first-use does not override that`,
        {
          hint: `if it is right after all, trust it explicitly: iiot pki trust ${info.sha1.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
        },
      );
    }
    const known = pki.knownServer(url);
    if (known && known.sha1 !== info.sha1) {
      throw new IiotError(
        ExitCode.Unreachable,
        `${url} now shows a DIFFERENT certificate (SHA-256 ${info.sha256}) than the one trusted for it on ${known.trustedAt.slice(0, 10)} (SHA-256 ${known.sha256}); not trusting it`,
        {
          hint: `someone may be impersonating the server. If the server's certificate was renewed on purpose (ask its administrator), trust the new one: iiot pki trust ${info.sha1.replace(/:/g, '').slice(0, 16).toLowerCase()}`,
        },
      );
    }
    await cm.trustCertificate(leaf);
    const file = pki.recordKnownServer(url, info, 'trust-on-first-use', leaf);
    io.info(`trusting the server certificate of ${url} on first use:`);
    io.info(`  subject  ${info.subject}`);
    if (info.applicationUri) io.info(`  uri      ${info.applicationUri}`);
    io.info(`  SHA-1    ${info.sha1}`);
    io.info(`  SHA-256  ${info.sha256}`);
    io.info(`  valid    ${info.notBefore.toISOString().slice(0, 10)} to ${info.notAfter.toISOString().slice(0, 10)}`);
    io.info(`  saved as ${file} (undo with: iiot pki reject ${info.sha1.replace(/:/g, '').slice(0, 16).toLowerCase()})`);
    status = (await cm.checkCertificate(chain.length > 1 ? chain : leaf)).name;
  }
  if (status !== 'Good') throw certificateStatusError(url, info, status, pki);

  if (info.applicationUri && endpoint.server.applicationUri && info.applicationUri !== endpoint.server.applicationUri) {
    io.warn(
      `${url}: the server certificate names ${info.applicationUri}, but the server calls itself ${endpoint.server.applicationUri} (OPC UA requires them to match)`,
    );
  }
  return info;
}

function certificateStatusError(url: string, info: CertificateInfo, status: string, pki: Pki): IiotError {
  const now = Date.now();
  switch (status) {
    case 'BadCertificateTimeInvalid':
    case 'BadCertificateIssuerTimeInvalid':
      return new IiotError(
        ExitCode.Unreachable,
        info.notAfter.getTime() < now
          ? `${url}: the server's certificate expired on ${info.notAfter.toISOString().slice(0, 10)} (${status})`
          : info.notBefore.getTime() > now
            ? `${url}: the server's certificate is not valid before ${info.notBefore.toISOString()} (${status})`
            : `${url}: a certificate in the server's chain is out of its validity period (${status})`,
        { hint: 'check the clocks of both machines first (PLCs often run on a wrong date); otherwise the server needs a new certificate' },
      );
    case 'BadCertificateChainIncomplete':
    case 'BadSecurityChecksFailed':
      return new IiotError(ExitCode.Unreachable, `${url}: the server's certificate was issued by a CA iiot does not know (${status})`, {
        hint: `copy the CA certificate that issued "${info.issuer}" into ${pki.paths.issuers}/ (and its CRL into ${pki.paths.issuersCrl}/), or trust the server certificate itself with \`iiot pki trust\``,
      });
    case 'BadCertificateRevocationUnknown':
    case 'BadCertificateIssuerRevocationUnknown':
      return new IiotError(
        ExitCode.Unreachable,
        `${url}: the revocation list of the CA that issued the server's certificate is missing (${status})`,
        {
          hint: `copy the CA's CRL (.crl/.pem) into ${pki.paths.issuersCrl}/`,
        },
      );
    case 'BadCertificateRevoked':
    case 'BadCertificateIssuerRevoked':
      return new IiotError(ExitCode.Unreachable, `${url}: the server's certificate has been revoked (${status})`, {
        hint: "do not connect; ask the server's administrator",
      });
    default:
      return new IiotError(
        ExitCode.Unreachable,
        `${url}: the server's certificate failed verification (${status}): "${info.commonName}", SHA-256 ${info.sha256}`,
        {
          hint: 'run again with --debug for details',
        },
      );
  }
}
