/**
 * What a Sparkplug B host application keeps per edge node, for recording: the metrics of its births
 * (names, aliases, datatypes, units, template definitions), its seq counter and bdSeq; and what
 * each message means as samples:
 * - values decoded by the datatype the message gives, or the birth's when a data message leaves it
 *   out (the specification says it should);
 * - the `Quality` property as the sample's quality (192 good; 0 "Bad", 500 "Stale"; another code
 *   "Quality <n>"), a value that could not be decoded exactly as "BadDecodingError: <why>" with v null;
 * - metric timestamps as sample times (else the payload's, else the arrival);
 * - a DataSet as one sample `{columns, types, rows}`;
 * - a Template instance as one tag per member metric, `<instance>/<member>` (nested templates
 *   likewise), each with its own datatype, quality and time; definitions (NBIRTH) are not samples:
 *   the birth event lists them.
 * Births learnt from a Sparkplug Aware broker's retained copies ($sparkplug/certificates/...) teach
 * names and aliases only: their values are old.
 */
import type { SampleValue } from '../../capture/types.js';
import {
  decodeSparkplug,
  redecodeMetric,
  type SparkplugMetric,
  type SparkplugPayload,
  type SparkplugTemplate,
  type SparkplugType,
} from './sparkplug-codec.js';

/** The capture dataType of each Sparkplug datatype (arrays, DataSets: json; docs/capture-format.md). */
const DATA_TYPES: Partial<Record<SparkplugType, string>> = {
  Int8: 'int8',
  Int16: 'int16',
  Int32: 'int32',
  Int64: 'int64',
  UInt8: 'uint8',
  UInt16: 'uint16',
  UInt32: 'uint32',
  UInt64: 'uint64',
  Float: 'float32',
  Double: 'float64',
  Boolean: 'bool',
  String: 'string',
  Text: 'string',
  UUID: 'string',
  DateTime: 'datetime',
  Bytes: 'bytes',
  File: 'bytes',
  DataSet: 'json',
};

export interface SparkplugTag {
  name: string;
  /** the metric name as born (a template member: "<instance>/<member>") */
  metric: string;
  address: string;
  dataType?: string;
  unit?: string;
  range?: [number, number];
  sparkplugType: SparkplugType;
  alias?: number | string;
  /** more for the tag's `sparkplug` entry in the capture: template, parameters, properties, metadata */
  info?: Record<string, unknown>;
  /** template instances: their member tags by member name */
  members?: Map<string, SparkplugTag>;
}

export interface SparkplugSample {
  tag: SparkplugTag;
  value: SampleValue;
  t: number;
  q?: string;
}

export interface SparkplugOutput {
  samples: SparkplugSample[];
  events: Array<{ kind: string; fields: Record<string, unknown> }>;
  warnings: string[];
  /** the message was not understood (not a Sparkplug topic, damaged payload) */
  error?: string;
}

interface NodeState {
  /** alias -> metric, across the node and its devices (aliases are unique per edge node) */
  aliases: Map<number | string, SparkplugTag>;
  /** "<device>/<name>" -> tag */
  byName: Map<string, SparkplugTag>;
  /** template definitions of the NBIRTH, by name */
  templates: Map<string, SparkplugTemplate>;
  seq: number | undefined;
  bdSeq: number | string | undefined;
  unknownAliasWarned: boolean;
  /** tags whose bad values were already reported */
  warnedBad: Set<string>;
}

const SKIP_METRIC = /^(bdSeq$|Node Control\/)/;

export function parseSparkplugTopic(topic: string): { group: string; type: string; node: string; device?: string } | undefined {
  const p = topic.split('/');
  if (p[0] !== 'spBv1.0' || p.length < 4 || p.length > 5 || p[1] === 'STATE') return undefined;
  return { group: p[1]!, type: p[2]!, node: p[3]!, ...(p[4] === undefined ? {} : { device: p[4] }) };
}

/** The sample quality of a metric: undefined when good. */
export function sparkplugQuality(m: SparkplugMetric): string | undefined {
  if (m.bad !== undefined) return `BadDecodingError: ${m.bad}`;
  const q = m.properties?.Quality;
  if (!q || q.value === null) return undefined;
  if (q.value === 192) return undefined;
  if (q.value === 0) return 'Bad';
  if (q.value === 500) return 'Stale';
  return `Quality ${typeof q.value === 'object' ? JSON.stringify(q.value) : String(q.value)}`;
}

