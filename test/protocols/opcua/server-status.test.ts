/**
 * Failures explained by the server's status code, not by node-opcua's message text.
 *
 * A server spoken by hand from OPC 10000-6 (test/helpers/opcua-raw.ts, no node-opcua in it)
 * refuses iiot's certificate the way open62541 does: an ERR message with BadSecurityChecksFailed
 * and an empty reason in answer to the secured OpenSecureChannel. node-opcua reports that only as
 * "socket has been disconnected by third party"; iiot must say that the server does not trust its
 * certificate and which file to copy, in browse, browse --inventory and check security --session.
 *
 * HistoryRead refused with BadNotSupported (per node, and for the whole service as open62541 does
 * without a history store) against a node-opcua server set up that way.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseErrChunk, statusName } from '../../../src/protocols/opcua/server-error.js';
import { opensslCert } from '../../helpers/certs.js';
import { runCli, type CliResult } from '../../helpers/cli.js';
import { BAD_SECURITY_CHECKS_FAILED, startRawPeer, type RawPeer } from '../../helpers/opcua-raw.js';
import { clientPki, removeTempDirs, tempDir } from '../../helpers/opcua-plant.js';

afterAll(removeTempDirs);

function oneLine(r: CliResult): void {
  expect(r.stderr).not.toMatch(/\n\s+at /);
  expect(r.stderr).not.toMatch(/closed the connection|run again with --debug/);
}

describe('the ERR message of a server that does not trust iiot', () => {
  const dir = tempDir('raw-peer');
  const cert = opensslCert(dir, 'peer', { san: 'URI:urn:iiot:test:raw-peer,IP:127.0.0.1' });
  const pki = clientPki();
  const env = { IIOT_PKI_DIR: pki.paths.root };
  const own = join(pki.paths.root, 'own', 'certs', 'client_certificate.pem');
  let secured: RawPeer;
  let securedOnly: RawPeer;
  let anyChannel: RawPeer;
  let talkative: RawPeer;

  beforeAll(async () => {
    secured = await startRawPeer({ certificate: cert.der });
    securedOnly = await startRawPeer({ certificate: cert.der, offerNone: false });
    anyChannel = await startRawPeer({ certificate: cert.der, refuse: 'any-channel', reason: null });
    talkative = await startRawPeer({ certificate: cert.der, reason: 'client certificate not in the trust list' });
  });
  afterAll(async () => {
    await Promise.all([secured, securedOnly, anyChannel, talkative].map((p) => p?.stop()));
  });

  it('reads Error and Reason of an ERR chunk as Part 6 lays them out', () => {
    // "ERRF", MessageSize 16, Error 0x80130000, Reason "" (length 0)
    const empty = Buffer.from([0x45, 0x52, 0x52, 0x46, 16, 0, 0, 0, 0x00, 0x00, 0x13, 0x80, 0, 0, 0, 0]);
    expect(parseErrChunk(empty)).toEqual({ code: BAD_SECURITY_CHECKS_FAILED, reason: '' });
    // a null Reason (length -1), and one with text
    const nul = Buffer.from([0x45, 0x52, 0x52, 0x46, 16, 0, 0, 0, 0x00, 0x00, 0x13, 0x80, 0xff, 0xff, 0xff, 0xff]);
    expect(parseErrChunk(nul)).toEqual({ code: BAD_SECURITY_CHECKS_FAILED, reason: '' });
    const text = Buffer.concat([
      Buffer.from([0x45, 0x52, 0x52, 0x46, 19, 0, 0, 0, 0x00, 0x00, 0x13, 0x80, 3, 0, 0, 0]),
      Buffer.from('why'),
    ]);
    expect(parseErrChunk(text)).toEqual({ code: BAD_SECURITY_CHECKS_FAILED, reason: 'why' });
    expect(parseErrChunk(Buffer.from('MSGF\x10\0\0\0\0\0\x13\x80\0\0\0\0', 'latin1'))).toBeUndefined();
    expect(statusName({ BadSecurityChecksFailed: { value: 0x80130000 } }, 0x80130000)).toBe('BadSecurityChecksFailed');
    expect(statusName({}, 0x80aa0000)).toBe('0x80AA0000');
  });

  it("browse: the server does not trust iiot's certificate, and which file to copy", async () => {
    const r = await runCli(['browse', secured.url, '--trust-on-first-use'], { env });
    oneLine(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      `${secured.url} refused iiot's application certificate (BadSecurityChecksFailed): the server does not trust iiot yet`,
    );
    expect(r.stderr).toContain(`hint: copy ${own} (SHA-1 `);
    expect(r.stderr).toContain("into the server's trusted certificates folder");
    // the ERR answered the secured OpenSecureChannel: that connection went no further
    expect(secured.log.at(-1)).toEqual(['HEL', 'OPN']);
  });

  it('says what the server said when its ERR carries a reason', async () => {
    const r = await runCli(['browse', talkative.url, '--trust-on-first-use'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      '(BadSecurityChecksFailed): the server does not trust iiot yet; the server says: "client certificate not in the trust list"',
    );
  });

  it('a server that refuses even the unsecured channel GetEndpoints uses', async () => {
    const r = await runCli(['browse', anyChannel.url], { env });
    oneLine(r);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${anyChannel.url} refused the unsecured channel iiot asks for its endpoints on (BadSecurityChecksFailed)`);
    expect(r.stderr).toContain(`have it trust iiot's certificate ${own}`);
    expect(r.stderr).not.toContain('the server says');
  });

  it('browse --inventory: the same explanation for the server of a discovered inventory', async () => {
    const inventory = join(dir, 'inventory.json');
    const port = String(secured.port);
    const d = await runCli(['discover', '127.0.0.1', '--ports', `${port}:opcua`, '--json', '-o', inventory], { env });
    expect(d.code).toBe(0);
    expect((JSON.parse(readFileSync(inventory, 'utf8')) as { devices: Array<{ url: string }> }).devices.map((x) => x.url)).toEqual([
      secured.url,
    ]);
    const r = await runCli(['browse', '--inventory', inventory, '--trust-on-first-use'], { env });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`${secured.url} refused iiot's application certificate (BadSecurityChecksFailed)`);
    expect(r.stderr).toContain(`copy ${own}`);
  });

  it("check security --session: the attempt's reason is the server's status", async () => {
    const r = await runCli(['check', 'security', securedOnly.url, '--session', '--json'], { env });
    const doc = JSON.parse(r.stdout) as {
      targets: Array<{ facts: { session: { attempts: Array<{ securityMode: string; accepted: boolean; reason?: string }> } } }>;
    };
    expect(doc.targets[0]!.facts.session.attempts).toEqual([
      { securityMode: 'SignAndEncrypt', securityPolicy: 'Basic256Sha256', accepted: false, reason: 'BadSecurityChecksFailed' },
    ]);
  });
});

describe('HistoryRead refused with BadNotSupported', () => {
  let server: { url: string; nodeId: string; serviceLevel: (on: boolean) => void; stop(): Promise<void> };
  const pki = clientPki();
  const env = { IIOT_PKI_DIR: pki.paths.root };

  beforeAll(async () => {
    const opc = await import('node-opcua');
    const cm = new opc.OPCUACertificateManager({
      rootFolder: join(tempDir('history-pki'), 'pki'),
      automaticallyAcceptUnknownCertificate: false,
    });
    await cm.initialize();
    const s = new opc.OPCUAServer({
      port: 0,
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      nodeset_filename: [opc.nodesets.standard],
      serverCertificateManager: cm,
      securityPolicies: [opc.SecurityPolicy.None],
      securityModes: [opc.MessageSecurityMode.None],
      allowAnonymous: true,
    });
    await s.initialize();
    const ns = s.engine.addressSpace!.registerNamespace('urn:iiot:test:history');
    const v = ns.addVariable({
      organizedBy: s.engine.addressSpace!.rootFolder.objects,
      browseName: 'Level',
      nodeId: 's=level',
      dataType: 'Double',
      value: { dataType: opc.DataType.Double, value: 3.5 },
    });
    // what open62541 answers per node when its history backend does not handle it
    (v as unknown as { _historyRead: (...a: unknown[]) => void })._historyRead = (...a: unknown[]) =>
      (a[5] as (err: null, r: unknown) => void)(null, new opc.HistoryReadResult({ statusCode: opc.StatusCodes.BadNotSupported }));
    // and for the whole service when it has no history store at all (serviceResult BadNotSupported)
    let serviceLevel = false;
    const impl = s as unknown as {
      _on_HistoryReadRequest: (message: unknown, channel: unknown) => void;
      _apply_on_SessionObject: (
        cls: unknown,
        message: unknown,
        channel: unknown,
        action: (session: unknown, send: unknown, sendError: (sc: unknown) => void) => void,
      ) => void;
    };
    const original = impl._on_HistoryReadRequest.bind(s);
    impl._on_HistoryReadRequest = (message, channel) => {
      if (!serviceLevel) return original(message, channel);
      impl._apply_on_SessionObject(opc.HistoryReadResponse, message, channel, (_session, _send, sendError) =>
        sendError(opc.StatusCodes.BadNotSupported),
      );
    };
    await s.start();
    server = {
      url: s.getEndpointUrl(),
      nodeId: `ns=${ns.index};s=level`,
      serviceLevel: (on) => (serviceLevel = on),
      stop: async () => {
        await s.shutdown(0);
        await cm.dispose();
      },
    };
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it('per node: iiot read --history says the server keeps no history for it', async () => {
    server.serviceLevel(false);
    const r = await runCli(['read', server.url, server.nodeId, '--history', '--from', 'now-10m'], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${server.url} keeps no history for ${server.nodeId} (BadNotSupported)`);
    expect(r.stderr).toContain('record the value live with `iiot record`');
  });

  it('for the whole service: the same, from the service result', async () => {
    server.serviceLevel(true);
    const r = await runCli(['read', server.url, server.nodeId, '--history', '--from', 'now-10m'], { env });
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${server.url} keeps no history for this node (BadNotSupported)`);
  });
});
