/**
 * A small JSON Schema (draft-04) validator, enough for the official SARIF 2.1.0 schema: $ref to
 * local definitions, type (one or several), properties, additionalProperties (boolean or schema),
 * required, items, minItems, uniqueItems, enum, minimum, maximum, pattern, anyOf, oneOf, and the
 * formats uri, uri-reference and date-time. Unknown keywords (description, default, title, id)
 * are ignored, as the specification says. Returns every error with its JSON path.
 */

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Schema = Record<string, unknown>;

const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/;
// RFC 3986 characters only (unreserved, reserved, percent-encoding); no spaces, no brackets outside a host.
const URI_REFERENCE = /^([A-Za-z0-9\-._~:/?#@!$&'()*+,;=]|%[0-9A-Fa-f]{2}|\[[0-9A-Fa-f:.]+\])*$/;

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

function typeMatches(v: unknown, t: string): boolean {
  const actual = typeOf(v);
  return actual === t || (t === 'number' && actual === 'integer');
}

function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

export function validate(root: Schema, doc: unknown): string[] {
  const errors: string[] = [];
  const resolve = (ref: string): Schema => {
    if (!ref.startsWith('#/')) throw new Error(`unsupported $ref ${ref}`);
    let cur: unknown = root;
    for (const part of ref.slice(2).split('/')) cur = (cur as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (!cur) throw new Error(`unresolved $ref ${ref}`);
    return cur as Schema;
  };
  const check = (schema: Schema, v: unknown, path: string, out: string[]): void => {
    if (typeof schema.$ref === 'string') {
      // draft-04: $ref replaces the schema it sits in
      check(resolve(schema.$ref), v, path, out);
      return;
    }
    if (schema.type !== undefined) {
      const types = Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
      if (!types.some((t) => typeMatches(v, t))) {
        out.push(`${path}: is ${typeOf(v)}, not ${types.join(' or ')}`);
        return;
      }
    }
    if (Array.isArray(schema.enum) && !schema.enum.some((e) => canonical(e) === canonical(v)))
      out.push(`${path}: ${JSON.stringify(v)} is not one of ${JSON.stringify(schema.enum)}`);
    if (typeof v === 'number') {
      if (typeof schema.minimum === 'number' && v < schema.minimum) out.push(`${path}: ${v} < minimum ${schema.minimum}`);
      if (typeof schema.maximum === 'number' && v > schema.maximum) out.push(`${path}: ${v} > maximum ${schema.maximum}`);
    }
    if (typeof v === 'string') {
      if (typeof schema.pattern === 'string' && !new RegExp(schema.pattern, 'u').test(v))
        out.push(`${path}: "${v}" does not match ${schema.pattern}`);
      if (schema.format === 'date-time' && !(DATE_TIME.test(v) && !Number.isNaN(Date.parse(v))))
        out.push(`${path}: "${v}" is not a date-time`);
      if (schema.format === 'uri' && !URI.test(v)) out.push(`${path}: "${v}" is not an absolute URI`);
      if (schema.format === 'uri-reference' && !URI_REFERENCE.test(v)) out.push(`${path}: "${v}" is not a URI reference`);
    }
    if (Array.isArray(v)) {
      if (typeof schema.minItems === 'number' && v.length < schema.minItems)
        out.push(`${path}: ${v.length} items < minItems ${schema.minItems}`);
      if (schema.uniqueItems === true && new Set(v.map(canonical)).size !== v.length) out.push(`${path}: items are not unique`);
      if (schema.items && typeof schema.items === 'object' && !Array.isArray(schema.items))
        v.forEach((x, i) => check(schema.items as Schema, x, `${path}[${i}]`, out));
    }
    if (v && typeof v === 'object' && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      const props = (schema.properties ?? {}) as Record<string, Schema>;
      for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) out.push(`${path}: missing required "${r}"`);
      for (const [k, x] of Object.entries(obj)) {
        if (props[k]) check(props[k]!, x, `${path}.${k}`, out);
        else if (schema.additionalProperties === false) out.push(`${path}: unexpected property "${k}"`);
        else if (schema.additionalProperties && typeof schema.additionalProperties === 'object')
          check(schema.additionalProperties as Schema, x, `${path}.${k}`, out);
      }
    }
    if (Array.isArray(schema.anyOf)) {
      const ok = (schema.anyOf as Schema[]).some((s) => {
        const e: string[] = [];
        check(s, v, path, e);
        return e.length === 0;
      });
      if (!ok) out.push(`${path}: matches none of anyOf`);
    }
    if (Array.isArray(schema.oneOf)) {
      const n = (schema.oneOf as Schema[]).filter((s) => {
        const e: string[] = [];
        check(s, v, path, e);
        return e.length === 0;
      }).length;
      if (n !== 1) out.push(`${path}: matches ${n} of oneOf (exactly one required)`);
    }
  };
  check(root, doc as Json, '$', errors);
  return errors;
}
