/**
 * The floor for the engine's per-token cost: a bare batch-1 greedy loop over session.run with
 * the same graph, feeding present.* back as past_key_values.* and nothing else (tensor names are
 * built once, so the loop formats no strings per step).
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
export async function rawDecodeLoop(options: RawDecodeOptions): Promise<{ sample(): Promise<number>; release(): Promise<void> }> {
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
