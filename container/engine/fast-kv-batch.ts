/**
 * The fast graph's KV cache on the host: per layer one key and one value buffer [rows, kvHeads, capacity, headDim],
 * each row left-aligned (row i's tokens fill columns [0, lengths[i]); the rest is never read, GroupQueryAttention
 * stops at seqlens_k). The graph writes new keys and values into these buffers in place, so a step does not
 * rebuild them; they are copied only when membership changes (`gather`) or a row needs more room than `capacity`.
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EngineTensor } from "../runtime/inference-session";
import type { BatchKv } from "./batch-decoder";
import { layerKvNames } from "./kv-names";

export type FastKvType = "float32" | "float16";

type KvArray = Float32Array | Uint16Array;

interface LayerBuffers {
  key: KvArray;
  value: KvArray;
}

function allocate(type: FastKvType, length: number): KvArray {
  return type === "float32" ? new Float32Array(length) : new Uint16Array(length);
}

function tensorOver(type: FastKvType, data: KvArray, dims: readonly number[]): EngineTensor {
  return type === "float32" ? { type, data: data as Float32Array, dims } : { type, data: data as Uint16Array, dims };
}

export class FastKvBatch implements BatchKv {
  private constructor(
    private readonly dims: LlamaDims,
    readonly kvType: FastKvType,
    private readonly layers: readonly LayerBuffers[],
    /** Columns per row. */
    readonly capacity: number,
    /** Cached tokens per row; the runner advances them after each step. */
    readonly lengths: number[],
  ) {}

  get batchSize(): number {
    return this.lengths.length;
  }

  get byteLength(): number {
    return this.layers.reduce((sum, layer) => sum + layer.key.byteLength + layer.value.byteLength, 0);
  }

  private get rowElements(): number {
    return this.dims.numKvHeads * this.capacity * this.dims.headDim;
  }

  static empty(dims: LlamaDims, kvType: FastKvType, rows: number, capacity: number): FastKvBatch {
    const elements = rows * dims.numKvHeads * capacity * dims.headDim;
    const layers = Array.from({ length: dims.numLayers }, () => ({ key: allocate(kvType, elements), value: allocate(kvType, elements) }));
    return new FastKvBatch(dims, kvType, layers, capacity, new Array<number>(rows).fill(0));
  }

  /** A new batch of `capacity` columns holding `rows` (each a row of some batch), in order. */
  static gather(dims: LlamaDims, kvType: FastKvType, rows: readonly { batch: FastKvBatch; row: number }[], capacity: number): FastKvBatch {
    const target = FastKvBatch.empty(dims, kvType, rows.length, capacity);
    rows.forEach(({ batch, row }, targetRow) => {
      const length = batch.lengths[row] ?? 0;
      target.copyRowFrom(batch, row, targetRow, length);
      target.lengths[targetRow] = length;
    });
    return target;
  }

  /** Copies the first `length` tokens of `source`'s row `sourceRow` into this batch's row `targetRow`. */
  private copyRowFrom(source: FastKvBatch, sourceRow: number, targetRow: number, length: number): void {
    if (length > this.capacity) throw new Error(`a row of ${length} tokens does not fit a KV buffer of ${this.capacity}`);
    if (source.kvType !== this.kvType) throw new Error(`KV cache rows of different types (${source.kvType} into ${this.kvType})`);
    const { numKvHeads, headDim } = this.dims;
    const span = length * headDim;
    this.layers.forEach((layer, index) => {
      const from = source.layers[index];
      if (!from) return;
      for (let head = 0; head < numKvHeads; head++) {
        const sourceStart = (sourceRow * numKvHeads + head) * source.capacity * headDim;
        const targetStart = (targetRow * numKvHeads + head) * this.capacity * headDim;
        layer.key.set(from.key.subarray(sourceStart, sourceStart + span), targetStart);
        layer.value.set(from.value.subarray(sourceStart, sourceStart + span), targetStart);
      }
    });
  }

  /** A one-row batch of exactly `length` columns holding the first `length` tokens of `row`. */
  prefix(row: number, length: number): FastKvBatch {
    if (length > (this.lengths[row] ?? 0)) throw new Error(`prefix of ${length} tokens from a row of ${this.lengths[row] ?? 0}`);
    const target = FastKvBatch.empty(this.dims, this.kvType, 1, length);
    target.copyRowFrom(this, row, 0, length);
    target.lengths[0] = length;
    return target;
  }

  /** This batch if every row fits `needed` columns, else a copy with `capacity` columns. */
  withRoom(needed: number, capacity: number): FastKvBatch {
    if (needed <= this.capacity) return this;
    return FastKvBatch.gather(
      this.dims,
      this.kvType,
      this.lengths.map((_, row) => ({ batch: this, row })),
      capacity,
    );
  }

  /**
   * Adds past_key_values.* to `feeds` and present.* to `bound` for rows [first, first + count): the same arrays
   * (views of this batch's buffers), so the graph updates the cache in place.
   */
  bindRows(first: number, count: number, feeds: Record<string, EngineTensor>, bound: Record<string, EngineTensor>): void {
    const elements = this.rowElements;
    const shape = [count, this.dims.numKvHeads, this.capacity, this.dims.headDim];
    layerKvNames(this.dims.numLayers).forEach((names, index) => {
      const layer = this.layers[index];
      if (!layer) return;
      const key = tensorOver(this.kvType, layer.key.subarray(first * elements, (first + count) * elements), shape);
      const value = tensorOver(this.kvType, layer.value.subarray(first * elements, (first + count) * elements), shape);
      feeds[names.pastKey] = key;
      feeds[names.pastValue] = value;
      bound[names.presentKey] = key;
      bound[names.presentValue] = value;
    });
  }
}
