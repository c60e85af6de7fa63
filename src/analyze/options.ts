/**
 * `iiot analyze degradation|energy` flags -> typed options (degradationOptions, energyOptions:
 * the seam tests use). Times and periods are read in --tz, else in the capture's own time zone
 * (its header's metadata.timezone), which degradationArguments and energyArguments look up first.
 */
import type { ThresholdSpec } from '../analysis/degradation.js';
import type { FeatureKind } from '../analysis/source.js';
import { usageError } from '../core/errors.js';
import { warn, type IO } from '../core/io.js';
import { refuseToReplace } from '../core/output-file.js';
import { checkTimeZone, parseTimeArg } from '../core/time.js';
import { parseDuration, parseQuantity } from '../core/units.js';

export interface CommonFlags {
  tz?: string;
  from?: string;
  to?: string;
  report?: string;
  force?: boolean;
  strict?: boolean;
  unit?: string[];
}

export interface DegradationFlags extends CommonFlags {
  tag?: string[];
  threshold?: string;
  group?: string;
  foundation?: string;
  window?: string;
  stat?: string;
  baseline?: string;
  onset?: string;
  allowance?: string;
  level?: string;
  changeWindow?: string;
  fuse?: boolean;
  block?: string;
  band?: string;
  failOn?: string;
  kind?: string[];
  decision?: string;
  intervalSpread?: string;
  /** commander: --running <tag> sets a string, --no-running sets false */
  running?: string | boolean;
}

export interface EnergyFlags extends CommonFlags {
  meter?: string;
  sub?: string[];
  subs?: boolean;
  reactive?: string;
  reactiveLeading?: string;
  temperature?: string;
  hddBase?: string;
  cddBase?: string;
  production?: string;
  producing?: string;
  kind?: string[];
  maxGap?: string;
  interval?: string;
  intervalEnd?: boolean;
  demandInterval?: string;
  demand?: string;
  shifts?: string;
  workdays?: string;
  tariff?: string;
  co2?: string;
  baselinePeriod?: string;
  reportPeriod?: string;
}

