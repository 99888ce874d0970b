/**
 * Continuous batching: a left-padded batch gives each request exactly the tokens it gets
 * alone (also when requests join mid-flight), a cancelled request frees its slot, the bounded
 * queue refuses with queue_full, and the per-request deadline ends a request.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { isEngineError } from "../../../container/engine/engine-errors";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(21);
let engine: Engine;
let prompts: number[][];
beforeAll(async () => {
  engine = await testEngine(model);
  prompts = ["hi", "介绍一下无问芯穹", "The quick brown fox jumps over the lazy dog and keeps running"].map((content) =>
    engine.codec.encodeChat([{ role: "user", content }], true),
  );
});
afterAll(async () => {
  await engine.release();
  model.cleanup();
});

describe("continuous batching", () => {
  it("gives each request in a padded batch exactly the tokens it gets alone", async () => {
    const alone = [];
    for (const promptIds of prompts) alone.push(await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) }));
    const together = await Promise.all(prompts.map((promptIds) => runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) })));
    expect(new Set(prompts.map((prompt) => prompt.length)).size).toBe(3);
    expect(together.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
  });

  it("lets requests join and leave at step boundaries without changing anyone's tokens", async () => {
    const alone = await Promise.all([runToEnd(engine, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 5 }) })]);
    const aloneLong = await runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 30 }) });
    const long = runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 30 }) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const short = await runToEnd(engine, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 5 }) });
    expect(short.tokenIds).toEqual(alone[0]?.tokenIds);
    expect((await long).tokenIds).toEqual(aloneLong.tokenIds);
  });

  it("frees the slot of a cancelled request so a queued one runs", async () => {
    const single = await testEngine(model, { maxBatch: 1 });
    try {
      const abort = new AbortController();
      const first = runToEnd(single, { promptIds: prompts[1] ?? [], params: greedy({ maxTokens: 3000 }), signal: abort.signal });
      const second = runToEnd(single, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 4 }) });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(single.scheduler.batchSize).toBe(1);
      expect(single.scheduler.queueDepth).toBe(1);
      abort.abort();
      const done = await second;
      expect(done.finishReason).toBe("length");
      const cancelled = await first;
      expect(cancelled.finishReason).toBeNull();
      expect(cancelled.tokenIds.length).toBe(0);
      expect(single.metrics.requestsCancelled).toBe(1);
    } finally {
      await single.release();
    }
  });

  it("refuses with queue_full (429, Retry-After) when the queue is full", async () => {
    const tiny = await testEngine(model, { maxBatch: 1, maxQueue: 1 });
    try {
      const abort = new AbortController();
      const running = runToEnd(tiny, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 3000 }), signal: abort.signal });
      const queued = runToEnd(tiny, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 2 }), signal: abort.signal });
      let refusal: unknown = null;
      try {
        tiny.scheduler.submit({ promptIds: prompts[0] ?? [], params: greedy() });
      } catch (error) {
        refusal = error;
      }
      expect(isEngineError(refusal) && refusal.code === "queue_full" && refusal.status === 429 && refusal.retryAfterSeconds).toBeTruthy();
      abort.abort();
      await Promise.all([running, queued]);
      expect(tiny.metrics.requestsRejected).toBe(1);
    } finally {
      await tiny.release();
    }
  });

  it("ends a request that passes its deadline with request_timeout", async () => {
    const result = await runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 3500 }), timeoutMs: 30 });
    expect(result.error && isEngineError(result.error) ? result.error.code : null).toBe("request_timeout");
    // The slot is released at the next step boundary.
    await vi.waitFor(() => expect(engine.scheduler.batchSize).toBe(0), { timeout: 1000, interval: 5 });
  });
});
