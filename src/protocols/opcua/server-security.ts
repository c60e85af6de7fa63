import { X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { OPCUACertificateManager } from 'node-opcua';

type Opcua = typeof import('node-opcua');

/**
 * Security profiles of the simulated OPC UA server (docs/sim.md). Each is something a security
 * check should judge in a known way:
 *   default   None + Basic256Sha256 (Sign, SignAndEncrypt); anonymous and username. Easy to
 *             connect to from any client; mode None and anonymous access are findings.
 *   hardened  Basic256Sha256, Aes128_Sha256_RsaOaep and Aes256_Sha256_RsaPss with SignAndEncrypt
 *             only; username only (no anonymous). Should produce no high or critical finding.
 *   weak      everything a check must flag: mode None, anonymous, the deprecated Basic128Rsa15
 *             and Basic256 announced, a certificate that expires within two days, and on the
 *             None endpoint a username token without encryption (the password crosses in clear).
 */
export type SecurityProfileName = 'default' | 'hardened' | 'weak';
export const SECURITY_PROFILES: readonly SecurityProfileName[] = ['default', 'hardened', 'weak'];

export type PolicyName = 'None' | 'Basic128Rsa15' | 'Basic256' | 'Basic256Sha256' | 'Aes128_Sha256_RsaOaep' | 'Aes256_Sha256_RsaPss';
export type ModeName = 'None' | 'Sign' | 'SignAndEncrypt';

export interface ServerSecurity {
  profile: SecurityProfileName;
  policies: PolicyName[];
  modes: ModeName[];
  anonymous: boolean;
  /** lifetime of the server certificate created for this profile */
  certificateValidityDays: number;
  /** the profile is useless without a user (no anonymous access) */
  requiresUser: boolean;
  /** on mode-None endpoints, the username token has no security policy: passwords in clear */
  cleartextPasswordOnNone: boolean;
}

export function securityProfile(name: SecurityProfileName): ServerSecurity {
  switch (name) {
    case 'default':
      return {
        profile: name,
        policies: ['None', 'Basic256Sha256'],
        modes: ['None', 'Sign', 'SignAndEncrypt'],
        anonymous: true,
        certificateValidityDays: 3650,
        requiresUser: false,
        cleartextPasswordOnNone: false,
      };
    case 'hardened':
      return {
        profile: name,
        policies: ['Basic256Sha256', 'Aes128_Sha256_RsaOaep', 'Aes256_Sha256_RsaPss'],
        modes: ['SignAndEncrypt'],
        anonymous: false,
        certificateValidityDays: 825,
        requiresUser: true,
        cleartextPasswordOnNone: false,
      };
    case 'weak':
      return {
        profile: name,
        policies: ['None', 'Basic128Rsa15', 'Basic256', 'Basic256Sha256'],
        modes: ['None', 'Sign', 'SignAndEncrypt'],
        anonymous: true,
        certificateValidityDays: 2,
        requiresUser: false,
        cleartextPasswordOnNone: true,
      };
  }
}

export interface ServerCertificateSpec {
  applicationUri: string;
  applicationName: string;
  /** the address clients use: goes into the certificate's subjectAltName */
  host: string;
  validityDays: number;
}

/** The certificate stores of an iiot OPC UA server (sim, replay, twin) and its own certificate. */
export interface ServerStores {
  cm: OPCUACertificateManager;
  userCm: OPCUACertificateManager;
  certificateFile: string;
  /** closes both stores (after a failed start, or at stop) */
  dispose(): Promise<void>;
}

/**
 * Opens the server's store under pkiDir, and beside it the store X.509 user identity tokens are
 * checked against (without one node-opcua would open its default store in the user's
 * configuration folder); then makes sure the server has a certificate that fits this run.
 */
export async function openServerStores(
  opc: Pick<Opcua, 'OPCUACertificateManager'>,
  o: { pkiDir: string; autoAcceptClientCertificates: boolean; certificate: ServerCertificateSpec },
): Promise<ServerStores> {
  mkdirSync(o.pkiDir, { recursive: true });
  const cm = new opc.OPCUACertificateManager({
    rootFolder: o.pkiDir,
    automaticallyAcceptUnknownCertificate: o.autoAcceptClientCertificates,
    keySize: 2048,
  });
  await cm.initialize();
  const userCm = new opc.OPCUACertificateManager({
    rootFolder: join(o.pkiDir, 'user-pki'),
    automaticallyAcceptUnknownCertificate: false,
    keySize: 2048,
  });
  await userCm.initialize();
  const dispose = async () => {
    await cm.dispose().catch(() => undefined);
    await userCm.dispose().catch(() => undefined);
  };
  try {
    return { cm, userCm, certificateFile: await ensureServerCertificate(cm, o.certificate), dispose };
  } catch (err) {
    await dispose();
    throw err;
  }
}

/** The OPCUAServer options a security profile and its users make, the same for sim, replay and twin. */
export function serverSecurityOptions(
  opc: Pick<Opcua, 'SecurityPolicy' | 'MessageSecurityMode'>,
  stores: ServerStores,
  security: ServerSecurity,
  users: ReadonlyArray<{ username: string; password: string }>,
) {
  return {
    serverCertificateManager: stores.cm,
    userCertificateManager: stores.userCm,
    certificateFile: stores.certificateFile,
    securityPolicies: security.policies.map((p) => opc.SecurityPolicy[p]),
    securityModes: security.modes.map((m) => opc.MessageSecurityMode[m]),
    allowAnonymous: security.anonymous,
    userManager: {
      isValidUser: (username: string, password: string) => users.some((u) => u.username === username && u.password === password),
    },
  };
}

/**
 * Makes sure the store holds a server certificate that fits this run: right application URI,
 * the listening address in its subjectAltName, and enough lifetime left. A certificate from an
 * earlier run is kept when it still fits (clients that trusted it keep working); otherwise a new
 * one is made. The short-lived certificate of the weak profile is made anew when under a day is left.
 */
export async function ensureServerCertificate(cm: OPCUACertificateManager, spec: ServerCertificateSpec): Promise<string> {
  const file = join(cm.rootDir, 'own', 'certs', 'certificate.pem');
  if (existsSync(file) && !certificateFits(file, spec)) rmSync(file, { force: true });
  if (!existsSync(file)) {
    const host = hostname();
    const isIp = /^[\d.]+$|:/.test(spec.host);
    await cm.createSelfSignedCertificate({
      applicationUri: spec.applicationUri,
      dns: [...new Set(['localhost', host, ...(isIp ? [] : [spec.host])])],
      ip: isIp ? [...new Set([spec.host, '127.0.0.1'])] : ['127.0.0.1'],
      outputFile: file,
      subject: { commonName: spec.applicationName.slice(0, 64), organization: 'iiot simulated plant', domainComponent: host },
      startDate: new Date(Date.now() - 60_000),
      validity: spec.validityDays,
    });
  }
  return file;
}

function certificateFits(file: string, spec: ServerCertificateSpec): boolean {
  try {
    const x = new X509Certificate(readFileSync(file));
    const san = x.subjectAltName ?? '';
    if (!san.includes(`URI:${spec.applicationUri}`)) return false;
    if (/^[\d.]+$/.test(spec.host) && !san.includes(`IP Address:${spec.host}`)) return false;
    const left = Date.parse(x.validTo) - Date.now();
    const wanted = Math.min(30, spec.validityDays / 2) * 86_400_000;
    // Only the weak profile asks for a short life; never keep a longer one for it.
    const total = Date.parse(x.validTo) - Date.parse(x.validFrom);
    if (total > spec.validityDays * 86_400_000 + 3_600_000) return false;
    return left > wanted;
  } catch {
    return false;
  }
}
