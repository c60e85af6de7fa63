/**
 * The rules of `iiot check security` (one catalogue, src/protocols/security-rules.ts), and which
 * of them apply to a target: its protocol's (the registry says which prefix), of its transport.
 */
import type { Target } from '../../core/targets.js';
import { securityFactory } from '../../protocols/registry.js';
import { RULES, type Rule } from '../../protocols/security-rules.js';

export * from '../../protocols/security-rules.js';

/** A target reached over TLS (mqtts://). */
export function usesTls(t: Target): boolean {
  return 'tls' in t && t.tls;
}

/** The rules a target is judged by (opt-in rules included): those of its protocol, for its transport. */
export function rulesApplying(t: Target): Rule[] {
  const prefix = securityFactory(t)?.rules;
  if (prefix === undefined) return [];
  const tls = usesTls(t);
  return RULES.filter((r) => r.protocol === prefix && (r.transport === undefined || (r.transport === 'tls') === tls));
}
