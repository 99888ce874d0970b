/**
 * The KV cache of a running batch, owned explicitly: per layer one [B, kvHeads, T, headDim]
 * key and value buffer, each row right-aligned (row i's tokens fill the last `lengths[i]`
 * columns; the rest is left padding, masked out by attention_mask). Rebuilt only when the
 * batch membership changes (`gather`); every decode step just adopts the graph's `present`.
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EngineTensor } from "../runtime/inference-session";
import { layerKvNames } from "./kv-names";

/** Element type of the cache, as the decoder declares `past_key_values.*` (float16 is raw bits). */
export type KvType = "float32" | "float16";

type LayerKv = { type: "float32"; key: Float32Array; value: Float32Array } | { type: "float16"; key: Uint16Array; value: Uint16Array };

function allocateLayer(type: KvType, length: number): LayerKv {
  return type === "float32"
    ? { type, key: new Float32Array(length), value: new Float32Array(length) }
    : { type, key: new Uint16Array(length), value: new Uint16Array(length) };
}

function layerFromPresent(key: EngineTensor | undefined, value: EngineTensor | undefined): LayerKv | null {
  if (key?.type === "float32" && value?.type === "float32") return { type: "float32", key: key.data, value: value.data };
  if (key?.type === "float16" && value?.type === "float16") return { type: "float16", key: key.data, value: value.data };
  return null;
}

/** Copies `span.length` elements of keys and of values from `source` at `span.from` into `target` at `span.to`. */
function copyRow(target: LayerKv, source: LayerKv, span: { from: number; to: number; length: number }): void {
  if (target.type === "float32" && source.type === "float32") {
    target.key.set(source.key.subarray(span.from, span.from + span.length), span.to);
    target.value.set(source.value.subarray(span.from, span.from + span.length), span.to);
  } else if (target.type === "float16" && source.type === "float16") {
    target.key.set(source.key.subarray(span.from, span.from + span.length), span.to);
    target.value.set(source.value.subarray(span.from, span.from + span.length), span.to);
  } else {
    throw new Error(`KV cache rows of different types (${source.type} into ${target.type})`);
  }
}

export class KvBatch {
  private constructor(
    private readonly dims: LlamaDims,
    readonly kvType: KvType,
    readonly layers: readonly LayerKv[],
    /** Columns per row (T). */
    readonly width: number,
    /** Real tokens per row. */
    readonly lengths: readonly number[],
  ) {}

  get batchSize(): number {
    return this.lengths.length;
  }

  static empty(dims: LlamaDims, batchSize: number, kvType: KvType): KvBatch {
    const layers = Array.from({ length: dims.numLayers }, () => allocateLayer(kvType, 0));
    return new KvBatch(dims, kvType, layers, 0, new Array<number>(batchSize).fill(0));
  }

  /**
   * The batch after a step on `past` that added `added[i]` tokens to row i (left-padded to the
   * widest). present = past columns ++ new columns, so a row is right-aligned as a whole unless it
   * had cached tokens and fewer new tokens than the widest row (a prefix-cache hit admitted next to
   * longer prompts): then its two segments are moved together. Otherwise present is adopted as is.
   */
  static afterStep(dims: LlamaDims, kvType: KvType, outputs: Readonly<Record<string, EngineTensor>>, past: KvBatch, added: readonly number[]): KvBatch {
    let width = 0;
    const layers = layerKvNames(dims.numLayers).map((names, layer) => {
      const key = outputs[names.presentKey];
      const kv = layerFromPresent(key, outputs[names.presentValue]);
      if (!kv || kv.type !== kvType) throw new Error(`decoder output present.${layer}.key/value missing or not ${kvType}`);
      width = key?.dims[2] ?? 0;
      return kv;
    });
    const lengths = added.map((count, row) => (past.lengths[row] ?? 0) + count);
    const stepped = new KvBatch(dims, kvType, layers, width, lengths);
    const newWidth = width - past.width;
    const gapped = added.some((count, row) => (past.lengths[row] ?? 0) > 0 && count < newWidth);
    return gapped ? stepped.closeGaps(past, added) : stepped;
  }