function bdSeqOf(p: SparkplugPayload): number | string | undefined {
  const bd = p.metrics.find((m) => m.name === 'bdSeq');
  return bd && (typeof bd.value === 'number' || typeof bd.value === 'string') ? bd.value : undefined;
}

export class SparkplugHost {
  private readonly nodes = new Map<string, NodeState>();
  /** seq gaps seen so far */
  seqErrors = 0;

  private state(group: string, node: string): NodeState {
    const key = `${group}/${node}`;
    let s = this.nodes.get(key);
    if (!s) {
      s = {
        aliases: new Map(),
        byName: new Map(),
        templates: new Map(),
        seq: undefined,
        bdSeq: undefined,
        unknownAliasWarned: false,
        warnedBad: new Set(),
      };
      this.nodes.set(key, s);
    }
    return s;
  }

  handle(topic: string, payload: Buffer, arrival: number): SparkplugOutput {
    const out: SparkplugOutput = { samples: [], events: [], warnings: [] };
    const certificate = topic.startsWith('$sparkplug/certificates/');
    const t = parseSparkplugTopic(certificate ? topic.slice('$sparkplug/certificates/'.length) : topic);
    if (!t) {
      if (/^spBv1\.0\/STATE\//.test(topic)) return out;
      out.error = 'not a Sparkplug B topic (spBv1.0/<group>/<type>/<node>[/<device>])';
      return out;
    }
    let p: SparkplugPayload;
    try {
      p = decodeSparkplug(payload);
    } catch (err) {
      out.error = `damaged Sparkplug payload: ${(err as Error).message.replace(/^not a Sparkplug B payload: /, '').split('\n')[0]}`;
      return out;
    }
    const node = `${t.group}/${t.node}`;
    const s = this.state(t.group, t.node);
    const where = { node, ...(t.device === undefined ? {} : { device: t.device }) };
    const born = (m: SparkplugMetric): SparkplugTag | undefined => {
      if (m.name === undefined) return undefined;
      if (m.template?.isDefinition) {
        s.templates.set(m.name, m.template);
        // Tahu and Ignition name definitions "_types_/Motor" and refer to them as "Motor"
        if (m.name.startsWith('_types_/')) s.templates.set(m.name.slice('_types_/'.length), m.template);
        return undefined;
      }
      const tag = makeTag(t.group, t.node, t.device, m, s.templates);
      s.byName.set(`${t.device ?? ''}/${m.name}`, tag);
      if (m.alias !== undefined) s.aliases.set(m.alias, tag);
      return tag;
    };
    const emit = (tag: SparkplugTag, m: SparkplugMetric, time: number) => {
      if (SKIP_METRIC.test(tag.metric)) return;
      const metric =
        m.type === 'Unknown' && tag.sparkplugType !== 'Unknown'
          ? redecodeMetric(m, tag.sparkplugType, (n) => tag.members?.get(n)?.sparkplugType)
          : m;
      if (tag.members && metric.template) {
        for (const member of metric.template.metrics) {
          if (member.name === undefined) continue;
          let mt = tag.members.get(member.name);
          if (!mt) {
            mt = memberTag(tag, member, s.templates);
            tag.members.set(member.name, mt);
          }
          emit(mt, member, member.timestamp ?? time);
        }
        return;
      }
      const q = sparkplugQuality(metric);
      if (metric.bad !== undefined && !s.warnedBad.has(tag.name)) {
        s.warnedBad.add(tag.name);
        out.warnings.push(
          `Sparkplug ${node}: ${tag.metric} (${metric.type === 'Unknown' ? tag.sparkplugType : metric.type}): ${metric.bad}; recorded as bad (q "BadDecodingError")`,
        );
      }
      out.samples.push({ tag, value: metric.value, t: time, ...(q === undefined ? {} : { q }) });
    };
    const at = (m: SparkplugMetric) => m.timestamp ?? p.timestamp ?? arrival;
    if (certificate) {
      if (t.type === 'NBIRTH' || t.type === 'DBIRTH') {
        if (t.type === 'NBIRTH') s.templates.clear();
        for (const m of p.metrics) born(m);
      }
      return out;
    }
    const checkSeq = () => {
      if (p.seq === undefined) return;
      if (s.seq !== undefined) {
        const expected = (s.seq + 1) % 256;
        if (p.seq !== expected) {
          this.seqErrors++;
          out.events.push({
            kind: 'sparkplug-seq',
            fields: {
              ...where,
              expected,
              got: p.seq,
              message: `${t.type} seq ${p.seq}, expected ${expected}: messages lost or out of order`,
            },
          });
          out.warnings.push(`Sparkplug ${node}: seq ${p.seq} where ${expected} was expected (messages lost or reordered)`);
        }
      }
      s.seq = p.seq;
    };
    const birthEvent = () => {
      const defs = p.metrics.filter((m) => m.template?.isDefinition && m.name !== undefined);
      const templates = Object.fromEntries(defs.map((m) => [m.name!, definitionJson(m.template!)]));
      out.events.push({
        kind: 'sparkplug-birth',
        fields: {
          ...where,
          ...(t.type === 'NBIRTH' && s.bdSeq !== undefined ? { bdSeq: s.bdSeq } : {}),
          metrics: p.metrics.length,
          ...(defs.length ? { templates } : {}),
        },
      });
    };
    switch (t.type) {
      case 'NBIRTH': {
        s.aliases.clear();
        s.byName.clear();
        s.templates.clear();
        s.warnedBad.clear();
        s.bdSeq = bdSeqOf(p);
        if (p.seq !== undefined && p.seq !== 0) out.warnings.push(`Sparkplug ${node}: NBIRTH with seq ${p.seq} (should be 0)`);
        s.seq = p.seq;
        birthEvent();
        // definitions first: instances in the same birth refer to them
        for (const m of p.metrics) if (m.template?.isDefinition) born(m);
        for (const m of p.metrics) {
          if (m.template?.isDefinition) continue;
          const tag = born(m);
          if (tag) emit(tag, m, at(m));
        }
        break;
      }
      case 'DBIRTH': {
        checkSeq();
        birthEvent();
        for (const m of p.metrics) {
          const tag = born(m);
          if (tag) emit(tag, m, at(m));
        }
        break;
      }
      case 'NDATA':
      case 'DDATA': {
        checkSeq();
        for (const m of p.metrics) {
          let tag: SparkplugTag | undefined;
          if (m.name !== undefined) tag = s.byName.get(`${t.device ?? ''}/${m.name}`) ?? born(m);
          else if (m.alias !== undefined) tag = s.aliases.get(m.alias);
          if (!tag) {
            if (m.name === undefined && !s.unknownAliasWarned) {
              s.unknownAliasWarned = true;
              out.warnings.push(
                `Sparkplug ${node}: metric alias ${m.alias} without a birth (iiot subscribed after the node was born); its values are left out until the next NBIRTH; a Sparkplug Aware broker, or a rebirth asked of the node, fixes it`,
              );
            }
            continue;
          }
          emit(tag, m, at(m));
        }
        break;
      }
      case 'NDEATH': {
        const bdSeq = bdSeqOf(p);
        const stale = bdSeq !== undefined && s.bdSeq !== undefined && bdSeq !== s.bdSeq;
        out.events.push({
          kind: 'sparkplug-death',
          // `stale` lets a reader of the capture tell a late will of a finished session from the node going offline
          fields: {
            ...where,
            ...(bdSeq === undefined ? {} : { bdSeq }),
            ...(stale ? { stale: true } : {}),
            message: stale ? `NDEATH of an older session (bdSeq ${bdSeq}, current ${s.bdSeq}): ignored` : 'edge node offline',
          },
        });
        if (!stale) s.seq = undefined;
        break;
      }
      case 'DDEATH':
        checkSeq();
        out.events.push({ kind: 'sparkplug-death', fields: { ...where, message: 'device offline' } });
        break;
      default:
        // NCMD, DCMD: commands to the node, not data
        break;
    }
    return out;
  }
}

/** A template definition for the birth event: version, parameter defaults, member datatypes. */
function definitionJson(t: SparkplugTemplate): Record<string, unknown> {
  return {
    ...(t.version === undefined ? {} : { version: t.version }),
    parameters: Object.fromEntries(t.parameters.map((p) => [p.name, { type: p.type, value: p.value }])),
    metrics: Object.fromEntries(
      t.metrics
        .filter((m) => m.name !== undefined)
        .map((m) => [m.name!, m.template ? `Template ${m.template.templateRef ?? ''}`.trim() : m.type]),
    ),
  };
}

function metricInfo(m: SparkplugMetric): Pick<SparkplugTag, 'unit' | 'range' | 'info'> {
  const props = m.properties ?? {};
  const unit = props.engUnit?.value;
  const low = props.engLow?.value;
  const high = props.engHigh?.value;
  const rest = Object.fromEntries(
    Object.entries(props)
      .filter(([k]) => k !== 'engUnit' && k !== 'Quality')
      .map(([k, p]) => [k, p.value]),
  );
  const info: Record<string, unknown> = {
    ...(Object.keys(rest).length ? { properties: rest } : {}),
    ...(m.metadata && Object.keys(m.metadata).length ? { metadata: m.metadata } : {}),
  };
  return {
    ...(typeof unit === 'string' && unit !== '' ? { unit } : {}),
    ...(typeof low === 'number' && typeof high === 'number' ? { range: [low, high] as [number, number] } : {}),
    ...(Object.keys(info).length ? { info } : {}),
  };
}

function templateInfo(m: SparkplugMetric, templates: Map<string, SparkplugTemplate>): Record<string, unknown> {
  const t = m.template!;
  const def = t.templateRef === undefined ? undefined : templates.get(t.templateRef);
  // parameters the instance leaves out take the definition's defaults
  const parameters: Record<string, unknown> = {};
  for (const p of def?.parameters ?? []) parameters[p.name] = p.value;
  for (const p of t.parameters) parameters[p.name] = p.value;
  return {
    ...(t.templateRef === undefined ? {} : { templateRef: t.templateRef }),
    ...(t.version === undefined ? {} : { version: t.version }),
    ...(Object.keys(parameters).length ? { parameters } : {}),
  };
}

function makeTag(
  group: string,
  node: string,
  device: string | undefined,
  m: SparkplugMetric,
  templates: Map<string, SparkplugTemplate>,
): SparkplugTag {
  const name = [group, node, ...(device === undefined ? [] : [device]), m.name!].join('.');
  const address = `spBv1.0/${group}/${node}${device === undefined ? '' : `/${device}`}:${m.name}`;
  const type = m.template && m.type === 'Unknown' ? 'Template' : m.type;
  const tag: SparkplugTag = { name, metric: m.name!, address, sparkplugType: type, ...(m.alias === undefined ? {} : { alias: m.alias }) };
  return fill(tag, m, templates);
}

function fill(tag: SparkplugTag, m: SparkplugMetric, templates: Map<string, SparkplugTemplate>): SparkplugTag {
  const dataType = DATA_TYPES[tag.sparkplugType] ?? (tag.sparkplugType.endsWith('Array') ? 'json' : undefined);
  if (dataType !== undefined) tag.dataType = dataType;
  const info = metricInfo(m);
  if (info.unit !== undefined) tag.unit = info.unit;
  if (info.range !== undefined) tag.range = info.range;
  if (m.template && !m.template.isDefinition) {
    tag.info = { ...info.info, template: templateInfo(m, templates) };
    tag.members = new Map();
    // the birth names every member: their tags (and datatypes, for data messages without them) now
    const def = m.template.templateRef === undefined ? undefined : templates.get(m.template.templateRef);
    for (const member of m.template.metrics)
      if (member.name !== undefined) tag.members.set(member.name, memberTag(tag, member, templates, def));
  } else if (info.info) tag.info = info.info;
  return tag;
}

function memberTag(
  parent: SparkplugTag,
  member: SparkplugMetric,
  templates: Map<string, SparkplugTemplate>,
  def?: SparkplugTemplate,
): SparkplugTag {
  const name = member.name!;
  // a member without a datatype takes the definition's
  const declared = def?.metrics.find((x) => x.name === name)?.type;
  const type = member.type !== 'Unknown' ? member.type : member.template ? 'Template' : (declared ?? 'Unknown');
  const tag: SparkplugTag = {
    name: `${parent.name}/${name}`,
    metric: `${parent.metric}/${name}`,
    address: `${parent.address}/${name}`,
    sparkplugType: type,
  };
  fill(tag, member, templates);
  const template = (parent.info as { template?: Record<string, unknown> } | undefined)?.template;
  if (template) tag.info = { ...tag.info, member: { of: parent.metric, ...template } };
  return tag;
}
