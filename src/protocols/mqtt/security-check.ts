/**
 * `iiot check security` on one MQTT broker: anonymous (and the given user's) CONNECT, TLS, and
 * with --mqtt-sys / --mqtt-wildcard what a client may subscribe to; the facts judged into findings
 * (security-judge.ts).
 */
import type { MqttTarget } from '../../core/targets.js';
import type { SecurityAssessment, SecurityContext, SecuritySettings } from '../protocol.js';
import { auditMqtt } from './security-audit.js';
import { judgeMqtt } from './security-judge.js';

export async function assessMqtt(target: MqttTarget, o: SecuritySettings, ctx: SecurityContext, base: SecurityAssessment): Promise<void> {
  const f = await auditMqtt(target, {
    timeoutMs: o.timeoutMs,
    ca: ctx.ca,
    username: ctx.credentials?.username,
    password: ctx.credentials?.password,
    sys: o.mqttSys,
    wildcard: o.mqttWildcard,
    listenMs: o.listenMs,
    pace: ctx.pace,
    onPacket: (name, detail) => ctx.audit(name, detail),
  });
  base.findings.push(
    ...judgeMqtt(target.url, f, {
      now: ctx.now,
      expiryWarningMs: o.certExpiryMs,
      host: target.host,
      tls: target.tls,
      tlsSiblingChecked: ctx.tlsOnSameHost,
    }),
  );
  base.facts = {
    anonymous: f.anonymous.accepted ? 'accepted' : `refused (${f.anonymous.reason})`,
    ...(f.user ? { user: f.user.accepted ? 'accepted' : `refused (${f.user.reason})` } : {}),
    ...(f.tls
      ? {
          tls: {
            protocol: f.tls.protocol,
            cipher: f.tls.cipher,
            trusted: f.tls.authorizationError === undefined,
            authorizationError: f.tls.authorizationError ?? null,
          },
        }
      : {}),
    subscriptions: f.subscriptions.map((s) => ({ filter: s.filter, granted: s.granted, topics: s.topics, as: s.as })),
  };
  if ((o.mqttSys || o.mqttWildcard) && f.subscriptions.length === 0) {
    if (f.user && !f.user.accepted) {
      base.status = 'partial';
      base.reason = `--mqtt-sys/--mqtt-wildcard: not tried, the broker refused anonymous access and ${ctx.credentials?.describe ?? 'the given user'} (${f.user.reason ?? 'refused'})`;
      base.rulesEvaluated = base.rulesEvaluated.filter(
        (id) => id !== 'mqtt-sys-readable' && id !== 'mqtt-wildcard-subscribe' && id !== 'mqtt-user-wildcard-subscribe',
      );
    } else {
      // An anonymous client cannot subscribe at all: that is the answer for an outsider.
      base.facts.subscriptionsNote = 'not tried: anonymous access is refused; give --user to check what a user may subscribe to';
    }
  }
}
