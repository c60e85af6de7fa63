/** Loading the NASA/IMS bearing feature tables (datasets/ims, README_source.md there). */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { readCsv } from './csv.js';
import { DATASETS } from './datasets.js';

export interface ImsChannel {
  test: number;
  bearing: number;
  channel: number;
  rms: Float64Array;
  /** Pearson kurtosis (the file's excess kurtosis + 3) */
  kurtosis: Float64Array;
  peak: Float64Array;
  /** envelope-spectrum band energies at the defect frequencies (tests 1 and 2 only; the data set has no test 3 spectral table) */
  band?: { bpfo: Float64Array; bpfi: Float64Array; bsf: Float64Array };
}

export interface ImsTest {
  test: number;
  /** epoch ms of each live snapshot (the post-shutdown tail removed) */
  t: Float64Array;
  channels: ImsChannel[];
  /** bearings that failed at the end of the test (data set documentation) */
  failed: number[];
  /** end of the last live snapshot: the failure time */
  failureAt: number;
  droppedTail: number;
}

export const FAILED: Record<number, number[]> = { 1: [3, 4], 2: [1], 3: [3] };

export function loadIms(test: number): ImsTest {
  const csv = readCsv(`ims/test${test}_raw.csv`);
  // Timestamps in the file names are the rig's local clock; treated as UTC (only differences matter).
  const tAll = Float64Array.from(csv.col('timestamp').map((s) => Date.parse(`${s.replace(' ', 'T')}Z`)));
  const chCols = csv.header.filter((h) => h.endsWith('_rms')).map((h) => h.slice(0, -4));
  const rmsAll = chCols.map((c) => csv.num(`${c}_rms`));
  // Post-shutdown tail: every channel below 0.2x its early median (the rig stopped, see the data set README).
  const early = rmsAll.map((r) => {
    const s = Array.from(r.subarray(0, Math.min(r.length, 500))).sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  });
  let end = tAll.length;
  while (end > 0 && rmsAll.every((r, i) => r[end - 1]! < 0.2 * early[i]!)) end--;
  const specPath = `ims/test${test}_spectral.csv`;
  const spec = existsSync(join(DATASETS, `${specPath}.gz`)) ? readCsv(specPath) : undefined;
  const channels: ImsChannel[] = chCols.map((c, i) => {
    const m = /Bearing(\d)_ch(\d)/.exec(c)!;
    const band = spec
      ? {
          bpfo: spec.num(`${c}_env_bpfo_energy`).slice(0, end),
          bpfi: spec.num(`${c}_env_bpfi_energy`).slice(0, end),
          bsf: spec.num(`${c}_env_bsf_energy`).slice(0, end),
        }
      : undefined;
    return {
      ...(band ? { band } : {}),
      test,
      bearing: Number(m[1]),
      channel: Number(m[2]),
      rms: rmsAll[i]!.slice(0, end),
      kurtosis: csv
        .num(`${c}_kurt`)
        .slice(0, end)
        .map((k) => k + 3),
      peak: csv.num(`${c}_max`).slice(0, end),
    };
  });
  return { test, t: tAll.slice(0, end), channels, failed: FAILED[test]!, failureAt: tAll[end - 1]!, droppedTail: tAll.length - end };
}
