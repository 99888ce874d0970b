/**
 * One request's decoding state: sampler, streaming detokenizer and stop matcher. It turns
 * each sampled token into text deltas and decides when the sequence is finished.
 */
import { EventChannel, type FinishReason, type GenerationEvent } from "./generation-events";
import { IncrementalDetokenizer } from "./incremental-detokenizer";
import { Sampler } from "./sampler";
import type { SamplingParams } from "./sampling-params";
import { StopMatcher } from "./stop-matcher";
import type { TextCodec } from "./text-codec";
import type { EmbeddingSplice } from "./embedding-splice";

export class Sequence {
  readonly outputIds: number[] = [];
  readonly channel = new EventChannel<GenerationEvent>();
  readonly sampler: Sampler;
  private readonly detokenizer: IncrementalDetokenizer;
  private readonly stopMatcher: StopMatcher;
  private readonly stopIds: Set<number>;
  /** Sampled but not yet fed to the model. */
  pendingToken: number | null = null;
  /** Omni image/audio embeddings that overwrite placeholder spans of the prompt at prefill. */
  embeddingSplices: readonly EmbeddingSplice[] = [];
  finished = false;
  cancelled = false;
  /** Set by the scheduler when it samples the first token (after the prompt's prefill). */
  firstTokenAt: number | null = null;
  private readonly settledHandlers: (() => void)[] = [];

  constructor(
    readonly id: number,
    readonly promptIds: readonly number[],
    readonly params: SamplingParams,
    codec: TextCodec,
    private readonly maxModelLen: number,
    readonly submittedAt: number,
  ) {
    this.sampler = new Sampler(params, promptIds);
    this.detokenizer = new IncrementalDetokenizer(codec, params.skipSpecialTokens);
    this.stopMatcher = new StopMatcher(params.stop);
    this.stopIds = new Set([...(params.ignoreEos ? [] : codec.eosTokenIds), ...params.stopTokenIds]);
  }

  /** Sample from this row's logits and advance; returns true once the sequence is done. */
  accept(logits: Float32Array): boolean {
    const token = this.sampler.next(logits);
    this.outputIds.push(token);
    if (this.stopIds.has(token)) return this.finish("stop");
    const { text, stopped } = this.stopMatcher.push(this.detokenizer.push(token));
    if (text) this.channel.push({ type: "text-delta", text });
    if (stopped) return this.finish("stop", false);
    if (this.outputIds.length >= this.params.maxTokens || this.promptIds.length + this.outputIds.length >= this.maxModelLen) {
      return this.finish("length");
    }
    this.pendingToken = token;
    return false;
  }

  /** `flush` releases held-back text; it is false only when a stop string matched. */
  private finish(reason: FinishReason, flush = true): boolean {
    if (flush) {
      const { text, stopped } = this.stopMatcher.push(this.detokenizer.flush());
      const rest = stopped ? text : text + this.stopMatcher.flush();
      if (rest) this.channel.push({ type: "text-delta", text: rest });
    }
    this.channel.push({
      type: "finish",
      finishReason: reason,
      usage: { promptTokens: this.promptIds.length, completionTokens: this.outputIds.length },
      tokenIds: this.outputIds,
      firstTokenAt: this.firstTokenAt,
    });
    this.settle();
    return true;
  }

  fail(error: Error): void {
    if (this.finished) return;
    this.channel.push({ type: "error", error });
    this.settle();
  }

  /** End without a result (the client went away). */
  abandon(): void {
    if (this.finished) return;
    this.cancelled = true;
    this.settle();
  }

  /** Run `handler` once the sequence ends, however it ends. */
  onSettled(handler: () => void): void {
    if (this.finished) handler();
    else this.settledHandlers.push(handler);
  }

  private settle(): void {
    this.finished = true;
    this.pendingToken = null;
    this.channel.close();
    for (const handler of this.settledHandlers.splice(0)) handler();
  }
}
