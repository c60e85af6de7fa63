/**
 * iiot as a library (`import { readSamples, energy } from 'iiot'`): read captures as async
 * iterators and as arquero tables, run the analyses as functions, export Parquet. Documented in
 * docs/scripting.md, whose examples a test runs. Everything here is a stable, semver-versioned
 * surface; the rest of src/ is not.
 */

export * as aq from 'arquero';
export type { ColumnTable } from 'arquero';

export type {
  CaptureHeader,
  CaptureIssue,
  CaptureRecord,
  EventLine,
  RawLine,
  SampleLine,
  SampleValue,
  SourceInfo,
  TagInfo,
} from '../capture/types.js';
export { readHeader, readRecords, readSamples, readTable, type ReadOptions, type Sample, type TimeInput } from './read.js';

export { energy, degradation, type EnergyAnalysisOptions, type DegradationAnalysisOptions, type PeriodInput } from './analyses.js';
export { energyTables, type EnergyTables } from './tables.js';
export { toParquet, type ParquetOptions } from './parquet.js';

// The pure analyses, for data that does not come from a capture file.
export {
  analyzeEnergy,
  type DayTotal,
  type EnergyInput,
  type EnergyOptions,
  type EnergyResult,
  type G14Verdict,
  type Opportunity,
  type ShiftSpec,
} from '../analysis/energy.js';
export {
  analyzeDegradation,
  analyzeIndicator,
  type DegradationOptions,
  type DegradationResult,
  type IndicatorResult,
} from '../analysis/degradation.js';
export type { IndicatorInput } from '../analysis/degradation.js';
export { MeterAccumulator, toMeterSeries, type MeterKind, type MeterOptions, type MeterSeries, type MeterSpec } from '../analysis/meter.js';
export { fitBaseline, g14Verdict, type BaselineDay, type BaselineModel } from '../analysis/mv-baseline.js';
export type { Tariff } from '../analysis/tariff.js';
export { parseTariff } from '../analysis/tariff-file.js';
