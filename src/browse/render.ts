/**
 * What `iiot browse` prints, apart from the tree, CSV and tag list the OPC UA export module
 * writes (src/protocols/opcua/export.ts): the iiot.browse/1 and iiot.browse.endpoints/1 documents
 * (docs/json-output.md) and the endpoint table.
 */
import type { Styler } from '../render/color.js';
import { renderTable } from '../render/table.js';
import type { NodeAttributes } from '../protocols/opcua/attributes.js';
import { inspectCertificate, splitDerChain } from '../protocols/opcua/certificates.js';
import type { CrawlResult } from '../protocols/opcua/crawler.js';
import type { EndpointInfo } from '../protocols/opcua/endpoints.js';
import { toJsonTree, type ExportFilter } from '../protocols/opcua/export.js';
import type { BrowseCommandOptions } from './options.js';

export interface ExportContext {
  url: string;
  root: string;
  rootPath: string | undefined;
  security: string;
}

/** The body of an iiot.browse/1 document. */
export function browseJson(
  o: BrowseCommandOptions,
  result: CrawlResult,
  filter: ExportFilter,
  attributes: Map<string, NodeAttributes> | undefined,
  ctx: ExportContext,
): Record<string, unknown> {
  return {
    endpoint: ctx.url,
    security: ctx.security,
    root: { nodeId: ctx.root, path: ctx.rootPath ?? null },
    complete: result.complete,
    ...(result.complete ? {} : { partialReason: result.partialReason ?? 'stopped early' }),
    depth: Number.isFinite(o.depth) ? o.depth : null,
    nodeCount: result.nodes.length,
    stats: roundStats(result.stats),
    limits: result.limits,
    namespaces: result.namespaces,
    problems: result.problems,
    nodes: toJsonTree(result, filter, attributes),
  };
}

const id = (s: string) => s;
/** A file gets no colour. */
export const noStyle = { enabled: false, bold: id, dim: id, red: id, green: id, yellow: id, blue: id, cyan: id, magenta: id };

function roundStats(stats: CrawlResult['stats']): CrawlResult['stats'] {
  return { ...stats, durationMs: Math.round(stats.durationMs) };
}

/** The endpoint table, with the server's name before it and its certificate after: blocks for out(). */
export function renderEndpoints(endpoints: EndpointInfo[], style: Styler): string[] {
  const blocks: string[] = [];
  const server = endpoints[0]?.server;
  if (server)
    blocks.push(
      `${server.applicationName}  ${style.dim(server.applicationUri)}${server.productUri ? `  product ${server.productUri}` : ''}`,
    );
  blocks.push(
    renderTable(endpoints, [
      { header: 'mode', value: (e) => e.securityMode },
      { header: 'policy', value: (e) => e.securityPolicy },
      { header: 'level', value: (e) => String(e.securityLevel), align: 'right' },
      {
        header: 'identities',
        value: (e) =>
          e.userTokens
            .map((t) => t.type + (t.type === 'UserName' && t.securityPolicy && t.securityPolicy !== 'None' ? ` (${t.securityPolicy})` : ''))
            .join(', '),
      },
      { header: 'endpoint URL', value: (e) => e.endpointUrl },
    ]),
  );
  const der = endpoints.find((e) => e.serverCertificate)?.serverCertificate;
  if (der) {
    const c = inspectCertificate(splitDerChain(der)[0]!);
    blocks.push(
      `\nserver certificate: "${c.commonName}"${c.applicationUri ? ` ${c.applicationUri}` : ''}, ${c.keyType}, ${c.signatureAlgorithm}, valid ${c.notBefore.toISOString().slice(0, 10)} to ${c.notAfter.toISOString().slice(0, 10)}`,
    );
    blocks.push(`  SHA-1   ${c.sha1}\n  SHA-256 ${c.sha256}`);
  }
  return blocks;
}

export function endpointJson(e: EndpointInfo): Record<string, unknown> {
  let certificate: Record<string, unknown> | null = null;
  if (e.serverCertificate) {
    try {
      const c = inspectCertificate(splitDerChain(e.serverCertificate)[0]!);
      certificate = {
        subject: c.subject,
        applicationUri: c.applicationUri ?? null,
        sha1: c.sha1,
        sha256: c.sha256,
        notBefore: c.notBefore.toISOString(),
        notAfter: c.notAfter.toISOString(),
        keyType: c.keyType,
        signatureAlgorithm: c.signatureAlgorithm,
        selfSigned: c.selfSigned,
      };
    } catch {
      certificate = { unreadable: true };
    }
  }
  return {
    endpointUrl: e.endpointUrl,
    securityMode: e.securityMode,
    securityPolicy: e.securityPolicy,
    securityLevel: e.securityLevel,
    userTokens: e.userTokens,
    server: e.server,
    certificate,
  };
}
