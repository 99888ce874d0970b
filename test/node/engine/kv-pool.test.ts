/**
 * The fast graph's KV pool on the native runtime (CPU provider here; the same code binds CUDA memory on a GPU):
 * the engine picks it for a fast folder; a batch gives each request exactly the greedy tokens it gets alone and the
 * same tokens as the host-side runner; sequences join mid-flight and leave early, a newcomer reusing a freed slot;
 * a long prompt is prefilled in chunks while a running sequence keeps decoding between them (the host-side runner
 * stalls it for the whole prompt); the pool is sized from the memory budget: too small a budget is a clear startup
 * error, and beyond the budget requests wait (429 only once the wait queue is full) instead of failing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { isEngineError } from "../../../container/engine/engine-errors";
import { KvPool } from "../../../container/engine/kv-pool";
import { PoolScheduler } from "../../../container/engine/pool-scheduler";
import { type Completed, greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(31, { graph: "fast", dtype: "fp32" });
const slotBytes = KvPool.bytesFor(model.dims, "float32", 1, model.dims.maxPositionEmbeddings);
let engine: Engine;
let prompts: number[][];
beforeAll(async () => {
  engine = await testEngine(model, { prefillChunkTokens: 8 });
  prompts = ["hi", "介绍一下无问芯穹", "The quick brown fox jumps over the lazy dog", "What is the weather in Beijing today?", "Write a poem"].map((content) =>
    engine.codec.encodeChat([{ role: "user", content }], true),
  );
});
afterAll(async () => {
  await engine.release();
  model.cleanup();
});

/** Runs `promptIds`, calling `onDelta` with the number of text deltas so far after each. */
async function streamed(target: Engine, promptIds: readonly number[], maxTokens: number, onDelta: (count: number) => void): Promise<number> {
  let count = 0;
  for await (const event of target.scheduler.submit({ promptIds, params: greedy({ maxTokens, ignoreEos: true }) })) {
    if (event.type === "text-delta") onDelta(++count);
    if (event.type === "error") throw event.error;
  }
  return count;
}

