/**
 * OPC UA latency: session set-up (GetEndpoints, secure channel, CreateSession + ActivateSession,
 * each timed by session.ts), then the round trip of a Read of Server_ServerStatus_CurrentTime
 * (i=2258) on that session. The value read is the server's clock, so each sample also gives the
 * clock offset the NTP way: offset = server time − (local send time + round trip / 2), uncertain by
 * ± round trip / 2 plus the server's own resolution (some servers refresh CurrentTime only once a
 * second, which shows as a sawtooth of up to 1 s in the offsets).
 */
import type { OpcUaConnectOptions } from './flags.js';
import type { LatencyProbe } from '../types.js';
import { withDeadline } from './deadline.js';
import { loadClient } from './load.js';
import type { Pki } from './pki.js';
import { openSession, type OpcUaSession, type SessionIO } from './session.js';

export const CURRENT_TIME_NODE = 'i=2258';

export interface OpcUaLatencyOptions {
  connect: OpcUaConnectOptions;
  pki: Pki;
  io: SessionIO;
  /** each service request sent on the session (for --audit-log) */
  onRequest?: ((name: string) => void) | undefined;
}

export function opcuaLatencyProbe(o: OpcUaLatencyOptions): LatencyProbe {
  let s: OpcUaSession | undefined;
  let attributeValue = 13;
  return {
    async open() {
      const m = await loadClient(o.io.debug);
      attributeValue = m.AttributeIds.Value;
      o.onRequest?.('GetEndpoints, OpenSecureChannel, CreateSession, ActivateSession');
      s = await openSession({ connect: o.connect, pki: o.pki, io: o.io, sessionName: 'iiot check latency' });
      if (o.onRequest) s.client.on('send_request', (req: { schema?: { name?: string } }) => o.onRequest!(req.schema?.name ?? 'request'));
      const t = s.timings;
      return {
        setupMs: t.channelMs + t.sessionMs,
        details: {
          endpointsMs: t.endpointsMs,
          channelMs: t.channelMs,
          sessionMs: t.sessionMs,
          securityMode: s.endpoint.securityMode,
          securityPolicy: s.endpoint.securityPolicy,
          identity: s.identity,
        },
      };
    },
    async roundTrip() {
      const session = s!;
      const lost = session.lost();
      if (lost !== undefined) throw new Error(lost);
      const wall0 = Date.now();
      const t0 = performance.now();
      const dv = await withDeadline(
        session.session.read({ nodeId: CURRENT_TIME_NODE, attributeId: attributeValue }),
        session.timeoutMs,
        () => undefined,
        `${session.url} did not answer a Read within`,
      );
      const ms = performance.now() - t0;
      const v = dv.value?.value as unknown;
      if (!dv.statusCode.isGood() || !(v instanceof Date)) return { ms, details: { status: dv.statusCode.name } };
      const offsetMs = v.getTime() - (wall0 + ms / 2);
      return { ms, details: { offsetMs } };
    },
    async close() {
      const session = s;
      s = undefined;
      await session?.close();
    },
  };
}
