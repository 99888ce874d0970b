/**
 * Where isolates share what they learned about the replicas: the Cache API of the data
 * center (`caches.default`), one entry per replica with a short TTL. Why the cache and not a
 * Durable Object: reading it costs no round trip to a distant single object on the request
 * path (it is local to the colo, under a millisecond), a colo's view of a replica is the one
 * that matters for requests from that colo (a network path that fails from here may work from
 * elsewhere), and stale entries simply expire. The price is that the view is per colo and
 * eventually consistent, which health and load tolerate: each isolate also keeps its own
 * passive signals, and a wrong guess costs one retry, never a lost request.
 */
import { z } from "zod";
import type { SharedReplicaRecord } from "./replica-health";

export interface SharedPoolStore {
  read(replicaIds: readonly string[]): Promise<Map<string, SharedReplicaRecord>>;
  write(replicaId: string, record: SharedReplicaRecord, ttlSeconds: number): Promise<void>;
}

const loadSchema = z.object({
  queueDepth: z.number(),
  running: z.number(),
  maxBatch: z.number().nullable(),
  kvFreeBytes: z.number().nullable(),
  prefixCacheBytes: z.number().nullable(),
});

const recordSchema = z.object({
  updatedAt: z.number(),
  ejectedUntil: z.number(),
  ejections: z.number(),
  notReadyUntil: z.number(),
  load: loadSchema.nullable(),
  probedAt: z.number(),
});

/** Nothing shared (a single isolate, the benchmark, tests that want isolation). */
export const NO_SHARED_STORE: SharedPoolStore = {
  read: async () => new Map(),
  write: async () => {},
};

/**
 * @param cache `caches.default` in the worker.
 * @param poolName separates pools with different replica lists.
 */
export function cacheStore(cache: Cache, poolName: string): SharedPoolStore {
  const keyOf = (replicaId: string) => `https://engine-pool.internal/${encodeURIComponent(poolName)}/${encodeURIComponent(replicaId)}`;
  return {
    async read(replicaIds) {
      const entries = await Promise.all(
        replicaIds.map(async (id) => {
          try {
            const hit = await cache.match(keyOf(id));
            const parsed = hit ? recordSchema.safeParse(await hit.json()) : null;
            return parsed?.success ? ([id, parsed.data] as const) : null;
          } catch {
            return null;
          }
        }),
      );
      return new Map(entries.filter((entry) => entry !== null));
    },
    async write(replicaId, record, ttlSeconds) {
      const response = new Response(JSON.stringify(record), {
        headers: { "content-type": "application/json", "cache-control": `max-age=${Math.max(1, Math.ceil(ttlSeconds))}` },
      });
      await cache.put(keyOf(replicaId), response).catch(() => undefined);
    },
  };
}
