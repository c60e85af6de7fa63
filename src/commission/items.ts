/**
 * The acceptance record is a list of items, each judged pass or fail with its evidence: a device
 * found, its identity, a security expectation, a latency budget, one check of one signal. Items
 * have stable ids ("signal/pump1.vibration/range") so a plan can waive one and two runs can be
 * compared.
 */

export const ITEM_GROUPS = ['device', 'identity', 'security', 'latency', 'signal', 'loop-check'] as const;
export type ItemGroup = (typeof ITEM_GROUPS)[number];
export type ItemStatus = 'pass' | 'fail' | 'waived';

export interface Waiver {
  reason: string;
  by: string;
  date?: string | undefined;
  /** the plan's pattern that matched */
  item: string;
}

/**
 * What a waiver may name: one item ("security/broker/mqtt-anonymous"), or every item of one
 * device or signal of one group ("security/plc/*"). Nothing broader: "*" or "signal/*" would
 * accept failures no one has read, and the plant owner signs each deviation, not a blanket.
 */
export function waiverPatternProblem(pattern: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star < 0) return undefined;
  const group = pattern.slice(0, pattern.indexOf('/'));
  const ok =
    star === pattern.length - 1 &&
    (ITEM_GROUPS as readonly string[]).includes(group) &&
    pattern.endsWith('/*') &&
    pattern.length > group.length + 3;
  return ok
    ? undefined
    : `"${pattern}" waives too much: name one item (security/broker/mqtt-anonymous) or every item of one device or signal in one group (security/plc/*, "*" only at the end)`;
}

export interface Item {
  id: string;
  group: ItemGroup;
  /** the device or signal the item is about */
  subject: string;
  title: string;
  status: ItemStatus;
  /** a failure of this item rejects the acceptance (optional devices and signals: false) */
  mustPass: boolean;
  /** what the plan asked for, in words */
  expected?: string | undefined;
  /** what was seen, in words */
  observed?: string | undefined;
  /** where the evidence is: a file of the handover, a count, a finding */
  evidence?: string | undefined;
  waiver?: Waiver | undefined;
}

export function item(
  group: ItemGroup,
  subject: string,
  check: string,
  title: string,
  pass: boolean,
  fields: Partial<Pick<Item, 'expected' | 'observed' | 'evidence' | 'mustPass'>> = {},
): Item {
  return {
    id: `${group}/${subject}/${check}`,
    group,
    subject,
    title,
    status: pass ? 'pass' : 'fail',
    mustPass: fields.mustPass ?? true,
    ...(fields.expected !== undefined ? { expected: fields.expected } : {}),
    ...(fields.observed !== undefined ? { observed: fields.observed } : {}),
    ...(fields.evidence !== undefined ? { evidence: fields.evidence } : {}),
  };
}

function matches(pattern: string, id: string): boolean {
  return pattern.endsWith('*') ? id.startsWith(pattern.slice(0, -1)) : pattern === id;
}

/**
 * Failed items that a waiver of the plan names become "waived", carrying who accepted them and
 * why. Returns the waivers that matched nothing (a misspelt item id must not go unnoticed).
 */
export function applyWaivers<W extends Waiver>(items: Item[], waivers: readonly W[]): { items: Item[]; unused: W[] } {
  const used = new Set<W>();
  const out = items.map((it) => {
    const w = waivers.find((x) => matches(x.item, it.id));
    if (!w) return it;
    used.add(w);
    if (it.status !== 'fail') return it;
    return { ...it, status: 'waived' as const, waiver: { reason: w.reason, by: w.by, item: w.item, ...(w.date ? { date: w.date } : {}) } };
  });
  return { items: out, unused: waivers.filter((w) => !used.has(w)) };
}

export interface Verdict {
  accepted: boolean;
  counts: { pass: number; fail: number; waived: number; total: number };
  /** failed items that reject the acceptance */
  blocking: string[];
}

export function verdict(items: readonly Item[]): Verdict {
  const counts = { pass: 0, fail: 0, waived: 0, total: items.length };
  for (const it of items) counts[it.status]++;
  const blocking = items.filter((it) => it.status === 'fail' && it.mustPass).map((it) => it.id);
  return { accepted: blocking.length === 0, counts, blocking };
}
