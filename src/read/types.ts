/**
 * The types of `iiot read`: the flags as commander parses them and the typed options, one per
 * protocol, that options.ts (and its per-protocol parts) make of them and the readers take.
 */
import type { OpcUaConnectFlags, OpcUaConnectOptions } from '../protocols/opcua/flags.js';
import type { ModbusRtuTarget, ModbusTcpTarget } from '../core/targets.js';
import type { ByteOrder, RegisterType } from '../protocols/modbus/codec.js';
import type { RegisterTable } from '../protocols/modbus/register-map.js';
import type { MqttConnectOptions } from '../protocols/mqtt/connect.js';
import type { DecoderName } from '../protocols/mqtt/decoders.js';

export interface ReadFlags extends OpcUaConnectFlags {
  watch?: boolean;
  interval?: string;
  duration?: string;
  // OPC UA
  history?: boolean;
  from?: string;
  to?: string;
  maxValues?: string;
  // Modbus
  map?: string;
  table?: string;
  type?: string;
  order?: string;
  count?: string;
  length?: string;
  zeroBased?: boolean;
  // MQTT
  decoder?: string;
  jsonPath?: string;
  sparkplug?: string;
  rebirth?: boolean;
  clientId?: string;
  ca?: string;
  cert?: string;
  key?: string;
}

export type ReadMode = 'once' | 'watch';

export interface OpcUaReadOptions {
  protocol: 'opcua';
  connect: OpcUaConnectOptions;
  items: string[];
  mode: ReadMode | 'history';
  /** --watch: sampling interval asked of the server */
  intervalMs: number;
  /** --watch: stop after this long (default: until Ctrl-C) */
  durationMs?: number | undefined;
  /** --history: time range (ms since epoch) */
  from?: number | undefined;
  to?: number | undefined;
  /** --history: at most this many values per node */
  maxValues?: number | undefined;
}

/** Registers named by address: `count` values of one type from each start address. */
export interface AddressSelection {
  kind: 'address';
  starts: Array<{ item: string; table: RegisterTable; address: number }>;
  type: RegisterType;
  order: ByteOrder;
  count: number;
  /** registers per string */
  length?: number | undefined;
}

/** Entries of a register map by name (`*` wildcards); no names: every entry. */
export interface MapSelection {
  kind: 'map';
  map: string;
  names: string[];
}

export interface ModbusReadOptions {
  protocol: 'modbus';
  target: ModbusTcpTarget | ModbusRtuTarget;
  select: AddressSelection | MapSelection;
  mode: ReadMode;
  /** --watch: time between the starts of two polls */
  intervalMs: number;
  durationMs?: number | undefined;
  /** longest wait for one answer */
  timeoutMs: number;
}

export interface TopicSelection {
  kind: 'topics';
  filters: string[];
  decoder: Exclude<DecoderName, 'sparkplug' | 'none'>;
  jsonPath?: string | undefined;
}

export interface SparkplugSelection {
  kind: 'sparkplug';
  groupId: string;
  edgeNodeId: string;
  deviceId?: string | undefined;
  /** metric names (`*` wildcards); none: every metric of the birth */
  metrics: string[];
  /** send NCMD Node Control/Rebirth (a write to the edge node: only when asked) */
  rebirth: boolean;
}

export interface MqttReadOptions {
  protocol: 'mqtt';
  connect: MqttConnectOptions;
  select: TopicSelection | SparkplugSelection;
  mode: ReadMode;
  durationMs?: number | undefined;
  /** connect, and the wait for a first message */
  timeoutMs: number;
}

export type ReadOptions = OpcUaReadOptions | ModbusReadOptions | MqttReadOptions;
