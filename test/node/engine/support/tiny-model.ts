/**
 * Test helpers: tiny random LLaMA dims and a raw greedy loop over an InferenceSession
 * (no engine code), so graph tests check the ONNX graph alone.
 */
import { DEMO_DEFAULT_DIMS } from "../../../../container/demo/write-demo-model";
import type { LlamaDims } from "../../../../container/model/llama-dims";
import { argmax } from "../../../support/reference-forward";
import { type EngineTensor, type InferenceSession, int64Tensor } from "../../../../container/runtime/inference-session";

export const TINY_DIMS: LlamaDims = { vocabSize: 300, ...DEMO_DEFAULT_DIMS };

export function emptyPast(dims: LlamaDims, batch: number): Record<string, EngineTensor> {
  const past: Record<string, EngineTensor> = {};
  for (let layer = 0; layer < dims.numLayers; layer++) {
    for (const kind of ["key", "value"]) {
      past[`past_key_values.${layer}.${kind}`] = { type: "float32", data: new Float32Array(0), dims: [batch, dims.numKvHeads, 0, dims.headDim] };
    }
  }
  return past;
}

export interface GreedyRun {
  tokens: number[];
  logits: Float32Array[];
}

/** Batch-1 greedy decode; `embed` turns ids into inputs_embeds for the embeds variant. */
export async function rawGreedy(
  session: InferenceSession,
  dims: LlamaDims,
  prompt: readonly number[],
  count: number,
  embed?: (ids: readonly number[]) => Promise<EngineTensor>,
): Promise<GreedyRun> {
  let past = emptyPast(dims, 1);
  let ids = [...prompt];
  let position = 0;
  const tokens: number[] = [];
  const logits: Float32Array[] = [];
  for (let step = 0; step < count; step++) {
    const total = position + ids.length;
    const feeds: Record<string, EngineTensor> = {
      ...past,
      attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
      position_ids: int64Tensor(
        ids.map((_, index) => position + index),
        [1, ids.length],
      ),
    };
    if (embed) feeds.inputs_embeds = await embed(ids);
    else feeds.input_ids = int64Tensor(ids, [1, ids.length]);
    if (session.inputNames.includes("num_logits_to_keep")) feeds.num_logits_to_keep = int64Tensor([1], []);
    const result = await session.run(feeds);
    const output = result.logits;
    if (output?.type !== "float32") throw new Error("no float32 logits");
    const last = output.data.subarray(output.data.length - dims.vocabSize);
    logits.push(Float32Array.from(last));
    const next = argmax(last);
    tokens.push(next);
    position = total;
    ids = [next];
    past = {};
    for (const name of session.outputNames) {
      const tensor = result[name];
      if (name.startsWith("present.") && tensor) past[name.replace("present.", "past_key_values.")] = tensor;
    }
  }
  return { tokens, logits };
}

export function maxAbsDifference(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let max = 0;
  for (let index = 0; index < a.length; index++) max = Math.max(max, Math.abs((a[index] ?? 0) - (b[index] ?? 0)));
  return max;
}
