/**
 * The floor for the engine's per-token cost: a bare batch-1 greedy loop over session.run with
 * the same graph, feeding present.* back as past_key_values.* and nothing else (tensor names are
 * built once, so the loop formats no strings per step). For the fast graph: one preallocated KV
 * buffer per layer and kind, fed as past and bound as present, so ONNX Runtime updates it in place.
 */
import { layerKvNames } from "../../container/engine/kv-names";
import type { LlamaDims } from "../../container/model/llama-dims";
import { argmax } from "../../test/support/reference-forward";
import { type EngineTensor, type ExecutionProvider, int64Tensor } from "../../container/runtime/inference-session";
import { createInferenceSession } from "../../container/runtime/onnx-backend";

export interface RawDecodeOptions {
  modelPath: string;
  dims: LlamaDims;
  promptIds: readonly number[];
  tokens: number;
  threads: number;
  executionProvider: ExecutionProvider;
}

/** Opens the session once; each `sample()` returns ms per decode step for one greedy run. */
export async function rawDecodeLoop(
  options: RawDecodeOptions & { graph?: "standard" | "fast" },
): Promise<{ sample(): Promise<number>; release(): Promise<void> }> {
  if (options.graph === "fast") return rawFastDecodeLoop(options);
  const { dims } = options;
  const session = await createInferenceSession(options.modelPath, { executionProvider: options.executionProvider, threads: options.threads });
  const names = layerKvNames(dims.numLayers);
  const sample = async (): Promise<number> => {
    const empty: EngineTensor = { type: "float32", data: new Float32Array(0), dims: [1, dims.numKvHeads, 0, dims.headDim] };
    let kv: { key: EngineTensor; value: EngineTensor }[] = names.map(() => ({ key: empty, value: empty }));
    let ids = [...options.promptIds];
    let position = 0;
    let decodeStart = 0;
    for (let step = 0; step < options.tokens; step++) {
      if (step === 1) decodeStart = performance.now();
      const total = position + ids.length;
      const feeds: Record<string, EngineTensor> = {
        input_ids: int64Tensor(ids, [1, ids.length]),
        attention_mask: int64Tensor(new Array<number>(total).fill(1), [1, total]),
        position_ids: int64Tensor(
          ids.map((_, index) => position + index),
          [1, ids.length],
        ),
        num_logits_to_keep: int64Tensor([1], []),
      };
      names.forEach((name, layer) => {
        feeds[name.pastKey] = kv[layer]?.key ?? empty;
        feeds[name.pastValue] = kv[layer]?.value ?? empty;
      });
      const result = await session.run(feeds);
      const logits = result.logits;
      if (logits?.type !== "float32") throw new Error("no logits");
      ids = [argmax(logits.data)];
      position = total;
      kv = names.map((name) => ({ key: result[name.presentKey] ?? empty, value: result[name.presentValue] ?? empty }));
    }
    return (performance.now() - decodeStart) / (options.tokens - 1);
  };
  await sample();
  return { sample, release: () => session.release() };
}

/** The fast graph's floor: float32 KV buffers of exactly the run's length, updated in place, greedy, batch 1. */
async function rawFastDecodeLoop(options: RawDecodeOptions): Promise<{ sample(): Promise<number>; release(): Promise<void> }> {
  const { dims } = options;
  const session = await createInferenceSession(options.modelPath, { executionProvider: options.executionProvider, threads: options.threads });
  const names = layerKvNames(dims.numLayers);
  const capacity = options.promptIds.length + options.tokens;
  const shape = [1, dims.numKvHeads, capacity, dims.headDim];
  const buffers = names.map(() => ({
    key: new Float32Array(dims.numKvHeads * capacity * dims.headDim),
    value: new Float32Array(dims.numKvHeads * capacity * dims.headDim),
  }));
  const feeds: Record<string, EngineTensor> = {};
  const bound: Record<string, EngineTensor> = {};
  names.forEach((name, layer) => {
    const key: EngineTensor = { type: "float32", data: buffers[layer]?.key ?? new Float32Array(0), dims: shape };
    const value: EngineTensor = { type: "float32", data: buffers[layer]?.value ?? new Float32Array(0), dims: shape };
    feeds[name.pastKey] = key;
    feeds[name.pastValue] = value;
    bound[name.presentKey] = key;
    bound[name.presentValue] = value;
  });
  const seqlens = new Int32Array(1);
  const total = new Int32Array(1);
  feeds.seqlens_k = { type: "int32", data: seqlens, dims: [1] };
  feeds.total_sequence_length = { type: "int32", data: total, dims: [] };
  const sample = async (): Promise<number> => {
    let ids = [...options.promptIds];
    let cached = 0;
    let decodeStart = 0;
    for (let step = 0; step < options.tokens; step++) {
      if (step === 1) decodeStart = performance.now();
      total[0] = cached + ids.length;
      seqlens[0] = cached + ids.length - 1;
      feeds.input_ids = int64Tensor(ids, [1, ids.length]);
      const logits = (await session.run(feeds, bound)).logits;
      if (logits?.type !== "float32") throw new Error("no logits");
      cached += ids.length;
      ids = [argmax(logits.data)];
    }
    return (performance.now() - decodeStart) / (options.tokens - 1);
  };
  await sample();
  return { sample, release: () => session.release() };
}
