/**
 * The plant's clock: model time runs `scale` times faster than the wall clock from `modelStart`.
 * At scale 1 with the start "now", model time is wall time, and timestamps are real.
 */
export interface PlantClock {
  /** model time at the instant the plant started (ms since 1970) */
  readonly modelStart: number;
  /** wall time at the instant the plant started */
  readonly wallStart: number;
  /** model seconds per wall second */
  readonly scale: number;
  /** model time now */
  now(): number;
}

export function makeClock(modelStart: number, scale: number, wallNow: () => number = Date.now): PlantClock {
  const wallStart = wallNow();
  return {
    modelStart,
    wallStart,
    scale,
    now: () => modelStart + (wallNow() - wallStart) * scale,
  };
}
