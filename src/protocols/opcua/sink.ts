/**
 * `iiot replay --to opcua`: plans the address space of the replay server (replay-server.ts) from
 * a capture's tags, then sets values as records come due. The plan keeps what the capture knows:
 * recorded node ids in their namespace URIs, at the recorded namespace indexes where they can be
 * had; the browse path the tag was found at (folders); data types, units and ranges. Tags that
 * were not recorded from OPC UA (Modbus, MQTT) become ns=<replay>;s=<tag name> under
 * /Objects/Replay/<source>.
 */
import { timeMs } from '../../capture/iso-time.js';
import type { CaptureHeader, CaptureRecord, SampleLine, SampleValue, TagInfo } from '../../capture/types.js';
import type { ReplaySink } from '../types.js';
import { parseNodeRef } from './node-ref.js';
import {
  REPLAY_TYPES,
  startReplayServer,
  type ReplayFolder,
  type ReplayType,
  type ReplayVariableDef,
  type RunningReplayServer,
} from './replay-server.js';
import { securityProfile, type ServerSecurity } from './server-security.js';

export const REPLAY_NAMESPACE = 'urn:iiot:replay';

export interface OpcUaSinkOptions {
  /** policies, modes, anonymous access (default: the "default" profile) */
  security?: ServerSecurity | undefined;
  /** username identities the server accepts */
  users?: ReadonlyArray<{ username: string; password: string }> | undefined;
  host: string;
  port: number;
  pkiDir: string;
  acceptAnyClientCert: boolean;
  /** first value of each tag (data types of tags whose header does not say) */
  firstValue: ReadonlyMap<string, SampleValue>;
  warn?: (text: string) => void;
  log?: (line: string) => void;
}

export interface OpcUaReplaySink extends ReplaySink {
  /** where each tag is served ("ns=5;s=plant.power") */
  nodeIdOf(tag: string): string | undefined;
  readonly namespaceArray: readonly string[];
}

export function createOpcUaSink(o: OpcUaSinkOptions): OpcUaReplaySink {
  return new OpcUaSink(o);
}

const FROM_CAPTURE_TYPE: Record<string, ReplayType> = {
  bool: 'Boolean',
  int8: 'SByte',
  uint8: 'Byte',
  int16: 'Int16',
  uint16: 'UInt16',
  int32: 'Int32',
  uint32: 'UInt32',
  int64: 'Int64',
  uint64: 'UInt64',
  float32: 'Float',
  float64: 'Double',
  double: 'Double',
  number: 'Double',
  string: 'String',
  json: 'String',
};

function typeOf(tag: TagInfo, first: SampleValue | undefined): { dataType: ReplayType; array: boolean } {
  const array = Array.isArray(first);
  const declared =
    typeof tag.opcuaType === 'string' && (REPLAY_TYPES as readonly string[]).includes(tag.opcuaType)
      ? (tag.opcuaType as ReplayType)
      : undefined;
  if (declared) return { dataType: declared, array };
  const fromCapture = typeof tag.dataType === 'string' ? FROM_CAPTURE_TYPE[tag.dataType.toLowerCase()] : undefined;
  // a capture data type that is a word for "anything" yields to what the values are
  if (fromCapture && tag.dataType !== 'json' && tag.dataType !== 'number') return { dataType: fromCapture, array };
  const sample = array ? (first as SampleValue[]).find((x) => x !== null) : first;
  if (typeof sample === 'boolean') return { dataType: 'Boolean', array };
  if (typeof sample === 'string' || (sample !== null && typeof sample === 'object')) return { dataType: 'String', array };
  return { dataType: fromCapture ?? 'Double', array };
}

export interface AddressSpacePlan {
  applicationUri: string;
  /** namespaces from index 2 on */
  namespaces: string[];
  variables: ReplayVariableDef[];
  /** tags served somewhere else than recorded, and why */
  moved: Array<{ tag: string; why: string }>;
}

