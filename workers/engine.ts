/**
 * How the worker reaches the engine: always through the pool (workers/pool/), whose replicas
 * are, in this order of precedence,
 * - the ENGINE_CONTAINER binding (or ENGINE, when it is one): a Durable Object namespace of a
 *   Cloudflare Container class, ENGINE_INSTANCES instances named `engine`, `engine-1`, …;
 * - the ENGINE binding as a service binding (one replica);
 * - ENGINE_URLS (several engines), or ENGINE_URL (one).
 * The agent gets the same OpenAI-style model client either way; the pool is its `fetch`.
 * One replica is a pool of one: no probes, nowhere to retry, the same code path.
 */
import { createHttpModelClient, type ModelClient } from "../agent/model-client";
import type { WorkerConfig } from "./config";
import type { Env } from "./env";
import { EnginePool, type PoolLog, type WaitUntil } from "./pool/engine-pool";
import { createPoolFetch } from "./pool/pool-fetch";
import type { Replica } from "./pool/replica";
import { cacheStore, NO_SHARED_STORE, type SharedPoolStore } from "./pool/shared-pool-state";

/** Host name the model client addresses; the pool sends each request to a replica instead. */
const POOL_ORIGIN = "http://engine.pool";
/** Host name of requests through a binding (the binding ignores it). */
const BINDING_ORIGIN = "http://engine.internal";

/** What the transport needs of the ENGINE binding (a DO namespace or a service binding satisfies it). */
export type EngineBinding =
  | { idFromName(name: string): DurableObjectId; get(id: DurableObjectId): { fetch(request: Request): Promise<Response> } }
  | { fetch(request: Request): Promise<Response> };

/** Name of container instance `index` (the first keeps the single-instance name). */
export function containerInstanceName(index: number): string {
  return index === 0 ? "engine" : `engine-${index}`;
}

/** The pool's replicas for this request (built per request: bindings' stubs are request-bound). */
export function engineReplicas(binding: EngineBinding | undefined, config: WorkerConfig): Replica[] {
  if (binding && "idFromName" in binding) {
    return Array.from({ length: config.engine.instances }, (_, index) => {
      const stub = binding.get(binding.idFromName(containerInstanceName(index)));
      return { id: `container:${index}`, fetch: (path, init) => stub.fetch(new Request(`${BINDING_ORIGIN}${path}`, init)) };
    });
  }
  if (binding) return [{ id: "binding", fetch: (path, init) => binding.fetch(new Request(`${BINDING_ORIGIN}${path}`, init)) }];
  // Wrapped: workerd's fetch throws "Illegal invocation" when called as a method of another object.
  return config.engine.urls.map((origin) => ({ id: origin, fetch: (path, init) => fetch(`${origin}${path}`, init) }));
}

/** How one request is placed in the pool. */
export interface EngineRouting {
  /** Affinity key (workers/pool/affinity-key.ts); the same key meets the same replica. */
  key: string;
  /** Lets background work (health probes, sharing state) outlive the response. */
  waitUntil: WaitUntil;
  log?: PoolLog;
}

/** The shared view of the pool: the data center's cache where there is one. */
function sharedStore(pool: EnginePool): SharedPoolStore {
  return typeof caches === "undefined" ? NO_SHARED_STORE : cacheStore(caches.default, pool.name);
}

/** The pool's fetch for one request (exported for the pool's tests). */
export function enginePoolFetch(env: Env, config: WorkerConfig, routing: EngineRouting): typeof fetch {
  const replicas = engineReplicas(env.ENGINE_CONTAINER ?? env.ENGINE, config);
  const pool = EnginePool.of(
    replicas.map((replica) => replica.id),
    config.engine.pool,
  );
  return createPoolFetch({
    pool,
    replicas,
    key: routing.key,
    store: sharedStore(pool),
    waitUntil: routing.waitUntil,
    ...(routing.log ? { log: routing.log } : {}),
  });
}

export function createEngineClient(env: Env, config: WorkerConfig, routing: EngineRouting): ModelClient {
  return createHttpModelClient({
    baseUrl: `${POOL_ORIGIN}/v1`,
    model: config.engine.model,
    fetch: enginePoolFetch(env, config, routing),
    ...(config.engine.apiKey ? { apiKey: config.engine.apiKey } : {}),
    ...(config.engine.timeoutMs > 0 ? { timeoutMs: config.engine.timeoutMs } : {}),
  });
}
