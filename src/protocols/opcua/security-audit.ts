/**
 * What the OPC UA security check learns from a server.
 *
 * Passive (always): GetEndpoints over an unsecured channel without a session (endpoints.ts), the
 * same request every client makes before connecting. The endpoints carry modes, policies, identity
 * tokens, SecurityLevels and the server certificate; the rules in src/checks/security judge them.
 *
 * Opt-in (`--session`), read-only: an anonymous session, as an attacker would try it, from a
 * throw-away PKI in a temp folder (a fresh application certificate nobody trusts, deleted
 * afterwards; iiot's own store is never used or changed):
 *   1. on a mode-None endpoint that offers Anonymous, if any;
 *   2. on the most secure endpoint that offers Anonymous, if any: the server must refuse our
 *      unknown certificate. For this attempt the server's certificate is accepted in the temp store
 *      only (nothing secret is sent: the session is anonymous).
 * With a session: a crawl of /Objects one request at a time, reading UserAccessLevel of variables
 * and UserExecutable of methods (what the anonymous user may write or call, judged from those
 * attributes; nothing is ever written or called), Server.Auditing, and ServerStatus.BuildInfo.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { OpcUaTarget } from '../../core/targets.js';
import { browsePath, crawl } from './crawler.js';
import { getEndpoints, UNUSABLE_POLICIES, type EndpointInfo } from './endpoints.js';
import { statusOf } from './explain.js';
import { loadClient } from './load.js';
import { Pki } from './pki.js';
import { openSession, type OpcUaSession, type SessionIO } from './session.js';

export interface OpcUaAuditIO {
  debug?: ((text: string) => void) | undefined;
  /** each service request sent (for --audit-log) */
  onRequest?: ((name: string, detail?: Record<string, unknown>) => void) | undefined;
  /** the rate cap: awaited before each connection */
  pace: () => Promise<void>;
}

export async function fetchEndpoints(
  target: OpcUaTarget,
  timeoutMs: number,
  io: OpcUaAuditIO,
): Promise<{ endpoints: EndpointInfo[]; ms: number }> {
  await io.pace();
  io.onRequest?.('GetEndpoints', { channel: 'SecurityMode None', session: false });
  const t0 = performance.now();
  const endpoints = await getEndpoints(target.url, { timeoutMs, debug: io.debug });
  return { endpoints, ms: performance.now() - t0 };
}

export interface SessionAttempt {
  securityMode: string;
  securityPolicy: string;
  accepted: boolean;
  /** why not (the server's status, e.g. BadSecurityChecksFailed, BadIdentityTokenRejected) */
  reason?: string | undefined;
}

export interface NodeRef {
  nodeId: string;
  path: string;
}

export interface BuildInfo {
  productUri?: string | undefined;
  manufacturerName?: string | undefined;
  productName?: string | undefined;
  softwareVersion?: string | undefined;
  buildNumber?: string | undefined;
  buildDate?: string | undefined;
}

export interface OpcUaSessionFacts {
  attempts: SessionAttempt[];
  /** the first attempt that got a session */
  accepted?: SessionAttempt | undefined;
  /** variables whose value the anonymous user may write (CurrentWrite) */
  writable: NodeRef[];
  /** variables whose history the anonymous user may change (HistoryWrite) */
  historyWritable: NodeRef[];
  executable: NodeRef[];
  /** variables and methods looked at */
  examined: { variables: number; methods: number; nodes: number; complete: boolean; partialReason?: string | undefined };
  auditing?: boolean | undefined;
  buildInfo?: BuildInfo | undefined;
}

/**
 * Methods every session may call by design (OPC UA Part 5: they act on the caller's own
 * subscriptions or conditions, not on the process): not findings.
 */
export const SESSION_SCOPED_METHODS: ReadonlySet<string> = new Set([
  'i=11492', // Server.GetMonitoredItems
  'i=12873', // Server.ResendData
  'i=12749', // Server.SetSubscriptionDurable
  'i=3875', // ConditionRefresh (ConditionType)
  'i=12912', // ConditionRefresh2
]);

/**
 * UserAccessLevel bits (OPC 10000-3 §5.6.2, AccessLevelType). Only CurrentWrite lets a client
 * change a value: StatusWrite and TimestampWrite say that a write of the value may also carry its
 * status and timestamps, so alone they write nothing (open62541 gives method arguments 97 =
 * CurrentRead | StatusWrite | TimestampWrite, which no client can change). HistoryWrite lets a
 * client rewrite the stored history instead: a finding of its own.
 */
const CURRENT_WRITE = 0x02;
const HISTORY_WRITE = 0x08;

export interface SessionAuditOptions {
  timeoutMs: number;
  /** stop the crawl after this many nodes (the result then says it is partial) */
  maxNodes: number;
}

function quietIO(io: OpcUaAuditIO): SessionIO {
  const sink = (t: string) => io.debug?.(t);
  return { env: {}, stdin: process.stdin as SessionIO['stdin'], stderr: process.stderr, info: sink, warn: sink, debug: io.debug };
}

/** The server's status when there is one (its ERR message, a service result), else the first line. */
function reasonOf(err: unknown): string {
  const found = statusOf(err);
  if (found) return found.status;
  const text = err instanceof Error ? err.message : String(err);
  return text.split('\n')[0] || 'refused';
}

