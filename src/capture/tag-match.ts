/**
 * Tag selections as users type them: "a,b", "line3.*", "*.current". `*` matches any run of
 * characters (dots included), `?` one character; everything else is literal.
 */
export type TagMatcher = (tag: string) => boolean;

export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '.*';
    else if (ch === '?') re += '.';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Splits comma-separated lists (and repeated options) into patterns, dropping blanks. */
export function splitPatterns(values: readonly string[] | string | undefined): string[] {
  if (values === undefined) return [];
  const list = typeof values === 'string' ? [values] : values;
  return list
    .flatMap((v) => v.split(','))
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/** A matcher for the patterns; with no patterns, everything matches. */
export function tagMatcher(patterns: readonly string[]): TagMatcher {
  if (patterns.length === 0) return () => true;
  const exact = new Set(patterns.filter((p) => !/[*?]/.test(p)));
  const globs = patterns.filter((p) => /[*?]/.test(p)).map(globToRegExp);
  const cache = new Map<string, boolean>();
  return (tag) => {
    let hit = cache.get(tag);
    if (hit === undefined) {
      hit = exact.has(tag) || globs.some((g) => g.test(tag));
      if (cache.size < 100_000) cache.set(tag, hit);
    }
    return hit;
  };
}
