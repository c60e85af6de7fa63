import { usageError } from './errors.js';

/** Durations the user writes ("250ms", "5m", "2h", "1.5d", "1h30m"), parsed once, to milliseconds. */
const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_PART = /(\d+(?:\.\d+)?)\s*(ms|sec|min|s|m|h|d|w)/gy;

/**
 * Parses "250ms", "5m", "2h", "1h30m", "1.5d" to milliseconds. A bare number is refused (is "5"
 * five seconds or five milliseconds?) unless `bareUnit` says what it means.
 */
export function parseDuration(text: string, what = 'duration', bareUnit?: keyof typeof DURATION_UNITS): number {
  const s = text.trim();
  if (bareUnit !== undefined && /^\d+(\.\d+)?$/.test(s)) return Number(s) * DURATION_UNITS[bareUnit]!;
  if (s === '') throw usageError(`${what}: empty duration`, 'write a number with a unit, for example 250ms, 30s, 5m, 2h or 7d');
  let total = 0;
  DURATION_PART.lastIndex = 0;
  let pos = 0;
  while (pos < s.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(s);
    if (!m) {
      throw usageError(
        `${what}: cannot read "${text}" as a duration`,
        'write a number with a unit, for example 250ms, 30s, 5m, 2h, 7d or 1h30m',
      );
    }
    total += Number(m[1]) * DURATION_UNITS[m[2]!]!;
    pos = DURATION_PART.lastIndex;
  }
  return total;
}

/** "1h 30m", "250 ms", "3.2 s": a short human form of a duration in milliseconds. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  const sign = ms < 0 ? '-' : '';
  const a = Math.abs(ms);
  if (a < 1) return `${sign}${a.toFixed(3)} ms`;
  if (a < 1000) return `${sign}${a < 10 ? a.toFixed(2) : a < 100 ? a.toFixed(1) : Math.round(a)} ms`;
  if (a < 60_000) return `${sign}${(a / 1000).toFixed(a < 10_000 ? 2 : 1)} s`;
  const parts: string[] = [];
  let rest = Math.round(a / 1000);
  const d = Math.floor(rest / 86400);
  rest -= d * 86400;
  const h = Math.floor(rest / 3600);
  rest -= h * 3600;
  const m = Math.floor(rest / 60);
  const sec = rest - m * 60;
  if (d) parts.push(`${d}d`);
  if (h) parts.push(`${h}h`);
  if (m && d === 0) parts.push(`${m}m`);
  if (sec && d === 0 && h === 0) parts.push(`${sec}s`);
  return sign + parts.join(' ');
}

/** Physical quantities of the domains we report on. Each unit converts to its dimension's base. */
export type Dimension =
  | 'power'
  | 'energy'
  | 'reactive-energy'
  | 'velocity'
  | 'temperature'
  | 'current'
  | 'voltage'
  | 'frequency'
  | 'speed'
  | 'pressure'
  | 'flow'
  | 'ratio'
  | 'count'
  | 'time'
  | 'mass'
  | 'acceleration'
  | 'displacement';

interface UnitDef {
  dimension: Dimension;
  /** factor to the base unit of the dimension (W, Wh, varh, mm/s, °C, A, V, Hz, rpm, bar, m3/h, 1, 1, s, kg, m/s2, µm) */
  factor: number;
  /** offset added after the factor (temperature only) */
  offset?: number;
  canonical: string;
}

const U = (dimension: Dimension, factor: number, canonical: string, offset?: number): UnitDef =>
  offset === undefined ? { dimension, factor, canonical } : { dimension, factor, canonical, offset };

