/**
 * One signal, one tag: every tag name in a capture belongs to exactly one signal, for the whole
 * recording. Each protocol names its own tags (OPC UA by tag list, node id or browse path, Modbus
 * `<source id>.<entry>`, MQTT by topic below the filters' root); this module keeps the names of
 * several sources apart, with rules decided before the first sample:
 *
 * - Tags known before the start (OPC UA, Modbus): when two sources give one name, every OPC UA
 *   source involved names all its tags `<source id>.<name>` (its names come from the server;
 *   Modbus names already carry their source id), and iiot says so. A collision that remains
 *   (Modbus ids and entries with dots in them, a prefix that meets another name) is refused
 *   before anything is written, naming both signals and the `--id` that renames one.
 * - Several MQTT sources: each names its tags `<source id>.<topic name>` (decided from the
 *   command line: their topics are only seen later).
 * - Tags first seen during the recording (MQTT topics, JSON fields, Sparkplug metrics): the name
 *   goes to the first signal that asks for it and stays with it; a later, different signal that
 *   the naming rule would give the same name (a topic level with a dot in it, a JSON field named
 *   like a sub-topic, another source's tag) gets its full address instead, with a warning and a
 *   `note` event. Nothing is ever recorded under a name that already means something else.
 *
 * Pure: no IO, no protocol library (the registry only says which protocols name tags late).
 */
import type { TagInfo } from '../capture/types.js';
import { usageError } from '../core/errors.js';
import { PROTOCOLS } from '../protocols/registry.js';
import type { TagNameRequest } from '../protocols/source-base.js';
import type { SourceSpec } from './types.js';

export interface PreparedSource {
  id: string;
  protocol: string;
  /** its tags, named as the source names them */
  tags: readonly TagInfo[];
  /** its tags may be put under `<id>.` when they collide (OPC UA without a prefix yet) */
  prefixable: boolean;
}

export interface NamingPlan {
  /** source id -> prefix to put before each of its tag names */
  prefixes: Map<string, string>;
  /** what was decided, for stderr */
  notes: string[];
}

/**
 * Several MQTT sources: each names its tags `<source id>.<topic name>` (their topics are only seen
 * after the start, so this is decided from the command line). A source that has a prefix already
 * (several brokers of an inventory) keeps it. The same holds for every protocol whose record
 * factory says its tags are not known at the start.
 */
export function prefixSeveralMqtt(specs: readonly SourceSpec[]): { specs: SourceSpec[]; notes: string[] } {
  let out: SourceSpec[] = [...specs];
  const notes: string[] = [];
  for (const protocol of PROTOCOLS) {
    const factory = protocol.record;
    if (!factory || factory.tagsKnownAtStart) continue;
    const late = out.filter((s) => s.protocol === protocol.name);
    if (late.length < 2 || late.every((s) => s.options.tagPrefix)) continue;
    out = out.map(
      (s): SourceSpec =>
        s.protocol === protocol.name && !s.options.tagPrefix
          ? ({ ...s, options: { ...s.options, tagPrefix: `${s.options.id}.` } } as SourceSpec)
          : s,
    );
    const ids = out.flatMap((s) => (s.protocol === protocol.name ? [s.options.tagPrefix!] : []));
    notes.push(
      `${late.length} ${protocol.title} sources: their tags are named <source id>.<${factory.lateTagWord ?? 'name'}> (${ids.join(', ')}); --id after a source chooses its prefix`,
    );
  }
  return { specs: out, notes };
}

interface Owner {
  source: PreparedSource;
  tag: TagInfo;
}

function signalOf(o: Owner): string {
  return `${o.source.id} ${o.tag.address ?? o.tag.name}`;
}

/**
 * The prefixes that keep the names of tags known before the start apart, or a usage error
 * naming the two signals that would share a name and how to rename one.
 */
export function planPreparedNames(sources: readonly PreparedSource[]): NamingPlan {
  const prefixes = new Map<string, string>();
  let first: { name: string; owners: Owner[] } | undefined;
  for (;;) {
    const owners = new Map<string, Owner[]>();
    for (const source of sources) {
      const prefix = prefixes.get(source.id) ?? '';
      for (const tag of source.tags) {
        const name = `${prefix}${tag.name}`;
        const list = owners.get(name);
        if (list) list.push({ source, tag });
        else owners.set(name, [{ source, tag }]);
      }
    }
    const clashes = [...owners.entries()]
      .filter(([, list]) => new Set(list.map((o) => o.source.id)).size > 1)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    if (clashes.length === 0) break;
    first ??= { name: clashes[0]![0], owners: clashes[0]![1] };
    let added = false;
    for (const [, list] of clashes) {
      for (const o of list) {
        if (o.source.prefixable && !prefixes.has(o.source.id)) {
          prefixes.set(o.source.id, `${o.source.id}.`);
          added = true;
        }
      }
    }
    if (!added) {
      const [name, list] = clashes[0]!;
      const [a, b] = distinctSources(list);
      const modbus = [a, b].find((o) => o.source.protocol.startsWith('modbus'));
      const rename = modbus ?? [a, b].find((o) => prefixes.has(o.source.id)) ?? b;
      throw usageError(
        `tag "${name}" would name two signals: ${signalOf(a)} and ${signalOf(b)}`,
        `give source ${rename.source.id} another name with --id after it (${rename.source.protocol.startsWith('modbus') ? 'Modbus tags are named <id>.<register>' : 'its tags are then named <id>.<name>'})`,
      );
    }
  }
  const notes: string[] = [];
  if (first && prefixes.size > 0) {
    const [a, b] = distinctSources(first.owners);
    const ids = [...prefixes.keys()];
    notes.push(
      `tag "${first.name}" would name two signals (${signalOf(a)} and ${signalOf(b)}): the tags of ${ids.join(' and ')} are named <source id>.<name> (${ids.map((id) => `${id}.${first!.name}`).join(', ')}); --id after a source chooses its prefix`,
    );
  }
  return { prefixes, notes };
}

function distinctSources(list: readonly Owner[]): [Owner, Owner] {
  const a = list[0]!;
  const b = list.find((o) => o.source.id !== a.source.id)!;
  return [a, b];
}

export interface Claimed {
  name: string;
  /** set when `name` was taken: who has it */
  holder?: { source: string; signal: string } | undefined;
}

/** Who owns each name of a capture, for the whole recording. */
export class TagNameRegistry {
  private readonly owners = new Map<string, { source: string; signal: string }>();
  private readonly names = new Map<string, string>();

  /** A tag known before the start (the header): its name is its own. */
  declare(source: string, signal: string, name: string): void {
    this.owners.set(name, { source, signal });
    this.names.set(`${source}\u0000${signal}`, name);
  }

  /** The name a signal found after the start is recorded under; the same answer every time. */
  claim(source: string, req: TagNameRequest): Claimed {
    const key = `${source}\u0000${req.signal}`;
    const known = this.names.get(key);
    if (known !== undefined) return { name: known };
    const holder = this.owners.get(req.name);
    let name = req.name;
    if (holder !== undefined) {
      name = req.fallback;
      for (let n = 2; this.owners.has(name); n++) name = `${req.fallback}~${n}`;
    }
    this.owners.set(name, { source, signal: req.signal });
    this.names.set(key, name);
    return { name, ...(holder ? { holder } : {}) };
  }

  has(name: string): boolean {
    return this.owners.has(name);
  }
}
