/**
 * Continuous batching over a batch the decoder regroups: requests wait in a bounded queue, join the running batch
 * at step boundaries (their prompts are prefilled together, then their KV rows are merged in), and leave as soon as
 * they finish, are cancelled or pass their deadline. Each decode step feeds every active sequence's last token in
 * one batched forward pass. (The fast graph on the native runtime uses PoolScheduler instead.)
 */
import type { BatchDecoder, BatchKv } from "./batch-decoder";
import { PrefixCache } from "./prefix-cache";
import { type KvMemory, SchedulerCore, type SchedulerOptions } from "./scheduler-core";
import type { Sequence } from "./sequence";
import type { TextCodec } from "./text-codec";

export type { GenerateRequest, SchedulerOptions } from "./scheduler-core";

export class BatchScheduler<K extends BatchKv = BatchKv> extends SchedulerCore {
  private kv: K;
  private readonly prefixCache: PrefixCache<K>;

  constructor(
    private readonly runner: BatchDecoder<K>,
    codec: TextCodec,
    options: SchedulerOptions,
  ) {
    super(runner.dims.vocabSize, codec, options);
    this.kv = runner.emptyKv(0);
    this.prefixCache = new PrefixCache(runner, options.prefixCacheBytes ?? 0);
  }

  protected async iterate(): Promise<void> {
    const started = this.now();
    try {
      const room = this.options.maxBatch - this.active.length;
      if (room > 0 && this.queue.length > 0) await this.admit(this.queue.splice(0, room));
      else await this.decode();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const sequence of this.active) sequence.fail(failure);
      this.active = [];
      this.kv = this.runner.emptyKv(0);
    }
    this.options.metrics.recordStep((this.now() - started) / 1000);
    this.updateGauges();
  }

  /**
   * Prefill newcomers together (each after its longest cached prompt prefix, if any), sample
   * their first token, remember their prompts' KV, merge them into the batch.
   */
  private async admit(newcomers: Sequence[]): Promise<void> {
    // A prompt with image/audio embeddings is more than its token ids: never cached or matched.
    const cacheable = newcomers.map((sequence) => this.prefixCache.enabled && sequence.embeddingSplices.length === 0);
    const hits = newcomers.map((sequence, row) => (cacheable[row] ? this.prefixCache.lookup(sequence.promptIds) : null));
    const noPrefix = this.runner.emptyKv(1);
    const past = this.runner.gatherKv(hits.map((hit) => ({ batch: hit?.kv ?? noPrefix, row: 0 })));
    const { logits, kv } = await this.runner.step(
      newcomers.map((sequence, row) => sequence.promptIds.slice(hits[row]?.length ?? 0)),
      past,
      newcomers.map((sequence) => sequence.embeddingSplices),
    );
    // The image/audio embeddings live on in the KV cache; drop the copies.
    for (const sequence of newcomers) sequence.embeddingSplices = [];
    newcomers.forEach((sequence, row) => {
      if (cacheable[row]) this.prefixCache.insert(sequence.promptIds, kv, row);
      this.options.metrics.prefixCacheHitTokensTotal += hits[row]?.length ?? 0;
      this.options.metrics.prefixCacheBytes = this.prefixCache.size.bytes;
      this.options.metrics.promptTokensTotal += sequence.promptIds.length;
      if (sequence.cancelled) return;
      sequence.firstTokenAt = this.now();
      this.options.metrics.recordTtft((sequence.firstTokenAt - sequence.submittedAt) / 1000);
      this.options.metrics.recordTokens(1);
      const rowLogits = logits[row];
      if (rowLogits) sequence.accept(rowLogits);
    });
    const rows = [
      ...this.active.map((sequence, row) => ({ sequence, batch: this.kv, row })),
      ...newcomers.map((sequence, row) => ({ sequence, batch: kv, row })),
    ].filter(({ sequence }) => !sequence.finished);
    this.active = rows.map(({ sequence }) => sequence);
    this.kv = this.runner.gatherKv(rows);
  }

  /** One decode step for every active sequence; drop the ones that finished. */
  private async decode(): Promise<void> {
    this.dropFinished();
    if (this.active.length === 0) return;
    const tokens = this.active.map((sequence) => [sequence.pendingToken ?? 0]);
    const { logits, kv } = await this.runner.step(tokens, this.kv);
    this.kv = kv;
    this.active.forEach((sequence, row) => {
      if (sequence.finished) return;
      const rowLogits = logits[row];
      if (rowLogits) sequence.accept(rowLogits);
    });
    this.options.metrics.recordTokens(this.active.length);
    this.dropFinished();
  }

  private dropFinished(): void {
    if (this.active.every((sequence) => !sequence.finished)) return;
    const rows = this.active.map((sequence, row) => ({ sequence, batch: this.kv, row })).filter(({ sequence }) => !sequence.finished);
    this.active = rows.map(({ sequence }) => sequence);
    this.kv = this.runner.gatherKv(rows);
  }

  /**
   * KV memory of the running batch: what it holds now and the most it can hold
   * (max batch rows of max model length; this scheduler keeps no preallocated pool).
   */
  kvMemory(): KvMemory {
    return { usedBytes: this.kv.byteLength, capacityBytes: this.options.maxBatch * this.options.maxModelLen * this.runner.kvBytesPerToken };
  }

  get prefixCacheBytes(): number {
    return this.prefixCache.size.bytes;
  }
}
