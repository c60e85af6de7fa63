import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, afterAll } from 'vitest';
import { IiotError } from '../../../src/core/errors.js';
import { parseOpcUaConnectOptions } from '../../../src/protocols/opcua/flags.js';
import { inspectCertificate, splitDerChain, toDer } from '../../../src/protocols/opcua/certificates.js';
import { Queue } from '../../../src/protocols/opcua/crawler.js';
import { selectEndpoint, type EndpointInfo } from '../../../src/protocols/opcua/endpoints.js';
import { explainError, explainStatus } from '../../../src/protocols/opcua/explain.js';
import { formatSegment, parseNodeRef } from '../../../src/protocols/opcua/node-ref.js';
import { Pki } from '../../../src/protocols/opcua/pki.js';
import { formatTagList, parseTagList, tagNameFromPath } from '../../../src/protocols/opcua/tag-list.js';
import { toJson, variantToJson } from '../../../src/protocols/opcua/values.js';
import { tempDir, removeTempDirs } from '../../helpers/opcua-plant.js';

afterAll(removeTempDirs);

function endpoint(
  mode: EndpointInfo['securityMode'],
  policy: string,
  level: number,
  tokens: Array<'Anonymous' | 'UserName' | 'Certificate'> = ['Anonymous', 'UserName'],
): EndpointInfo {
  return {
    endpointUrl: 'opc.tcp://plc:4840',
    securityMode: mode,
    securityPolicy: policy,
    securityPolicyUri: `http://opcfoundation.org/UA/SecurityPolicy#${policy}`,
    securityLevel: level,
    transportProfileUri: 'http://opcfoundation.org/UA-Profile/Transport/uatcp-uasc-uabinary',
    userTokens: tokens.map((type) => ({ type, policyId: type, securityPolicy: undefined })),
    serverCertificate: undefined,
    server: { applicationUri: 'urn:plc', productUri: '', applicationName: 'PLC', applicationType: 'Server', discoveryUrls: [] },
  };
}

function throws(fn: () => unknown): IiotError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(IiotError);
    return err as IiotError;
  }
  throw new Error('expected an error');
}

describe('endpoint selection', () => {
  const url = 'opc.tcp://127.0.0.1:4840';
  const offered = [
    endpoint('None', 'None', 0),
    endpoint('Sign', 'Basic256Sha256', 10),
    endpoint('SignAndEncrypt', 'Basic256', 20),
    endpoint('SignAndEncrypt', 'Aes256_Sha256_RsaPss', 30, ['UserName']),
    endpoint('SignAndEncrypt', 'Basic256Sha256', 25),
  ];

  it('takes the most secure endpoint offered: mode, then policy strength', () => {
    const e = selectEndpoint(offered, {}, url);
    expect(`${e.securityMode}/${e.securityPolicy}`).toBe('SignAndEncrypt/Aes256_Sha256_RsaPss');
  });

  it('skips endpoints that do not accept the identity given', () => {
    const e = selectEndpoint(offered, { tokenType: 'Anonymous' }, url);
    expect(`${e.securityMode}/${e.securityPolicy}`).toBe('SignAndEncrypt/Basic256Sha256');
    const err = throws(() => selectEndpoint(offered, { tokenType: 'Certificate' }, url));
    expect(err.message).toContain('does not accept user certificates');
    expect(err.hint).toContain('Anonymous, UserName');
  });

  it('honours --security-mode and --security-policy, and names what is offered when nothing fits', () => {
    expect(selectEndpoint(offered, { mode: 'Sign' }, url).securityPolicy).toBe('Basic256Sha256');
    expect(selectEndpoint(offered, { mode: 'None' }, url).securityMode).toBe('None');
    const err = throws(() => selectEndpoint(offered, { mode: 'Sign', policy: 'Aes128_Sha256_RsaOaep' }, url));
    expect(err.exitCode).toBe(2);
    expect(err.hint).toContain('SignAndEncrypt/Basic256Sha256');
  });

  it('says plainly that a Basic128Rsa15-only server cannot be used from Node 22', () => {
    const err = throws(() =>
      selectEndpoint([endpoint('Sign', 'Basic128Rsa15', 5), endpoint('SignAndEncrypt', 'Basic128Rsa15', 10)], {}, url),
    );
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain('offers only security policies iiot cannot use (Basic128Rsa15)');
    expect(err.message).toContain('RSA PKCS#1 v1.5');
    expect(err.hint).toContain('Basic256Sha256');
  });
});

