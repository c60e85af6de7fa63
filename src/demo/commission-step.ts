/**
 * The demo's last step: the site acceptance test of the plant it started (`iiot commission run`),
 * with a plan written for that plant: three devices identified, three signals judged, the plant's
 * deliberate weaknesses waived with a reason (a demo is a test bench), and the handover verified.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { IO } from '../core/io.js';
import type { RunningPlant } from '../sim/plant.js';

export interface DemoCommission {
  accepted: boolean;
  counts: { pass: number; fail: number; waived: number; total: number };
  /** failed items, for the summary */
  failed: string[];
  handover: string;
  verified: boolean;
}

export function demoPlan(p: RunningPlant): string {
  return `# The acceptance plan of the demo plant (docs/commissioning.md)
format: iiot.commission-plan/1
site: { name: Packaging line 3 (simulated), owner: the demo }
job: { id: DEMO-SAT, engineer: iiot demo }
defaults:
  security: { failOn: high, certificateValidity: 30d }
  latency: { p99: 250ms, loss: 5%, count: 20 }
discovery: { listen: 1s }
recording: { window: 5s }
devices:
  - { id: plc, url: "${p.endpoints.opcua}", identity: { productUri: "urn:iiot:sim" } }
  - { id: meter, url: "${p.endpoints.modbus}?unit=1", map: sdm630, identity: { vendor: Eastron } }
  - { id: broker, url: "${p.endpoints.mqtt}", identity: { sparkplug: [IIoT/SimPlant] } }
signals:
  - { tag: pump 1 vibration, device: plc, address: "nsu=urn:iiot:sim:plant;s=pump1.vibration", unit: mm/s, range: [0, 25], maxInterval: 3s }
  - { tag: L1 voltage, device: meter, address: voltage_l1, unit: V, range: [200, 260], maxInterval: 3s }
  - { tag: pump 1 bearing temperature, device: broker, address: plant/pump1/bearingTemp, unit: °C, range: [-20, 150], maxInterval: 3s }
waivers:
  - { item: security/plc/opcua-mode-none, reason: "demo plant: deliberately open", by: iiot demo }
  - { item: security/plc/opcua-anonymous-offered, reason: "demo plant: deliberately open", by: iiot demo }
  - { item: security/broker/mqtt-anonymous, reason: "demo plant: deliberately open", by: iiot demo }
`;
}

export async function commissionPlant(p: RunningPlant, dir: string, io: IO): Promise<DemoCommission> {
  const [{ runCommission }, { verifyHandover }] = await Promise.all([
    import('../commission/run.js'),
    import('../commission/handover/manifest.js'),
  ]);
  const planFile = join(dir, 'demo-sat.yaml');
  writeFileSync(planFile, demoPlan(p));
  const handover = join(dir, 'handover');
  const r = await runCommission(io, {
    planFile,
    output: handover,
    force: true,
    loopCheck: false,
    identity: { kind: 'anonymous' },
    trustOnFirstUse: false,
    timeoutMs: 10_000,
  });
  const verified = (await verifyHandover(handover)).ok;
  return {
    accepted: r.report.accepted,
    counts: r.report.counts,
    failed: r.report.items.filter((i) => i.status === 'fail').map((i) => `${i.title}: ${i.observed ?? ''}`),
    handover,
    verified,
  };
}
