/**
 * `iiot replay capture --to opcua --nodeset plc.NodeSet2.xml`: the capture replayed on the twin
 * of the server it was recorded from. Each tag finds its variable by node id (namespace URI and
 * identifier, as recorded); its recorded values, status codes and source timestamps drive it.
 * Variables no tag drives keep the values the NodeSet holds. Tags the NodeSet has no variable
 * for are named once and left out; a capture none of whose tags are in the NodeSet is refused.
 */
import { timeMs } from '../../../capture/iso-time.js';
import type { CaptureHeader, CaptureRecord, SampleLine, TagInfo } from '../../../capture/types.js';
import { usageError } from '../../../core/errors.js';
import type { ReplaySink } from '../../types.js';
import { parseNodeRef } from '../node-ref.js';
import type { ServerSecurity } from '../server-security.js';
import { UA_NAMESPACE } from './scope.js';
import { startTwinServer, twinKey, type RunningTwin } from './twin-server.js';

export interface TwinSinkOptions {
  nodeset: string;
  host: string;
  port: number;
  security: ServerSecurity;
  users: ReadonlyArray<{ username: string; password: string }>;
  pkiDir: string;
  acceptAnyClientCert: boolean;
  warn?: ((text: string) => void) | undefined;
  log?: ((line: string) => void) | undefined;
}

/** The twin variable a recorded tag names: "uri|ident", or why it has none. */
export function twinKeyOf(tag: TagInfo): string | { why: string } {
  if (typeof tag.address !== 'string' || (tag.modbus !== undefined && tag.modbus !== null)) return { why: 'not recorded from OPC UA' };
  let ref;
  try {
    ref = parseNodeRef(tag.address);
  } catch {
    return { why: `${tag.address} is not a node id` };
  }
  if (ref.kind !== 'id') return { why: `${tag.address} is a browse path, not a node id` };
  if (ref.namespaceUri !== undefined) return twinKey(ref.namespaceUri, ref.text);
  const m = /^ns=(\d+);(.*)$/s.exec(ref.text);
  if (!m) return twinKey(UA_NAMESPACE, ref.text);
  if (typeof tag.namespaceUri !== 'string' || tag.namespaceUri === '')
    return { why: `the capture does not say which namespace ns=${m[1]} was` };
  return twinKey(tag.namespaceUri, m[2]!);
}

export class TwinSink implements ReplaySink {
  endpoint = '';
  private twin: RunningTwin | undefined;
  private keys = new Map<string, string>();

  constructor(private readonly o: TwinSinkOptions) {}

  get namespaceArray(): readonly string[] {
    return this.twin?.namespaceArray ?? [];
  }

  nodeIdOf(tag: string): string | undefined {
    const key = this.keys.get(tag);
    return key === undefined ? undefined : this.twin?.variables.get(key)?.nodeId;
  }

  async prepare(_header: CaptureHeader, tags: readonly TagInfo[]): Promise<void> {
    const twin = await startTwinServer({
      nodesetFile: this.o.nodeset,
      host: this.o.host,
      port: this.o.port,
      security: this.o.security,
      users: this.o.users,
      pkiDir: this.o.pkiDir,
      autoAcceptClientCertificates: this.o.acceptAnyClientCert,
      log: this.o.log,
    });
    this.twin = twin;
    const missing: string[] = [];
    for (const t of tags) {
      const key = twinKeyOf(t);
      if (typeof key === 'string' && twin.variables.has(key)) this.keys.set(t.name, key);
      else missing.push(`${t.name} (${typeof key === 'string' ? `${t.address} is not a variable of the NodeSet` : key.why})`);
    }
    if (this.keys.size === 0) {
      await twin.stop();
      throw usageError(
        `none of the capture's ${tags.length} tags is a variable of ${this.o.nodeset}: ${missing.slice(0, 3).join(', ')}${missing.length > 3 ? ', ...' : ''}`,
        "replay a capture recorded from the server the NodeSet was exported from, or leave --nodeset out to serve the capture's tags as recorded",
      );
    }
    for (const m of missing.slice(0, 10)) this.o.warn?.(`not served: ${m}`);
    if (missing.length > 10) this.o.warn?.(`... and ${missing.length - 10} more tags not served`);
    for (const m of twin.moved) this.o.warn?.(m);
    if (!twin.header.export?.complete && twin.header.export)
      this.o.warn?.(
        `${this.o.nodeset} is a PARTIAL export (${twin.header.export.partialReason ?? 'the crawl stopped early'}): nodes are missing`,
      );
    this.endpoint = twin.endpointUrl;
  }

  apply(records: readonly CaptureRecord[]): void {
    const twin = this.twin!;
    for (const r of records) {
      if (!('tag' in r)) continue;
      const s = r as SampleLine;
      const key = this.keys.get(s.tag);
      if (key !== undefined) twin.set(key, s.v, s.q, new Date(timeMs(s.st ?? s.t)));
    }
  }

  async close(): Promise<void> {
    await this.twin?.stop();
  }
}
