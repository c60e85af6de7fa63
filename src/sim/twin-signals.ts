/**
 * Simulated values for a twin's variables that nothing drives (`iiot sim --nodeset`): a slow
 * sine with deterministic noise, inside the variable's EURange when it has one, else around the
 * value the NodeSet gave it. Integers are rounded and kept within their type; booleans, strings,
 * structures, enumerations, the instance declarations of types, writable variables (setpoints: they keep what clients write) and properties (EngineeringUnits, EURange, ...: the model, not signals) keep the
 * NodeSet's values. Pure: a value depends only on the variable, the seed and the time.
 */
import { gaussian, streamId } from './noise.js';

export interface SimulatedVariable {
  key: string;
  type: string;
  array: boolean;
  property: boolean;
  /** written by clients (a setpoint): keeps what they write */
  writable: boolean;
  /** an enumeration: states, not a measurement */
  enumeration: boolean;
  /** an instance declaration of a type (it has a modelling rule) */
  declaration: boolean;
  range?: readonly [number, number] | undefined;
  initial: unknown;
}

const INT_RANGE: Record<string, [number, number]> = {
  SByte: [-128, 127],
  Byte: [0, 255],
  Int16: [-32768, 32767],
  UInt16: [0, 65535],
  Int32: [-2147483648, 2147483647],
  UInt32: [0, 4294967295],
};
const NUMERIC = new Set(['SByte', 'Byte', 'Int16', 'UInt16', 'Int32', 'UInt32', 'Float', 'Double']);

export interface SignalShape {
  centre: number;
  amplitude: number;
  periodMs: number;
  phase: number;
  stream: number;
}

/** The variables to simulate and how; the rest keep their values. */
export function simulatedShapes(variables: readonly SimulatedVariable[]): Map<string, SignalShape> {
  const out = new Map<string, SignalShape>();
  for (const v of variables) {
    if (v.property || v.declaration || v.writable || v.enumeration || v.array || !NUMERIC.has(v.type)) continue;
    const stream = streamId(v.key);
    let centre: number;
    let amplitude: number;
    if (v.range && v.range[1] > v.range[0]) {
      centre = (v.range[0] + v.range[1]) / 2;
      amplitude = (v.range[1] - v.range[0]) * 0.35;
    } else {
      centre = typeof v.initial === 'number' && Number.isFinite(v.initial) ? v.initial : 0;
      amplitude = Math.max(Math.abs(centre) * 0.1, 1);
    }
    // periods between 1 and 10 minutes, different for each variable
    out.set(v.key, { centre, amplitude, periodMs: 60_000 * (1 + (stream % 10)), phase: ((stream >>> 8) % 628) / 100, stream });
  }
  return out;
}

export function simulatedValue(shape: SignalShape, type: string, t: number, seed: number): number {
  const x =
    shape.centre +
    shape.amplitude * Math.sin((2 * Math.PI * t) / shape.periodMs + shape.phase) +
    shape.amplitude * 0.02 * gaussian(seed, shape.stream, Math.floor(t / 1000));
  const r = INT_RANGE[type];
  if (!r) return x;
  return Math.min(r[1], Math.max(r[0], Math.round(x)));
}