const UNITS: Record<string, UnitDef> = {
  w: U('power', 1, 'W'),
  kw: U('power', 1e3, 'kW'),
  mw: U('power', 1e6, 'MW'),
  wh: U('energy', 1, 'Wh'),
  kwh: U('energy', 1e3, 'kWh'),
  mwh: U('energy', 1e6, 'MWh'),
  gwh: U('energy', 1e9, 'GWh'),
  varh: U('reactive-energy', 1, 'varh'),
  kvarh: U('reactive-energy', 1e3, 'kvarh'),
  mvarh: U('reactive-energy', 1e6, 'Mvarh'),
  'mm/s': U('velocity', 1, 'mm/s'),
  'in/s': U('velocity', 25.4, 'in/s'),
  'm/s': U('velocity', 1000, 'm/s'),
  '°c': U('temperature', 1, '°C'),
  degc: U('temperature', 1, '°C'),
  '°f': U('temperature', 5 / 9, '°F', -32 * (5 / 9)),
  degf: U('temperature', 5 / 9, '°F', -32 * (5 / 9)),
  k: U('temperature', 1, 'K', -273.15),
  a: U('current', 1, 'A'),
  ma: U('current', 1e-3, 'mA'),
  v: U('voltage', 1, 'V'),
  kv: U('voltage', 1e3, 'kV'),
  hz: U('frequency', 1, 'Hz'),
  rpm: U('speed', 1, 'rpm'),
  '1/min': U('speed', 1, 'rpm'),
  // the UNECE symbol, as OPC UA EngineeringUnits (EUInformation) display it
  'r/min': U('speed', 1, 'rpm'),
  bar: U('pressure', 1, 'bar'),
  mbar: U('pressure', 1e-3, 'mbar'),
  pa: U('pressure', 1e-5, 'Pa'),
  kpa: U('pressure', 1e-2, 'kPa'),
  psi: U('pressure', 0.0689476, 'psi'),
  'm3/h': U('flow', 1, 'm3/h'),
  'm³/h': U('flow', 1, 'm3/h'),
  'l/min': U('flow', 0.06, 'l/min'),
  '%': U('ratio', 0.01, '%'),
  pct: U('ratio', 0.01, '%'),
  count: U('count', 1, 'count'),
  pcs: U('count', 1, 'pcs'),
  units: U('count', 1, 'units'),
  s: U('time', 1, 's'),
  h: U('time', 3600, 'h'),
  kg: U('mass', 1, 'kg'),
  t: U('mass', 1000, 't'),
  'm/s2': U('acceleration', 1, 'm/s2'),
  'm/s²': U('acceleration', 1, 'm/s2'),
  g: U('acceleration', 9.80665, 'g'),
  um: U('displacement', 1, 'µm'),
  µm: U('displacement', 1, 'µm'),
};

export interface UnitInfo {
  readonly dimension: Dimension;
  readonly canonical: string;
}

/** Looks a unit up, case-insensitively ("kW", "KW" and "kw" are the same unit). Undefined if unknown. */
export function lookupUnit(unit: string): UnitInfo | undefined {
  const def = UNITS[unit.trim().toLowerCase()];
  return def ? { dimension: def.dimension, canonical: def.canonical } : undefined;
}

/** Converts a value between two units of the same dimension; throws a usage error otherwise. */
export function convert(value: number, from: string, to: string): number {
  const a = UNITS[from.trim().toLowerCase()];
  const b = UNITS[to.trim().toLowerCase()];
  if (!a) throw usageError(`unknown unit "${from}"`, `known units: ${knownUnits()}`);
  if (!b) throw usageError(`unknown unit "${to}"`, `known units: ${knownUnits()}`);
  if (a.dimension !== b.dimension) {
    throw usageError(`cannot convert ${from} (${a.dimension}) to ${to} (${b.dimension})`);
  }
  const base = value * a.factor + (a.offset ?? 0);
  return (base - (b.offset ?? 0)) / b.factor;
}

export function knownUnits(): string {
  return [...new Set(Object.values(UNITS).map((u) => u.canonical))].join(', ');
}

export interface Quantity {
  readonly value: number;
  /** canonical spelling ("kW", "mm/s"); undefined for a bare number */
  readonly unit: string | undefined;
  readonly dimension: Dimension | undefined;
}

/** Parses "7.1mm/s", "250 kW", "3.5kWh", "0.2" into a value and a unit. */
export function parseQuantity(text: string, what = 'value', expected?: Dimension): Quantity {
  const m = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[-+]?\d+)?)\s*([^\d\s].*)?$/i.exec(text);
  if (!m) throw usageError(`${what}: cannot read "${text}" as a number with an optional unit`, 'for example 7.1mm/s, 250kW or 3.5kWh');
  const value = Number(m[1]);
  const unitText = m[2]?.trim();
  if (unitText === undefined || unitText === '') {
    return { value, unit: undefined, dimension: undefined };
  }
  const unit = lookupUnit(unitText);
  if (!unit) throw usageError(`${what}: unknown unit "${unitText}" in "${text}"`, `known units: ${knownUnits()}`);
  if (expected !== undefined && unit.dimension !== expected) {
    throw usageError(`${what}: "${text}" is a ${unit.dimension}, expected a ${expected}`);
  }
  return { value, unit: unit.canonical, dimension: unit.dimension };
}

/** Parses a byte size: "10MB", "512k", "1GiB" (powers of 1024 for both spellings, as files are). */
export function parseByteSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(b|k|kb|kib|m|mb|mib|g|gb|gib)?\s*$/i.exec(text);
  if (!m) throw usageError(`${what}: cannot read "${text}" as a size`, 'for example 100MB, 512KB or 2GB');
  const mult: Record<string, number> = {
    b: 1,
    k: 1024,
    kb: 1024,
    kib: 1024,
    m: 1024 ** 2,
    mb: 1024 ** 2,
    mib: 1024 ** 2,
    g: 1024 ** 3,
    gb: 1024 ** 3,
    gib: 1024 ** 3,
  };
  return Math.round(Number(m[1]) * mult[(m[2] ?? 'b').toLowerCase()]!);
}
