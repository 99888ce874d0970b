/**
 * Decode-step timing for the GPU check: the engine's own fast-graph step (FastDecoderRunner: embed_tokens when the
 * folder is the embeds variant, the decoder over the batch's KV buffers) for `batch` sequences that each hold
 * `context` cached tokens. This is the seam where the native runtime layer (device-resident KV, IoBinding) plugs in
 * once it is merged: `openStepTimer` is the only place that chooses how a step runs.
 */
import { FastDecoderRunner } from "../../container/engine/fast-decoder-runner";
import { FastKvBatch } from "../../container/engine/fast-kv-batch";
import type { ModelFolder } from "../../container/engine/model-folder";
import type { ExecutionProvider } from "../../container/runtime/inference-session";
import { createInferenceSession } from "../../container/runtime/onnx-backend";
import { median } from "../median";

export interface StepTiming {
  batch: number;
  context: number;
  /** Median milliseconds of one decode step (all rows, one token each). */
  ms: number;
  steps: number;
}

export interface StepTimer {
  /** Median decode-step time with `batch` rows of `context` cached tokens, over `steps` steps after one warm-up. */
  time(batch: number, context: number, steps: number): Promise<StepTiming>;
  release(): Promise<void>;
}

/** A batch whose rows hold `context` cached tokens, with room for `steps` more (zeros: the cost does not depend on the values). */
function filledBatch(runner: FastDecoderRunner, batch: number, context: number, steps: number): FastKvBatch {
  const kv = FastKvBatch.empty(runner.dims, runner.kvType, batch, context + steps + 1);
  kv.lengths.fill(context);
  return kv;
}

export async function openStepTimer(folder: ModelFolder, executionProvider: ExecutionProvider): Promise<StepTimer> {
  if (folder.graph !== "fast") throw new Error(`${folder.dir} holds the ${folder.graph} graph; the step benchmark times the fast graph`);
  const options = { executionProvider };
  const decoder = await createInferenceSession(folder.decoderPath, options);
  const embedTokens = folder.embedTokensPath ? await createInferenceSession(folder.embedTokensPath, options) : null;
  const runner = new FastDecoderRunner(folder.dims, decoder, embedTokens);
  return {
    async time(batch, context, steps) {
      let kv = filledBatch(runner, batch, context, steps);
      const tokens = Array.from({ length: batch }, (_, row) => [(row * 7919 + 17) % folder.dims.vocabSize]);
      const times: number[] = [];
      for (let step = 0; step <= steps; step++) {
        const started = performance.now();
        kv = (await runner.step(tokens, kv)).kv;
        if (step > 0) times.push(performance.now() - started);
      }
      return { batch, context, ms: median(times), steps };
    },
    release: () => runner.release(),
  };
}
