/**
 * What `iiot check latency` finds, per target and series: the shape run.ts fills, render.ts
 * prints and --json emits (docs/json-output.md, iiot.check.latency/1).
 */
import type { ExitCode } from '../../core/exit-codes.js';
import type { Target } from '../../core/targets.js';
import type { DelayedAckMode, HistogramBin, SeriesStats } from '../stats.js';
import type { TargetOrigin } from '../targets.js';

export type SeriesKind = 'round-trip' | 'connect' | 'ack';

export interface SeriesResult {
  name: string;
  label: string;
  kind: SeriesKind;
  sent: number;
  received: number;
  timeouts: number;
  errors: number;
  /** percent of sent that got no answer (timeouts and errors) */
  lossPercent: number;
  stats?: SeriesStats | undefined;
  histogram?: HistogramBin[] | undefined;
  /** a cluster near 40 ms: Nagle's algorithm meeting a delayed ACK */
  delayedAck?: DelayedAckMode | undefined;
  /** first error seen, and anything else worth saying */
  notes: string[];
  /** the samples themselves (ms, in order): kept for the histogram and --json */
  samples: number[];
}

export interface ThresholdResult {
  kind: 'p99' | 'loss';
  series: string;
  limit: number;
  /** null: nothing was measured, so the threshold could not be judged (the target is not measured) */
  value: number | null;
  /** false only for a measured value beyond the limit */
  ok: boolean;
}

export interface LatencyTargetResult {
  target: string;
  protocol: Target['protocol'];
  origin: TargetOrigin;
  status: 'measured' | 'partial' | 'unreachable';
  reason?: string | undefined;
  hint?: string | undefined;
  /** protocol set-up, ms: OPC UA secure channel + session, MQTT CONNACK, Modbus RTU port open */
  setup: Array<{ name: string; ms: number }>;
  details: Record<string, unknown>;
  series: SeriesResult[];
  clockOffset?: { medianMs: number; uncertaintyMs: number; samples: number } | undefined;
  thresholds: ThresholdResult[];
  durationMs: number;
}

export interface LatencyResult {
  startedAt: string;
  durationMs: number;
  options: { count: number; intervalMs: number; timeoutMs: number; connectCount: number; qos: number[] };
  targets: LatencyTargetResult[];
  skipped: Array<{ url: string; line: number; reason: string }>;
  failed: boolean;
  exitCode: ExitCode;
}
