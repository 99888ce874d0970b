/**
 * A prompt prefix's keys and values in host memory: what the prefix cache keeps for the KV pool (offloaded from
 * the device, so cached prompts never take GPU memory from running sequences). One tensor [1, kvHeads, n, headDim]
 * per layer and kind, in the order key 0, value 0, key 1, value 1, ...
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EngineTensor } from "../runtime/inference-session";
import type { BatchKv } from "./batch-decoder";

export type PrefixKvType = "float32" | "float16";

export class HostKvPrefix implements BatchKv {
  readonly lengths: readonly number[];
  readonly batchSize = 1;

  constructor(
    private readonly dims: LlamaDims,
    readonly kvType: PrefixKvType,
    readonly length: number,
    /** 2 × layers tensors [1, kvHeads, length, headDim]. */
    readonly buffers: readonly EngineTensor[],
  ) {
    this.lengths = [length];
  }

  /** Empty tensors of `length` positions, for the extract graph to fill. */
  static allocate(dims: LlamaDims, kvType: PrefixKvType, length: number): HostKvPrefix {
    const elements = dims.numKvHeads * length * dims.headDim;
    const shape = [1, dims.numKvHeads, length, dims.headDim];
    const buffers = Array.from(
      { length: dims.numLayers * 2 },
      (): EngineTensor =>
        kvType === "float32"
          ? { type: "float32", data: new Float32Array(elements), dims: shape }
          : { type: "float16", data: new Uint16Array(elements), dims: shape },
    );
    return new HostKvPrefix(dims, kvType, length, buffers);
  }

  get byteLength(): number {
    return this.buffers.reduce((sum, tensor) => sum + tensor.data.byteLength, 0);
  }

  /** The first `length` positions, in new arrays (this prefix itself when nothing is cut). */
  slice(length: number): HostKvPrefix {
    if (length > this.length) throw new Error(`prefix of ${length} tokens from one of ${this.length}`);
    if (length === this.length) return this;
    const target = HostKvPrefix.allocate(this.dims, this.kvType, length);
    const { numKvHeads, headDim } = this.dims;
    target.buffers.forEach((tensor, index) => {
      const source = this.buffers[index];
      if (!source) return;
      for (let head = 0; head < numKvHeads; head++) {
        const from = head * this.length * headDim;
        const to = head * length * headDim;
        if (tensor.type === "float32" && source.type === "float32") tensor.data.set(source.data.subarray(from, from + length * headDim), to);
        else if (tensor.type === "float16" && source.type === "float16") tensor.data.set(source.data.subarray(from, from + length * headDim), to);
      }
    });
    return target;
  }
}
