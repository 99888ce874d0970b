/**
 * Continuous batching: requests wait in a bounded queue, join the running batch at step
 * boundaries (their prompts are prefilled together, then their KV rows are merged in), and
 * leave as soon as they finish, are cancelled or pass their deadline. Each decode step feeds
 * every active sequence's last token in one batched forward pass.
 */
import type { DecoderRunner } from "./decoder-runner";
import { EngineError } from "./engine-errors";
import type { EngineMetrics } from "./engine-metrics";
import type { GenerationEvent } from "./generation-events";
import { KvBatch } from "./kv-batch";
import { PrefixCache } from "./prefix-cache";
import type { SamplingParams } from "./sampling-params";
import { Sequence } from "./sequence";
import type { TextCodec } from "./text-codec";
import type { EmbeddingSplice } from "../omni/omni-prompt";

export interface SchedulerOptions {
  maxBatch: number;
  maxQueue: number;
  maxModelLen: number;
  /** Default per-request deadline; 0 disables. */
  requestTimeoutMs: number;
  metrics: EngineMetrics;
  /** Bytes of prompt KV kept for automatic prefix caching; 0 disables it. */
  prefixCacheBytes?: number;
  now?: () => number;
}

export interface GenerateRequest {
  promptIds: readonly number[];
  params: SamplingParams;
  /** Aborting (e.g. client disconnect) cancels the sequence and frees its slot. */
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Omni: embeddings for the prompt's image/audio placeholder spans (see omni/omni-prompt.ts). */
  embeddingSplices?: readonly EmbeddingSplice[];
}