/** Where each tag goes: pure, so the choices are tested without a server. */
export function planAddressSpace(tags: readonly TagInfo[], firstValue: ReadonlyMap<string, SampleValue>, host: string): AddressSpacePlan {
  const moved: AddressSpacePlan['moved'] = [];
  // What the recording server called its namespaces, as far as the tags tell.
  const recordedUri = new Map<number, string>();
  interface Placed {
    tag: TagInfo;
    uri: string;
    ident: string;
    want?: number | undefined;
  }
  const placed: Placed[] = tags.map((tag) => {
    const fallback = (why?: string): Placed => {
      if (why) moved.push({ tag: tag.name, why });
      return { tag, uri: REPLAY_NAMESPACE, ident: `s=${tag.name}` };
    };
    if (typeof tag.address !== 'string' || (tag.modbus !== undefined && tag.modbus !== null)) return fallback();
    let ref;
    try {
      ref = parseNodeRef(tag.address);
    } catch {
      return fallback();
    }
    if (ref.kind !== 'id') return fallback();
    if (ref.namespaceUri !== undefined) return { tag, uri: ref.namespaceUri, ident: ref.text };
    const m = /^ns=(\d+);(.*)$/s.exec(ref.text);
    if (!m) return fallback(`${tag.address} is in namespace 0, which belongs to the OPC UA standard`);
    const ns = Number(m[1]);
    const uri = typeof tag.namespaceUri === 'string' && tag.namespaceUri !== '' ? tag.namespaceUri : `urn:iiot:replay:ns${ns}`;
    if (!recordedUri.has(ns)) recordedUri.set(ns, uri);
    return { tag, uri, ident: m[2]!, want: ns };
  });

  // Namespace indexes: each URI at the index it was recorded at, when free.
  const at = new Map<number, string>();
  const indexOf = new Map<string, number>();
  for (const p of placed) {
    if (p.want === undefined || indexOf.has(p.uri)) continue;
    if (at.has(p.want)) continue;
    at.set(p.want, p.uri);
    indexOf.set(p.uri, p.want);
  }
  const applicationUri = at.get(1) ?? `urn:iiot:replay:${host}`;
  const namespaces: string[] = [];
  const maxWanted = Math.max(1, ...at.keys());
  for (let i = 2; i <= maxWanted; i++) namespaces.push(at.get(i) ?? `urn:iiot:replay:unused:${i}`);
  for (const p of placed) {
    if (p.uri === applicationUri || namespaces.includes(p.uri)) continue;
    namespaces.push(p.uri);
    if (p.want !== undefined)
      moved.push({ tag: p.tag.name, why: `namespace ${p.uri} is served at index ${namespaces.length + 1}, not ${p.want}` });
  }

  const seen = new Set<string>();
  const variables: ReplayVariableDef[] = placed.map((p) => {
    let { uri, ident } = p;
    if (seen.has(`${uri}|${ident}`)) {
      moved.push({ tag: p.tag.name, why: `another tag has node id ${ident} in ${uri}` });
      uri = REPLAY_NAMESPACE;
      ident = `s=${p.tag.name}`;
      if (!namespaces.includes(uri)) namespaces.push(uri);
    }
    seen.add(`${uri}|${ident}`);
    const { folders, browseName, browseUri } = placeOf(p.tag, uri, recordedUri);
    const { dataType, array } = typeOf(p.tag, firstValue.get(p.tag.name));
    const range = Array.isArray(p.tag.range) && p.tag.range.length === 2 ? (p.tag.range as [number, number]) : undefined;
    return {
      key: p.tag.name,
      uri,
      ident,
      browseName,
      browseUri,
      ...(typeof p.tag.description === 'string' ? { description: p.tag.description } : {}),
      folders,
      dataType,
      array,
      ...(typeof p.tag.unit === 'string' ? { unit: p.tag.unit } : {}),
      ...(range ? { range } : {}),
    };
  });
  if (variables.some((v) => v.uri === REPLAY_NAMESPACE) && !namespaces.includes(REPLAY_NAMESPACE)) namespaces.push(REPLAY_NAMESPACE);
  return { applicationUri, namespaces, variables, moved };
}

/** Folders and browse name: from the recorded browse path, else /Objects/Replay/<source>/<tag>. */
function placeOf(
  tag: TagInfo,
  uri: string,
  recordedUri: ReadonlyMap<number, string>,
): { folders: ReplayFolder[]; browseName: string; browseUri: string } {
  if (typeof tag.path === 'string' && tag.path.startsWith('/')) {
    const segs = tag.path
      .slice(1)
      .split(/(?<!&)\//)
      .map((s) => {
        const m = /^(\d+):(.*)$/s.exec(s);
        const name = (m ? m[2]! : s).replace(/&(.)/g, '$1');
        const ns = m ? Number(m[1]) : 0;
        return { name, uri: ns === 0 ? 'http://opcfoundation.org/UA/' : (recordedUri.get(ns) ?? uri) };
      });
    if (segs[0]?.name === 'Objects') segs.shift();
    const last = segs.pop();
    if (last)
      return {
        folders: segs.map((s) => ({ name: s.name, uri: s.uri === 'http://opcfoundation.org/UA/' ? REPLAY_NAMESPACE : s.uri })),
        browseName: last.name,
        browseUri: last.uri === 'http://opcfoundation.org/UA/' ? uri : last.uri,
      };
  }
  return {
    folders: [
      { name: 'Replay', uri: REPLAY_NAMESPACE },
      { name: typeof tag.source === 'string' ? tag.source : 'capture', uri: REPLAY_NAMESPACE },
    ],
    browseName: tag.name,
    browseUri: uri,
  };
}

class OpcUaSink implements OpcUaReplaySink {
  endpoint = '';
  namespaceArray: readonly string[] = [];
  private server: RunningReplayServer | undefined;

  constructor(private readonly o: OpcUaSinkOptions) {}

  async prepare(_header: CaptureHeader, tags: readonly TagInfo[]): Promise<void> {
    const plan = planAddressSpace(tags, this.o.firstValue, this.o.host);
    for (const m of plan.moved.slice(0, 10)) this.o.warn?.(`${m.tag}: ${m.why}`);
    if (plan.moved.length > 10) this.o.warn?.(`... and ${plan.moved.length - 10} more tags served elsewhere than recorded`);
    this.server = await startReplayServer({
      host: this.o.host,
      port: this.o.port,
      applicationUri: plan.applicationUri,
      namespaces: plan.namespaces,
      variables: plan.variables,
      security: this.o.security ?? securityProfile('default'),
      users: this.o.users ?? [],
      pkiDir: this.o.pkiDir,
      autoAcceptClientCertificates: this.o.acceptAnyClientCert,
      ...(this.o.log ? { log: this.o.log } : {}),
    });
    this.endpoint = this.server.endpointUrl;
    this.namespaceArray = this.server.namespaceArray;
  }

  nodeIdOf(tag: string): string | undefined {
    return this.server?.nodeIdOf(tag);
  }

  apply(records: readonly CaptureRecord[]): void {
    const server = this.server!;
    for (const r of records) {
      if (!('tag' in r)) continue;
      const s = r as SampleLine;
      server.set(s.tag, s.v, s.q, new Date(timeMs(s.st ?? s.t)));
    }
  }

  async close(): Promise<void> {
    await this.server?.stop();
  }
}
