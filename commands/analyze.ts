import type { Command } from 'commander';
import type { DegradationFlags, EnergyFlags } from '../src/analyze/options.js';
import { action, examples } from '../src/core/command.js';
import type { IO } from '../src/core/io.js';

/**
 * `iiot analyze degradation|energy|fleet`: options and help. The flags become typed options in
 * src/analyze/options.ts (src/fleet/options.ts), the work is src/analyze/run.ts (src/fleet/run.ts),
 * both imported when the command runs, so that building the command table never loads them.
 */

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addCommon(cmd: Command): Command {
  return cmd
    .option(
      '--tz <zone>',
      "time zone for days, shifts, profiles and printed times (IANA name; default: the capture's metadata.timezone, else UTC)",
    )
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
    .description(
      'Reads capture files (CSV files first go through `iiot capture import`) and answers: is this machine degrading, and where does the energy go? Methods and conventions: docs/analysis.md.',
    )
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
      .option(
        '--tag <name>',
        'analyse this tag (repeatable; default: every vibration and temperature tag, and unitless tags named ..._rms, ..._kurtosis, ..._crest_factor, ..._skewness, ..._peak)',
        collect,
      )
      .option(
        '--threshold <t>',
        'remaining life to: a value ("7.1mm/s"), a zone boundary ("zone:C/D") or a multiple of the baseline ("2x")',
      )
      .option('--group <n>', 'ISO 10816-3 machine group for zones: 1 (300 kW-50 MW), 2 (15-300 kW), 3/4 (pumps)', '2')
      .option('--foundation <kind>', 'ISO 10816-3 foundation: rigid or flexible', 'rigid')
      .option('--window <duration>', 'window of the indicator statistic (default: automatic, from the sampling and the span)')
      .option('--stat <stat>', 'statistic per window: median, mean, max, p95', 'median')
      .option('--baseline <period>', 'healthy baseline period FROM..TO (default: automatic, the first quarter)')
      .option('--onset <method>', 'onset detector: cusum, k-of-n, or 3-sigma (the textbook rule, for comparison)', 'cusum')
      .option('--allowance <pct>', 'onset: sustained rises below this never count (default 20%)')
      .option(
        '--decision <x>',
        'onset: evidence needed, in ln-units x windows (default 0.3: with at most 0.05 counted a window, 6 windows)',
      )
      .option(
        '--kind <tag=kind>',
        'what a unitless tag is: level, rms, peak, kurtosis, excess-kurtosis, crest-factor or skewness (default: from its name) (repeatable)',
        collect,
      )
      .option(
        '--interval-spread <x>',
        'remaining life: widen the interval in log time by this factor (default: the calibrated one, docs/analysis.md)',
      )
      .option('--level <pct>', 'interval level for forecasts and remaining life', '80%')
      .option('--change-window <duration>', 'report the change over this window (default: 48h, or a quarter of a shorter record)')
      .option('--fuse', 'fuse the selected indicators into one health index (for multi-sensor machines)')
      .option('--running <tag>', 'the running flag whose "off" samples are left out (default: each asset\'s X.running, X.on ...)')
      .option('--no-running', 'keep the samples taken while a machine was stopped')
      .option('--block <duration>', 'raw signals: indicator block length', '1s')
      .option('--band <hz>', "raw waveform arrays: band energy in LOW-HIGH Hz (needs the tag's sampleRate)")
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
        const { degradationArguments } = await import('../src/analyze/options.js');
        const opts = await degradationArguments(io, args, flags);
        const { runDegradation } = await import('../src/analyze/run.js');
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
      .option(
        '--reactive <tag>',
        'reactive energy (kvarh) or power (kvar) for the power factor, lagging when a leading one is metered apart (default: found by unit)',
      )
      .option(
        '--reactive-leading <tag>',
        'leading (capacitive) reactive energy metered apart from the lagging (default: a reactive tag named lead...)',
      )
      .option(
        '--temperature <tag>',
        'outdoor temperature for degree days as a baseline driver (default: a temperature tag named outdoor, ambient, weather...)',
      )
      .option('--hdd-base <celsius>', 'heating degree-day base temperature, °C (default 15.5)')
      .option('--cdd-base <celsius>', 'cooling degree-day base temperature, °C (default 18.3)')
      .option('--production <tag>', 'production counter (pcs) for energy per unit and idle time')
      .option('--producing <tag>', 'boolean tag that is true while the plant produces')
      .option('--kind <tag=kind>', 'an energy tag is a counter or interval energy (default: decided from the readings)', collect)
      .option('--max-gap <duration>', 'never integrate power across a gap longer than this (default: 5x the sample spacing, at least 2m)')
      .option('--interval <duration>', 'interval energy: the interval length (default: the reading spacing)')
      .option(
        '--interval-end',
        'interval energy: timestamps mark the END of each interval (default: what the capture header says, else the start)',
      )
      .option('--no-interval-end', 'interval energy: timestamps mark the START of each interval, whatever the capture header says')
      .option('--demand-interval <duration>', "demand interval (default: the tariff's, else 15m)")
      .option(
        '--demand <method>',
        "demand: block (clock-aligned intervals) or rolling (sliding window, 1-minute steps) (default: the tariff's, else block)",
      )
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
        const { energyArguments } = await import('../src/analyze/options.js');
        const opts = await energyArguments(io, args, flags);
        const { runEnergy } = await import('../src/analyze/run.js');
        return runEnergy(io, opts);
      }),
    );
  registerFleet(analyze);
}

