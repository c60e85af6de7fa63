import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseOpcUaConnectOptions, type OpcUaConnectFlags } from '../../src/protocols/opcua/flags.js';
import { Pki } from '../../src/protocols/opcua/pki.js';
import { openSession, type OpcUaSession, type SessionIO } from '../../src/protocols/opcua/session.js';
import { startPlant, type OpcUaPlantOptions, type RunningPlant } from '../../src/sim/plant.js';

export const USER = { username: 'operator', password: 'correct horse battery staple' };

const created: string[] = [];

/** Removes the temp folders made so far (each test file calls it in a top-level afterAll). */
export function removeTempDirs(): void {
  for (const dir of created.splice(0)) rmSync(dir, { recursive: true, force: true });
}

export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), `iiot-test-${prefix}-`));
  created.push(dir);
  return dir;
}

/** Polls until `check` is true (the test timeout bounds it; nothing is asserted about time). */
export async function waitFor(check: () => boolean, everyMs = 20): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, everyMs));
}

export interface TestPlant {
  plant: RunningPlant;
  url: string;
  /** the server's PKI folder (its trusted/certs is where iiot's certificate goes) */
  serverPki: string;
  stop(): Promise<void>;
}

/**
 * The embedded plant's OPC UA server alone, on 127.0.0.1 and a free port, with its own PKI in a
 * temp folder. `trustClient` puts that client's certificate into the server's trusted folder
 * before it starts (what a server administrator does), so secured sessions work.
 */
export async function startOpcUaPlant(options: OpcUaPlantOptions & { trustClient?: Pki | Pki[] } = {}): Promise<TestPlant> {
  const { trustClient, ...opcua } = options;
  const serverPki = opcua.pkiDir ?? tempDir('server-pki');
  const clients = trustClient === undefined ? [] : Array.isArray(trustClient) ? trustClient : [trustClient];
  mkdirSync(join(serverPki, 'trusted', 'certs'), { recursive: true });
  for (const [i, client] of clients.entries()) {
    const own = await client.ownCertificate();
    await client.close();
    copyFileSync(own.file, join(serverPki, 'trusted', 'certs', `iiot-client-${i}.pem`));
  }
  const plant = await startPlant({
    modbus: false,
    mqtt: false,
    opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0, users: [USER], ...opcua, pkiDir: serverPki },
  });
  return { plant, url: plant.endpoints.opcua!, serverPki, stop: () => plant.stop() };
}

export interface CapturedIO extends SessionIO {
  lines: string[];
  warnings: string[];
}

export function captureIO(env: NodeJS.ProcessEnv = {}): CapturedIO {
  const lines: string[] = [];
  const warnings: string[] = [];
  return {
    env,
    stdin: process.stdin as SessionIO['stdin'],
    stderr: process.stderr,
    info: (t) => void lines.push(t),
    warn: (t) => void warnings.push(t),
    lines,
    warnings,
  };
}

export function connect(url: string, pki: Pki, flags: OpcUaConnectFlags = {}, io: CapturedIO = captureIO()): Promise<OpcUaSession> {
  return openSession({ connect: parseOpcUaConnectOptions(url, { timeout: '10s', ...flags }), pki, io });
}

/** A fresh client store in a temp folder. */
export function clientPki(): Pki {
  return new Pki(tempDir('client-pki'));
}
