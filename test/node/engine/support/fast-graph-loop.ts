/**
 * Test helper: drives the fast decoder graph directly (no engine code) the way the contract says a runtime does:
 * one preallocated KV buffer per layer and kind, [rows, kv_heads, capacity, head_dim], fed as past and bound as
 * present (so ONNX Runtime updates it in place), prefill one row at a time in chunks, decode all rows together.
 */
import type { LlamaDims } from "../../../../container/model/llama-dims";
import { type EngineTensor, type InferenceSession, int32Tensor, int64Tensor } from "../../../../container/runtime/inference-session";
import { argmax } from "../../../support/reference-forward";

export interface FastLoopOptions {
  session: InferenceSession;
  dims: LlamaDims;
  computeType: "float32" | "float16";
  capacity: number;
  /** Rows of the KV buffer (sequences that decode together). */
  rows: number;
  /** Turns [rows, width] ids into inputs_embeds for the embeds variant. */
  embed?: (ids: readonly (readonly number[])[]) => Promise<EngineTensor>;
}

export class FastGraphLoop {
  readonly buffers: (Float32Array | Uint16Array)[];
  readonly lengths: number[];
  private readonly rowElements: number;

  constructor(private readonly options: FastLoopOptions) {
    const { dims, capacity, rows, computeType } = options;
    this.rowElements = dims.numKvHeads * capacity * dims.headDim;
    this.buffers = Array.from({ length: dims.numLayers * 2 }, () =>
      computeType === "float32" ? new Float32Array(rows * this.rowElements) : new Uint16Array(rows * this.rowElements),
    );
    this.lengths = new Array<number>(rows).fill(0);
  }

  /** One run over rows [first, first + ids.length): each row gets `ids[i]` (all of one length). Returns last-position logits per row. */
  async run(first: number, ids: readonly (readonly number[])[]): Promise<Float32Array[]> {
    const { session, dims, capacity, computeType } = this.options;
    const count = ids.length;
    const width = ids[0]?.length ?? 0;
    const lengths = this.lengths.slice(first, first + count);
    const feeds: Record<string, EngineTensor> = {
      seqlens_k: int32Tensor(
        lengths.map((length) => length + width - 1),
        [count],
      ),
      total_sequence_length: int32Tensor([Math.max(...lengths) + width], []),
    };
    if (this.options.embed) feeds.inputs_embeds = await this.options.embed(ids);
    else feeds.input_ids = int64Tensor(ids.flat(), [count, width]);
    const bound: Record<string, EngineTensor> = {};
    const shape = [count, dims.numKvHeads, capacity, dims.headDim];
    for (let layer = 0; layer < dims.numLayers; layer++) {
      ["key", "value"].forEach((kind, index) => {
        const whole = this.buffers[layer * 2 + index];
        if (!whole) throw new Error("missing buffer");
        const view = whole.subarray(first * this.rowElements, (first + count) * this.rowElements);
        const tensor: EngineTensor =
          computeType === "float32"
            ? { type: "float32", data: view as Float32Array, dims: shape }
            : { type: "float16", data: view as Uint16Array, dims: shape };
        feeds[`past_key_values.${layer}.${kind}`] = tensor;
        bound[`present.${layer}.${kind}`] = tensor;
      });
    }
    const result = await session.run(feeds, bound);
    const logits = result.logits;
    if (logits?.type !== "float32") throw new Error("no float32 logits");
    for (let row = 0; row < count; row++) this.lengths[first + row] = (this.lengths[first + row] ?? 0) + width;
    return ids.map((_, row) => Float32Array.from(logits.data.subarray(row * dims.vocabSize, (row + 1) * dims.vocabSize)));
  }

  /** Prefill `prompt` into `row` in chunks of at most `chunk` tokens; returns the logits after the last chunk. */
  async prefill(row: number, prompt: readonly number[], chunk = Number.POSITIVE_INFINITY): Promise<Float32Array> {
    let logits: Float32Array | undefined;
    for (let start = 0; start < prompt.length; start += chunk) [logits] = await this.run(row, [prompt.slice(start, start + chunk)]);
    if (!logits) throw new Error("empty prompt");
    return logits;
  }

  /** Greedy: prefill each prompt into its row, then decode every row together for `count` tokens. */
  async greedy(prompts: readonly (readonly number[])[], count: number, chunk?: number): Promise<{ tokens: number[][]; logits: Float32Array[][] }> {
    const logits: Float32Array[][] = [];
    for (const [row, prompt] of prompts.entries()) logits.push([await this.prefill(row, prompt, chunk)]);
    const tokens = logits.map((rowLogits) => [argmax(rowLogits[0] ?? [])]);
    for (let step = 1; step < count; step++) {
      const stepped = await this.run(
        0,
        tokens.map((rowTokens) => [rowTokens.at(-1) ?? 0]),
      );
      stepped.forEach((rowLogits, row) => {
        logits[row]?.push(rowLogits);
        tokens[row]?.push(argmax(rowLogits));
      });
    }
    return { tokens, logits };
  }
}
