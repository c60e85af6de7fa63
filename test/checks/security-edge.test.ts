/**
 * Security checks at the edges: an OPC UA server with a bad certificate (1024-bit, SHA-1, wrong
 * URI, another host; made by the test), Modbus unit-id sweeps, units that do not answer, servers
 * that drop the connection, targets the security check cannot judge.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IiotError } from '../../src/core/errors.js';
import { ExitCode } from '../../src/core/exit-codes.js';
import { parseSecurityOptions } from '../../src/checks/options.js';
import { runSecurityCheck } from '../../src/checks/security/run.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { opensslCert } from '../helpers/certs.js';
import { captureIO } from '../helpers/io.js';
import { tcpServer } from '../helpers/net.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let plant: RunningPlant;
let badServer: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  plant = await startPlant({ opcua: false, modbus: { port: 0, unknownUnit: 'ignore' }, mqtt: false });
  // An OPC UA server whose certificate is everything a check should refuse: RSA 1024, SHA-1, an
  // ApplicationUri that is not the server's, and only another host name.
  const { OPCUAServer, OPCUACertificateManager, nodesets, SecurityPolicy, MessageSecurityMode } = await import('node-opcua');
  const dir = tempDir('bad-cert');
  const cert = opensslCert(dir, 'server', { bits: 1024, digest: 'sha1', san: 'URI:urn:someone:else,DNS:plc7.example' });
  const cm = new OPCUACertificateManager({ rootFolder: join(dir, 'pki'), automaticallyAcceptUnknownCertificate: false });
  await cm.initialize();
  const server = new OPCUAServer({
    port: 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard],
    serverCertificateManager: cm,
    certificateFile: cert.certFile,
    privateKeyFile: cert.keyFile,
    securityPolicies: [SecurityPolicy.Basic256Sha256],
    securityModes: [MessageSecurityMode.SignAndEncrypt],
    allowAnonymous: false,
    serverInfo: { applicationUri: 'urn:iiot:test:badcert' },
  });
  await server.initialize();
  await server.start();
  badServer = {
    url: server.getEndpointUrl(),
    stop: async () => {
      await server.shutdown(0);
      await cm.dispose();
    },
  };
}, 60_000);

afterAll(async () => {
  await plant?.stop();
  await badServer?.stop();
  removeTempDirs();
});

const ids = (fs: Array<{ ruleId: string }>) => fs.map((f) => f.ruleId).sort();

describe('security edges', () => {
  it('OPC UA: a 1024-bit SHA-1 certificate with a wrong URI, for another host', async () => {
    const r = await runSecurityCheck(captureIO().io, parseSecurityOptions([badServer.url], {}));
    const t = r.targets[0]!;
    expect(t.status).toBe('assessed');
    expect(ids(t.findings)).toEqual([
      'opcua-cert-host-mismatch',
      'opcua-cert-self-signed',
      'opcua-cert-uri-mismatch',
      'opcua-cert-weak-key',
      'opcua-cert-weak-signature',
    ]);
    expect(t.findings.find((f) => f.ruleId === 'opcua-cert-uri-mismatch')!.evidence).toContain(
      'the server announces ApplicationUri urn:iiot:test:badcert',
    );
    expect(r.exitCode).toBe(ExitCode.CheckFailed);
  });

  it('Modbus: the unit-id sweep happens only when asked, one read per id', async () => {
    const url = `${plant.endpoints.modbus!}?unit=3`;
    const plain = await runSecurityCheck(captureIO().io, parseSecurityOptions([url], {}));
    expect(plain.targets[0]!.rulesSkipped).toEqual([{ id: 'modbus-unit-ids', why: 'opt-in: needs --unit-sweep' }]);
    const swept = await runSecurityCheck(
      captureIO().io,
      parseSecurityOptions([url], { unitSweep: '1-5', sweepTimeout: '1s', rate: '200' }),
    );
    const f = swept.targets[0]!.findings.find((x) => x.ruleId === 'modbus-unit-ids')!;
    expect((f.data as { answering: Array<{ unit: number }> }).answering.map((a) => a.unit)).toEqual([1, 2, 3]);
    expect((f.data as { tried: number }).tried).toBe(5);
  });

  it('Modbus: a unit that does not answer is "not assessed", never "secure"', async () => {
    const r = await runSecurityCheck(captureIO().io, parseSecurityOptions([`${plant.endpoints.modbus!}?unit=99`], { timeout: '200ms' }));
    const t = r.targets[0]!;
    expect(t.status).toBe('not-assessed');
    expect(t.reason).toMatch(/^the port accepted a connection but no Modbus answer came: .*unit 99.*no answer within 200 ms$/);
    expect(t.findings).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.Unreachable);
  });

  it('servers that drop the connection mid-check: one clear line each', async () => {
    const server = await tcpServer((s) => s.once('data', () => s.destroy()));
    try {
      const r = await runSecurityCheck(
        captureIO().io,
        parseSecurityOptions(
          [`modbus://127.0.0.1:${server.port}`, `opc.tcp://127.0.0.1:${server.port}`, `mqtt://127.0.0.1:${server.port}`],
          { timeout: '2s' },
        ),
      );
      expect(r.targets.map((t) => t.status)).toEqual(['not-assessed', 'not-assessed', 'not-assessed']);
      expect(r.targets[0]!.reason).toContain('the device closed the connection');
      expect(r.targets[1]!.reason).toMatch(/closed the connection/);
      expect(r.targets[2]!.reason).toContain('closed the connection before CONNACK');
      for (const t of r.targets) expect(t.reason).not.toContain('\n');
    } finally {
      await server.stop();
    }
  });

  it('targets a security check cannot judge are refused on the command line', async () => {
    await expect(runSecurityCheck(captureIO().io, parseSecurityOptions(['tcp://127.0.0.1:22'], {}))).rejects.toThrow(IiotError);
    await expect(runSecurityCheck(captureIO().io, parseSecurityOptions(['modbus-rtu:///dev/ttyUSB0?unit=1'], {}))).rejects.toThrow(
      /serial line/,
    );
  });
});