  /** Right-aligns rows whose cached and new tokens are separated by new-token padding. */
  private closeGaps(past: KvBatch, added: readonly number[]): KvBatch {
    const { numKvHeads, headDim } = this.dims;
    const width = Math.max(0, ...this.lengths);
    const layers = this.layers.map((source) => {
      const target = allocateLayer(this.kvType, this.batchSize * numKvHeads * width * headDim);
      this.lengths.forEach((length, row) => {
        const cached = past.lengths[row] ?? 0;
        const fresh = added[row] ?? 0;
        for (let head = 0; head < numKvHeads; head++) {
          const sourceRow = (row * numKvHeads + head) * this.width;
          const targetRow = (row * numKvHeads + head) * width + (width - length);
          const segments = [
            { from: sourceRow + past.width - cached, to: targetRow, length: cached },
            { from: sourceRow + this.width - fresh, to: targetRow + cached, length: fresh },
          ];
          for (const segment of segments) copyRow(target, source, { from: segment.from * headDim, to: segment.to * headDim, length: segment.length * headDim });
        }
      });
      return target;
    });
    return new KvBatch(this.dims, this.kvType, layers, width, this.lengths);
  }

  /** Add the past_key_values.* feeds for the next step to `feeds`. */
  addPastFeeds(feeds: Record<string, EngineTensor>): void {
    const shape = [this.batchSize, this.dims.numKvHeads, this.width, this.dims.headDim];
    layerKvNames(this.dims.numLayers).forEach(({ pastKey, pastValue }, index) => {
      const layer = this.layers[index];
      if (!layer) return;
      if (layer.type === "float32") {
        feeds[pastKey] = { type: "float32", data: layer.key, dims: shape };
        feeds[pastValue] = { type: "float32", data: layer.value, dims: shape };
      } else {
        feeds[pastKey] = { type: "float16", data: layer.key, dims: shape };
        feeds[pastValue] = { type: "float16", data: layer.value, dims: shape };
      }
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

  /** Bytes held by this batch's cache arrays. */
  get byteLength(): number {
    return this.layers.reduce((sum, layer) => sum + layer.key.byteLength + layer.value.byteLength, 0);
  }

  /** A one-row batch holding the first `length` cached tokens of `row` (a prompt prefix), in its own arrays. */
  static prefixOf(dims: LlamaDims, source: KvBatch, row: number, length: number): KvBatch {
    const rowLength = source.lengths[row] ?? 0;
    if (length > rowLength) throw new Error(`prefix of ${length} tokens from a row of ${rowLength}`);
    const { numKvHeads, headDim } = dims;
    const layers = source.layers.map((layer) => {
      const target = allocateLayer(source.kvType, numKvHeads * length * headDim);
      for (let head = 0; head < numKvHeads; head++) {
        const from = ((row * numKvHeads + head) * source.width + (source.width - rowLength)) * headDim;
        copyRow(target, layer, { from, to: head * length * headDim, length: length * headDim });
      }
      return target;
    });
    return new KvBatch(dims, source.kvType, layers, length, [length]);
  }

  /**
   * A new batch from rows of existing batches (in order), re-aligned to the longest row.
   * Used when sequences join (merge prefill + running) or leave (drop rows, trim padding).
   */
  static gather(dims: LlamaDims, kvType: KvType, rows: readonly { batch: KvBatch; row: number }[]): KvBatch {
    const lengths = rows.map(({ batch, row }) => batch.lengths[row] ?? 0);
    const width = Math.max(0, ...lengths);
    const { numKvHeads, headDim } = dims;
    const layers = Array.from({ length: dims.numLayers }, (_, layerIndex) => {
      const target = allocateLayer(kvType, rows.length * numKvHeads * width * headDim);
      rows.forEach(({ batch, row }, targetRow) => {
        const source = batch.layers[layerIndex];
        const length = lengths[targetRow] ?? 0;
        if (!source || length === 0) return;
        for (let head = 0; head < numKvHeads; head++) {
          const from = ((row * numKvHeads + head) * batch.width + (batch.width - length)) * headDim;
          const to = ((targetRow * numKvHeads + head) * width + (width - length)) * headDim;
          copyRow(target, source, { from, to, length: length * headDim });
        }
      });
      return target;
    });
    return new KvBatch(dims, kvType, layers, width, lengths);
  }
}
