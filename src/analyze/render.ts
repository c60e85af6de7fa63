/**
 * What `iiot analyze degradation|energy` prints and writes: the iiot.analyze.degradation/1 and
 * iiot.analyze.energy/1 documents (docs/json-output.md), the terminal summary, and the --report
 * file (Markdown or one HTML page, report/).
 */
import type { DegradationResult } from '../analysis/degradation.js';
import type { EnergyResult } from '../analysis/energy.js';
import { emitJson, info, out, type IO } from '../core/io.js';
import { writeFileSafely } from '../core/output-file.js';
import { toolVersion } from '../core/version.js';
import { jsonTimes } from './json.js';
import type { DegradationCommandOptions, EnergyCommandOptions } from './options.js';
import { degradationHtml, degradationMarkdown, degradationTerminal, type ReportContext } from './report/degradation.js';
import { energyHtml, energyMarkdown, energyTerminal } from './report/energy.js';

function context(files: string[], tz: string): ReportContext {
  return { file: files.join(', '), tz, generated: new Date().toISOString().replace(/\.\d+Z$/, 'Z'), tool: `iiot ${toolVersion()}` };
}

async function writeReport(io: IO, path: string, force: boolean, md: () => string, html: () => string): Promise<void> {
  const text = /\.html?$/i.test(path) ? html() : md();
  // written aside and renamed into place: never half a report under its name (core/output-file.ts)
  writeFileSafely(path, text, { force });
  info(io, `report written to ${path}`);
}

/** A degradation result: JSON or the terminal summary with its notes, and the report if asked for. */
export async function printDegradation(
  io: IO,
  o: DegradationCommandOptions,
  result: DegradationResult,
  records: number,
  notes: string[],
  fusedWeights: { name: string; weight: number; direction: 1 | -1; rho: number }[] | undefined,
): Promise<void> {
  const ctx = context(o.files, o.tz);
  if (io.json) {
    emitJson(
      io,
      'iiot.analyze.degradation/1',
      jsonTimes({ files: o.files, tz: o.tz, records, notes, ...(fusedWeights ? { fused: fusedWeights } : {}), ...result }) as object,
    );
  } else {
    out(io, degradationTerminal(result, ctx, io.style));
    for (const n of notes) out(io, io.style.dim(`note: ${n}`));
  }
  if (o.report)
    await writeReport(
      io,
      o.report,
      o.force,
      () => degradationMarkdown(result, ctx),
      () => degradationHtml(result, ctx),
    );
}

/** An energy result: JSON (without the demand series) or the terminal summary, and the report if asked for. */
export async function printEnergy(io: IO, o: EnergyCommandOptions, result: EnergyResult, records: number): Promise<void> {
  const ctx = context(o.files, o.tz);
  if (io.json) {
    const { series: _series, ...demand } = result.demand;
    emitJson(io, 'iiot.analyze.energy/1', jsonTimes({ files: o.files, records, ...result, demand }) as object);
  } else {
    out(io, energyTerminal(result, ctx, io.style));
  }
  if (o.report)
    await writeReport(
      io,
      o.report,
      o.force,
      () => energyMarkdown(result, ctx),
      () => energyHtml(result, ctx),
    );
}
