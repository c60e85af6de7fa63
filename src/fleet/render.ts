/** What `iiot analyze fleet train|predict` print: a table for people, one JSON document for scripts (docs/json-output.md). */
import type { IO } from '../core/io.js';
import { emitJson, out } from '../core/io.js';
import { renderKeyValues, renderTable } from '../render/table.js';
import type { FleetCandidate, IntervalTable } from '../analysis/fleet-cv.js';

export const TRAIN_SCHEMA = 'iiot.analyze.fleet.train/1';
export const PREDICT_SCHEMA = 'iiot.analyze.fleet.predict/1';

export interface TrainReport {
  model: string;
  input: {
    format: string;
    files: string[];
    units: number;
    rows: number;
    unit: 'cycle' | 'hour';
    stepMs?: number;
    settings: string[];
    sensors: string[];
  };
  /** sensors that vary within an operating condition (the others carry no information and are left out) */
  sensorsUsed: string[];
  cap: number;
  kind: 'gbdt' | 'ridge';
  regimes: number;
  hyperParameters: {
    folds: number;
    seed: number;
    minHistory: number;
    stride: number;
    cuts: number;
    selection: string;
    candidates: FleetCandidate[];
    chosen: FleetCandidate;
    learningRate?: number;
    subsample?: number;
    minLeaf?: number;
    final?: string;
  };
  intervals: IntervalTable;
  seconds: number;
  notes: string[];
}

export interface Prediction {
  unit: string;
  file: string;
  /** rows of history seen (cycles, or steps of a capture) */
  seen: number;
  /** remaining life in the model's unit (cycles or hours) */
  rul: number;
  lo: number;
  hi: number;
  /** the prediction is at the model's cap: the history does not tell yet, the life is at least about this */
  atCap: boolean;
  /** captures: the end of the history and the expected failure time with its interval (ISO 8601) */
  at?: string;
  failureAt?: string;
  failureLo?: string;
  failureHi?: string;
}

export interface PredictReport {
  model: { file: string; version: number; created: string; kind: string; unit: 'cycle' | 'hour'; cap: number; trainedOn: number };
  level: number;
  predictions: Prediction[];
  notes: string[];
}

const cands = (c: FleetCandidate) => (c.ridge !== undefined ? `ridge ${c.ridge}` : `depth ${c.depth}, ${c.trees} trees`);

export function renderTrain(io: IO, r: TrainReport): void {
  if (io.json) {
    emitJson(io, TRAIN_SCHEMA, r as unknown as object);
    return;
  }
  const unit = r.input.unit === 'cycle' ? 'cycles' : 'h';
  const capText =
    r.input.unit === 'cycle' ? `${r.cap} cycles` : `${r.cap} steps (${((r.cap * (r.input.stepMs ?? 0)) / 3_600_000).toFixed(1)} h)`;
  out(io, `fleet model written to ${r.model}`);
  out(
    io,
    renderKeyValues([
      [
        'trained on',
        `${r.input.units} run-to-failure histories (${r.input.rows.toLocaleString('en-US')} ${r.input.unit === 'cycle' ? 'cycles' : 'steps'}), ${r.input.sensors.length} sensors (${r.sensorsUsed.length} vary and are used), ${r.regimes} operating condition${r.regimes > 1 ? 's' : ''}`,
      ],
      [
        'model',
        `${r.kind === 'gbdt' ? `gradient-boosted trees, ${cands(r.hyperParameters.chosen)}, learning rate ${r.hyperParameters.learningRate}, ${r.hyperParameters.final ?? ''}` : `ridge regression, ${cands(r.hyperParameters.chosen)}`}; remaining life capped at ${capText}`,
      ],
      [
        'chosen by',
        `${r.hyperParameters.folds}-fold cross-validation by unit on the training histories (${r.hyperParameters.cuts.toLocaleString('en-US')} held-out cuts): RMSE ${r.hyperParameters.chosen.rmse.toFixed(2)} ${unit} against the capped truth`,
      ],
      [
        'intervals',
        `${r.intervals.levels.map((l) => `${l * 100}%`).join(', ')} from the held-out residuals in ${r.intervals.bins.length} bins of the prediction`,
      ],
    ]),
  );
  out(io, '');
  out(
    io,
    renderTable(
      r.hyperParameters.candidates,
      [
        { header: 'candidate', value: cands },
        { header: 'CV RMSE', value: (c) => c.rmse.toFixed(2), align: 'right' },
        { header: 'CV MAE', value: (c) => c.mae.toFixed(2), align: 'right' },
        {
          header: 'chosen',
          value: (c) =>
            c.depth === r.hyperParameters.chosen.depth &&
            c.trees === r.hyperParameters.chosen.trees &&
            c.ridge === r.hyperParameters.chosen.ridge
              ? '<-'
              : '',
        },
      ],
      { indent: '  ' },
    ),
  );
  for (const n of r.notes) out(io, io.style.dim(`note: ${n}`));
}

const num = (x: number, unit: 'cycle' | 'hour') => (unit === 'cycle' || x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2));

export function renderPredict(io: IO, r: PredictReport): void {
  if (io.json) {
    emitJson(io, PREDICT_SCHEMA, r as unknown as object);
    return;
  }
  const unit = r.model.unit === 'cycle' ? 'cycles' : 'h';
  const pct = `${Math.round(r.level * 100)}%`;
  out(
    io,
    renderTable(
      r.predictions,
      [
        { header: 'unit', value: (p) => p.unit },
        { header: r.model.unit === 'cycle' ? 'cycles seen' : 'steps seen', value: (p) => String(p.seen), align: 'right' },
        {
          header: `remaining life (${unit})`,
          value: (p) => (p.atCap ? `>= ${num(p.rul, r.model.unit)}` : num(p.rul, r.model.unit)),
          align: 'right',
        },
        { header: `${pct} interval`, value: (p) => `${num(p.lo, r.model.unit)} to ${num(p.hi, r.model.unit)}`, align: 'right' },
        ...(r.model.unit === 'hour'
          ? [{ header: 'expected failure', value: (p: Prediction) => (p.failureAt ? p.failureAt.slice(0, 16).replace('T', ' ') : '-') }]
          : []),
      ],
      { indent: '' },
    ),
  );
  out(
    io,
    io.style.dim(
      `model: ${r.model.file} (${r.model.kind}, trained on ${r.model.trainedOn} histories, ${r.model.created.slice(0, 10)}); ">=": the history does not tell yet, the model's cap is ${r.model.cap} ${unit}`,
    ),
  );
  for (const n of r.notes) out(io, io.style.dim(`note: ${n}`));
}
