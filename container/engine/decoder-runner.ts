/**
 * Runs one batched forward step of the standard decoder graph (plus the embed_tokens graph for the embeds
 * variant) and returns each row's last-position logits with the updated KV batch (right-aligned rows, left
 * padding masked by attention_mask). Checks the session's input/output names against the convention when it
 * is created.
 */
import type { LlamaDims } from "../model/llama-dims";
import type { EngineTensor, InferenceSession } from "../runtime/inference-session";
import type { BatchDecoder, StepResult } from "./batch-decoder";
import { applySplices, type EmbeddingSplice } from "./embedding-splice";
import { EngineError } from "./engine-errors";
import { KvBatch, type KvType } from "./kv-batch";
import { layerKvNames } from "./kv-names";

/** num_logits_to_keep = 1: only the last position's logits. Read-only; shared by every step. */
const KEEP_LAST_LOGITS: EngineTensor = { type: "int64", data: BigInt64Array.of(1n), dims: [] };

/**
 * Row i's tokens, left-padded to the widest row, as [B, width] input_ids and position_ids
 * (positions continue after the row's `lengths[i]` cached tokens).
 */
function packRows(
  tokens: readonly (readonly number[])[],
  lengths: readonly number[],
  padTokenId: number,
): { ids: BigInt64Array; positions: BigInt64Array; width: number } {
  let width = 0;
  for (const row of tokens) width = Math.max(width, row.length);
  const ids = new BigInt64Array(tokens.length * width).fill(BigInt(padTokenId));
  const positions = new BigInt64Array(tokens.length * width);
  tokens.forEach((row, rowIndex) => {
    const offset = rowIndex * width + (width - row.length);
    const start = lengths[rowIndex] ?? 0;
    for (let index = 0; index < row.length; index++) {
      ids[offset + index] = BigInt(row[index] ?? padTokenId);
      positions[offset + index] = BigInt(start + index);
    }
  });
  return { ids, positions, width };
}

function kvTypeOf(decoder: InferenceSession): KvType {
  const type = decoder.inputs.find((input) => input.name === "past_key_values.0.key")?.type;
  if (type === undefined || type === "float32") return "float32";
  if (type === "float16") return "float16";
  throw new EngineError("model_folder_invalid", `onnx/model.onnx: past_key_values.0.key is ${type}; the engine reads float32 or float16 caches`);
}

export class DecoderRunner implements BatchDecoder<KvBatch> {
  private readonly hasPositionIds: boolean;
  private readonly hasLogitsToKeep: boolean;
  private readonly usesEmbeds: boolean;
  /** The cache's element type, as the decoder declares past_key_values.0.key. */
  readonly kvType: KvType;

  constructor(
    readonly dims: LlamaDims,
    private readonly decoder: InferenceSession,
    private readonly embedTokens: InferenceSession | null,
    private readonly padTokenId: number,
  ) {
    const inputs = new Set(decoder.inputNames);
    const outputs = new Set(decoder.outputNames);
    const missing: string[] = [];
    this.usesEmbeds = inputs.has("inputs_embeds");
    if (!this.usesEmbeds && !inputs.has("input_ids")) missing.push("input input_ids (or inputs_embeds)");
    if (this.usesEmbeds && !embedTokens) missing.push("onnx/embed_tokens.onnx (decoder takes inputs_embeds)");
    if (!inputs.has("attention_mask")) missing.push("input attention_mask");
    if (!outputs.has("logits")) missing.push("output logits");
    for (const names of layerKvNames(dims.numLayers)) {
      for (const input of [names.pastKey, names.pastValue]) if (!inputs.has(input)) missing.push(`input ${input}`);
      for (const output of [names.presentKey, names.presentValue]) if (!outputs.has(output)) missing.push(`output ${output}`);
    }
    if (missing.length > 0)
      throw new EngineError("model_folder_invalid", `onnx/model.onnx does not match config.json (${dims.numLayers} layers): missing ${missing.join(", ")}`);
    this.kvType = kvTypeOf(decoder);
    this.hasPositionIds = inputs.has("position_ids");
    this.hasLogitsToKeep = inputs.has("num_logits_to_keep");
  }

