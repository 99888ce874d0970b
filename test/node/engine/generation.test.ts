/**
 * End-to-end generation through the engine (scheduler + decoder runner + sampler) on a
 * generated demo model: greedy ids equal the float64 reference, stop strings and stop token
 * ids end generation with finish_reason "stop", max_tokens gives "length", seeds reproduce.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { referenceGreedy } from "../../support/reference-forward";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const model = makeTestModel(9);
let engine: Engine;
let promptIds: number[];
beforeAll(async () => {
  engine = await testEngine(model);
  promptIds = engine.codec.encodeChat([{ role: "user", content: "What is the weather in Beijing today?" }], true);
});
afterAll(async () => {
  await engine.release();
  model.cleanup();
});

describe("engine generation", () => {
  it("greedy token ids equal the float64 reference forward pass", async () => {
    const count = 16;
    const result = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: count }) });
    const reference = referenceGreedy(model.dims, model.weights, promptIds, count);
    expect(result.tokenIds.length).toBeGreaterThan(0);
    expect(result.tokenIds).toEqual(reference.tokens.slice(0, result.tokenIds.length));
    if (result.finishReason === "length") expect(result.tokenIds).toHaveLength(count);
  });

  it("stops at a stop string that spans a token boundary, without emitting it", async () => {
    const full = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 24, skipSpecialTokens: false }) });
    // Pick a stop string that starts inside one delta and ends inside a later one.
    let offset = 0;
    let start = -1;
    for (const delta of full.deltas) {
      if (start === -1 && delta.length >= 2 && offset > 0) start = offset + delta.length - 1;
      offset += delta.length;
    }
    expect(start).toBeGreaterThan(0);
    const stop = full.text.slice(start, start + 3);
    const stopped = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 24, skipSpecialTokens: false, stop: [stop] }) });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.text).toBe(full.text.slice(0, full.text.indexOf(stop)));
    expect(stopped.text).not.toContain(stop);
  });

  it("finishes with stop on a stop token id and with length at max_tokens", async () => {
    const full = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 6 }) });
    expect(full.finishReason).toBe("length");
    expect(full.tokenIds).toHaveLength(6);
    const target = full.tokenIds[2] ?? -1;
    const stopped = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 6, stopTokenIds: [target] }) });
    expect(stopped.finishReason).toBe("stop");
    expect(stopped.tokenIds.at(-1)).toBe(target);
    expect(stopped.tokenIds.length).toBe(full.tokenIds.indexOf(target) + 1);
  });

  it("reproduces sampled output for the same seed", async () => {
    const sampled = { temperature: 1, topP: 0.95, maxTokens: 12, seed: 1234 };
    const a = await runToEnd(engine, { promptIds, params: greedy(sampled) });
    const b = await runToEnd(engine, { promptIds, params: greedy(sampled) });
    const c = await runToEnd(engine, { promptIds, params: greedy({ ...sampled, seed: 99 }) });
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.tokenIds).not.toEqual(c.tokenIds);
  });

  it("writes readable noise: no broken characters or control codes from the demo model", async () => {
    for (const seed of [1, 2, 3]) {
      const run = await runToEnd(engine, { promptIds, params: greedy({ temperature: 0.8, seed, maxTokens: 48 }) });
      expect(run.text.length).toBeGreaterThan(0);
      expect(run.text).not.toMatch(/[\uFFFD\u0000-\u0008\u000B-\u001F]/);
    }
  });

  it("rejects a prompt that does not fit the context", () => {
    expect(() => engine.scheduler.submit({ promptIds: new Array<number>(4090).fill(5), params: greedy({ maxTokens: 10 }) })).toThrow(
      /maximum context length is 4096/,
    );
  });
});
