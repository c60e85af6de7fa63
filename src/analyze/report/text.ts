/** Small text charts for terminals and Markdown: sparklines and horizontal bars (Unicode blocks). */

const BLOCKS = '▁▂▃▄▅▆▇█';

/** A sparkline of at most `width` characters (values averaged into buckets); blanks for missing values. */
export function sparkline(v: ArrayLike<number>, width = 60, range?: [number, number]): string {
  const n = v.length;
  if (n === 0) return '';
  const k = Math.max(1, Math.ceil(n / width));
  const pts: number[] = [];
  for (let i = 0; i < n; i += k) {
    let s = 0;
    let c = 0;
    for (let j = i; j < Math.min(n, i + k); j++) {
      if (Number.isFinite(v[j]!)) {
        s += v[j]!;
        c++;
      }
    }
    pts.push(c ? s / c : Number.NaN);
  }
  const finite = pts.filter(Number.isFinite);
  const lo = range?.[0] ?? Math.min(...finite);
  const hi = range?.[1] ?? Math.max(...finite);
  return pts
    .map((x) => {
      if (!Number.isFinite(x)) return ' ';
      const f = hi > lo ? (x - lo) / (hi - lo) : 0.5;
      return BLOCKS[Math.max(0, Math.min(7, Math.round(f * 7)))]!;
    })
    .join('');
}

/** A horizontal bar of `width` cells for value/max, with eighth-blocks for the remainder. */
export function hbar(value: number, max: number, width = 30): string {
  if (!(max > 0) || !Number.isFinite(value) || value <= 0) return '';
  const cells = Math.min(width, (value / max) * width);
  const full = Math.floor(cells);
  const rest = Math.round((cells - full) * 8);
  return '█'.repeat(full) + (rest > 0 ? '▏▎▍▌▋▊▉'[rest - 1]! : '');
}

/** Markdown table from a header and rows (cells escaped for pipes). */
export function mdTable(header: string[], rows: string[][], align?: ('l' | 'r')[]): string {
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const sep = header.map((_, i) => ((align?.[i] ?? 'l') === 'r' ? '---:' : '---'));
  return [`| ${header.map(esc).join(' | ')} |`, `| ${sep.join(' | ')} |`, ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`)].join('\n');
}
