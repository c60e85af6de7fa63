/**
 * The fleet model file (docs/fleet-model.md): what `iiot analyze fleet train` writes and
 * `iiot analyze fleet predict` reads. JSON, versioned (`format` "iiot-fleet-model", `version` 2;
 * version 1 files, written by iiot before the feature set grew and the trees became an average of
 * fold models, are still read and predict what they did). A user may hand us any file, so reading
 * validates the whole document with zod and then checks that its parts fit together (sensor
 * counts, feature indices, tree node indices) before a single prediction is made; every problem is
 * one line naming the file and the field.
 */
import { readFile } from 'node:fs/promises';
import { writeFileSafely } from '../core/output-file.js';
import { z } from 'zod';
import { fileError } from '../capture/fs-errors.js';
import { IiotError, usageError } from '../core/errors.js';
import { ExitCode } from '../core/exit-codes.js';
import type { IntervalTable, FleetCandidate } from '../analysis/fleet-cv.js';
import { featuresPerSensor, FEATURES_V1, type FeatureSpec, type FleetRulModel } from '../analysis/fleet-rul.js';
import type { GbdtModel, GbdtNode } from '../analysis/gbdt.js';

export const FLEET_MODEL_FORMAT = 'iiot-fleet-model';
export const FLEET_MODEL_VERSION = 2;

const int = z.number().int();
const nonNeg = int.min(0);
const finite = z.number().refine(Number.isFinite, 'expected a finite number');

const tree = z.object({
  /** per node: feature index, -1 for a leaf */
  f: z.array(int.min(-1)),
  /** per node: split threshold (go left when value <= t); null for a leaf */
  t: z.array(finite.nullable()),
  l: z.array(int.min(-1)),
  r: z.array(int.min(-1)),
  /** per node: the value (a leaf's contribution before the learning rate) */
  v: z.array(finite),
});

const candidate = z.object({
  depth: int.min(1).optional(),
  trees: int.min(1).optional(),
  ridge: z.number().positive().optional(),
  rmse: finite,
  mae: finite,
  n: nonNeg,
});

const common = z.object({
  format: z.literal(FLEET_MODEL_FORMAT),
  created: z.string(),
  tool: z.string(),
  input: z.object({
    format: z.enum(['cmapss', 'capture']),
    settings: z.array(z.string()),
    sensors: z.array(z.string()).min(1),
    unit: z.enum(['cycle', 'hour']),
    stepMs: z.number().positive().optional(),
    files: z.array(z.string()),
    units: nonNeg,
    rows: nonNeg,
  }),
  normalisation: z.object({
    settingDecimals: int.min(0).max(6),
    regimes: z
      .array(z.object({ key: z.string(), settings: z.array(finite), n: nonNeg, mean: z.array(finite), sd: z.array(finite) }))
      .min(1),
    keep: z.array(nonNeg).min(1),
  }),
  target: z.object({ cap: z.number().positive() }),
  hyperParameters: z.object({
    selection: z.string(),
    folds: int.min(2),
    seed: nonNeg,
    minHistory: int.min(1),
    stride: int.min(1),
    cuts: nonNeg,
    candidates: z.array(candidate).min(1),
    chosen: candidate,
    /** version 2: the fixed gbdt settings and how the final model was made */
    learningRate: z.number().positive().optional(),
    subsample: z.number().positive().max(1).optional(),
    minLeaf: int.min(1).optional(),
    final: z.string().optional(),
  }),
  intervals: z.object({
    method: z.string(),
    levels: z.array(z.number().gt(0).lt(1)).min(1),
    bins: z.array(z.object({ upTo: z.number(), n: nonNeg, q: z.record(z.string(), z.tuple([finite, finite])) })).min(1),
  }),
});

const ridgeModel = z.object({ kind: z.literal('ridge'), coefficients: z.array(finite).min(2) });
const window = int.min(1).max(100_000);

