/**
 * What the scheduler needs from a decoder graph: one batched forward step, and the bookkeeping of the batch's KV
 * cache (empty rows, regrouping rows when sequences join or leave, a copy of one row's prompt prefix for the prefix
 * cache). Two implementations, picked from the model folder: DecoderRunner (the standard graph; a right-aligned
 * cache that the graph re-concatenates every step) and FastDecoderRunner (the fast graph; a left-aligned,
 * preallocated buffer that ONNX Runtime updates in place).
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EmbeddingSplice } from "./embedding-splice";

/** A batch's KV cache, whatever its layout. */
export interface BatchKv {
  /** Cached tokens per row. */
  readonly lengths: readonly number[];
  readonly batchSize: number;
  /** Bytes its arrays hold. */
  readonly byteLength: number;
}

export interface StepResult<K extends BatchKv> {
  /** Row-wise logits of the last position, each of length vocab. */
  logits: Float32Array[];
  kv: K;
}

export interface BatchDecoder<K extends BatchKv = BatchKv> {
  readonly dims: LlamaDims;
  /** Bytes one cached token costs across every layer (keys and values). */
  readonly kvBytesPerToken: number;
  readonly executionProvider: string;
  /** A batch of `rows` rows holding no tokens. */
  emptyKv(rows: number): K;
  /** A new batch from rows of existing batches, in order (sequences join or leave). */
  gatherKv(rows: readonly { batch: K; row: number }[]): K;
  /** A one-row batch holding the first `length` cached tokens of `row`, in its own arrays. */
  prefixKv(source: K, row: number, length: number): K;
  /**
   * One step: `tokens[i]` are row i's new tokens, appended after `kv`'s row i; `splices[i]` (image/audio) overwrite
   * row i's token embeddings, their offsets counted from the row's first token. The returned batch replaces `kv`.
   */
  step(tokens: readonly (readonly number[])[], kv: K, splices?: readonly (readonly EmbeddingSplice[])[]): Promise<StepResult<K>>;
  release(): Promise<void>;
}
