/**
 * `iiot browse`: the endpoints of a server, a tree to a chosen depth, a full crawl exported as
 * JSON, CSV or a tag list, or the interactive browser; with --inventory, every OPC UA server of
 * an inventory in turn (runBrowseServers). Options arrive parsed (options.ts); what is printed
 * is shaped in render.ts.
 */
import { createWriteStream, existsSync } from 'node:fs';
import { once } from 'node:events';
import { IiotError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { emitJson, info, out, warn, type IO } from '../core/io.js';
import { stageFile, writeFileSafely, type StagedFile } from '../core/output-file.js';
import { formatDuration } from '../core/units.js';
import { progressLine } from '../render/progress-line.js';
import { readAttributes, type NodeAttributes } from '../protocols/opcua/attributes.js';
import { pathOf, resolveNode } from '../protocols/opcua/browse-path.js';
import { interruptible, pkiFor, sessionIO } from '../protocols/opcua/session-io.js';
import { crawl, type CrawlResult } from '../protocols/opcua/crawler.js';
import { getEndpoints } from '../protocols/opcua/endpoints.js';
import { browsePaths, csvLines, makeMatcher, renderTree, toTagList, type ExportFilter } from '../protocols/opcua/export.js';
import { parseNodeRef } from '../protocols/opcua/node-ref.js';
import { openSession } from '../protocols/opcua/session.js';
import { formatTagList } from '../protocols/opcua/tag-list.js';
import type { BrowseCommandOptions, BrowseRequest, InventoryContext, InventoryServer } from './options.js';
import { browseJson, endpointJson, noStyle, renderEndpoints, type ExportContext } from './render.js';

/** One server of several (--inventory): its output goes under a heading, JSON to the caller. */
interface OneOfMany {
  /** a line before the server's tree or endpoint table */
  heading: string;
  /** -o: add to the file the servers before this one wrote */
  append: boolean;
  /** -o: the file being written for all of them (renamed into place at the end) */
  file?: string | undefined;
  /** JSON documents go here instead of stdout or -o */
  collect?: ((schema: string, body: Record<string, unknown>) => void) | undefined;
}

/** `iiot browse`, as options.ts parsed it: one server, or every OPC UA server of an inventory. */
export async function run(io: IO, request: BrowseRequest): Promise<number> {
  if (request.kind === 'inventory') return runBrowseServers(io, request.servers, request.inventory);
  const from = request.inventory;
  if (from) {
    // one server and a format of one server (tag list, CSV, interactive): as if it were named
    for (const n of from.context.notes) info(io, n);
    if (from.context.incomplete)
      warn(io, `${from.context.file}: the inventory is partial (${from.context.incomplete.join('; ')}): servers may be missing from it`);
    info(io, `${from.context.file}: browsing ${from.server.name} (${from.server.options.connect.target.url}, ${from.server.where})`);
  }
  return runBrowse(io, request.options);
}

export async function runBrowse(io: IO, o: BrowseCommandOptions, many?: OneOfMany): Promise<number> {
  const sio = sessionIO(io);
  const url = o.connect.target.url;
  // A malformed node id or browse path is refused before any connection.
  if (o.node !== undefined) parseNodeRef(o.node);
  if (o.endpoints) return showEndpoints(io, url, o.connect.timeoutMs, many);
  if (o.interactive) {
    const { runInteractiveBrowser } = await import('./interactive/run.js');
    return runInteractiveBrowser(io, o);
  }

  if (o.nodeset2 && o.output !== undefined)
    (await import('../protocols/opcua/nodeset2/output-file.js')).refuseExisting(o.output, o.nodeset2.force);
  const s = await openSession({ connect: o.connect, pki: pkiFor(io), io: sio });
  try {
    if (o.nodeset2) {
      const { exportNodeSet2 } = await import('../protocols/opcua/nodeset2/export-run.js');
      return await exportNodeSet2(
        io,
        s,
        { ...o.nodeset2, output: o.output, maxInFlight: o.maxInFlight, maxReferencesPerNode: o.maxReferencesPerNode },
        progressLine(io),
      ).catch((err: unknown) => {
        throw err instanceof IiotError ? err : s.explain(err, 'browse');
      });
    }
    const nodeText = o.node ?? (o.all ? 'i=84' : 'i=85');
    let root: string;
    try {
      root = (await resolveNode(s.session, nodeText)).nodeId;
    } catch (err) {
      throw err instanceof IiotError ? err : s.explain(err, 'browse');
    }
    const rootPath = root === 'i=84' ? '/' : await pathOf(s.session, root).catch(() => undefined);
    const progress = progressLine(io);
    const t0 = performance.now();
    const { value: result, interrupted } = await interruptible((signal) =>
      crawl(s.session, {
        roots: [root],
        maxDepth: o.depth,
        maxInFlight: o.maxInFlight,
        maxReferencesPerNode: o.maxReferencesPerNode,
        connectionLost: () => s.lost() !== undefined,
        signal,
        onProgress: (p) =>
          progress.update(`browsing ${url}: ${p.nodes.toLocaleString('en-US')} nodes, depth ${p.depth}, ${p.requests} requests`),
      }).catch((err: unknown) => {
        throw err instanceof IiotError ? err : s.explain(err, 'browse');
      }),
    );
    progress.done();
    const filter: ExportFilter = { classes: o.classes, name: o.name };
    const paths = browsePaths(result, new Map(rootPath !== undefined ? [[0, rootPath]] : []));
    const stopped = result.complete
      ? undefined
      : interrupted
        ? 'interrupted'
        : (s.lost() ?? result.partialReason ?? 'the crawl stopped early');
    if (stopped !== undefined) {
      result.partialReason = stopped;
    }

    let attributes: Map<string, NodeAttributes> | undefined;
    if (o.attributes && result.complete) {
      const match = makeMatcher(filter);
      const ids = result.nodes.filter(match).map((n) => n.nodeId);
      attributes = new Map(
        (await readAttributes(s.session, ids, result.limits).catch((err: unknown) => Promise.reject(s.explain(err, 'read')))).map((a) => [
          a.nodeId,
          a,
        ]),
      );
    }

    if (o.tagsFile !== undefined) {
      const list = toTagList(result, paths, filter, url);
      if (list.tags.length === 0) {
        warn(io, `no variables matched: ${o.tagsFile} not written`);
      } else {
        writeFileSafely(o.tagsFile, formatTagList(list), { force: o.force });
        info(
          io,
          `wrote ${list.tags.length} tag${list.tags.length === 1 ? '' : 's'} to ${o.tagsFile}${result.complete ? '' : ' (PARTIAL)'}`,
        );
      }
    }

    await writeExport(
      io,
      o,
      result,
      paths,
      filter,
      attributes,
      { url, root, rootPath, security: `${s.endpoint.securityMode}/${s.endpoint.securityPolicy}` },
      many,
    );

    const variables = result.nodes.filter((n) => n.nodeClass === 'Variable').length;
    info(
      io,
      `${many ? `${url}: ` : ''}${result.nodes.length.toLocaleString('en-US')} nodes (${variables.toLocaleString('en-US')} variables) in ${formatDuration(performance.now() - t0)}, ` +
        `${result.stats.requests} requests, ${s.endpoint.securityMode}/${s.endpoint.securityPolicy}, ${s.identity}`,
    );
    for (const p of result.problems.slice(0, 5)) warn(io, `${p.nodeId}: ${p.status}`);
    if (result.problems.length > 5) warn(io, `... and ${result.problems.length - 5} more nodes that could not be browsed`);
    if (stopped !== undefined) {
      if (interrupted) {
        warn(io, `interrupted after ${result.nodes.length} nodes: the output is partial`);
        return 130;
      }
      throw new IiotError(ExitCode.Unreachable, `the crawl stopped after ${result.nodes.length} nodes: ${stopped}`, {
        hint: 'the output above is partial (marked as such); run the command again when the server is back',
      });
    }
    return ExitCode.Ok;
  } finally {
    await s.close();
  }
}

async function writeExport(
  io: IO,
  o: BrowseCommandOptions,
  result: CrawlResult,
  paths: string[],
  filter: ExportFilter,
  attributes: Map<string, NodeAttributes> | undefined,
  ctx: ExportContext,
  many?: OneOfMany,
): Promise<void> {
  const json = o.format === 'json' || io.json;
  const toFile = o.output !== undefined && !(json && many?.collect);
  // one server: written aside and renamed into place at the end; several: the caller's staged file
  const stage: StagedFile | undefined = toFile && many?.file === undefined ? stageFile(o.output!, { force: o.force }) : undefined;
  const target = toFile ? createWriteStream(stage?.tmp ?? many?.file ?? o.output!, { flags: many?.append ? 'a' : 'w' }) : undefined;
  let failed = true;
  const write = (text: string) => (target ? target.write(text) : io.stdout.write(text));
  try {
    if (json) {
      const body = browseJson(o, result, filter, attributes, ctx);
      if (many?.collect) many.collect('iiot.browse/1', body);
      else if (target) write(`${JSON.stringify({ schema: 'iiot.browse/1', ...body }, null, 2)}\n`);
      else emitJson(io, 'iiot.browse/1', body);
    } else if (o.format === 'csv') {
      for (const line of csvLines(result, paths, filter)) {
        const ok = write(`${line}\n`);
        if (!ok) await once(target ?? io.stdout, 'drain');
      }
    } else if (!(o.tagsFile !== undefined && o.all && target === undefined)) {
      // (a full crawl written as a tag list does not also pour its tree onto the terminal)
      if (many) write(`${many.append ? '\n' : ''}${target ? many.heading : io.style.bold(many.heading)}\n`);
      const tree = renderTree(result, filter, { style: target ? noStyle : io.style, attributes, maxLines: target ? undefined : 50_000 });
      if (tree.text) write(`${tree.text}\n`);
      if (tree.cut) warn(io, `${tree.cut} more lines not shown; use --csv, --json or -o FILE for the whole tree`);
      if (!result.complete) write(`# PARTIAL: ${result.partialReason ?? 'the crawl stopped early'}\n`);
    }
    failed = false;
  } finally {
    if (target) {
      target.end();
      await once(target, 'close');
    }
    if (failed) stage?.discard();
    else stage?.commit();
  }
}

async function showEndpoints(io: IO, url: string, timeoutMs: number, many?: OneOfMany): Promise<number> {
  sessionIO(io);
  const endpoints = await getEndpoints(url, { timeoutMs });
  if (io.json) {
    const body = { endpoint: url, endpoints: endpoints.map(endpointJson) };
    if (many?.collect) many.collect('iiot.browse.endpoints/1', body);
    else emitJson(io, 'iiot.browse.endpoints/1', body);
    return ExitCode.Ok;
  }
  if (many) out(io, `${many.append ? '\n' : ''}${io.style.bold(many.heading)}`);
  for (const block of renderEndpoints(endpoints, io.style)) out(io, block);
  return ExitCode.Ok;
}

/**
 * `iiot browse --inventory FILE`: every OPC UA server of the inventory in turn, each under a
 * heading (its name, URL and inventory line). A server that fails (unreachable, certificate not
 * trusted, no such node) is reported in one line with its hint and the others are still browsed;
 * the exit code is then the highest of theirs. Ctrl-C stops at the server being browsed (130).
 * With --json (or -o with --json): one `iiot.browse.inventory/1` document holding each server's
 * own document or error.
 */
export async function runBrowseServers(io: IO, servers: readonly InventoryServer[], inv: InventoryContext): Promise<number> {
  for (const n of inv.notes) info(io, n);
  if (inv.incomplete) warn(io, `${inv.file}: the inventory is partial (${inv.incomplete.join('; ')}): servers may be missing from it`);
  const first = servers[0]!.options;
  const json = io.json || first.format === 'json';
  const results: Array<Record<string, unknown>> = [];
  let code: number = ExitCode.Ok;
  let browsed = 0;
  // -o without --json: every server's export goes into one file, renamed into place at the end
  const stage = first.output !== undefined && !json ? stageFile(first.output, { force: first.force }) : undefined;
  try {
    for (const [i, s] of servers.entries()) {
      const url = s.options.connect.target.url;
      let doc: Record<string, unknown> | undefined;
      const entry = { endpoint: url, name: s.name, inventory: s.where };
      try {
        const r = await runBrowse(io, s.options, {
          heading: `${s.name}  ${url}  (${s.where})`,
          append: i > 0,
          file: stage?.tmp,
          collect: json ? (schema, body) => (doc = { schema, ...body }) : undefined,
        });
        if (json) results.push({ ...entry, ...(doc ? { result: doc } : {}) });
        if (r === 130) {
          code = 130;
          break;
        }
        if (r === ExitCode.Ok) browsed++;
        code = Math.max(code, r);
      } catch (err) {
        if (!(err instanceof IiotError)) throw err;
        const message = err.message.includes(url) ? err.message : `${url}: ${err.message}`;
        io.stderr.write(`iiot: error: ${message}\n`);
        if (err.hint) io.stderr.write(`  hint: ${err.hint}\n`);
        if (json)
          results.push({
            ...entry,
            ...(doc ? { result: doc } : {}),
            error: { exitCode: err.exitCode, message, ...(err.hint ? { hint: err.hint } : {}) },
          });
        code = Math.max(code, err.exitCode);
      }
    }
  } catch (err) {
    stage?.discard();
    throw err;
  }
  if (stage) {
    if (existsSync(stage.tmp)) stage.commit();
    else stage.discard();
  }
  if (json) {
    const body = { inventory: inv.file, complete: code === ExitCode.Ok && results.length === servers.length, servers: results };
    if (first.output !== undefined)
      writeFileSafely(first.output, `${JSON.stringify({ schema: 'iiot.browse.inventory/1', ...body }, null, 2)}\n`, { force: first.force });
    else emitJson(io, 'iiot.browse.inventory/1', body);
  }
  info(io, `browsed ${browsed} of ${servers.length} OPC UA server${servers.length === 1 ? '' : 's'} of ${inv.file}`);
  return code;
}
