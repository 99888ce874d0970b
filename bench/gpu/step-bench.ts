/**
 * Decode-step timing for the GPU check: the engine's own fast-graph decode step for `batch` sequences that each
 * hold `context` cached tokens. On the native runtime (the bundle's case, and the engine's) it is the pooled
 * runner over a KV pool held where the model computes (PooledFastRunner.decode: token ids in, last-position logits
 * out, the cache bound in place); on the onnxruntime-node fallback it is FastDecoderRunner over host buffers. The
 * timing says which one ran (`path`).
 */
import { FastDecoderRunner, validateFastGraph } from "../../container/engine/fast-decoder-runner";
import { FastKvBatch } from "../../container/engine/fast-kv-batch";
import { KvPool } from "../../container/engine/kv-pool";
import type { ModelFolder } from "../../container/engine/model-folder";
import { PooledFastRunner } from "../../container/engine/pooled-fast-runner";
import { type BindingSession, type ExecutionProvider, type InferenceSession, isBindingSession } from "../../container/runtime/inference-session";
import { openRuntime, type Runtime } from "../../container/runtime/onnx-backend";
import { median } from "../median";

export type StepPath = "native KV pool" | "host buffers (onnxruntime-node)";

export interface StepTiming {
  batch: number;
  context: number;
  /** Median milliseconds of one decode step (all rows, one token each). */
  ms: number;
  steps: number;
  path: StepPath;
}

export interface StepTimer {
  readonly path: StepPath;
  /** Median decode-step time with `batch` rows of `context` cached tokens, over `steps` steps after one warm-up. */
  time(batch: number, context: number, steps: number): Promise<StepTiming>;
  release(): Promise<void>;
}

/** Row i's token for every step (any in-vocabulary id: the cost does not depend on it). */
function rowToken(row: number, vocab: number): number {
  return (row * 7919 + 17) % vocab;
}

async function timeSteps(steps: number, step: () => Promise<unknown>): Promise<number> {
  const times: number[] = [];
  for (let index = 0; index <= steps; index++) {
    const started = performance.now();
    await step();
    if (index > 0) times.push(performance.now() - started);
  }
  return median(times);
}

/** The engine's pooled path: a pool of exactly `batch` slots, each holding `context` tokens (zeros), decoded together. */
function pooledTimer(folder: ModelFolder, runtime: Runtime, decoder: BindingSession, embedTokens: InferenceSession | null): StepTimer {
  const { dims } = folder;
  const { kvType, usesEmbeds } = validateFastGraph(dims, decoder, embedTokens);
  const path: StepPath = "native KV pool";
  return {
    path,
    async time(batch, context, steps) {
      const pool = await KvPool.create(decoder, { dims, kvType, slots: batch, capacity: context + steps + 1 }, async (model) => {
        const session = await runtime.createSession(model, { optimization: "none" });
        if (!isBindingSession(session)) throw new Error("the KV pool's helper graphs need the native runtime");
        return session;
      });
      const runner = new PooledFastRunner(dims, decoder, embedTokens, pool, 1, usesEmbeds);
      try {
        for (let row = 0; row < batch; row++) pool.acquire();
        pool.lengths.fill(context);
        const tokens = Array.from({ length: batch }, (_, row) => rowToken(row, dims.vocabSize));
        const ms = await timeSteps(steps, () => runner.decode(tokens));
        return { batch, context, ms, steps, path };
      } finally {
        await runner.release();
        await pool.release();
      }
    },
    async release() {
      await decoder.release();
      await embedTokens?.release();
    },
  };
}

/** The fallback path: FastDecoderRunner over host KV buffers. */
function hostTimer(folder: ModelFolder, decoder: InferenceSession, embedTokens: InferenceSession | null): StepTimer {
  const runner = new FastDecoderRunner(folder.dims, decoder, embedTokens);
  const path: StepPath = "host buffers (onnxruntime-node)";
  return {
    path,
    async time(batch, context, steps) {
      let kv = FastKvBatch.empty(runner.dims, runner.kvType, batch, context + steps + 1);
      kv.lengths.fill(context);
      const tokens = Array.from({ length: batch }, (_, row) => [rowToken(row, folder.dims.vocabSize)]);
      const ms = await timeSteps(steps, async () => {
        kv = (await runner.step(tokens, kv)).kv;
      });
      return { batch, context, ms, steps, path };
    },
    release: () => runner.release(),
  };
}

export async function openStepTimer(folder: ModelFolder, executionProvider: ExecutionProvider): Promise<StepTimer> {
  if (folder.graph !== "fast") throw new Error(`${folder.dir} holds the ${folder.graph} graph; the step benchmark times the fast graph`);
  const runtime = await openRuntime({ executionProvider, log: (line) => console.error(line) });
  const decoder = await runtime.createSession(folder.decoderPath);
  const embedTokens = folder.embedTokensPath ? await runtime.createSession(folder.embedTokensPath) : null;
  return isBindingSession(decoder) ? pooledTimer(folder, runtime, decoder, embedTokens) : hostTimer(folder, decoder, embedTokens);
}
