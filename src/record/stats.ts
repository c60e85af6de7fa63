/**
 * What the recorder counts while it records: per tag (samples, last value and time, errors, a
 * rate over the last ten seconds) and per source (state). Feeds the live view and the summary;
 * cheap enough to run on every sample at a few hundred thousand samples per second.
 */
import type { SampleValue } from '../capture/types.js';
import type { SourceState } from '../protocols/source-base.js';

export interface TagStats {
  name: string;
  source: string | undefined;
  count: number;
  errors: number;
  lastError?: string;
  last?: SampleValue;
  lastQ?: string | undefined;
  /** ms of the last sample's time */
  lastT?: number;
  firstT?: number;
  /** counts one second apart, newest last (rate window) */
  history: number[];
}

export interface SourceStatus {
  id: string;
  protocol: string;
  endpoint: string;
  state: SourceState;
  detail?: string | undefined;
}

const WINDOW = 10;

export class RecordStats {
  readonly tags = new Map<string, TagStats>();
  readonly sources: SourceStatus[] = [];
  readonly notices: string[] = [];
  samples = 0;
  raw = 0;
  events = new Map<string, number>();
  readonly startedAt = Date.now();

  tag(name: string, source?: string): TagStats {
    let s = this.tags.get(name);
    if (!s) {
      s = { name, source, count: 0, errors: 0, history: [] };
      this.tags.set(name, s);
    }
    return s;
  }

  sample(name: string, t: number, v: SampleValue, q: string | undefined): void {
    const s = this.tags.get(name) ?? this.tag(name);
    s.count++;
    s.last = v;
    s.lastQ = q;
    s.lastT = t;
    if (s.firstT === undefined) s.firstT = t;
    this.samples++;
  }

  event(kind: string): void {
    this.events.set(kind, (this.events.get(kind) ?? 0) + 1);
  }

  error(name: string, message: string): void {
    const s = this.tag(name);
    s.errors++;
    s.lastError = message;
  }

  /** once a second: the rate window moves */
  tick(): void {
    for (const s of this.tags.values()) {
      s.history.push(s.count);
      if (s.history.length > WINDOW + 1) s.history.shift();
    }
  }

  /** samples per second over the last seconds (undefined before two ticks) */
  rate(s: TagStats): number | undefined {
    if (s.history.length < 2) return undefined;
    return (s.history[s.history.length - 1]! - s.history[0]!) / (s.history.length - 1);
  }

  notice(text: string): void {
    this.notices.push(text);
    if (this.notices.length > 50) this.notices.shift();
  }
}
