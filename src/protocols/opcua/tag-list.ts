/**
 * The tag list: which OPC UA variables to record, as a small YAML file people can read, edit and
 * keep in git. `iiot browse --tags FILE` and the interactive browser write it; `iiot record
 * --tags FILE` reads it (docs/opcua.md#tag-lists). A tag's `name` is what capture files call it;
 * `nodeId` is where it lives; `namespaceUri` keeps the node findable when the server renumbers its
 * namespaces (indexes are per server start, URIs are not). No node-opcua import.
 */
import { Document, isScalar, isSeq, visit } from 'yaml';
import { z } from 'zod';
import type { TagInfo } from '../../capture/types.js';
import { parseYaml, readYamlSource, yamlFieldError, type YamlSource } from '../../yaml/load.js';
import { parseNodeRef } from './node-ref.js';

export const TAG_LIST_FORMAT = 'iiot-tags/1';

const tagSchema = z
  .object({
    name: z.string().min(1, 'a tag needs a name'),
    nodeId: z.string().min(1, 'a tag needs a nodeId'),
    namespaceUri: z.string().min(1).optional(),
    dataType: z.string().min(1).optional(),
    unit: z.string().optional(),
    range: z.tuple([z.number(), z.number()]).optional(),
    description: z.string().optional(),
    /** browse path where the tag was found: for people, not used to find the node */
    path: z.string().optional(),
    /** sampling interval in ms asked of the server when recording */
    samplingInterval: z.number().nonnegative().optional(),
  })
  .passthrough();

const tagListSchema = z
  .object({
    format: z.literal(TAG_LIST_FORMAT, { message: `format must be "${TAG_LIST_FORMAT}"` }),
    endpoint: z.string().optional(),
    created: z.string().optional(),
    /** the browse that produced the list stopped early: some tags may be missing */
    partial: z.boolean().optional(),
    tags: z.array(tagSchema).min(1, 'the tag list has no tags'),
  })
  .passthrough();

export type TagListEntry = z.infer<typeof tagSchema>;
export type TagList = z.infer<typeof tagListSchema>;

export function readTagList(file: string): TagList {
  return parseTagList(readYamlSource(file, 'tag list'));
}

/** Parses and checks a tag list: names unique, node ids well formed; errors name file:line. */
export function parseTagList(source: YamlSource): TagList {
  const list = parseYaml(source, tagListSchema, 'tag list');
  const seen = new Map<string, number>();
  list.tags.forEach((t, i) => {
    const prev = seen.get(t.name);
    if (prev !== undefined)
      throw yamlFieldError(source, ['tags', i, 'name'], `duplicate tag name "${t.name}" (also tags[${prev}])`, 'tag list');
    seen.set(t.name, i);
    try {
      const ref = parseNodeRef(t.nodeId, 'nodeId');
      if (ref.kind !== 'id') throw new Error('a tag list names nodes by node id, not by browse path');
    } catch (err) {
      throw yamlFieldError(source, ['tags', i, 'nodeId'], err instanceof Error ? err.message : String(err), 'tag list');
    }
    if (t.range && !(t.range[0] <= t.range[1]))
      throw yamlFieldError(source, ['tags', i, 'range'], 'range must be [low, high] with low <= high', 'tag list');
  });
  return list;
}

export function formatTagList(list: TagList): string {
  const header = [
    '# iiot tag list: the OPC UA variables `iiot record --tags <this file>` records.',
    '# Edit freely: remove lines, rename tags (name is what capture files call the tag).',
    '# Format: docs/opcua.md#tag-lists',
  ];
  if (list.partial) header.push('# PARTIAL: the browse that wrote this list stopped early; some tags may be missing.');
  const doc = new Document(list);
  // [low, high] on one line reads better than a two-item block list.
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.value === 'range' && isSeq(pair.value)) pair.value.flow = true;
    },
  });
  return `${header.join('\n')}\n${doc.toString({ lineWidth: 0, flowCollectionPadding: false })}`;
}

/** Tags of a tag list as capture header tags (address = node id). */
export function tagListToTagInfo(list: TagList, source?: string): TagInfo[] {
  return list.tags.map((t) => {
    const { name, nodeId, dataType, unit, range, description, ...rest } = t;
    return {
      ...rest,
      name,
      ...(source !== undefined ? { source } : {}),
      address: nodeId,
      ...(dataType !== undefined ? { dataType } : {}),
      ...(unit !== undefined ? { unit } : {}),
      ...(range !== undefined ? { range } : {}),
      ...(description !== undefined ? { description } : {}),
    };
  });
}

/**
 * A tag name from a browse path: the names after /Objects, without namespace prefixes, joined
 * with dots ("/Objects/2:Plant/2:Line1/2:Temperature" -> "Plant.Line1.Temperature").
 */
export function tagNameFromPath(path: string): string {
  const segments = splitPath(path).map((s) => unescapeSegment(s.replace(/^\d+:/, '')));
  const start = segments[0] === 'Objects' ? 1 : 0;
  const name = segments.slice(start).join('.');
  return name === '' ? path : name;
}

/** Splits a browse path at its unescaped slashes; segments stay escaped. */
function splitPath(path: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = path.startsWith('/') ? 1 : 0; i < path.length; i++) {
    const ch = path[i]!;
    if (ch === '&' && i + 1 < path.length) {
      cur += ch + path[++i]!;
      continue;
    }
    if (ch === '/') {
      out.push(cur);
      cur = '';
      continue;
    }
    cur += ch;
  }
  out.push(cur);
  return out.filter((s) => s !== '');
}

function unescapeSegment(s: string): string {
  return s.replace(/&(.)/g, '$1');
}
