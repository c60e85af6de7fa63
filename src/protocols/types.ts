/**
 * The small interfaces behind which every protocol folder works: a recording source, a replay
 * sink, a latency probe, a security finding. Each folder declares what it can do in its index.ts
 * (protocol.ts), and registry.ts lists them; workflows (src/discovery, src/record, src/replay,
 * src/read, src/checks) ask the registry. Adding a protocol is one new folder plus one line in
 * registry.ts (docs/protocols.md).
 */
import type { CaptureHeader, CaptureRecord, EventKind, SampleValue, SourceInfo, TagInfo } from '../capture/types.js';

/** Where a source delivers what it receives: the capture writer has exactly this shape. */
export interface SampleSink {
  sample(tag: string, t: Date | number | string, v: SampleValue, extra?: { q?: string; st?: string; svt?: string }): void;
  event(kind: EventKind, t: Date | number | string, fields?: Record<string, unknown>): void;
  addTags(tags: TagInfo[], t?: Date | number | string): void;
  write(record: CaptureRecord): void;
}

/** A recording source: one device, subscribed or polled, reconnecting on its own. */
export interface RecordSource {
  readonly info: SourceInfo;
  /** Tags known before the first sample (written into the header). */
  readonly tags: readonly TagInfo[];
  /** Connects and starts delivering to the sink; resolves once the first connection is up. */
  start(sink: SampleSink): Promise<void>;
  /** Stops delivering and disconnects; after it resolves, nothing more reaches the sink. */
  stop(): Promise<void>;
}

/** A replay sink: serves or publishes capture records as live data. */
export interface ReplaySink {
  /** The URL clients use (opc.tcp://127.0.0.1:4840, modbus://..., mqtt://...). */
  readonly endpoint: string;
  /** Called once with the capture's header before any record. Throws a usage error for tags it cannot serve. */
  prepare(header: CaptureHeader, tags: readonly TagInfo[]): Promise<void>;
  /** Applies records whose time has come (in capture order). */
  apply(records: readonly CaptureRecord[]): void | Promise<void>;
  close(): Promise<void>;
}

/** Latency: a connection kept open for repeated round trips. */
export interface LatencyProbe {
  /** Connects; returns the protocol's own set-up time (session, CONNACK) in ms, beside TCP connect time. */
  open(): Promise<{ tcpConnectMs?: number; setupMs?: number; details?: Record<string, unknown> }>;
  /** One round trip in ms (a one-register read, a Read of CurrentTime, publish-to-receive...). */
  roundTrip(): Promise<{ ms: number; details?: Record<string, unknown> }>;
  close(): Promise<void>;
}

export type Severity = 'critical' | 'high' | 'medium' | 'low' | 'info';

/** One security finding (docs/security-checks.md lists every rule). */
export interface Finding {
  ruleId: string;
  severity: Severity;
  target: string;
  title: string;
  evidence: string;
  remedy: string;
}

// Discovery's probes return protocol-specific results (opcua/probe.ts, modbus/probe.ts,
// mqtt/probe.ts); each protocol's discover.ts turns them into its inventory devices
// (<name>/inventory.ts, docs/inventory.md), behind the interface of discovery.ts.
