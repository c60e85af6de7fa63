/**
 * `iiot browse <endpoint> --all --nodeset2 [-o FILE] [--values]`: the server's own address space
 * as a NodeSet2 file. One crawl from the Root (the crawler's batching, under the server's
 * operation limits, with a progress line) reads the server's own nodes in full; nodes of its
 * own namespaces that only non-hierarchical references reach (the encodings of a structure) are
 * read in a second, smaller crawl; the Server/Namespaces object says the version and publication
 * date of every namespace. Then writer.ts writes the document.
 */
import { ExitCode } from '../../../core/exit-codes.js';
import { IiotError } from '../../../core/errors.js';
import { emitJson, info, out, warn, type IO } from '../../../core/io.js';
import { formatDuration } from '../../../core/units.js';
import { crawl, type CrawledNode, type CrawlOptions, type CrawlResult } from '../crawler.js';
import { interruptible } from '../session-io.js';
import { nsIndexOf } from '../export.js';
import { loadClient } from '../load.js';
import type { OpcUaSession } from '../session.js';
import { exportPredicate, splitNamespaces, UA_NAMESPACE } from './scope.js';
import { shippedNodesets } from './catalog.js';
import { openOutputFile } from './output-file.js';
import { writeNodeSet, type NamespaceMetadata } from './writer.js';

export interface NodeSetExportOptions {
  output?: string | undefined;
  force: boolean;
  values: boolean;
  /** namespace URIs to copy even though they look like companion specifications */
  copy: ReadonlySet<string>;
  maxInFlight?: number | undefined;
  maxReferencesPerNode?: number | undefined;
}

/** A progress line on a terminal (the caller's: protocols draw nothing themselves). */
export interface Progress {
  update(text: string): void;
  done(): void;
}

export async function exportNodeSet2(io: IO, s: OpcUaSession, o: NodeSetExportOptions, progress: Progress): Promise<number> {
  const m = await loadClient();
  const t0 = performance.now();
  const url = s.url;
  // Refuse an existing file before the crawl, not after minutes of it.
  const file = o.output !== undefined ? openOutputFile(o.output, o.force) : undefined;
  try {
    const nsDv = await s.session.read({ nodeId: 'i=2255', attributeId: m.AttributeIds.Value });
    const namespaceArray = Array.isArray(nsDv.value.value) ? (nsDv.value.value as string[]) : [UA_NAMESPACE];
    const shipped = await shippedNodesets();
    const { own } = splitNamespaces(namespaceArray, new Set(shipped.keys()), o.copy);
    const detail = exportPredicate(own, o.values);
    const common: Omit<CrawlOptions, 'roots'> = {
      maxInFlight: o.maxInFlight,
      maxReferencesPerNode: o.maxReferencesPerNode,
      connectionLost: () => s.lost() !== undefined,
    };
    const { value: result, interrupted } = await interruptible(async (signal) => {
      const first = await crawl(s.session, {
        ...common,
        roots: ['i=84'],
        signal,
        detail,
        onProgress: (p) =>
          progress.update(`exporting ${url}: ${p.nodes.toLocaleString('en-US')} nodes, depth ${p.depth}, ${p.requests} requests`),
      });
      // Own nodes that only non-hierarchical references reach (HasEncoding, ...): a crawl of their own.
      const all = [...first.nodes];
      const known = new Set(all.map((n) => n.nodeId));
      let partial = first.complete ? undefined : first.partialReason;
      for (let round = 0; round < 5 && partial === undefined && !signal.aborted; round++) {
        const missing = new Set<string>();
        for (const n of all)
          for (const r of n.details?.references ?? [])
            if (!known.has(r.target) && own.has(nsIndexOf(r.target)) && !r.target.includes('svr=')) missing.add(r.target);
        if (missing.size === 0) break;
        const more = await crawl(s.session, {
          ...common,
          roots: [...missing],
          maxDepth: 0,
          signal,
          detail: () => (o.values ? 'value' : 'node'),
          attributes: false,
        });
        for (const n of more.nodes) {
          known.add(n.nodeId);
          all.push({ ...n, parent: undefined, children: [] });
        }
        if (!more.complete) partial = more.partialReason;
      }
      return { first, all, partial };
    });
    progress.done();
    const { first, all } = result;
    const partialReason = interrupted ? 'interrupted' : (s.lost() ?? result.partial);
    const exported = all.filter((n) => n.details !== undefined);

    const metadata = await readNamespaceMetadata(m, s, first).catch(() => new Map<string, NamespaceMetadata>());
    const aliasNames = new Map<string, string>();
    for (const table of [m.ReferenceTypeIds, m.DataTypeIds])
      for (const [name, v] of Object.entries(table)) if (typeof v === 'number') aliasNames.set(`i=${v}`, name);
    const xmlEncodings = encodingsOf(all);

    const chunks: string[] = [];
    const stats = writeNodeSet(
      {
        nodes: exported,
        namespaceArray,
        own,
        metadata,
        aliasNames,
        xmlEncodings,
        endpoint: url,
        created: new Date(),
        complete: partialReason === undefined,
        partialReason,
        values: o.values,
      },
      file ? (c) => file.write(c) : (c) => chunks.push(c),
    );
    let bytes: number;
    if (file) bytes = file.commit();
    else {
      const text = chunks.join('');
      bytes = Buffer.byteLength(text);
      out(io, text.trimEnd());
    }

    const ownUris = [...own]
      .sort((a, b) => a - b)
      .map((i) => namespaceArray[i]!)
      .filter((uri) => stats.namespaceUris.includes(uri));
    const required = namespaceArray.filter((_u, i) => !own.has(i)).map((uri) => ({ uri, ...metadata.get(uri) }));
    const durationMs = performance.now() - t0;
    if (io.json) {
      emitJson(io, 'iiot.browse.nodeset2/1', {
        endpoint: url,
        file: o.output ?? null,
        complete: partialReason === undefined,
        ...(partialReason === undefined ? {} : { partialReason }),
        nodes: stats.nodes,
        references: stats.references,
        values: stats.values,
        valuesLeftOut: stats.valuesLeftOut,
        replacedCharacters: stats.replacedCharacters,
        namespaces: ownUris,
        requiredModels: required,
        bytes,
        crawledNodes: first.nodes.length,
        requests: first.stats.requests,
        durationMs: Math.round(durationMs),
      });
    }
    if (o.output !== undefined) {
      info(
        io,
        `wrote ${o.output}: ${stats.nodes.toLocaleString('en-US')} nodes of ${ownUris.join(', ') || "no namespace of the server's own"}, ${stats.references.toLocaleString('en-US')} references, ${stats.values.toLocaleString('en-US')} values, ` +
          `${(bytes / 1e6).toFixed(1)} MB in ${formatDuration(durationMs)} (${first.stats.requests} requests)${partialReason === undefined ? '' : ' (PARTIAL)'}`,
      );
      info(io, `required models: ${required.map((r) => `${r.uri}${r.version ? ` ${r.version}` : ''}`).join(', ')}`);
    }
    for (const v of stats.valuesLeftOut.slice(0, 5)) warn(io, `${v.nodeId}: value left out (${v.why})`);
    if (stats.valuesLeftOut.length > 5) warn(io, `... and ${stats.valuesLeftOut.length - 5} more values left out`);
    if (stats.replacedCharacters > 0) warn(io, `${stats.replacedCharacters} characters XML cannot hold were written as U+FFFD`);
    for (const p of first.problems.slice(0, 5)) warn(io, `${p.nodeId}: ${p.status}`);
    if (partialReason !== undefined) {
      if (interrupted) {
        warn(io, `interrupted: ${o.output ?? 'the export'} is PARTIAL (marked as such in the file)`);
        return 130;
      }
      throw new IiotError(ExitCode.Unreachable, `the export stopped after ${all.length} nodes: ${partialReason}`, {
        hint: `${o.output ?? 'the output'} is partial and says so (a comment at the top and Complete="false"); run the command again when the server is back`,
      });
    }
    return ExitCode.Ok;
  } catch (err) {
    file?.abandon();
    throw err;
  }
}