  get executionProvider(): string {
    return this.decoder.executionProvider;
  }

  get kvBytesPerToken(): number {
    const { numLayers, numKvHeads, headDim } = this.dims;
    return numLayers * 2 * numKvHeads * headDim * (this.kvType === "float32" ? 4 : 2);
  }

  emptyKv(rows: number): KvBatch {
    return KvBatch.empty(this.dims, rows, this.kvType);
  }

  gatherKv(rows: readonly { batch: KvBatch; row: number }[]): KvBatch {
    return KvBatch.gather(this.dims, this.kvType, rows);
  }

  prefixKv(source: KvBatch, row: number, length: number): KvBatch {
    return KvBatch.prefixOf(this.dims, source, row, length);
  }

  /**
   * One step: `tokens[i]` are row i's new tokens (rows may differ in length: they are
   * left-padded), appended after `kv`'s row i. `splices[i]` (Omni) overwrite row i's token
   * embeddings with image/audio embeddings; their offsets count from the row's first token.
   */
  async step(tokens: readonly (readonly number[])[], kv: KvBatch, splices?: readonly (readonly EmbeddingSplice[])[]): Promise<StepResult<KvBatch>> {
    const batch = tokens.length;
    const { ids, positions, width } = packRows(tokens, kv.lengths, this.padTokenId);
    const feeds: Record<string, EngineTensor> = {
      attention_mask: {
        type: "int64",
        data: kv.attentionMask(
          tokens.map((row) => row.length),
          width,
        ),
        dims: [batch, kv.width + width],
      },
    };
    kv.addPastFeeds(feeds);
    if (this.hasPositionIds) feeds.position_ids = { type: "int64", data: positions, dims: [batch, width] };
    if (this.hasLogitsToKeep) feeds.num_logits_to_keep = KEEP_LAST_LOGITS;
    const idTensor: EngineTensor = { type: "int64", data: ids, dims: [batch, width] };
    if (this.usesEmbeds && this.embedTokens) {
      const embedded = (await this.embedTokens.run({ input_ids: idTensor })).inputs_embeds;
      if (embedded?.type !== "float32") throw new EngineError("internal_error", "embed_tokens produced no float32 inputs_embeds");
      splices?.forEach((rowSplices, row) => {
        const rowLength = tokens[row]?.length ?? 0;
        const rowStart = (row * width + width - rowLength) * this.dims.hiddenSize;
        applySplices(
          embedded.data.subarray(rowStart, rowStart + rowLength * this.dims.hiddenSize),
          this.dims.hiddenSize,
          kv.lengths[row] ?? 0,
          rowLength,
          rowSplices,
        );
      });
      feeds.inputs_embeds = embedded;
    } else {
      if (splices?.some((rowSplices) => rowSplices.length > 0))
        throw new EngineError("internal_error", "image/audio embeddings need the inputs_embeds decoder variant");
      feeds.input_ids = idTensor;
    }
    const outputs = await this.decoder.run(feeds);
    const logits = outputs.logits;
    if (logits?.type !== "float32") throw new EngineError("internal_error", "decoder produced no float32 logits");
    const vocab = this.dims.vocabSize;
    const perRow = logits.data.length / batch;
    const rows = tokens.map((_, row) => logits.data.subarray(row * perRow + perRow - vocab, (row + 1) * perRow));
    return {
      logits: rows,
      kv: KvBatch.afterStep(
        this.dims,
        this.kvType,
        outputs,
        kv,
        tokens.map((row) => row.length),
      ),
    };
  }

  async release(): Promise<void> {
    await this.decoder.release();
    await this.embedTokens?.release();
  }
}
