/**
 * A small seeded pseudo-random generator (mulberry32): the same seed gives the same stream on every platform.
 * The sampler draws from it (so a request's `seed` makes sampling reproducible) and the random-weight
 * generators fill tensors from it (so a seed gives the same model bytes).
 */

/** mulberry32: 32-bit state, floats in [0, 1). */
export function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}