describe('the error explainer', () => {
  const ctx = {
    endpointUrl: 'opc.tcp://127.0.0.1:4840',
    ownCertificateFile: '/home/p/.config/iiot/pki/own/certs/client_certificate.pem',
    pkiRoot: '/home/p/.config/iiot/pki',
    identity: 'user "op"',
    passwordSource: '$IIOT_PASSWORD',
  };

  it.each([
    [
      'BadSecurityChecksFailed',
      /refused iiot's application certificate/,
      /copy \/home\/p\/.config\/iiot\/pki\/own\/certs\/client_certificate.pem into the server's trusted certificates folder/,
    ],
    ['BadCertificateUntrusted', /refused iiot's application certificate/, /trusted certificates folder/],
    [
      'BadCertificateUriInvalid',
      /ApplicationUri in the certificate does not match/,
      /delete it and own\/private\/private_key.pem in \/home\/p\/.config\/iiot\/pki/,
    ],
    ['BadCertificateTimeInvalid', /expired or not yet valid/, /clocks/],
    ['BadIdentityTokenRejected', /rejected the user identity \(user "op"\)/, /\$IIOT_PASSWORD/],
    ['BadUserAccessDenied', /denied access for user "op"/, /\$IIOT_PASSWORD/],
    ['BadTooManySessions', /has no session left/, /MaxSessions/],
  ])('%s: what happened and the next step', (status, message, hint) => {
    const x = explainStatus(status, ctx);
    expect(x.exitCode).toBe(3);
    expect(x.message).toMatch(message);
    expect(x.hint).toMatch(hint);
  });

  it("reads the status out of node-opcua's wording", () => {
    const err = explainError(new Error('The connection has been rejected by server: BadSecurityChecksFailed (0x80130000)'), ctx);
    expect(err.message).toContain('BadSecurityChecksFailed');
    expect(explainError(new Error('connect ECONNREFUSED 127.0.0.1:4840'), ctx).message).toBe(
      'nothing is listening at 127.0.0.1:4840 (connection refused)',
    );
  });
});

describe('node references', () => {
  it('parses node ids, well-known names and browse paths', () => {
    expect(parseNodeRef('ns=2;s=Plant.Pump1')).toEqual({ kind: 'id', text: 'ns=2;s=Plant.Pump1' });
    expect(parseNodeRef('Objects')).toEqual({ kind: 'id', text: 'i=85' });
    expect(parseNodeRef('nsu=urn:iiot:sim:plant;s=plant.power')).toEqual({
      kind: 'id',
      text: 's=plant.power',
      namespaceUri: 'urn:iiot:sim:plant',
    });
    expect(parseNodeRef('/Objects/2:Plant/Pump&/1')).toEqual({
      kind: 'path',
      text: '/Objects/2:Plant/Pump&/1',
      segments: [{ name: 'Objects' }, { ns: 2, name: 'Plant' }, { name: 'Pump/1' }],
    });
    expect(formatSegment(2, 'Pump/1')).toBe('2:Pump&/1');
  });

  it('refuses malformed node ids with the forms that work', () => {
    for (const bad of ['ns=x;s=1', 'i=abc', 'ns=70000;i=1', 'g=not-a-guid', '']) {
      const err = throws(() => parseNodeRef(bad));
      expect(err.exitCode, bad).toBe(2);
    }
    expect(throws(() => parseNodeRef('Plant.Pump1')).hint).toContain('ns=2;s=Plant.Pump1');
  });
});

describe('the tag list format', () => {
  const text = `format: iiot-tags/1
endpoint: opc.tcp://127.0.0.1:4840
tags:
  - name: Plant.Incomer.ActivePower
    nodeId: ns=2;s=plant.power
    unit: kW
    range: [0, 125]
  - name: Plant.Incomer.ActivePower
    nodeId: ns=2;s=plant.energy
`;

  it('rejects duplicate names and bad node ids, naming file and line', () => {
    const err = throws(() => parseTagList({ file: 'line3.tags', text }));
    expect(err.message).toBe('line3.tags:8: tags[1].name: duplicate tag name "Plant.Incomer.ActivePower" (also tags[0])');
    const bad = throws(() =>
      parseTagList({
        file: 'x.tags',
        text: text
          .replace('ns=2;s=plant.energy', 'plant.energy')
          .replace('name: Plant.Incomer.ActivePower\n    nodeId: ns=2', 'name: A\n    nodeId: ns=2'),
      }),
    );
    expect(bad.message).toMatch(/^x\.tags:9: tags\[1\]\.nodeId: /);
    const version = throws(() => parseTagList({ file: 'y.tags', text: text.replace('iiot-tags/1', 'iiot-tags/9') }));
    expect(version.message).toContain('format must be "iiot-tags/1"');
  });

  it('round-trips through its own writer', () => {
    const list = parseTagList({
      file: 'ok.tags',
      text: text.replace(/ActivePower\n {4}nodeId: ns=2;s=plant.energy/, 'Energy\n    nodeId: ns=2;s=plant.energy'),
    });
    const again = parseTagList({ file: 'again.tags', text: formatTagList(list) });
    expect(again).toEqual(list);
    expect(formatTagList(list)).toContain('range: [0, 125]');
    expect(tagNameFromPath('/Objects/2:Plant/2:Line&/3/2:Temp')).toBe('Plant.Line/3.Temp');
  });
});

describe('values as JSON', () => {
  it('turns 64-bit integers, dates and texts into plain JSON', () => {
    expect(variantToJson({ dataType: 9, value: [0, 5] })).toBe(5);
    expect(variantToJson({ dataType: 8, value: [0xffffffff, 0xfffffffe] })).toBe(-2);
    expect(variantToJson({ dataType: 9, value: [0x00400000, 1] })).toBe('18014398509481985');
    expect(toJson(new Date('2026-01-02T03:04:05.006Z'))).toBe('2026-01-02T03:04:05.006Z');
    expect(toJson(Buffer.from('hi'))).toBe('aGk=');
    expect(toJson(new Float64Array([1.5, 2]))).toEqual([1.5, 2]);
  });
});

describe('certificates and the PKI folder', () => {
  it('computes the fingerprints openssl computes, and reads URI and signature algorithm', async () => {
    const pki = new Pki(tempDir('pure-pki'));
    const own = await pki.ownCertificate();
    await pki.close();
    const openssl = (alg: string) =>
      execFileSync('openssl', ['x509', '-noout', '-fingerprint', `-${alg}`, '-in', own.file], { encoding: 'utf8' })
        .trim()
        .split('=')[1];
    expect(own.info.sha1).toBe(openssl('sha1'));
    expect(own.info.sha256).toBe(openssl('sha256'));
    expect(own.info.signatureAlgorithm).toBe('sha256WithRSAEncryption');
    expect(own.info.keyType).toBe('RSA 2048');
    expect(own.info.selfSigned).toBe(true);
    expect(own.applicationUri).toMatch(/^urn:.+:iiot$/);
    expect(splitDerChain(Buffer.concat([own.der, own.der]))).toHaveLength(2);
    expect(inspectCertificate(toDer(readFileSync(own.file, 'utf8'))).sha1).toBe(own.info.sha1);
  });

  it('trusts and rejects by fingerprint prefix or file, and refuses what it cannot find', async () => {
    const pki = new Pki(tempDir('pure-pki2'));
    const other = new Pki(tempDir('pure-pki3'));
    const cert = await other.ownCertificate();
    await other.close();
    const file = join(tempDir('cert'), 'server.der');
    writeFileSync(file, cert.der);
    pki.recordRejected(cert.der);
    expect(pki.list().map((c) => c.folder)).toEqual(['rejected']);
    const prefix = cert.info.sha256.replace(/:/g, '').slice(0, 10).toLowerCase();
    expect(pki.trust(prefix).folder).toBe('trusted');
    expect(pki.list().map((c) => c.folder)).toEqual(['trusted']);
    pki.reject(file);
    expect(pki.list().map((c) => c.folder)).toEqual(['rejected']);
    expect(pki.rejectedByUser(cert.info)).toBe(true);
    expect(throws(() => pki.trust('abcdef0123')).message).toContain('no certificate with fingerprint');
    expect(throws(() => pki.trust('zz')).message).toContain('neither a certificate file nor a fingerprint');
  });
});

describe('connection flags', () => {
  it('refuses passwords on the command line and contradictory security flags', () => {
    expect(throws(() => parseOpcUaConnectOptions('opc.tcp://127.0.0.1:4840', { user: 'op', password: 'x' })).message).toContain(
      '--password is refused',
    );
    expect(
      throws(() => parseOpcUaConnectOptions('opc.tcp://127.0.0.1:4840', { securityMode: 'None', securityPolicy: 'Basic256Sha256' }))
        .exitCode,
    ).toBe(2);
    expect(throws(() => parseOpcUaConnectOptions('mqtt://127.0.0.1', {})).message).toContain('is not an OPC UA endpoint');
    expect(
      parseOpcUaConnectOptions('opc.tcp://127.0.0.1', { securityMode: 'signandencrypt', securityPolicy: 'basic256sha256' }),
    ).toMatchObject({ securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', timeoutMs: 10_000 });
  });
});

describe("the crawler's queue", () => {
  it('takes from the front and takes items back in their order', () => {
    const q = new Queue([1, 2, 3, 4, 5]);
    expect(q.take(2)).toEqual([1, 2]);
    q.unshift(9, 8); // back in front, where taken items were
    expect(q.take(3)).toEqual([9, 8, 3]);
    q.unshift(7, 6, 5, 4); // more than was taken: the array is rebuilt
    q.push(10);
    expect(q.length).toBe(7);
    expect(q.take(100)).toEqual([7, 6, 5, 4, 4, 5, 10]);
    expect(q.length).toBe(0);
    const big = new Queue(Array.from({ length: 10_000 }, (_, i) => i));
    let sum = 0;
    while (big.length) for (const x of big.take(7)) sum += x;
    expect(sum).toBe((9_999 * 10_000) / 2);
  });
});
