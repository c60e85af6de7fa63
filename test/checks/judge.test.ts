import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  judgeCertificate,
  judgeModbus,
  judgeMqtt,
  judgeOpcUaEndpoints,
  judgeOpcUaSession,
  judgeSharedCertificates,
} from '../../src/checks/security/judge.js';
import { RULES, RULES_BY_ID } from '../../src/checks/security/rules.js';
import type { EndpointInfo } from '../../src/protocols/opcua/endpoints.js';
import { opensslCert, windowCert, type MadeCert } from '../helpers/certs.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const DAY = 86_400_000;
const now = Date.now();
const T = 'opc.tcp://127.0.0.1:4840';
const base = { now, expiryWarningMs: 30 * DAY, host: '127.0.0.1' };

let good: MadeCert;
let expired: MadeCert;
let notYet: MadeCert;
let expiring: MadeCert;
let weak1024: MadeCert;
let sha1: MadeCert;
let otherHost: MadeCert;

beforeAll(async () => {
  const dir = tempDir('judge-certs');
  good = await windowCert(dir, 'good', {
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 400 * DAY),
    applicationUri: 'urn:test:server',
  });
  expired = await windowCert(dir, 'expired', {
    notBefore: new Date(now - 400 * DAY),
    notAfter: new Date(now - 10 * DAY),
    applicationUri: 'urn:test:server',
  });
  notYet = await windowCert(dir, 'future', {
    notBefore: new Date(now + 10 * DAY),
    notAfter: new Date(now + 400 * DAY),
    applicationUri: 'urn:test:server',
  });
  expiring = await windowCert(dir, 'expiring', {
    notBefore: new Date(now - DAY),
    notAfter: new Date(now + 5 * DAY),
    applicationUri: 'urn:test:server',
  });
  weak1024 = opensslCert(dir, 'weak', { bits: 1024, san: 'URI:urn:test:server,IP:127.0.0.1' });
  sha1 = opensslCert(dir, 'sha1', { digest: 'sha1', san: 'URI:urn:test:server,IP:127.0.0.1' });
  otherHost = opensslCert(dir, 'other', { san: 'URI:urn:other:app,DNS:plc7.example' });
}, 60_000);

afterAll(removeTempDirs);

function ep(
  mode: EndpointInfo['securityMode'],
  policy: string,
  tokens: Array<{ type: 'Anonymous' | 'UserName' | 'Certificate'; securityPolicy?: string }>,
  level: number,
  cert?: Buffer,
): EndpointInfo {
  return {
    endpointUrl: T,
    securityMode: mode,
    securityPolicy: policy,
    securityPolicyUri: `http://opcfoundation.org/UA/SecurityPolicy#${policy}`,
    securityLevel: level,
    transportProfileUri: 'http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary',
    userTokens: tokens.map((t, i) => ({ type: t.type, policyId: String(i), securityPolicy: t.securityPolicy })),
    serverCertificate: cert,
    server: {
      applicationUri: 'urn:test:server',
      productUri: 'urn:test',
      applicationName: 'test',
      applicationType: 'Server',
      discoveryUrls: [],
    },
  };
}

const ids = (fs: Array<{ ruleId: string }>) => fs.map((f) => f.ruleId).sort();

describe('OPC UA endpoint rules', () => {
  it('a hardened server (SignAndEncrypt, current policies, users only, CA-less but valid certificate) gets no high or critical finding', () => {
    const fs = judgeOpcUaEndpoints(
      T,
      [
        ep('SignAndEncrypt', 'Basic256Sha256', [{ type: 'UserName' }], 3, good.der),
        ep('SignAndEncrypt', 'Aes256_Sha256_RsaPss', [{ type: 'UserName' }], 4, good.der),
      ],
      base,
    );
    expect(ids(fs)).toEqual(['opcua-cert-self-signed']);
  });

  it('finds every seeded weakness of a weak server', () => {
    const fs = judgeOpcUaEndpoints(
      T,
      [
        ep('None', 'None', [{ type: 'Anonymous' }, { type: 'UserName' }], 0, expiring.der),
        ep('Sign', 'Basic128Rsa15', [{ type: 'Anonymous' }], 1, expiring.der),
        ep('SignAndEncrypt', 'Basic256', [{ type: 'Anonymous' }], 3, expiring.der),
        ep('SignAndEncrypt', 'Basic256Sha256', [{ type: 'UserName', securityPolicy: 'Basic256Sha256' }], 2, expiring.der),
      ],
      base,
    );
    expect(ids(fs)).toEqual(
      [
        'opcua-anonymous-offered',
        'opcua-cert-expiring',
        'opcua-cert-self-signed',
        'opcua-cleartext-password',
        'opcua-mode-none',
        'opcua-policy-basic128rsa15',
        'opcua-policy-basic256',
        'opcua-security-level',
        'opcua-sign-only',
      ].sort(),
    );
    expect(fs.find((f) => f.ruleId === 'opcua-security-level')!.evidence).toContain('SignAndEncrypt/Basic256 (3)');
    for (const f of fs) {
      expect(f.severity).toBe(RULES_BY_ID.get(f.ruleId)!.severity);
      expect(f.remedy.length).toBeGreaterThan(20);
      expect(f.target).toBe(T);
    }
  });

  it('a username token with its own security policy on a None endpoint is not a cleartext password; without one it is', () => {
    expect(
      ids(
        judgeOpcUaEndpoints(
          T,
          [
            ep('None', 'None', [{ type: 'UserName', securityPolicy: 'Basic256Sha256' }], 0),
            ep('SignAndEncrypt', 'Basic256Sha256', [{ type: 'UserName' }], 3),
          ],
          base,
        ),
      ),
    ).not.toContain('opcua-cleartext-password');
    expect(ids(judgeOpcUaEndpoints(T, [ep('Sign', 'Basic256Sha256', [{ type: 'UserName', securityPolicy: 'None' }], 1)], base))).toContain(
      'opcua-cleartext-password',
    );
    expect(ids(judgeOpcUaEndpoints(T, [ep('None', 'None', [{ type: 'Anonymous' }], 0)], base))).toContain('opcua-no-strong-endpoint');
  });
});

