/**
 * The analyses as functions of capture files: what `iiot analyze energy|degradation --json`
 * computes, as objects (times as epoch milliseconds), with the same defaults, including the
 * capture's own time zone (its header's metadata.timezone).
 */

import { readFile } from 'node:fs/promises';
import { expandParts, openCaptureSet } from '../capture/capture-set.js';
import { timeMs } from '../capture/reader.js';
import type { CaptureIssue } from '../capture/types.js';
import { parseDailyWindow, parseWeekdays } from '../analysis/calendar.js';
import { analyzeDegradation, analyzeIndicator, type DegradationOptions, type DegradationResult } from '../analysis/degradation.js';
import { analyzeEnergy, type EnergyOptions, type EnergyResult, type ShiftSpec } from '../analysis/energy.js';
import type { MeterKind } from '../analysis/meter.js';
import { readCaptureTimeZone } from '../capture/time-zone.js';
import { collectDegradation, collectEnergy, type DegradationSelection } from '../analysis/source.js';
import type { Tariff } from '../analysis/tariff.js';
import { parseTariff } from '../analysis/tariff-file.js';
import { checkTimeZone, parseTimeArg } from '../core/time.js';
import { toMs, type TimeInput } from './read.js';

interface Common {
  /** IANA zone for days, hours and shifts (default: the capture's metadata.timezone, else UTC) */
  tz?: string;
  /** the other parts of a rotated capture too */
  allParts?: boolean;
  strict?: boolean;
  onIssue?: (issue: CaptureIssue) => void;
}

/**
 * A time of a period: Date, epoch ms, ISO 8601 with a zone, or a local date / date-time in `tz`
 * ("2026-01-31", "2026-01-31 06:00"). A date as the END of a period includes that whole day.
 */
export type PeriodInput = [TimeInput, TimeInput];

export interface EnergyAnalysisOptions
  extends Common,
    Omit<EnergyOptions, 'tz' | 'shifts' | 'workdays' | 'tariff' | 'periods' | 'from' | 'to'> {
  meter?: string;
  /** sub-meters: tags, 'auto' (default: every meter of another asset) or 'none' */
  subs?: string[] | 'auto' | 'none';
  reactive?: string;
  reactiveLeading?: string;
  temperature?: string;
  production?: string;
  producing?: string;
  /** TAG -> unit for tags whose header has none or a wrong one */
  units?: Record<string, string>;
  /** TAG -> counter | interval | power */
  kinds?: Record<string, MeterKind>;
  maxGapMs?: number;
  intervalMs?: number;
  /** interval energy stamped at the interval end (default: the header's `interval` field, else the start) */
  intervalEnd?: boolean;
  /** a tariff, or the path of a tariff YAML file */
  tariff?: Tariff | string;
  /** "early=06:00-14:00,late=14:00-22:00" or shift specs */
  shifts?: string | ShiftSpec[];
  /** "mon-fri" or weekday numbers (0 = Sunday) */
  workdays?: string | number[];
  from?: TimeInput;
  to?: TimeInput;
  baselinePeriod?: PeriodInput;
  reportPeriod?: PeriodInput;
}

const list = (files: string | readonly string[]) => (typeof files === 'string' ? [files] : [...files]);

async function zoneOf(paths: string[], tz: string | undefined): Promise<string> {
  if (tz !== undefined) return checkTimeZone(tz, 'tz');
  return (await readCaptureTimeZone(paths)).tz ?? 'UTC';
}

function timeIn(t: TimeInput, tz: string, what: string): number {
  return typeof t === 'string' && !/[zZ]$|[+-]\d\d:?\d\d$/.test(t.trim()) ? parseTimeArg(t, what, tz) : toMs(t, what);
}

function periodIn(p: PeriodInput, tz: string, what: string): [number, number] {
  const from = timeIn(p[0], tz, what);
  let to = timeIn(p[1], tz, what);
  const end = p[1];
  if (typeof end === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(end.trim())) {
    const [y, m, d] = end.trim().split('-').map(Number) as [number, number, number];
    to = parseTimeArg(new Date(Date.UTC(y, m - 1, d + 1)).toISOString().slice(0, 10), what, tz);
  }
  if (!(to > from)) throw new RangeError(`${what}: the period ends before it starts`);
  return [from, to];
}

function shiftsOf(s: string | ShiftSpec[]): ShiftSpec[] {
  if (Array.isArray(s)) return s;
  return s.split(',').map((part, i) => {
    const [name, range] = part.includes('=') ? (part.split('=') as [string, string]) : [`shift ${i + 1}`, part];
    const window = parseDailyWindow(range);
    if (!window) throw new RangeError(`shifts: cannot read "${part}" (write NAME=HH:MM-HH:MM,...)`);
    return { name: name.trim(), window };
  });
}

