import { join } from 'node:path';
import { packageRoot } from '../core/version.js';
import { parseYaml, readYamlSource, type YamlSource } from '../yaml/load.js';
import { plantSchema, type PlantConfig } from './plant-schema.js';

/** The plant `iiot sim` runs when no --plant is given. */
export function defaultPlantPath(): string {
  return join(packageRoot(), 'fixtures', 'plants', 'default.yaml');
}

/** Reads and validates a plant model file; errors name file, line and field (exit 2). */
export function loadPlantFile(path: string = defaultPlantPath()): PlantConfig {
  return parsePlant(
    readYamlSource(path, 'plant model', `check the path; the default plant is ${defaultPlantPath()} (docs/sim.md describes the format)`),
  );
}

export function parsePlant(source: YamlSource): PlantConfig {
  return parseYaml(source, plantSchema, 'plant model');
}
