/**
 * The order in which one request tries the replicas: the key's rendezvous order (so a
 * session's follow-ups meet the replica holding its prefix cache), admitted replicas first,
 * and among those the ones not overloaded before the overloaded (a key spills to the next
 * replica in its own order, which is the same for every request of that key). Replicas that
 * are busy or ejected come last, as a last resort when nothing else is left.
 */
import { estimatedWaiting, isAdmitted, isEjected, isOverloaded, type PoolSettings, type ReplicaState } from "./replica-health";
import { rendezvousOrder } from "./rendezvous";

/**
 * @example
 *   rankReplicas("session:abc", ids, (id) => states.get(id)!, Date.now(), settings)[0]; // the replica to try first
 */
export function rankReplicas(key: string, replicaIds: readonly string[], stateOf: (id: string) => ReplicaState, now: number, settings: PoolSettings): string[] {
  const order = rendezvousOrder(key, replicaIds);
  const admitted = order.filter((id) => isAdmitted(stateOf(id), now, settings));
  const fitting = admitted.filter((id) => !isOverloaded(stateOf(id), settings));
  // Stable sort: equally loaded replicas keep the key's order.
  const overloaded = admitted.filter((id) => isOverloaded(stateOf(id), settings)).sort((a, b) => estimatedWaiting(stateOf(a)) - estimatedWaiting(stateOf(b)));
  const rest = order.filter((id) => !admitted.includes(id));
  const busy = rest.filter((id) => !isEjected(stateOf(id), now, settings));
  const ejected = rest.filter((id) => isEjected(stateOf(id), now, settings));
  return [...fitting, ...overloaded, ...busy, ...ejected];
}
