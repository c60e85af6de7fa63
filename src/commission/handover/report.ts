import type { Item, Verdict } from '../items.js';
import type { SignalSummary } from '../judge-signals.js';
import type { Plan, PlanWaiver } from '../plan-schema.js';

/**
 * The acceptance report as data (report.json, schema "iiot.commission/1", docs/commissioning.md):
 * the one document the HTML page, the JUnit file, the terminal summary and `commission diff`
 * are all made from.
 */

export const REPORT_SCHEMA = 'iiot.commission/1';

export interface DeviceRecord {
  id: string;
  url: string;
  protocol: string;
  found: boolean;
  /** what discovery called it */
  name?: string | undefined;
  /** identity as reported (application URI, product, vendor, revision, protocol version) */
  identity?: Record<string, unknown> | undefined;
  certificate?: { sha256: string; notAfter: string; subject: string } | undefined;
}

export interface LatencyRecord {
  device: string;
  series: Array<{ label: string; p50?: number | undefined; p99?: number | undefined; lossPercent: number; count: number }>;
}

export interface LoopCheckRecord {
  tag: string;
  action: string;
  result: 'confirmed' | 'no-change' | 'skipped';
  /** when the change was seen (ISO), and from what to what */
  at?: string | undefined;
  before?: unknown;
  after?: unknown;
  waitedMs: number;
}

export interface CommissionReport {
  schema: typeof REPORT_SCHEMA;
  tool: string;
  site: Plan['site'];
  job: Plan['job'];
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  accepted: boolean;
  counts: Verdict['counts'];
  blocking: string[];
  items: Item[];
  devices: DeviceRecord[];
  signals: SignalSummary[];
  latency: LatencyRecord[];
  security: Array<{ device: string; status: string; findings: Array<{ ruleId: string; severity: string; title: string }> }>;
  window: { from: string; to: string; ms: number } | null;
  loopChecks: LoopCheckRecord[];
  unusedWaivers: PlanWaiver[];
  /** steps that could not run, and why */
  notes: string[];
  /** the certificate that signs the handover's manifest: its fingerprint goes on the signed page, for `verify --signer` */
  signer: { subject: string; certificateSha256: string };
}
