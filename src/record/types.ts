/**
 * `iiot record`'s options, parsed at the edge (options.ts) into these types. Each source
 * carries its protocol's options; what only the running recorder can supply (the OPC UA PKI and
 * IO, the reconnect ceiling, the environment) is added by run.ts.
 */
import type { ModbusSourceOptions } from '../protocols/modbus/source.js';
import type { MqttSourceOptions } from '../protocols/mqtt/source.js';
import type { OpcUaSourceOptions } from '../protocols/opcua/source.js';
import type { RecordStats } from './stats.js';

export type SourceSpec =
  | { protocol: 'opcua'; options: Omit<OpcUaSourceOptions, 'pki' | 'sessionIO' | 'reconnectMaxMs'> }
  | { protocol: 'modbus'; options: Omit<ModbusSourceOptions, 'reconnectMaxMs'> }
  | { protocol: 'mqtt'; options: Omit<MqttSourceOptions, 'reconnectMaxMs' | 'env'> };

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