export class BatchScheduler {
  private readonly queue: Sequence[] = [];
  private active: Sequence[] = [];
  private kv: KvBatch;
  private nextId = 1;
  private running = false;
  private readonly now: () => number;
  private readonly prefixCache: PrefixCache;
  /** Set by stopAdmitting(): what every later submit() throws. */
  private refusal: EngineError | null = null;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly runner: DecoderRunner,
    private readonly codec: TextCodec,
    private readonly options: SchedulerOptions,
  ) {
    this.kv = KvBatch.empty(runner.dims, 0, runner.kvType);
    this.now = options.now ?? (() => performance.now());
    this.prefixCache = new PrefixCache(runner.dims, options.prefixCacheBytes ?? 0);
  }

  get queueDepth(): number {
    return this.queue.length;
  }

  get batchSize(): number {
    return this.active.length;
  }

  /**
   * Queue a generation. Throws `queue_full` (429) or `context_length_exceeded` (400) at once.
   *
   * @example
   *   for await (const event of scheduler.submit({ promptIds, params })) if (event.type === "text-delta") write(event.text);
   */
  submit(request: GenerateRequest): AsyncIterable<GenerationEvent> {
    const { maxModelLen } = this.options;
    if (this.refusal) throw this.refusal;
    if (request.promptIds.length === 0) throw new EngineError("invalid_request", "the prompt is empty", "prompt");
    const vocab = this.runner.dims.vocabSize;
    const badId = request.promptIds.find((id) => !Number.isInteger(id) || id < 0 || id >= vocab);
    if (badId !== undefined) throw new EngineError("invalid_request", `token id ${badId} is outside the vocabulary (0..${vocab - 1})`, "prompt");
    if (request.promptIds.length + request.params.maxTokens > maxModelLen) {
      throw new EngineError(
        "context_length_exceeded",
        `This model's maximum context length is ${maxModelLen} tokens. However, you requested ${request.promptIds.length + request.params.maxTokens} tokens (${request.promptIds.length} in the messages, ${request.params.maxTokens} in the completion). Please reduce the length of the messages or completion.`,
        "max_tokens",
      );
    }
    // Waiting means queued beyond the batch's free rows: those join at the next step boundary.
    const freeRows = Math.max(0, this.options.maxBatch - this.active.length);
    if (this.queue.length >= this.options.maxQueue + freeRows) {
      this.options.metrics.requestsRejected += 1;
      throw new EngineError("queue_full", `the engine queue is full (${this.options.maxQueue} waiting); retry later`, null, 1);
    }
    const sequence = new Sequence(this.nextId++, request.promptIds, request.params, this.codec, maxModelLen, this.now());
    sequence.embeddingSplices = request.embeddingSplices ?? [];
    this.watch(sequence, request);
    this.queue.push(sequence);
    this.options.metrics.requestsTotal += 1;
    this.updateGauges();
    // Start driving after the current task: prompts submitted together (a /v1/completions list)
    // are all queued by then and are prefilled in one step, not the first one alone.
    if (!this.running) {
      this.running = true;
      queueMicrotask(() => void this.drive());
    }
    return sequence.channel;
  }

  private watch(sequence: Sequence, request: GenerateRequest): void {
    const timeoutMs = request.timeoutMs ?? this.options.requestTimeoutMs;
    const timer =
      timeoutMs > 0
        ? setTimeout(() => this.cancel(sequence, new EngineError("request_timeout", `request exceeded its ${timeoutMs} ms deadline`)), timeoutMs)
        : null;
    const onAbort = (): void => this.cancel(sequence, null);
    request.signal?.addEventListener("abort", onAbort, { once: true });
    if (request.signal?.aborted) onAbort();
    sequence.onSettled(() => {
      if (timer) clearTimeout(timer);
      request.signal?.removeEventListener("abort", onAbort);
    });
  }

  private cancel(sequence: Sequence, error: EngineError | null): void {
    if (sequence.finished) return;
    sequence.cancelled = true;
    this.options.metrics.requestsCancelled += 1;
    const queued = this.queue.indexOf(sequence);
    if (queued !== -1) this.queue.splice(queued, 1);
    if (error) sequence.fail(error);
    else sequence.abandon();
    this.updateGauges();
  }

  private updateGauges(): void {
    this.options.metrics.queueDepth = this.queue.length;
    this.options.metrics.batchSize = this.active.length;
  }

  private async drive(): Promise<void> {
    try {
      while (this.queue.length > 0 || this.active.length > 0) await this.iterate();
    } finally {
      this.running = false;
      for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  private async iterate(): Promise<void> {
    const started = this.now();
    try {
      const room = this.options.maxBatch - this.active.length;
      if (room > 0 && this.queue.length > 0) await this.admit(this.queue.splice(0, room));
      else await this.decode();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(String(error));
      for (const sequence of this.active) sequence.fail(failure);
      this.active = [];
      this.kv = KvBatch.empty(this.runner.dims, 0, this.runner.kvType);
    }
    this.options.metrics.recordStep((this.now() - started) / 1000);
    this.updateGauges();
  }

  /**
   * Prefill newcomers together (each after its longest cached prompt prefix, if any), sample
   * their first token, remember their prompts' KV, merge them into the batch.
   */
  private async admit(newcomers: Sequence[]): Promise<void> {
    const { dims, kvType } = this.runner;
    // A prompt with image/audio embeddings is more than its token ids: never cached or matched.
    const cacheable = newcomers.map((sequence) => this.prefixCache.enabled && sequence.embeddingSplices.length === 0);
    const hits = newcomers.map((sequence, row) => (cacheable[row] ? this.prefixCache.lookup(sequence.promptIds) : null));
    const noPrefix = KvBatch.empty(dims, 1, kvType);
    const past = KvBatch.gather(
      dims,
      kvType,
      hits.map((hit) => ({ batch: hit?.kv ?? noPrefix, row: 0 })),
    );
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
      this.options.metrics.recordTtft((this.now() - sequence.submittedAt) / 1000);
      this.options.metrics.recordTokens(1);
      const rowLogits = logits[row];
      if (rowLogits) sequence.accept(rowLogits);
    });
    const rows = [
      ...this.active.map((sequence, row) => ({ sequence, batch: this.kv, row })),
      ...newcomers.map((sequence, row) => ({ sequence, batch: kv, row })),
    ].filter(({ sequence }) => !sequence.finished);
    this.active = rows.map(({ sequence }) => sequence);
    this.kv = KvBatch.gather(this.runner.dims, this.runner.kvType, rows);
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
    this.kv = KvBatch.gather(this.runner.dims, this.runner.kvType, rows);
  }

  // ---- Drain and load hooks, used by container/server (health, drain on SIGTERM). ----

  /** Refuse every later submit() with `refusal`; what is queued or running goes on. */
  stopAdmitting(refusal: EngineError): void {
    this.refusal = refusal;
  }

  get admitting(): boolean {
    return this.refusal === null;
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.running && this.queue.length === 0 && this.active.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Ends every queued and running sequence with `error` (a drain past its deadline). */
  cancelAll(error: EngineError): void {
    for (const sequence of [...this.queue, ...this.active]) this.cancel(sequence, error);
  }

  /**
   * KV memory of the running batch: what it holds now and the most it can hold
   * (max batch rows of max model length; this engine keeps no preallocated pool).
   */
  kvMemory(): { usedBytes: number; capacityBytes: number } {
    const { numLayers, numKvHeads, headDim } = this.runner.dims;
    const bytesPerToken = numLayers * 2 * numKvHeads * headDim * (this.runner.kvType === "float32" ? 4 : 2);
    return { usedBytes: this.kv.byteLength, capacityBytes: this.options.maxBatch * this.options.maxModelLen * bytesPerToken };
  }

  /** Bytes of prompt KV the prefix cache holds. */
  get prefixCacheBytes(): number {
    return this.prefixCache.size.bytes;
  }

  get maxBatch(): number {
    return this.options.maxBatch;
  }
}
