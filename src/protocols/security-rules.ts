/**
 * Every rule of `iiot check security`: a stable id, a severity, what it checks, why it matters,
 * where that comes from, and what to do. docs/security-checks.md shows the same table (a test
 * keeps them in step). Ids never change meaning; a rule that changes meaning gets a new id.
 * One catalogue for every protocol, as the document is one table; each protocol's judgement
 * (<name>/security-judge.ts) finds the rules of its own prefix here.
 */
import type { Severity } from './types.js';

export type RuleProtocol = 'opcua' | 'mqtt' | 'modbus';

export interface Rule {
  id: string;
  protocol: RuleProtocol;
  severity: Severity;
  /** one line: what was found */
  title: string;
  rationale: string;
  source: string;
  remedy: string;
  /** the flag that enables the rule (checks that send more than a normal client) */
  optIn?: '--session' | '--mqtt-sys' | '--mqtt-wildcard' | '--unit-sweep';
  /** applies only to TLS (mqtts://) or only to plaintext (mqtt://) MQTT targets */
  transport?: 'tls' | 'plain';
}

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

/** Higher is worse. */
export const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

const DAHLMANNS = 'Dahlmanns et al., "Easing the Conscience with OPC UA: An Internet-Wide Study on Insecure Deployments", ACM IMC 2020';
const BSI_OPCUA = 'BSI, "OPC UA Security Analysis" (2017, update 2022)';

/** `hostNameSource`: where the host name check is specified; `transport`: the rules apply only to that transport. */
function certRules(
  prefix: 'opcua' | 'mqtt-tls',
  protocol: RuleProtocol,
  what: string,
  standard: string,
  renew: string,
  hostNameSource: string,
  transport?: 'tls',
): Rule[] {
  const t = transport === undefined ? {} : { transport };
  return [
    {
      id: `${prefix}-cert-expired`,
      protocol,
      severity: 'high',
      title: `${what} certificate has expired`,
      rationale:
        'Clients that validate certificates refuse the connection; clients that connect anyway have stopped validating, which removes protection against impersonation.',
      source: `${standard}; RFC 5280 §4.1.2.5 (validity)`,
      remedy: renew,
      ...t,
    },
    {
      id: `${prefix}-cert-not-yet-valid`,
      protocol,
      severity: 'high',
      title: `${what} certificate is not valid yet`,
      rationale:
        'Usually a wrong clock on the server or on this computer; validating clients refuse the connection until the clocks agree.',
      source: `${standard}; RFC 5280 §4.1.2.5 (validity)`,
      remedy: 'Check the clocks of the server and of this computer (NTP); if they are right, issue a certificate whose validity has begun.',
      ...t,
    },
    {
      id: `${prefix}-cert-expiring`,
      protocol,
      severity: 'medium',
      title: `${what} certificate expires soon`,
      rationale:
        'An expired certificate stops every validating client at once, typically on a weekend; renewing in time needs the trust lists of all clients updated too.',
      source: `${standard}; RFC 5280 §4.1.2.5 (validity)`,
      remedy: `${renew} Plan the renewal so that clients trust the new certificate before the old one expires (threshold: --cert-expiry, default 30 days).`,
      ...t,
    },
    {
      id: `${prefix}-cert-weak-key`,
      protocol,
      severity: 'high',
      title: `${what} certificate has a weak key`,
      rationale:
        'RSA keys under 2048 bits (EC under 256) are within reach of factoring/discrete-log attacks and are disallowed by current guidance; current OPC UA policies require at least 2048 bits.',
      source: `NIST SP 800-131A Rev. 2 (key lengths); BSI TR-02102-1; ${standard}`,
      remedy: `Create a new key pair of at least RSA 2048 (3072 or 4096 where supported) and a certificate for it. ${renew}`,
      ...t,
    },
    {
      id: `${prefix}-cert-weak-signature`,
      protocol,
      severity: 'high',
      title: `${what} certificate is signed with SHA-1 or MD5`,
      rationale:
        'SHA-1 and MD5 signatures can be forged by chosen-prefix collisions (SHAttered 2017, "SHA-1 is a Shambles" 2020); validating clients and current OPC UA policies reject them.',
      source: `NIST SP 800-131A Rev. 2 (SHA-1 disallowed for digital signatures); ${standard}`,
      remedy: `Issue a certificate signed with SHA-256 or stronger. ${renew}`,
      ...t,
    },
    {
      id: `${prefix}-cert-host-mismatch`,
      protocol,
      severity: 'medium',
      title: `${what} certificate does not name the host it is reached at`,
      rationale:
        'Clients that check the host name refuse the connection; users then switch checks off, which opens the door to impersonation.',
      source: hostNameSource,
      remedy:
        'Issue the certificate with every DNS name and IP address clients use in its subjectAltName, or reach the server by a name the certificate carries.',
      ...t,
    },
  ];
}

