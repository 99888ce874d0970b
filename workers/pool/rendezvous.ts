/**
 * Rendezvous (highest-random-weight) hashing: every replica gets a pseudo-random score for a
 * key, and the key's replicas are tried from the highest score down. Adding a replica moves
 * only the keys it now wins (about 1/N of them); removing one moves only the keys it held.
 * Scores come from a stable 53-bit string hash (workers/stable-hash.ts), so the order is the
 * same in every isolate and every process without any shared state.
 */
import { hash53 } from "../stable-hash";

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
