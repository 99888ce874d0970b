/**
 * Runs the fast decoder graph (container/model/build-fast-decoder.ts; I/O in GPU-CONTRACT.md) over a FastKvBatch:
 * decode steps run every row together (one token each); prompts run one row at a time, in chunks of at most
 * `prefillChunkTokens`, continuing from the row's cached length. The KV buffers are fed as past and bound as present,
 * so ONNX Runtime writes the new keys and values into them in place. Checks the graph's inputs and outputs when it is
 * created, so a folder whose engine.json and graph disagree fails at start, naming what is missing.
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EngineTensor, InferenceSession } from "../runtime/inference-session";
import type { BatchDecoder, StepResult } from "./batch-decoder";
import { applySplices, type EmbeddingSplice } from "./embedding-splice";
import { EngineError } from "./engine-errors";
import { FastKvBatch, type FastKvType } from "./fast-kv-batch";
import { layerKvNames } from "./kv-names";

export interface FastRunnerOptions {
  /** Longest prompt piece one forward pass takes (bounds activation memory); longer prompts run in chunks. */
  prefillChunkTokens?: number;
}

/**
 * Buffers grow in blocks of this many tokens, one block ahead: a step's cost follows the buffer's width on
 * onnxruntime-node (it hands every bound output back as a copy), so little headroom; a row outgrows it once per block.
 */
const CAPACITY_BLOCK = 64;
const DEFAULT_PREFILL_CHUNK = 512;

/** Checks a fast graph's inputs and outputs against config.json; returns its compute type and input mode. */
export function validateFastGraph(
  dims: LlamaDims,
  decoder: InferenceSession,
  embedTokens: InferenceSession | null,
): { kvType: FastKvType; usesEmbeds: boolean } {
  const inputs = new Map(decoder.inputs.map((input) => [input.name, input.type]));
  const outputs = new Set(decoder.outputNames);
  const missing: string[] = [];
  const usesEmbeds = inputs.has("inputs_embeds");
  if (!usesEmbeds && !inputs.has("input_ids")) missing.push("input input_ids (or inputs_embeds)");
  if (usesEmbeds && !embedTokens) missing.push("onnx/embed_tokens.onnx (decoder takes inputs_embeds)");
  for (const name of ["seqlens_k", "total_sequence_length"]) if (inputs.get(name) !== "int32") missing.push(`int32 input ${name}`);
  if (!outputs.has("logits")) missing.push("output logits");
  for (const names of layerKvNames(dims.numLayers)) {
    for (const input of [names.pastKey, names.pastValue]) if (!inputs.has(input)) missing.push(`input ${input}`);
    for (const output of [names.presentKey, names.presentValue]) if (!outputs.has(output)) missing.push(`output ${output}`);
  }
  if (missing.length > 0) {
    throw new EngineError(
      "model_folder_invalid",
      `onnx/model.onnx is not a fast decoder graph for config.json (${dims.numLayers} layers; engine.json says "graph": "fast"): missing ${missing.join(", ")}`,
    );
  }
  const kvType = inputs.get("past_key_values.0.key");
  if (kvType !== "float32" && kvType !== "float16") throw new EngineError("model_folder_invalid", `onnx/model.onnx: the fast graph's KV cache is ${kvType}`);
  if (usesEmbeds && inputs.get("inputs_embeds") !== kvType)
    throw new EngineError("model_folder_invalid", `onnx/model.onnx: inputs_embeds is ${inputs.get("inputs_embeds")}, the graph computes in ${kvType}`);
  return { kvType, usesEmbeds };
}

export class FastDecoderRunner implements BatchDecoder<FastKvBatch> {
  /** The compute type: the graph's weights, activations and KV cache. */
  readonly kvType: FastKvType;
  private readonly usesEmbeds: boolean;
  private readonly prefillChunk: number;

  constructor(
    readonly dims: LlamaDims,
    private readonly decoder: InferenceSession,
    private readonly embedTokens: InferenceSession | null,
    options: FastRunnerOptions = {},
  ) {
    ({ kvType: this.kvType, usesEmbeds: this.usesEmbeds } = validateFastGraph(dims, decoder, embedTokens));
    this.prefillChunk = Math.max(1, options.prefillChunkTokens ?? DEFAULT_PREFILL_CHUNK);
  }

  get executionProvider(): string {
    return this.decoder.executionProvider;
  }

  get kvBytesPerToken(): number {
    const { numLayers, numKvHeads, headDim } = this.dims;
    return numLayers * 2 * numKvHeads * headDim * (this.kvType === "float32" ? 4 : 2);
  }

  /** Columns for a batch whose longest row needs `needed`: rounded up to a block plus one, never past the rotary table. */
  private capacityFor(needed: number): number {
    const padded = (Math.ceil(needed / CAPACITY_BLOCK) + 1) * CAPACITY_BLOCK;
    return Math.max(needed, Math.min(padded, this.dims.maxPositionEmbeddings));
  }