function pairs(list: string[] | undefined, what: string, example: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const item of list ?? []) {
    const eq = item.lastIndexOf('=');
    if (eq <= 0 || eq === item.length - 1)
      throw usageError(`${what}: cannot read "${item}"`, `write TAG=VALUE, for example ${what} ${example}`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** "2026-01-01..2026-03-31" (dates or times, in --tz) -> [from, to) in epoch ms; a date as the end includes that day. */
function period(text: string, what: string, tz: string): [number, number] {
  const m = /^(.+?)\.\.(.+)$/.exec(text.trim());
  if (!m) throw usageError(`${what}: cannot read "${text}" as a period`, `write FROM..TO, for example ${what} 2026-01-01..2026-03-31`);
  const from = parseTimeArg(m[1]!, what, tz);
  let to = parseTimeArg(m[2]!, what, tz);
  if (/^\d{4}-\d{2}-\d{2}$/.test(m[2]!.trim())) {
    // a date as the end includes that whole local day: the end is the next local midnight
    const [y, mo, d] = m[2]!.trim().split('-').map(Number) as [number, number, number];
    const next = new Date(Date.UTC(y, mo - 1, d + 1));
    to = parseTimeArg(next.toISOString().slice(0, 10), what, tz);
  }
  if (!(to > from))
    throw usageError(
      `${what}: the period ends before it starts`,
      `write FROM..TO with FROM earlier, for example ${what} 2026-01-01..2026-03-31`,
    );
  return [from, to];
}

function fraction(text: string, what: string): number {
  const s = text.trim();
  const pct = s.endsWith('%');
  const x = Number(pct ? s.slice(0, -1) : s);
  if (!Number.isFinite(x) || x <= 0)
    throw usageError(`${what}: cannot read "${text}"`, `write a percentage such as 80% or a fraction such as 0.8`);
  return pct || x > 1 ? x / 100 : x;
}

/** `siteTz`: the capture's own zone (its header's metadata.timezone), the default when --tz is not given. */
function common(f: CommonFlags, files: string[], siteTz?: string) {
  const tz = checkTimeZone(f.tz ?? siteTz ?? 'UTC');
  const report = f.report;
  if (report !== undefined && !/\.(md|markdown|html?)$/i.test(report))
    throw usageError(`--report ${report}: say the format by the extension`, 'write --report FILE.md or --report FILE.html');
  // before the capture is read: an existing report is replaced only with --force
  if (report !== undefined) refuseToReplace(report, { force: f.force });
  return {
    files,
    tz,
    tzGiven: f.tz !== undefined,
    tzSource: (f.tz !== undefined ? 'option' : siteTz !== undefined ? 'capture' : 'default') as 'option' | 'capture' | 'default',
    ...(f.from ? { from: parseTimeArg(f.from, '--from', tz) } : {}),
    ...(f.to ? { to: parseTimeArg(f.to, '--to', tz) } : {}),
    ...(report ? { report } : {}),
    force: f.force === true,
    strict: f.strict === true,
    units: pairs(f.unit, '--unit', 'vib1=mm/s'),
  };
}

export function degradationOptions(f: DegradationFlags, files: string[], siteTz?: string) {
  const c = common(f, files, siteTz);
  let threshold: ThresholdSpec | undefined;
  if (f.threshold !== undefined) {
    const t = f.threshold.trim();
    const zone = /^zone:([A-D]\/[A-D])$/i.exec(t);
    const mult = /^(\d+(?:\.\d+)?)\s*x(?:\s*baseline)?$/i.exec(t);
    if (zone) {
      const b = zone[1]!.toUpperCase();
      if (b !== 'A/B' && b !== 'B/C' && b !== 'C/D')
        throw usageError(`--threshold ${t}: no such zone boundary`, 'write zone:A/B, zone:B/C or zone:C/D');
      threshold = { kind: 'zone', boundary: b };
    } else if (mult) {
      const k = Number(mult[1]);
      if (!(k > 1)) throw usageError(`--threshold ${t}: a multiple of the baseline must be above 1`, 'for example --threshold 2x');
      threshold = { kind: 'baseline', factor: k };
    } else {
      const q = parseQuantity(t, '--threshold');
      threshold = { kind: 'value', value: q.value, ...(q.unit ? { unit: q.unit } : {}) };
    }
  }
  const group = f.group === undefined ? undefined : Number(f.group);
  if (group !== undefined && ![1, 2, 3, 4].includes(group))
    throw usageError(
      `--group ${f.group}: ISO 10816-3 machine groups are 1 to 4`,
      'group 1: 300 kW-50 MW; group 2: 15-300 kW; 3 and 4: pumps',
    );
  const foundation = f.foundation ?? 'rigid';
  if (foundation !== 'rigid' && foundation !== 'flexible') throw usageError(`--foundation ${foundation}: write rigid or flexible`);
  const stat = f.stat ?? 'median';
  if (!['median', 'mean', 'max', 'p95', 'rms', 'min'].includes(stat))
    throw usageError(`--stat ${stat}: write median, mean, max, p95 or rms`);
  const onset = f.onset ?? 'cusum';
  if (onset !== 'cusum' && onset !== 'k-of-n' && onset !== '3-sigma') throw usageError(`--onset ${onset}: write cusum, k-of-n or 3-sigma`);
  let band: [number, number] | undefined;
  if (f.band !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*(hz)?$/i.exec(f.band.trim());
    if (!m || !(Number(m[2]) > Number(m[1])))
      throw usageError(`--band ${f.band}: cannot read it as a frequency band`, 'write LOW-HIGH in Hz, for example --band 500-2000');
    band = [Number(m[1]), Number(m[2])];
  }
  const failOn = f.failOn;
  if (failOn !== undefined && !['watch', 'degrading', 'above-threshold'].includes(failOn))
    throw usageError(`--fail-on ${failOn}: write watch, degrading or above-threshold`);
  const baseline = f.baseline !== undefined ? period(f.baseline, '--baseline', c.tz) : undefined;
  const kinds = pairs(f.kind, '--kind', 'Bearing1_ch1_kurt=excess-kurtosis');
  const KINDS = ['level', 'rms', 'peak', 'kurtosis', 'excess-kurtosis', 'crest-factor', 'skewness'];
  for (const [tag, k] of Object.entries(kinds))
    if (!KINDS.includes(k)) throw usageError(`--kind ${tag}=${k}: write ${KINDS.slice(0, -1).join(', ')} or ${KINDS[KINDS.length - 1]}`);
  const positive = (text: string | undefined, what: string) => {
    if (text === undefined) return undefined;
    const x = Number(text);
    if (!(x > 0)) throw usageError(`${what} ${text}: write a number above zero`);
    return x;
  };
  const decision = positive(f.decision, '--decision');
  const spread = positive(f.intervalSpread, '--interval-spread');
  return {
    ...c,
    fuse: f.fuse === true,
    ...(failOn ? { failOn: failOn as 'watch' | 'degrading' | 'above-threshold' } : {}),
    selection: {
      ...(f.tag?.length
        ? {
            tags: f.tag
              .flatMap((t) => t.split(','))
              .map((t) => t.trim())
              .filter(Boolean),
          }
        : {}),
      ...(f.running === false ? { running: false } : typeof f.running === 'string' ? { runningTag: f.running } : {}),
      ...(f.block ? { blockMs: parseDuration(f.block, '--block') } : {}),
      ...(band ? { band } : {}),
      units: c.units,
      kinds: kinds as Record<string, FeatureKind>,
    },
    analysis: {
      ...(f.window ? { windowMs: parseDuration(f.window, '--window') } : {}),
      stat: stat as 'median',
      ...(baseline ? { baseline: { from: baseline[0], to: baseline[1] } } : {}),
      onset: {
        method: onset as 'cusum' | 'k-of-n' | '3-sigma',
        ...(f.allowance ? { allowance: fraction(f.allowance, '--allowance') } : {}),
        ...(decision !== undefined ? { h: decision } : {}),
      },
      ...(spread !== undefined ? { spread } : {}),
      ...(threshold ? { threshold } : {}),
      ...(group !== undefined || f.foundation !== undefined || threshold?.kind === 'zone'
        ? { iso: { group: (group ?? 2) as 1 | 2 | 3 | 4, foundation: foundation as 'rigid' | 'flexible' } }
        : {}),
      ...(f.changeWindow ? { changeWindowMs: parseDuration(f.changeWindow, '--change-window') } : {}),
      level: f.level ? fraction(f.level, '--level') : 0.8,
      tz: c.tz,
    },
  };
}

export type DegradationCommandOptions = ReturnType<typeof degradationOptions>;

export function energyOptions(f: EnergyFlags, files: string[], siteTz?: string) {
  const c = common(f, files, siteTz);
  const kinds = pairs(f.kind, '--kind', 'meter.energy=counter');
  for (const [tag, k] of Object.entries(kinds))
    if (!['counter', 'interval', 'power'].includes(k)) throw usageError(`--kind ${tag}=${k}: write counter, interval or power`);
  const demand = f.demand ?? undefined;
  if (demand !== undefined && demand !== 'block' && demand !== 'rolling') throw usageError(`--demand ${demand}: write block or rolling`);
  let shifts: { name: string; window: { from: number; to: number } }[] | undefined;
  if (f.shifts !== undefined) {
    shifts = f.shifts.split(',').map((s, i) => {
      const [name, range] = s.includes('=') ? (s.split('=') as [string, string]) : [`shift ${i + 1}`, s];
      const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(range);
      const a = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
      const b = m ? Number(m[3]) * 60 + Number(m[4]) : Number.NaN;
      if (!m || a > 1440 || b > 1440 || a === b || Number(m[2]) > 59 || Number(m[4]) > 59)
        throw usageError(
          `--shifts: cannot read "${s}"`,
          'write NAME=HH:MM-HH:MM,... for example --shifts early=06:00-14:00,late=14:00-22:00',
        );
      return { name: name.trim(), window: { from: a % 1440, to: b === 0 ? 1440 : b } };
    });
  }
  let workdays: number[] | undefined;
  if (f.workdays !== undefined) {
    const names = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
    const out = new Set<number>();
    for (const part of f.workdays.toLowerCase().split(',')) {
      const m = /^\s*([a-z]{3})(?:-([a-z]{3}))?\s*$/.exec(part);
      const a = m ? names.indexOf(m[1]!) : -1;
      const b = m ? names.indexOf(m[2] ?? m[1]!) : -1;
      if (a < 0 || b < 0) throw usageError(`--workdays: cannot read "${f.workdays}"`, 'write mon-fri, mon-sat or mon,tue,thu');
      for (let d = a; ; d = (d + 1) % 7) {
        out.add(d);
        if (d === b) break;
      }
    }
    workdays = [...out].sort();
  }
  let co2: number | undefined;
  if (f.co2 !== undefined) {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(kg\/kwh|g\/kwh|t\/mwh|kg)?\s*$/i.exec(f.co2);
    if (!m) throw usageError(`--co2: cannot read "${f.co2}"`, 'write kg CO2e per kWh, for example --co2 0.233 or --co2 233g/kWh');
    const unit = (m[2] ?? 'kg/kwh').toLowerCase();
    co2 = Number(m[1]) * (unit === 'g/kwh' ? 0.001 : 1);
  }
  const baselinePeriod = f.baselinePeriod ? period(f.baselinePeriod, '--baseline-period', c.tz) : undefined;
  const reportPeriod = f.reportPeriod ? period(f.reportPeriod, '--report-period', c.tz) : undefined;
  if ((baselinePeriod === undefined) !== (reportPeriod === undefined))
    throw usageError('--baseline-period and --report-period go together', 'give both periods to compare them');
  const celsius = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const q = parseQuantity(text, what);
    if (q.unit !== undefined && !/^(°?c|degc)$/i.test(q.unit))
      throw usageError(`${what} ${text}: give the base temperature in °C`, `for example ${what} 15.5`);
    return q.value;
  };
  const hddBaseC = celsius(f.hddBase, '--hdd-base');
  const cddBaseC = celsius(f.cddBase, '--cdd-base');
  const subs =
    f.subs === false
      ? ('none' as const)
      : f.sub?.length
        ? f.sub
            .flatMap((s) => s.split(','))
            .map((s) => s.trim())
            .filter(Boolean)
        : ('auto' as const);
  return {
    ...c,
    ...(f.tariff ? { tariffFile: f.tariff } : {}),
    selection: {
      ...(f.meter ? { meter: f.meter } : {}),
      ...(f.reactive ? { reactive: f.reactive } : {}),
      ...(f.reactiveLeading ? { reactiveLeading: f.reactiveLeading } : {}),
      ...(f.temperature ? { temperature: f.temperature } : {}),
      ...(f.production ? { production: f.production } : {}),
      ...(f.producing ? { producing: f.producing } : {}),
      subs,
      units: c.units,
      kinds: kinds as Record<string, 'counter' | 'interval' | 'power'>,
    },
    meter: {
      ...(f.maxGap ? { maxGapMs: parseDuration(f.maxGap, '--max-gap') } : {}),
      ...(f.interval ? { intervalMs: parseDuration(f.interval, '--interval') } : {}),
      // undefined: the capture header's `interval` tag field decides, else the interval starts at the stamp
      ...(f.intervalEnd !== undefined ? { intervalEnd: f.intervalEnd } : {}),
    },
    analysis: {
      tz: c.tz,
      ...(f.demandInterval ? { demandIntervalMs: parseDuration(f.demandInterval, '--demand-interval') } : {}),
      ...(demand ? { demandMethod: demand as 'block' | 'rolling' } : {}),
      ...(shifts ? { shifts } : {}),
      ...(workdays ? { workdays } : {}),
      ...(co2 !== undefined ? { co2KgPerKwh: co2 } : {}),
      ...(hddBaseC !== undefined ? { hddBaseC } : {}),
      ...(cddBaseC !== undefined ? { cddBaseC } : {}),
      ...(c.from !== undefined ? { from: c.from } : {}),
      ...(c.to !== undefined ? { to: c.to } : {}),
      ...(baselinePeriod && reportPeriod ? { periods: { baseline: baselinePeriod, report: reportPeriod } } : {}),
    },
  };
}

export type EnergyCommandOptions = ReturnType<typeof energyOptions>;

/** The capture's zone when --tz is not given, with a warning when the header names an unknown one. */
async function captureTimeZone(io: IO, files: readonly string[]): Promise<string | undefined> {
  const { readCaptureTimeZone } = await import('../capture/time-zone.js');
  const r = await readCaptureTimeZone(files);
  if (r.invalid !== undefined)
    warn(io, `${files[0]}: metadata.timezone "${r.invalid}" is not an IANA time zone; times are in UTC (give --tz)`);
  return r.tz;
}

/** `iiot analyze degradation FILE...`: the flags, read in --tz or the capture's own zone. */
export async function degradationArguments(io: IO, files: string[], flags: DegradationFlags): Promise<DegradationCommandOptions> {
  return degradationOptions(flags, files, flags.tz === undefined ? await captureTimeZone(io, files) : undefined);
}

/** `iiot analyze energy FILE...`: the flags, read in --tz or the capture's own zone. */
export async function energyArguments(io: IO, files: string[], flags: EnergyFlags): Promise<EnergyCommandOptions> {
  return energyOptions(flags, files, flags.tz === undefined ? await captureTimeZone(io, files) : undefined);
}
