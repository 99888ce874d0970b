/**
 * What a submitted generation yields, as one discriminated union, plus a small push-based
 * async iterable that the scheduler writes into and the HTTP layer reads from. The agent has the
 * same queue (agent/async-queue.ts); the engine keeps its own since its image holds only container/.
 */

export type FinishReason = "stop" | "length";

export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

export type GenerationEvent =
  | { type: "text-delta"; text: string }
  | {
      type: "finish";
      finishReason: FinishReason;
      usage: Usage;
      tokenIds: readonly number[];
      /** The scheduler's clock (performance.now unless injected) when the first token was sampled: the end of the prefill. */
      firstTokenAt: number | null;
    }
  | { type: "error"; error: Error };

export class EventChannel<T> implements AsyncIterable<T> {
  private readonly buffer: T[] = [];
  private waiting: ((result: IteratorResult<T>) => void) | null = null;
  private closed = false;

  push(value: T): void {
    if (this.closed) return;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value, done: false });
    } else this.buffer.push(value);
  }

  close(): void {
    this.closed = true;
    if (this.waiting) {
      const resolve = this.waiting;
      this.waiting = null;
      resolve({ value: undefined, done: true });
    }
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        const value = this.buffer.shift();
        if (value !== undefined) return Promise.resolve({ value, done: false });
        if (this.closed) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => {
          this.waiting = resolve;
        });
      },
    };
  }
}
