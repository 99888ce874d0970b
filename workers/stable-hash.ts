/**
 * A 53-bit string hash (two 32-bit lanes with an avalanche finalizer; an exact integer in a
 * double), the same in every isolate, process and runtime: the engine pool's rendezvous
 * scores and affinity keys, and the job registry's owner shards.
 */

/** Mixes a 32-bit lane so that every input bit reaches every output bit. */
function avalanche(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

export function hash53(text: string): number {
  let a = 0x811c9dc5;
  let b = 0x6a09e667;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a = avalanche(a ^ Math.imul(b, 0x27d4eb2d));
  b = avalanche(b ^ a ^ text.length);
  return (b & 0x1fffff) * 0x100000000 + a;
}

/** Hex form of hash53, for keys and cache names. */
export function hashHex(text: string): string {
  return hash53(text).toString(16).padStart(14, "0");
}
