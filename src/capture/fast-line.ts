import { timeMsAt } from './iso-time.js';
import type { SampleLine } from './types.js';

/**
 * The reader's fast path. Nearly every line of a capture is a numeric sample written by our
 * writer, in exactly the form `{"t":"...","tag":"...","v":<number>}`; recognising that form by
 * hand is about twice as fast as JSON.parse. Anything else (other fields, escapes, other value
 * types, odd spacing) returns undefined and goes through JSON.parse, so the result is always what
 * JSON.parse would give.
 */

const T_OPEN = '{"t":"';
const TAG_OPEN = '","tag":"';
const V_OPEN = '","v":';
const codes = (text: string) => Array.from(text, (c) => c.charCodeAt(0));
const T_CODES = codes(T_OPEN);
const TAG_CODES = codes(TAG_OPEN);
const V_CODES = codes(V_OPEN);

/** s has `expected` at i; character codes, because startsWith with a position is not inlined. */
function at(s: string, i: number, expected: readonly number[]): boolean {
  for (let k = 0; k < expected.length; k++) if (s.charCodeAt(i + k) !== expected[k]) return false;
  return true;
}

const POW10 = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * The JSON number on s[a..b) (RFC 8259 grammar: Number() alone accepts "0x1F", "Infinity", " 1"),
 * or NaN when it is not one. Up to 15 significant digits without an exponent the value is computed
 * here (an integer below 2^53 divided by a power of ten is correctly rounded); otherwise the
 * validated text goes to the engine.
 */
function jsonNumber(s: string, a: number, b: number): number {
  let i = a;
  if (i >= b) return NaN;
  let c = s.charCodeAt(i);
  const negative = c === 45;
  if (negative) {
    i++;
    if (i >= b) return NaN;
    c = s.charCodeAt(i);
  }
  let mantissa = 0;
  let digits = 0;
  if (c === 48) {
    i++;
  } else if (c >= 49 && c <= 57) {
    for (; i < b && (c = s.charCodeAt(i)) >= 48 && c <= 57; i++) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    }
  } else {
    return NaN;
  }
  let decimals = 0;
  if (i < b && s.charCodeAt(i) === 46) {
    i++;
    const d = i;
    for (; i < b && (c = s.charCodeAt(i)) >= 48 && c <= 57; i++) {
      mantissa = mantissa * 10 + (c - 48);
      digits++;
    }
    decimals = i - d;
    if (decimals === 0) return NaN;
  }
  let exponent = false;
  if (i < b && ((c = s.charCodeAt(i)) === 101 || c === 69)) {
    exponent = true;
    i++;
    c = s.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const d = i;
    while (i < b && (c = s.charCodeAt(i)) >= 48 && c <= 57) i++;
    if (i === d) return NaN;
  }
  if (i !== b) return NaN;
  if (exponent || digits > 15) return +s.slice(a, b);
  const v = decimals === 0 ? mantissa : mantissa / POW10[decimals]!;
  return negative ? -v : v;
}

/** True when s[a..b) holds no backslash and no control character (which JSON forbids raw). */
function isPlainString(s: string, a: number, b: number): boolean {
  for (let i = a; i < b; i++) {
    const c = s.charCodeAt(i);
    if (c === 92 || c < 32) return false;
  }
  return true;
}

/** The sample on s[a..b) (one line, no newline), or undefined when it is not in the common form. */
export function parseCommonSample(s: string, a: number, b: number): SampleLine | undefined {
  // 44: the shortest line of this form, {"t":"<20-char time>","tag":"a","v":0}
  if (b - a < 44 || !at(s, a, T_CODES)) return undefined;
  const tStart = a + T_OPEN.length;
  const tEnd = s.indexOf('"', tStart);
  if (tEnd < 0 || tEnd >= b || !at(s, tEnd, TAG_CODES)) return undefined;
  const tagStart = tEnd + TAG_OPEN.length;
  const tagEnd = s.indexOf('"', tagStart);
  if (tagEnd < 0 || tagEnd >= b || tagEnd === tagStart || !at(s, tagEnd, V_CODES)) return undefined;
  if (s.charCodeAt(b - 1) !== 125) return undefined;
  const v = jsonNumber(s, tagEnd + V_OPEN.length, b - 1);
  if (Number.isNaN(v)) return undefined;
  if (!isPlainString(s, tagStart, tagEnd)) return undefined;
  // timeMsAt refuses backslashes and control characters, so t needs no separate check
  if (Number.isNaN(timeMsAt(s, tStart, tEnd))) return undefined;
  return { t: s.slice(tStart, tEnd), tag: s.slice(tagStart, tagEnd), v };
}