/** `iiot analyze energy` as a function: the same selection, accumulation and analysis, the result as an object. */
export async function energy(files: string | readonly string[], opts: EnergyAnalysisOptions = {}): Promise<EnergyResult> {
  const paths = await expandParts(list(files), opts.allParts === true);
  const tz = await zoneOf(paths, opts.tz);
  const tariff = typeof opts.tariff === 'string' ? parseTariff(await readFile(opts.tariff, 'utf8'), opts.tariff) : opts.tariff;
  let workdays: number[] | undefined;
  if (typeof opts.workdays === 'string') {
    workdays = parseWeekdays(opts.workdays);
    if (!workdays) throw new RangeError(`workdays: cannot read "${opts.workdays}" (write mon-fri, sat,sun)`);
  } else workdays = opts.workdays;
  const {
    meter,
    subs,
    reactive,
    reactiveLeading,
    temperature,
    production,
    producing,
    units,
    kinds,
    maxGapMs,
    intervalMs,
    intervalEnd,
    shifts,
    from,
    to,
    baselinePeriod,
    reportPeriod,
    allParts: _a,
    strict,
    onIssue,
    tz: _tz,
    tariff: _t,
    workdays: _w,
    ...analysis
  } = opts;
  const set = await openCaptureSet(paths, { ...(strict ? { strict: true } : {}), ...(onIssue ? { onIssue } : {}) });
  let data: Awaited<ReturnType<typeof collectEnergy>>;
  try {
    data = await collectEnergy(
      set,
      timeMs,
      {
        ...(meter ? { meter } : {}),
        ...(reactive ? { reactive } : {}),
        ...(reactiveLeading ? { reactiveLeading } : {}),
        ...(temperature ? { temperature } : {}),
        ...(production ? { production } : {}),
        ...(producing ? { producing } : {}),
        subs: subs ?? 'auto',
        units: units ?? {},
        kinds: kinds ?? {},
      },
      {
        ...(maxGapMs !== undefined ? { maxGapMs } : {}),
        ...(intervalMs !== undefined ? { intervalMs } : {}),
        ...(intervalEnd !== undefined ? { intervalEnd } : {}),
      },
    );
  } finally {
    await set.close();
  }
  if ((baselinePeriod === undefined) !== (reportPeriod === undefined)) throw new RangeError('baselinePeriod and reportPeriod go together');
  const result = analyzeEnergy(
    {
      main: data.main,
      subs: data.subs,
      checks: data.checks,
      ...(data.reactive ? { reactive: data.reactive } : {}),
      ...(data.reactiveLeading ? { reactiveLeading: data.reactiveLeading } : {}),
      ...(data.temperature ? { temperature: data.temperature } : {}),
      ...(data.production ? { production: data.production } : {}),
      ...(data.producing ? { producing: data.producing } : {}),
    },
    {
      ...analysis,
      tz,
      ...(tariff ? { tariff } : {}),
      ...(shifts !== undefined ? { shifts: shiftsOf(shifts) } : {}),
      ...(workdays ? { workdays } : {}),
      ...(from !== undefined ? { from: timeIn(from, tz, 'from') } : {}),
      ...(to !== undefined ? { to: timeIn(to, tz, 'to') } : {}),
      ...(baselinePeriod && reportPeriod
        ? { periods: { baseline: periodIn(baselinePeriod, tz, 'baselinePeriod'), report: periodIn(reportPeriod, tz, 'reportPeriod') } }
        : {}),
    },
  );
  result.notes.unshift(...data.plan.notes);
  return result;
}

export interface DegradationAnalysisOptions extends Common, Omit<DegradationOptions, 'tz'>, Omit<DegradationSelection, 'units'> {
  units?: Record<string, string>;
}

/** `iiot analyze degradation` as a function (one result per indicator; no fusing). */
export async function degradation(
  files: string | readonly string[],
  opts: DegradationAnalysisOptions = {},
): Promise<DegradationResult & { notes: string[] }> {
  const paths = await expandParts(list(files), opts.allParts === true);
  const tz = await zoneOf(paths, opts.tz);
  const { tags, running, runningTag, blockMs, band, units, allParts: _a, strict, onIssue, tz: _tz, ...analysis } = opts;
  const set = await openCaptureSet(paths, { ...(strict ? { strict: true } : {}), ...(onIssue ? { onIssue } : {}) });
  let collected: Awaited<ReturnType<typeof collectDegradation>>;
  try {
    collected = await collectDegradation(set, timeMs, {
      ...(tags ? { tags } : {}),
      ...(running !== undefined ? { running } : {}),
      ...(runningTag ? { runningTag } : {}),
      ...(blockMs !== undefined ? { blockMs } : {}),
      ...(band ? { band } : {}),
      units: units ?? {},
    });
  } finally {
    await set.close();
  }
  const o: DegradationOptions = { ...analysis, tz };
  const base = analyzeDegradation([], o);
  return { ...base, indicators: collected.inputs.map((i) => analyzeIndicator(i, o)), notes: collected.notes };
}
