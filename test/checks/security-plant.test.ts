/**
 * `iiot check security` against the embedded plant, in process: the hardened profile must produce
 * no high or critical finding, the weak profile every weakness seeded into it. The checks must
 * stay read-only: nothing written (the plant's setpoints are unchanged), nothing published, no
 * OPC UA Write or Call, no Modbus function but reads and 43.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../../src/core/exit-codes.js';
import { parseSecurityOptions } from '../../src/checks/options.js';
import type { SecurityResult } from '../../src/checks/security/result.js';
import { runSecurityCheck } from '../../src/checks/security/run.js';
import { startPlant, type RunningPlant } from '../../src/sim/plant.js';
import { captureIO } from '../helpers/io.js';
import { removeTempDirs, tempDir } from '../helpers/temp.js';

const USER = { username: 'operator', password: 'correct horse battery staple' };

async function plant(profile: 'hardened' | 'weak', mqttAuth: boolean): Promise<RunningPlant> {
  return startPlant({
    opcua: { port: 0, profile, nodesets: ['standard'], historyBackfillMs: 0, users: [USER], pkiDir: tempDir(`pki-${profile}`) },
    modbus: { port: 0 },
    mqtt: { port: 0, ...(mqttAuth ? { auth: USER } : {}), sparkplug: false },
    updateIntervalMs: 200,
  });
}

function ruleIds(r: SecurityResult, target: string): string[] {
  return r.targets
    .find((t) => t.target === target)!
    .findings.map((f) => f.ruleId)
    .sort();
}

function auditLines(file: string): Array<{ target: string; protocol: string; request: string; detail?: Record<string, unknown> }> {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { target: string; protocol: string; request: string; detail?: Record<string, unknown> });
}

let hardened: RunningPlant;
let weak: RunningPlant;

beforeAll(async () => {
  hardened = await plant('hardened', true);
  weak = await plant('weak', false);
}, 120_000);

afterAll(async () => {
  await hardened?.stop();
  await weak?.stop();
  removeTempDirs();
});

describe('check security against the embedded plant', () => {
  it('the hardened profile produces no high or critical finding, even with every opt-in check', async () => {
    const e = hardened.endpoints;
    const audit = join(tempDir('audit'), 'audit.jsonl');
    const o = parseSecurityOptions([e.opcua!, `${e.modbus!}?unit=3`, e.mqtt!], {
      session: true,
      mqttSys: true,
      mqttWildcard: true,
      listen: '300ms',
      auditLog: audit,
      failOn: 'high',
    });
    const { io } = captureIO();
    const r = await runSecurityCheck(io, o);
    expect(r.targets.map((t) => t.status)).toEqual(['assessed', 'assessed', 'assessed']);
    const severe = r.targets.flatMap((t) => t.findings).filter((f) => f.severity === 'high' || f.severity === 'critical');
    expect(severe).toEqual([]);
    expect(r.exitCode).toBe(ExitCode.Ok);
    // What it did find, and what it did not need to say:
    expect(ruleIds(r, e.opcua!)).toEqual(['opcua-cert-self-signed']);
    expect(ruleIds(r, e.mqtt!)).toEqual(['mqtt-no-tls', 'mqtt-plaintext']);
    expect(ruleIds(r, `${e.modbus!}?unit=3`)).toEqual(['modbus-device-id', 'modbus-unauthenticated']);
    // No anonymous endpoint: the session audit had nothing to try.
    expect((r.targets[0]!.facts.session as { attempts: unknown[] }).attempts).toEqual([]);
    const lines = auditLines(audit);
    expect(lines.filter((l) => l.protocol === 'mqtt').map((l) => l.request)).toEqual(['TCP connect', 'CONNECT']);
    expect(r.requests).toBe(lines.length);
  });

  it('the weak profile produces each seeded weakness, read-only', async () => {
    const e = weak.endpoints;
    const setpointsBefore = new Map(weak.setpoints);
    const audit = join(tempDir('audit'), 'audit.jsonl');
    const o = parseSecurityOptions([e.opcua!, e.modbus!, e.mqtt!], {
      session: true,
      mqttWildcard: true,
      listen: '1500ms',
      auditLog: audit,
      failOn: 'high',
    });
    const { io } = captureIO();
    const r = await runSecurityCheck(io, o);
    expect(r.targets.map((t) => t.status)).toEqual(['assessed', 'assessed', 'assessed']);
    const opc = ruleIds(r, e.opcua!);
    for (const id of [
      'opcua-mode-none',
      'opcua-policy-basic128rsa15',
      'opcua-policy-basic256',
      'opcua-anonymous-offered',
      'opcua-cleartext-password',
      'opcua-cert-expiring',
      'opcua-anonymous-session',
      'opcua-anonymous-write',
      'opcua-auditing-off',
      'opcua-build-info',
    ]) {
      expect(opc).toContain(id);
    }
    // The server refuses unknown client certificates: that rule must not fire.
    expect(opc).not.toContain('opcua-unknown-client-accepted');
    const write = r.targets[0]!.findings.find((f) => f.ruleId === 'opcua-anonymous-write')!;
    expect(write.severity).toBe('critical');
    // The process variable comes first in the evidence, before EURange properties.
    expect(write.evidence).toMatch(/writable by the anonymous user: \/Objects\/\d+:Plant\/\d+:Pump1\/\d+:SpeedSetpoint/);
    expect(r.targets[0]!.findings.find((f) => f.ruleId === 'opcua-cert-expiring')!.evidence).toMatch(/in \d+ hours/);
    expect(ruleIds(r, e.mqtt!)).toEqual(['mqtt-anonymous', 'mqtt-no-tls', 'mqtt-plaintext', 'mqtt-wildcard-subscribe']);
    const wildcard = r.targets[2]!.findings.find((f) => f.ruleId === 'mqtt-wildcard-subscribe')!;
    expect((wildcard.data as { topics: number }).topics).toBeGreaterThan(0);
    expect(wildcard.data).not.toHaveProperty('payloads');
    expect(ruleIds(r, `${e.modbus!}?unit=1`)).toEqual(['modbus-device-id', 'modbus-unauthenticated']);
    expect(r.exitCode).toBe(ExitCode.CheckFailed);

    // Read-only, by the record of every request sent:
    const lines = auditLines(audit);
    const opcRequests = lines.filter((l) => l.protocol === 'opcua').map((l) => l.request);
    expect(opcRequests).toContain('GetEndpoints');
    expect(opcRequests.some((q) => /Write|Call|AddNodes|DeleteNodes|HistoryUpdate/.test(q))).toBe(false);
    expect(opcRequests.filter((q) => q === 'ReadRequest').length).toBeGreaterThan(0);
    const mqttRequests = lines.filter((l) => l.protocol === 'mqtt').map((l) => l.request);
    expect(mqttRequests).not.toContain('PUBLISH');
    expect(mqttRequests).toContain('SUBSCRIBE');
    const functions = new Set(
      lines.filter((l) => l.protocol === 'modbus' && l.detail?.function !== undefined).map((l) => l.detail!.function),
    );
    expect([...functions].sort()).toEqual([3, 43]);
    expect(new Map(weak.setpoints)).toEqual(setpointsBefore);
  });

  it('one certificate served by two OPC UA servers is reported on both', async () => {
    const pkiDir = tempDir('shared-pki');
    const a = await startPlant({ opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0, pkiDir }, modbus: false, mqtt: false });
    const b = await startPlant({ opcua: { port: 0, nodesets: ['standard'], historyBackfillMs: 0, pkiDir }, modbus: false, mqtt: false });
    try {
      const { io } = captureIO();
      const r = await runSecurityCheck(io, parseSecurityOptions([a.endpoints.opcua!, b.endpoints.opcua!], { failOn: 'none' }));
      expect(r.exitCode).toBe(ExitCode.Ok);
      for (const t of r.targets) {
        const f = t.findings.find((x) => x.ruleId === 'opcua-cert-shared');
        expect(f?.evidence).toContain(t.target === a.endpoints.opcua ? b.endpoints.opcua : a.endpoints.opcua);
      }
    } finally {
      await a.stop();
      await b.stop();
    }
  });
});