export async function auditOpcUaSession(
  target: OpcUaTarget,
  endpoints: readonly EndpointInfo[],
  o: SessionAuditOptions,
  io: OpcUaAuditIO,
): Promise<OpcUaSessionFacts> {
  const anon = endpoints.filter(
    (e) =>
      e.userTokens.some((t) => t.type === 'Anonymous') &&
      !UNUSABLE_POLICIES.includes(e.securityPolicy) &&
      (e.transportProfileUri === '' || /uatcp/i.test(e.transportProfileUri)),
  );
  const plain = anon.find((e) => e.securityMode === 'None');
  const rank = (e: EndpointInfo) => (e.securityMode === 'SignAndEncrypt' ? 2 : e.securityMode === 'Sign' ? 1 : 0) * 1000 + e.securityLevel;
  const secured = anon.filter((e) => e.securityMode !== 'None').sort((a, b) => rank(b) - rank(a))[0];
  const facts: OpcUaSessionFacts = {
    attempts: [],
    writable: [],
    historyWritable: [],
    executable: [],
    examined: { variables: 0, methods: 0, nodes: 0, complete: true },
  };
  const dir = mkdtempSync(join(tmpdir(), 'iiot-check-pki-'));
  let session: OpcUaSession | undefined;
  try {
    for (const e of [plain, secured]) {
      if (!e) continue;
      await io.pace();
      io.onRequest?.('OpenSecureChannel, CreateSession, ActivateSession', {
        securityMode: e.securityMode,
        securityPolicy: e.securityPolicy,
        identity: 'anonymous',
        clientCertificate: e.securityMode === 'None' ? 'none sent' : 'throw-away, self-signed',
      });
      const attempt: SessionAttempt = { securityMode: e.securityMode, securityPolicy: e.securityPolicy, accepted: false };
      try {
        const s = await openSession({
          connect: {
            target,
            securityMode: e.securityMode,
            securityPolicy: e.securityPolicy === 'None' ? undefined : (e.securityPolicy as never),
            identity: { kind: 'anonymous' },
            trustOnFirstUse: true,
            timeoutMs: o.timeoutMs,
          },
          pki: new Pki(dir),
          io: quietIO(io),
          endpoints: [...endpoints],
          sessionName: 'iiot check security',
        });
        attempt.accepted = true;
        if (session === undefined) {
          session = s;
          if (io.onRequest)
            s.client.on('send_request', (req: { schema?: { name?: string } }) => io.onRequest!(req.schema?.name ?? 'request'));
        } else {
          await s.close();
        }
      } catch (err) {
        attempt.reason = reasonOf(err);
      }
      facts.attempts.push(attempt);
    }
    facts.accepted = facts.attempts.find((a) => a.accepted);
    if (session) await examine(session, o, facts);
    return facts;
  } finally {
    await session?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function examine(s: OpcUaSession, o: SessionAuditOptions, facts: OpcUaSessionFacts): Promise<void> {
  const m = await loadClient();
  const A = m.AttributeIds;
  // Auditing and build information first: two values, one request.
  try {
    const [auditing, build] = await s.session.read([
      { nodeId: 'i=2994', attributeId: A.Value },
      { nodeId: 'i=2260', attributeId: A.Value },
    ]);
    if (auditing?.statusCode.isGood() && typeof auditing.value.value === 'boolean') facts.auditing = auditing.value.value;
    const b = build?.statusCode.isGood() ? (build.value.value as Record<string, unknown> | null) : null;
    if (b) {
      const str = (x: unknown) => (typeof x === 'string' && x !== '' ? x : undefined);
      const date = b.buildDate instanceof Date && b.buildDate.getTime() > 0 ? b.buildDate.toISOString() : undefined;
      facts.buildInfo = {
        productUri: str(b.productUri),
        manufacturerName: str(b.manufacturerName),
        productName: str(b.productName),
        softwareVersion: str(b.softwareVersion),
        buildNumber: str(b.buildNumber),
        buildDate: date,
      };
    }
  } catch {
    // a server that refuses these reads: the rules say "not determined"
  }
  const result = await crawl(s.session, {
    roots: ['i=85'],
    attributes: true,
    maxInFlight: 1,
    maxNodes: o.maxNodes,
    connectionLost: () => s.lost() !== undefined,
  });
  const nodes = result.nodes;
  facts.examined = {
    variables: 0,
    methods: 0,
    nodes: nodes.length,
    complete: result.complete,
    ...(result.partialReason ? { partialReason: result.partialReason } : {}),
  };
  const methods: number[] = [];
  // Properties (EURange, EngineeringUnits...) after the variables that carry process values: the
  // evidence should name the setpoint first, not its range.
  const writableProperties: NodeRef[] = [];
  nodes.forEach((n, i) => {
    if (n.nodeClass === 'Variable') {
      facts.examined.variables++;
      if (n.userAccessLevel !== undefined && (n.userAccessLevel & CURRENT_WRITE) !== 0) {
        (n.referenceType === 'HasProperty' ? writableProperties : facts.writable).push({ nodeId: n.nodeId, path: browsePath(nodes, i) });
      }
      if (n.userAccessLevel !== undefined && (n.userAccessLevel & HISTORY_WRITE) !== 0)
        facts.historyWritable.push({ nodeId: n.nodeId, path: browsePath(nodes, i) });
    } else if (n.nodeClass === 'Method') {
      facts.examined.methods++;
      if (!SESSION_SCOPED_METHODS.has(n.nodeId)) methods.push(i);
    }
  });
  facts.writable.push(...writableProperties);
  for (let k = 0; k < methods.length; k += 100) {
    const chunk = methods.slice(k, k + 100);
    const dvs = await s.session.read(chunk.map((i) => ({ nodeId: nodes[i]!.nodeId, attributeId: A.UserExecutable })));
    chunk.forEach((i, j) => {
      if (dvs[j]?.statusCode.isGood() && dvs[j]!.value.value === true)
        facts.executable.push({ nodeId: nodes[i]!.nodeId, path: browsePath(nodes, i) });
    });
  }
}
