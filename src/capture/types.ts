/**
 * The capture file: a public contract (docs/capture-format.md). JSON Lines, gzip when the name
 * ends in .gz. Line 1 is the header; every later line is a sample, an event or a raw message.
 * These types are the format; the reader and writer in this folder are its only implementation.
 */

export const CAPTURE_FORMAT = 'iiot-capture';
/** Bump on an incompatible change; readers refuse versions newer than they know. */
export const CAPTURE_VERSION = 1;

/** Where samples came from: one entry per device or input. */
export interface SourceInfo {
  /** short id referenced by tags and events ("plc1", "meter") */
  id: string;
  /** opcua, modbus, modbus-rtu, mqtt, sim, csv, ... */
  protocol: string;
  /** device URL (docs/targets.md) or input file */
  endpoint?: string;
  /** the options it was recorded with (never secrets) */
  options?: Record<string, unknown>;
}

export type DataType =
  | 'bool'
  | 'int16'
  | 'uint16'
  | 'int32'
  | 'uint32'
  | 'int64'
  | 'uint64'
  | 'float32'
  | 'float64'
  | 'double'
  | 'number'
  | 'string'
  | 'json'
  | (string & {});

export interface TagInfo {
  /** unique within the capture; what sample lines name */
  name: string;
  /** SourceInfo.id */
  source?: string;
  /** protocol address: OPC UA node id, "ir:0x0156" register, MQTT topic (+ JSON path) */
  address?: string;
  dataType?: DataType;
  /** engineering unit as written by the device ("kW", "mm/s", "°C") */
  unit?: string;
  /** engineering range [low, high] */
  range?: [number, number];
  description?: string;
  /** anything else the source knows (namespace URI, register map entry, ...) is kept */
  [key: string]: unknown;
}

export interface CaptureHeader {
  type: 'header';
  format: typeof CAPTURE_FORMAT;
  version: number;
  /** ISO 8601 UTC */
  created: string;
  /** "iiot 0.1.0" */
  tool: string;
  sources: SourceInfo[];
  tags: TagInfo[];
  /** site, asset, notes, and for generated captures the ground truth */
  metadata: Record<string, unknown>;
  /** present in rotated files: which part this is (1-based) and the first file of the set */
  part?: { index: number; first: string };
  [key: string]: unknown;
}

export type SampleValue = number | boolean | string | null | SampleValue[] | { [key: string]: SampleValue };

/** One value of one tag at one time. Quality is omitted when Good. */
export interface SampleLine {
  /** UTC timestamp, ISO 8601 with milliseconds or finer ("2026-11-25T10:00:00.000Z") */
  t: string;
  tag: string;
  v: SampleValue;
  /** status when not good: an OPC UA status name ("BadCommunicationError", "UncertainLastUsableValue") or a short reason */
  q?: string;
  /** source timestamp, when the protocol gives one distinct from t */
  st?: string;
  /** server timestamp, when the protocol gives one */
  svt?: string;
  [key: string]: unknown;
}

export type EventKind = 'gap' | 'reconnect' | 'disconnect' | 'config' | 'note' | 'start' | 'stop' | (string & {});

/** What happened to the recording. A gap carries from/to; a config event may add tags. */
export interface EventLine {
  t: string;
  event: EventKind;
  source?: string;
  message?: string;
  from?: string;
  to?: string;
  /** tags first seen after the header was written (config events) */
  tags?: TagInfo[];
  [key: string]: unknown;
}

/** A protocol message kept byte-exact for replay. */
export interface RawLine {
  t: string;
  raw: 'mqtt' | (string & {});
  source?: string;
  topic: string;
  /** the payload, as UTF-8 text when it is valid UTF-8, else base64 */
  payload: string;
  enc: 'utf8' | 'base64';
  qos?: 0 | 1 | 2;
  retain?: boolean;
  [key: string]: unknown;
}

export type CaptureRecord = SampleLine | EventLine | RawLine;

export function isSample(r: CaptureRecord): r is SampleLine {
  return 'tag' in r;
}
export function isEvent(r: CaptureRecord): r is EventLine {
  return 'event' in r;
}
export function isRaw(r: CaptureRecord): r is RawLine {
  return 'raw' in r;
}

/** A problem with one line of a capture: file and 1-based line number for the message. */
export interface CaptureIssue {
  file: string;
  line: number;
  message: string;
  /** the last line, cut short (power cut, kill -9): a warning normally, an error with --strict */
  torn?: boolean;
}
