/**
 * `iiot pki <action> [certificate]` -> typed options: which action, and for trust and reject the
 * certificate (a fingerprint of 8 hex digits or more, or a certificate file) it acts on.
 */

export type PkiOptions = { action: 'show' } | { action: 'list' } | { action: 'trust' | 'reject'; certificate: string };
