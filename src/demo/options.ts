/** `iiot demo` flags -> the options of runDemo (parseDemoFlags). */
import { usageError } from '../core/errors.js';
import type { DemoOptions } from './run.js';

export interface DemoFlags {
  keep?: string;
  days?: string;
}

export function parseDemoFlags(flags: DemoFlags): DemoOptions {
  const days = Number(flags.days ?? '21');
  if (!Number.isFinite(days) || days < 1 || days > 365) throw usageError(`--days ${flags.days}: give a number of days from 1 to 365`);
  return { days, ...(flags.keep ? { keep: flags.keep } : {}) };
}
