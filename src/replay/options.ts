/** `iiot replay`'s options, parsed at the edge (commands/replay.ts). */
import type { MqttConnectOptions } from '../protocols/mqtt/connect.js';
import type { SecurityProfileName } from '../protocols/opcua/server-security.js';

export type SinkSpec =
  | {
      kind: 'opcua';
      host: string;
      port: number;
      pkiDir?: string | undefined;
      acceptAnyClientCert: boolean;
      /** serve this NodeSet2 file's address space (a twin), the recorded values driving its variables */
      nodeset?: string | undefined;
      /** security profile as `iiot sim` (default "default") */
      profile?: SecurityProfileName | undefined;
      /** a username identity the server accepts: the password comes from passwordEnv or passwordFile */
      user?: { name: string; passwordEnv: string; passwordFile?: string | undefined } | undefined;
      /** trust this machine's iiot client certificate (as `iiot sim` does; the command's default) */
      trustLocalClient?: boolean | undefined;
    }
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
