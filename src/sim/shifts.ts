import { zonedParts } from '../core/time.js';
import { WEEKDAYS, type PlantConfig } from './plant-schema.js';

/**
 * The shift calendar: is the plant producing at an instant? Production windows are local wall
 * time in the plant's zone, so a DST change moves them in UTC as it does on a real site.
 */
export class ShiftCalendar {
  private readonly days: ReadonlySet<number>;
  private readonly windows: ReadonlyArray<{ from: number; to: number }>;
  private readonly holidays: ReadonlySet<string>;
  private readonly tz: string;

  constructor(plant: Pick<PlantConfig, 'shifts' | 'timezone'>) {
    this.days = new Set(plant.shifts.days.map((d) => WEEKDAYS.indexOf(d)));
    this.windows = plant.shifts.production;
    this.holidays = new Set(plant.shifts.holidays);
    this.tz = plant.timezone;
  }

  isProducing(ms: number): boolean {
    const p = zonedParts(ms, this.tz);
    const minute = p.hour * 60 + p.minute;
    for (const w of this.windows) {
      if (w.from < w.to) {
        if (minute >= w.from && minute < w.to && this.productionDay(p.weekday, p.year, p.month, p.day)) return true;
      } else {
        // past midnight: the evening part belongs to today, the morning part to yesterday's shift
        if (minute >= w.from && this.productionDay(p.weekday, p.year, p.month, p.day)) return true;
        if (minute < w.to) {
          const y = new Date(Date.UTC(p.year, p.month - 1, p.day - 1));
          if (this.productionDay(y.getUTCDay(), y.getUTCFullYear(), y.getUTCMonth() + 1, y.getUTCDate())) return true;
        }
      }
    }
    return false;
  }

  private productionDay(weekday: number, year: number, month: number, day: number): boolean {
    if (!this.days.has(weekday)) return false;
    if (this.holidays.size === 0) return true;
    const iso = `${year}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
    return !this.holidays.has(iso);
  }
}
