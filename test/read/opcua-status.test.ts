import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOpcUaServer, type RunningOpcUaServer } from '../../src/protocols/opcua/plant-server.js';
import { securityProfile } from '../../src/protocols/opcua/server-security.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/opcua-plant.js';

afterAll(removeTempDirs);

/**
 * A server whose variables carry a Good, an Uncertain and a Bad status (what a gateway serves when
 * a field device stops answering: the last value, first Uncertain, then Bad).
 */
describe('iiot read: values with an Uncertain or Bad status', () => {
  let server: RunningOpcUaServer;
  const env = { IIOT_PKI_DIR: tempDir('status-client-pki') };
  const measured = new Date('2026-11-25T10:00:00.000Z');

  beforeAll(async () => {
    server = await startOpcUaServer({
      host: '127.0.0.1',
      port: 0,
      namespaceUri: 'urn:iiot:test:status',
      applicationUri: 'urn:iiot:test:status:server',
      applicationName: 'iiot status test',
      objects: [{ id: 'Meter', browseName: 'Meter', kind: 'object' }],
      variables: [
        { id: 'good', parent: 'Meter', browseName: 'Good', dataType: 'Double', initial: 0 },
        { id: 'uncertain', parent: 'Meter', browseName: 'Uncertain', dataType: 'Double', initial: 0 },
        { id: 'bad', parent: 'Meter', browseName: 'Bad', dataType: 'Double', initial: 0 },
      ],
      security: securityProfile('default'),
      pkiDir: tempDir('status-server-pki'),
      autoAcceptClientCertificates: true,
      users: [],
      nodesets: ['standard'],
    });
    server.set('good', 50.02, measured);
    server.set('uncertain', 41.5, measured, 'UncertainLastUsableValue');
    server.set('bad', 7, measured, 'BadCommunicationError');
  });
  afterAll(async () => {
    await server?.stop();
  });

  const nodes = () => ['good', 'uncertain', 'bad'].map((id) => server.nodeId(id));

  it('shows an Uncertain value with its status; a Bad one has no value (--json)', async () => {
    const r = await runCli(['read', server.endpointUrl, ...nodes(), '--security-mode', 'None', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { values: Array<{ value: unknown; dataType: string; status: string; sourceTimestamp?: string }> };
    expect(doc.values.map((v) => [v.value, v.dataType, v.status, v.sourceTimestamp])).toEqual([
      [50.02, 'Double', 'Good', measured.toISOString()],
      [41.5, 'Double', 'UncertainLastUsableValue', measured.toISOString()],
      [null, '', 'BadCommunicationError', measured.toISOString()],
    ]);
  });

  it('prints the Uncertain value beside its status in the table', async () => {
    const r = await runCli(['read', server.endpointUrl, ...nodes(), '--security-mode', 'None'], { env: { ...env, NO_COLOR: '1' } });
    expect(r.code, r.stderr).toBe(0);
    const row = (id: string) => r.stdout.split('\n').find((l) => l.startsWith(server.nodeId(id)))!;
    expect(row('uncertain')).toMatch(/\s41\.5\s+Double\s+UncertainLastUsableValue\s/);
    expect(row('bad')).toMatch(/^\S+\s+BadCommunicationError\s/);
  });
});
