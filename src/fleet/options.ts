/**
 * `iiot analyze fleet train|predict`: flags become typed options here (commands/analyze.ts only
 * registers the subcommands). docs/analysis.md, "Fleet remaining life"; the model file:
 * docs/fleet-model.md.
 */
import { refuseToReplace } from '../core/output-file.js';
import { usageError } from '../core/errors.js';
import { parseDuration } from '../core/units.js';

export type HistoryFormat = 'auto' | 'cmapss' | 'capture';

export interface HistorySelection {
  format: HistoryFormat;
  /** captures: tags that are operating settings (grouping of operating conditions) */
  settings: string[];
  /** captures: sensor tags (default: every other numeric tag) */
  sensors: string[];
  /** captures: the step of the time axis (default: the typical sample spacing) */
  stepMs?: number;
}

export interface FleetTrainOptions {
  files: string[];
  output: string;
  /** replace an existing model file (default: refuse, before any training) */
  force: boolean;
  selection: HistorySelection;
  /** the target cap in rows (cycles or steps); undefined: 125 cycles, or for captures 60% of the median training life */
  cap?: number;
  /** captures: the cap as a duration */
  capMs?: number;
  model: 'gbdt' | 'ridge';
  folds: number;
  depths: number[];
  trees: number[];
  learningRate: number;
  /** share of rows each tree sees */
  subsample: number;
  minLeaf: number;
  ridges: number[];
  seed: number;
  minHistory: number;
  stride: number;
  settingDecimals: number;
}

export interface FleetPredictOptions {
  modelFile: string;
  files: string[];
  format: HistoryFormat;
  level: number;
}

export interface FleetTrainFlags {
  output?: string;
  force?: boolean;
  format?: string;
  setting?: string[];
  sensor?: string[];
  step?: string;
  cap?: string;
  model?: string;
  folds?: string;
  depth?: string;
  trees?: string;
  learningRate?: string;
  minLeaf?: string;
  ridge?: string;
  seed?: string;
  minHistory?: string;
  stride?: string;
  settingDecimals?: string;
}

export interface FleetPredictFlags {
  format?: string;
  level?: string;
}

/** Share of the rows each tree sees (stochastic gradient boosting; half the rows: half the time per tree, and a cross-validated RMSE no worse than 80% on train_FD001). */
export const FLEET_SUBSAMPLE = 0.5;

/** Fits with different seeds averaged into the final gradient-boosted model (bagging; docs/analysis.md, "Fleet remaining life"). */
export const FLEET_BAG = 4;

/** Interval levels a model file keeps (predict --level chooses one). */
export const FLEET_LEVELS = [0.5, 0.8, 0.9, 0.95] as const;

function format(text: string | undefined): HistoryFormat {
  const f = (text ?? 'auto').toLowerCase();
  if (f !== 'auto' && f !== 'cmapss' && f !== 'capture')
    throw usageError(
      `--format ${text}: write cmapss, capture or auto`,
      'cmapss: NASA C-MAPSS text files (unit, cycle, 3 settings, sensors); capture: iiot capture files, one asset each',
    );
  return f;
}

function int(text: string | undefined, def: number, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (text === undefined) return def;
  const x = Number(text);
  if (!Number.isInteger(x) || x < min || x > max)
    throw usageError(`${what} ${text}: write a whole number from ${min}${max < Number.MAX_SAFE_INTEGER ? ` to ${max}` : ''}`);
  return x;
}

function num(text: string | undefined, def: number, what: string, ok: (x: number) => boolean, hint: string): number {
  if (text === undefined) return def;
  const x = Number(text);
  if (!Number.isFinite(x) || !ok(x)) throw usageError(`${what} ${text}: ${hint}`);
  return x;
}

