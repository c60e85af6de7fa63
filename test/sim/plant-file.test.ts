import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isIiotError } from '../../src/core/errors.js';
import { defaultPlantPath, parsePlant } from '../../src/sim/plant-file.js';

const good = readFileSync(defaultPlantPath(), 'utf8');

/** The one-line message a bad plant file gets, or a failure if it parses. */
function errorOf(text: string): { message: string; exitCode: number } {
  try {
    parsePlant({ file: 'bad.yaml', text });
  } catch (err) {
    if (isIiotError(err)) return { message: err.message, exitCode: err.exitCode };
    throw err;
  }
  throw new Error('expected the plant file to be refused');
}

function lineOf(text: string, needle: string): number {
  return text.split('\n').findIndex((l) => l.includes(needle)) + 1;
}

describe('plant model file', () => {
  it('accepts the default plant', () => {
    const plant = parsePlant({ file: 'default.yaml', text: good });
    expect(plant.assets.map((a) => a.id)).toEqual(['conveyor1', 'conveyor2', 'pump1', 'compressor1']);
    expect(plant.assets[2]!.bearing?.failure).toBe(26 * 86_400_000);
  });

  it('names file, line and field of a wrong type', () => {
    const text = good.replace('ratedKw: 22', 'ratedKw: fast');
    const e = errorOf(text);
    expect(e.exitCode).toBe(2);
    expect(e.message).toBe(`bad.yaml:${lineOf(text, 'ratedKw: fast')}: assets[2].ratedKw: Invalid input: expected number, received string`);
    expect(e.message).not.toContain('\n');
  });

  it('names an unknown field', () => {
    const text = good.replace('    loadFactor: 0.82\n', '    loadFactor: 0.82\n    loadfactr: 0.8\n');
    const e = errorOf(text);
    expect(e.message).toBe(
      `bad.yaml:${lineOf(text, 'loadfactr')}: assets[2].loadfactr: unknown field "loadfactr" (misspelt, or not valid here)`,
    );
  });

  it('names a bad duration and a failure before the onset', () => {
    const t1 = good.replace('onset: 8d', 'onset: eight days');
    expect(errorOf(t1).message).toBe(
      `bad.yaml:${lineOf(t1, 'onset: eight')}: assets[2].bearing.onset: cannot read "eight days" as a duration (write 6d, 12h, 90m)`,
    );
    const t2 = good.replace('failure: 26d', 'failure: 4d');
    expect(errorOf(t2).message).toBe(`bad.yaml:${lineOf(t2, 'failure: 4d')}: assets[2].bearing.failure: failure must come after onset`);
  });

  it('names duplicate asset ids and unknown time zones', () => {
    const t1 = good.replace('id: conveyor2', 'id: conveyor1');
    expect(errorOf(t1).message).toBe(`bad.yaml:${lineOf(t1, 'name: Conveyor 2') - 1}: assets[1].id: duplicate asset id "conveyor1"`);
    const t2 = good.replace('timezone: Europe/Madrid', 'timezone: Europe/Atlantis');
    expect(errorOf(t2).message).toBe(
      `bad.yaml:${lineOf(t2, 'Atlantis')}: timezone: unknown time zone "Europe/Atlantis" (use an IANA name such as Europe/Madrid or UTC)`,
    );
  });

  it('reports YAML syntax errors with their line', () => {
    const text = good.replace('  baseLoadKw: 18.0', '  baseLoadKw: [18.0');
    expect(errorOf(text).message).toMatch(/^bad\.yaml:\d+: not valid YAML: /);
  });

  it('names a missing required field at its parent', () => {
    const text = good.replace(/ {4}ratedSpeedRpm: 2950\n/, '');
    const e = errorOf(text);
    expect(e.message).toMatch(/^bad\.yaml:\d+: assets\[2\]\.ratedSpeedRpm: Invalid input: expected number, received undefined$/);
  });
});
