/**
 * What a protocol folder declares about itself in its `index.ts`, and what the workflows ask of it
 * through the registry (registry.ts): the device URLs it answers for, and one factory per job it
 * can do (record, replay, latency, security, read, discovery). A protocol leaves out the jobs it
 * cannot do (tcp:// only measures latency). The declaration is cheap to load: every protocol
 * library, and every module that loads one, is reached only through an `await import` inside a
 * factory, so looking a protocol up never costs the start-up of node-opcua or mqtt.
 */
import type { SampleValue } from '../capture/types.js';
import type { IO } from '../core/io.js';
import type { IdentitySpec, SecurityModeName, SecurityPolicyName } from './opcua/flags.js';
import type { Target } from '../core/targets.js';
import type { DiscoveryFactory } from './discovery.js';
import type { CheckFinding } from './security-judge.js';
import type { RuleProtocol } from './security-rules.js';
import type { RecorderSource, SourceHooks } from './source-base.js';
import type { LatencyProbe, ReplaySink } from './types.js';

/** The kinds of device URL parseTarget gives (src/core/targets.ts). */
export type TargetKind = Target['protocol'];

/** The target parseTarget gives for one kind. */
export type TargetOf<K extends TargetKind> = Extract<Target, { protocol: K }>;

export interface SchemeInfo {
  /** as written before "://" */
  readonly scheme: string;
  /** what parseTarget makes of it */
  readonly kind: TargetKind;
  /** the port a URL without one gets; none: the URL names no port (a serial line) or must name one */
  readonly defaultPort?: number;
}

/** `iiot record`: one source per device. */
export interface RecordFactory<O> {
  /**
   * false: the source's tags are only seen after the start (MQTT topics), so several sources of
   * this protocol name their tags `<source id>.<name>` from the start (src/record/tag-names.ts)
   */
  readonly tagsKnownAtStart: boolean;
  /** what those late tags are named after, for the note that says so ("topic name") */
  readonly lateTagWord?: string;
  /** the device URL the source records from */
  endpoint(options: O): string;
  create(options: O, context: RecordContext): Promise<RecorderSource>;
}

export interface RecordContext {
  io: IO;
  /** longest pause between reconnect attempts */
  reconnectMaxMs: number;
  hooks: SourceHooks;
}

/** `iiot replay --to <name>`: a server or a publisher that plays a capture. */
export interface ReplayFactory<S> {
  create(spec: S, context: ReplayContext): Promise<{ sink: ReplaySink; holdsState: boolean }>;
}

export interface ReplayContext {
  io: IO;
  /** a warning, said once */
  warn(text: string): void;
  /** the first value of each tag (a server needs a data type before the first sample is due) */
  firstValue: ReadonlyMap<string, SampleValue>;
  /** sources that left raw messages (their samples are replayed from those) */
  rawSources: ReadonlySet<string>;
}

/** What a check (`iiot check latency`, `iiot check security`) hands a protocol for one target. */
export interface CheckTargetContext {
  io: IO;
  /** records one request sent to the target (--audit-log) */
  audit(request: string, detail?: Record<string, unknown>): void;
  /** awaited before every connection and every request iiot times itself */
  pace(): Promise<void>;
  /** the user for MQTT connections (OPC UA reads the identity itself) */
  credentials?: { username: string; password: string; describe: string } | undefined;
  /** extra CA certificates (PEM) for TLS */
  ca?: Buffer | undefined;
}

/** The settings of `iiot check latency` a protocol reads. */
export interface LatencySettings {
  timeoutMs: number;
  /** MQTT: one series per QoS */
  qos: ReadonlyArray<0 | 1 | 2>;
  /** Modbus: the register read each round trip */
  modbus: { unit?: number | undefined; table: 'holding' | 'input'; address: number };
  securityMode?: SecurityModeName | undefined;
  securityPolicy?: SecurityPolicyName | undefined;
  identity: IdentitySpec;
  trustOnFirstUse: boolean;
}

/** One series of round trips `iiot check latency` measures on one connection. */
export interface LatencyPlan {
  name: string;
  label: string;
  /** the label of the series of acknowledgements (MQTT QoS 1 and 2) */
  ackLabel?: string | undefined;
  make: () => Promise<LatencyProbe>;
}

export interface LatencyFactory<T extends Target> {
  /** TCP connect is all there is to time (tcp://): measured --count times as the round trip */
  readonly connectIsRoundTrip?: boolean;
  /** the protocol's own round trips on one connection (none: TCP connect only) */
  plans(target: T, settings: LatencySettings, context: CheckTargetContext): Promise<LatencyPlan[]>;
}

/** The settings of `iiot check security` a protocol reads. */
export interface SecuritySettings {
  timeoutMs: number;
  /** OPC UA: open a session and examine the address space (opt-in) */
  session: boolean;
  maxNodes: number;
  mqttSys: boolean;
  mqttWildcard: boolean;
  listenMs: number;
  unitSweep?: number[] | undefined;
  sweepTimeoutMs: number;
  certExpiryMs: number;
  modbus: { unit?: number | undefined; table: 'holding' | 'input'; address: number };
}

/** The result for one target, filled in by the protocol's audit (the check's own result object). */
export interface SecurityAssessment {
  status: 'assessed' | 'partial' | 'not-assessed';
  reason?: string | undefined;
  hint?: string | undefined;
  findings: CheckFinding[];
  /** rules this target was judged by: an audit that could not run a part takes its rules out */
  rulesEvaluated: string[];
  /** what was learned besides findings (endpoint count, TLS version, identification...) */
  facts: Record<string, unknown>;
}

export interface SecurityContext extends CheckTargetContext {
  now: number;
  /** a TLS target on the same host is among those checked */
  tlsOnSameHost: boolean;
  /** the leaf certificate the target showed, for judging across targets (one certificate on several servers) */
  certificate(sha256: string | undefined): void;
}

export interface SecurityFactory<T extends Target> {
  /** the prefix of its rules in the catalogue (security-rules.ts) */
  readonly rules: RuleProtocol;
  /** the target kinds it audits (a serial line has nothing to audit over the network) */
  readonly kinds: readonly TargetKind[];
  assess(target: T, settings: SecuritySettings, context: SecurityContext, result: SecurityAssessment): Promise<void>;
  /** findings across the targets of this protocol, from the certificates they showed */
  judgeAcross?(certificates: ReadonlyArray<{ target: string; sha256: string | undefined }>): Promise<CheckFinding[]>;
}

export interface ProtocolEntry {
  /** the registry key: --protocols, capture headers, `--to` of replay */
  readonly name: string;
  /** for people: "OPC UA" */
  readonly title: string;
  /** the device URLs it answers for */
  readonly schemes: readonly SchemeInfo[];
  readonly record?: RecordFactory<never>;
  readonly replay?: ReplayFactory<never>;
  readonly latency?: LatencyFactory<never>;
  readonly security?: SecurityFactory<never>;
  readonly discovery?: DiscoveryFactory<never>;
  /** why `iiot check security` does not audit a kind of target of this protocol */
  readonly notAudited?: Partial<Record<TargetKind, string>>;
}
