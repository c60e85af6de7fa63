/**
 * An energy result as arquero tables, for roll-ups, pivots and joins across sites in scripts:
 * `energyTables(r, { site: 'A' })` adds a constant `site` column so that many sites' tables
 * concatenate into one (`a.days.concat(b.days)`) and group by site.
 */

import * as aq from 'arquero';
import type { ColumnTable } from 'arquero';
import type { EnergyResult } from '../analysis/energy.js';

export interface EnergyTables {
  /** day, kwh, coverage, peakKw, units, workday, operatingHours, temperatureC, hdd, cdd */
  days: ColumnTable;
  /** week, kwh, coverage */
  weeks: ColumnTable;
  /** month, kwh, coverage, peakKw, pf */
  months: ColumnTable;
  /** the highest demand intervals: at (Date), kw */
  peaks: ColumnTable;
  /** rank, kind, title, kwhPerYear, costPerYear, overlaps (comma-separated ranks), statement */
  opportunities: ColumnTable;
  /** month, energy, demand, fixed, reactive, total, billedPeakKw (with a tariff; empty otherwise) */
  cost: ColumnTable;
}

/** Rows of objects as a table whose columns are the union of their keys (missing values are null). */
function rows(objects: object[], columns: string[], extra: Record<string, string | number>): ColumnTable {
  const data: Record<string, unknown[]> = {};
  for (const [k, v] of Object.entries(extra)) data[k] = objects.map(() => v);
  for (const c of columns) data[c] = objects.map((o) => (o as Record<string, unknown>)[c] ?? null);
  return aq.table(data);
}

export function energyTables(r: EnergyResult, extra: Record<string, string | number> = {}): EnergyTables {
  return {
    days: rows(
      r.totals.days,
      ['day', 'kwh', 'coverage', 'peakKw', 'units', 'workday', 'operatingHours', 'temperatureC', 'hdd', 'cdd'],
      extra,
    ),
    weeks: rows(r.totals.weeks, ['week', 'kwh', 'coverage'], extra),
    months: rows(r.totals.months, ['month', 'kwh', 'coverage', 'peakKw', 'pf'], extra),
    peaks: rows(
      r.demand.top.map((p) => ({ at: new Date(p.at), kw: p.kw })),
      ['at', 'kw'],
      extra,
    ),
    opportunities: rows(
      r.opportunities.map((o) => ({ ...o, overlaps: o.overlaps?.join(',') ?? null })),
      ['rank', 'kind', 'title', 'kwhPerYear', 'costPerYear', 'overlaps', 'statement'],
      extra,
    ),
    cost: rows(r.cost?.monthly ?? [], ['month', 'energy', 'demand', 'fixed', 'reactive', 'total', 'billedPeakKw'], extra),
  };
}