describe('certificate rules (certificates generated by the test)', () => {
  const opts = (applicationUri = 'urn:test:server') => ({ ...base, now: Date.now(), applicationUri });
  it('expired, not yet valid, expiring', () => {
    expect(ids(judgeCertificate('opcua', T, expired.der, opts()))).toContain('opcua-cert-expired');
    expect(ids(judgeCertificate('opcua', T, notYet.der, opts()))).toContain('opcua-cert-not-yet-valid');
    const e = judgeCertificate('opcua', T, expiring.der, opts()).find((f) => f.ruleId === 'opcua-cert-expiring')!;
    expect(e.evidence).toMatch(/in [45] days/);
    expect(ids(judgeCertificate('opcua', T, good.der, opts()))).toEqual(['opcua-cert-self-signed']);
  });

  it('a 1024-bit RSA key and a SHA-1 signature', () => {
    const weak = judgeCertificate('opcua', T, weak1024.der, opts()).find((f) => f.ruleId === 'opcua-cert-weak-key')!;
    expect(weak.evidence).toContain('RSA 1024');
    const s1 = judgeCertificate('mqtt-tls', 'mqtts://127.0.0.1:8883', sha1.der, opts()).find(
      (f) => f.ruleId === 'mqtt-tls-cert-weak-signature',
    )!;
    expect(s1.evidence).toContain('sha1WithRSAEncryption');
    expect(ids(judgeCertificate('opcua', T, good.der, opts()))).not.toContain('opcua-cert-weak-key');
  });

  it('a wrong ApplicationUri and a host the certificate does not name', () => {
    const fs = judgeCertificate('opcua', T, otherHost.der, opts());
    expect(ids(fs)).toEqual(['opcua-cert-host-mismatch', 'opcua-cert-self-signed', 'opcua-cert-uri-mismatch']);
    expect(fs.find((f) => f.ruleId === 'opcua-cert-uri-mismatch')!.evidence).toContain('urn:other:app');
    expect(fs.find((f) => f.ruleId === 'opcua-cert-host-mismatch')!.evidence).toContain('DNS:plc7.example');
    // MQTT has no ApplicationUri and no self-signed rule of its own (trust is mqtt-tls-untrusted)
    expect(ids(judgeCertificate('mqtt-tls', 'mqtts://127.0.0.1:8883', otherHost.der, opts()))).toEqual(['mqtt-tls-cert-host-mismatch']);
  });

  it('one certificate on several servers', () => {
    const fs = judgeSharedCertificates([
      { target: 'opc.tcp://127.0.0.1:4840', sha256: 'AA:BB' },
      { target: 'opc.tcp://127.0.0.2:4840', sha256: 'AA:BB' },
      { target: 'opc.tcp://127.0.0.3:4840', sha256: 'CC:DD' },
    ]);
    expect(fs.map((f) => f.target)).toEqual(['opc.tcp://127.0.0.1:4840', 'opc.tcp://127.0.0.2:4840']);
    expect(fs[0]!.evidence).toContain('opc.tcp://127.0.0.2:4840');
  });
});

