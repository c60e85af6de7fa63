/**
 * The work behind `iiot analyze degradation|energy` (commands/analyze.ts imports this lazily):
 * open the capture, stream it into the accumulators of src/analysis/source.ts, run the pure
 * analysis, and hand the result to render.ts.
 */

import { readFile } from 'node:fs/promises';
import { openCaptureSet } from '../capture/capture-set.js';
import { timeMs } from '../capture/reader.js';
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { info, warn, type IO } from '../core/io.js';
import {
  analyzeDegradation,
  analyzeIndicator,
  summariseAssets,
  type DegradationResult,
  type IndicatorInput,
} from '../analysis/degradation.js';
import { analyzeEnergy, type EnergyResult } from '../analysis/energy.js';
import { fuseHealthIndex } from '../analysis/health-index.js';
import { autoWindow } from '../analysis/degradation.js';
import { collectDegradation, collectEnergy, SelectionError, type CaptureLike } from '../analysis/source.js';
import type { DegradationCommandOptions, EnergyCommandOptions } from './options.js';
import { printDegradation, printEnergy } from './render.js';

function asUsage(err: unknown): never {
  if (err instanceof SelectionError) throw usageError(err.message, err.hint);
  if (err instanceof IiotError) throw err;
  // Analysis preconditions (a threshold in the wrong unit, a tariff with a hole) are the user's to fix.
  if (err instanceof Error && !(err instanceof TypeError) && !(err instanceof RangeError)) throw usageError(err.message);
  throw err;
}

async function open(io: IO, files: string[], strict: boolean): Promise<CaptureLike & { close(): Promise<void> }> {
  let issues = 0;
  return openCaptureSet(files, {
    strict,
    onIssue: (i) => {
      issues++;
      if (issues <= 5) warn(io, `${i.file}:${i.line}: ${i.message}`);
      else if (issues === 6) warn(io, 'more bad lines skipped; `iiot capture validate FILE` lists every one');
    },
  });
}

function progress(io: IO): ((n: number) => void) | undefined {
  if (!io.animate) return undefined;
  let last = 0;
  return (n) => {
    const now = Date.now();
    if (now - last < 500) return;
    last = now;
    io.stderr.write(`\rreading: ${n.toLocaleString('en-US')} records`);
  };
}

function endProgress(io: IO): void {
  if (io.animate) io.stderr.write('\r\u001b[K');
}

/** Says which zone the days, hours and times are in when the user did not choose it. */
function tzHint(io: IO, tz: string, source: 'option' | 'capture' | 'default'): void {
  if (source === 'capture' && tz !== 'UTC')
    info(io, `note: times, days and hours in ${tz}, the capture's time zone (metadata.timezone); --tz UTC for UTC`);
}

const RANK: Record<string, number> = { healthy: 0, 'insufficient-data': 0, watch: 1, degrading: 2, 'above-threshold': 3 };

