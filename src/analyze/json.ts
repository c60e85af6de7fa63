/**
 * The JSON form of analysis results (docs/json-output.md, "analyze"): times become ISO 8601 UTC
 * strings as in every iiot JSON document; non-finite numbers (an open interval end) become null.
 * The analyses keep epoch milliseconds internally because they compute with them.
 */

/** Keys whose numbers are instants (epoch ms) wherever they appear in a result. */
const TIME_KEYS = new Set(['from', 'to', 'at', 'atLo', 'atHi', 'alarmAt', 'startedAt', 'first', 'last', 'stoppedSince', 't']);

function iso(ms: number): string | null {
  return Number.isFinite(ms) ? new Date(ms).toISOString() : null;
}

export function jsonTimes(value: unknown, key = ''): unknown {
  if (typeof value === 'number') {
    if (TIME_KEYS.has(key)) return iso(value);
    return Number.isFinite(value) ? value : null;
  }
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) value = Array.from(value as unknown as ArrayLike<number>);
  if (Array.isArray(value)) return value.map((v) => jsonTimes(v, key === 't' ? 't' : ''));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = jsonTimes(v, k);
    return out;
  }
  return value;
}
