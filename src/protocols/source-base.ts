/**
 * What the recorder asks of a protocol source beyond the adapter interface (src/protocols/types.ts):
 * a prepare step (connect and resolve the tags before the capture's header is written, so an
 * unreachable device or a bad tag fails before any file exists), hooks for diagnostics and the
 * live view, and a shared way to mark outages in the capture (disconnect, gap, reconnect events).
 * No protocol library here.
 */
import type { RecordSource, SampleSink } from './types.js';

export type SourceState = 'connecting' | 'connected' | 'disconnected' | 'stopped';

/** A tag first seen after the start asks for its name (src/record/tag-names.ts). */
export interface TagNameRequest {
  /** the name the source's rule gives */
  name: string;
  /** what the tag is, unique within its source: an MQTT topic (and JSON field), a Sparkplug address */
  signal: string;
  /** the name to use when `name` already means another signal: the signal's full address */
  fallback: string;
}

export interface SourceHooks {
  /** a status line for people (stderr; suppressed by --quiet) */
  info(text: string): void;
  /** something the user must know; the recorder shows each distinct text once */
  warn(text: string): void;
  /** protocol detail for --debug */
  debug(text: string): void;
  /** one failed read or refused item, counted per tag (live view, summary) */
  tagError(tag: string, message: string): void;
  state(state: SourceState, detail?: string): void;
  /**
   * The name a tag first seen after the start is recorded under: `name` unless another signal of
   * the capture has it (then `fallback`, said once). The same answer for a signal every time.
   */
  tagName(req: TagNameRequest): string;
}

export interface RecorderSource extends RecordSource {
  /** connects and resolves tags; throws an IiotError (exit 2 bad input, 3 unreachable) */
  prepare(): Promise<void>;
  /** counters for the summary ("requests", "reconnects", ...) */
  stats(): Record<string, number>;
  /**
   * Puts `prefix` before every tag name: after prepare, before start, when tags of several
   * sources would share names (src/record/tag-names.ts). Sources whose names cannot collide that
   * way (Modbus: `<id>.<entry>`) do not have it.
   */
  prefixTags?(prefix: string): void;
  /**
   * Resolves when the source has nothing more to deliver by itself (a history backfill without
   * live recording); never resolves for live sources.
   */
  finished?(): Promise<void>;
}

/**
 * Outages of one connection, as capture events: `disconnect` when it goes, then `gap` (from the
 * last moment data was received, or the disconnect, to the reconnect) and `reconnect` when it is
 * back. Idempotent in both directions, so a source may report a loss from several callbacks.
 */
export class Outages {
  private downSince: number | undefined;
  private lastData: number | undefined;
  private count = 0;

  constructor(
    private readonly sourceId: string,
    private readonly sink: () => SampleSink | undefined,
    private readonly hooks: SourceHooks,
  ) {}

  get isDown(): boolean {
    return this.downSince !== undefined;
  }

  /** outages so far */
  get outages(): number {
    return this.count;
  }

  /** data arrived (the gap of a later outage starts here) */
  data(at = Date.now()): void {
    this.lastData = at;
  }

  down(reason: string, at = Date.now()): void {
    if (this.downSince !== undefined) return;
    this.downSince = at;
    this.count++;
    this.sink()?.event('disconnect', at, { source: this.sourceId, message: reason });
    this.hooks.state('disconnected', reason);
    this.hooks.warn(`${this.sourceId}: ${reason}; reconnecting`);
  }

  up(detail: string, at = Date.now()): void {
    const since = this.downSince;
    if (since === undefined) return;
    this.downSince = undefined;
    const from = this.lastData !== undefined && this.lastData < since ? this.lastData : since;
    const sink = this.sink();
    sink?.event('gap', at, { source: this.sourceId, from: new Date(from).toISOString(), to: new Date(at).toISOString() });
    sink?.event('reconnect', at, { source: this.sourceId, message: detail });
    this.hooks.state('connected', detail);
    this.hooks.info(`${this.sourceId}: ${detail}`);
  }
}
