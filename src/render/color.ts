/** Minimal ANSI styling that is a no-op when colour is off (NO_COLOR, --no-color, not a TTY). */
export interface Styler {
  readonly enabled: boolean;
  bold(s: string): string;
  dim(s: string): string;
  red(s: string): string;
  green(s: string): string;
  yellow(s: string): string;
  blue(s: string): string;
  cyan(s: string): string;
  magenta(s: string): string;
}

const wrap = (open: number, close: number) => (s: string) => `\u001B[${open}m${s}\u001B[${close}m`;
const id = (s: string) => s;

export function makeStyler(enabled: boolean): Styler {
  if (!enabled) {
    return { enabled, bold: id, dim: id, red: id, green: id, yellow: id, blue: id, cyan: id, magenta: id };
  }
  return {
    enabled,
    bold: wrap(1, 22),
    dim: wrap(2, 22),
    red: wrap(31, 39),
    green: wrap(32, 39),
    yellow: wrap(33, 39),
    blue: wrap(34, 39),
    cyan: wrap(36, 39),
    magenta: wrap(35, 39),
  };
}

/**
 * Colour is on only for a terminal, never with NO_COLOR (any non-empty value, see no-color.org)
 * or --no-color; FORCE_COLOR turns it on for tools that capture output but render ANSI.
 */
export function colorWanted(isTTY: boolean, env: NodeJS.ProcessEnv, noColorFlag: boolean): boolean {
  if (noColorFlag) return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  if (env.TERM === 'dumb') return false;
  return isTTY;
}
