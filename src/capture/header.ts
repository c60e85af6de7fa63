import { z } from 'zod';
import { usageError } from '../core/errors.js';
import { toolVersion } from '../core/version.js';
import { timeMs } from './iso-time.js';
import { CAPTURE_FORMAT, CAPTURE_VERSION, type CaptureHeader, type SourceInfo, type TagInfo } from './types.js';

/** Line 1 of every capture. Loose objects: fields a newer writer adds are kept, not refused. */
const isoTime = z.string().refine((s) => !Number.isNaN(timeMs(s)), 'must be an ISO 8601 time with a zone, e.g. 2026-11-25T10:00:00.000Z');

const tagSchema = z.looseObject({
  name: z.string().min(1, 'must not be empty'),
  source: z.string().optional(),
  address: z.string().optional(),
  dataType: z.string().optional(),
  unit: z.string().optional(),
  range: z.tuple([z.number(), z.number()]).optional(),
  description: z.string().optional(),
});

const sourceSchema = z.looseObject({
  id: z.string().min(1, 'must not be empty'),
  protocol: z.string().min(1, 'must not be empty'),
  endpoint: z.string().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
});

const headerSchema = z.looseObject({
  type: z.literal('header'),
  format: z.literal(CAPTURE_FORMAT),
  version: z.number().int().min(1),
  created: isoTime,
  tool: z.string(),
  sources: z.array(sourceSchema).default([]),
  tags: z.array(tagSchema).default([]),
  metadata: z.record(z.string(), z.unknown()).default({}),
  part: z.looseObject({ index: z.number().int().min(1), first: z.string().min(1) }).optional(),
});

function fieldPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s || '(header)';
}

/**
 * Checks a parsed first line. Errors name file:1 and the field; a version newer than this build
 * knows is refused, since its lines may mean something else.
 */
export function parseHeader(o: unknown, file: string): CaptureHeader {
  const where = `${file}:1`;
  const hint = 'a capture starts with {"type":"header","format":"iiot-capture","version":1,...} (docs/capture-format.md)';
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw usageError(`${where}: the first line is not a capture header (not a JSON object)`, hint);
  const h = o as Record<string, unknown>;
  if (h.type !== 'header') {
    const what = 'tag' in h ? 'a sample' : 'event' in h ? 'an event' : 'raw' in h ? 'a raw message' : 'not a header';
    throw usageError(`${where}: the first line is ${what}, not the capture header`, `${hint}; a file cut from a longer capture needs its header back (iiot capture slice keeps it)`);
  }
  if (h.format !== CAPTURE_FORMAT) throw usageError(`${where}: format is ${JSON.stringify(h.format)}, not "${CAPTURE_FORMAT}"`, hint);
  if (typeof h.version === 'number' && Number.isInteger(h.version) && h.version > CAPTURE_VERSION) {
    throw usageError(
      `${where}: capture format version ${h.version} is newer than this iiot (${toolVersion()}) reads (version ${CAPTURE_VERSION})`,
      'upgrade iiot to read this file',
    );
  }
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
