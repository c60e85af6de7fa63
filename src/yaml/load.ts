import { readFileSync } from 'node:fs';
import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import type { z } from 'zod';
import { usageError, type IiotError } from '../core/errors.js';

/**
 * Files users write by hand (plant models, register maps) are YAML checked against a zod schema.
 * Whatever is wrong, the user gets one line naming the file, the line and the field, because a
 * commissioning engineer fixing a map on site should not have to count list items.
 */

export interface YamlSource {
  /** how the file is named in messages (the path as the user gave it) */
  file: string;
  text: string;
}

/** Reads a file; a missing or unreadable file is a usage error naming it. */
export function readYamlSource(path: string, what: string, hint?: string): YamlSource {
  try {
    return { file: path, text: readFileSync(path, 'utf8') };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw usageError(
      `${path}: cannot read the ${what}${code === 'ENOENT' ? ': no such file' : code ? ` (${code})` : ''}`,
      hint ?? (code === 'ENOENT' ? 'check the path' : undefined),
    );
  }
}

/**
 * Parses YAML and validates it. Returns the parsed value, or throws one IiotError
 * "file:line: field: problem" for the first problem found (YAML syntax first, then schema).
 */
export function parseYaml<S extends z.ZodType>(source: YamlSource, schema: S, what: string): z.output<S> {
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const line = syntax.linePos?.[0].line ?? lines.linePos(syntax.pos[0]).line;
    throw usageError(`${source.file}:${line}: not valid YAML: ${firstLine(syntax.message)}`, `fix the ${what} file and run again`);
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    // Point at the misspelt key itself, not at the object around it.
    const key = issue.keys[0]!;
    throw schemaError(source, doc, lines, [...issue.path, key], `unknown field "${key}" (misspelt, or not valid here)`, what);
  }
  throw schemaError(source, doc, lines, issue.path, issue.message, what);
}

/** An error for a field found wrong after parsing (cross-field checks): same shape as schema errors. */
export function yamlFieldError(source: YamlSource, path: ReadonlyArray<PropertyKey>, message: string, what: string): IiotError {
  const lines = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: lines });
  return schemaError(source, doc, lines, path, message, what);
}

function schemaError(
  source: YamlSource,
  doc: Document,
  lines: LineCounter,
  path: ReadonlyArray<PropertyKey>,
  message: string,
  what: string,
): IiotError {
  const line = lineOf(doc, lines, path);
  const field = formatPath(path);
  return usageError(
    `${source.file}${line ? `:${line}` : ''}: ${field ? `${field}: ` : ''}${firstLine(message)}`,
    `fix the ${what} file and run again`,
  );
}

/** The line of the deepest node of `path` that exists in the document (the field, or its parent when missing). */
function lineOf(doc: Document, lines: LineCounter, path: ReadonlyArray<PropertyKey>): number | undefined {
  for (let n = path.length; n >= 0; n--) {
    const keys = path.slice(0, n).map((k) => (typeof k === 'symbol' ? String(k) : k));
    const node = n === 0 ? doc.contents : doc.getIn(keys, true);
    if (isNode(node) && node.range) return lines.linePos(node.range[0]).line;
  }
  return undefined;
}

/** ["assets", 2, "ratedKw"] -> "assets[2].ratedKw" */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let s = '';
  for (const k of path) {
    if (typeof k === 'number') s += `[${k}]`;
    else s += s ? `.${String(k)}` : String(k);
  }
  return s;
}

function firstLine(s: string): string {
  return s.split('\n')[0]!.trim();
}
