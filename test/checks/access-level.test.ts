/**
 * `opcua-anonymous-write` judges by the CurrentWrite bit alone. A node-opcua server set up like
 * open62541's address space: a method whose InputArguments has UserAccessLevel 97 (CurrentRead |
 * StatusWrite | TimestampWrite, what open62541 gives every method argument), a plain variable with
 * 97, a setpoint that really is writable (CurrentRead | CurrentWrite), and a counter whose history
 * the anonymous user may rewrite (CurrentRead | HistoryRead | HistoryWrite).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSecurityOptions } from '../../src/checks/options.js';
import { runSecurityCheck } from '../../src/checks/security/run.js';
import { accessString } from '../../src/protocols/opcua/crawler.js';
import { captureIO } from '../helpers/io.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

let server: { url: string; stop(): Promise<void> };

beforeAll(async () => {
  const { OPCUAServer, OPCUACertificateManager, nodesets, DataType, MessageSecurityMode, SecurityPolicy } = await import('node-opcua');
  const cm = new OPCUACertificateManager({ rootFolder: `${tempDir('access-pki')}/pki`, automaticallyAcceptUnknownCertificate: false });
  await cm.initialize();
  const s = new OPCUAServer({
    port: 0,
    host: '127.0.0.1',
    hostname: '127.0.0.1',
    nodeset_filename: [nodesets.standard],
    serverCertificateManager: cm,
    securityPolicies: [SecurityPolicy.None],
    securityModes: [MessageSecurityMode.None],
    allowAnonymous: true,
  });
  await s.initialize();
  const ns = s.engine.addressSpace!.registerNamespace('urn:iiot:test:access');
  const device = ns.addObject({ organizedBy: s.engine.addressSpace!.rootFolder.objects, browseName: 'Device', nodeId: 's=device' });
  const variable = (browseName: string, level: number) =>
    ns.addVariable({
      componentOf: device,
      browseName,
      nodeId: `s=device.${browseName.toLowerCase()}`,
      dataType: 'Double',
      accessLevel: level,
      userAccessLevel: level,
      value: { dataType: DataType.Double, value: 1 },
    });
  variable('StatusAndTime', 97);
  variable('Setpoint', 0x01 | 0x02);
  variable('Counter', 0x01 | 0x04 | 0x08);
  const method = ns.addMethod(device, {
    browseName: 'Reset',
    nodeId: 's=device.reset',
    inputArguments: [{ name: 'delay', dataType: DataType.Double }],
    outputArguments: [],
  });
  const args = method.inputArguments as unknown as { accessLevel: number; userAccessLevel: number };
  args.accessLevel = 97;
  args.userAccessLevel = 97;
  await s.start();
  server = {
    url: s.getEndpointUrl(),
    stop: async () => {
      await s.shutdown(0);
      await cm.dispose();
    },
  };
}, 60_000);

afterAll(async () => {
  await server?.stop();
  removeTempDirs();
});

describe('opcua-anonymous-write judges the CurrentWrite bit', () => {
  it('97 (CurrentRead | StatusWrite | TimestampWrite) reads as r, like browse shows it; 3 as rw', () => {
    expect(accessString(97)).toBe('r');
    expect(accessString(3)).toBe('rw');
  });

  it('reports the writable setpoint, not the variable or the method argument with 97; HistoryWrite is its own finding', async () => {
    const r = await runSecurityCheck(captureIO().io, parseSecurityOptions([server.url], { session: true, timeout: '10s' }));
    const t = r.targets[0]!;
    const write = t.findings.find((f) => f.ruleId === 'opcua-anonymous-write');
    expect(write).toBeDefined();
    const nodes = (write!.data as { nodes: Array<{ nodeId: string; path: string }> }).nodes;
    // node-opcua also lets every session write its own diagnostics nodes (Server/ServerDiagnostics/...)
    const device = nodes.map((n) => n.path).filter((p) => /:Device\//.test(p));
    expect(device).toEqual([expect.stringMatching(/^\/Objects\/\d+:Device\/\d+:Setpoint$/)]);
    expect(write!.evidence).toMatch(/variables? writable by the anonymous user: .*Setpoint/);
    expect(write!.evidence).not.toMatch(/StatusAndTime|InputArguments/);
    const history = t.findings.find((f) => f.ruleId === 'opcua-anonymous-history-write');
    expect((history!.data as { nodes: Array<{ path: string }> }).nodes.map((n) => n.path)).toEqual([
      expect.stringMatching(/\/Objects\/\d+:Device\/\d+:Counter$/),
    ]);
    expect(history!.severity).toBe('high');
    expect((t.facts.session as { writable: number; historyWritable: number }).writable).toBe(nodes.length);
    expect((t.facts.session as { writable: number; historyWritable: number }).historyWritable).toBe(1);
  });
});
