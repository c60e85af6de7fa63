import type { Command } from 'commander';
import type { ConvertFlags, DiffFlags, ImportFlags, InfoFlags, SliceFlags, ValidateFlags } from '../src/capture-command/options.js';
import { action, examples } from '../src/core/command.js';

/**
 * `iiot capture info|validate|convert|slice|diff|import`: the capture file on its own, offline.
 * Options and help; the flags become typed options in src/capture-command/options.ts and the
 * work is src/capture-command/run.ts, both imported when a subcommand runs.
 */

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

function addCsvImportOptions(cmd: Command): Command {
  return cmd
    .option(
      '--layout <layout>',
      'long (time, tag, value[, quality]) or wide (time, one column per tag); default: long when tag and value columns exist',
    )
    .option('--time-column <name>', 'the time column, by name or 1-based number (default: the first named time, timestamp, date...)')
    .option(
      '--time-format <format>',
      'auto (default), iso, epoch-s, epoch-ms, epoch-us, epoch-ns, or a pattern such as "DD/MM/YYYY HH:mm" (YYYY MM DD HH mm ss SSS A Z)',
    )
    .option('--tz <zone>', 'IANA time zone of times written without a zone', 'UTC')
    .option('--delimiter <char>', 'field delimiter: , ; tab | (default: sniffed from the header line)')
    .option('--decimal-comma', 'numbers use a decimal comma (default: detected when the delimiter is not a comma)')
    .option('--no-decimal-comma', 'numbers use a decimal point')
    .option('--unit <tag=unit>', 'engineering unit of a tag, repeatable (--unit Usage_kWh=kWh)', collect)
    .option('--columns <patterns>', 'wide: import only these columns (comma-separated, * wildcards); long: only these tags', collect)
    .option('--exclude <patterns>', 'leave these columns (wide) or tags (long) out', collect)
    .option('--tag-column <name>', 'long: the tag column (default: tag, name, signal, point...)')
    .option('--value-column <name>', 'long: the value column (default: value, val, v...)')
    .option('--quality-column <name>', 'long: the quality column (default: quality, status, q)')
    .option(
      '--midnight-ends-day',
      'read 00:00 as 24:00 of the date written (exports that label intervals by their end write midnight with the date of the day that ends)',
    )
    .option('--allow-backwards', 'import even when times go back at midnight (see --midnight-ends-day)')
    .option('--time-offset <duration>', 'add this to every time, e.g. -15m to move interval-end labels to the interval start')
    .option(
      '--interval-end',
      'the times mark the END of each interval (interval energy as utilities export it); written into the header for analyze energy (default with --midnight-ends-day)',
    )
    .option('--no-interval-end', 'the times mark the start of each interval, even with --midnight-ends-day')
    .option('--interval <duration>', 'the interval length written with --interval-end (default: the spacing of the times)')
    .option('--skip-bad-rows', 'leave out rows whose time cannot be read or that have too many fields, with a warning, instead of failing');
}

function addWriteOptions(cmd: Command): Command {
  return cmd
    .option('--rotate-size <size>', 'start a new part when the output reaches this size (100MB)')
    .option('--rotate-every <duration>', 'start a new part every DURATION of record time (1d)')
    .option('--force', 'replace the output file if it exists (it is written aside and renamed into place)');
}

function registerInfo(capture: Command): void {
  capture
    .command('info')
    .summary('what a capture holds: time span, sources, and per tag count, min/max/mean, interval and gaps')
    .description(
      'Reads a capture once, in constant memory, and summarises it: the header (format version, tool, sources, metadata), the time span, and for every tag its unit, sample count, minimum, maximum and mean of numeric values, the median sampling interval, the gaps (intervals longer than --gap-factor times the median, or than --gap), samples with a quality that is not good, and samples out of time order. The span of the data (the times of the samples, source timestamps when the protocol gives them) and the span of the recording itself (from the created time in the header to the stop event, by the clock of the recorder) are shown apart. A damaged capture (bad lines, a torn last line, a cut .gz) is said first, on stderr, and makes it exit 2; --lenient accepts the damage knowingly (exit 0). Several files, or --all-parts for a rotated recording, are summarised as one capture.',
    )
    .argument('<file...>', 'capture file(s): .jsonl or .jsonl.gz')
    .option('--all-parts', 'include the other parts of a rotated capture (x.0002.jsonl.gz, ...)')
    .option('--gap-factor <n>', 'an interval longer than N x the median interval is a gap', '3')
    .option('--gap <duration>', 'an interval longer than this is a gap (instead of --gap-factor)')
    .option('--strict', 'fail (exit 2) on the first bad or torn line instead of skipping it')
    .option('--lenient', 'accept a damaged capture (a bad or torn line, a cut .gz): summarise what is readable and exit 0')
    .addHelpText(
      'after',
      examples(
        'iiot capture info plant.jsonl.gz',
        'iiot capture info crashed.jsonl.gz --lenient      # damaged: said first, exit 0 anyway',
        'iiot capture info sat.jsonl.gz --all-parts --gap 5s',
        'iiot capture info plant.jsonl.gz --json | jq ".tags[] | {name, count, medianIntervalMs}"',
      ),
    )
    .action(
      action<InfoFlags>(async (io, f, files) => {
        const { infoOptions } = await import('../src/capture-command/options.js');
        const options = await infoOptions(files, f);
        const { runInfo } = await import('../src/capture-command/run.js');
        return runInfo(io, options);
      }),
    );
}