/** `iiot analyze fleet train|predict`: options in src/fleet/options.ts, the work in src/fleet/run.ts (imported lazily). */
function registerFleet(analyze: Command): void {
  const fleet = analyze
    .command('fleet')
    .summary("remaining life learned from a fleet's run-to-failure histories: train a model, predict with intervals")
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
    .argument(
      '<histories...>',
      'run-to-failure histories: C-MAPSS text files (plain or .gz) or captures, one asset each, each ending at its failure',
    )
    .requiredOption('-o, --output <file>', 'the model file to write (JSON)')
    .option('--force', 'replace the model file if it exists')
    .option('--format <format>', 'cmapss, capture or auto (by the file name and content)', 'auto')
    .option('--setting <tag>', 'captures: an operating-setting tag (repeatable); cycles are grouped by their rounded settings', collect)
    .option('--sensor <tag>', 'captures: a sensor tag (repeatable; default: every other numeric tag)', collect)
    .option('--step <duration>', 'captures: the time step that plays the part of a cycle (default: the typical sample spacing)')
    .option(
      '--cap <n>',
      'the largest remaining life the model is taught: cycles (default 125), or for captures steps or a duration (default: 60% of the median life)',
    )
    .option('--model <kind>', 'gbdt (gradient-boosted trees) or ridge', 'gbdt')
    .option('--folds <n>', 'cross-validation folds (by unit)', '5')
    .option('--depth <list>', 'gbdt: tree depths to try', '3,4')
    .option('--trees <list>', 'gbdt: numbers of trees to try', '100,200,300,400,500')
    .option('--learning-rate <x>', 'gbdt: learning rate (shrinkage)', '0.1')
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
      examples(
        'iiot analyze fleet predict fd001-model.json test_FD001.txt.gz',
        'iiot analyze fleet predict pumps-model.json pump7.jsonl.gz --level 90% --json',
      ),
    )
    .action(
      action<import('../src/fleet/options.js').FleetPredictFlags>(async (io: IO, flags, args) => {
        const { fleetPredictOptions } = await import('../src/fleet/options.js');
        const { runFleetPredict } = await import('../src/fleet/run.js');
        return runFleetPredict(io, fleetPredictOptions(flags, args));
      }),
    );
}