/** Version 2: the feature vector is described in the file; gbdt is an average of members. */
export const fleetModelSchema = common.extend({
  version: z.literal(2),
  features: z.object({
    names: z.array(z.string()).min(1),
    ewma: z.array(z.number().gt(0).max(1)).min(1),
    mean: z.array(window),
    slope: z.array(window),
    baseline: int.min(0).max(100_000),
  }),
  model: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('gbdt'),
      features: int.min(1),
      members: z.array(z.object({ base: finite, learningRate: z.number().positive(), trees: z.array(tree).min(1) })).min(1),
    }),
    ridgeModel,
  ]),
});

/** Version 1: four features per sensor (FEATURES_V1), one gbdt. */
const fleetModelSchemaV1 = common.extend({
  version: z.literal(1),
  features: z.object({ names: z.array(z.string()).min(1) }),
  model: z.discriminatedUnion('kind', [
    z.object({
      kind: z.literal('gbdt'),
      base: finite,
      learningRate: z.number().positive(),
      features: int.min(1),
      trees: z.array(tree).min(1),
    }),
    ridgeModel,
  ]),
});

export type FleetModelFile = z.infer<typeof fleetModelSchema>;
type TreeJson = z.infer<typeof tree>;

export interface FleetModelParts {
  model: FleetRulModel;
  intervals: IntervalTable;
  input: FleetModelFile['input'];
  hyperParameters: FleetModelFile['hyperParameters'];
  /** read from a file: when and by what it was written */
  created?: string;
  version?: number;
}

const treeJson = (nodes: GbdtNode[]): TreeJson => ({
  f: nodes.map((n) => n.f),
  t: nodes.map((n) => (n.f < 0 || !Number.isFinite(n.threshold) ? null : n.threshold)),
  l: nodes.map((n) => n.left),
  r: nodes.map((n) => n.right),
  v: nodes.map((n) => n.value),
});

export function toModelFile(p: FleetModelParts, tool: string, created = new Date()): FleetModelFile {
  const m = p.model;
  return {
    format: FLEET_MODEL_FORMAT,
    version: 2,
    created: created.toISOString(),
    tool,
    input: p.input,
    normalisation: { settingDecimals: m.settingDecimals, regimes: m.regimes, keep: m.keep },
    features: { names: m.featureNames, ...m.features },
    target: { cap: m.cap },
    model:
      m.kind === 'gbdt'
        ? {
            kind: 'gbdt',
            features: m.featureNames.length,
            members: m.gbdt!.map((g) => ({ base: g.base, learningRate: g.learningRate, trees: g.trees.map(treeJson) })),
          }
        : { kind: 'ridge', coefficients: m.ridge! },
    hyperParameters: p.hyperParameters,
    intervals: p.intervals,
  };
}

/** Writes the model next to its final name and renames it into place (a crash never leaves half a model). */
/** Written aside and renamed into place (src/core/output-file.ts): never half a model under its name. */
export function writeModelFile(path: string, doc: FleetModelFile, force: boolean): void {
  writeFileSafely(path, `${JSON.stringify(doc)}\n`, { force });
}

const HINT = 'give a model written by `iiot analyze fleet train` (docs/fleet-model.md)';

function fail(file: string, where: string, what: string): never {
  throw usageError(`${file}: ${where}: ${what}`, HINT);
}

function pathText(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('');
}

/** Reads and checks a model file; any problem is a usage error (exit 2) naming the file and the field. */
export async function readModelFile(file: string): Promise<FleetModelParts> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    throw fileError('read', file, err);
  }
  return parseModelFile(text, file);
}

