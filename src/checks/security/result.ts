/**
 * What `iiot check security` finds, per target: the shape run.ts fills, render.ts prints, --json
 * emits (docs/json-output.md, iiot.check.security/1) and sarif.ts and junit.ts write.
 */
import type { ExitCode } from '../../core/exit-codes.js';
import type { Target } from '../../core/targets.js';
import type { SecurityOptions } from '../options.js';
import type { TargetOrigin } from '../targets.js';
import type { CheckFinding } from './judge.js';

export type TargetStatus = 'assessed' | 'partial' | 'not-assessed';

export interface SecurityTargetResult {
  target: string;
  protocol: Target['protocol'];
  origin: TargetOrigin;
  status: TargetStatus;
  /** why not (fully) assessed */
  reason?: string | undefined;
  hint?: string | undefined;
  findings: CheckFinding[];
  /** rules this target was judged by (passing or not) */
  rulesEvaluated: string[];
  /** rules that apply to its protocol but were not run, and why */
  rulesSkipped: Array<{ id: string; why: string }>;
  /** what was learned besides findings (endpoint count, TLS version, identification...) */
  facts: Record<string, unknown>;
  durationMs: number;
}

export interface SecurityResult {
  startedAt: string;
  durationMs: number;
  failOn: SecurityOptions['failOn'];
  targets: SecurityTargetResult[];
  /** inventory entries left out */
  skipped: Array<{ url: string; line: number; reason: string }>;
  /** requests sent (what --audit-log recorded) */
  requests: number;
  counts: Record<string, number>;
  failed: boolean;
  exitCode: ExitCode;
}
