/**
 * Three tiny ONNX graphs that move KV data where the model computes, so the KV pool needs no CUDA API of its own:
 * - extract: the first `n` positions of one slot's keys and values (every layer) → tensors bound to host memory
 *   (the prefix cache keeps prompts there);
 * - restore: host prefixes of `n` positions → a slot, padded with zeros to the slot's capacity;
 * - zero: fills whole pool buffers with zeros once, at allocation (GroupQueryAttention multiplies positions it
 *   masks by zero, so the pool must never hold NaN bit patterns).
 * Each graph takes all 2 × layers buffers at once: one run per transfer.
 */
import { GraphBuilder } from "../onnx/graph-builder";
import { encodeOnnxModel } from "../onnx/onnx-model";

export type TransferType = "float32" | "float16";

export interface TransferShape {
  /** 2 × layers (key and value of each layer). */
  buffers: number;
  kvHeads: number;
  capacity: number;
  headDim: number;
  type: TransferType;
}

/** inputs slot.{i} [1, H, C, D] and `length` int64 [1] → outputs prefix.{i} [1, H, n, D]. */
export function buildExtractGraph(shape: TransferShape): Uint8Array {
  const g = new GraphBuilder("kv-extract");
  const length = g.input("length", "int64", [1]);
  const starts = g.constInt64([0]);
  const axes = g.constInt64([2]);
  for (let index = 0; index < shape.buffers; index++) {
    const slot = g.input(`slot.${index}`, shape.type, [1, shape.kvHeads, shape.capacity, shape.headDim]);
    g.output(g.op("Slice", [slot, starts, length, axes]), `prefix.${index}`, shape.type, [1, shape.kvHeads, "n", shape.headDim]);
  }
  return encodeOnnxModel(g.toModel());
}

/** inputs prefix.{i} [1, H, n, D] and `pads` int64 [8] → outputs slot.{i} [1, H, C, D] (zeros after n). */
export function buildRestoreGraph(shape: TransferShape): Uint8Array {
  const g = new GraphBuilder("kv-restore");
  const pads = g.input("pads", "int64", [8]);
  for (let index = 0; index < shape.buffers; index++) {
    const prefix = g.input(`prefix.${index}`, shape.type, [1, shape.kvHeads, "n", shape.headDim]);
    g.output(g.op("Pad", [prefix, pads]), `slot.${index}`, shape.type, [1, shape.kvHeads, shape.capacity, shape.headDim]);
  }
  return encodeOnnxModel(g.toModel());
}

/** input `shape` int64 [4] → outputs zeros.{i} of that shape. */
export function buildZeroGraph(shape: TransferShape): Uint8Array {
  const g = new GraphBuilder("kv-zero");
  const dims = g.input("shape", "int64", [4]);
  const zero = g.initializer("zero", shape.type, [1], new Uint8Array(shape.type === "float32" ? 4 : 2));
  for (let index = 0; index < shape.buffers; index++) {
    g.output(g.op("Expand", [zero, dims]), `zeros.${index}`, shape.type, ["slots", shape.kvHeads, shape.capacity, shape.headDim]);
  }
  return encodeOnnxModel(g.toModel());
}
