/**
 * Runs the fast decoder graph over the KV pool with I/O binding. Per run only token ids (or their embeddings),
 * seqlens_k and total_sequence_length go in, from host buffers allocated once; only the last position's logits come
 * out, into a host buffer allocated once; the KV views stay bound between runs and are rebound only when the set
 * of rows changes. Two bindings, one for decode runs (slots [0, rows)) and one for prefill chunks (one slot).
 */
import type { LlamaDims } from "../model/llama-dims";
import type { BindingSession, EngineTensor, HostBuffer, InferenceSession, StepBinding, TensorView } from "../runtime/inference-session";
import { applySplices, type EmbeddingSplice } from "./embedding-splice";
import { EngineError } from "./engine-errors";
import type { KvPool } from "./kv-pool";
import { layerKvNames } from "./kv-names";

interface BindingState {
  binding: StepBinding;
  /** "first:count" of the KV views bound now. */
  rows: string;
}

export class PooledFastRunner {
  private readonly ids: HostBuffer<"int64">;
  private readonly seqlens: HostBuffer<"int32">;
  private readonly total: HostBuffer<"int32">;
  private readonly logits: HostBuffer<"float32">;
  private readonly decodeState: BindingState;
  private readonly prefillState: BindingState;
  private readonly kvNames: { past: string; present: string }[];

  constructor(
    readonly dims: LlamaDims,
    private readonly decoder: BindingSession,
    private readonly embedTokens: InferenceSession | null,
    private readonly pool: KvPool,
    /** Longest prompt piece one run takes. */
    readonly prefillChunk: number,
    private readonly usesEmbeds: boolean,
  ) {
    const rows = Math.max(pool.slots, prefillChunk);
    this.ids = decoder.hostBuffer("int64", rows);
    this.seqlens = decoder.hostBuffer("int32", pool.slots);
    this.total = decoder.hostBuffer("int32", 1);
    this.logits = decoder.hostBuffer("float32", pool.slots * dims.vocabSize);
    this.decodeState = { binding: decoder.createBinding(), rows: "" };
    this.prefillState = { binding: decoder.createBinding(), rows: "" };
    this.kvNames = layerKvNames(dims.numLayers).flatMap((names) => [
      { past: names.pastKey, present: names.presentKey },
      { past: names.pastValue, present: names.presentValue },
    ]);
  }

  /**
   * One decode run over slots [0, tokens.length): `tokens[i]` is slot i's next token, or null for a row that only
   * fills the range (a free slot, or one still prefilling: its dummy write lands where its next chunk writes).
   * Advances the lengths of the real rows. Returns [rows, vocab] logits, valid until the next run.
   */
  async decode(tokens: readonly (number | null)[]): Promise<Float32Array> {
    const count = tokens.length;
    let total = 1;
    for (let slot = 0; slot < count; slot++) {
      const cached = this.pool.lengths[slot] ?? 0;
      this.ids.data[slot] = BigInt(tokens[slot] ?? 0);
      this.seqlens.data[slot] = cached;
      total = Math.max(total, cached + 1);
    }
    await this.run(this.decodeState, 0, count, 1, total, []);
    tokens.forEach((token, slot) => {
      if (token !== null) this.pool.lengths[slot] = (this.pool.lengths[slot] ?? 0) + 1;
    });
    return this.logits.data.subarray(0, count * this.dims.vocabSize);
  }

  /** One prompt chunk for `slot`, after its cached tokens; returns the chunk's last-position logits (valid until the next run). */
  async prefill(slot: number, chunk: readonly number[], splices: readonly EmbeddingSplice[]): Promise<Float32Array> {
    if (chunk.length === 0 || chunk.length > this.prefillChunk) throw new EngineError("internal_error", `a prefill chunk of ${chunk.length} tokens`);
    const cached = this.pool.lengths[slot] ?? 0;
    if (cached + chunk.length > this.pool.spec.capacity) throw new EngineError("internal_error", `slot ${slot} would hold ${cached + chunk.length} tokens`);
    chunk.forEach((id, index) => {
      this.ids.data[index] = BigInt(id);
    });
    this.seqlens.data[0] = cached + chunk.length - 1;
    await this.run(this.prefillState, slot, 1, chunk.length, cached + chunk.length, splices, cached);
    this.pool.lengths[slot] = cached + chunk.length;
    return this.logits.data.subarray(0, this.dims.vocabSize);
  }

  private async run(
    state: BindingState,
    first: number,
    count: number,
    width: number,
    total: number,
    splices: readonly EmbeddingSplice[],
    firstIndex = 0,
  ): Promise<void> {
    const { binding } = state;
    const rows = `${first}:${count}`;
    if (state.rows !== rows) {
      this.pool.bind(binding, first, count, this.kvNames);
      binding.bindOutput("logits", this.logits.view([count, this.dims.vocabSize]));
      state.rows = rows;
    }
    this.total.data[0] = total;
    // Host inputs are bound after they are written: under CUDA, binding is when they are copied to the device.
    binding.bindInput("seqlens_k", this.seqlens.view([count]));
    binding.bindInput("total_sequence_length", this.total.view([]));
    let embedded: { tensor: EngineTensor; view: TensorView } | null = null;
    if (this.usesEmbeds) {
      const tensor = await this.embed(count, width, firstIndex, splices);
      embedded = { tensor, view: this.decoder.hostView(tensor) };
      binding.bindInput("inputs_embeds", embedded.view);
    } else {
      if (splices.length > 0) throw new EngineError("internal_error", "image/audio embeddings need the inputs_embeds decoder variant");
      binding.bindInput("input_ids", this.ids.view([count, width]));
    }
    try {
      await binding.run();
    } finally {
      // The embeddings tensor stays referenced above until here, so its memory outlives the run.
      embedded?.view.release();
    }
  }

  /** inputs_embeds for the ids in the staging buffer, with image/audio rows spliced over their placeholders. */
  private async embed(count: number, width: number, firstIndex: number, splices: readonly EmbeddingSplice[]): Promise<EngineTensor> {
    const ids: EngineTensor = { type: "int64", data: this.ids.data.slice(0, count * width), dims: [count, width] };
    const embedded = (await this.embedTokens?.run({ input_ids: ids }))?.inputs_embeds;
    if (!embedded || (embedded.type !== "float32" && embedded.type !== "float16"))
      throw new EngineError("internal_error", "embed_tokens produced no inputs_embeds");
    if (splices.length > 0) applySplices(embedded.data, this.dims.hiddenSize, firstIndex, width, splices);
    return embedded;
  }

  async release(): Promise<void> {
    this.decodeState.binding.release();
    this.prefillState.binding.release();
    for (const buffer of [this.ids, this.seqlens, this.total, this.logits]) buffer.release();
  }
}
