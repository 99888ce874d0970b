/**
 * What GET /health reports: identity, and the load a router needs to place a request
 * (queue depth, running sequences, free KV memory, prefix-cache bytes). While the engine
 * drains (SIGTERM, see drain.ts) it answers 503 with `draining: true`, so balancers and
 * readiness probes move traffic away; `?probe=liveness` answers 200 as long as the process
 * serves, draining included, so a liveness probe never kills a drain.
 */
import type { Engine } from "../engine/create-engine";

export interface HealthReport {
  ok: boolean;
  status: "ready" | "draining";
  draining: boolean;
  model: string;
  ep: string;
  model_dir: string;
  max_model_len: number;
  /** Requests waiting for a batch slot. */
  queue_depth: number;
  /** Sequences in the running batch (`batch_size`, kept for older readers). */
  running_sequences: number;
  batch_size: number;
  max_batch: number;
  /** KV memory the running batch can still grow into. */
  kv_free_bytes: number;
  kv_used_bytes: number;
  kv_capacity_bytes: number;
  /** Host memory held by the automatic prefix cache. */
  prefix_cache_bytes: number;
}

export function healthReport(engine: Engine, modelName: string): HealthReport {
  const { scheduler } = engine;
  const kv = scheduler.kvMemory();
  const draining = !scheduler.admitting;
  return {
    ok: !draining,
    status: draining ? "draining" : "ready",
    draining,
    model: modelName,
    ep: engine.executionProvider,
    model_dir: engine.folder.dir,
    max_model_len: engine.maxModelLen,
    queue_depth: scheduler.queueDepth,
    running_sequences: scheduler.batchSize,
    batch_size: scheduler.batchSize,
    max_batch: scheduler.maxBatch,
    kv_free_bytes: Math.max(0, kv.capacityBytes - kv.usedBytes),
    kv_used_bytes: kv.usedBytes,
    kv_capacity_bytes: kv.capacityBytes,
    prefix_cache_bytes: scheduler.prefixCacheBytes,
  };
}
