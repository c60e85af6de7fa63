import type { Command } from 'commander';
import { action, examples } from '../src/core/command.js';
import { refuseToReplace } from '../src/core/output-file.js';
import { usageError } from '../src/core/errors.js';
import type { IO } from '../src/core/io.js';
import { checkTimeZone, parseTimeArg } from '../src/core/time.js';
import { parseDuration, parseQuantity } from '../src/core/units.js';

/**
 * `iiot analyze degradation|energy FILE...`: flags become typed options here; the analysis is
 * imported lazily (src/analysis/command.ts) so that `iiot --help` never loads it.
 */

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

interface CommonFlags {
  tz?: string;
  from?: string;
  to?: string;
  report?: string;
  force?: boolean;
  strict?: boolean;
  unit?: string[];
}

interface DegradationFlags extends CommonFlags {
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

interface EnergyFlags extends CommonFlags {
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
    if (eq <= 0 || eq === item.length - 1) throw usageError(`${what}: cannot read "${item}"`, `write TAG=VALUE, for example ${what} ${example}`);
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
  if (!(to > from)) throw usageError(`${what}: the period ends before it starts`, `write FROM..TO with FROM earlier, for example ${what} 2026-01-01..2026-03-31`);
  return [from, to];
}

function fraction(text: string, what: string): number {
  const s = text.trim();
  const pct = s.endsWith('%');
  const x = Number(pct ? s.slice(0, -1) : s);
  if (!Number.isFinite(x) || x <= 0) throw usageError(`${what}: cannot read "${text}"`, `write a percentage such as 80% or a fraction such as 0.8`);
  return pct || x > 1 ? x / 100 : x;
}

/** `siteTz`: the capture's own zone (its header's metadata.timezone), the default when --tz is not given. */
function common(f: CommonFlags, files: string[], siteTz?: string) {
  const tz = checkTimeZone(f.tz ?? siteTz ?? 'UTC');
  const report = f.report;
  if (report !== undefined && !/\.(md|markdown|html?)$/i.test(report)) throw usageError(`--report ${report}: say the format by the extension`, 'write --report FILE.md or --report FILE.html');
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
  let threshold: import('../src/analysis/degradation.js').ThresholdSpec | undefined;
  if (f.threshold !== undefined) {
    const t = f.threshold.trim();
    const zone = /^zone:([A-D]\/[A-D])$/i.exec(t);
    const mult = /^(\d+(?:\.\d+)?)\s*x(?:\s*baseline)?$/i.exec(t);
    if (zone) {
      const b = zone[1]!.toUpperCase();
      if (b !== 'A/B' && b !== 'B/C' && b !== 'C/D') throw usageError(`--threshold ${t}: no such zone boundary`, 'write zone:A/B, zone:B/C or zone:C/D');
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
  if (group !== undefined && ![1, 2, 3, 4].includes(group)) throw usageError(`--group ${f.group}: ISO 10816-3 machine groups are 1 to 4`, 'group 1: 300 kW-50 MW; group 2: 15-300 kW; 3 and 4: pumps');
  const foundation = f.foundation ?? 'rigid';
  if (foundation !== 'rigid' && foundation !== 'flexible') throw usageError(`--foundation ${foundation}: write rigid or flexible`);
  const stat = f.stat ?? 'median';
  if (!['median', 'mean', 'max', 'p95', 'rms', 'min'].includes(stat)) throw usageError(`--stat ${stat}: write median, mean, max, p95 or rms`);
  const onset = f.onset ?? 'cusum';
  if (onset !== 'cusum' && onset !== 'k-of-n' && onset !== '3-sigma') throw usageError(`--onset ${onset}: write cusum, k-of-n or 3-sigma`);
  let band: [number, number] | undefined;
  if (f.band !== undefined) {
    const m = /^(\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)\s*(hz)?$/i.exec(f.band.trim());
    if (!m || !(Number(m[2]) > Number(m[1]))) throw usageError(`--band ${f.band}: cannot read it as a frequency band`, 'write LOW-HIGH in Hz, for example --band 500-2000');
    band = [Number(m[1]), Number(m[2])];
  }
  const failOn = f.failOn;
  if (failOn !== undefined && !['watch', 'degrading', 'above-threshold'].includes(failOn)) throw usageError(`--fail-on ${failOn}: write watch, degrading or above-threshold`);
  const baseline = f.baseline !== undefined ? period(f.baseline, '--baseline', c.tz) : undefined;
  const kinds = pairs(f.kind, '--kind', 'Bearing1_ch1_kurt=excess-kurtosis');
  const KINDS = ['level', 'rms', 'peak', 'kurtosis', 'excess-kurtosis', 'crest-factor', 'skewness'];
  for (const [tag, k] of Object.entries(kinds)) if (!KINDS.includes(k)) throw usageError(`--kind ${tag}=${k}: write ${KINDS.slice(0, -1).join(', ')} or ${KINDS[KINDS.length - 1]}`);
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
      ...(f.tag?.length ? { tags: f.tag.flatMap((t) => t.split(',')).map((t) => t.trim()).filter(Boolean) } : {}),
      ...(f.running === false ? { running: false } : typeof f.running === 'string' ? { runningTag: f.running } : {}),
      ...(f.block ? { blockMs: parseDuration(f.block, '--block') } : {}),
      ...(band ? { band } : {}),
      units: c.units,
      kinds: kinds as Record<string, import('../src/analysis/source.js').FeatureKind>,
    },
    analysis: {
      ...(f.window ? { windowMs: parseDuration(f.window, '--window') } : {}),
      stat: stat as 'median',
      ...(baseline ? { baseline: { from: baseline[0], to: baseline[1] } } : {}),
      onset: { method: onset as 'cusum' | 'k-of-n' | '3-sigma', ...(f.allowance ? { allowance: fraction(f.allowance, '--allowance') } : {}), ...(decision !== undefined ? { h: decision } : {}) },
      ...(spread !== undefined ? { spread } : {}),
      ...(threshold ? { threshold } : {}),
      ...(group !== undefined || f.foundation !== undefined || threshold?.kind === 'zone' ? { iso: { group: (group ?? 2) as 1 | 2 | 3 | 4, foundation: foundation as 'rigid' | 'flexible' } } : {}),
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
  for (const [tag, k] of Object.entries(kinds)) if (!['counter', 'interval', 'power'].includes(k)) throw usageError(`--kind ${tag}=${k}: write counter, interval or power`);
  const demand = f.demand ?? undefined;
  if (demand !== undefined && demand !== 'block' && demand !== 'rolling') throw usageError(`--demand ${demand}: write block or rolling`);
  let shifts: { name: string; window: { from: number; to: number } }[] | undefined;
  if (f.shifts !== undefined) {
    shifts = f.shifts.split(',').map((s, i) => {
      const [name, range] = s.includes('=') ? (s.split('=') as [string, string]) : [`shift ${i + 1}`, s];
      const m = /^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$/.exec(range);
      const a = m ? Number(m[1]) * 60 + Number(m[2]) : Number.NaN;
      const b = m ? Number(m[3]) * 60 + Number(m[4]) : Number.NaN;
      if (!m || a > 1440 || b > 1440 || a === b || Number(m[2]) > 59 || Number(m[4]) > 59) throw usageError(`--shifts: cannot read "${s}"`, 'write NAME=HH:MM-HH:MM,... for example --shifts early=06:00-14:00,late=14:00-22:00');
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
  if ((baselinePeriod === undefined) !== (reportPeriod === undefined)) throw usageError('--baseline-period and --report-period go together', 'give both periods to compare them');
  const celsius = (text: string | undefined, what: string): number | undefined => {
    if (text === undefined) return undefined;
    const q = parseQuantity(text, what);
    if (q.unit !== undefined && !/^(°?c|degc)$/i.test(q.unit)) throw usageError(`${what} ${text}: give the base temperature in °C`, `for example ${what} 15.5`);
    return q.value;
  };
  const hddBaseC = celsius(f.hddBase, '--hdd-base');
  const cddBaseC = celsius(f.cddBase, '--cdd-base');
  const subs = f.subs === false ? ('none' as const) : f.sub?.length ? f.sub.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean) : ('auto' as const);
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

function addCommon(cmd: Command): Command {
  return cmd
    .option('--tz <zone>', "time zone for days, shifts, profiles and printed times (IANA name; default: the capture's metadata.timezone, else UTC)")
    .option('--from <time>', 'analyse from this time ("2026-11-01", "2026-11-01 06:00" in --tz, or ISO with a zone)')
    .option('--to <time>', 'analyse up to this time')
    .option('--report <file>', 'also write a report: FILE.md (Markdown) or FILE.html (one self-contained page with charts)')
    .option('--force', 'replace the --report file if it exists')
    .option('--unit <tag=unit>', 'the unit of a tag whose header has none or a wrong one (repeatable)', collect)
    .option('--strict', 'a bad or torn line in the capture is an error, not a warning');
}

export function register(program: Command): void {
  const analyze = program
    .command('analyze')
    .summary('offline analyses of captures: equipment degradation and energy')
    .description('Reads capture files (CSV files first go through `iiot capture import`) and answers: is this machine degrading, and where does the energy go? Methods and conventions: docs/analysis.md.')
    .addHelpText(
      'after',
      examples(
        'iiot sim --generate --days 30 -o plant.jsonl.gz                 # a month of plant data to try them on',
        'iiot analyze degradation plant.jsonl.gz --tag pump1.vibration --threshold zone:C/D',
        'iiot analyze energy plant.jsonl.gz --tz Europe/Madrid --report energy.html',
      ),
    );
  addCommon(
    analyze
      .command('degradation')
      .summary('health indicators, onset, trend and remaining useful life with an interval')
      .description(
        'For each vibration or temperature tag (or --tag): windowed health indicator, healthy baseline, onset of degradation ' +
          '(CUSUM on the log indicator), linear and exponential trends with R² and significance, and the remaining life to a ' +
          'threshold (a value, an ISO 10816-3 zone boundary, or a multiple of the baseline) with an interval. Raw signals ' +
          '(faster than 100 Hz, or waveform arrays) give RMS, peak, crest factor and kurtosis per block.',
      )
      .argument('<file...>', 'capture file(s), read in order as one capture')
      .option('--tag <name>', 'analyse this tag (repeatable; default: every vibration and temperature tag, and unitless tags named ..._rms, ..._kurtosis, ..._crest_factor, ..._skewness, ..._peak)', collect)
      .option('--threshold <t>', 'remaining life to: a value ("7.1mm/s"), a zone boundary ("zone:C/D") or a multiple of the baseline ("2x")')
      .option('--group <n>', 'ISO 10816-3 machine group for zones: 1 (300 kW-50 MW), 2 (15-300 kW), 3/4 (pumps)', '2')
      .option('--foundation <kind>', 'ISO 10816-3 foundation: rigid or flexible', 'rigid')
      .option('--window <duration>', 'window of the indicator statistic (default: automatic, from the sampling and the span)')
      .option('--stat <stat>', 'statistic per window: median, mean, max, p95', 'median')
      .option('--baseline <period>', 'healthy baseline period FROM..TO (default: automatic, the first quarter)')
      .option('--onset <method>', 'onset detector: cusum, k-of-n, or 3-sigma (the textbook rule, for comparison)', 'cusum')
      .option('--allowance <pct>', 'onset: sustained rises below this never count (default 20%)')
      .option('--decision <x>', 'onset: evidence needed, in ln-units x windows (default 0.3: with at most 0.05 counted a window, 6 windows)')
      .option('--kind <tag=kind>', 'what a unitless tag is: level, rms, peak, kurtosis, excess-kurtosis, crest-factor or skewness (default: from its name) (repeatable)', collect)
      .option('--interval-spread <x>', 'remaining life: widen the interval in log time by this factor (default: the calibrated one, docs/analysis.md)')
      .option('--level <pct>', 'interval level for forecasts and remaining life', '80%')
      .option('--change-window <duration>', 'report the change over this window (default: 48h, or a quarter of a shorter record)')
      .option('--fuse', 'fuse the selected indicators into one health index (for multi-sensor machines)')
      .option('--running <tag>', 'the running flag whose "off" samples are left out (default: each asset\'s X.running, X.on ...)')
      .option('--no-running', 'keep the samples taken while a machine was stopped')
      .option('--block <duration>', 'raw signals: indicator block length', '1s')
      .option('--band <hz>', 'raw waveform arrays: band energy in LOW-HIGH Hz (needs the tag\'s sampleRate)')
      .option('--fail-on <status>', 'exit 1 if any indicator is at or past: watch, degrading, above-threshold'),
  )
    .addHelpText(
      'after',
      examples(
        'iiot analyze degradation pumps.jsonl.gz --threshold zone:C/D --group 2 --foundation rigid',
        'iiot analyze degradation plant.jsonl.gz --tag press.vibration --threshold 7.1mm/s --report press.html',
        'iiot analyze degradation rig.jsonl --threshold 2x --fail-on degrading --json',
      ),
    )
    .action(
      action<DegradationFlags>(async (io: IO, flags, args) => {
        const opts = degradationOptions(flags, args, flags.tz === undefined ? await (await import('../src/analysis/site-tz.js')).captureTimeZone(io, args) : undefined);
        const { runDegradation } = await import('../src/analysis/command.js');
        return runDegradation(io, opts);
      }),
    );
  addCommon(
    analyze
      .command('energy')
      .summary('kWh, peak demand, base load, cost, CO2e and savings opportunities')
      .description(
        'Energy from power tags (integrated, never across gaps longer than --max-gap), energy counters (differences, with ' +
          'rollovers, resets and glitches handled) or interval energy; totals per day, week, month and shift; peak demand; ' +
          'load profile; base load; idle and off-shift energy; load factor; power factor; cost from a tariff file; CO2e; ' +
          'energy per unit; baselines (two periods, regression judged by ASHRAE Guideline 14); ranked opportunities.',
      )
      .argument('<file...>', 'capture file(s), read in order as one capture')
      .option('--meter <tag>', 'the main meter (default: chosen from the header: a plant/main/total power or energy tag)')
      .option('--sub <tag>', 'a sub-meter to break the energy down (repeatable; default: every other meter)', collect)
      .option('--no-subs', 'no sub-meter breakdown')
      .option('--reactive <tag>', 'reactive energy (kvarh) or power (kvar) for the power factor, lagging when a leading one is metered apart (default: found by unit)')
      .option('--reactive-leading <tag>', 'leading (capacitive) reactive energy metered apart from the lagging (default: a reactive tag named lead...)')
      .option('--temperature <tag>', 'outdoor temperature for degree days as a baseline driver (default: a temperature tag named outdoor, ambient, weather...)')
      .option('--hdd-base <celsius>', 'heating degree-day base temperature, °C (default 15.5)')
      .option('--cdd-base <celsius>', 'cooling degree-day base temperature, °C (default 18.3)')
      .option('--production <tag>', 'production counter (pcs) for energy per unit and idle time')
      .option('--producing <tag>', 'boolean tag that is true while the plant produces')
      .option('--kind <tag=kind>', 'an energy tag is a counter or interval energy (default: decided from the readings)', collect)
      .option('--max-gap <duration>', 'never integrate power across a gap longer than this (default: 5x the sample spacing, at least 2m)')
      .option('--interval <duration>', 'interval energy: the interval length (default: the reading spacing)')
      .option('--interval-end', "interval energy: timestamps mark the END of each interval (default: what the capture header says, else the start)")
      .option('--no-interval-end', 'interval energy: timestamps mark the START of each interval, whatever the capture header says')
      .option('--demand-interval <duration>', "demand interval (default: the tariff's, else 15m)")
      .option('--demand <method>', "demand: block (clock-aligned intervals) or rolling (sliding window, 1-minute steps) (default: the tariff's, else block)")
      .option('--shifts <list>', 'production shifts in --tz: NAME=HH:MM-HH:MM,... (e.g. early=06:00-14:00,late=14:00-22:00)')
      .option('--workdays <days>', "days the shifts run, and the baseline's workdays (day type)", 'mon-fri')
      .option('--tariff <file>', 'tariff file (YAML): time-of-use prices, demand charge, fixed and reactive charges (docs/analysis.md)')
      .option('--co2 <factor>', 'emission factor, kg CO2e per kWh (e.g. 0.233 or 233g/kWh)')
      .option('--baseline-period <period>', 'compare periods: the baseline FROM..TO (with --report-period)')
      .option('--report-period <period>', 'compare periods: the reporting period FROM..TO'),
  )
    .addHelpText(
      'after',
      examples(
        'iiot analyze energy plant-nov.jsonl.gz --tz Europe/Madrid --tariff tariff.yaml --report nov.html',
        'iiot analyze energy steel.jsonl --meter Usage_kWh --kind Usage_kWh=interval',
        'iiot analyze energy plant.jsonl.gz --shifts early=06:00-14:00,late=14:00-22:00 --baseline-period 2026-01-01..2026-03-31 --report-period 2026-04-01..2026-06-30 --json',
      ),
    )
    .action(
      action<EnergyFlags>(async (io: IO, flags, args) => {
        const opts = energyOptions(flags, args, flags.tz === undefined ? await (await import('../src/analysis/site-tz.js')).captureTimeZone(io, args) : undefined);
        const { runEnergy } = await import('../src/analysis/command.js');
        return runEnergy(io, opts);
      }),
    );
  registerFleet(analyze);
}

/** `iiot analyze fleet train|predict`: options in src/fleet/options.ts, the work in src/fleet/run.ts (imported lazily). */
function registerFleet(analyze: Command): void {
  const fleet = analyze
    .command('fleet')
    .summary('remaining life learned from a fleet\'s run-to-failure histories: train a model, predict with intervals')
    .description(
      'Learns remaining useful life from run-to-failure histories of machines of one type (NASA C-MAPSS text files as ' +
        'published, or iiot captures, one asset each) and predicts it, with an interval, for running ones. Hyper-parameters ' +
        'are chosen by cross-validation on the training histories and recorded in the model file (docs/fleet-model.md).',
    )
    .addHelpText(
      'after',
      examples(
        'iiot analyze fleet train train_FD001.txt.gz --format cmapss -o fd001-model.json',
        'iiot analyze fleet predict fd001-model.json test_FD001.txt.gz --json',
        'iiot analyze fleet train pump-*.jsonl.gz --setting pump.speed --step 1h -o pumps-model.json',
      ),
    );
  fleet
    .command('train')
    .summary('learn a fleet model from run-to-failure histories')
    .argument('<histories...>', 'run-to-failure histories: C-MAPSS text files (plain or .gz) or captures, one asset each, each ending at its failure')
    .requiredOption('-o, --output <file>', 'the model file to write (JSON)')
    .option('--force', 'replace the model file if it exists')
    .option('--format <format>', 'cmapss, capture or auto (by the file name and content)', 'auto')
    .option('--setting <tag>', 'captures: an operating-setting tag (repeatable); cycles are grouped by their rounded settings', collect)
    .option('--sensor <tag>', 'captures: a sensor tag (repeatable; default: every other numeric tag)', collect)
    .option('--step <duration>', 'captures: the time step that plays the part of a cycle (default: the typical sample spacing)')
    .option('--cap <n>', 'the largest remaining life the model is taught: cycles (default 125), or for captures steps or a duration (default: 60% of the median life)')
    .option('--model <kind>', 'gbdt (gradient-boosted trees) or ridge', 'gbdt')
    .option('--folds <n>', 'cross-validation folds (by unit)', '5')
    .option('--depth <list>', 'gbdt: tree depths to try', '4,6')
    .option('--trees <list>', 'gbdt: numbers of trees to try', '100,200,300,400,500')
    .option('--learning-rate <x>', 'gbdt: learning rate', '0.05')
    .option('--min-leaf <n>', 'gbdt: fewest rows in a leaf', '20')
    .option('--ridge <list>', 'ridge: penalties to try', '1,10,100')
    .option('--min-history <n>', 'cross-validation: first cut after this many cycles or steps', '30')
    .option('--stride <n>', 'cross-validation: a cut every n cycles or steps', '5')
    .option('--setting-decimals <n>', 'decimals the settings are rounded to when grouping operating conditions', '0')
    .option('--seed <n>', 'seed of the fold assignment and row sampling', '42')
    .addHelpText(
      'after',
      examples(
        'iiot analyze fleet train train_FD001.txt.gz --format cmapss -o fd001-model.json',
        'iiot analyze fleet train pump-*.jsonl.gz --setting pump.speed --step 1h -o pumps-model.json --json',
      ),
    )
    .action(
      action<import('../src/fleet/options.js').FleetTrainFlags>(async (io: IO, flags, args) => {
        const { fleetTrainOptions } = await import('../src/fleet/options.js');
        const { runFleetTrain } = await import('../src/fleet/run.js');
        return runFleetTrain(io, fleetTrainOptions(flags, args));
      }),
    );
  fleet
    .command('predict')
    .summary('remaining life of running units, with intervals, from a fleet model')
    .argument('<model>', 'a model file written by `iiot analyze fleet train`')
    .argument('<histories...>', 'histories of running units, of the same kind as the training ones')
    .option('--format <format>', "cmapss, capture or auto (the model's)", 'auto')
    .option('--level <pct>', 'interval level: 50%, 80%, 90% or 95%', '80%')
    .addHelpText(
      'after',
      examples('iiot analyze fleet predict fd001-model.json test_FD001.txt.gz', 'iiot analyze fleet predict pumps-model.json pump7.jsonl.gz --level 90% --json'),
    )
    .action(
      action<import('../src/fleet/options.js').FleetPredictFlags>(async (io: IO, flags, args) => {
        const { fleetPredictOptions } = await import('../src/fleet/options.js');
        const { runFleetPredict } = await import('../src/fleet/run.js');
        return runFleetPredict(io, fleetPredictOptions(flags, args));
      }),
    );
}