describe('session, MQTT and Modbus rules', () => {
  it('judges what an anonymous session may do', () => {
    const fs = judgeOpcUaSession(T, {
      attempts: [
        { securityMode: 'None', securityPolicy: 'None', accepted: true },
        { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', accepted: true },
      ],
      writable: [{ nodeId: 'ns=2;s=sp', path: '/Objects/2:Pump/2:Setpoint' }],
      historyWritable: [{ nodeId: 'ns=2;s=energy', path: '/Objects/2:Pump/2:Energy' }],
      executable: [{ nodeId: 'ns=2;s=stop', path: '/Objects/2:Pump/2:Stop' }],
      examined: { variables: 10, methods: 3, nodes: 20, complete: true },
      auditing: false,
      buildInfo: { productName: 'PLC', softwareVersion: '1.2.3' },
    });
    expect(ids(fs)).toEqual([
      'opcua-anonymous-execute',
      'opcua-anonymous-history-write',
      'opcua-anonymous-session',
      'opcua-anonymous-write',
      'opcua-auditing-off',
      'opcua-build-info',
      'opcua-unknown-client-accepted',
    ]);
    expect(fs.find((f) => f.ruleId === 'opcua-anonymous-write')!.severity).toBe('critical');
    expect(
      ids(
        judgeOpcUaSession(T, {
          attempts: [{ securityMode: 'None', securityPolicy: 'None', accepted: false, reason: 'BadIdentityTokenRejected' }],
          writable: [],
          historyWritable: [],
          executable: [],
          examined: { variables: 0, methods: 0, nodes: 0, complete: true },
        }),
      ),
    ).toEqual([]);
  });

  it('MQTT: plaintext, no TLS sibling, anonymous, subscriptions by anonymous and by a user', () => {
    const facts = {
      connectMs: 1,
      anonymous: { accepted: true as const },
      subscriptions: [
        {
          filter: '$SYS/#',
          granted: true,
          topics: 3,
          messages: 3,
          examples: ['$SYS/broker/version'],
          listenedMs: 1000,
          as: 'anonymous' as const,
        },
        {
          filter: '#',
          granted: true,
          topics: 40,
          messages: 90,
          examples: ['plant/pump1/vibration'],
          listenedMs: 1000,
          as: 'anonymous' as const,
        },
      ],
    };
    expect(ids(judgeMqtt('mqtt://127.0.0.1:1883', facts, { ...base, tls: false, tlsSiblingChecked: false }))).toEqual([
      'mqtt-anonymous',
      'mqtt-no-tls',
      'mqtt-plaintext',
      'mqtt-sys-readable',
      'mqtt-wildcard-subscribe',
    ]);
    const user = {
      ...facts,
      anonymous: { accepted: false as const, returnCode: 5, reason: 'CONNACK 5' },
      subscriptions: [{ ...facts.subscriptions[1]!, as: 'user' as const }],
    };
    expect(ids(judgeMqtt('mqtt://127.0.0.1:1883', user, { ...base, tls: false, tlsSiblingChecked: true }))).toEqual([
      'mqtt-plaintext',
      'mqtt-user-wildcard-subscribe',
    ]);
    const refused = { ...facts, subscriptions: [{ ...facts.subscriptions[1]!, granted: false }] };
    expect(ids(judgeMqtt('mqtt://127.0.0.1:1883', refused, { ...base, tls: false, tlsSiblingChecked: true }))).not.toContain(
      'mqtt-wildcard-subscribe',
    );
  });

  it('Modbus: answering means unauthenticated; identification and sweep results', () => {
    const fs = judgeModbus('modbus://127.0.0.1:502?unit=1', {
      connectMs: 1,
      unit: 1,
      read: { answered: true, exception: 'exception 02 (illegal data address)' },
      identification: { objects: { 0: 'Eastron', 1: 'SDM630', 2: '2.0' } },
      sweep: { tried: 5, answering: [{ unit: 1, answer: 'data' }] },
    });
    expect(ids(fs)).toEqual(['modbus-device-id', 'modbus-unauthenticated', 'modbus-unit-ids']);
    expect(fs.find((f) => f.ruleId === 'modbus-device-id')!.evidence).toBe(
      'function 43/14 returned vendor "Eastron", product code "SDM630", revision "2.0"',
    );
    expect(
      ids(judgeModbus('modbus://127.0.0.1:502?unit=1', { connectMs: 1, unit: 1, read: { answered: false, reason: 'timeout' } })),
    ).toEqual([]);
  });

  it('every rule has an id, a severity, a rationale, a source and a remedy; ids are unique', () => {
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
    for (const r of RULES) {
      expect(r.id).toMatch(/^(opcua|mqtt|modbus)-[a-z0-9-]+$/);
      expect(r.rationale.length).toBeGreaterThan(40);
      expect(r.source.length).toBeGreaterThan(10);
      expect(r.remedy.length).toBeGreaterThan(30);
    }
  });
});