/** DataType -> its "Default XML" encoding node, for structures in the file. */
function encodingsOf(nodes: readonly CrawledNode[]): Map<string, string> {
  const byId = new Map(nodes.map((n) => [n.nodeId, n]));
  const out = new Map<string, string>();
  for (const n of nodes) {
    if (n.nodeClass !== 'DataType') continue;
    for (const r of n.details?.references ?? [])
      if (r.forward && r.type === 'i=38' && byId.get(r.target)?.browseName === 'Default XML') out.set(n.nodeId, r.target);
  }
  return out;
}

/**
 * Version and publication date of every namespace, as the server's Server/Namespaces object
 * (NamespaceMetadataType, Part 5 6.3.13) says them: its children's NamespaceUri,
 * NamespaceVersion and NamespacePublicationDate properties, read in batches under the limits.
 */
async function readNamespaceMetadata(
  m: Awaited<ReturnType<typeof loadClient>>,
  s: OpcUaSession,
  r: CrawlResult,
): Promise<Map<string, NamespaceMetadata>> {
  const namespacesNode = r.nodes.findIndex((n) => n.nodeId === 'i=11715');
  const out = new Map<string, NamespaceMetadata>();
  if (namespacesNode < 0) return out;
  const wanted = ['NamespaceUri', 'NamespaceVersion', 'NamespacePublicationDate'];
  const items: Array<{ meta: number; prop: string; nodeId: string }> = [];
  for (const c of r.nodes[namespacesNode]!.children) {
    for (const p of r.nodes[c]!.children) {
      const n = r.nodes[p]!;
      if (n.ns === 0 && wanted.includes(n.browseName)) items.push({ meta: c, prop: n.browseName, nodeId: n.nodeId });
    }
  }
  const batch = Math.max(1, r.limits.maxNodesPerRead > 0 ? Math.min(r.limits.maxNodesPerRead, 1000) : 1000);
  const values = new Map<number, Record<string, unknown>>();
  for (let k = 0; k < items.length; k += batch) {
    const chunk = items.slice(k, k + batch);
    const dvs = await s.session.read(chunk.map((it) => ({ nodeId: it.nodeId, attributeId: m.AttributeIds.Value })));
    chunk.forEach((it, j) => {
      const dv = dvs[j];
      if (!dv || !dv.statusCode.isGood()) return;
      const rec = values.get(it.meta) ?? {};
      rec[it.prop] = dv.value.value;
      values.set(it.meta, rec);
    });
  }
  for (const rec of values.values()) {
    const uri = rec.NamespaceUri;
    if (typeof uri !== 'string') continue;
    const date = rec.NamespacePublicationDate;
    out.set(uri, {
      ...(typeof rec.NamespaceVersion === 'string' && rec.NamespaceVersion !== '' ? { version: rec.NamespaceVersion } : {}),
      ...(date instanceof Date && !Number.isNaN(date.getTime()) && date.getTime() > 0 ? { publicationDate: date.toISOString() } : {}),
    });
  }
  return out;
}