function registerValidate(capture: Command): void {
  capture
    .command('validate')
    .summary('check a capture line by line: exit 0 when valid, 2 with file:line errors')
    .description(
      'Checks every line of a capture against the format (docs/capture-format.md): the header (format, version, fields), then each line is a sample, an event or a raw message with a valid time. Errors (bad JSON, missing fields, bad times, a torn last line or a cut .gz from a crash) make it exit 2, unless --lenient accepts the damage knowingly; warnings (samples of tags no header or config event declares) do not, unless --strict. Lists the first --max-issues problems with file and line.',
    )
    .argument('<file...>', 'capture file(s)')
    .option('--all-parts', 'include the other parts of a rotated capture')
    .option('--strict', 'warnings count as errors')
    .option('--lenient', 'accept damage (a bad or torn line, a cut .gz) knowingly: listed as warnings, exit 0')
    .option('--max-issues <n>', 'list at most N problems (all are counted)', '100')
    .addHelpText('after', examples('iiot capture validate plant.jsonl.gz', 'iiot capture validate out.jsonl --strict --json'))
    .action(
      action<ValidateFlags>(async (io, f, files) => {
        const { validateOptions } = await import('../src/capture-command/options.js');
        const options = await validateOptions(files, f);
        const { runValidate } = await import('../src/capture-command/run.js');
        return runValidate(io, options);
      }),
    );
}

function registerConvert(capture: Command): void {
  const cmd = capture
    .command('convert')
    .summary('convert between capture (JSONL, gzip), CSV long or wide, and Parquet, by file name')
    .description(
      'Converts by the names of the files (or --to): a capture (.jsonl, .jsonl.gz) to CSV (.csv, .csv.gz, .tsv) in the long layout (time, tag, value, and quality, source_time, server_time and extra when samples have them, so nothing is lost) or the wide layout (time and one column per tag, one row per timestamp); a capture to Parquet (.parquet: typed columns time (timestamp, UTC), tag, value (double), value_text, quality, source, source_time, server_time, extra, the header in the file metadata; for DuckDB, Spark and Trino); CSV to a capture (the same options as `iiot capture import`); or a capture to a capture (plain to gzip and back, rotation). Events and raw messages have no place in CSV or Parquet and are counted.',
    )
    .argument('<input...>', 'capture file(s), or one CSV file')
    .requiredOption('-o, --output <file>', 'output: .csv, .csv.gz, .tsv, .jsonl, .jsonl.gz or .parquet')
    .option('--to <format>', 'the output format when the file name does not say: jsonl, csv or parquet')
    .option('--tags <patterns>', 'only these tags (comma-separated, * wildcards)', collect)
    .option('--time-format-out <format>', 'CSV output times: iso (default), epoch-ms or epoch-s')
    .option('--tz-out <zone>', 'CSV output times as local ISO 8601 with offset in this zone (default: UTC as in the capture)')
    .option('--all-parts', 'include the other parts of a rotated capture')
    .option('--strict', 'fail on the first bad or torn line instead of skipping it');
  addCsvImportOptions(cmd);
  addWriteOptions(cmd);
  cmd
    .addHelpText(
      'after',
      examples(
        'iiot capture convert plant.jsonl.gz -o plant.csv',
        'iiot capture convert plant.jsonl.gz -o plant-wide.csv --layout wide --tz-out Europe/Madrid',
        'iiot capture convert historian.csv -o historian.jsonl.gz --time-format "DD/MM/YYYY HH:mm" --tz Europe/Madrid',
        'iiot capture convert plant.jsonl -o plant.jsonl.gz',
        'iiot capture convert plant.jsonl.gz --to parquet -o site-7/plant.parquet',
      ),
    )
    .action(
      action<ConvertFlags>(async (io, f, files) => {
        const { convertOptions } = await import('../src/capture-command/options.js');
        const options = await convertOptions(files, f);
        const { runConvert } = await import('../src/capture-command/run.js');
        return runConvert(io, options);
      }),
    );
}