describe("KV pool (fast graph, native runtime)", () => {
  it("is what the engine runs a fast folder on, with a batch giving each request its tokens alone", async () => {
    expect(engine.runtimeKind).toBe("native");
    expect(engine.scheduler).toBeInstanceOf(PoolScheduler);
    const alone: Completed[] = [];
    for (const promptIds of prompts) alone.push(await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 16, ignoreEos: true }) }));
    const together = await Promise.all(prompts.map((promptIds) => runToEnd(engine, { promptIds, params: greedy({ maxTokens: 16, ignoreEos: true }) })));
    expect(together.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
    const host = await testEngine(model, { kvPool: false });
    try {
      expect(host.scheduler).not.toBeInstanceOf(PoolScheduler);
      const hostRuns = await Promise.all(prompts.map((promptIds) => runToEnd(host, { promptIds, params: greedy({ maxTokens: 16, ignoreEos: true }) })));
      expect(hostRuns.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
    } finally {
      await host.release();
    }
  });

  it("lets sequences join mid-flight and leave early; a newcomer takes the freed slot without changing anyone's tokens", async () => {
    const params = (maxTokens: number) => greedy({ maxTokens, ignoreEos: true });
    const [longAlone, shortAlone, lateAlone] = [
      await runToEnd(engine, { promptIds: prompts[2] ?? [], params: params(40) }),
      await runToEnd(engine, { promptIds: prompts[0] ?? [], params: params(3) }),
      await runToEnd(engine, { promptIds: prompts[3] ?? [], params: params(10) }),
    ];
    let late: Promise<Completed> | null = null;
    const long = streamed(engine, prompts[2] ?? [], 40, (count) => {
      // Joins after the short one has left (it stops after 3 tokens), into the slot it freed.
      if (count === 12) late = runToEnd(engine, { promptIds: prompts[3] ?? [], params: params(10) });
    });
    const short = runToEnd(engine, { promptIds: prompts[0] ?? [], params: params(3) });
    expect((await short).tokenIds).toEqual(shortAlone?.tokenIds);
    await long;
    expect(late).not.toBeNull();
    expect((await (late as unknown as Promise<Completed>)).tokenIds).toEqual(lateAlone?.tokenIds);
    const longAgain = await runToEnd(engine, { promptIds: prompts[2] ?? [], params: params(40) });
    expect(longAgain.tokenIds).toEqual(longAlone?.tokenIds);
  });

  it("prefills a long prompt in chunks while a running sequence keeps decoding between them", async () => {
    const longPrompt = engine.codec.encodeChat([{ role: "user", content: "Tell me everything about the history of the lazy dog. ".repeat(6) }], true);
    const chunks = Math.ceil(longPrompt.length / 8);
    expect(chunks).toBeGreaterThan(10);
    const oneShot = await testEngine(model, { prefillChunkTokens: 4096 });
    try {
      const reference = await runToEnd(oneShot, { promptIds: longPrompt, params: greedy({ maxTokens: 8, ignoreEos: true }) });
      let runningDeltas = 0;
      let atSubmit = -1;
      let atFirstToken = -1;
      let chunked: Promise<Completed> | null = null;
      await streamed(engine, prompts[4] ?? [], 200, (count) => {
        runningDeltas = count;
        if (count === 5) {
          atSubmit = runningDeltas;
          chunked = (async () => {
            const result: Completed = { text: "", deltas: [], tokenIds: [], finishReason: null, error: null };
            for await (const event of engine.scheduler.submit({ promptIds: longPrompt, params: greedy({ maxTokens: 8, ignoreEos: true }) })) {
              if (event.type === "text-delta" && atFirstToken === -1) atFirstToken = runningDeltas;
              if (event.type === "finish") result.tokenIds = event.tokenIds;
            }
            return result;
          })();
        }
      });
      const result = await (chunked as unknown as Promise<Completed>);
      // Chunked prefill gives the one-shot tokens, and the running sequence advanced about once per chunk meanwhile.
      expect(result.tokenIds).toEqual(reference.tokenIds);
      expect(atFirstToken - atSubmit).toBeGreaterThanOrEqual(chunks - 3);
    } finally {
      await oneShot.release();
    }
  });

  it("refuses at start a memory budget that holds no sequence, naming the settings", async () => {
    const error = await testEngine(model, { kvMemoryBytes: Math.floor(slotBytes / 2) }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toMatch(/holds no sequence of 4096 tokens.*ENGINE_MAX_MODEL_LEN.*ENGINE_KV_MEMORY_FRACTION/);
    const shorter = await testEngine(model, { kvMemoryBytes: Math.floor(slotBytes / 2), maxModelLen: 1024 });
    await shorter.release();
  });

  it("beyond the budget a request waits for a slot, and gets 429 only when the wait queue is full", async () => {
    const small = await testEngine(model, { kvMemoryBytes: Math.floor(slotBytes * 2.5), maxQueue: 8 });
    try {
      const alone: Completed[] = [];
      for (const promptIds of prompts) alone.push(await runToEnd(small, { promptIds, params: greedy({ maxTokens: 12, ignoreEos: true }) }));
      let widest = 0;
      const runs = await Promise.all(
        prompts.map(async (promptIds) => {
          const result: Completed = { text: "", deltas: [], tokenIds: [], finishReason: null, error: null };
          for await (const event of small.scheduler.submit({ promptIds, params: greedy({ maxTokens: 12, ignoreEos: true }) })) {
            widest = Math.max(widest, small.scheduler.batchSize);
            if (event.type === "finish") result.tokenIds = event.tokenIds;
            if (event.type === "error") result.error = event.error;
          }
          return result;
        }),
      );
      expect(runs.map((run) => run.error)).toEqual(prompts.map(() => null));
      expect(runs.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
      expect(widest).toBe(2);
    } finally {
      await small.release();
    }
    const queued = await testEngine(model, { kvMemoryBytes: Math.floor(slotBytes * 2.5), maxQueue: 1 });
    try {
      // Two free slots plus one waiting place: the fourth request submitted at once is refused.
      const request = (promptIds: readonly number[]) => runToEnd(queued, { promptIds, params: greedy({ maxTokens: 6, ignoreEos: true }) });
      const accepted = [request(prompts[0] ?? []), request(prompts[1] ?? []), request(prompts[2] ?? [])];
      const refused = await request(prompts[3] ?? []).catch((failure: unknown) => failure);
      expect(isEngineError(refused) && refused.code === "queue_full" && refused.status === 429).toBe(true);
      for (const run of await Promise.all(accepted)) expect(run.tokenIds).toHaveLength(6);
    } finally {
      await queued.release();
    }
  });
});
