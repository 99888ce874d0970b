/**
 * Embeddings that replace prompt positions (an image's or an audio clip's rows from a media embedder): the
 * engine writes them over the token embeddings of their placeholder span at prefill.
 */
import { float32ToFloat16Bits } from "../onnx/tensor-bytes";

/** Rows of embeddings that replace `values.length / hidden` prompt positions starting at prompt index `offset`. */
export type EmbeddingSplice = { offset: number; values: Float32Array };

/**
 * Overwrites `embeds` ([rowCount, hidden], the prompt's token embeddings starting at prompt index `firstIndex`)
 * where splices cover it. A Uint16Array is float16 bits (the fast graph's half-precision embeddings).
 */
export function applySplices(
  embeds: Float32Array | Uint16Array,
  hidden: number,
  firstIndex: number,
  rowCount: number,
  splices: readonly EmbeddingSplice[],
): void {
  for (const splice of splices) {
    const rows = splice.values.length / hidden;
    const from = Math.max(splice.offset, firstIndex);
    const to = Math.min(splice.offset + rows, firstIndex + rowCount);
    if (from >= to) continue;
    const source = splice.values.subarray((from - splice.offset) * hidden, (to - splice.offset) * hidden);
    const target = (from - firstIndex) * hidden;
    if (embeds instanceof Float32Array) embeds.set(source, target);
    else for (let index = 0; index < source.length; index++) embeds[target + index] = float32ToFloat16Bits(source[index] ?? 0);
  }
}
