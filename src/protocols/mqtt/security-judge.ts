/**
 * MQTT's judgement: what the broker audit found (security-audit.ts) -> findings of the "mqtt-"
 * rules (../security-rules.ts). Pure functions (a clock passed in).
 */
import { finding, judgeCertificate, type CheckFinding } from '../security-judge.js';
import type { MqttAuditFacts } from './security-audit.js';

export interface MqttJudgeOptions {
  now: number;
  expiryWarningMs: number;
  host: string;
  tls: boolean;
  /** a mqtts:// target on the same host was checked too */
  tlsSiblingChecked: boolean;
}

export function judgeMqtt(target: string, f: MqttAuditFacts, o: MqttJudgeOptions): CheckFinding[] {
  const out: CheckFinding[] = [];
  if (!o.tls) {
    out.push(finding('mqtt-plaintext', target, `${target} accepts MQTT connections without TLS`));
    if (!o.tlsSiblingChecked) out.push(finding('mqtt-no-tls', target, `no mqtts:// listener on ${o.host} was among the targets checked`));
  }
  if (f.anonymous.accepted)
    out.push(
      finding('mqtt-anonymous', target, 'a CONNECT without user name and password was accepted (CONNACK 0); iiot disconnected at once'),
    );
  for (const s of f.subscriptions) {
    if (!s.granted) continue;
    const who = s.as === 'anonymous' ? 'an anonymous client' : 'the given user';
    const seen = `${s.topics} topic${s.topics === 1 ? '' : 's'} in ${(s.listenedMs / 1000).toFixed(1)} s${s.examples.length ? `, e.g. ${s.examples.join(', ')}` : ''} (payloads not kept)`;
    const data = { filter: s.filter, topics: s.topics, messages: s.messages, examples: s.examples, as: s.as };
    if (s.filter === '$SYS/#') out.push(finding('mqtt-sys-readable', target, `${who} may subscribe to $SYS/#: ${seen}`, data));
    if (s.filter === '#')
      out.push(
        finding(
          s.as === 'anonymous' ? 'mqtt-wildcard-subscribe' : 'mqtt-user-wildcard-subscribe',
          target,
          `${who} may subscribe to #: ${seen}`,
          data,
        ),
      );
  }
  if (f.tls) {
    const t = f.tls;
    if (t.protocol === 'TLSv1' || t.protocol === 'TLSv1.1' || t.protocol === 'SSLv3')
      out.push(
        finding('mqtt-tls-old-protocol', target, `negotiated ${t.protocol} (${t.cipher ?? 'cipher unknown'})`, { protocol: t.protocol }),
      );
    const leaf = t.chain[0];
    if (leaf) {
      out.push(...judgeCertificate('mqtt-tls', target, leaf, { now: o.now, expiryWarningMs: o.expiryWarningMs, host: o.host }));
      if (t.authorizationError !== undefined) {
        out.push(
          finding('mqtt-tls-untrusted', target, `the certificate chain does not verify: ${t.authorizationError}`, {
            authorizationError: t.authorizationError,
          }),
        );
      }
    }
  }
  return out;
}
