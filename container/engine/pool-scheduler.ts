/**
 * Continuous batching over the KV pool (fast graph, native runtime). Each step boundary:
 * 1. sequences that ended give their slot back (no copy);
 * 2. waiting requests take free slots, in order; one whose prompt starts like a cached one gets that prefix
 *    restored into its slot from host memory. With no free slot a request waits in the queue (429 only when the
 *    queue itself is full): admission never allocates, so the pool's memory budget cannot be exceeded;
 * 3. prefilling sequences advance by chunks, at most `prefillChunk` prompt tokens in all per boundary, so a long
 *    prompt never stalls running decodes for more than one chunk;
 * 4. every decoding sequence advances one token in one run over slots [0, highest busy slot].
 */
import { EngineError } from "./engine-errors";
import type { HostKvPrefix } from "./host-kv-prefix";
import { KvPool } from "./kv-pool";
import type { PooledFastRunner } from "./pooled-fast-runner";
import { PrefixCache } from "./prefix-cache";
import { type KvMemory, SchedulerCore, type SchedulerOptions } from "./scheduler-core";
import type { Sequence } from "./sequence";
import type { TextCodec } from "./text-codec";

interface Placement {
  slot: number;
  /** Prompt tokens already in the slot. */
  prefilled: number;
  /** Prompt tokens that came from the prefix cache. */
  cached: number;
  cacheable: boolean;
}

export class PoolScheduler extends SchedulerCore {
  private readonly placements = new Map<Sequence, Placement>();
  private readonly prefixCache: PrefixCache<HostKvPrefix>;

  constructor(
    private readonly runner: PooledFastRunner,
    private readonly pool: KvPool,
    codec: TextCodec,
    options: SchedulerOptions,
  ) {
    super(runner.dims.vocabSize, codec, options);
    const { dims } = runner;
    const kvBytesPerToken = dims.numLayers * 2 * dims.numKvHeads * dims.headDim * (pool.spec.kvType === "float32" ? 4 : 2);
    this.prefixCache = new PrefixCache({ kvBytesPerToken, prefixKv: (source, _row, length) => source.slice(length) }, options.prefixCacheBytes ?? 0);
  }

  /** Slots of the pool (the most sequences that run at once). */
  get slots(): number {
    return this.pool.slots;
  }

  /**
   * The pool's memory: capacity is every slot, used is the slots sequences hold (a slot is reserved whole, for the
   * longest sequence, from admission to the end), so what is free is what new requests can still take.
   */
  kvMemory(): KvMemory {
    const bytesPerSlot = KvPool.bytesFor(this.runner.dims, this.pool.spec.kvType, 1, this.pool.spec.capacity);
    return { usedBytes: (this.pool.slots - this.pool.freeSlots) * bytesPerSlot, capacityBytes: this.pool.slots * bytesPerSlot };
  }

  get prefixCacheBytes(): number {
    return this.prefixCache.size.bytes;
  }

  protected async iterate(): Promise<void> {
    const started = this.now();
    try {
      this.retire();
      await this.admit();
      await this.prefill();
      await this.decode();
      this.retire();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const sequence of this.active) sequence.fail(failure);
      this.retire();
    }
    this.options.metrics.recordStep((this.now() - started) / 1000);
    this.updateGauges();
  }

  /** Finished or cancelled sequences give their slots back. */
  private retire(): void {
    this.active = this.active.filter((sequence) => {
      if (!sequence.finished) return true;
      const placement = this.placements.get(sequence);
      if (placement) this.pool.releaseSlot(placement.slot);
      this.placements.delete(sequence);
      return false;
    });
  }

  private async admit(): Promise<void> {
    while (this.queue.length > 0 && this.pool.freeSlots > 0 && this.active.length < this.options.maxBatch) {
      const sequence = this.queue.shift() as Sequence;
      const slot = this.pool.acquire();
      if (slot === null) throw new EngineError("internal_error", "no free KV slot after checking for one");
      // A prompt with image/audio embeddings is more than its token ids: never cached or matched.
      const cacheable = this.prefixCache.enabled && sequence.embeddingSplices.length === 0;
      const hit = cacheable ? this.prefixCache.lookup(sequence.promptIds) : null;
      this.active.push(sequence);
      this.placements.set(sequence, { slot, prefilled: hit?.length ?? 0, cached: hit?.length ?? 0, cacheable });
      if (hit) await this.pool.restore(slot, hit.kv);
    }
  }

  /** Prompt chunks, oldest sequence first, up to one chunk's worth of tokens in all. */
  private async prefill(): Promise<void> {
    let budget = this.runner.prefillChunk;
    for (const sequence of this.active) {
      const placement = this.placements.get(sequence);
      if (!placement || sequence.finished || placement.prefilled >= sequence.promptIds.length) continue;
      if (budget <= 0) break;
      const end = Math.min(sequence.promptIds.length, placement.prefilled + budget);
      const chunk = sequence.promptIds.slice(placement.prefilled, end);
      const logits = await this.runner.prefill(placement.slot, chunk, sequence.embeddingSplices);
      budget -= chunk.length;
      placement.prefilled = end;
      if (end === sequence.promptIds.length) await this.finishPrompt(sequence, placement, logits);
    }
  }

  /** The prompt is in: sample the first token, keep the prompt's KV for the prefix cache. */
  private async finishPrompt(sequence: Sequence, placement: Placement, logits: Float32Array): Promise<void> {
    const { metrics } = this.options;
    // The image/audio embeddings live on in the KV cache; drop the copies.
    sequence.embeddingSplices = [];
    metrics.promptTokensTotal += sequence.promptIds.length;
    metrics.prefixCacheHitTokensTotal += placement.cached;
    if (sequence.cancelled || sequence.finished) return;
    sequence.firstTokenAt = this.now();
    metrics.recordTtft((sequence.firstTokenAt - sequence.submittedAt) / 1000);
    metrics.recordTokens(1);
    sequence.accept(logits);
    if (placement.cacheable && this.prefixCache.wants(sequence.promptIds)) {
      this.prefixCache.insert(sequence.promptIds, await this.pool.extract(placement.slot, sequence.promptIds.length), 0);
      metrics.prefixCacheBytes = this.prefixCache.size.bytes;
    }
  }

  private async decode(): Promise<void> {
    const decoding = this.active.filter((sequence) => {
      const placement = this.placements.get(sequence);
      return placement && !sequence.finished && placement.prefilled >= sequence.promptIds.length && sequence.pendingToken !== null;
    });
    if (decoding.length === 0) return;
    // One run over slots [0, highest decoding slot]: slots are taken lowest first, so the range stays packed.
    const slots = decoding.map((sequence) => this.placements.get(sequence)?.slot ?? 0);
    const tokens = new Array<number | null>(Math.max(...slots) + 1).fill(null);
    decoding.forEach((sequence, index) => {
      tokens[slots[index] ?? 0] = sequence.pendingToken;
    });
    const logits = await this.runner.decode(tokens);
    const vocab = this.runner.dims.vocabSize;
    for (const sequence of decoding) {
      const slot = this.placements.get(sequence)?.slot ?? 0;
      if (!sequence.finished) sequence.accept(logits.subarray(slot * vocab, (slot + 1) * vocab));
    }
    this.options.metrics.recordTokens(decoding.length);
  }
}
