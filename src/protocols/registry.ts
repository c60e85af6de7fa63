/**
 * The protocols iiot speaks, in one list. Each folder under src/protocols/ declares itself in its
 * `index.ts` (protocol.ts says what a declaration holds); adding a protocol is that folder plus one
 * line below. Workflows (record, replay, read, checks, discovery) look a protocol up here, by the
 * device URL they were given or by name, and never switch on protocol names. Cheap to load: no
 * protocol library is loaded until a factory is called.
 */
import type { Target } from '../core/targets.js';
import { modbus } from './modbus/index.js';
import { mqtt } from './mqtt/index.js';
import { opcua } from './opcua/index.js';
import type { DeviceBase, DiscoveryFactory } from './discovery.js';
import type { LatencyFactory, ProtocolEntry, RecordFactory, ReplayFactory, SecurityFactory, TargetKind } from './protocol.js';
import { tcp } from './tcp/index.js';

/** In the order people read them in lists (inventories, help). */
const ENTRIES = [opcua, modbus, mqtt, tcp] as const;

export const PROTOCOLS: readonly ProtocolEntry[] = ENTRIES;

type Entry = (typeof ENTRIES)[number];
type Named<N> = Extract<Entry, { name: N }>;
export type ProtocolName = Entry['name'];

const byKind = new Map<TargetKind, ProtocolEntry>(PROTOCOLS.flatMap((p) => p.schemes.map((s) => [s.kind, p] as const)));
const byName = new Map<string, ProtocolEntry>(PROTOCOLS.map((p) => [p.name, p]));

/** The protocol a device URL (or a target kind: "modbus-rtu") belongs to. */
export function protocolFor(target: Target | TargetKind): ProtocolEntry {
  const kind = typeof target === 'string' ? target : target.protocol;
  const p = byKind.get(kind);
  if (!p) throw new Error(`no protocol is registered for ${kind} targets (src/protocols/registry.ts)`);
  return p;
}

export function protocolNamed(name: string): ProtocolEntry | undefined {
  return byName.get(name);
}

// --- record --------------------------------------------------------------------------------------

export type RecordableName = Extract<Entry, { record: unknown }>['name'];
export type RecordOptionsOf<N extends RecordableName> = Named<N>['record'] extends RecordFactory<infer O> ? O : never;
/** One source of `iiot record`: the protocol's name and its options. */
export type RecordSpec = { [N in RecordableName]: { protocol: N; options: RecordOptionsOf<N> } }[RecordableName];

/** The record factory of a source's protocol. */
export function recordFactory(spec: RecordSpec): RecordFactory<RecordSpec['options']> {
  return protocolNamed(spec.protocol)!.record as RecordFactory<RecordSpec['options']>;
}

// --- replay --------------------------------------------------------------------------------------

export type ReplayableName = Extract<Entry, { replay: unknown }>['name'];
export type ReplaySpecOf<N extends ReplayableName> = Named<N>['replay'] extends ReplayFactory<infer S> ? S : never;
/** Where `iiot replay` plays to: the protocol's name (`kind`) and its options. */
export type ReplaySpec = { [N in ReplayableName]: ReplaySpecOf<N> }[ReplayableName];

/** The replay factory of a sink's protocol. */
export function replayFactory(spec: ReplaySpec): ReplayFactory<ReplaySpec> {
  return protocolNamed(spec.kind)!.replay as ReplayFactory<ReplaySpec>;
}

// --- checks --------------------------------------------------------------------------------------

/** How `iiot check latency` measures a target beyond TCP connect (none: it cannot). */
export function latencyFactory(target: Target): LatencyFactory<Target> | undefined {
  return protocolFor(target).latency as LatencyFactory<Target> | undefined;
}

/** How `iiot check security` audits a target (none: not auditable; `notAudited` says why). */
export function securityFactory(target: Target | TargetKind): SecurityFactory<Target> | undefined {
  const kind = typeof target === 'string' ? target : target.protocol;
  const f = protocolFor(kind).security as SecurityFactory<Target> | undefined;
  return f?.kinds.includes(kind) ? f : undefined;
}

// --- discovery -----------------------------------------------------------------------------------

/** The protocols `iiot discover` finds, in the registry's order, with their discovery part. */
export const DISCOVERABLE: ReadonlyArray<{ name: string; discovery: DiscoveryFactory<DeviceBase> }> = PROTOCOLS.flatMap((p) =>
  p.discovery ? [{ name: p.name, discovery: p.discovery as DiscoveryFactory<DeviceBase> }] : [],
);

/** The discovery part of the protocol an inventory device (or a target kind) belongs to. */
export function discoveryFor(kind: string): DiscoveryFactory<DeviceBase> {
  const p = byKind.get(kind as TargetKind);
  if (!p?.discovery) throw new Error(`no protocol discovers ${kind} devices (src/protocols/registry.ts)`);
  return p.discovery as DiscoveryFactory<DeviceBase>;
}

/** The protocol a --ports mark ("mqtts") belongs to. */
export function markOwner(mark: string): { name: string; discovery: DiscoveryFactory<DeviceBase> } | undefined {
  return DISCOVERABLE.find((p) => Object.hasOwn(p.discovery.marks, mark));
}
