/**
 * Rendezvous (highest-random-weight) hashing: every replica gets a pseudo-random score for a
 * key, and the key's replicas are tried from the highest score down. Adding a replica moves
 * only the keys it now wins (about 1/N of them); removing one moves only the keys it held.
 * Scores come from a 53-bit string hash (two 32-bit lanes with an avalanche finalizer), so
 * the order is the same in every isolate and every process without any shared state.
 */

/** Mixes a 32-bit lane so that every input bit reaches every output bit. */
function avalanche(h: number): number {
  let x = h ^ (h >>> 16);
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/** A 53-bit hash of a string (an exact integer in a double), stable across runtimes. */
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

/**
 * The replicas in the order a key tries them: highest score first.
 * @example
 *   rendezvousOrder("session:abc", ["http://a:8080", "http://b:8080"]); // e.g. ["http://b:8080", "http://a:8080"]
 */
export function rendezvousOrder(key: string, replicaIds: readonly string[]): string[] {
  return replicaIds
    .map((id) => ({ id, score: hash53(`${id}\u0000${key}`) }))
    .sort((left, right) => right.score - left.score || (left.id < right.id ? -1 : 1))
    .map(({ id }) => id);
}