export const RULES: readonly Rule[] = [
  // ---- OPC UA, from GetEndpoints (passive) ----
  {
    id: 'opcua-mode-none',
    protocol: 'opcua',
    severity: 'high',
    title: 'Endpoint with security mode None offered',
    rationale:
      'Mode None neither signs nor encrypts: anyone on the path reads and changes every value, and the server cannot tell clients apart by certificate. It was the most common deficit in the Internet-wide study.',
    source: `OPC 10000-2 (security architecture: MessageSecurityMode); ${BSI_OPCUA}; ${DAHLMANNS}`,
    remedy:
      'Remove the None endpoint (or restrict it to an isolated commissioning network): in the server configuration keep only SecurityMode SignAndEncrypt with Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss. On a PLC this is the OPC UA "security policies" setting of the engineering tool.',
  },
  {
    id: 'opcua-policy-basic128rsa15',
    protocol: 'opcua',
    severity: 'high',
    title: 'Deprecated security policy Basic128Rsa15 offered',
    rationale:
      'Basic128Rsa15 relies on SHA-1 and RSA PKCS#1 v1.5 encryption, which is open to Bleichenbacher-style padding-oracle attacks that can also break other policies using the same key. Deprecated since OPC UA 1.04.',
    source: `OPC 10000-7 (Security Policy profiles: Basic128Rsa15 deprecated); ${BSI_OPCUA}; ${DAHLMANNS}; CVE-2023-46809 (Node.js removed PKCS#1 v1.5 decryption)`,
    remedy:
      'Disable Basic128Rsa15 on the server; offer Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss instead, and update clients that still need it.',
  },
  {
    id: 'opcua-policy-basic256',
    protocol: 'opcua',
    severity: 'medium',
    title: 'Deprecated security policy Basic256 offered',
    rationale:
      'Basic256 signs with SHA-1, which is no longer collision resistant. Deprecated since OPC UA 1.04; a client may be steered to the weakest policy a server offers.',
    source: `OPC 10000-7 (Security Policy profiles: Basic256 deprecated); ${BSI_OPCUA}; ${DAHLMANNS}`,
    remedy: 'Disable Basic256 on the server; offer Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss instead.',
  },
  {
    id: 'opcua-no-strong-endpoint',
    protocol: 'opcua',
    severity: 'high',
    title: 'No SignAndEncrypt endpoint with a current security policy',
    rationale:
      'Without SignAndEncrypt on Basic256Sha256, Aes128_Sha256_RsaOaep or Aes256_Sha256_RsaPss, no client can talk to this server confidentially with current cryptography.',
    source: `OPC 10000-7 (current Security Policy profiles); OPC 10000-2 (security reconciliation); ${BSI_OPCUA}`,
    remedy:
      'Enable at least one endpoint with SecurityMode SignAndEncrypt and policy Basic256Sha256 (widely supported) or Aes256_Sha256_RsaPss.',
  },
  {
    id: 'opcua-sign-only',
    protocol: 'opcua',
    severity: 'low',
    title: 'Sign-only endpoint offered',
    rationale: 'Sign protects integrity but not confidentiality: process values, recipes and user names cross the network readable.',
    source: `OPC 10000-2 (MessageSecurityMode Sign vs SignAndEncrypt); ${BSI_OPCUA}`,
    remedy: 'Prefer SignAndEncrypt; remove Sign endpoints unless a client really needs them and the data is not confidential.',
  },
  {
    id: 'opcua-anonymous-offered',
    protocol: 'opcua',
    severity: 'high',
    title: 'Anonymous identity token offered',
    rationale:
      "Any client may open a session without a user; what it can then read, write or call depends only on the server's defaults for anonymous users. Anonymous access was found on a large share of reachable servers.",
    source: `OPC 10000-4 (EndpointDescription.userIdentityTokens, UserTokenPolicy), OPC 10000-2 (user authentication); ${DAHLMANNS}`,
    remedy:
      'Remove the Anonymous user token policy from every endpoint and configure user names (with passwords over encrypted channels) or X.509 user certificates; check what remaining users may write.',
  },
  {
    id: 'opcua-cleartext-password',
    protocol: 'opcua',
    severity: 'critical',
    title: 'User name and password accepted without encryption',
    rationale:
      'A UserName token on an endpoint with mode None and no token security policy carries the password in clear text: anyone on the network path captures it.',
    source: 'OPC 10000-4 (UserTokenPolicy.securityPolicyUri; UserNameIdentityToken encryption); OPC 10000-2 (user authentication)',
    remedy:
      'Remove the UserName token from None endpoints, or give the token a security policy (Basic256Sha256) so the password is encrypted with the server certificate; better, accept user names only on SignAndEncrypt endpoints. Change passwords that may have crossed in clear.',
  },
  ...certRules(
    'opcua',
    'opcua',
    "The server's application instance",
    'OPC 10000-4 §6.1.3 (determining if a certificate is trusted), OPC 10000-6 §6.2 (application instance certificates)',
    "Issue a new application instance certificate (through the server's certificate manager or a GDS, OPC 10000-12) and distribute it to the clients' trust lists.",
    'OPC 10000-4 §6.1.3 (host name check), OPC 10000-6 §6.2 (subjectAltName)',
  ),
  {
    id: 'opcua-cert-uri-mismatch',
    protocol: 'opcua',
    severity: 'medium',
    title: "Certificate URI does not match the server's ApplicationUri",
    rationale:
      'The subjectAltName URI must equal the ApplicationUri the server announces; clients that check it (as the specification requires) refuse the connection, and a mismatch is a sign of a copied or wrong certificate.',
    source: 'OPC 10000-4 §6.1.3 (ApplicationUri check), OPC 10000-6 §6.2 (subjectAltName URI)',
    remedy: "Create the certificate for the server's own ApplicationUri (or set the ApplicationUri to the one in the certificate).",
  },
  {
    id: 'opcua-cert-self-signed',
    protocol: 'opcua',
    severity: 'low',
    title: 'Self-signed application certificate',
    rationale:
      'Self-signed certificates are allowed, but every client must trust each one by hand, revocation is impossible, and renewals need every trust list touched. Larger installations are easier to keep secure with a CA (GDS).',
    source: 'OPC 10000-2 (certificate management), OPC 10000-12 (Global Discovery Server and certificate management)',
    remedy:
      'For more than a few servers, issue application certificates from a plant CA or a GDS with revocation lists; otherwise record the fingerprint so clients can verify it.',
  },
  {
    id: 'opcua-cert-shared',
    protocol: 'opcua',
    severity: 'high',
    title: 'The same certificate is served by several servers',
    rationale:
      'A certificate (and so its private key) copied onto several devices lets one compromised device impersonate all of them; the Internet-wide study found certificates reused across many deployments, often vendor defaults.',
    source: `${DAHLMANNS}; OPC 10000-6 §6.2 (one application instance certificate per installed application)`,
    remedy:
      'Give every server its own key pair and application instance certificate; replace vendor default certificates at commissioning.',
  },
  {
    id: 'opcua-security-level',
    protocol: 'opcua',
    severity: 'low',
    title: 'SecurityLevel does not rank the secure endpoints highest',
    rationale:
      'Clients that pick the endpoint with the highest SecurityLevel (as the specification suggests) are steered to a weaker endpoint when None, Sign-only or deprecated endpoints rank as high or higher, or when every endpoint says 0.',
    source: 'OPC 10000-4 (GetEndpoints, EndpointDescription.securityLevel), OPC 10000-7 (Security Policy profiles)',
    remedy:
      'Configure SecurityLevel so SignAndEncrypt endpoints with current policies rank highest (most servers derive it from mode and policy; a fixed value overrides that).',
  },
  // ---- OPC UA, with --session (read-only) ----
  {
    id: 'opcua-anonymous-session',
    protocol: 'opcua',
    severity: 'high',
    title: 'Anonymous session accepted',
    rationale:
      'The server accepted a session without any user, from an unknown client: anything the anonymous role may read is open to whoever reaches the port.',
    source: `OPC 10000-4 §5.6.3 (ActivateSession), OPC 10000-2 (user authentication); ${DAHLMANNS}`,
    remedy:
      'Disable anonymous access; require user names or user certificates, with roles that grant only what each user needs (OPC 10000-18 role-based security).',
    optIn: '--session',
  },
  {
    id: 'opcua-unknown-client-accepted',
    protocol: 'opcua',
    severity: 'high',
    title: 'Secure channel opened with an unknown, untrusted client certificate',
    rationale:
      'The server accepted a throw-away self-signed certificate it had never seen: it trusts every client certificate automatically, so certificate-based client authentication protects nothing.',
    source: `OPC 10000-4 §6.1.3 (determining if a certificate is trusted); ${BSI_OPCUA}`,
    remedy:
      'Switch off "automatically accept client certificates" (node-opcua: automaticallyAcceptUnknownCertificate; many PLCs: "accept all certificates") and trust clients explicitly.',
    optIn: '--session',
  },
  {
    id: 'opcua-anonymous-write',
    protocol: 'opcua',
    severity: 'critical',
    title: 'Anonymous users may write variables',
    rationale:
      'Variables whose UserAccessLevel grants CurrentWrite to the anonymous session can be changed by anyone who reaches the port: setpoints, modes, recipes. Only the CurrentWrite bit makes a value writable: StatusWrite and TimestampWrite without it (open62541 method arguments: 97) write nothing.',
    source: 'OPC 10000-3 §5.6.2 (AccessLevel, UserAccessLevel), OPC 10000-18 (role permissions); IEC 62443-3-3 SR 1.1, SR 2.1',
    remedy:
      "Disable anonymous access, or remove write permission from the anonymous role (RolePermissions / the server's access configuration) so only authenticated operators may write.",
    optIn: '--session',
  },
  {
    id: 'opcua-anonymous-history-write',
    protocol: 'opcua',
    severity: 'high',
    title: 'Anonymous users may change stored history',
    rationale:
      'Variables whose UserAccessLevel grants HistoryWrite to the anonymous session let anyone who reaches the port insert, replace or delete historical values (HistoryUpdate): the record that audits, energy bills and incident analyses rely on.',
    source:
      'OPC 10000-3 §5.6.2 (AccessLevel: HistoryWrite), OPC 10000-11 (HistoryUpdate); IEC 62443-3-3 SR 3.1 (communication integrity), SR 2.8 (auditable events)',
    remedy:
      "Remove HistoryWrite from the anonymous role (RolePermissions / the server's access configuration), or disable anonymous access; history should be writable only by the historian or an authenticated administrator.",
    optIn: '--session',
  },
  {
    id: 'opcua-anonymous-execute',
    protocol: 'opcua',
    severity: 'high',
    title: 'Anonymous users may call methods',
    rationale:
      "Methods whose UserExecutable is true for the anonymous session can be called by anyone who reaches the port: they may start, stop or reconfigure equipment. (Methods that act only on the caller's own subscriptions are not counted.)",
    source: 'OPC 10000-3 §5.7 (Executable, UserExecutable), OPC 10000-18 (role permissions); IEC 62443-3-3 SR 2.1',
    remedy: 'Disable anonymous access, or deny the Call permission to the anonymous role for these methods.',
    optIn: '--session',
  },
  {
    id: 'opcua-auditing-off',
    protocol: 'opcua',
    severity: 'low',
    title: 'Server auditing is off',
    rationale:
      'With Server.Auditing false the server emits no audit events for sessions, writes and calls: changes to the process cannot be traced to a user afterwards.',
    source: 'OPC 10000-2 (auditing), OPC 10000-5 (Server.Auditing, AuditEventType); IEC 62443-3-3 SR 2.8',
    remedy: 'Enable auditing in the server and collect the audit events (a historian or SIEM subscribed to the Server object).',
    optIn: '--session',
  },
  {
    id: 'opcua-build-info',
    protocol: 'opcua',
    severity: 'info',
    title: 'Server product and version',
    rationale:
      'Recorded for the handover report: product, manufacturer, software version and build date tell which vendor advisories apply.',
    source: 'OPC 10000-5 (ServerStatus.BuildInfo)',
    remedy: "Compare the version with the vendor's security advisories (and CISA ICS advisories) and update where a fix exists.",
    optIn: '--session',
  },
  // ---- MQTT ----
  {
    id: 'mqtt-plaintext',
    protocol: 'mqtt',
    severity: 'medium',
    title: 'MQTT without TLS',
    rationale:
      'On a plaintext listener every message, topic, client id, user name and password crosses the network readable and changeable.',
    source: 'OASIS MQTT 3.1.1 §5.4.1, §5.4.5 (TLS); MQTT 5.0 §5.4; IEC 62443-3-3 SR 4.1',
    remedy:
      'Serve MQTT over TLS (port 8883; mosquitto: `listener 8883` with `certfile`, `keyfile`) and close the plaintext port, or bind it to localhost only.',
    transport: 'plain',
  },
  {
    id: 'mqtt-no-tls',
    protocol: 'mqtt',
    severity: 'medium',
    title: 'No MQTT over TLS found for this broker',
    rationale:
      'Among the targets checked there is a plaintext listener but no TLS listener on the same host: clients have no way to connect confidentially.',
    source: 'OASIS MQTT 3.1.1 §5.4.5; MQTT 5.0 §5.4',
    remedy:
      'Add a TLS listener (8883) with a certificate clients can verify, and move clients to it. If one exists, add its mqtts:// URL to the targets (iiot discover finds it) so it is checked too.',
    transport: 'plain',
  },
  {
    id: 'mqtt-anonymous',
    protocol: 'mqtt',
    severity: 'high',
    title: 'Anonymous MQTT connections accepted',
    rationale:
      'The broker accepted a CONNECT without user name and password: anyone who reaches the port may subscribe to plant data and publish commands (unless per-topic ACLs forbid it).',
    source:
      'OASIS MQTT 3.1.1 §5.4.1 (authentication of clients); MQTT 5.0 §5.4.1; mosquitto.conf: allow_anonymous (false by default since 2.0)',
    remedy:
      'Require authentication: mosquitto `allow_anonymous false` with `password_file` (or client certificates, `require_certificate true`); aedes: an `authenticate` handler. Add ACLs so each client may only use its own topics.',
  },
  {
    id: 'mqtt-sys-readable',
    protocol: 'mqtt',
    severity: 'low',
    title: '$SYS topics readable',
    rationale:
      'The $SYS tree discloses the broker version, uptime, client counts and traffic: reconnaissance for an attacker (which advisories apply, how busy the plant is).',
    source: 'mosquitto(8) "Broker Status" ($SYS topics); OASIS MQTT 3.1.1 §4.7.2 (topics beginning with $)',
    remedy:
      'Restrict $SYS/# with an ACL to monitoring users (mosquitto: `acl_file` without a pattern granting $SYS to everyone; or `sys_interval 0` to turn it off).',
    optIn: '--mqtt-sys',
  },
  {
    id: 'mqtt-wildcard-subscribe',
    protocol: 'mqtt',
    severity: 'high',
    title: 'Anonymous subscription to # (every topic) allowed',
    rationale:
      'An anonymous client allowed to subscribe to # receives every message of the plant: process data, commands, and often credentials or configuration published by devices.',
    source: 'OASIS MQTT 3.1.1 §4.7.1.2 (multi-level wildcard), §5.4.2 (authorization); IEC 62443-3-3 SR 2.1',
    remedy:
      'Add ACLs that allow each client only the topics it needs (mosquitto `acl_file`: `topic read plant/line3/#` per user); deny # to everyone but a monitoring account.',
    optIn: '--mqtt-wildcard',
  },
  {
    id: 'mqtt-user-wildcard-subscribe',
    protocol: 'mqtt',
    severity: 'medium',
    title: 'An authenticated user may subscribe to # (no per-topic ACL)',
    rationale:
      'Anonymous access is refused, but the user given with --user receives every message of the plant: without per-topic ACLs one leaked device password exposes all data and commands.',
    source: 'OASIS MQTT 3.1.1 §5.4.2 (authorization of clients); IEC 62443-3-3 SR 2.1 (authorization enforcement, least privilege)',
    remedy:
      'Give every account an ACL with only the topics it needs (mosquitto `acl_file`; aedes `authorizeSubscribe`); keep # for a monitoring account, if at all.',
    optIn: '--mqtt-wildcard',
  },
  ...certRules(
    'mqtt-tls',
    'mqtt',
    "The broker's TLS",
    'OASIS MQTT 3.1.1 §5.4.5',
    'Install a new certificate on the broker (mosquitto: `certfile`, `keyfile`, then reload) and make sure clients trust its CA.',
    'RFC 6125; RFC 5280 §4.2.1.6 (subjectAltName)',
    'tls',
  ),
  {
    id: 'mqtt-tls-untrusted',
    protocol: 'mqtt',
    severity: 'medium',
    title: "The broker's TLS certificate is not trusted",
    rationale:
      'The chain does not verify against the system trust store or --ca: clients must disable verification or pin the certificate; with verification off, TLS no longer stops impersonation.',
    source: 'RFC 5280 §6 (path validation); OASIS MQTT 3.1.1 §5.4.5',
    remedy:
      'Issue the broker certificate from a CA the clients trust (a plant CA is fine), and give clients that CA; check again with --ca <ca.pem>.',
    transport: 'tls',
  },
  {
    id: 'mqtt-tls-old-protocol',
    protocol: 'mqtt',
    severity: 'high',
    title: 'TLS 1.0 or 1.1 negotiated',
    rationale:
      'TLS 1.0 and 1.1 are deprecated (weak hashes in the handshake, no AEAD ciphers); if this computer could negotiate them, so can an attacker downgrading other clients.',
    source: 'RFC 8996 (deprecating TLS 1.0 and 1.1); BSI TR-02102-2',
    remedy: 'Allow only TLS 1.2 and 1.3 on the broker (mosquitto: `tls_version tlsv1.2`, or tlsv1.3).',
    transport: 'tls',
  },
  // ---- Modbus ----
  {
    id: 'modbus-unauthenticated',
    protocol: 'modbus',
    severity: 'medium',
    title: 'Modbus/TCP answers without authentication',
    rationale:
      'Modbus has no authentication or authorization by design: whoever can reach this port may read and write registers and coils. The device answered a read from this computer, so a write would be accepted the same way. Rated medium because it is inherent to the protocol; the exposure is the network around it.',
    source:
      'Modbus Application Protocol v1.1b3 (no security); Modbus.org "MODBUS/TCP Security" protocol specification (2018, TLS on port 802); IEC 62443-3-2 (zones and conduits)',
    remedy:
      'Put the device in a zone only the controlling hosts can reach (firewall or VLAN ACL allowing TCP 502 from those hosts only); use Modbus/TCP Security (TLS, port 802) where devices support it; disable write access in the device where it offers that.',
  },
  {
    id: 'modbus-device-id',
    protocol: 'modbus',
    severity: 'low',
    title: 'Device identification disclosed (function 43/14)',
    rationale:
      'Vendor, product code and firmware revision tell an attacker which exploits and default settings apply, without any credentials.',
    source: 'Modbus Application Protocol v1.1b3 (function 43 / MEI type 14, Read Device Identification)',
    remedy:
      'Restrict who can reach the device (see modbus-unauthenticated); where the device allows it, disable the identification objects, and compare the revision with vendor advisories.',
  },
  {
    id: 'modbus-unit-ids',
    protocol: 'modbus',
    severity: 'info',
    title: 'Unit ids answering behind this address',
    rationale: 'A gateway that forwards to several unit ids exposes every device behind it to anyone who reaches the gateway.',
    source: 'Modbus Messaging on TCP/IP Implementation Guide v1.0b (unit identifier, gateways)',
    remedy:
      "Make sure every unit listed is meant to be reachable from this network; restrict the gateway's routing table where it allows it.",
    optIn: '--unit-sweep',
  },
];

export const RULES_BY_ID: ReadonlyMap<string, Rule> = new Map(RULES.map((r) => [r.id, r]));

export function rule(id: string): Rule {
  const r = RULES_BY_ID.get(id);
  if (!r) throw new Error(`unknown rule ${id}`);
  return r;
}
