/**
 * Builds the fast graph's pooled path on the native runtime: sizes the KV pool from the memory budget, allocates
 * it where the model computes, and returns the runner and the PoolScheduler over it, with one log line saying what
 * was reserved.
 */
import type { BindingSession, InferenceSession } from "../runtime/inference-session";
import { isBindingSession } from "../runtime/inference-session";
import { EngineError } from "./engine-errors";
import { validateFastGraph } from "./fast-decoder-runner";
import { planKvPool } from "./kv-budget";
import { KvPool } from "./kv-pool";
import type { ModelFolder } from "./model-folder";
import { PoolScheduler } from "./pool-scheduler";
import { PooledFastRunner } from "./pooled-fast-runner";
import type { SchedulerOptions } from "./scheduler-core";
import type { TextCodec } from "./text-codec";

export interface PooledPathOptions {
  folder: ModelFolder;
  codec: TextCodec;
  decoder: BindingSession;
  embedTokens: InferenceSession | null;
  /** Opens a session of the same runtime from bytes, graph optimizations off (the pool's transfer graphs). */
  openHelper: (model: Uint8Array) => Promise<InferenceSession>;
  scheduler: SchedulerOptions;
  prefillChunkTokens: number;
  kvMemoryFraction: number;
  kvMemoryBytes: number;
  log?: (line: string) => void;
}

export async function createPooledPath(options: PooledPathOptions): Promise<{ scheduler: PoolScheduler; release(): Promise<void> }> {
  const { folder, decoder } = options;
  const { dims } = folder;
  const { kvType, usesEmbeds } = validateFastGraph(dims, decoder, options.embedTokens);
  const capacity = options.scheduler.maxModelLen;
  const bytesPerSlot = KvPool.bytesFor(dims, kvType, 1, capacity);
  const plan = planKvPool({
    bytesPerSlot,
    capacity,
    maxBatch: options.scheduler.maxBatch,
    memory: decoder.memoryInfo(),
    fraction: options.kvMemoryFraction,
    explicitBytes: options.kvMemoryBytes,
    location: decoder.location,
  });
  const pool = await KvPool.create(decoder, { dims, kvType, slots: plan.slots, capacity }, async (model) => {
    const session = await options.openHelper(model);
    if (!isBindingSession(session)) throw new EngineError("internal_error", "the KV pool's helper graphs need the native runtime");
    return session;
  });
  const runner = new PooledFastRunner(dims, decoder, options.embedTokens, pool, Math.max(1, options.prefillChunkTokens), usesEmbeds);
  options.log?.(
    `engine: KV pool on ${decoder.location}: ${plan.slots} sequences × ${capacity} tokens (${((plan.slots * bytesPerSlot) / 2 ** 20).toFixed(1)} MiB of a ${(plan.budgetBytes / 2 ** 20).toFixed(1)} MiB budget: ${plan.source})`,
  );
  const scheduler = new PoolScheduler(runner, pool, options.codec, { ...options.scheduler, maxBatch: plan.slots });
  return {
    scheduler,
    release: async () => {
      await runner.release();
      await pool.release();
    },
  };
}