function registerSlice(capture: Command): void {
  capture
    .command('slice')
    .summary('cut a capture by time range and tags into a new capture')
    .description(
      'Copies the records between --from (inclusive) and --to (exclusive) and of the tags selected into a new capture with the same header (tags narrowed to the selection) and metadata.slice saying what was cut. Records are copied as they are, unknown fields included. Events in the range are kept (config events keep only selected tags); raw messages are kept unless tags are selected (their payloads carry every tag), or with --keep-raw. Times without a zone are read in --tz.',
    )
    .argument('<file...>', 'capture file(s)')
    .requiredOption('-o, --output <file>', 'the new capture (.jsonl or .jsonl.gz)')
    .option('--force', 'replace the output file if it exists (it is written aside and renamed into place)')
    .option('--from <time>', 'start, inclusive: 2026-11-25T10:00:00Z, "2026-11-25 10:00" (in --tz) or now-2h')
    .option('--to <time>', 'end, exclusive')
    .option('--tz <zone>', 'time zone of --from/--to written without a zone', 'UTC')
    .option('--tags <patterns>', 'only these tags (comma-separated, * wildcards)', collect)
    .option('--exclude-tags <patterns>', 'leave these tags out', collect)
    .option('--keep-raw', 'keep raw messages even when tags are selected')
    .option('--all-parts', 'include the other parts of a rotated capture')
    .option('--strict', 'fail on the first bad or torn line instead of skipping it')
    .addHelpText(
      'after',
      examples(
        'iiot capture slice plant.jsonl.gz -o morning.jsonl.gz --from "2026-11-25 06:00" --to "2026-11-25 14:00" --tz Europe/Madrid',
        'iiot capture slice plant.jsonl.gz -o pump.jsonl --tags "pump1.*"',
      ),
    )
    .action(
      action<SliceFlags>(async (io, f, files) => {
        const { sliceOptions } = await import('../src/capture-command/options.js');
        const options = await sliceOptions(files, f);
        const { runSlice } = await import('../src/capture-command/run.js');
        return runSlice(io, options);
      }),
    );
}

function registerDiff(capture: Command): void {
  capture
    .command('diff')
    .summary('compare two captures tag by tag, with value and time tolerances (exit 1 when they differ)')
    .description(
      "Compares the samples of A (the reference) and B tag by tag: samples are matched in time order when their times are within --time-tolerance (--align pairs, one to one), and matched values must agree within --tolerance (absolute like 0.5, relative to A like 0.1%, or both: 0.5+0.1%; --tag-tolerance sets it per tag or pattern). Reports per tag the samples matched, out of tolerance, only in A (missing from B) and only in B (extra), and the first differences. Different qualities count as a difference unless --ignore-quality. Exit 0 when equal, 1 when they differ: a CI gate. Polled sources (Modbus, polled OPC UA reads) are stamped when they were read, at their own rate: --align nearest compares each sample of A with the nearest sample of B, --align hold each sample of B with the last sample of A at or before it (what a poller of a replay reads); --time-shift auto first moves B so that its first sample meets A's (a capture recorded from a replay runs at the time of the replay).",
    )
    .argument('<a>', 'the reference capture')
    .argument('<b>', 'the capture to check')
    .option('--tolerance <tol>', 'value tolerance: 0.5 (absolute), 0.1% (relative to A) or 0.5+0.1%', '0')
    .option('--time-tolerance <duration>', 'samples within this time of each other are the same sample (50ms)', '0ms')
    .option('--tag-tolerance <tag=tol>', 'value tolerance for a tag or pattern, repeatable (line3.temp=0.5, "line3.*=1%")', collect)
    .option('--tags <patterns>', 'compare only these tags (comma-separated, * wildcards)', collect)
    .option('--from <time>', 'compare only from this time (inclusive)')
    .option('--to <time>', 'compare only up to this time (exclusive)')
    .option('--tz <zone>', 'time zone of --from/--to written without a zone', 'UTC')
    .option('--ignore-quality', 'do not count different qualities as a difference')
    .option(
      '--align <how>',
      'match samples: pairs (one to one, in time order), nearest (each of A with the nearest of B) or hold (each of B with the last of A at or before it)',
      'pairs',
    )
    .option('--time-shift <duration|auto>', "take this off every time of B before matching (-90s, 1h); auto: B's first sample minus A's")
    .option('--all', 'list every tag, not only those that differ')
    .option('--max-differences <n>', 'differences listed per tag', '5')
    .option('--strict', 'fail on the first bad or torn line instead of skipping it')
    .addHelpText(
      'after',
      examples(
        'iiot capture diff expected.jsonl out.jsonl --tolerance 0.1% --time-tolerance 50ms',
        'iiot capture diff expected.jsonl out.jsonl --tag-tolerance line3.temp=0.5 --json',
        '# a Modbus replay recorded by a poller every 200ms: each read against the value it should hold',
        'iiot capture diff meter.jsonl from-replay.jsonl --align hold --time-shift auto --time-tolerance 1.5s --tolerance 0.01%',
      ),
    )
    .action(
      action<DiffFlags>(async (io, f, args) => {
        const { diffOptions } = await import('../src/capture-command/options.js');
        const options = await diffOptions(args, f);
        const { runDiff } = await import('../src/capture-command/run.js');
        return runDiff(io, options);
      }),
    );
}

