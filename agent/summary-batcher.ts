/**
 * Summarizes pages as they become ready with batched `/v1/completions` calls:
 * one batch in flight at a time, and every prompt that arrives meanwhile
 * rides in the next batch. A single engine serves batches better than many
 * small concurrent calls, and no page waits for the slowest one.
 */
import type { ModelClient } from "./model-client";
import { TURN_END } from "./special-tokens";

interface PendingSummary {
  prompt: string;
  resolve: (text: string) => void;
  reject: (error: unknown) => void;
}

export interface SummaryBatcherOptions {
  model: ModelClient;
  maxTokens: number;
  temperature: number;
  /** Seed of every batch, so the same pages give the same notes. */
  seed?: number;
  signal: AbortSignal;
  /**
   * Time (Date.now() scale) after which summaries are no longer useful. A
   * batch that the last batch's duration says cannot finish before it is not
   * started: the engine would still be busy with it when the answer starts.
   */
  deadline?: number;
  now?: () => number;
}

export class SummaryBatcher {
  private queue: PendingSummary[] = [];
  private inFlight = false;
  /** Number of `/v1/completions` calls made (for the bench and tests). */
  batches = 0;
  private lastBatchMs: number | undefined;

  constructor(private readonly options: SummaryBatcherOptions) {}

  summarize(prompt: string): Promise<string> {
    return new Promise((resolve, reject) => {
      this.queue.push({ prompt, resolve, reject });
      this.dispatch();
    });
  }

  private dispatch(): void {
    if (this.inFlight || this.queue.length === 0) return;
    if (this.options.signal.aborted) {
      for (const item of this.queue.splice(0)) item.reject(this.options.signal.reason);
      return;
    }
    const now = this.options.now ?? Date.now;
    const started = now();
    if (this.options.deadline !== undefined && this.lastBatchMs !== undefined && started + this.lastBatchMs > this.options.deadline) return;
    const batch = this.queue.splice(0);
    this.inFlight = true;
    this.batches += 1;
    this.options.model
      .complete({
        prompts: batch.map((item) => item.prompt),
        maxTokens: this.options.maxTokens,
        temperature: this.options.temperature,
        ...(this.options.seed !== undefined ? { seed: this.options.seed } : {}),
        stop: [TURN_END],
        signal: this.options.signal,
      })
      .then(
        (texts) => {
          this.lastBatchMs = now() - started;
          for (const [position, item] of batch.entries()) item.resolve(texts[position] ?? "");
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      )
      .finally(() => {
        this.inFlight = false;
        this.dispatch();
      });
  }
}
