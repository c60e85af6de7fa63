/**
 * `iiot record`'s options, parsed at the edge (options.ts) into these types. Each source
 * carries its protocol's options; what only the running recorder can supply (the OPC UA PKI and
 * IO, the reconnect ceiling, the environment) is added by the protocol's record factory.
 */
import type { RecordSpec } from '../protocols/registry.js';
import type { RecordStats } from './stats.js';

/** One source: its protocol's name and options (each protocol's index.ts says what they are). */
export type SourceSpec = RecordSpec;

export interface RecordOptions {
  /** capture file (.jsonl or .jsonl.gz) */
  output: string;
  /** replace an existing file (default: refuse) */
  force: boolean;
  durationMs?: number | undefined;
  /** stop after this many samples (all sources together) */
  count?: number | undefined;
  flushIntervalMs: number;
  rotateBytes?: number | undefined;
  rotateMs?: number | undefined;
  metadata: Record<string, unknown>;
  /** longest pause between reconnect attempts */
  reconnectMaxMs: number;
  /** draw the live view on a terminal (default true; it is never drawn off a terminal or in CI) */
  live: boolean;
  sources: SourceSpec[];
  /** said on stderr before connecting: where sources came from (--inventory), the maps chosen for them */
  notes?: string[] | undefined;
  /** likewise, as warnings (a partial inventory) */
  warnings?: string[] | undefined;
}

export type StopReason = 'duration' | 'count' | 'signal' | 'done' | 'error';

export interface RecordResult {
  files: readonly string[];
  records: number;
  stopped: StopReason;
  durationMs: number;
  stats: RecordStats;
  sources: Array<{ id: string; protocol: string; endpoint: string; stats: Record<string, number> }>;
}
