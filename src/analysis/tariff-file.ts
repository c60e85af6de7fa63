/**
 * Tariff files (YAML, validated with zod; errors name file:line and the field). The rules that use
 * a tariff are in tariff.ts, apart, so that an analysis without a tariff file loads no zod. Example in
 * fixtures/analysis/tariff-tou.yaml and docs/analysis.md:
 *
 *   currency: EUR
 *   energy:                      # first matching rule wins; a rule without days/hours/months matches all
 *     - name: peak
 *       price: 0.21              # per kWh
 *       days: mon-fri
 *       hours: ["08:00-14:00", "18:00-22:00"]
 *     - name: off-peak
 *       price: 0.11
 *   demand:                      # optional demand (capacity) charge, per kW of the month's peak
 *     price: 9.5
 *     interval: 15m
 *     method: block              # or rolling
 *     hours: ["08:00-22:00"]     # optional: only peaks in these hours are billed
 *     days: mon-fri
 *   fixed_per_month: 40
 *   reactive:                    # optional: kvarh above ratio x kWh in a month is charged
 *     free_ratio: 0.33
 *     price: 0.04
 *   co2e_kg_per_kwh: 0.19
 */

import { LineCounter, parseDocument, isNode } from 'yaml';
import { z } from 'zod';
import { usageError } from '../core/errors.js';
import { parseDuration } from '../core/units.js';
import { parseDailyWindow, parseWeekdays, type DailyWindow } from './calendar.js';

const hoursField = z.union([z.string(), z.array(z.string()).min(1)]).transform((v, ctx) => {
  const list = Array.isArray(v) ? v : [v];
  const out: DailyWindow[] = [];
  for (const s of list) {
    const w = parseDailyWindow(s);
    if (!w) {
      ctx.addIssue({ code: 'custom', message: `"${s}" is not a time range; write HH:MM-HH:MM, for example 08:00-22:00` });
      return z.NEVER;
    }
    out.push(w);
  }
  return out;
});

const daysField = z.union([z.string(), z.array(z.string()).min(1)]).transform((v, ctx) => {
  const s = Array.isArray(v) ? v.join(',') : v;
  const d = parseWeekdays(s);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a list of weekdays; write mon-fri, sat,sun or [mon, tue]` });
    return z.NEVER;
  }
  return d;
});

const monthsField = z.array(z.number().int().min(1).max(12)).min(1);

const price = z.number().nonnegative();

const energyRule = z.strictObject({
  name: z.string().min(1),
  price,
  days: daysField.optional(),
  hours: hoursField.optional(),
  months: monthsField.optional(),
});

const durationField = z.string().transform((s, ctx) => {
  try {
    const ms = parseDuration(s, 'interval');
    if (ms < 60_000 || ms % 60_000 !== 0) throw new Error('whole minutes');
    return ms;
  } catch {
    ctx.addIssue({ code: 'custom', message: `"${s}" is not a demand interval; write whole minutes such as 15m, 30m or 1h` });
    return z.NEVER;
  }
});

export const tariffSchema = z.strictObject({
  name: z.string().optional(),
  currency: z.string().min(1).max(8).default('EUR'),
  energy: z.array(energyRule).min(1),
  demand: z
    .strictObject({
      price,
      interval: durationField.default(900_000),
      method: z.enum(['block', 'rolling']).default('block'),
      hours: hoursField.optional(),
      days: daysField.optional(),
    })
    .optional(),
  fixed_per_month: price.default(0),
  reactive: z.strictObject({ free_ratio: z.number().nonnegative(), price }).optional(),
  co2e_kg_per_kwh: z.number().nonnegative().optional(),
});

export type Tariff = z.infer<typeof tariffSchema>;
export type EnergyRule = Tariff['energy'][number];

/** Reads and validates a tariff; every problem is a usage error naming file:line and the field. */
export function parseTariff(text: string, file: string): Tariff {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const line = e.linePos?.[0]?.line ?? 1;
    throw usageError(`${file}:${line}: not valid YAML (${e.message.split('\n')[0]})`, 'check the indentation and quoting on that line');
  }
  const data: unknown = doc.toJS();
  const r = tariffSchema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const path = issue.path.filter((p): p is string | number => typeof p === 'string' || typeof p === 'number');
  // Point at the deepest node of the path that exists in the file.
  let line = 1;
  for (let k = path.length; k >= 0; k--) {
    const node = doc.getIn(path.slice(0, k), true);
    if (isNode(node) && node.range) {
      line = lc.linePos(node.range[0]).line;
      break;
    }
  }
  const field = path.length
    ? path
        .map((p) => (typeof p === 'number' ? `[${p}]` : `.${p}`))
        .join('')
        .replace(/^\./, '')
    : '(top level)';
  const message =
    issue.code === 'unrecognized_keys'
      ? `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`
      : issue.message;
  throw usageError(
    `${file}:${line}: tariff field ${field}: ${message}`,
    'see docs/analysis.md ("Tariff files") for the fields and an example',
  );
}
