import type { IO } from '../core/io.js';

/**
 * One self-rewriting status line on stderr for work of unknown size (a crawl, a scan): a spinner
 * and counts. Drawn only when animation is allowed (stderr is a terminal, not --quiet, not CI);
 * otherwise every call is a no-op and nothing reaches logs.
 */
export interface ProgressLine {
  update(text: string): void;
  /** clears the line (the caller prints the final summary itself) */
  done(): void;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export function progressLine(io: IO, intervalMs = 100): ProgressLine {
  if (!io.animate) return { update: () => undefined, done: () => undefined };
  let last = 0;
  let frame = 0;
  let drawn = false;
  return {
    update(text: string) {
      const now = Date.now();
      if (now - last < intervalMs) return;
      last = now;
      frame = (frame + 1) % FRAMES.length;
      const columns = (io.stderr as { columns?: number }).columns ?? 80;
      const line = `${FRAMES[frame]} ${text}`.slice(0, Math.max(10, columns - 1));
      io.stderr.write(`\r\u001B[2K${io.errStyle.cyan(line)}`);
      drawn = true;
    },
    done() {
      if (drawn) io.stderr.write('\r\u001B[2K');
      drawn = false;
    },
  };
}
