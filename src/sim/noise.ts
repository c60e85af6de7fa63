/**
 * Deterministic noise: every random draw is a hash of (seed, stream, index), not the next number
 * of a generator. So a value depends only on what it is and when, never on which values were
 * asked for before it: OPC UA reads, Modbus polls and a generated capture all see the same plant.
 */

/** FNV-1a over a string: names a noise stream ("pump1.vibration", "microstop:conveyor1"). */
export function streamId(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A well-mixed 32-bit hash of three integers (murmur3 finaliser rounds). */
export function hash3(seed: number, stream: number, index: number): number {
  // index may exceed 32 bits (milliseconds, seconds since 1970): fold the high part in.
  const lo = index >>> 0;
  const hi = Math.floor(index / 4294967296) >>> 0;
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = mix(h ^ stream);
  h = mix(h ^ lo);
  h = mix(h ^ hi);
  return h;
}

function mix(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** Uniform in [0, 1). */
export function uniform(seed: number, stream: number, index: number): number {
  return hash3(seed, stream, index) / 4294967296;
}

/** Standard normal (mean 0, sd 1) by Box-Muller over two independent hashes. */
export function gaussian(seed: number, stream: number, index: number): number {
  const u1 = (hash3(seed, stream, index * 2) + 1) / 4294967297; // (0, 1]: log is finite
  const u2 = hash3(seed, stream, index * 2 + 1) / 4294967296;
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
