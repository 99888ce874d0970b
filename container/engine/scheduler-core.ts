/**
 * What every scheduler shares: a bounded queue of requests (`submit` refuses a bad or oversized prompt with 400
 * and a full queue with 429 at once), deadlines and client disconnects that cancel a sequence wherever it is, the
 * queue/batch gauges, and the loop that runs step boundaries while there is work. Subclasses decide what one
 * step boundary does: BatchScheduler (a batch the decoder regroups) and PoolScheduler (slots of a KV pool).
 * It also holds the hooks container/server needs for /health and the SIGTERM drain (stop admitting, wait until
 * idle, end what is left); each subclass says how much KV memory it holds.
 */
import { EngineError } from "./engine-errors";
import type { EngineMetrics } from "./engine-metrics";
import type { EmbeddingSplice } from "./embedding-splice";
import type { GenerationEvent } from "./generation-events";
import type { SamplingParams } from "./sampling-params";
import { Sequence } from "./sequence";
import type { TextCodec } from "./text-codec";

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
  /** Embeddings for the prompt's image/audio placeholder spans (from the engine's media embedder). */
  embeddingSplices?: readonly EmbeddingSplice[];
}

/** KV memory a scheduler holds now and the most it can hold. */
export interface KvMemory {
  usedBytes: number;
  capacityBytes: number;
}

/** The scheduler as the server sees it (requests, /health, the drain). */
export interface Scheduler {
  readonly queueDepth: number;
  readonly batchSize: number;
  readonly maxBatch: number;
  readonly admitting: boolean;
  /** Bytes of prompt KV the prefix cache holds. */
  readonly prefixCacheBytes: number;
  submit(request: GenerateRequest): AsyncIterable<GenerationEvent>;
  kvMemory(): KvMemory;
  stopAdmitting(refusal: EngineError): void;
  whenIdle(): Promise<void>;
  cancelAll(error: EngineError): void;
}

export abstract class SchedulerCore implements Scheduler {
  protected readonly queue: Sequence[] = [];
  protected active: Sequence[] = [];
  private nextId = 1;
  private running = false;
  protected readonly now: () => number;
  /** Set by stopAdmitting(): what every later submit() throws. */
  private refusal: EngineError | null = null;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    protected readonly vocabSize: number,
    protected readonly codec: TextCodec,
    protected readonly options: SchedulerOptions,
  ) {
    this.now = options.now ?? (() => performance.now());
  }

  /** One step boundary: admit, prefill, decode, retire; failures are the subclass's to contain. */
  protected abstract iterate(): Promise<void>;

  abstract kvMemory(): KvMemory;

  abstract get prefixCacheBytes(): number;

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
    const vocab = this.vocabSize;
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

  protected cancel(sequence: Sequence, error: EngineError | null): void {
    if (sequence.finished) return;
    sequence.cancelled = true;
    this.options.metrics.requestsCancelled += 1;
    const queued = this.queue.indexOf(sequence);
    if (queued !== -1) this.queue.splice(queued, 1);
    if (error) sequence.fail(error);
    else sequence.abandon();
    this.updateGauges();
  }

  protected updateGauges(): void {
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

  // ---- Drain and load hooks, used by container/server (health, drain on SIGTERM). ----

  get maxBatch(): number {
    return this.options.maxBatch;
  }

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
}
