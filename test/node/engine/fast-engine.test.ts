/**
 * The engine on a fast-graph model folder (engine.json "graph": "fast"), on ORT's CPU provider: it picks the fast
 * runner from the folder; greedy ids equal the float64 reference (float32 compute) or stay on it for the tiny model
 * (float16 compute); a batch of prompts of different lengths, requests joining mid-flight, chunked prefill and the
 * prefix cache all give each request the tokens it gets alone; a folder whose engine.json and graph disagree, and
 * the fast graph on wasm, are refused at start with a message naming the problem.
 */
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Engine } from "../../../container/engine/create-engine";
import { referenceGreedy } from "../../support/reference-forward";
import { greedy, makeTestModel, runToEnd, testEngine } from "./support/test-engine";

const fp32 = makeTestModel(9, { graph: "fast", dtype: "fp32" });
const fp16 = makeTestModel(9, { graph: "fast", dtype: "fp16" });
let engine: Engine;
let prompts: number[][];
beforeAll(async () => {
  engine = await testEngine(fp32);
  prompts = ["hi", "介绍一下无问芯穹", "The quick brown fox jumps over the lazy dog and keeps running", "What is the weather in Beijing today?"].map(
    (content) => engine.codec.encodeChat([{ role: "user", content }], true),
  );
});
afterAll(async () => {
  await engine.release();
  fp32.cleanup();
  fp16.cleanup();
});

describe("engine on the fast graph", () => {
  it("picks the fast runner from engine.json and generates the float64 reference's greedy ids", async () => {
    expect(engine.folder.graph).toBe("fast");
    for (const promptIds of prompts.slice(2)) {
      const result = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 16, ignoreEos: true }) });
      expect(result.tokenIds).toEqual(referenceGreedy(fp32.dims, fp32.weights, promptIds, 16).tokens);
    }
  });

  it("computing in float16, stays on the reference's greedy ids for the tiny model", async () => {
    const half = await testEngine(fp16);
    try {
      const promptIds = prompts[3] ?? [];
      const result = await runToEnd(half, { promptIds, params: greedy({ maxTokens: 12, ignoreEos: true }) });
      expect(result.tokenIds).toEqual(referenceGreedy(fp16.dims, fp16.weights, promptIds, 12).tokens);
    } finally {
      await half.release();
    }
  });

  it("gives each request of a batch of different lengths exactly the tokens it gets alone", async () => {
    const alone = [];
    for (const promptIds of prompts) alone.push(await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) }));
    const together = await Promise.all(prompts.map((promptIds) => runToEnd(engine, { promptIds, params: greedy({ maxTokens: 20 }) })));
    expect(new Set(prompts.map((prompt) => prompt.length)).size).toBe(prompts.length);
    expect(together.map((run) => run.tokenIds)).toEqual(alone.map((run) => run.tokenIds));
  });

  it("lets requests join and leave mid-flight without changing anyone's tokens", async () => {
    const aloneShort = await runToEnd(engine, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 5 }) });
    const aloneLong = await runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 90, ignoreEos: true }) });
    const long = runToEnd(engine, { promptIds: prompts[2] ?? [], params: greedy({ maxTokens: 90, ignoreEos: true }) });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const short = await runToEnd(engine, { promptIds: prompts[0] ?? [], params: greedy({ maxTokens: 5 }) });
    expect(short.tokenIds).toEqual(aloneShort.tokenIds);
    expect((await long).tokenIds).toEqual(aloneLong.tokenIds);
  });

  it("prefills in chunks with the same tokens as one-shot prefill", async () => {
    const chunked = await testEngine(fp32, { prefillChunkTokens: 5 });
    try {
      for (const promptIds of prompts) {
        const whole = await runToEnd(engine, { promptIds, params: greedy({ maxTokens: 12 }) });
        expect((await runToEnd(chunked, { promptIds, params: greedy({ maxTokens: 12 }) })).tokenIds).toEqual(whole.tokenIds);
      }
    } finally {
      await chunked.release();
    }
  });

  it("gives the same tokens with the prefix cache as without it", async () => {
    const cached = await testEngine(fp32, { prefixCacheBytes: 1 << 20 });
    try {
      const first = prompts[2] ?? [];
      const next = [...first, ...(prompts[3] ?? [])];
      const without = await runToEnd(engine, { promptIds: next, params: greedy({ maxTokens: 12 }) });
      await runToEnd(cached, { promptIds: first, params: greedy({ maxTokens: 2 }) });
      const withCache = await runToEnd(cached, { promptIds: next, params: greedy({ maxTokens: 12 }) });
      expect(cached.metrics.prefixCacheHitTokensTotal).toBeGreaterThanOrEqual(first.length - 1);
      expect(withCache.tokenIds).toEqual(without.tokenIds);
    } finally {
      await cached.release();
    }
  });

  it("refuses a folder whose engine.json names the fast graph over a standard decoder, and the fast graph on wasm", async () => {
    const standard = makeTestModel(9);
    try {
      const mislabelled = join(standard.dir, "..", "mislabelled");
      cpSync(standard.dir, mislabelled, { recursive: true });
      writeFileSync(join(mislabelled, "engine.json"), JSON.stringify({ graph: "fast", compute_dtype: "float32" }));
      await expect(testEngine({ ...standard, dir: mislabelled })).rejects.toThrow(/not a fast decoder graph.*missing int32 input seqlens_k/);
      await expect(testEngine(fp32, { executionProvider: "wasm" })).rejects.toThrow(/fast graph.*not wasm/);
    } finally {
      standard.cleanup();
    }
  });
});
