import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';

interface DemoJson {
  schema: string;
  plant: { endpoints: Record<string, string>; signals: number };
  inventory: Array<{ protocol: string; url: string; what: string }>;
  addressSpace: { security: string; nodes: number; requests: number; variables: Array<{ nodeId: string; unit?: string }> } | null;
  recording: { sources: Array<{ id: string; protocol: string; tags: number; samples: number }>; samples: number } | null;
  security: { counts: Record<string, number>; findings: Array<{ severity: string; target: string; title: string }> } | null;
  analysis: { degradation: string[]; energy: string[]; truth: string[] } | null;
  commission: { accepted: boolean; counts: { pass: number; fail: number; waived: number; total: number }; verified: boolean } | null;
  steps: Array<{ name: string; ok: boolean }>;
  next: string[];
}

describe('iiot demo', () => {
  it('walks the commissioning run against the embedded plant and reports it as JSON', { timeout: 240_000 }, async () => {
    const r = await runCli(['demo', '--json'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as DemoJson;
    expect(doc.schema).toBe('iiot.demo/1');
    expect(
      doc.steps.every((s) => s.ok),
      JSON.stringify(doc.steps),
    ).toBe(true);
    // discovery found the three protocols (three Modbus units behind one port), on loopback only
    expect(doc.inventory.map((d) => d.protocol).sort()).toEqual(['MQTT', 'Modbus TCP', 'Modbus TCP', 'Modbus TCP', 'OPC UA']);
    for (const d of doc.inventory) expect(d.url).toMatch(/^[a-z.-]+:\/\/127\.0\.0\.1:\d+/);
    expect(doc.inventory.find((d) => d.url.endsWith('?unit=1'))).toMatchObject({ what: expect.stringContaining('SDM630') });
    // every source delivered samples into the one capture
    expect(doc.recording?.sources.map((s) => s.protocol)).toEqual(['opcua', 'modbus', 'mqtt']);
    for (const src of doc.recording!.sources) expect(src.samples, src.id).toBeGreaterThan(0);
    // the default plant is deliberately open: the passive check says so
    expect(doc.security!.counts.high).toBeGreaterThan(0);
    expect(doc.security!.findings.map((f) => f.title)).toContain('Endpoint with security mode None offered');
    // the address space glimpse found the pump's vibration with its unit, over a secure channel
    expect(doc.addressSpace?.security).toBe('SignAndEncrypt/Basic256Sha256');
    expect(doc.addressSpace?.variables).toContainEqual(expect.objectContaining({ nodeId: 'ns=5;s=pump1.vibration', unit: 'mm/s' }));
    expect(doc.addressSpace!.requests).toBeLessThan(doc.addressSpace!.nodes);
    // the degradation statement a planner reads, and energy beside the simulator's truth
    expect(doc.analysis?.degradation[0]).toMatch(/^pump1\.vibration .*zone C\/D.*80% interval/);
    expect(doc.analysis?.energy[0]).toMatch(/MWh over 21\.0 days/);
    expect(doc.analysis?.truth.join('\n')).toMatch(/simulated bearing reaches 4\.5 mm\/s/);
    expect(doc.next.some((c) => c.startsWith('iiot sim'))).toBe(true);
    // it ends with the site acceptance test of the plant: accepted, its open access waived, the handover intact
    expect(doc.commission).toMatchObject({ accepted: true, verified: true, counts: { fail: 0, waived: 3 } });
    expect(doc.commission!.counts.pass).toBeGreaterThan(20);
    // diagnostics on stderr, nothing else on stdout
    expect(r.stderr).toMatch(/\[1\/\d\] Starting the simulated plant/);
  });

  it('prints a readable summary for people, and refuses a bad --days', { timeout: 240_000 }, async () => {
    const r = await runCli(['demo', '--days', '3'], { timeoutMs: 240_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('What is there (iiot discover)');
    expect(r.stdout).toContain('seconds of recording into one capture');
    expect(r.stdout).toContain('Security posture (iiot check security, passive)');
    expect(r.stdout).toContain('A glimpse of the address space');
    expect(r.stdout).toMatch(/Site acceptance test \(iiot commission run\)\n  ACCEPTED: \d+ passed, 0 failed, 3 waived/);
    expect(r.stdout).toMatch(/Try next\n  \$ iiot sim/);
    const bad = await runCli(['demo', '--days', 'many']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/^iiot: error: --days many/);
  });
});
