/**
 * OPC UA discovery through a Local Discovery Server (node-opcua's OPCUADiscoveryServer) with two
 * servers registered: one on the LDS's own host, one on another address. Only servers on named
 * hosts are contacted; the other is listed as registered, not contacted.
 */
import { join } from 'node:path';
import { OPCUACertificateManager, OPCUADiscoveryServer, OPCUAServer, RegisterServerMethod } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory, OpcUaDevice } from '../../src/discovery/inventory.js';
import { runCli } from '../helpers/cli.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';
import { waitFor } from '../helpers/wait.js';
import { loopbackBlock, portFreeOn } from '../helpers/discovery-peers.js';

const block = loopbackBlock();
const H1 = block.host(1);
const H2 = block.host(2);
let lds: OPCUADiscoveryServer;
const servers: OPCUAServer[] = [];
let ldsPort: number;
let s1Port: number;
let s2Port: number;

beforeAll(async () => {
  const dir = tempDir('lds');
  ldsPort = await portFreeOn([H1]);
  lds = new OPCUADiscoveryServer({
    port: ldsPort,
    host: H1,
    hostname: H1,
    serverCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, 'lds'), automaticallyAcceptUnknownCertificate: true }),
  } as ConstructorParameters<typeof OPCUADiscoveryServer>[0]);
  await lds.start();
  const register = async (host: string, name: string): Promise<number> => {
    const port = await portFreeOn([host]);
    const server = new OPCUAServer({
      port,
      host,
      hostname: host,
      serverCertificateManager: new OPCUACertificateManager({ rootFolder: join(dir, name), automaticallyAcceptUnknownCertificate: true }),
      registerServerMethod: RegisterServerMethod.LDS,
      discoveryServerEndpointUrl: `opc.tcp://${H1}:${ldsPort}`,
      serverInfo: { applicationUri: `urn:test:${name}`, applicationName: { text: name } },
    } as ConstructorParameters<typeof OPCUAServer>[0]);
    let registered = false;
    server.on('serverRegistered', () => (registered = true));
    await server.start();
    servers.push(server);
    await waitFor(() => registered, 50);
    return port;
  };
  s1Port = await register(H1, 'line-plc');
  s2Port = await register(H2, 'other-plc');
});

afterAll(async () => {
  for (const s of servers) await s.shutdown(0);
  await lds?.shutdown();
  removeTempDirs();
});

describe('OPC UA discovery through an LDS', () => {
  it('lists the registered servers and probes only those on named hosts', async () => {
    const r = await runCli(['discover', `opc.tcp://${H1}:${ldsPort}`, '--on-network', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const inv = JSON.parse(r.stdout) as Inventory;
    const ldsDevice = inv.devices.find((d) => d.url === `opc.tcp://${H1}:${ldsPort}`) as OpcUaDevice;
    expect(ldsDevice.identity.applicationType).toBe('DiscoveryServer');
    expect(ldsDevice.name).toMatch(/\(discovery server\)$/);
    const regs = Object.fromEntries((ldsDevice.registeredServers ?? []).map((s) => [s.applicationUri, s]));
    expect(regs['urn:test:line-plc']).toMatchObject({
      applicationName: 'line-plc',
      contacted: true,
      discoveryUrls: [`opc.tcp://${H1}:${s1Port}`],
    });
    expect(regs['urn:test:other-plc']).toMatchObject({
      applicationName: 'other-plc',
      contacted: false,
      discoveryUrls: [`opc.tcp://${H2}:${s2Port}`],
    });
    // FindServersOnNetwork (asked with --on-network): the LDS knows both registrations too
    const onNetwork = Object.fromEntries((ldsDevice.serversOnNetwork ?? []).map((s) => [s.serverName, s]));
    expect(onNetwork['urn:test:line-plc']).toMatchObject({ discoveryUrl: `opc.tcp://${H1}:${s1Port}/`, contacted: true });
    expect(onNetwork['urn:test:other-plc']).toMatchObject({ discoveryUrl: `opc.tcp://${H2}:${s2Port}/`, contacted: false });
    expect(ldsDevice.notes).toBeUndefined();
    // the LDS's own record (a /DiscoveryServer path on the same port) is not probed twice
    expect(inv.devices.filter((d) => d.protocol === 'opcua' && d.port === ldsPort)).toHaveLength(1);
    const followed = inv.devices.find((d) => d.url === `opc.tcp://${H1}:${s1Port}`) as OpcUaDevice;
    expect(followed.via).toBe('lds');
    expect(followed.identity.applicationUri).toBe('urn:test:line-plc');
    expect(followed.endpoints.length).toBeGreaterThan(0);
    expect(inv.devices.some((d) => d.url.includes(H2))).toBe(false);
    expect(inv.summary.connections).toBeGreaterThan(0);
  });
});
