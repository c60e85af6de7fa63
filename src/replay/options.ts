/** `iiot replay`'s options, parsed at the edge (commands/replay.ts). */
import type { MqttConnectOptions } from '../protocols/mqtt/connect.js';

export type SinkSpec =
  | { kind: 'opcua'; host: string; port: number; pkiDir?: string | undefined; acceptAnyClientCert: boolean; trustLocalClient: boolean }
  | { kind: 'modbus'; host: string; port: number; map?: string | undefined; unit: number }
  | {
      kind: 'mqtt';
      /** an external broker; absent: an embedded one on host:port */
      broker?: MqttConnectOptions | undefined;
      host: string;
      port: number;
      qos: 0 | 1 | 2;
      retain: boolean;
      topicPrefix: string;
      payload: 'json' | 'value';
    };

export interface ReplayOptions {
  files: string[];
  allParts: boolean;
  sink: SinkSpec;
  speed: number;
  maxSpeed: boolean;
  loop: boolean;
  from?: number | undefined;
  to?: number | undefined;
  durationMs?: number | undefined;
  /** tag patterns (empty: all) */
  tags: string[];
  readyFile?: string | undefined;
  timestamps: 'recorded' | 'now';
}