function registerImport(capture: Command): void {
  const cmd = capture
    .command('import')
    .summary('import CSV from a historian or spreadsheet (long or wide) into a capture')
    .description(
      'Reads CSV as historians and spreadsheets export it: long (one row per sample: time, tag, value and an optional quality) or wide (one row per time, one column per tag). The delimiter (, ; tab |), a UTF-8 byte-order mark, quoted fields and a decimal comma are detected; the time format is detected too (ISO 8601, epoch numbers, day-first or month-first dates, told apart by the data) or given with --time-format; times without a zone are read in --tz. Units come from --unit or from column names like "Power [kW]". Text in a numeric column (Bad, #N/A) becomes a null value with that text as its quality. The file is read twice, so a bad row fails before anything is written.',
    )
    .argument('<csv>', 'the CSV file (.csv, .tsv, .txt, or gzipped)')
    .requiredOption('-o, --output <file>', 'the capture to write (.jsonl or .jsonl.gz)');
  addCsvImportOptions(cmd);
  addWriteOptions(cmd);
  cmd
    .addHelpText(
      'after',
      examples(
        'iiot capture import fixtures/csv/steel-2018-01-01-to-03.csv -o steel.jsonl.gz --midnight-ends-day --unit Usage_kWh=kWh --tz Asia/Seoul',
        'iiot capture import historian.csv -o line3.jsonl --layout long --time-format "MM/DD/YYYY hh:mm:ss A" --tz America/Chicago',
        'iiot capture import export.csv -o export.jsonl --delimiter ";" --decimal-comma --columns "Temp*,Druck*"',
      ),
    )
    .action(
      action<ImportFlags>(async (io, f, args) => {
        const { importOptions } = await import('../src/capture-command/options.js');
        const options = importOptions(args, f);
        const { runImport } = await import('../src/capture-command/run.js');
        return runImport(io, options);
      }),
    );
}

export function register(program: Command): void {
  const capture = program
    .command('capture')
    .summary('inspect, validate, convert, slice, compare and import capture files')
    .description(
      'Works on capture files offline: the JSON Lines format every recording, replay and analysis uses (docs/capture-format.md), plain or gzip, optionally rotated into parts. info summarises a capture, validate checks it line by line, convert turns it into CSV (long or wide) and back, slice cuts a time range or a set of tags, diff compares two captures with tolerances (a CI gate), and import reads CSV from historians and spreadsheets. Nothing here talks to a device.',
    )
    .addHelpText(
      'after',
      examples(
        'iiot capture info plant.jsonl.gz',
        'iiot capture validate out.jsonl',
        'iiot capture convert plant.jsonl.gz -o plant.csv --layout wide',
        'iiot capture slice plant.jsonl.gz -o last-hour.jsonl --from now-1h',
        'iiot capture diff expected.jsonl out.jsonl --tolerance 0.1% --time-tolerance 50ms',
        'iiot capture import historian.csv -o historian.jsonl.gz --tz Europe/Madrid',
      ),
    );
  registerInfo(capture);
  registerValidate(capture);
  registerConvert(capture);
  registerSlice(capture);
  registerDiff(capture);
  registerImport(capture);
}