export function parseModelFile(text: string, file: string): FleetModelParts {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw usageError(`${file}: not valid JSON (${err instanceof Error ? err.message.split('\n')[0] : String(err)})`, HINT);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) fail(file, 'the document', 'not a JSON object');
  const head = doc as { format?: unknown; version?: unknown };
  if (head.format !== FLEET_MODEL_FORMAT) fail(file, 'format', `${JSON.stringify(head.format ?? null)}, not "${FLEET_MODEL_FORMAT}"`);
  if (typeof head.version === 'number' && head.version > FLEET_MODEL_VERSION) {
    throw new IiotError(
      ExitCode.Usage,
      `${file}: a fleet model of version ${head.version}; this iiot reads versions 1 and ${FLEET_MODEL_VERSION}`,
      { hint: 'upgrade iiot, or train the model again with this version' },
    );
  }
  const v1 = head.version === 1;
  const parsed = v1 ? fleetModelSchemaV1.safeParse(doc) : fleetModelSchema.safeParse(doc);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    fail(file, pathText(issue.path) || 'the document', issue.message);
  }
  const d = parsed.data;
  const nSensors = d.input.sensors.length;
  d.normalisation.regimes.forEach((r, i) => {
    if (r.mean.length !== nSensors || r.sd.length !== nSensors)
      fail(file, `normalisation.regimes[${i}]`, `${r.mean.length} means and ${r.sd.length} SDs for ${nSensors} sensors`);
    if (r.settings.length !== d.input.settings.length)
      fail(file, `normalisation.regimes[${i}].settings`, `${r.settings.length} values for ${d.input.settings.length} settings`);
  });
  d.normalisation.keep.forEach((j, i) => {
    if (j >= nSensors) fail(file, `normalisation.keep[${i}]`, `sensor index ${j}, but there are ${nSensors} sensors`);
  });
  const spec: FeatureSpec =
    d.version === 1
      ? FEATURES_V1
      : { ewma: d.features.ewma, mean: d.features.mean, slope: d.features.slope, baseline: d.features.baseline };
  const nFeatures = featuresPerSensor(spec) * d.normalisation.keep.length + 1;
  if (d.features.names.length !== nFeatures) fail(file, 'features.names', `${d.features.names.length} names for ${nFeatures} features`);
  const head2 = {
    cap: d.target.cap,
    settingDecimals: d.normalisation.settingDecimals,
    regimes: d.normalisation.regimes,
    keep: d.normalisation.keep,
    features: spec,
    featureNames: d.features.names,
  };
  const readTrees = (trees: TreeJson[], where: string): GbdtNode[][] =>
    trees.map((t, k) => {
      const n = t.f.length;
      if (t.t.length !== n || t.l.length !== n || t.r.length !== n || t.v.length !== n)
        fail(file, `${where}[${k}]`, 'f, t, l, r and v differ in length');
      const nodes: GbdtNode[] = [];
      for (let i = 0; i < n; i++) {
        const f = t.f[i]!;
        if (f >= nFeatures) fail(file, `${where}[${k}].f[${i}]`, `feature ${f}, but there are ${nFeatures}`);
        if (f >= 0 && (t.l[i]! <= i || t.r[i]! <= i || t.l[i]! >= n || t.r[i]! >= n))
          fail(file, `${where}[${k}].l[${i}]`, 'a child index out of range (children follow their parent)');
        nodes.push({ f, threshold: f < 0 ? 0 : (t.t[i] ?? Infinity), left: t.l[i]!, right: t.r[i]!, value: t.v[i]! });
      }
      return nodes;
    });
  let model: FleetRulModel;
  const m = d.model;
  if (m.kind === 'gbdt') {
    if (m.features !== nFeatures) fail(file, 'model.features', `${m.features}, but the features are ${nFeatures}`);
    let members: GbdtModel[];
    if ('members' in m)
      members = m.members.map((g, i) => ({
        base: g.base,
        learningRate: g.learningRate,
        features: nFeatures,
        trees: readTrees(g.trees, `model.members[${i}].trees`),
      }));
    else members = [{ base: m.base, learningRate: m.learningRate, features: nFeatures, trees: readTrees(m.trees, 'model.trees') }];
    model = { ...head2, kind: 'gbdt', gbdt: members };
  } else {
    if (m.coefficients.length !== nFeatures + 1)
      fail(file, 'model.coefficients', `${m.coefficients.length} coefficients for ${nFeatures} features and an intercept`);
    model = { ...head2, kind: 'ridge', ridge: m.coefficients };
  }
  for (const [i, b] of d.intervals.bins.entries()) {
    for (const l of d.intervals.levels) if (!b.q[String(l)]) fail(file, `intervals.bins[${i}].q`, `no quantiles at level ${l}`);
  }
  return {
    model,
    intervals: d.intervals as IntervalTable,
    input: d.input,
    created: d.created,
    version: d.version,
    hyperParameters: d.hyperParameters as FleetModelFile['hyperParameters'] & { chosen: FleetCandidate },
  };
}
