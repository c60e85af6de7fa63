/**
 * A bare TCP port (tcp://host:port), as the registry (../registry.ts) knows it: it speaks no
 * protocol iiot knows, so the only thing to do with it is to time its connections
 * (`iiot check latency`).
 */
import type { TcpTarget } from '../../core/targets.js';
import type { LatencyFactory, ProtocolEntry } from '../protocol.js';

const latency: LatencyFactory<TcpTarget> = {
  connectIsRoundTrip: true,
  plans: async () => [],
};

export const tcp = {
  name: 'tcp',
  title: 'TCP',
  schemes: [{ scheme: 'tcp', kind: 'tcp' }],
  latency,
  notAudited: { tcp: 'tcp:// targets are for `iiot check latency` only' },
} as const satisfies ProtocolEntry;