  emptyKv(rows: number): FastKvBatch {
    return FastKvBatch.empty(this.dims, this.kvType, rows, 0);
  }

  gatherKv(rows: readonly { batch: FastKvBatch; row: number }[]): FastKvBatch {
    const longest = Math.max(0, ...rows.map(({ batch, row }) => batch.lengths[row] ?? 0));
    return FastKvBatch.gather(this.dims, this.kvType, rows, longest === 0 ? 0 : this.capacityFor(longest + 1));
  }

  prefixKv(source: FastKvBatch, row: number, length: number): FastKvBatch {
    return source.prefix(row, length);
  }

  /**
   * One step. Rows with one new token each run together; otherwise each row's tokens run on their own, in chunks.
   * The returned batch is `kv` itself unless a row outgrew its buffers (then a larger copy).
   */
  async step(tokens: readonly (readonly number[])[], kv: FastKvBatch, splices?: readonly (readonly EmbeddingSplice[])[]): Promise<StepResult<FastKvBatch>> {
    const needed = Math.max(0, ...tokens.map((row, index) => (kv.lengths[index] ?? 0) + row.length));
    const batch = kv.withRoom(needed, this.capacityFor(needed));
    const vocab = this.dims.vocabSize;
    if (tokens.every((row) => row.length === 1) && !splices?.some((rowSplices) => rowSplices.length > 0)) {
      const logits = await this.run(batch, 0, tokens, []);
      return { logits: tokens.map((_, row) => logits.subarray(row * vocab, (row + 1) * vocab)), kv: batch };
    }
    const logits: Float32Array[] = [];
    for (const [row, rowTokens] of tokens.entries()) {
      let last: Float32Array | null = null;
      for (let start = 0; start < rowTokens.length; start += this.prefillChunk) {
        last = await this.run(batch, row, [rowTokens.slice(start, start + this.prefillChunk)], splices?.[row] ?? []);
      }
      if (!last) throw new EngineError("internal_error", `row ${row} has no new tokens`);
      logits.push(last);
    }
    return { logits, kv: batch };
  }

  /** One forward pass over rows [first, first + ids.length), all of one width; advances their lengths. */
  private async run(kv: FastKvBatch, first: number, ids: readonly (readonly number[])[], splices: readonly EmbeddingSplice[]): Promise<Float32Array> {
    const count = ids.length;
    const width = ids[0]?.length ?? 0;
    const seqlens = new Int32Array(count);
    let total = 0;
    for (let row = 0; row < count; row++) {
      const after = (kv.lengths[first + row] ?? 0) + width;
      seqlens[row] = after - 1;
      total = Math.max(total, after);
    }
    const feeds: Record<string, EngineTensor> = {
      seqlens_k: { type: "int32", data: seqlens, dims: [count] },
      total_sequence_length: { type: "int32", data: Int32Array.of(total), dims: [] },
    };
    const idTensor: EngineTensor = { type: "int64", data: BigInt64Array.from(ids.flat(), (id) => BigInt(id)), dims: [count, width] };
    if (this.usesEmbeds && this.embedTokens) feeds.inputs_embeds = await this.embed(idTensor, kv.lengths[first] ?? 0, splices);
    else if (splices.length > 0) throw new EngineError("internal_error", "image/audio embeddings need the inputs_embeds decoder variant");
    else feeds.input_ids = idTensor;
    const bound: Record<string, EngineTensor> = {};
    kv.bindRows(first, count, feeds, bound);
    const outputs = await this.decoder.run(feeds, bound);
    const logits = outputs.logits;
    if (logits?.type !== "float32") throw new EngineError("internal_error", "decoder produced no float32 logits");
    for (let row = 0; row < count; row++) kv.lengths[first + row] = (kv.lengths[first + row] ?? 0) + width;
    return logits.data;
  }

  /** inputs_embeds for one row's chunk, with the image/audio rows that fall in it spliced over the placeholders. */
  private async embed(ids: EngineTensor, firstIndex: number, splices: readonly EmbeddingSplice[]): Promise<EngineTensor> {
    const embedded = (await this.embedTokens?.run({ input_ids: ids }))?.inputs_embeds;
    if (embedded?.type !== this.kvType || (embedded.type !== "float32" && embedded.type !== "float16"))
      throw new EngineError("internal_error", `embed_tokens produced no ${this.kvType} inputs_embeds`);
    if (splices.length > 0) applySplices(embedded.data, this.dims.hiddenSize, firstIndex, ids.dims[1] ?? 0, splices);
    return embedded;
  }

  async release(): Promise<void> {
    await this.decoder.release();
    await this.embedTokens?.release();
  }
}