export async function runDegradation(io: IO, o: DegradationCommandOptions): Promise<number> {
  const cap = await open(io, o.files, o.strict);
  tzHint(io, o.tz, o.tzSource);
  const started = Date.now();
  let collected: Awaited<ReturnType<typeof collectDegradation>>;
  try {
    collected = await collectDegradation(cap, timeMs, o.selection, progress(io));
  } catch (err) {
    asUsage(err);
  } finally {
    endProgress(io);
    await cap.close();
  }
  info(io, `read ${collected.stats.records.toLocaleString('en-US')} records in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let inputs: IndicatorInput[] = collected.inputs.map((i) => clip(i, o.from, o.to));
  const notes = [...collected.notes];
  let fusedWeights: { name: string; weight: number; direction: 1 | -1; rho: number }[] | undefined;
  let fuseWindow: number | undefined;
  if (o.fuse) {
    if (inputs.length < 2) throw usageError('--fuse needs at least two indicators', 'name them with --tag (repeatable)');
    const windowMs = o.analysis.windowMs ?? Math.max(...inputs.map((i) => autoWindow(i.series)));
    fuseWindow = windowMs;
    const f = fuseHealthIndex(inputs, { windowMs, name: 'health index' });
    if (!f)
      throw usageError(
        '--fuse: the indicators share fewer than 10 windows',
        'choose tags recorded over the same period, or a longer --window',
      );
    fusedWeights = f.weights;
    inputs = [f.input];
    notes.push(
      `health index fused from ${f.weights.map((w) => `${w.name} (weight ${w.weight.toFixed(2)}${w.direction < 0 ? ', falling' : ''})`).join(', ')}`,
    );
  }
  let result: DegradationResult;
  try {
    const base = analyzeDegradation([], o.analysis);
    // the fused index is already windowed: it is analysed in the windows it was fused in
    const indicators = inputs.map((i) =>
      analyzeIndicator(i, { ...o.analysis, ...(fuseWindow !== undefined ? { windowMs: fuseWindow } : {}) }),
    );
    result = { ...base, indicators, assets: summariseAssets(indicators) };
  } catch (err) {
    asUsage(err);
  }
  await printDegradation(io, o, result, collected.stats.records, notes, fusedWeights);
  if (o.failOn) {
    const worst = Math.max(0, ...result.indicators.map((r) => RANK[r.status] ?? 0));
    if (worst >= RANK[o.failOn]!) return ExitCode.CheckFailed;
  }
  return ExitCode.Ok;
}

function clip(i: IndicatorInput, from?: number, to?: number): IndicatorInput {
  if (from === undefined && to === undefined) return i;
  const t = i.series.t;
  let a = 0;
  while (a < t.length && from !== undefined && t[a]! < from) a++;
  let b = t.length;
  while (b > a && to !== undefined && t[b - 1]! >= to) b--;
  const { stoppedSince, ...rest } = i;
  // a stop after the end of the analysed period is not news about that period
  const keepStop = stoppedSince !== undefined && (to === undefined || stoppedSince < to);
  return { ...rest, ...(keepStop ? { stoppedSince } : {}), series: { t: t.slice(a, b), v: i.series.v.slice(a, b) } };
}

export async function runEnergy(io: IO, o: EnergyCommandOptions): Promise<number> {
  let tariff;
  if (o.tariffFile) {
    let text: string;
    try {
      text = await readFile(o.tariffFile, 'utf8');
    } catch (err) {
      throw usageError(
        `--tariff ${o.tariffFile}: cannot read it (${err instanceof Error ? err.message.replace(/^[A-Z]+: /, '') : String(err)})`,
        'give the path of a tariff YAML file (docs/analysis.md, "Tariff files")',
      );
    }
    // the tariff's file format (zod, yaml) loads only when a tariff is given
    const { parseTariff } = await import('../analysis/tariff-file.js');
    tariff = parseTariff(text, o.tariffFile);
  }
  const cap = await open(io, o.files, o.strict);
  tzHint(io, o.tz, o.tzSource);
  const started = Date.now();
  let data: Awaited<ReturnType<typeof collectEnergy>>;
  try {
    data = await collectEnergy(cap, timeMs, o.selection, o.meter, progress(io));
  } catch (err) {
    asUsage(err);
  } finally {
    endProgress(io);
    await cap.close();
  }
  info(io, `read ${data.stats.records.toLocaleString('en-US')} records in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  let result: EnergyResult;
  try {
    result = analyzeEnergy(
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
      { ...o.analysis, ...(tariff ? { tariff } : {}) },
    );
  } catch (err) {
    asUsage(err);
  }
  result.notes.unshift(...data.plan.notes);
  if (data.stats.gaps.length)
    result.notes.push(
      `the recording marks ${data.stats.gaps.length} gap${data.stats.gaps.length > 1 ? 's' : ''} (gap events); readings on both sides were treated as above`,
    );
  await printEnergy(io, o, result, data.stats.records);
  return ExitCode.Ok;
}
