/** `iiot replay`'s options, parsed at the edge (commands/replay.ts). */
import type { ReplaySpec } from '../protocols/registry.js';

/** Where to play: a protocol's name (`kind`) and its options (each protocol's index.ts says what they are). */
export type SinkSpec = ReplaySpec;

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
