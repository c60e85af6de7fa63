/**
 * A tariff in use: which energy rule and whether demand is billed at a local time. Reading a tariff
 * file (YAML, zod) is tariff-file.ts, loaded only when a file is given.
 */
import { inWindow } from './calendar.js';
import type { EnergyRule, Tariff } from './tariff-file.js';

export type { EnergyRule, Tariff } from './tariff-file.js';

/** The energy rule in force at a local weekday, minute of day and month; undefined if none matches. */
export function energyRuleAt(t: Tariff, weekday: number, minuteOfDay: number, month: number): EnergyRule | undefined {
  for (const r of t.energy) {
    if (r.days && !r.days.includes(weekday)) continue;
    if (r.months && !r.months.includes(month)) continue;
    if (r.hours && !r.hours.some((w) => inWindow(minuteOfDay, w))) continue;
    return r;
  }
  return undefined;
}

/** Whether a demand peak at this local time is billed. */
export function demandBilledAt(t: Tariff, weekday: number, minuteOfDay: number): boolean {
  const d = t.demand;
  if (!d) return false;
  if (d.days && !d.days.includes(weekday)) return false;
  if (d.hours && !d.hours.some((w) => inWindow(minuteOfDay, w))) return false;
  return true;
}
