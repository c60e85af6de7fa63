import type { IO } from '../core/io.js';
import { formatDuration } from '../core/units.js';

/** One step of the demo as it appears in the summary and in --json. */
export interface StepResult {
  name: string;
  ok: boolean;
  ms: number;
  /** one line for the summary */
  summary: string;
}

/**
 * Runs named steps, telling the user on stderr what is happening ("[2/5] Browsing the address
 * space... 0.4 s") and collecting the results; a failing step is reported and the demo goes on
 * with the next, because the rest of the workflow still has something to show.
 */
export class StepRunner {
  readonly results: StepResult[] = [];
  private index = 0;

  constructor(
    private readonly io: IO,
    private readonly total: number,
  ) {}

  async run<T>(name: string, fn: () => Promise<{ value: T; summary: string }>): Promise<T | undefined> {
    this.index++;
    const label = `[${this.index}/${this.total}] ${name}`;
    const { io } = this;
    if (!io.quiet) io.stderr.write(io.animate ? `${io.errStyle.cyan('…')} ${label}` : `${label}...\n`);
    const t0 = performance.now();
    try {
      const { value, summary } = await fn();
      const ms = performance.now() - t0;
      this.results.push({ name, ok: true, ms, summary });
      if (!io.quiet)
        io.stderr.write(
          io.animate
            ? `\r\u001b[K${io.errStyle.green('✔')} ${label} ${io.errStyle.dim(formatDuration(ms))}\n`
            : `  done in ${formatDuration(ms)}\n`,
        );
      return value;
    } catch (err) {
      const ms = performance.now() - t0;
      const message = err instanceof Error ? err.message.split('\n')[0]! : String(err);
      this.results.push({ name, ok: false, ms, summary: message });
      if (io.animate && !io.quiet) io.stderr.write('\r\u001b[K');
      io.stderr.write(`${io.errStyle.red('✘')} ${label}: ${message}\n`);
      if (io.debug && err instanceof Error) io.stderr.write(`${err.stack}\n`);
      return undefined;
    }
  }
}