function list(text: string | undefined, def: number[], what: string, integer: boolean): number[] {
  if (text === undefined) return def;
  const xs = text.split(',').map((s) => Number(s.trim()));
  if (xs.length === 0 || xs.some((x) => !Number.isFinite(x) || x <= 0 || (integer && !Number.isInteger(x)))) {
    throw usageError(
      `${what} ${text}: write ${integer ? 'whole numbers' : 'numbers'} above zero separated by commas`,
      `for example ${what} ${def.join(',')}`,
    );
  }
  return [...new Set(xs)].sort((a, b) => a - b);
}

const tags = (xs: string[] | undefined) =>
  (xs ?? [])
    .flatMap((t) => t.split(','))
    .map((t) => t.trim())
    .filter(Boolean);

function capOption(text: string | undefined): { cap?: number; capMs?: number } {
  if (text === undefined) return {};
  if (/^\s*\d+(\.\d+)?\s*$/.test(text)) {
    const x = Number(text);
    if (x > 0) return { cap: x };
  } else if (/[a-z]\s*$/i.test(text)) return { capMs: parseDuration(text, '--cap') };
  throw usageError(
    `--cap ${text}: write the largest remaining life the model is taught: cycles (125) or, for captures, steps or a duration (30d)`,
  );
}

export function fleetTrainOptions(f: FleetTrainFlags, files: string[]): FleetTrainOptions {
  if (!f.output) throw usageError('analyze fleet train: say where to write the model with -o FILE', 'for example -o fleet-model.json');
  // before minutes of training: an existing model is replaced only with --force
  refuseToReplace(f.output, { force: f.force });
  if (files.length === 0) throw usageError('analyze fleet train: give the run-to-failure histories to learn from');
  const model = f.model ?? 'gbdt';
  if (model !== 'gbdt' && model !== 'ridge') throw usageError(`--model ${f.model}: write gbdt or ridge`);
  return {
    files,
    output: f.output,
    force: f.force === true,
    selection: {
      format: format(f.format),
      settings: tags(f.setting),
      sensors: tags(f.sensor),
      ...(f.step ? { stepMs: parseDuration(f.step, '--step') } : {}),
    },
    ...capOption(f.cap),
    model,
    folds: int(f.folds, 5, '--folds', 2, 50),
    depths: list(f.depth, [3, 4], '--depth', true),
    trees: list(f.trees, [100, 200, 300, 400, 500], '--trees', true),
    learningRate: num(f.learningRate, 0.1, '--learning-rate', (x) => x > 0 && x <= 1, 'write a number above 0, at most 1'),
    subsample: FLEET_SUBSAMPLE,
    minLeaf: int(f.minLeaf, 20, '--min-leaf', 1),
    ridges: list(f.ridge, [1, 10, 100], '--ridge', false),
    seed: int(f.seed, 42, '--seed', 0),
    minHistory: int(f.minHistory, 30, '--min-history', 1),
    stride: int(f.stride, 5, '--stride', 1),
    settingDecimals: int(f.settingDecimals, 0, '--setting-decimals', 0, 6),
  };
}

export function fleetPredictOptions(f: FleetPredictFlags, args: string[]): FleetPredictOptions {
  const [modelFile, ...files] = args;
  if (!modelFile || files.length === 0)
    throw usageError(
      'analyze fleet predict: give the model file, then the histories of the running units',
      'for example iiot analyze fleet predict fleet-model.json pump7.jsonl.gz',
    );
  let level = 0.8;
  if (f.level !== undefined) {
    const s = f.level.trim();
    const x = Number(s.endsWith('%') ? s.slice(0, -1) : s);
    level = s.endsWith('%') || x > 1 ? x / 100 : x;
    if (!FLEET_LEVELS.includes(level as (typeof FLEET_LEVELS)[number]))
      throw usageError(
        `--level ${f.level}: a model keeps intervals at ${FLEET_LEVELS.map((l) => `${l * 100}%`).join(', ')}`,
        'choose one of them',
      );
  }
  return { modelFile, files, format: format(f.format), level };
}
