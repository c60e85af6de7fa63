import { z } from 'zod';
import { timeMs } from './iso-time.js';
import { CAPTURE_FORMAT } from './types.js';

/**
 * Line 1 of every capture, as a zod schema: the definition header.ts checks against by hand on
 * the way in (so reading a capture does not load zod), and what words the error when that check
 * finds a header it cannot accept. test/capture/header.test.ts proves the two agree.
 * Loose objects: fields a newer writer adds are kept, not refused.
 */
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

export const headerSchema = z.looseObject({
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
