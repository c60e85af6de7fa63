import { usageError } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import { timeMs } from './iso-time.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureHeader, type SourceInfo, type TagInfo } from './types.js';

/*
 * Line 1 of every capture is defined by the zod schema in header-schema.ts. Reading a capture
 * checks it by hand (checkedHeader below) and loads zod, a large module for a command that starts
 * often, only to word the error of a header that fails that check. The hand check accepts only
 * what the schema accepts and returns what the schema's parse would (the same fields in the same
 * order, defaults filled in, unknown fields kept): test/capture/header.test.ts compares the two
 * on generated headers. Anything unusual (a "__proto__" field, a number zod might refuse) is left
 * to the schema.
 */

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Copies the fields of `o` not named in `known` onto `out`, as a loose zod object does; false on "__proto__". */
function copyRest(o: Obj, known: readonly string[], out: Obj): boolean {
  for (const k in o) {
    if (k === '__proto__') return false;
    if (!known.includes(k)) out[k] = o[k];
  }
  return true;
}

/** Sets out[key] from an optional string field; false when present and not a string. */
function optString(o: Obj, key: string, out: Obj): boolean {
  if (!(key in o)) return true;
  const v = o[key];
  if (typeof v !== 'string') return false;
  out[key] = v;
  return true;
}

/** A copy of a record of unknown values (z.record(z.string(), z.unknown())), or undefined. */
function record(v: unknown): Obj | undefined {
  if (!isObj(v)) return undefined;
  const out: Obj = {};
  return copyRest(v, [], out) ? out : undefined;
}

const nonEmpty = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const positiveInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 1;

const TAG_FIELDS = ['name', 'source', 'address', 'dataType', 'unit', 'range', 'description'];

function checkedTag(t: unknown): TagInfo | undefined {
  if (!isObj(t) || !nonEmpty(t.name)) return undefined;
  const out: Obj = { name: t.name };
  for (const key of ['source', 'address', 'dataType', 'unit']) if (!optString(t, key, out)) return undefined;
  if ('range' in t) {
    const r = t.range;
    if (!Array.isArray(r) || r.length !== 2 || !Number.isFinite(r[0]) || !Number.isFinite(r[1])) return undefined;
    out.range = [r[0], r[1]];
  }
  if (!optString(t, 'description', out)) return undefined;
  return copyRest(t, TAG_FIELDS, out) ? (out as TagInfo) : undefined;
}

const SOURCE_FIELDS = ['id', 'protocol', 'endpoint', 'options'];

function checkedSource(s: unknown): SourceInfo | undefined {
  if (!isObj(s) || !nonEmpty(s.id) || !nonEmpty(s.protocol)) return undefined;
  const out: Obj = { id: s.id, protocol: s.protocol };
  if (!optString(s, 'endpoint', out)) return undefined;
  if ('options' in s) {
    const options = record(s.options);
    if (options === undefined) return undefined;
    out.options = options;
  }
  return copyRest(s, SOURCE_FIELDS, out) ? (out as unknown as SourceInfo) : undefined;
}

/** Each element checked by `check`, in a new array; undefined when one fails. */
function list<T>(v: unknown, check: (x: unknown) => T | undefined): T[] | undefined {
  if (v === undefined) return [];
  if (!Array.isArray(v)) return undefined;
  const out: T[] = [];
  for (const x of v) {
    const c = check(x);
    if (c === undefined) return undefined;
    out.push(c);
  }
  return out;
}

const HEADER_FIELDS = ['type', 'format', 'version', 'created', 'tool', 'sources', 'tags', 'metadata', 'part'];

/** What headerSchema.parse(h) returns when the header is plainly valid; undefined otherwise. */
export function checkedHeader(h: Obj): CaptureHeader | undefined {
  if (h.type !== 'header' || h.format !== CAPTURE_FORMAT || !positiveInt(h.version)) return undefined;
  if (typeof h.created !== 'string' || Number.isNaN(timeMs(h.created)) || typeof h.tool !== 'string') return undefined;
  const sources = list('sources' in h ? h.sources : undefined, checkedSource);
  const tags = list('tags' in h ? h.tags : undefined, checkedTag);
  const metadata = 'metadata' in h && h.metadata !== undefined ? record(h.metadata) : {};
  if (sources === undefined || tags === undefined || metadata === undefined) return undefined;
  const out: Obj = { type: h.type, format: h.format, version: h.version, created: h.created, tool: h.tool, sources, tags, metadata };
  if ('part' in h) {
    const p = h.part;
    if (!isObj(p) || !positiveInt(p.index) || !nonEmpty(p.first)) return undefined;
    const part: Obj = { index: p.index, first: p.first };
    if (!copyRest(p, ['index', 'first'], part)) return undefined;
    out.part = part;
  }
  return copyRest(h, HEADER_FIELDS, out) ? (out as CaptureHeader) : undefined;
}

function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s || '(header)';
}

/**
 * Checks a parsed first line. Errors name file:1 and the field; a version newer than this build
 * knows is refused, since its lines may mean something else.
 */
export async function parseHeader(o: unknown, file: string): Promise<CaptureHeader> {
  const where = `${file}:1`;
  const hint = 'a capture starts with {"type":"header","format":"iiot-capture","version":1,...} (docs/capture-format.md)';
  if (typeof o !== 'object' || o === null || Array.isArray(o))
    throw usageError(`${where}: the first line is not a capture header (not a JSON object)`, hint);
  const h = o as Record<string, unknown>;
  if (h.type !== 'header') {
    const what = 'tag' in h ? 'a sample' : 'event' in h ? 'an event' : 'raw' in h ? 'a raw message' : 'not a header';
    throw usageError(
      `${where}: the first line is ${what}, not the capture header`,
      `${hint}; a file cut from a longer capture needs its header back (iiot capture slice keeps it)`,
    );
  }
  if (h.format !== CAPTURE_FORMAT) throw usageError(`${where}: format is ${JSON.stringify(h.format)}, not "${CAPTURE_FORMAT}"`, hint);
  if (typeof h.version === 'number' && Number.isInteger(h.version) && h.version > CAPTURE_VERSION) {
    throw usageError(
      `${where}: capture format version ${h.version} is newer than this iiot (${toolVersion()}) reads (version ${CAPTURE_VERSION})`,
      'upgrade iiot to read this file',
    );
  }
  const checked = checkedHeader(h);
  if (checked !== undefined) return checked;
  const { headerSchema } = await import('./header-schema.js');
  const parsed = headerSchema.safeParse(o);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw usageError(`${where}: header field ${fieldPath(issue.path)}: ${issue.message}`, hint);
  }
  return parsed.data as CaptureHeader;
}

/** Tag names that appear more than once: a writer bug worth reporting, not worth refusing the file. */
export function duplicateTagNames(tags: readonly TagInfo[]): string[] {
  const seen = new Set<string>();
  const dups = new Set<string>();
  for (const t of tags) (seen.has(t.name) ? dups : seen).add(t.name);
  return [...dups];
}

export interface HeaderFields {
  sources: SourceInfo[];
  tags: TagInfo[];
  metadata?: Record<string, unknown>;
  created?: Date;
  part?: { index: number; first: string };
}

export function makeHeader(init: HeaderFields): CaptureHeader {
  const header: CaptureHeader = {
    type: 'header',
    format: CAPTURE_FORMAT,
    version: CAPTURE_VERSION,
    created: (init.created ?? new Date()).toISOString(),
    tool: `iiot ${toolVersion()}`,
    sources: init.sources,
    tags: init.tags,
    metadata: init.metadata ?? {},
  };
  if (init.part) header.part = init.part;
  return header;
}
