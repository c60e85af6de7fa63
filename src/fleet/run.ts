/**
 * `iiot analyze fleet train|predict`: learn remaining life from run-to-failure histories of a
 * fleet, write a model file; predict, with intervals, for running units. The analysis is in
 * src/analysis/fleet-rul.ts and fleet-cv.ts (pure); this module reads, writes and reports.
 */
import { fitFleetRul, predictFleetRul } from '../analysis/fleet-rul.js';
import { crossValidateFleet, intervalAround } from '../analysis/fleet-cv.js';
import { usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import { info, warn, type IO } from '../core/io.js';
import { toolVersion } from '../core/version.js';
import { readHistories } from './histories.js';
import { readModelFile, toModelFile, writeModelFile } from './model-file.js';
import { FLEET_BAG, FLEET_LEVELS, type FleetPredictOptions, type FleetTrainOptions } from './options.js';
import { renderPredict, renderTrain, type Prediction } from './render.js';

const HOUR = 3_600_000;

export async function runFleetTrain(io: IO, o: FleetTrainOptions): Promise<number> {
  const started = Date.now();
  const h = await readHistories(o.files, {
    format: o.selection.format,
    settings: o.selection.settings,
    sensors: o.selection.sensors,
    ...(o.selection.stepMs !== undefined ? { stepMs: o.selection.stepMs } : {}),
    warn: (t) => warn(io, t),
  });
  const units = h.histories.map((x) => x.unit);
  if (units.length < o.folds)
    throw usageError(
      `${units.length} histor${units.length === 1 ? 'y' : 'ies'} for ${o.folds}-fold cross-validation`,
      'give more run-to-failure histories, or fewer folds (--folds 2)',
    );
  const short = h.histories.filter((x) => x.unit.sensors.length <= o.minHistory);
  if (short.length === units.length)
    throw usageError(
      `every history is at most ${o.minHistory} ${h.unit === 'cycle' ? 'cycles' : 'steps'} long`,
      'lower --min-history, or give longer histories',
    );
  const rows = units.reduce((s, u) => s + u.sensors.length, 0);
  let cap: number;
  if (o.capMs !== undefined) {
    if (h.stepMs === undefined) throw usageError('--cap: a duration is for captures; C-MAPSS histories count cycles', 'write --cap 125');
    cap = Math.max(1, Math.round(o.capMs / h.stepMs));
  } else if (o.cap !== undefined) cap = o.cap;
  else if (h.unit === 'cycle') cap = 125;
  else {
    const lives = units.map((u) => u.sensors.length).sort((a, b) => a - b);
    cap = Math.max(1, Math.round(0.6 * lives[Math.floor(lives.length / 2)]!));
    h.notes.push(`cap: ${cap} steps (60% of the median training life; --cap chooses)`);
  }
  const total = o.folds * (o.model === 'gbdt' ? o.depths.length : o.ridges.length);
  info(
    io,
    `training on ${units.length} histories (${rows.toLocaleString('en-US')} rows): ${o.folds}-fold cross-validation, ${total} fits, then the final model${o.model === 'gbdt' ? ` (${FLEET_BAG} fits averaged)` : ''}`,
  );
  const cv = crossValidateFleet(units, {
    folds: o.folds,
    seed: o.seed,
    cap,
    model: o.model,
    depths: o.depths,
    trees: o.trees,
    learningRate: o.learningRate,
    minLeaf: o.minLeaf,
    subsample: o.subsample,
    ridges: o.ridges,
    settingDecimals: o.settingDecimals,
    minHistory: o.minHistory,
    stride: o.stride,
    levels: [...FLEET_LEVELS],
    progress: (done, n) => {
      if (io.animate) io.stderr.write(`\rcross-validation: ${done}/${n} fits`);
    },
  });
  if (io.animate) io.stderr.write('\r\u001b[K');
  const c = cv.chosen;
  info(
    io,
    `cross-validation chose ${o.model === 'gbdt' ? `depth ${c.depth}, ${c.trees} trees; training ${FLEET_BAG} of them on every history` : `penalty ${c.ridge}`}`,
  );
  const model =
    o.model === 'gbdt'
      ? fitFleetRul(units, {
          cap,
          normalisation: cv.normalisation,
          model: 'gbdt',
          bag: FLEET_BAG,
          gbdt: {
            trees: c.trees!,
            depth: c.depth!,
            learningRate: o.learningRate,
            minLeaf: o.minLeaf,
            subsample: o.subsample,
            seed: o.seed,
          },
        })
      : fitFleetRul(units, { cap, normalisation: cv.normalisation, model: 'ridge', ridge: c.ridge! });
  const input = {
    format: h.format,
    settings: h.settings,
    sensors: h.sensors,
    unit: h.unit,
    ...(h.stepMs !== undefined ? { stepMs: h.stepMs } : {}),
    files: o.files,
    units: units.length,
    rows,
  };
  const hyperParameters = {
    selection: 'lowest cross-validated RMSE against the capped truth min(RUL, cap) over held-out cuts',
    folds: o.folds,
    seed: o.seed,
    minHistory: o.minHistory,
    stride: o.stride,
    cuts: cv.cuts,
    candidates: cv.candidates,
    chosen: c,
    ...(o.model === 'gbdt'
      ? {
          learningRate: o.learningRate,
          subsample: o.subsample,
          minLeaf: o.minLeaf,
          final: `the mean of ${FLEET_BAG} fits of the chosen candidate on every history, seeds ${Array.from({ length: FLEET_BAG }, (_, b) => o.seed + 1000 * b).join(', ')}`,
        }
      : { final: 'one fit on every history with the chosen penalty' }),
  };
  writeModelFile(o.output, toModelFile({ model, intervals: cv.intervals, input, hyperParameters }, `iiot ${toolVersion()}`), o.force);
  const notes = [...h.notes];
  if (short.length)
    notes.push(`${short.length} histories of at most ${o.minHistory} rows were used for training but not cut for cross-validation`);
  renderTrain(io, {
    model: o.output,
    input,
    sensorsUsed: model.keep.map((j) => h.sensors[j]!),
    cap,
    kind: model.kind,
    regimes: model.regimes.length,
    hyperParameters,
    intervals: cv.intervals,
    seconds: (Date.now() - started) / 1000,
    notes,
  });
  return ExitCode.Ok;
}

export async function runFleetPredict(io: IO, o: FleetPredictOptions): Promise<number> {
  const parts = await readModelFile(o.modelFile);
  const format = o.format === 'auto' ? parts.input.format : o.format;
  if (format !== parts.input.format)
    throw usageError(
      `--format ${format}: the model was trained on ${parts.input.format} histories`,
      `give ${parts.input.format} histories, or train a model on ${format} ones`,
    );
  const h = await readHistories(o.files, {
    format,
    settings: [],
    sensors: [],
    ...(parts.input.stepMs !== undefined ? { stepMs: parts.input.stepMs } : {}),
    expect: { settings: parts.input.settings, sensors: parts.input.sensors },
    warn: (t) => warn(io, t),
  });
  const scale = parts.input.unit === 'hour' ? parts.input.stepMs! / HOUR : 1;
  const cap = parts.model.cap;
  const predictions: Prediction[] = h.histories.map((x) => {
    const steps = predictFleetRul(parts.model, x.unit);
    const iv = intervalAround(parts.intervals, steps, o.level);
    const p: Prediction = {
      unit: x.name,
      file: x.file,
      seen: x.unit.sensors.length,
      rul: steps * scale,
      lo: iv.lo * scale,
      hi: iv.hi * scale,
      atCap: steps >= cap - 1e-9,
    };
    if (x.last !== undefined) {
      const iso = (ms: number) => new Date(ms).toISOString();
      Object.assign(p, {
        at: iso(x.last),
        failureAt: iso(x.last + p.rul * HOUR),
        failureLo: iso(x.last + p.lo * HOUR),
        failureHi: iso(x.last + p.hi * HOUR),
      });
    }
    return p;
  });
  const notes = [...h.notes.filter((n) => !n.startsWith('sensors:') && !n.startsWith('step:'))];
  const capped = predictions.filter((p) => p.atCap).length;
  if (capped)
    notes.push(
      `${capped} unit${capped > 1 ? 's are' : ' is'} at the model's cap (${(cap * scale).toFixed(0)} ${parts.input.unit === 'cycle' ? 'cycles' : 'h'}): the history does not tell yet how long ${capped > 1 ? 'they have' : 'it has'} left, only that it is likely at least that; the interval's high end says how far it may go`,
    );
  renderPredict(io, {
    model: {
      file: o.modelFile,
      version: parts.version ?? 1,
      created: parts.created ?? '',
      kind: parts.model.kind,
      unit: parts.input.unit,
      cap: cap * scale,
      trainedOn: parts.input.units,
    },
    level: o.level,
    predictions,
    notes,
  });
  return ExitCode.Ok;
}
