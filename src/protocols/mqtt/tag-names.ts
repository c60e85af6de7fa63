/**
 * MQTT tag names, decided from the topic filters alone, before any message arrives: a topic seen
 * an hour into the recording gets the name the same rule gives it now, and a name once written
 * never changes meaning.
 *
 * The rule: the **root** is the run of leading levels that every filter starts with, literally
 * (no `+` or `#`), leaving at least one level of each filter. A topic's tag name is the topic
 * below the root, dots for slashes:
 *
 *   --topic 'plant/#'                                  plant/pump1/vibration -> pump1.vibration
 *   --topic 'plant/pump1/#' --topic 'plant/conveyor1/#' plant/pump1/vibration -> pump1.vibration
 *                                                     plant/conveyor1/vibration -> conveyor1.vibration
 *   --topic 'plant/pump1/#'                            plant/pump1/vibration -> vibration
 *   --topic '+/pump1/#'                                site7/pump1/vibration -> site7.pump1.vibration
 *
 * Every topic a filter matches starts with the root, so two different topics differ below it and
 * get different names, unless a level itself contains a dot (`a.b/c` and `a/b.c`) or a JSON field
 * is named like a sub-topic: those rare cases are caught when they happen (the recorder keeps
 * every name of a capture to one signal, src/record/tag-names.ts). No MQTT library here.
 */

/**
 * The levels stripped from every topic of a source with these filters. With `sparkplug` (the
 * decoder reads spBv1.0/ topics as Sparkplug B, whose tags are named by group, node, device and
 * metric) the spBv1.0/ filters do not count: `plant/#` with `spBv1.0/#` still names
 * plant/pump1/vibration `pump1.vibration`.
 */
export function topicRoot(filters: readonly string[], o: { sparkplug?: boolean } = {}): string[] {
  const named = o.sparkplug ? filters.filter((f) => !f.startsWith('spBv1.0/')) : filters;
  const split = (named.length ? named : ['#']).map((f) => f.split('/'));
  const root: string[] = [];
  for (let i = 0; ; i++) {
    const level = split[0]![i];
    if (level === undefined || level === '+' || level === '#') break;
    // keep at least one level of every filter below the root
    if (!split.every((f) => f.length > i + 1 && f[i] === level)) break;
    root.push(level);
  }
  return root;
}

/**
 * The tag name of a topic below `root` (which every topic of the source starts with). A topic
 * that is the root itself (`plant/#` also matches `plant`) keeps its last level.
 */
export function topicTagName(root: readonly string[], topic: string): string {
  const levels = topic.split('/');
  const rest = levels.slice(root.length);
  const name = (rest.length ? rest : levels.slice(-1)).join('.');
  return name === '' ? topic : name;
}

/** How a source with this root names its tags, for people and the capture's `start` event. */
export function describeTopicNaming(root: readonly string[]): string {
  return root.length ? `tags named after the topic below ${root.join('/')}/` : 'tags named after the whole topic';
}
