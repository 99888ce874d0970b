/**
 * The KV cache of a running batch, owned explicitly: per layer one [B, kvHeads, T, headDim]
 * key and value buffer, each row right-aligned (row i's tokens fill the last `lengths[i]`
 * columns; the rest is left padding, masked out by attention_mask). Rebuilt only when the
 * batch membership changes (`gather`); every decode step just adopts the graph's `present`.
 */
import type { LlamaDims } from "../model/llama-dims.js";
import type { EngineTensor } from "../runtime/inference-session.js";
import { layerKvNames } from "./kv-names.js";

interface LayerKv {
  key: Float32Array;
  value: Float32Array;
}

export class KvBatch {
  private constructor(
    private readonly dims: LlamaDims,
    readonly layers: readonly LayerKv[],
    /** Columns per row (T). */
    readonly width: number,
    /** Real tokens per row. */
    readonly lengths: readonly number[],
  ) {}

  get batchSize(): number {
    return this.lengths.length;
  }

  static empty(dims: LlamaDims, batchSize: number): KvBatch {
    const layers = Array.from({ length: dims.numLayers }, () => ({ key: new Float32Array(0), value: new Float32Array(0) }));
    return new KvBatch(dims, layers, 0, new Array<number>(batchSize).fill(0));
  }

  /** Adopt the graph's present.* outputs after a step that added `added[i]` real tokens per row. */
  static fromPresent(dims: LlamaDims, outputs: Readonly<Record<string, EngineTensor>>, lengths: readonly number[]): KvBatch {
    let width = 0;
    const layers = layerKvNames(dims.numLayers).map((names, layer) => {
      const key = outputs[names.presentKey];
      const value = outputs[names.presentValue];
      if (!key || !value || key.type !== "float32" || value.type !== "float32") {
        throw new Error(`decoder output present.${layer}.key/value missing or not float32`);
      }
      width = key.dims[2] ?? 0;
      return { key: key.data, value: value.data };
    });
    return new KvBatch(dims, layers, width, lengths);
  }

  /** Add the past_key_values.* feeds for the next step to `feeds`. */
  addPastFeeds(feeds: Record<string, EngineTensor>): void {
    const shape = [this.batchSize, this.dims.numKvHeads, this.width, this.dims.headDim];
    layerKvNames(this.dims.numLayers).forEach(({ pastKey, pastValue }, index) => {
      const layer = this.layers[index];
      if (!layer) return;
      feeds[pastKey] = { type: "float32", data: layer.key, dims: shape };
      feeds[pastValue] = { type: "float32", data: layer.value, dims: shape };
    });
  }

  /** attention_mask [B, width + newColumns]: padding 0, real past tokens and new tokens 1. */
  attentionMask(newTokenCounts: readonly number[], newColumns: number): BigInt64Array {
    const total = this.width + newColumns;
    const mask = new BigInt64Array(this.batchSize * total);
    this.lengths.forEach((length, row) => {
      const rowStart = row * total;
      mask.fill(1n, rowStart + this.width - length, rowStart + this.width);
      mask.fill(1n, rowStart + total - (newTokenCounts[row] ?? 0), rowStart + total);
    });
    return mask;
  }

  /**
   * A new batch from rows of existing batches (in order), re-aligned to the longest row.
   * Used when sequences join (merge prefill + running) or leave (drop rows, trim padding).
   */
  static gather(dims: LlamaDims, rows: readonly { batch: KvBatch; row: number }[]): KvBatch {
    const lengths = rows.map(({ batch, row }) => batch.lengths[row] ?? 0);
    const width = Math.max(0, ...lengths);
    const { numKvHeads, headDim } = dims;
    const layers = Array.from({ length: dims.numLayers }, (_, layerIndex) => {
      const key = new Float32Array(rows.length * numKvHeads * width * headDim);
      const value = new Float32Array(key.length);
      rows.forEach(({ batch, row }, targetRow) => {
        const source = batch.layers[layerIndex];
        const length = lengths[targetRow] ?? 0;
        if (!source || length === 0) return;
        for (let head = 0; head < numKvHeads; head++) {
          const from = ((row * numKvHeads + head) * batch.width + (batch.width - length)) * headDim;
          const to = ((targetRow * numKvHeads + head) * width + (width - length)) * headDim;
          key.set(source.key.subarray(from, from + length * headDim), to);
          value.set(source.value.subarray(from, from + length * headDim), to);
        }
      });
      return { key, value };
    });
    return new KvBatch(dims, layers, width, lengths);
  }
}
