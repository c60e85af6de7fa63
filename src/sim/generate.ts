import { refuseToReplace } from '../core/output-file.js';
import { createCaptureWriter } from '../capture/writer.js';
import { splitPatterns, tagMatcher } from '../capture/tag-match.js';
import type { TagInfo } from '../capture/types.js';
import { usageError } from '../core/errors.js';
import { groundTruth, type GroundTruth } from './ground-truth.js';
import { PlantModel } from './model.js';
import { PLANT_NAMESPACE_URI } from './opcua-space.js';
import type { PlantConfig } from './plant-schema.js';
import type { SignalInfo } from './signals.js';

/**
 * `iiot sim --generate`: the model sampled on a fixed grid of model time, as fast as the disk
 * takes it, into a capture whose header carries the ground truth (failure time, degradation
 * curve, true kWh per day and in total) so analyses can be scored against it.
 */

export interface GenerateOptions {
  plant: PlantConfig;
  /** the plant file, for the capture's source entry */
  plantFile: string;
  seed?: number;
  /** first sample (ms since 1970); default the plant file's start */
  start?: number;
  /** span of model time */
  durationMs: number;
  /** sampling period of model time */
  intervalMs: number;
  output: string;
  /** replace an existing output file */
  force?: boolean;
  /** tag patterns ("pump1.*,plant.energy"); default all */
  tags?: string[];
  /** decimals kept for float signals (default 4): noise is far larger, files far smaller */
  decimals?: number;
  /** called now and then with the fraction done */
  progress?: (fraction: number) => void;
}

export interface GenerateResult {
  file: string;
  samples: number;
  tags: number;
  from: string;
  to: string;
  groundTruth: GroundTruth;
}

export async function generateCapture(options: GenerateOptions): Promise<GenerateResult> {
  refuseToReplace(options.output, { force: options.force });
  const start = options.start ?? Date.parse(options.plant.start);
  const model = new PlantModel(options.plant, { start, ...(options.seed === undefined ? {} : { seed: options.seed }) });
  const from = model.start;
  const to = from + options.durationMs;
  const patterns = splitPatterns(options.tags ?? []);
  const match = tagMatcher(patterns);
  const signals = model.signals.filter((s) => match(s.id));
  if (signals.length === 0) {
    throw usageError(
      `--tags ${patterns.join(',')}: matches none of the plant's signals`,
      `the signals are: ${model.signals.map((s) => s.id).join(', ')}`,
    );
  }
  const truth = groundTruth(model, from, to);
  const writer = await createCaptureWriter(
    options.output,
    {
      sources: [
        {
          id: 'sim',
          protocol: 'sim',
          endpoint: options.plantFile,
          options: {
            seed: model.seed,
            start: new Date(from).toISOString(),
            intervalMs: options.intervalMs,
            durationMs: options.durationMs,
          },
        },
      ],
      tags: signals.map(tagInfo),
      metadata: {
        site: options.plant.site,
        plant: options.plant.name,
        timezone: options.plant.timezone,
        generator: 'iiot sim --generate',
        groundTruth: truth,
      },
    },
    { staged: { force: options.force } },
  );
  const scale = 10 ** (options.decimals ?? 4);
  const readers = signals.map((s) => ({ id: s.id, float: s.dataType === 'float64', read: model.reader(s.id) }));
  let samples = 0;
  try {
    const steps = Math.floor(options.durationMs / options.intervalMs);
    for (let k = 0; k <= steps; k++) {
      const t = from + k * options.intervalMs;
      if (t > to) break;
      for (const r of readers) {
        const v = r.read(t);
        writer.sample(r.id, t, r.float ? Math.round((v as number) * scale) / scale : v);
        samples++;
      }
      // Backpressure: let the writer drain now and then, so memory stays flat for any span.
      if (k % 2000 === 0) {
        await writer.flush();
        options.progress?.(k / steps);
      }
    }
  } catch (err) {
    await writer.abort();
    throw err;
  }
  await writer.close();
  return {
    file: options.output,
    samples,
    tags: signals.length,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    groundTruth: truth,
  };
}

export function tagInfo(s: SignalInfo): TagInfo {
  return {
    name: s.id,
    source: 'sim',
    address: `nsu=${PLANT_NAMESPACE_URI};s=${s.id}`,
    dataType: s.dataType,
    ...(s.unit === undefined ? {} : { unit: s.unit }),
    ...(s.range === undefined ? {} : { range: [s.range[0], s.range[1]] as [number, number] }),
    description: s.description,
    asset: s.asset,
  };
}
